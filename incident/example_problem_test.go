package incident_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

// knownWorkarounds is the workaround database of the example; package
// problem's service is the real one.
type knownWorkarounds []itsm.ID

func (k knownWorkarounds) CheckWorkaround(_ itsm.ReadTx, id itsm.ID) error {
	for _, w := range k {
		if w == id {
			return nil
		}
	}
	return itsm.Errorf(itsm.CodeNotFound, "workaround %s not found", id)
}

// The problem service links an incident to a problem in its own write
// transaction, making it wait for the problem; the customer's SLA, which
// pauses while an incident waits for a problem, stands still. Later the
// desk tells the user the workaround and resolves the incident with it, in
// one transaction, and the workaround counts one incident resolved.
func ExampleService_LinkProblem() {
	ctx := context.Background()
	city := itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer}
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	dir, _ := incident.NewOrganisations(city, desk)
	perms := itsm.NewPermissions().Grant(desk.ID, itsm.DomainIncident, itsm.AccessAll)
	always, _ := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	target := sla.Target{Metric: sla.MetricResolution, Priority: 3, Within: 8 * time.Hour, Calendar: always,
		Pause: []itsm.State{incident.StateWaitingProblem}, Stop: []itsm.State{incident.StateResolved, incident.StateClosed}}
	workaround := itsm.NewID()
	clock := itsm.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	store := memstore.New()
	defer store.Close()
	svc, err := incident.New(incident.Config{
		Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: clock,
		Agreements: []*sla.Agreement{{Name: "city SLA", Kind: sla.KindSLA, Provider: desk.ID, Consumer: city.ID,
			Objective: 0.95, Targets: []sla.Target{target}}},
		Workarounds: knownWorkarounds{workaround},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	inc, err := svc.Register(ctx, agent, incident.Registration{
		Customer: city.ID, Caller: incident.Caller{Person: "ulla"}, Channel: incident.ChannelPhone,
		Summary: "Mail does not sync", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	problem := itsm.NewID() // the problem service's record
	clock.Advance(time.Hour)
	err = store.Write(ctx, func(tx itsm.WriteTx) error {
		// The problem's own change would be written here, in tx too.
		inc, err = svc.LinkProblem(ctx, tx, agent, inc.ID, problem, true)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock.Advance(3 * time.Hour)
	clocks, _ := svc.Clocks(inc, clock.Now())
	fmt.Printf("%s %s, SLA %s after %s\n", inc.Number, inc.State, clocks[0].Status, clocks[0].Elapsed)

	var resolvedBy int
	err = store.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := svc.TellWorkaround(ctx, tx, agent, inc.ID, problem, workaround, "Restart the mail app."); err != nil {
			return err
		}
		if inc, err = svc.ResolveForProblem(ctx, tx, agent, inc.ID, problem, workaround, "The restart helped."); err != nil {
			return err
		}
		resolvedBy, err = svc.ResolvedBy(tx, workaround)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s with code %s; the workaround resolved %d incident\n", inc.Number, inc.State, inc.Outcome.Code, resolvedBy)
	// Output:
	// INC0000001 waiting_problem, SLA paused after 1h0m0s
	// INC0000001 resolved with code workaround; the workaround resolved 1 incident
}
