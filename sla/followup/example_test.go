package followup_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The desk drafts November for the city, which rejects it because a ticket
// is missing; the desk redrafts, and the city approves. In December another
// late ticket turns up: the approved November stays as it was, and the desk
// corrects it with version 2, which the city approves with its credit.
func ExampleService() {
	ctx := context.Background()
	city := itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer}
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	// Any Directory will do, such as incident.Organisations.
	dir := directory{city.ID: city, desk.ID: desk}
	perms := itsm.NewPermissions().
		Grant(desk.ID, itsm.DomainServiceLevel, itsm.AccessAll).
		Grant(city.ID, itsm.DomainServiceLevel, itsm.AccessRead|itsm.AccessWrite)

	always, _ := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	citySLA := &sla.Agreement{Name: "city SLA", Kind: sla.KindSLA, Provider: desk.ID, Consumer: city.ID, Objective: 0.75,
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour, Calendar: always,
			Stop: []itsm.State{"resolved", "closed"}}},
		Credits: &sla.Credits{MonthlyFee: 50_000_00, Currency: "SEK", Steps: []sla.CreditStep{{Above: 0, Percent: 5}}, Cap: 20}}
	var tickets []report.Ticket
	resolved := func(day int, took time.Duration) {
		start := time.Date(2026, time.November, day, 9, 0, 0, 0, time.UTC)
		tickets = append(tickets, report.Ticket{ID: itsm.NewID(), Desk: desk.ID, Customer: city.ID, Registered: start,
			Timeline: itsm.Timeline{
				{Start: start, State: "in_progress", Holder: desk.ID, Priority: 2},
				{Start: start.Add(took), State: "resolved", Holder: desk.ID, Priority: 2},
			}})
	}
	resolved(3, 2*time.Hour)
	resolved(10, 3*time.Hour)
	resolved(17, 12*time.Hour)

	store := memstore.New()
	defer store.Close()
	clock := itsm.NewManualClock(time.Date(2026, time.December, 2, 9, 0, 0, 0, time.UTC))
	svc, err := followup.New(followup.Config{Store: store, Directory: dir, Permissions: perms, Clock: clock,
		// The desk provides the city its SLA, and computes over its tickets.
		Provides: func(_ context.Context, d, c itsm.ID) (bool, error) {
			return d == citySLA.Provider && c == citySLA.Consumer, nil
		},
		Compute: func(_ context.Context, _, customer itsm.ID, p report.Period) (*report.Report, error) {
			return report.Compute(report.Spec{Period: p, Agreements: []*sla.Agreement{citySLA}}, report.Tickets(tickets))
		}})
	if err != nil {
		fmt.Println(err)
		return
	}
	dana := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	carl := itsm.Actor{Organisation: city.ID, Person: "carl", Roles: []itsm.Role{itsm.RoleApprover}}
	show := func(f *followup.FollowUp, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		v := f.Current()
		r, _ := v.Decode()
		m := r.Agreements[0]
		fmt.Printf("%s v%d %-8s resolved %d, compliance %.2f, credit %d %s\n",
			f.Month, v.Number, f.State, r.Total.Resolved, *m.Metrics[0].Compliance, m.Credit.Amount/100, m.Credit.Currency)
		clock.Advance(time.Hour)
	}

	november := report.Month(2026, time.November, time.UTC)
	f, err := svc.Draft(ctx, dana, city.ID, november)
	show(f, err)
	show(svc.Reject(ctx, carl, f.ID, "", "The printer outage of the 24th is missing."))
	resolved(24, time.Hour)
	show(svc.Draft(ctx, dana, city.ID, november))
	show(svc.Approve(ctx, carl, f.ID, "", ""))

	resolved(28, 20*time.Hour) // registered late
	_, err = svc.Draft(ctx, dana, city.ID, november)
	fmt.Println(itsm.ErrorCode(err))
	show(svc.Correct(ctx, dana, f.ID, "A ticket of the 28th was registered late."))
	show(svc.Approve(ctx, carl, f.ID, "", "Credit accepted."))

	f, _ = svc.Get(ctx, carl, f.ID)
	for _, v := range f.Versions {
		fmt.Printf("version %d %s by %s\n", v.Number, v.State, v.Approval.By.Person)
	}
	// Output:
	// 2026-11 v1 drafted  resolved 3, compliance 0.67, credit 2500 SEK
	// 2026-11 v1 rejected resolved 3, compliance 0.67, credit 2500 SEK
	// 2026-11 v1 drafted  resolved 4, compliance 0.75, credit 0 SEK
	// 2026-11 v1 approved resolved 4, compliance 0.75, credit 0 SEK
	// conflict
	// 2026-11 v2 drafted  resolved 5, compliance 0.60, credit 2500 SEK
	// 2026-11 v2 approved resolved 5, compliance 0.60, credit 2500 SEK
	// version 1 approved by carl
	// version 2 approved by carl
}
