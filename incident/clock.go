package incident

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Clock is one service-level clock of an incident: a metric of an agreement
// measured over the incident's timeline. It is the chain's clock, which
// every kind of ticket held along the chain measures the same way.
type Clock = chain.Clock

// measured is inc as its clocks see it.
func measured(inc *Incident) chain.Measured {
	return chain.Measured{Desk: inc.Desk, Customer: inc.Customer, Custody: &inc.Custody, Timeline: inc.Timeline}
}

// Clocks measures every clock of the incident as it stands at at: each
// metric of the customer SLA, of the UC or OLA of each supplier that held
// it, and of the OLA of each group that held it, that has a target at the
// incident's priority (chain.Measured.Clocks). Only the agreements scoped
// to incidents measure an incident: one scoped to requests measures the
// orders whose item names it, even where its parties match (decision 82).
// Every clock of an incident, its due index and its queue order come from
// here.
func (s *Service) Clocks(inc *Incident, at time.Time) ([]Clock, error) {
	return measured(inc).Clocks(forIncidents(s.Agreements()), at)
}

// forIncidents returns the agreements of as that measure incidents, as
// itself when all do, so that the common case allocates nothing.
func forIncidents(as []*sla.Agreement) []*sla.Agreement {
	other := func(a *sla.Agreement) bool { return !a.Scope.Incidents() }
	if !slices.ContainsFunc(as, other) {
		return as
	}
	return slices.DeleteFunc(slices.Clone(as), other)
}

// Index names of incident records in the store. Queries use them through
// Service.List and Service.Due; they are listed here for tools that read the
// store directly.
const (
	IndexNumber   = "number"   // unique: the master number
	IndexKey      = "key"      // unique: "desk key" of a registration's idempotency key
	IndexState    = "state"    // the state
	IndexHolder   = "holder"   // the organisation holding it
	IndexHeld     = "held"     // "org" and "org state" for each organisation that holds or held it
	IndexCustomer = "customer" // "org" and "org state" for the customer
	IndexCaller   = "caller"   // the caller's person
	IndexCI       = "ci"       // each configuration item
	IndexProblem  = "problem"  // the linked problem
	IndexParent   = "parent"   // the parent incident
	// IndexWorkaround holds the workaround that resolved the incident while
	// its outcome names one (Service.ResolvedBy).
	IndexWorkaround = "workaround"
	IndexMajor      = "major" // "major" while a major incident
	IndexRegister   = "registered"
	// IndexDue holds "due provider kind metric" for each running clock,
	// the due time first (itsm.IndexTime), so that a range over it finds the
	// clocks due in a time window.
	IndexDue = "due"
	// IndexDueBy holds "provider due kind metric", so that a range over one
	// provider's values finds its clocks due in a window.
	IndexDueBy = "due_by"
	// IndexEnded holds, for each organisation that may see the incident
	// (those of IndexHeld and the customer), "org ended registered" once it
	// is closed or cancelled and "org open registered" until then, both
	// times as itsm.IndexTime. A period's tickets are then two range scans
	// per organisation, the open ones registered before the period's end and
	// the ones that ended at or after its start, without reading the
	// incidents that ended before it (Service.Tickets).
	IndexEnded = "ended"
)

