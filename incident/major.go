package incident

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Major configures major incidents (IM-4) and the escalation of priority 1
// and 2 incidents to named roles (IM-5).
type Major struct {
	// Roster says which major-incident manager is on duty when.
	Roster []Duty
	// Contacts are the people to tell about major incidents, per service,
	// and the holders of escalation roles.
	Contacts []Contact
	// Escalation names, per priority, the roles whose contacts are notified
	// when an incident reaches that priority, such as the delivery manager
	// for P1 and P2.
	Escalation map[itsm.Priority][]itsm.Role
	// Notifier sends the messages; nil records them in the incident's
	// history only.
	Notifier Notifier
}

// Duty is one stretch of a major-incident manager's on-call rota, from From
// until To.
type Duty struct {
	Person  string    `json:"person"`
	Channel string    `json:"channel"`
	Address string    `json:"address"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
}

// Contact is someone to notify, on a channel the Notifier understands (such
// as "email", "sms" or "webhook") at an address on that channel. A contact
// with a Service is told of major incidents of that service; one without is
// told of every major incident. A contact with a Role receives the
// escalations of that role.
type Contact struct {
	Person  string    `json:"person"`
	Role    itsm.Role `json:"role,omitempty"`
	Service string    `json:"service,omitempty"`
	Channel string    `json:"channel"`
	Address string    `json:"address"`
}

// Message is one notification about an incident.
type Message struct {
	Incident itsm.ID       `json:"incident"`
	Number   itsm.Number   `json:"number"`
	Priority itsm.Priority `json:"priority"`
	Time     time.Time     `json:"time"`
	To       Contact       `json:"to"`
	Subject  string        `json:"subject"`
	Text     string        `json:"text"`
}

// Notifier delivers messages on the channels of the contacts: e-mail, SMS or
// a webhook are plugged in by the embedding application. The service calls it
// after the change that caused the message has been committed, and records a
// failed delivery in the incident's history.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, m Message) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, m Message) error { return f(ctx, m) }

func (m *Major) validate() error {
	for i, d := range m.Roster {
		switch {
		case strings.TrimSpace(d.Person) == "":
			return itsm.Errorf(itsm.CodeInvalid, "incident config: roster duty %d has no person", i)
		case d.Channel == "" || d.Address == "":
			return itsm.Errorf(itsm.CodeInvalid, "incident config: roster duty %d (%s) has no channel or address", i, d.Person)
		case !d.To.After(d.From):
			return itsm.Errorf(itsm.CodeInvalid, "incident config: roster duty %d (%s) ends before it starts", i, d.Person)
		}
	}
	for i, c := range m.Contacts {
		switch {
		case strings.TrimSpace(c.Person) == "":
			return itsm.Errorf(itsm.CodeInvalid, "incident config: contact %d has no person", i)
		case c.Channel == "" || c.Address == "":
			return itsm.Errorf(itsm.CodeInvalid, "incident config: contact %d (%s) has no channel or address", i, c.Person)
		case c.Role != "" && !c.Role.Valid():
			return itsm.Errorf(itsm.CodeInvalid, "incident config: contact %d (%s) has unknown role %q", i, c.Person, c.Role)
		}
	}
	for p, roles := range m.Escalation {
		for _, r := range roles {
			if !r.Valid() {
				return itsm.Errorf(itsm.CodeInvalid, "incident config: escalation of %s names unknown role %q", p, r)
			}
		}
	}
	return nil
}

// OnDuty returns the major-incident manager on duty at t: of overlapping
// duties, the one that started last, so that a swap can be entered on top of
// the regular rota.
func (m *Major) OnDuty(t time.Time) (Duty, bool) {
	var best Duty
	found := false
	for _, d := range m.Roster {
		if !t.Before(d.From) && t.Before(d.To) && (!found || d.From.After(best.From)) {
			best, found = d, true
		}
	}
	return best, found
}

// escalations returns the contacts to notify when an incident reaches p.
func (m *Major) escalations(p itsm.Priority) []Contact {
	roles := m.Escalation[p]
	var out []Contact
	for _, c := range m.Contacts {
		if c.Role != "" && slices.Contains(roles, c.Role) {
			out = append(out, c)
		}
	}
	return out
}

// majorContacts returns who is told of a major incident of the service: the
// manager on duty first, then the service's contacts and those of every
// service, each person and address once.
func (m *Major) majorContacts(service string, at time.Time) []Contact {
	var out []Contact
	if d, ok := m.OnDuty(at); ok {
		out = append(out, Contact{Person: d.Person, Role: itsm.RoleMajorIncidentManager, Service: service, Channel: d.Channel, Address: d.Address})
	}
	for _, c := range m.Contacts {
		if c.Service != "" && c.Service != service {
			continue
		}
		if slices.ContainsFunc(out, func(o Contact) bool { return o.Channel == c.Channel && o.Address == c.Address }) {
			continue
		}
		out = append(out, c)
	}
	return out
}
