package authority

import (
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Role is what a grant allows its person.
type Role string

// The roles of the lists.
const (
	// RoleRequester may order the item, or any item of the service.
	RoleRequester Role = "requester"
	// RoleApprover may approve orders of the item, or of any item of the
	// service.
	RoleApprover Role = "approver"
)

// Valid reports whether r is one of the Role constants.
func (r Role) Valid() bool { return r == RoleRequester || r == RoleApprover }

// Grant is one line of a customer's lists: Person may act as Role for Item,
// or for every item of Service, on the days From through Until. It is
// never deleted; an ending shortens it and is kept in Ended.
type Grant struct {
	ID itsm.ID `json:"id"`
	// Customer is the customer organisation whose list it is.
	Customer itsm.ID `json:"customer"`
	// Person is the person of the customer, by the stable identity that
	// itsm.Actor.Person carries.
	Person string `json:"person"`
	Role   Role   `json:"role"`
	// Item is a catalogue item's ID and Service a whole service's name:
	// a grant names exactly one of the two.
	Item    itsm.ID `json:"item,omitzero"`
	Service string  `json:"service,omitempty"`
	// From is the first valid day and Until the last, in the lists' zone;
	// Until zero means until further notice. Until is the last day as
	// ended, if the grant was ended; an ending before From withdraws a
	// grant that never began.
	From  sla.Date `json:"from"`
	Until sla.Date `json:"until,omitzero"`
	// Granted is when the grant was recorded, and GrantedBy who recorded
	// it. The grant counts for no instant before Granted.
	Granted   time.Time  `json:"granted"`
	GrantedBy itsm.Actor `json:"granted_by"`
	// Ended holds every ending, in the order they were recorded.
	Ended []Ending `json:"ended,omitempty"`
	// Version is the store's version of the record, which commands check;
	// it is not part of the grant's JSON.
	Version int64 `json:"-"`
}

// Ending is one shortening of a grant: from At on, its last day is Until.
type Ending struct {
	At time.Time  `json:"at"`
	By itsm.Actor `json:"by"`
	// Until is the grant's last day from now on, and Previous the last
	// day it had before (zero: until further notice).
	Until    sla.Date `json:"until"`
	Previous sla.Date `json:"previous,omitzero"`
	Reason   string   `json:"reason,omitempty"`
}

// Absence is an approver away on the days From through Until, with a
// stand-in who approves in the approver's place on those days, for
// everything the approver may approve. When two absences of one approver
// share a day, the one recorded later decides that day's stand-in.
type Absence struct {
	ID       itsm.ID `json:"id"`
	Customer itsm.ID `json:"customer"`
	// Person is the approver who is away.
	Person string `json:"person"`
	// StandIn is the person who approves in their place; never Person.
	StandIn string   `json:"stand_in"`
	From    sla.Date `json:"from"`
	Until   sla.Date `json:"until"`
	Reason  string   `json:"reason,omitempty"`
	// Recorded is when it was recorded and RecordedBy who recorded it; it
	// counts for no instant before Recorded.
	Recorded   time.Time  `json:"recorded"`
	RecordedBy itsm.Actor `json:"recorded_by"`
	// Version is the store's version of the record; not part of its JSON.
	Version int64 `json:"-"`
}

// Approver is a person who may approve, and the person who stands in for
// them on the day asked about, if they are away ("" if not).
type Approver struct {
	Person  string `json:"person"`
	StandIn string `json:"stand_in,omitempty"`
}

// Limits of the lists' texts.
const (
	// MaxReason is the longest reason of an ending or an absence, in bytes.
	MaxReason = 2000
	// FirstYear and LastYear bound the days of the lists, as they bound
	// service-level calendars.
	FirstYear, LastYear = 1970, 2199
)

// before reports whether day a comes before day b.
func before(a, b sla.Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}

// ValidOn reports whether the grant, as it stands now, covers day d. It
// says nothing of when the grant was recorded or ended: Index answers for
// an instant.
func (g *Grant) ValidOn(d sla.Date) bool {
	return !before(d, g.From) && (g.Until == (sla.Date{}) || !before(g.Until, d))
}

// checkDay refuses a day that is not a real one within FirstYear through
// LastYear. what names it in the message.
func checkDay(what string, d sla.Date) error {
	if !d.Valid() || d.Year < FirstYear || d.Year > LastYear {
		return itsm.Errorf(itsm.CodeInvalid, "%s %04d-%02d-%02d is not a day of %d through %d", what, d.Year, int(d.Month), d.Day, FirstYear, LastYear)
	}
	return nil
}

// cleanPerson trims a person's identity and checks it.
func cleanPerson(what, p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", itsm.Errorf(itsm.CodeInvalid, "%s is empty", what)
	}
	return p, itsm.CheckLabel(what, p)
}