// record builds the store record of inc, measuring its clocks at at for the
// due-time index values. Due times of running clocks do not move until the
// incident changes again, so the values stay true between changes.
func (s *Service) record(inc *Incident, at time.Time) (itsm.Record, error) {
	body, err := json.Marshal(inc)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode incident %s", inc.Number)
	}
	state := string(inc.State)
	idx := map[string][]string{
		IndexState:    {state},
		IndexHolder:   {inc.Holder.String()},
		IndexCaller:   {inc.Caller.Person},
		IndexRegister: {itsm.IndexTime(inc.Registered)},
	}
	orgs := []itsm.ID{inc.Desk}
	for _, a := range inc.Assignments {
		if !slices.Contains(orgs, a.Organisation) {
			orgs = append(orgs, a.Organisation)
		}
	}
	for _, o := range orgs {
		idx[IndexHeld] = append(idx[IndexHeld], o.String(), o.String()+" "+state)
	}
	if !inc.Customer.IsZero() {
		idx[IndexCustomer] = []string{inc.Customer.String(), inc.Customer.String() + " " + state}
	}
	span := endedValue(inc)
	for _, o := range orgs {
		idx[IndexEnded] = append(idx[IndexEnded], o.String()+" "+span)
	}
	if !inc.Customer.IsZero() {
		idx[IndexEnded] = append(idx[IndexEnded], inc.Customer.String()+" "+span)
	}
	for _, ci := range inc.CIs {
		idx[IndexCI] = append(idx[IndexCI], ci.String())
	}
	if !inc.Problem.IsZero() {
		idx[IndexProblem] = []string{inc.Problem.String()}
	}
	if inc.Outcome != nil && !inc.Outcome.Workaround.IsZero() {
		idx[IndexWorkaround] = []string{inc.Outcome.Workaround.String()}
	}
	if !inc.Parent.IsZero() {
		idx[IndexParent] = []string{inc.Parent.String()}
	}
	if inc.Major {
		idx[IndexMajor] = []string{"major"}
	}
	clocks, err := s.Clocks(inc, at)
	if err != nil {
		return itsm.Record{}, err
	}
	for _, c := range clocks {
		if c.Status != sla.StatusRunning || c.Due.IsZero() {
			continue
		}
		what := string(c.Kind) + " " + string(c.Metric)
		due := itsm.IndexTime(c.Due)
		idx[IndexDue] = append(idx[IndexDue], due+" "+c.Provider.String()+" "+what)
		idx[IndexDueBy] = append(idx[IndexDueBy], c.Provider.String()+" "+due+" "+what)
	}
	addQueueIndex(idx, inc, clocks)
	return itsm.Record{Kind: Kind, ID: inc.ID, Body: body,
		Unique: uniques(inc), Index: idx}, nil
}

// endedValue is the part of inc's IndexEnded values after the organisation:
// "ended registered" or "open registered".
func endedValue(inc *Incident) string {
	reg := itsm.IndexTime(inc.Registered)
	if end, ok := ended(inc); ok {
		return itsm.IndexTime(end) + " " + reg
	}
	return endedOpen + " " + reg
}

// endedOpen marks an incident that has not ended in IndexEnded. It sorts
// after every itsm.IndexTime value, which begins with a digit.
const endedOpen = "open"

// ended returns when inc was closed or cancelled, the last time it was: the
// start of the run of intervals in that state that ends its timeline.
func ended(inc *Incident) (time.Time, bool) {
	if inc.State != StateClosed && inc.State != StateCancelled {
		return time.Time{}, false
	}
	i := len(inc.Timeline) - 1
	if i < 0 {
		return inc.Changed, true
	}
	for i > 0 && inc.Timeline[i-1].State == inc.State {
		i--
	}
	return inc.Timeline[i].Start, true
}

// DueClock is a running clock found by Service.Due.
type DueClock struct {
	Incident *Incident
	Provider itsm.ID
	Kind     sla.Kind
	Metric   sla.Metric
	Due      time.Time
}

// parseDue reads a value of IndexDue or IndexDueBy.
func parseDue(v string, byProvider bool) (DueClock, error) {
	f := strings.Fields(v)
	if len(f) != 4 {
		return DueClock{}, itsm.Errorf(itsm.CodeInternal, "due index value %q has %d fields, not 4", v, len(f))
	}
	when, who := f[0], f[1]
	if byProvider {
		when, who = who, when
	}
	t, err := time.Parse(time.RFC3339Nano, when)
	if err != nil {
		return DueClock{}, itsm.Wrap(itsm.CodeInternal, err, "due index value %q", v)
	}
	p, err := itsm.ParseID(who)
	if err != nil {
		return DueClock{}, itsm.Wrap(itsm.CodeInternal, err, "due index value %q", v)
	}
	return DueClock{Provider: p, Kind: sla.Kind(f[2]), Metric: sla.Metric(f[3]), Due: t}, nil
}

// uniques are the values no two incidents share: the number, and the
// idempotency key within its desk.
func uniques(inc *Incident) map[string]string {
	u := map[string]string{IndexNumber: inc.Number.String()}
	if inc.Key != "" {
		u[IndexKey] = inc.Desk.String() + " " + inc.Key
	}
	return u
}
