package report

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// requestTally accumulates the request figures of one group of orders in
// the reported period.
type requestTally struct {
	key, name                                      string
	placed, fulfilled, closed, declined, cancelled int
	lead, approval                                 []time.Duration
}

// requests accumulates Report.Requests: nil until an order matters to the
// reported period.
type requests struct {
	calendar *sla.Calendar
	total    requestTally
	types    map[string]*requestTally
	items    map[itsm.ID]*requestTally
}

// requestCalendar is the calendar of the request figures: the spec's, else
// that of the first target of the first agreement for requests; nil for
// calendar time.
func requestCalendar(spec *Spec) *sla.Calendar {
	if spec.Calendar != nil {
		return spec.Calendar
	}
	for _, a := range spec.Agreements {
		if a.Scope == sla.ScopeRequests && len(a.Targets) > 0 {
			return a.Targets[0].Calendar
		}
	}
	return nil
}

// addOrder counts order t in the request figures of the reported period p.
func (e *engine) addOrder(t *Ticket, p Period) {
	if e.requests == nil {
		e.requests = &requests{calendar: requestCalendar(&e.spec),
			types: map[string]*requestTally{}, items: map[itsm.ID]*requestTally{}}
	}
	r, o := e.requests, t.Order
	typ, ok := r.types[o.Type]
	if !ok {
		typ = &requestTally{key: o.Type}
		r.types[o.Type] = typ
	}
	item, ok := r.items[o.Item]
	if !ok {
		item = &requestTally{key: o.Item.String(), name: o.ItemName}
		r.items[o.Item] = item
	}
	working := func(to time.Time) time.Duration {
		if r.calendar == nil {
			return to.Sub(t.Registered)
		}
		return r.calendar.Between(t.Registered, to)
	}
	for _, g := range []*requestTally{&r.total, typ, item} {
		g.placed += b2i(within(t.Registered, p))
		g.closed += b2i(within(o.Closed, p))
		g.declined += b2i(within(o.Declined, p))
		g.cancelled += b2i(within(o.Cancelled, p))
		if within(o.Fulfilled, p) {
			g.fulfilled++
			g.lead = append(g.lead, working(o.Fulfilled))
		}
		if o.Approval != nil && within(o.Approval.Decided, p) {
			g.approval = append(g.approval, working(o.Approval.Decided))
		}
	}
}

// report returns the figures, or nil when no order mattered.
func (r *requests) report() *Requests {
	if r == nil {
		return nil
	}
	out := &Requests{Total: r.total.figures(), Types: []RequestGroup{}, Items: []RequestGroup{}}
	if r.calendar != nil {
		out.Calendar = r.calendar.Name()
	}
	for _, k := range slices.Sorted(maps.Keys(r.types)) {
		out.Types = append(out.Types, RequestGroup{Key: k, Figures: r.types[k].figures()})
	}
	items := make([]*requestTally, 0, len(r.items))
	for _, g := range r.items {
		items = append(items, g)
	}
	slices.SortFunc(items, func(a, b *requestTally) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.key, b.key)) })
	for _, g := range items {
		out.Items = append(out.Items, RequestGroup{Key: g.key, Name: g.name, Figures: g.figures()})
	}
	return out
}

func (g *requestTally) figures() RequestFigures {
	return RequestFigures{Placed: g.placed, Fulfilled: g.fulfilled, Closed: g.closed, Declined: g.declined,
		Cancelled: g.cancelled, LeadTime: times(g.lead), ApprovalTime: times(g.approval)}
}

// times describes ds, sorting it.
func times(ds []time.Duration) Times {
	slices.Sort(ds)
	t := Times{Count: len(ds)}
	t.Mean, t.Median, t.P90 = durationStats(ds)
	return t
}
