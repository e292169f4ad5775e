package followup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Kind is the record and event kind of follow-ups in an itsm.Store.
const Kind = "followup"

// State is where the current version of a follow-up stands.
type State string

// The states of a follow-up.
const (
	// StateDrafted: the desk has drafted the version; the customer is to
	// approve or reject it, and the desk may still redraft it.
	StateDrafted State = "drafted"
	// StateRejected: the customer sent the version back with a comment;
	// the desk redrafts it.
	StateRejected State = "rejected"
	// StateApproved: the customer approved the version; its report is
	// frozen, and only a correction (a new version) changes the figures in
	// force.
	StateApproved State = "approved"
)

// States lists every state, in workflow order.
func States() []State { return []State{StateDrafted, StateRejected, StateApproved} }

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool { return slices.Contains(States(), s) }

// FollowUp is the follow-up of one customer's month by one desk. It is built by applying
// its events in order (see Replay), except for the report bytes, which the
// events name by digest only.
type FollowUp struct {
	// ID is Key(Desk, Customer, Period).
	ID itsm.ID `json:"id"`
	// Revision is the store's version of the record, which changes with
	// every command; it is not part of the history.
	Revision int64 `json:"-"`

	// Customer is the organisation whose month it is; Desk the desk that
	// provides the customer the SLAs the report measures, and answers for
	// them. A customer served by two desks has a follow-up of each.
	Customer itsm.ID `json:"customer"`
	Desk     itsm.ID `json:"desk"`
	// Month is the period as year and month, such as "2026-11"; Period the
	// instants it covers and Zone the name of the location it was given in,
	// so that a correction computes the same calendar month (time.Location
	// does not survive JSON).
	Month  string        `json:"month"`
	Period report.Period `json:"period"`
	Zone   string        `json:"zone"`

	// State is the state of the last version.
	State State `json:"state"`
	// Versions are every version, the first draft as 1, in order.
	Versions []Version `json:"versions"`

	// Created is when the first draft was made, Changed when the last
	// command changed the follow-up.
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
}

// Version is one version of a follow-up's report and what became of it.
type Version struct {
	// Number counts the versions from 1.
	Number int   `json:"number"`
	State  State `json:"state"`
	// Reason is why the desk corrected the version before; empty for
	// version 1.
	Reason string `json:"reason,omitempty"`
	// Report is the report JSON as last drafted: once the version is
	// approved, byte for byte what the customer approved. It is nil in a
	// follow-up rebuilt by Replay.
	Report json.RawMessage `json:"report"`
	// Digest is Digest(Report).
	Digest string `json:"digest"`
	// Drafts are the draft (or correction) that started the version and
	// every redraft after it, in order; the last one is Report.
	Drafts []Draft `json:"drafts"`
	// Rejections are the customer's rejections of earlier drafts.
	Rejections []Review `json:"rejections,omitempty"`
	// Approval is set once the customer approved the version.
	Approval *Review `json:"approval,omitempty"`
}

// Draft is one computation of a version's report.
type Draft struct {
	By     itsm.Actor `json:"by"`
	At     time.Time  `json:"at"`
	Digest string     `json:"digest"`
}

// Review is the customer's approval or rejection of the draft with Digest.
type Review struct {
	By      itsm.Actor `json:"by"`
	At      time.Time  `json:"at"`
	Comment string     `json:"comment,omitempty"`
	Digest  string     `json:"digest"`
}

// Current returns the last version.
func (f *FollowUp) Current() *Version { return &f.Versions[len(f.Versions)-1] }

// InForce returns the last approved version, whose figures count until an
// approved correction replaces them, or nil when none is approved yet. While
// a correction awaits approval the version before it stays in force.
func (f *FollowUp) InForce() *Version {
	for i := len(f.Versions) - 1; i >= 0; i-- {
		if f.Versions[i].State == StateApproved {
			return &f.Versions[i]
		}
	}
	return nil
}

