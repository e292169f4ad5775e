package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// clockList is a ticket's clocks as the actor's organisation may read
// them: the desk reads every one; a supplier those of its own agreements
// and a customer those of its own SLAs, since the desk's contracts with
// others are not theirs to read (SD-10, SD-13). An incident's SLA is its
// customer's anyway; a problem serves no customer in particular, so every
// SLA of its desk on problems measures it, and a customer must not learn
// another customer's (decision 111).
func (a *API) clockList(ctx context.Context, who itsm.Actor, clocks []chain.Clock) (api.ClockList, error) {
	org, err := a.dir.Organisation(ctx, who.Organisation)
	if err != nil {
		return api.ClockList{}, err
	}
	// An SLA is named uniquely among its desk's agreements, and its desk
	// is its provider, so the provider and the name find it.
	type slaKey struct {
		desk itsm.ID
		name string
	}
	var own map[slaKey]bool
	if org.Role == itsm.OrgCustomer {
		own = map[slaKey]bool{}
		for _, ag := range a.svc.Agreements() {
			if ag.Kind == sla.KindSLA && ag.Consumer == org.ID {
				own[slaKey{ag.Provider, ag.Name}] = true
			}
		}
	}
	out := api.ClockList{Items: make([]api.Clock, 0, len(clocks))}
	for _, c := range clocks {
		switch {
		case org.Role == itsm.OrgSupplier && c.Provider != org.ID:
			continue
		case org.Role == itsm.OrgCustomer && (c.Kind != sla.KindSLA || !own[slaKey{c.Provider, c.Agreement}]):
			continue
		}
		out.Items = append(out.Items, api.Clock{Agreement: c.Agreement, Breached: c.Breached, Due: c.Due,
			Elapsed: report.Duration(c.Elapsed), Kind: c.Kind, Metric: c.Metric, Missed: c.Missed,
			Priority: c.Priority, Provider: c.Provider, Group: c.Group, Remaining: report.Duration(c.Remaining),
			Status: c.Status, Target: report.Duration(c.Target), Warning: c.Warning})
	}
	return out, nil
}
