package incident

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Directory finds the organisations that actors act for, so that the service
// can tell the desk from a supplier (SD-4) without owning the register of
// organisations.
type Directory interface {
	// Organisation returns the organisation with the ID, or an error with
	// CodeNotFound.
	Organisation(ctx context.Context, id itsm.ID) (itsm.Organisation, error)
}

// Organisations is a Directory held in memory, for configurations that do not
// change while the service runs.
type Organisations map[itsm.ID]itsm.Organisation

// NewOrganisations validates orgs and returns them as a Directory.
func NewOrganisations(orgs ...itsm.Organisation) (Organisations, error) {
	d := make(Organisations, len(orgs))
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if _, dup := d[o.ID]; dup {
			return nil, itsm.Errorf(itsm.CodeInvalid, "organisation %s is listed twice", o.ID)
		}
		d[o.ID] = o
	}
	return d, nil
}

// Organisation returns the organisation with the ID.
func (d Organisations) Organisation(_ context.Context, id itsm.ID) (itsm.Organisation, error) {
	if o, ok := d[id]; ok {
		return o, nil
	}
	return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "organisation %s is unknown", id)
}

// Route is one line of the delegation contact list (SD-11): incidents that
// match it go to Organisation and, if set, its Group (an ID of the
// organisation's groups, checked when the desk delegates). Empty match
// fields match anything; a route with no match field at all is the
// fallback.
//
// A route with ItemSupplier names no organisation: it goes to the supplier
// responsible for the incident's configuration items in the CMDB
// (Config.Items), that of the first item that has one, and matches only an
// incident that has such an item. It names no group, since it does not
// know whose it would be, and no CI, since a route for one item can name
// the item's organisation itself.
type Route struct {
	CI           itsm.ID `json:"ci,omitzero"`
	ItemSupplier bool    `json:"item_supplier,omitempty"`
	Service      string  `json:"service,omitempty"`
	Category     string  `json:"category,omitempty"`
	Subcategory  string  `json:"subcategory,omitempty"`

	Organisation itsm.ID `json:"organisation"`
	Group        itsm.ID `json:"group,omitzero"`
}

// matches reports whether the route matches inc, whose items' supplier is
// itemSupplier (zero when none answers for them).
func (r Route) matches(inc *Incident, itemSupplier itsm.ID) bool {
	return (r.CI.IsZero() || slices.Contains(inc.CIs, r.CI)) &&
		(!r.ItemSupplier || !itemSupplier.IsZero()) &&
		(r.Service == "" || r.Service == inc.Service) &&
		(r.Category == "" || r.Category == inc.Category) &&
		(r.Subcategory == "" || r.Subcategory == inc.Subcategory)
}

// specificity ranks routes so that the most specific match wins: a
// configuration item named beats the supplier responsible for the items,
// which beats a subcategory, a category, a service, in that order. The
// responsible supplier outranks the labels because the CMDB knows who
// maintains the failing item, where a category says only what kind of
// failure the desk took it for (decision 171).
func (r Route) specificity() int {
	n := 0
	if !r.CI.IsZero() {
		n += 16
	}
	if r.ItemSupplier {
		n += 8
	}
	if r.Subcategory != "" {
		n += 4
	}
	if r.Category != "" {
		n += 2
	}
	if r.Service != "" {
		n++
	}
	return n
}

// Propose returns the route of the most specific rule that matches the
// incident; of equally specific ones, the first listed. It reports false when
// no rule matches. itemSupplier is the supplier responsible for the
// incident's configuration items (Config.Items' Responsible of the first
// item that has one), zero when none has or there is no CMDB: routes with
// ItemSupplier match only when it is set, and the route returned for one
// names it as its Organisation.
func Propose(routes []Route, inc *Incident, itemSupplier itsm.ID) (Route, bool) {
	best, found := Route{}, false
	for _, r := range routes {
		if r.matches(inc, itemSupplier) && (!found || r.specificity() > best.specificity()) {
			best, found = r, true
		}
	}
	if found && best.ItemSupplier {
		best.Organisation = itemSupplier
	}
	return best, found
}

