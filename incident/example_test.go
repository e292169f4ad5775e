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

// A desk registers an incident and delegates it to a supplier, which accepts
// it and reports back; the desk informs the user and closes it. The clocks
// show the customer's SLA end to end and the supplier's UC for the time it
// held the incident.
func ExampleService() {
	ctx := context.Background()
	city := itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer}
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	net := itsm.Organisation{ID: itsm.NewID(), Name: "Network", Role: itsm.OrgSupplier}
	dir, _ := incident.NewOrganisations(city, desk, net)
	perms := itsm.NewPermissions().
		Grant(desk.ID, itsm.DomainIncident, itsm.AccessAll).
		Grant(net.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite)

	always, _ := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	done := []itsm.State{incident.StateResolved, incident.StateClosed}
	resolution := func(within time.Duration) []sla.Target {
		return []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: within, Calendar: always, Stop: done}}
	}
	clock := itsm.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	store := memstore.New()
	defer store.Close()
	svc, err := incident.New(incident.Config{
		Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: clock,
		Agreements: []*sla.Agreement{
			{Name: "city SLA", Kind: sla.KindSLA, Provider: desk.ID, Consumer: city.ID, Objective: 0.95, Targets: resolution(8 * time.Hour)},
			{Name: "network UC", Kind: sla.KindUC, Provider: net.ID, Consumer: desk.ID, Objective: 0.95, Targets: resolution(6 * time.Hour)},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	nils := itsm.Actor{Organisation: net.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}}

	inc, err := svc.Register(ctx, agent, incident.Registration{
		Customer: city.ID, Caller: incident.Caller{Person: "ulla"}, Channel: incident.ChannelPhone,
		Summary: "School network down", Description: "No school in the north district can connect.",
		Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyHigh,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := inc.ID
	show := func(inc *incident.Incident, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		holder := map[itsm.ID]string{desk.ID: "desk", net.ID: "network"}[inc.Holder]
		fmt.Printf("%s %s %s held by %s\n", clock.Now().Format("15:04"), inc.Number, inc.State, holder)
	}
	show(inc, nil)
	clock.Advance(15 * time.Minute)
	show(svc.Delegate(ctx, agent, id, incident.Delegation{Organisation: net.ID}))
	clock.Advance(30 * time.Minute)
	show(svc.Accept(ctx, nils, id))
	clock.Advance(2 * time.Hour)
	show(svc.ReportBack(ctx, nils, id, incident.Resolution{Code: "hardware", Text: "Replaced a switch."}))
	clock.Advance(10 * time.Minute)
	inc, err = svc.Close(ctx, agent, id, "The network is back.")
	show(inc, err)

	clocks, _ := svc.Clocks(inc, clock.Now())
	for _, c := range clocks {
		fmt.Printf("%s %s: %s of %s, %s\n", c.Agreement, c.Metric, c.Elapsed, c.Target, c.Status)
	}
	// Output:
	// 09:00 INC0000001 registered held by desk
	// 09:15 INC0000001 delegated held by network
	// 09:45 INC0000001 in_progress held by network
	// 11:45 INC0000001 resolved held by network
	// 11:55 INC0000001 closed held by network
	// city SLA resolution: 2h45m0s of 8h0m0s, stopped
	// network UC resolution: 2h30m0s of 6h0m0s, stopped
}

// The desk asks what breaches within the next hour, and a supplier what of
// its own is already breached, each with one index query. The supplier's UC
// wants a status update every two hours (SD-8).
func ExampleService_Due() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	net := itsm.Organisation{ID: itsm.NewID(), Name: "Network", Role: itsm.OrgSupplier}
	dir, _ := incident.NewOrganisations(desk, net)
	perms := itsm.NewPermissions().
		Grant(desk.ID, itsm.DomainIncident, itsm.AccessAll).
		Grant(net.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite)
	always, _ := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	update := sla.Target{Metric: sla.MetricUpdate, Priority: 3, Within: 2 * time.Hour, Calendar: always,
		Stop: []itsm.State{incident.StateResolved, incident.StateClosed}}
	clock := itsm.NewManualClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	store := memstore.New()
	defer store.Close()
	svc, err := incident.New(incident.Config{
		Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: clock,
		Agreements: []*sla.Agreement{{Name: "network UC", Kind: sla.KindUC, Provider: net.ID, Consumer: desk.ID,
			Objective: 0.9, Targets: []sla.Target{update}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	nils := itsm.Actor{Organisation: net.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}}
	inc, err := svc.Register(ctx, agent, incident.Registration{Caller: incident.Caller{Person: "ulla"},
		Channel: incident.ChannelPortal, Summary: "Wifi drops", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := svc.Delegate(ctx, agent, inc.ID, incident.Delegation{Organisation: net.ID}); err != nil {
		fmt.Println(err)
		return
	}
	clock.Advance(90 * time.Minute)

	now := clock.Now()
	soon, _ := svc.Due(ctx, agent, incident.DueQuery{From: now, To: now.Add(time.Hour)})
	for _, c := range soon.Clocks {
		fmt.Printf("within the hour: %s %s %s at %s\n", c.Incident.Number, c.Kind, c.Metric, c.Due.Format("15:04"))
	}
	clock.Advance(time.Hour)
	late, _ := svc.Due(ctx, nils, incident.DueQuery{Provider: net.ID, To: clock.Now()})
	for _, c := range late.Clocks {
		fmt.Printf("breached: %s %s %s since %s\n", c.Incident.Number, c.Kind, c.Metric, c.Due.Format("15:04"))
	}
	// Output:
	// within the hour: INC0000001 UC update at 11:00
	// breached: INC0000001 UC update since 11:00
}

// The delegation contact list proposes the most specific route: a
// configuration item beats the supplier the CMDB says maintains the
// incident's items, which beats a subcategory, which beats a category.
func ExamplePropose() {
	network, wifi, printers, hosting := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
	names := map[itsm.ID]string{network: "network", wifi: "wifi specialists", printers: "print service", hosting: "hosting"}
	printer, server := itsm.NewID(), itsm.NewID()
	routes := []incident.Route{
		{Category: "network", Organisation: network},
		{Category: "network", Subcategory: "wifi", Organisation: wifi},
		{CI: printer, Organisation: printers},
		{ItemSupplier: true},
	}
	// responsible stands for the CMDB (Config.Items): who maintains each
	// item.
	responsible := map[itsm.ID]itsm.ID{server: hosting}
	for _, inc := range []*incident.Incident{
		{Category: "network", Subcategory: "vpn"},
		{Category: "network", Subcategory: "wifi"},
		{Category: "network", Subcategory: "wifi", CIs: []itsm.ID{printer}},
		{Category: "network", Subcategory: "wifi", CIs: []itsm.ID{server}},
		{Category: "telephony"},
	} {
		var supplier itsm.ID
		for _, ci := range inc.CIs {
			if supplier = responsible[ci]; !supplier.IsZero() {
				break
			}
		}
		r, ok := incident.Propose(routes, inc, supplier)
		fmt.Printf("%s/%s %d items: %s %t\n", inc.Category, inc.Subcategory, len(inc.CIs), names[r.Organisation], ok)
	}
	// Output:
	// network/vpn 0 items: network true
	// network/wifi 0 items: wifi specialists true
	// network/wifi 1 items: print service true
	// network/wifi 1 items: hosting true
	// telephony/ 0 items:  false
}
