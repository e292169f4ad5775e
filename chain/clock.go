package chain

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Clock is one service-level clock of a ticket: a metric of an agreement
// measured over the ticket's timeline.
type Clock struct {
	sla.Measurement
	// Provider answers for the clock: the desk for the customer's SLA, a
	// supplier for its UC or OLA, and the organisation of the group for an
	// OLA between groups (the desk itself for its first and second line).
	Provider itsm.ID
	// Group is the provider's group an OLA between groups names: its clock
	// runs only while that group holds the ticket. Zero for the others.
	Group itsm.ID
}

// Measured is a ticket as its clocks see it: the desk that owns it, the
// customer it serves (zero when it serves none in particular), who held it
// and its timeline.
type Measured struct {
	Desk     itsm.ID
	Customer itsm.ID
	Custody  *Custody
	Timeline itsm.Timeline
}

// Applies reports whether agreement a measures t: the customer SLA of the
// owning desk end to end, the UC or OLA of every supplier that held the
// ticket for that desk, and the desk's OLA of every group that held it
// (SL-1). A group's OLA with a desk applies to that desk's tickets only,
// whoever's the group is, so another desk's internal OLAs never measure it.
func (t Measured) Applies(a *sla.Agreement) bool {
	switch {
	case a.Kind == sla.KindSLA:
		return a.Provider == t.Desk && (t.Customer.IsZero() || a.Consumer == t.Customer)
	case !a.ProviderGroup.IsZero():
		// The timeline is what the clock measures: a group that held the
		// ticket appears in it, even when its organisation is the desk.
		return a.Consumer == t.Desk && a.HeldIn(t.Timeline)
	}
	return a.Consumer == t.Desk && t.Custody.Held(a.Provider)
}

// Clocks measures every clock of t among agreements as it stands at at:
// each metric of every agreement that applies to it and has a target at the
// ticket's priority. The priority in effect at at selects the targets and
// the whole history is measured against them, so a priority change
// re-measures from the start.
func (t Measured) Clocks(agreements []*sla.Agreement, at time.Time) ([]Clock, error) {
	var out []Clock
	for _, a := range agreements {
		if !t.Applies(a) {
			continue
		}
		var metrics []sla.Metric
		for _, tg := range a.Targets {
			if !slices.Contains(metrics, tg.Metric) {
				metrics = append(metrics, tg.Metric)
			}
		}
		for _, m := range metrics {
			me, err := a.Measure(t.Timeline, m, at)
			if itsm.IsCode(err, itsm.CodeNotFound) {
				continue // no target for this metric at this priority
			}
			if err != nil {
				return nil, err
			}
			out = append(out, Clock{Measurement: me, Provider: a.Provider, Group: a.ProviderGroup})
		}
	}
	return out, nil
}