// Config is what a Service needs. Store, Directory, Permissions and Matrix
// are required.
type Config struct {
	Store       itsm.Store
	Directory   Directory
	Permissions *itsm.Permissions
	// Matrix turns impact and urgency into the priority (IM-2).
	Matrix itsm.Matrix
	// Agreements are the customer SLAs (provided by a desk) and the
	// suppliers' UCs and OLAs (consumed by a desk) that clocks are measured
	// against.
	Agreements []*sla.Agreement
	// Routes is the delegation contact list (SD-11).
	Routes []Route
	// Items is the configuration management database (IM-6, CM-2),
	// which package cmdb's Service implements: the configuration items a
	// registration or Relate adds to an incident must be items of the
	// desk's CMDB in use, checked in the command's write transaction, and
	// routes with ItemSupplier follow the supplier it says is responsible
	// for them. Nil relates incidents to item IDs unchecked, as before the
	// CMDB, and allows no route with ItemSupplier.
	Items itsm.ConfigItems
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// ReopenWindow is how long after its closure an incident may be
	// reopened, in calendar time, at the desks ReopenWindows does not name;
	// zero means DefaultReopenWindow. A resolved incident the desk has not
	// closed may always be reopened: its user still waits for the desk.
	ReopenWindow time.Duration
	// ReopenWindows are the reopen windows of the desks that have their
	// own, by desk. Zero there means that the desk's closed incidents are
	// never reopened.
	ReopenWindows map[itsm.ID]time.Duration
	// NumberPrefix of master numbers; "" means "INC".
	NumberPrefix string
	// Workarounds checks the workarounds that resolutions and the desk's
	// communications name (PM-2); nil means that there is no workaround
	// database, and a command naming a workaround is refused.
	Workarounds Workarounds
	// Major configures major incidents and the escalation of P1 and P2
	// incidents (IM-4, IM-5); the zero value notifies nobody.
	Major Major
}

// Workarounds is the workaround database as incidents need it: whether a
// workaround may be named now. Package problem's Service implements it;
// incident declares it so that it does not import problem, which imports
// incident.
type Workarounds interface {
	// CheckWorkaround returns nil if the workaround with id exists and may
	// be used, and otherwise an itsm error saying why not (CodeNotFound for
	// one unknown, CodeConflict or CodeInvalid for a retired one). It reads
	// in tx, the incident command's write transaction, so that the check
	// and the resolution see one database.
	CheckWorkaround(tx itsm.ReadTx, id itsm.ID) error
}

// DefaultReopenWindow is the reopen window when Config leaves it zero.
const DefaultReopenWindow = 5 * 24 * time.Hour

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return itsm.Errorf(itsm.CodeInvalid, "incident config: store is nil")
	case c.Directory == nil:
		return itsm.Errorf(itsm.CodeInvalid, "incident config: directory is nil")
	case c.Permissions == nil:
		return itsm.Errorf(itsm.CodeInvalid, "incident config: permissions are nil")
	case c.Matrix.Levels() == 0:
		return itsm.Errorf(itsm.CodeInvalid, "incident config: the priority matrix is empty")
	case c.ReopenWindow < 0:
		return itsm.Errorf(itsm.CodeInvalid, "incident config: reopen window %s is negative", c.ReopenWindow)
	}
	for desk, w := range c.ReopenWindows {
		switch {
		case desk.IsZero():
			return itsm.Errorf(itsm.CodeInvalid, "incident config: a reopen window names no desk")
		case w < 0:
			return itsm.Errorf(itsm.CodeInvalid, "incident config: reopen window %s of desk %s is negative", w, desk)
		}
	}
	if c.NumberPrefix != "" {
		if err := itsm.ValidateNumberPrefix(c.NumberPrefix); err != nil {
			return err
		}
	}
	for _, a := range c.Agreements {
		if a == nil {
			return itsm.Errorf(itsm.CodeInvalid, "incident config: an agreement is nil")
		}
		if err := a.Validate(); err != nil {
			return err
		}
	}
	for i, r := range c.Routes {
		switch {
		case !r.ItemSupplier && r.Organisation.IsZero():
			return itsm.Errorf(itsm.CodeInvalid, "incident config: route %d has no organisation", i)
		case !r.ItemSupplier:
		case !r.Organisation.IsZero() || !r.Group.IsZero():
			return itsm.Errorf(itsm.CodeInvalid, "incident config: route %d goes to the supplier responsible for the configuration items, so it names no organisation or group", i)
		case !r.CI.IsZero():
			return itsm.Errorf(itsm.CodeInvalid, "incident config: route %d names configuration item %s and follows the items' supplier; a route for one item names its organisation", i, r.CI)
		case c.Items == nil:
			return itsm.Errorf(itsm.CodeInvalid, "incident config: route %d follows the supplier responsible for the configuration items, and there are no Items to ask", i)
		}
	}
	return c.Major.validate()
}
