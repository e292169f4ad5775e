package incident_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A desk configures its rota of major-incident managers, with a swap entered
// on top of the week, its contacts per service and the escalation of P1 and
// P2 to the delivery manager, then declares a major incident. The Notifier
// here prints; an application plugs in e-mail, SMS or a webhook
// (incident/httpnotify).
func ExampleService_DeclareMajor() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.MustParseID("01900000-0000-7000-8000-000000000001"), Name: "City desk", Role: itsm.OrgDesk}
	city := itsm.Organisation{ID: itsm.MustParseID("01900000-0000-7000-8000-000000000002"), Name: "City", Role: itsm.OrgCustomer}
	dir, err := incident.NewOrganisations(desk, city)
	if err != nil {
		panic(err)
	}
	perms := itsm.NewPermissions()
	perms.Grant(desk.ID, itsm.DomainIncident, itsm.AccessAll)
	store := memstore.New()
	defer store.Close()

	monday := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	clock := itsm.NewManualClock(monday.Add(90 * time.Minute))
	svc, err := incident.New(incident.Config{
		Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: clock,
		Major: incident.Major{
			Roster: []incident.Duty{
				{Person: "mona", Channel: "sms", Address: "+46700000001", From: monday, To: monday.AddDate(0, 0, 7)},
				// Pia covers Monday morning for Mona.
				{Person: "pia", Channel: "sms", Address: "+46700000002", From: monday.Add(time.Hour), To: monday.Add(5 * time.Hour)},
			},
			Contacts: []incident.Contact{
				{Person: "dave", Role: itsm.RoleDeliveryManager, Channel: "email", Address: "dave@desk.example"},
				{Person: "sara", Service: "school network", Channel: "sms", Address: "+46700000003"},
				{Person: "erik", Service: "e-mail", Channel: "email", Address: "erik@city.example"},
			},
			Escalation: map[itsm.Priority][]itsm.Role{1: {itsm.RoleDeliveryManager}, 2: {itsm.RoleDeliveryManager}},
			Notifier: incident.NotifierFunc(func(_ context.Context, m incident.Message) error {
				fmt.Printf("send %s to %s: %s\n", m.To.Channel, m.To.Address, m.Subject)
				return nil
			}),
		},
	})
	if err != nil {
		panic(err)
	}

	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	inc, err := svc.Register(ctx, agent, incident.Registration{
		Customer: city.ID, Caller: incident.Caller{Person: "ulla"}, Channel: incident.ChannelPhone,
		Service: "school network", Category: "network", Summary: "No school is on line",
		Impact: itsm.ImpactHigh, Urgency: itsm.UrgencyMedium, // P2: the delivery manager is told
	})
	if err != nil {
		panic(err)
	}
	clock.Advance(10 * time.Minute)
	inc, err = svc.DeclareMajor(ctx, agent, inc.ID, "every school in the city is off line")
	if err != nil {
		panic(err)
	}

	fmt.Printf("%s is a major incident led by %s\n", inc.Number, inc.MajorManager)
	for _, e := range inc.Journal {
		if e.Kind == incident.EntryNotification {
			fmt.Printf("%s %s\n", e.Time.Format("15:04"), e.Text)
		}
	}
	// Output:
	// send email to dave@desk.example: P2 incident INC0000001: No school is on line
	// send sms to +46700000002: Major incident INC0000001: No school is on line
	// send email to dave@desk.example: Major incident INC0000001: No school is on line
	// send sms to +46700000003: Major incident INC0000001: No school is on line
	// INC0000001 is a major incident led by pia
	// 09:30 P2 incident INC0000001: No school is on line -> dave (email dave@desk.example)
	// 09:40 Major incident INC0000001: No school is on line -> pia (sms +46700000002)
	// 09:40 Major incident INC0000001: No school is on line -> dave (email dave@desk.example)
	// 09:40 Major incident INC0000001: No school is on line -> sara (sms +46700000003)
}
