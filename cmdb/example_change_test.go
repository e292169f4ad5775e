package cmdb_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A supplier tells the desk of a planned outage of a server on the night
// the clocks go back; the desk records the object owner's approval, and
// the city's users see the outage, with the service it takes down, the
// week before. The window, given on Stockholm's wall clocks from 01:00 to
// 04:00, is four hours long.
func ExampleService_CreateChange() {
	ctx := context.Background()
	dir, _ := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: hostID, Name: "Host", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer})
	perms := itsm.NewPermissions().
		Grant(deskID, itsm.DomainCMDB, itsm.AccessAll).
		Grant(hostID, itsm.DomainCMDB, itsm.AccessRead|itsm.AccessWrite)
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	clock := itsm.NewManualClock(time.Date(2026, 10, 19, 9, 0, 0, 0, stockholm))
	svc, err := cmdb.New(ctx, cmdb.Config{Store: memstore.New(), Directory: dir, Permissions: perms, Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()
	agent := itsm.Actor{Organisation: deskID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}}
	host := itsm.Actor{Organisation: hostID, Person: "hugo", Roles: []itsm.Role{itsm.RoleAgent}}
	user := itsm.Actor{Organisation: cityID, Person: "clara"}

	srv, _ := svc.Create(ctx, agent, cmdb.NewItem{Class: "server",
		ItemEdit: cmdb.ItemEdit{Name: "app01", Supplier: hostID, Attributes: map[string]string{"host_name": "app01"}}})
	app, _ := svc.Create(ctx, agent, cmdb.NewItem{Class: "application",
		Relations: []cmdb.Relation{{Type: "runs_on", To: srv.ID}}, ItemEdit: cmdb.ItemEdit{Name: "Ekonomi"}})
	_, err = svc.Create(ctx, agent, cmdb.NewItem{Class: "business_service",
		Relations: []cmdb.Relation{{Type: "depends_on", To: app.ID}},
		ItemEdit:  cmdb.ItemEdit{Name: "Ekonomitjänst", Consumers: []cmdb.Consumer{{Unit: "Ekonomikontoret", Users: 40}}}})
	if err != nil {
		fmt.Println(err)
		return
	}

	ch, err := svc.CreateChange(ctx, host, cmdb.NewChange{Desk: deskID, ChangeEdit: cmdb.ChangeEdit{
		Title:  "Byte av moderkort i app01",
		Window: cmdb.LocalWindow{Start: "2026-10-25T01:00", End: "2026-10-25T04:00"},
		Items:  []itsm.ID{srv.ID}, Effect: cmdb.ChangeEffectOutage,
		Texts: cmdb.Texts{SV: "Ekonomisystemet är stängt natten till söndag.",
			EN: "The finance system is closed on Saturday night."}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Number, ch.State, ch.Window.End.Sub(ch.Window.Start))
	if _, err := svc.ApproveChange(ctx, agent, ch.ID, "Olle Ägare", time.Time{}); err != nil {
		fmt.Println(err)
		return
	}
	outages, err := svc.Outages(ctx, user, deskID, time.Time{}, 7*24*time.Hour)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range outages {
		fmt.Println(o.Number, o.Window.Local().Start, "to", o.Window.Local().End)
		fmt.Println(o.Texts.In(cmdb.English))
		for _, s := range o.Services {
			fmt.Println(s.Name, s.Health)
		}
	}
	// Output:
	// CHG0000001 draft 4h0m0s
	// CHG0000001 2026-10-25T01:00:00+02:00 to 2026-10-25T04:00:00+01:00
	// The finance system is closed on Saturday night.
	// Ekonomitjänst down
}
