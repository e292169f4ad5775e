package report_test

import (
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// A month's follow-up of a supplier's underpinning contract (SL-4): Netcom
// promises to resolve within 8 working hours on Stockholm office hours for
// 90 % of the desk's tickets, and credits 2 % of its fee for any shortfall,
// 5 % beyond ten points. In March 2026 it resolved four tickets; the one
// delegated on Friday afternoon took until Tuesday, 15 working hours.
func ExampleCompute() {
	sto, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	office, err := sla.NewCalendar(sla.CalendarSpec{Name: "office", Location: sto,
		Week: sla.OfficeHours(8*time.Hour, 17*time.Hour), Holidays: []string{"se"}})
	if err != nil {
		panic(err)
	}
	desk := itsm.MustParseID("0198c000-0000-7000-8000-000000000001")
	netcom := itsm.MustParseID("0198c000-0000-7000-8000-000000000002")
	uc := &sla.Agreement{Name: "Network UC", Kind: sla.KindUC, Provider: netcom, Consumer: desk, Objective: 0.9,
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: 8 * time.Hour, Calendar: office,
			Stop: []itsm.State{"resolved", "closed", "cancelled"}}},
		Credits: &sla.Credits{MonthlyFee: 40_000_00, Currency: "SEK", Cap: 10,
			Steps: []sla.CreditStep{{Above: 0, Percent: 2}, {Above: 0.1, Percent: 5}}}}

	// ticket is registered by the desk, delegated to Netcom a quarter of an
	// hour later and resolved by Netcom at resolved.
	ticket := func(number, registered, resolved string) report.Ticket {
		reg, _ := time.ParseInLocation("2006-01-02 15:04", registered, sto)
		res, _ := time.ParseInLocation("2006-01-02 15:04", resolved, sto)
		return report.Ticket{Number: number, Desk: desk, Registered: reg, Timeline: itsm.Timeline{
			{Start: reg, State: "registered", Holder: desk, Priority: 3},
			{Start: reg.Add(15 * time.Minute), State: "delegated", Holder: netcom, Priority: 3},
			{Start: res, State: "resolved", Holder: netcom, Priority: 3},
		}}
	}
	tickets := []report.Ticket{
		ticket("INC101", "2026-03-03 09:45", "2026-03-03 12:00"), // 2h from the delegation
		ticket("INC102", "2026-03-10 13:45", "2026-03-11 10:00"), // 3h + 2h
		ticket("INC103", "2026-03-13 13:45", "2026-03-17 11:00"), // 3h + 9h + 3h: breached
		ticket("INC104", "2026-03-24 07:45", "2026-03-24 15:00"), // 7h
	}

	r, err := report.Compute(report.Spec{Period: report.Month(2026, time.March, sto), Agreements: []*sla.Agreement{uc}},
		report.Tickets(tickets))
	if err != nil {
		panic(err)
	}
	a := r.Agreements[0]
	m := a.Metrics[0]
	fmt.Printf("%s %s: %d met, %d breached, compliance %.1f%% against %.1f%%\n",
		a.Agreement, m.Metric, m.Met, m.Breached, 100**m.Compliance, 100*m.Objective)
	fmt.Printf("working time: median %s, 90th percentile %s\n", *m.Median, *m.P90)
	fmt.Printf("credit: %g%% of the fee, %d.%02d %s\n", a.Credit.Percent, a.Credit.Amount/100, a.Credit.Amount%100, a.Credit.Currency)
	// Output:
	// Network UC resolution: 3 met, 1 breached, compliance 75.0% against 90.0%
	// working time: median 5h0m0s, 90th percentile 15h0m0s
	// credit: 5% of the fee, 2000.00 SEK
}
