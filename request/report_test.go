package request_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// requestAgreements are the desk's agreements for the report test, on
// office hours (Monday to Friday 08-17 in Stockholm): its SLA for requests
// (resolution in 9 working hours), the UCs of Telco (6 hours) and Mailco (3
// hours) for requests, and an SLA without a scope, which measures
// incidents only although the items name it.
func requestAgreements(t *testing.T, zone *time.Location) []*sla.Agreement {
	t.Helper()
	office, err := sla.NewCalendar(sla.CalendarSpec{Name: "office", Location: zone, Week: sla.OfficeHours(8*time.Hour, 17*time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	resolution := func(within time.Duration, stop ...itsm.State) []sla.Target {
		return []sla.Target{{Metric: sla.MetricResolution, Priority: request.Priority, Within: within, Calendar: office, Stop: stop}}
	}
	orderStops := []itsm.State{request.StateFulfilled, request.StateClosed, request.StateDeclined, request.StateCancelled}
	return []*sla.Agreement{
		{Name: "Requests", Kind: sla.KindSLA, Scope: sla.ScopeRequests, Provider: deskID, Consumer: cityID, Objective: 0.9,
			Targets: resolution(9*time.Hour, orderStops...)},
		{Name: "Telco UC", Kind: sla.KindUC, Scope: sla.ScopeRequests, Provider: telcoID, Consumer: deskID, Objective: 0.9,
			Targets: resolution(6*time.Hour, request.TaskDone, request.TaskCancelled)},
		{Name: "Mailco UC", Kind: sla.KindUC, Scope: sla.ScopeRequests, Provider: mailcoID, Consumer: deskID, Objective: 0.9,
			Targets: resolution(3*time.Hour, request.TaskDone, request.TaskCancelled)},
		{Name: "Legacy", Kind: sla.KindSLA, Provider: deskID, Consumer: cityID, Objective: 0.9,
			Targets: resolution(time.Hour, orderStops...)},
	}
}

// TestRequestReport runs a week of December 2026 with orders of each type
// and checks the report of the month computed from Service.Tickets: the
// counts per type and item, the lead and approval times in working time on
// the agreement's office hours (worked out by hand below), the compliance
// of the SLA for requests (whose clock stands still while an order awaits
// approval) and of each supplier's UC over its tasks, and that an
// agreement without a scope measures no order although the item names it.
//
//	Mon 7 09:00 A1 (type A) placed, fulfilled and closed at 09:30: lead 30m
//	Mon 7 09:00 C1 (type C) placed; approved 11:00 (approval 2h); phone
//	            delegated to Telco 11:00, done 15:00 (4h: UC met); sync to
//	            Mailco 15:00, done Tue 10:00 (2h+2h = 4h: UC breached);
//	            fulfilled Tue 10:00: lead 8h+2h = 10h, SLA 6h+2h = 8h met;
//	            closed Tue 12:00
//	Mon 7 16:00 B1 (type B) and B2 placed
//	Tue 8 08:30 B2 declined: approval 1h+30m = 1h30m, SLA met at no time
//	Tue 8 10:00 C2 placed, cancelled 10:30 (decides no clock)
//	Tue 8 11:00 B1 approved: approval 1h+3h = 4h; the desk takes its task
//	Wed 9 11:30 B1's task done, fulfilled: lead 1h+9h+3h30m = 13h30m,
//	            SLA 6h+3h30m = 9h30m breached; closed 12:00
func TestRequestReport(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			for _, org := range []itsm.ID{deskID, telcoID, cityID} {
				w.perms.Grant(org, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite|itsm.AccessReport)
			}
			w.ok(w.svc.SetAgreements(requestAgreements(t, w.zone)))
			at := func(day, hour, minute int) { w.clock.Set(time.Date(2026, 12, day, hour, minute, 0, 0, w.zone)) }

			ph := phone()
			ph.Agreements = []string{"Requests", "Telco UC", "Mailco UC", "Legacy"}
			acc := account()
			acc.Agreements = []string{"Requests", "Legacy"}
			ls := list()
			ls.Agreements = []string{"Requests"}
			phoneItem, accountItem, listItem := w.offer(ph), w.offer(acc), w.offer(ls)
			for _, it := range []itsm.ID{phoneItem, accountItem, listItem} {
				w.grant(w.anna, authority.RoleRequester, it)
			}
			w.grant(w.bo, authority.RoleApprover, itsm.ID{})

			at(7, 9, 0)
			_, err := w.place(w.anna, listItem, `{"list":"all-staff"}`)
			w.ok(err)
			c1, err := w.place(w.anna, phoneItem, `{"model":"Fairphone"}`)
			w.ok(err)
			at(7, 9, 30)
			_, err = w.svc.FulfilDue(w.ctx)
			w.ok(err)
			at(7, 11, 0)
			_, err = w.svc.Approve(w.ctx, w.bo, c1.ID, "")
			w.ok(err)
			phoneTask := w.task(c1, "phone")
			_, err = w.svc.Accept(w.ctx, w.telAgent, phoneTask.ID)
			w.ok(err)
			at(7, 15, 0)
			_, err = w.svc.ReportBack(w.ctx, w.telAgent, phoneTask.ID, "Phone delivered")
			w.ok(err)
			syncTask := w.task(c1, "sync")
			_, err = w.svc.Accept(w.ctx, w.mailAgent, syncTask.ID)
			w.ok(err)
			at(7, 16, 0)
			b1, err := w.place(w.anna, accountItem, `{"user":"anna"}`)
			w.ok(err)
			b2, err := w.place(w.anna, accountItem, `{"user":"bo"}`)
			w.ok(err)
			at(8, 8, 30)
			_, err = w.svc.Decline(w.ctx, w.bo, b2.ID, "Not needed")
			w.ok(err)
			at(8, 10, 0)
			_, err = w.svc.ReportBack(w.ctx, w.mailAgent, syncTask.ID, "Synced")
			w.ok(err)
			c2, err := w.place(w.anna, phoneItem, `{"model":"Other"}`)
			w.ok(err)
			at(8, 10, 30)
			_, err = w.svc.Cancel(w.ctx, w.deskAgent, c2.ID, "Ordered twice")
			w.ok(err)
			at(8, 11, 0)
			_, err = w.svc.Approve(w.ctx, w.bo, b1.ID, "")
			w.ok(err)
			_, err = w.svc.Take(w.ctx, w.deskAgent, w.task(b1, "account").ID)
			w.ok(err)
			at(8, 12, 0)
			_, err = w.svc.Close(w.ctx, w.deskAgent, c1.ID, "Your phone is on its way.")
			w.ok(err)
			at(9, 11, 30)
			_, err = w.svc.Complete(w.ctx, w.deskAgent, w.task(b1, "account").ID, "Account made")
			w.ok(err)
			at(9, 12, 0)
			_, err = w.svc.Close(w.ctx, w.deskAgent, b1.ID, "Your account is ready.")
			w.ok(err)
			w.clock.Set(time.Date(2027, 1, 4, 9, 0, 0, 0, w.zone))

			// The clocks of an order are its item's agreements for
			// requests only.
			c1, err = w.svc.GetOrder(w.ctx, w.deskAgent, c1.ID)
			w.ok(err)
			clocks, err := w.svc.OrderClocks(c1, w.clock.Now())
			w.ok(err)
			if len(clocks) != 1 || clocks[0].Agreement != "Requests" {
				t.Errorf("the order's clocks: %+v, want the SLA for requests alone", clocks)
			}

			december := report.Month(2026, time.December, w.zone)
			spec := report.Spec{Period: december, Agreements: request.ForRequests(requestAgreements(t, w.zone)),
				Names: map[itsm.ID]string{telcoID: "Telco", mailcoID: "Mailco"}, Now: w.clock.Now()}
			r, err := report.Compute(spec, w.svc.Tickets(w.ctx, w.deskAgent, december))
			w.ok(err)

			d := func(s string) *report.Duration {
				v, err := time.ParseDuration(s)
				w.ok(err)
				return new(report.Duration(v))
			}
			times := func(n int, mean, median, p90 string) report.Times {
				if n == 0 {
					return report.Times{}
				}
				return report.Times{Count: n, Mean: d(mean), Median: d(median), P90: d(p90)}
			}
			want := &report.Requests{
				Calendar: "office",
				Total: report.RequestFigures{Placed: 5, Fulfilled: 3, Closed: 3, Declined: 1, Cancelled: 1,
					LeadTime: times(3, "8h", "10h", "13h30m"), ApprovalTime: times(3, "2h30m", "2h", "4h")},
				Types: []report.RequestGroup{
					{Key: "A", Figures: report.RequestFigures{Placed: 1, Fulfilled: 1, Closed: 1, LeadTime: times(1, "30m", "30m", "30m")}},
					{Key: "B", Figures: report.RequestFigures{Placed: 2, Fulfilled: 1, Closed: 1, Declined: 1,
						LeadTime: times(1, "13h30m", "13h30m", "13h30m"), ApprovalTime: times(2, "2h45m", "1h30m", "4h")}},
					{Key: "C", Figures: report.RequestFigures{Placed: 2, Fulfilled: 1, Closed: 1, Cancelled: 1,
						LeadTime: times(1, "10h", "10h", "10h"), ApprovalTime: times(1, "2h", "2h", "2h")}},
				},
				Items: []report.RequestGroup{
					{Key: listItem.String(), Name: "E-mail list membership", Figures: report.RequestFigures{Placed: 1, Fulfilled: 1, Closed: 1,
						LeadTime: times(1, "30m", "30m", "30m")}},
					{Key: phoneItem.String(), Name: "Mobile phone with subscription", Figures: report.RequestFigures{Placed: 2, Fulfilled: 1, Closed: 1, Cancelled: 1,
						LeadTime: times(1, "10h", "10h", "10h"), ApprovalTime: times(1, "2h", "2h", "2h")}},
					{Key: accountItem.String(), Name: "New account in the finance system", Figures: report.RequestFigures{Placed: 2, Fulfilled: 1, Closed: 1, Declined: 1,
						LeadTime: times(1, "13h30m", "13h30m", "13h30m"), ApprovalTime: times(2, "2h45m", "1h30m", "4h")}},
				},
			}
			if diff := cmp.Diff(want, r.Requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}

			// Compliance per agreement: the SLA over the orders, each UC
			// over its supplier's task, nothing for the SLA without a
			// scope.
			got := map[string]string{}
			for _, a := range r.Agreements {
				for _, m := range a.Metrics {
					got[a.Agreement] = fmt.Sprintf("met %d breached %d", m.Met, m.Breached)
				}
			}
			wantCompliance := map[string]string{"Requests": "met 3 breached 1", "Telco UC": "met 1 breached 0",
				"Mailco UC": "met 0 breached 1", "Legacy": "met 0 breached 0"}
			if diff := cmp.Diff(wantCompliance, got); diff != "" {
				t.Errorf("compliance (-want +got):\n%s", diff)
			}
			// Each supplier's group holds its task and its UC.
			var suppliers []string
			for _, g := range r.Suppliers {
				for _, m := range g.Figures.Metrics {
					suppliers = append(suppliers, fmt.Sprintf("%s: %s met %d breached %d", g.Name, m.Agreement, m.Met, m.Breached))
				}
			}
			if want := []string{"Telco: Telco UC met 1 breached 0", "Mailco: Mailco UC met 0 breached 1"}; !slices.Equal(suppliers, want) {
				t.Errorf("suppliers %q, want %q", suppliers, want)
			}
			// Orders and tasks are not incidents: the incidents' counters
			// stay at zero.
			if r.Total.Registered != 0 || r.Total.Backlog.Open != 0 || len(r.Priorities) != 0 || len(r.Categories) != 0 {
				t.Errorf("orders counted as incidents: %+v, priorities %v, categories %v", r.Total, r.Priorities, r.Categories)
			}

			// Who sees what: the customer its five orders, Telco its task,
			// Mailco, without report access, nothing.
			for _, tc := range []struct {
				who  itsm.Actor
				want string
			}{
				{w.deskAgent, "order order order order order task task task"},
				{w.anna, "order order order order order"},
				{w.telAgent, "task"},
			} {
				var kinds []string
				for tk, err := range w.svc.Tickets(w.ctx, tc.who, december) {
					w.ok(err)
					kinds = append(kinds, string(tk.Kind))
				}
				slices.Sort(kinds)
				if strings.Join(kinds, " ") != tc.want {
					t.Errorf("%s's tickets: %v, want %s", tc.who.Person, kinds, tc.want)
				}
			}
			// A consumer that stops early ends the read cleanly.
			for _, err := range w.svc.Tickets(w.ctx, w.deskAgent, december) {
				w.ok(err)
				break
			}
			for _, err := range w.svc.Tickets(w.ctx, w.mailAgent, december) {
				w.code(err, itsm.CodeForbidden)
			}

			// November has no order: no Requests section, and the JSON
			// has none.
			november := report.Month(2026, time.November, w.zone)
			spec.Period = november
			r, err = report.Compute(spec, w.svc.Tickets(w.ctx, w.deskAgent, november))
			w.ok(err)
			b, err := json.Marshal(r)
			w.ok(err)
			if r.Requests != nil || strings.Contains(string(b), `"requests"`) {
				t.Errorf("November: %s", b)
			}
		})
	}
}
