package incident

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// escalate returns the notifications due when inc, as it is after a change,
// has reached a more urgent priority than old (0 for a new incident): the
// contacts holding the roles escalated at that priority (IM-5).
func (s *Service) escalate(inc *Incident, a itsm.Actor, at time.Time, old itsm.Priority) []Payload {
	if old != 0 && inc.Priority >= old {
		return nil
	}
	var out []Payload
	for _, c := range s.cfg.Major.escalations(inc.Priority) {
		out = append(out, notified(a, c, inc.Priority.String()+" incident "+inc.Number.String()+": "+inc.Summary))
	}
	return out
}

func notified(a itsm.Actor, c Contact, subject string) Notified {
	return Notified{By: By{By: a}, Recipient: c.Person, Role: c.Role, Channel: c.Channel, Address: c.Address, Subject: subject}
}

func message(inc *Incident, n Notified, at time.Time) Message {
	var b strings.Builder
	b.WriteString(n.Subject)
	b.WriteString("\n\nPriority ")
	b.WriteString(inc.Priority.String())
	if inc.Service != "" {
		b.WriteString(", service ")
		b.WriteString(inc.Service)
	}
	b.WriteString(", state ")
	b.WriteString(string(inc.State))
	if inc.MajorManager != "" {
		b.WriteString(", major-incident manager ")
		b.WriteString(inc.MajorManager)
	}
	b.WriteString(".\n")
	if inc.Description != "" {
		b.WriteString("\n")
		b.WriteString(inc.Description)
		b.WriteString("\n")
	}
	return Message{Incident: inc.ID, Number: inc.Number, Priority: inc.Priority, Time: at,
		To:      Contact{Person: n.Recipient, Role: n.Role, Channel: n.Channel, Address: n.Address},
		Subject: n.Subject, Text: b.String()}
}

// deliver hands the messages of a committed change to the Notifier. A failed
// delivery is recorded on the incident as a Notified event with its error, so
// the desk sees whom it did not reach; it is recorded whatever the incident's
// state, as it reports a fact rather than a decision.
func (s *Service) deliver(ctx context.Context, actor itsm.Actor, inc *Incident, msgs []Message) {
	if s.cfg.Major.Notifier == nil {
		return
	}
	for _, m := range msgs {
		err := s.cfg.Major.Notifier.Notify(ctx, m)
		if err == nil {
			continue
		}
		failed := Notified{By: By{By: actor}, Recipient: m.To.Person, Role: m.To.Role, Channel: m.To.Channel,
			Address: m.To.Address, Subject: m.Subject, Error: err.Error()}
		// Recording the failure is best effort: the change it belongs to is
		// committed, and a store error here must not undo it for the caller.
		_ = s.cfg.Store.Write(context.WithoutCancel(ctx), func(tx itsm.WriteTx) error {
			cur, err := load(tx, inc.ID)
			if err != nil {
				return err
			}
			_, _, err = s.commit(tx, cur, cur.Version, []Payload{failed}, s.now(cur))
			return err
		})
	}
}

// LogNotifier records each message as a "notification.sent" event in the
// store's event log, from where a relay (an SMS gateway, a mail sender, the
// reference server's webhooks) delivers it. It keeps messages when the
// network that would carry them is down, which is when major incidents
// happen (IM-4).
type LogNotifier struct {
	Store itsm.Store
}

// NotificationEvent is the event type LogNotifier appends.
const NotificationEvent = "notification.sent"

// Notify appends the message to the event log.
func (n LogNotifier) Notify(ctx context.Context, m Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode notification")
	}
	return n.Store.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Append(itsm.Event{Type: NotificationEvent, Time: m.Time, Data: data})
		return err
	})
}