// Clone returns a deep copy of f.
func (f *FollowUp) Clone() *FollowUp {
	c := *f
	c.Versions = make([]Version, len(f.Versions))
	for i, v := range f.Versions {
		v.Report = slices.Clone(v.Report)
		v.Drafts = slices.Clone(v.Drafts)
		for j := range v.Drafts {
			v.Drafts[j].By = cloneActor(v.Drafts[j].By)
		}
		v.Rejections = slices.Clone(v.Rejections)
		for j := range v.Rejections {
			v.Rejections[j].By = cloneActor(v.Rejections[j].By)
		}
		if v.Approval != nil {
			a := *v.Approval
			a.By = cloneActor(a.By)
			v.Approval = &a
		}
		c.Versions[i] = v
	}
	return &c
}

func cloneActor(a itsm.Actor) itsm.Actor {
	a.Roles = slices.Clone(a.Roles)
	return a
}

// Decode returns the version's report as a Go value.
func (v *Version) Decode() (*report.Report, error) {
	if v.Report == nil {
		return nil, itsm.Errorf(itsm.CodeNotFound, "version %d holds no report bytes (a replayed follow-up names them by digest only)", v.Number)
	}
	r := new(report.Report)
	if err := json.Unmarshal(v.Report, r); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "decode the report of version %d", v.Number)
	}
	return r, nil
}

// Digest returns the SHA-256 of report JSON as 64 lower-case hex digits: the
// digest the events carry.
func Digest(reportJSON []byte) string {
	sum := sha256.Sum256(reportJSON)
	return hex.EncodeToString(sum[:])
}

// keySpace is the UUID name space of follow-up keys. Keys must stay the same
// across versions of spoc, or a stored month would be drafted anew, so the
// name it is derived from never changes.
var keySpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://spoc-itsm.github.io/followup"))

// Key returns the ID of desk's follow-up of customer's month: a name-based
// UUID (version 5) of the desk's ID, the customer's ID and the month as
// "2006-01", the same for every call. The desk is part of it because each
// desk that serves a customer has its own follow-up of the month, which no
// other desk can reach or block. period must be one calendar month, as
// report.Month returns.
func Key(desk, customer itsm.ID, period report.Period) (itsm.ID, error) {
	switch {
	case desk.IsZero():
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "follow-up key: desk is zero")
	case customer.IsZero():
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "follow-up key: customer is zero")
	}
	month, err := monthOf(period)
	if err != nil {
		return itsm.ID{}, err
	}
	return keyOf(desk, customer, month), nil
}

func keyOf(desk, customer itsm.ID, month string) itsm.ID {
	return itsm.ID(uuid.NewSHA1(keySpace, []byte(desk.String()+" "+customer.String()+" "+month)))
}

// monthOf returns the month that period covers as "2006-01", or an error with
// CodeInvalid unless it is exactly report.Month of some month in the location
// of its From.
func monthOf(p report.Period) (string, error) {
	if p.From.IsZero() || p.To.IsZero() {
		return "", itsm.Errorf(itsm.CodeInvalid, "period %s: from and to must be set", periodText(p))
	}
	// Where midnight of the first does not exist, the month may begin on
	// the evening before in other zones' terms, so From's own month is not
	// the only candidate.
	for _, t := range []time.Time{p.From, p.From.Add(24 * time.Hour)} {
		y, m, _ := t.Date()
		want := report.Month(y, m, p.From.Location())
		if !p.From.Equal(want.From) || !p.To.Equal(want.To) {
			continue
		}
		if y < 1 || y > 9999 {
			return "", itsm.Errorf(itsm.CodeInvalid, "period %s: year %d is outside 1 to 9999", periodText(p), y)
		}
		return fmt.Sprintf("%04d-%02d", y, int(m)), nil
	}
	y, m, _ := p.From.Date()
	return "", itsm.Errorf(itsm.CodeInvalid, "period %s is not one calendar month (a follow-up covers a month, such as report.Month(%d, %s, loc))",
		periodText(p), y, m)
}

func periodText(p report.Period) string {
	return "[" + p.From.Format(time.RFC3339) + ", " + p.To.Format(time.RFC3339) + ")"
}

func samePeriod(a, b report.Period) bool { return a.From.Equal(b.From) && a.To.Equal(b.To) }
