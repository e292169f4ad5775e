package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The golden world: desk D serves customer C (and C2, which has no SLA with
// D); Netcom (S1) and Serverhall (S2) are its suppliers.
var (
	gDesk      = itsm.MustParseID("0198a000-0000-7000-8000-0000000000d1")
	gCustomer  = itsm.MustParseID("0198a000-0000-7000-8000-0000000000c1")
	gCustomer2 = itsm.MustParseID("0198a000-0000-7000-8000-0000000000c2")
	gNetcom    = itsm.MustParseID("0198a000-0000-7000-8000-0000000000a1")
	gServer    = itsm.MustParseID("0198a000-0000-7000-8000-0000000000a2")
)

// The states the fixtures use; they are incident's, spelled out so that the
// report package is tested on its own.
const (
	sRegistered itsm.State = "registered"
	sInProgress itsm.State = "in_progress"
	sDelegated  itsm.State = "delegated"
	sWaitUser   itsm.State = "waiting_user"
	sResolved   itsm.State = "resolved"
	sClosed     itsm.State = "closed"
	sCancelled  itsm.State = "cancelled"
)

func gStockholm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// goldenCalendars returns a calendar open around the clock and the Stockholm
// office calendar: Monday to Friday 08:00-17:00, closed on Swedish public
// holidays.
func goldenCalendars(t testing.TB) (always, office *sla.Calendar) {
	t.Helper()
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	office, err = sla.ParseCalendar([]byte(`{"name": "stockholm-office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-17:00"]},
		"holidays": ["se"]}`))
	if err != nil {
		t.Fatal(err)
	}
	return always, office
}

// goldenAgreements: the customer SLA (24x7: response P2 1h, P3 4h;
// resolution P2 8h, P3 72h; nothing for P4), Netcom's UC on office hours
// (resolution P2 9h, P3 18h; update every 4 working hours; credits) and
// Serverhall's UC around the clock (resolution P2 4h, P3 12h; update every
// 2h; no credits). Waiting for the user pauses every clock.
func goldenAgreements(t testing.TB) (slaA, netUC, srvUC *sla.Agreement) {
	always, office := goldenCalendars(t)
	done := []itsm.State{sResolved, sClosed, sCancelled}
	responded := []itsm.State{sInProgress, sDelegated, sResolved, sClosed, sCancelled}
	pause := []itsm.State{sWaitUser}
	target := func(m sla.Metric, p itsm.Priority, d time.Duration, c *sla.Calendar, stop []itsm.State) sla.Target {
		return sla.Target{Metric: m, Priority: p, Within: d, Calendar: c, Pause: pause, Stop: stop}
	}
	slaA = &sla.Agreement{Name: "Customer SLA", Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, Objective: 0.9,
		Targets: []sla.Target{
			target(sla.MetricResponse, 2, time.Hour, always, responded),
			target(sla.MetricResponse, 3, 4*time.Hour, always, responded),
			target(sla.MetricResolution, 2, 8*time.Hour, always, done),
			target(sla.MetricResolution, 3, 72*time.Hour, always, done),
		}}
	netUC = &sla.Agreement{Name: "Network UC", Kind: sla.KindUC, Provider: gNetcom, Consumer: gDesk, Objective: 0.95,
		Targets: []sla.Target{
			target(sla.MetricResolution, 2, 9*time.Hour, office, done),
			target(sla.MetricResolution, 3, 18*time.Hour, office, done),
			target(sla.MetricUpdate, 2, 4*time.Hour, office, done),
			target(sla.MetricUpdate, 3, 4*time.Hour, office, done),
		},
		// 2 % of the fee for any shortfall, 5 % beyond ten points, 8 %
		// beyond fifty; at most 12 % a month.
		Credits: &sla.Credits{MonthlyFee: 80_000_00, Currency: "SEK", Cap: 12,
			Steps: []sla.CreditStep{{Above: 0, Percent: 2}, {Above: 0.1, Percent: 5}, {Above: 0.5, Percent: 8}}}}
	srvUC = &sla.Agreement{Name: "Server UC", Kind: sla.KindUC, Provider: gServer, Consumer: gDesk, Objective: 0.9,
		Targets: []sla.Target{
			target(sla.MetricResolution, 2, 4*time.Hour, always, done),
			target(sla.MetricResolution, 3, 12*time.Hour, always, done),
			target(sla.MetricUpdate, 2, 2*time.Hour, always, done),
			target(sla.MetricUpdate, 3, 2*time.Hour, always, done),
		}}
	return slaA, netUC, srvUC
}

// gStep is one change of a fixture ticket, at a Stockholm wall time.
type gStep struct {
	at     string // "01-02 15:04" in 2026
	state  itsm.State
	holder itsm.ID
	prio   itsm.Priority
	update bool
}

func goldenTicket(t testing.TB, number string, customer itsm.ID, category string, steps ...gStep) report.Ticket {
	t.Helper()
	loc := gStockholm(t)
	tk := report.Ticket{ID: itsm.NewID(), Number: number, Desk: gDesk, Customer: customer, Category: category}
	for _, s := range steps {
		at, err := time.ParseInLocation("2006-01-02 15:04", "2026-"+s.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		tk.Timeline = append(tk.Timeline, itsm.Interval{Start: at, State: s.state, Holder: s.holder, Priority: s.prio, Update: s.update})
	}
	tk.Registered = tk.Timeline[0].Start
	return tk
}

// goldenTickets are the tickets of the golden report on March 2026, each
// with what it shows. Times are Stockholm wall times; March 2026 begins on a
// Sunday, 6 January is a Swedish holiday (Trettondedag jul), and daylight
// saving time begins on 29 March.
func goldenTickets(t testing.TB) []report.Ticket {
	D, S1, S2 := gDesk, gNetcom, gServer
	var ts []report.Ticket
	add := func(tk report.Ticket, edit func(*report.Ticket)) {
		if edit != nil {
			edit(&tk)
		}
		ts = append(ts, tk)
	}
	// INC1 met at first contact by the desk: responded in 30m, resolved in
	// 4h, closed the next day.
	add(goldenTicket(t, "INC1", gCustomer, "",
		gStep{"03-03 10:00", sRegistered, D, 3, false},
		gStep{"03-03 10:30", sInProgress, D, 3, false},
		gStep{"03-03 14:00", sResolved, D, 3, false},
		gStep{"03-04 09:00", sClosed, D, 3, false}),
		func(tk *report.Ticket) { tk.FirstContact = true })
	// INC2 breaches the SLA response (delegated after 1h30 > 1h, due at
	// 09:00); Serverhall resolves it in 3h30 of its 4h, posting an update
	// at 11:00 so that neither of its update intervals (1h30, then 2h
	// exactly) overruns.
	add(goldenTicket(t, "INC2", gCustomer, "server",
		gStep{"03-05 08:00", sRegistered, D, 2, false},
		gStep{"03-05 09:30", sDelegated, S2, 2, false},
		gStep{"03-05 10:00", sInProgress, S2, 2, false},
		gStep{"03-05 11:00", sInProgress, S2, 2, true},
		gStep{"03-05 13:00", sResolved, S2, 2, false},
		gStep{"03-06 10:00", sClosed, S2, 2, false}), nil)
	// INC3 breached in February and resolved in March. Netcom's 18 working
	// hours from Tue 24 Feb 09:15 ran out on Thu 26 Feb 09:15 (7h45 + 9h +
	// 1h15); its update interval overran at 13:15 on the 24th; the SLA's
	// 72h ran out on 27 Feb 09:00. In March it is decided nowhere, but its
	// durations count: 47h45 working hours for Netcom (7h45 + 9 + 9 + 9 +
	// Mon 2 Mar 9 + Tue 3 Mar 4), 171h for the SLA (7 days and 3 hours).
	add(goldenTicket(t, "INC3", gCustomer, "network",
		gStep{"02-24 09:00", sRegistered, D, 3, false},
		gStep{"02-24 09:15", sDelegated, S1, 3, false},
		gStep{"02-24 10:00", sInProgress, S1, 3, false},
		gStep{"03-03 12:00", sResolved, S1, 3, false},
		gStep{"03-03 15:00", sClosed, S1, 3, false}), nil)
	// INC4 waits 24h for the user: 2h + 5h = 7h of its 8h, met; left
	// resolved (not closed) at the end of March.
	add(goldenTicket(t, "INC4", gCustomer, "",
		gStep{"03-09 10:00", sRegistered, D, 2, false},
		gStep{"03-09 10:20", sInProgress, D, 2, false},
		gStep{"03-09 12:00", sWaitUser, D, 2, false},
		gStep{"03-10 12:00", sInProgress, D, 2, false},
		gStep{"03-10 17:00", sResolved, D, 2, false}),
		func(tk *report.Ticket) { tk.FirstContact = true })
	// INC5 goes Netcom, back to the desk, Serverhall, back to the desk,
	// Netcom again (two re-assignments, one ping-pong), is resolved by
	// Netcom, reopened to it and resolved again. SLA resolution: 7h + 1h
	// = 8h, exactly the target, met on 11 Mar. Netcom: 30m + 3h30 + 1h =
	// 5h of 9h, met; its update intervals (30m, 3h30, 1h) never overran.
	// Serverhall held it for an hour and no longer does: its clocks end
	// idle, measured but undecided.
	add(goldenTicket(t, "INC5", gCustomer, "network",
		gStep{"03-10 08:00", sRegistered, D, 2, false},
		gStep{"03-10 08:30", sDelegated, S1, 2, false},
		gStep{"03-10 09:00", sInProgress, D, 2, false},
		gStep{"03-10 10:00", sDelegated, S2, 2, false},
		gStep{"03-10 10:30", sInProgress, S2, 2, false},
		gStep{"03-10 11:00", sInProgress, D, 2, false},
		gStep{"03-10 11:30", sDelegated, S1, 2, false},
		gStep{"03-10 12:00", sInProgress, S1, 2, false},
		gStep{"03-10 15:00", sResolved, S1, 2, false},
		gStep{"03-11 10:00", sInProgress, S1, 2, false},
		gStep{"03-11 11:00", sResolved, S1, 2, false},
		gStep{"03-12 09:00", sClosed, S1, 2, false}),
		func(tk *report.Ticket) { tk.Reassignments, tk.PingPong, tk.Reopened = 2, 1, 1 })
	// INC6 is cancelled after ten minutes: counted as cancelled, its clocks
	// stopped by the cancellation are neither met nor durations.
	add(goldenTicket(t, "INC6", gCustomer, "",
		gStep{"03-12 09:00", sRegistered, D, 3, false},
		gStep{"03-12 09:10", sCancelled, D, 3, false}), nil)
	// INC7 is registered four hours before the end of March (CEST): its
	// response clock stands at exactly 4h, not breached; age 4h.
	add(goldenTicket(t, "INC7", gCustomer, "",
		gStep{"03-31 20:00", sRegistered, D, 3, false}), nil)
	// INC8 waits for the user at Netcom from 20 Feb to 16 Mar. Netcom's
	// resolution: 55m on Fri 20 Feb, then 9h on Mon 16 Mar and 8h05 on Tue
	// 17 Mar: due 17 Mar 16:05, breached in March. Its update clock
	// restarts with the update on the 16th and overruns at 12:00: one miss,
	// the first, in March. The SLA: 1h before the wait, then 71h from 16
	// Mar 08:00: due 19 Mar 07:00. Open at the end of March, 39 days 13
	// hours old.
	add(goldenTicket(t, "INC8", gCustomer, "network",
		gStep{"02-20 10:00", sRegistered, D, 3, false},
		gStep{"02-20 10:05", sDelegated, S1, 3, false},
		gStep{"02-20 11:00", sWaitUser, S1, 3, false},
		gStep{"03-16 08:00", sInProgress, S1, 3, true}), nil)
	// INC9: Serverhall misses two update intervals (09:30-14:00 and
	// 14:00-17:00 are both longer than 2h) but resolves within 7h30 of 12h.
	add(goldenTicket(t, "INC9", gCustomer, "server",
		gStep{"03-16 09:00", sRegistered, D, 3, false},
		gStep{"03-16 09:30", sDelegated, S2, 3, false},
		gStep{"03-16 10:00", sInProgress, S2, 3, false},
		gStep{"03-16 14:00", sInProgress, S2, 3, true},
		gStep{"03-16 17:00", sResolved, S2, 3, false},
		gStep{"03-17 09:00", sClosed, S2, 3, false}), nil)
	// INC10 is lowered to P4, for which the SLA has no target: not
	// measured, and grouped under its priority at the end, P4.
	add(goldenTicket(t, "INC10", gCustomer, "printer",
		gStep{"03-20 13:00", sRegistered, D, 3, false},
		gStep{"03-20 13:05", sInProgress, D, 4, false},
		gStep{"03-20 13:30", sResolved, D, 4, false}),
		func(tk *report.Ticket) { tk.FirstContact = true })
	// INC11 is for customer C2, whom the SLA does not cover; Netcom
	// resolves it in 30m + 1h + 3h = 4h30 (met) but gives no update for
	// 4h30: its update interval overran at 11:30 on the 24th.
	add(goldenTicket(t, "INC11", gCustomer2, "network",
		gStep{"03-23 16:00", sRegistered, D, 2, false},
		gStep{"03-23 16:30", sDelegated, S1, 2, false},
		gStep{"03-24 09:00", sInProgress, S1, 2, false},
		gStep{"03-24 12:00", sResolved, S1, 2, false}), nil)
	// INC12 is January's: Netcom resolves it in 30m + 4h, 6 January being a
	// holiday, and posts an update at 08:00 on the 7th (4h exactly, met).
	// The SLA's 8h ran out at midnight. Closed on 8 January, it is skipped
	// for February and March: no "telephony" category in March.
	add(goldenTicket(t, "INC12", gCustomer, "telephony",
		gStep{"01-05 16:00", sRegistered, D, 2, false},
		gStep{"01-05 16:30", sDelegated, S1, 2, false},
		gStep{"01-07 08:00", sInProgress, S1, 2, true},
		gStep{"01-07 12:00", sResolved, S1, 2, false},
		gStep{"01-08 10:00", sClosed, S1, 2, false}), nil)
	// INC13 has no customer, so the SLA covers it; responded in 10 minutes,
	// then waits for the user over the end of March. Registered on Saturday
	// 28 March at 23:00 CET, it is exactly 72 hours old at midnight CEST on
	// 1 April, the night the clocks went forward: the first ticket of the
	// 72h bucket.
	add(goldenTicket(t, "INC13", itsm.ID{}, "",
		gStep{"03-28 23:00", sRegistered, D, 3, false},
		gStep{"03-28 23:10", sInProgress, D, 3, false},
		gStep{"03-28 23:40", sWaitUser, D, 3, false}), nil)
	// INC14 is April's and must not count anywhere.
	add(goldenTicket(t, "INC14", gCustomer, "",
		gStep{"04-02 09:00", sRegistered, D, 2, false},
		gStep{"04-02 09:10", sResolved, D, 2, false}),
		func(tk *report.Ticket) { tk.FirstContact = true })
	return ts
}

func goldenSpec(t testing.TB) report.Spec {
	slaA, netUC, srvUC := goldenAgreements(t)
	return report.Spec{
		Period:     report.Month(2026, time.March, gStockholm(t)),
		Agreements: []*sla.Agreement{slaA, netUC, srvUC},
		Previous:   2,
		Names:      map[itsm.ID]string{gNetcom: "Netcom", gServer: "Serverhall", gDesk: "Desk"},
	}
}

// gMetric is a MetricFigures of agreement a.
func gMetric(a *sla.Agreement, m sla.Metric, met, breached int, compliance, shortfall float64, missed, stopped int,
	mean, median, p90 time.Duration) report.MetricFigures {
	mf := report.MetricFigures{Agreement: a.Name, Desk: a.Desk(), Kind: a.Kind, Provider: a.Provider, Metric: m,
		Met: met, Breached: breached, Compliance: figure(met, breached, compliance), Objective: a.Objective, Shortfall: shortfall,
		Stopped: stopped, Missed: missed}
	// No clock stopped, no durations to describe (decision 43).
	if stopped > 0 {
		mf.Mean, mf.Median, mf.P90 = new(report.Duration(mean)), new(report.Duration(median)), new(report.Duration(p90))
	}
	return mf
}

// gBacklog builds a Backlog over the default ageing buckets.
func gBacklog(counts ...int) report.Backlog {
	b := report.Backlog{}
	for i, over := range report.DefaultAgeing {
		b.Ageing = append(b.Ageing, report.AgeBucket{Over: report.Duration(over), Count: counts[i]})
		b.Open += counts[i]
	}
	return b
}

func gPoint(a *sla.Agreement, m sla.Metric, met, breached int, compliance float64) report.MetricPoint {
	return report.MetricPoint{Agreement: a.Name, Desk: a.Desk(), Provider: a.Provider, Metric: m, Met: met, Breached: breached,
		Compliance: figure(met, breached, compliance)}
}

// figure is the compliance of a metric that decided met and breached
// tickets: c, or none when it decided none.
func figure(met, breached int, c float64) *float64 {
	if met+breached == 0 {
		return nil
	}
	return &c
}

const (
	gHour = time.Hour
	gMin  = time.Minute
)

// goldenReport is the March report, worked out by hand from the comments of
// goldenTickets.
func goldenReport(t testing.TB, spec report.Spec) *report.Report {
	slaA, netUC, srvUC := spec.Agreements[0], spec.Agreements[1], spec.Agreements[2]
	resp, res, upd := sla.MetricResponse, sla.MetricResolution, sla.MetricUpdate
	none := []report.MetricFigures{}

	// The agreements over every ticket of March.
	//
	// SLA response. Met: INC1 30m, INC4 20m, INC5 30m, INC9 30m, INC13
	// 10m. Breached: INC2 1h30. Not decided: INC3 and INC8 (responded in
	// February), INC6 (cancelled), INC7 (running). 5/6 = 0.8333 against
	// 0.9: short by 0.9 - 5/6, to twelve decimals. Durations sorted: 10m
	// 20m 30m 30m 30m 1h30: mean 210m/6 = 35m, median the 3rd, P90 the 6th.
	slaResp := gMetric(slaA, resp, 5, 1, 5.0/6, 0.066666666667, 0, 6, 35*gMin, 30*gMin, 90*gMin)
	// SLA resolution. Met: INC1 4h, INC2 5h, INC4 7h, INC5 8h, INC9 8h.
	// Breached: INC8 (due 19 Mar). INC3 stopped in March after its
	// February breach: a duration only. Durations 4 5 7 8 8 171 h: mean
	// 203h/6 = 33h50m, median 7h, P90 171h.
	slaRes := gMetric(slaA, res, 5, 1, 5.0/6, 0.066666666667, 0, 6, 33*gHour+50*gMin, 7*gHour, 171*gHour)
	// Netcom resolution. Met: INC5 5h, INC11 4h30. Breached: INC8.
	// Durations 4h30 5h 47h45 (INC3): mean 57h15m/3 = 19h05m. 2/3 against
	// 0.95: short by 0.2833.
	netRes := gMetric(netUC, res, 2, 1, 2.0/3, 0.283333333333, 0, 3, 19*gHour+5*gMin, 5*gHour, 47*gHour+45*gMin)
	// Netcom update. Met: INC5. Breached: INC8 and INC11, one miss each in
	// March; INC3's miss was February's. Durations (the last interval):
	// INC5 1h, INC11 4h30, INC3 47h45: mean 53h15m/3 = 17h45m. 1/3
	// against 0.95: short by 0.6167.
	netUpd := gMetric(netUC, upd, 1, 2, 1.0/3, 0.616666666667, 2, 3, 17*gHour+45*gMin, 4*gHour+30*gMin, 47*gHour+45*gMin)
	// Serverhall resolution. Met: INC2 3h30, INC9 7h30; INC5 idle.
	srvRes := gMetric(srvUC, res, 2, 0, 1, 0, 0, 2, 5*gHour+30*gMin, 3*gHour+30*gMin, 7*gHour+30*gMin)
	// Serverhall update. Met: INC2 (2h). Breached: INC9, two misses (last
	// interval 3h). 1/2 against 0.9: short by 0.4.
	srvUpd := gMetric(srvUC, upd, 1, 1, 0.5, 0.4, 2, 2, 2*gHour+30*gMin, 2*gHour, 3*gHour)

	// Netcom's credit: resolution short by 0.28 is beyond 0.1: 5 %;
	// update short by 0.62 is beyond 0.5: 8 %; 13 % capped at 12 %, of
	// 80,000.00 SEK: 9,600.00.
	//
	// The names are the spec's: the desk and the suppliers are named, the
	// customer is not.
	agreements := []report.AgreementFigures{
		{Agreement: slaA.Name, Desk: gDesk, Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, ProviderName: "Desk", Objective: 0.9,
			Metrics: []report.MetricFigures{slaResp, slaRes}},
		{Agreement: netUC.Name, Desk: gDesk, Kind: sla.KindUC, Provider: gNetcom, Consumer: gDesk, ProviderName: "Netcom", ConsumerName: "Desk",
			Objective: 0.95, Metrics: []report.MetricFigures{netRes, netUpd}, Credit: &report.Credit{Percent: 12, Amount: 9_600_00, Currency: "SEK"}},
		{Agreement: srvUC.Name, Desk: gDesk, Kind: sla.KindUC, Provider: gServer, Consumer: gDesk, ProviderName: "Serverhall", ConsumerName: "Desk",
			Objective: 0.9, Metrics: []report.MetricFigures{srvRes, srvUpd}},
	}

	// Total. Registered in March: INC1 2 4 5 6 7 9 10 11 13 (10).
	// Resolved: INC1 2 3 4 5 9 10 11 (8; INC5 twice, counted once), of
	// which INC1, INC4 and INC10 at first contact (3/8) and INC5 reopened
	// (1/8) with its 2 re-assignments and 1 ping-pong. Closed: INC1 2 3 5
	// 9. Cancelled: INC6. Backlog: INC7 (4h), INC13 (72h), INC8 (39d).
	total := report.Figures{Registered: 10, Resolved: 8, Closed: 5, Cancelled: 1,
		FirstContact: 3, FirstContactRate: new(0.375), Reassignments: 2, PingPong: 1, Reopened: 1, ReopenRate: new(0.125),
		Backlog: gBacklog(1, 0, 1, 0, 1),
		Metrics: []report.MetricFigures{slaResp, slaRes, netRes, netUpd, srvRes, srvUpd}}

	// P2: INC2 4 5 11.
	p2 := report.Figures{Registered: 4, Resolved: 4, Closed: 2, FirstContact: 1, FirstContactRate: new(0.25),
		Reassignments: 2, PingPong: 1, Reopened: 1, ReopenRate: new(0.25), Backlog: gBacklog(0, 0, 0, 0, 0),
		Metrics: []report.MetricFigures{
			// INC4 20m, INC5 30m met; INC2 1h30 breached. Mean 140m/3.
			gMetric(slaA, resp, 2, 1, 2.0/3, 0.233333333333, 0, 3, 46*gMin+40*time.Second, 30*gMin, 90*gMin),
			// INC2 5h, INC4 7h, INC5 8h.
			gMetric(slaA, res, 3, 0, 1, 0, 0, 3, 6*gHour+40*gMin, 7*gHour, 8*gHour),
			// INC11 4h30, INC5 5h.
			gMetric(netUC, res, 2, 0, 1, 0, 0, 2, 4*gHour+45*gMin, 4*gHour+30*gMin, 5*gHour),
			// INC5 met (1h), INC11 breached (4h30, one miss).
			gMetric(netUC, upd, 1, 1, 0.5, 0.45, 1, 2, 2*gHour+45*gMin, gHour, 4*gHour+30*gMin),
			// INC2 3h30; INC5 idle.
			gMetric(srvUC, res, 1, 0, 1, 0, 0, 1, 3*gHour+30*gMin, 3*gHour+30*gMin, 3*gHour+30*gMin),
			gMetric(srvUC, upd, 1, 0, 1, 0, 0, 1, 2*gHour, 2*gHour, 2*gHour),
		}}
	// P3: INC1 3 6 7 8 9 13.
	p3 := report.Figures{Registered: 5, Resolved: 3, Closed: 3, Cancelled: 1, FirstContact: 1, FirstContactRate: new(1.0 / 3),
		ReopenRate: new(0.0), Backlog: gBacklog(1, 0, 1, 0, 1),
		Metrics: []report.MetricFigures{
			// INC13 10m, INC1 30m, INC9 30m. Mean 70m/3.
			gMetric(slaA, resp, 3, 0, 1, 0, 0, 3, 23*gMin+20*time.Second, 30*gMin, 30*gMin),
			// INC1 4h, INC9 8h met; INC8 breached; INC3 171h. Mean 183h/3.
			gMetric(slaA, res, 2, 1, 2.0/3, 0.233333333333, 0, 3, 61*gHour, 8*gHour, 171*gHour),
			// INC8 breached; INC3 47h45.
			gMetric(netUC, res, 0, 1, 0, 0.95, 0, 1, 47*gHour+45*gMin, 47*gHour+45*gMin, 47*gHour+45*gMin),
			gMetric(netUC, upd, 0, 1, 0, 0.95, 1, 1, 47*gHour+45*gMin, 47*gHour+45*gMin, 47*gHour+45*gMin),
			// INC9.
			gMetric(srvUC, res, 1, 0, 1, 0, 0, 1, 7*gHour+30*gMin, 7*gHour+30*gMin, 7*gHour+30*gMin),
			gMetric(srvUC, upd, 0, 1, 0, 0.9, 2, 1, 3*gHour, 3*gHour, 3*gHour),
		}}
	// P4: INC10, measured by nothing.
	p4 := report.Figures{Registered: 1, Resolved: 1, FirstContact: 1, FirstContactRate: new(1.0), ReopenRate: new(0.0),
		Backlog: gBacklog(0, 0, 0, 0, 0), Metrics: none}

	// Netcom held INC3 5 8 11; its group has its two metrics, which are
	// the agreement's.
	netcom := report.Figures{Registered: 2, Resolved: 3, Closed: 2, FirstContactRate: new(0.0), Reassignments: 2, PingPong: 1,
		Reopened: 1, ReopenRate: new(1.0 / 3), Backlog: gBacklog(0, 0, 0, 0, 1),
		Metrics: []report.MetricFigures{netRes, netUpd}}
	// Serverhall held INC2 5 9.
	server := report.Figures{Registered: 3, Resolved: 3, Closed: 3, FirstContactRate: new(0.0), Reassignments: 2, PingPong: 1,
		Reopened: 1, ReopenRate: new(1.0 / 3), Backlog: gBacklog(0, 0, 0, 0, 0),
		Metrics: []report.MetricFigures{srvRes, srvUpd}}

	// Categories: network INC3 5 8 11 (the same tickets as Netcom's, but
	// with every metric that measured them).
	network := report.Figures{Registered: 2, Resolved: 3, Closed: 2, FirstContactRate: new(0.0), Reassignments: 2, PingPong: 1,
		Reopened: 1, ReopenRate: new(1.0 / 3), Backlog: gBacklog(0, 0, 0, 0, 1),
		Metrics: []report.MetricFigures{
			// INC5 30m (INC3 and INC8 were responded to in February).
			gMetric(slaA, resp, 1, 0, 1, 0, 0, 1, 30*gMin, 30*gMin, 30*gMin),
			// INC5 8h met, INC8 breached, INC3 171h.
			gMetric(slaA, res, 1, 1, 0.5, 0.4, 0, 2, 89*gHour+30*gMin, 8*gHour, 171*gHour),
			netRes, netUpd,
			// INC5, idle.
			gMetric(srvUC, res, 0, 0, 1, 0, 0, 0, 0, 0, 0),
			gMetric(srvUC, upd, 0, 0, 1, 0, 0, 0, 0, 0, 0),
		}}
	printer := report.Figures{Registered: 1, Resolved: 1, FirstContact: 1, FirstContactRate: new(1.0), ReopenRate: new(0.0),
		Backlog: gBacklog(0, 0, 0, 0, 0), Metrics: none}
	// server: INC2 9.
	serverCat := report.Figures{Registered: 2, Resolved: 2, Closed: 2, FirstContactRate: new(0.0), ReopenRate: new(0.0),
		Backlog: gBacklog(0, 0, 0, 0, 0),
		Metrics: []report.MetricFigures{
			// INC9 30m met, INC2 1h30 breached.
			gMetric(slaA, resp, 1, 1, 0.5, 0.4, 0, 2, time.Hour, 30*gMin, 90*gMin),
			gMetric(slaA, res, 2, 0, 1, 0, 0, 2, 6*gHour+30*gMin, 5*gHour, 8*gHour),
			srvRes, srvUpd,
		}}
	// "": INC1 4 6 7 13.
	noCat := report.Figures{Registered: 5, Resolved: 2, Closed: 1, Cancelled: 1, FirstContact: 2, FirstContactRate: new(1.0),
		ReopenRate: new(0.0), Backlog: gBacklog(1, 0, 1, 0, 0),
		Metrics: []report.MetricFigures{
			// INC13 10m, INC4 20m, INC1 30m.
			gMetric(slaA, resp, 3, 0, 1, 0, 0, 3, 20*gMin, 20*gMin, 30*gMin),
			// INC1 4h, INC4 7h.
			gMetric(slaA, res, 2, 0, 1, 0, 0, 2, 5*gHour+30*gMin, 4*gHour, 7*gHour),
		}}

	loc := gStockholm(t)
	return &report.Report{
		Period:     spec.Period,
		Zone:       "Europe/Stockholm",
		Total:      total,
		Agreements: agreements,
		Priorities: []report.Group{{Key: "P2", Figures: p2}, {Key: "P3", Figures: p3}, {Key: "P4", Figures: p4}},
		Suppliers: []report.Group{{Key: gNetcom.String(), Name: "Netcom", Figures: netcom},
			{Key: gServer.String(), Name: "Serverhall", Figures: server}},
		Categories: []report.Group{{Key: "network", Figures: network}, {Key: "printer", Figures: printer},
			{Key: "server", Figures: serverCat}, {Key: "", Figures: noCat}},
		Trend: []report.TrendPoint{
			// January: INC12 alone, resolved and closed. SLA response met,
			// resolution breached at midnight; Netcom met both.
			{Period: report.Month(2026, time.January, loc), Registered: 1, Resolved: 1, Backlog: 0,
				Metrics: []report.MetricPoint{gPoint(slaA, resp, 1, 0, 1), gPoint(slaA, res, 0, 1, 0),
					gPoint(netUC, res, 1, 0, 1), gPoint(netUC, upd, 1, 0, 1), gPoint(srvUC, res, 0, 0, 1), gPoint(srvUC, upd, 0, 0, 1)}},
			// February: INC8 and INC3, both open at the end. Both
			// responded; INC3 breached the SLA's resolution (27 Feb),
			// Netcom's (26 Feb) and an update interval (24 Feb).
			{Period: report.Month(2026, time.February, loc), Registered: 2, Resolved: 0, Backlog: 2,
				Metrics: []report.MetricPoint{gPoint(slaA, resp, 2, 0, 1), gPoint(slaA, res, 0, 1, 0),
					gPoint(netUC, res, 0, 1, 0), gPoint(netUC, upd, 0, 1, 0), gPoint(srvUC, res, 0, 0, 1), gPoint(srvUC, upd, 0, 0, 1)}},
			{Period: spec.Period, Registered: 10, Resolved: 8, Backlog: 3,
				Metrics: []report.MetricPoint{gPoint(slaA, resp, 5, 1, 5.0/6), gPoint(slaA, res, 5, 1, 5.0/6),
					gPoint(netUC, res, 2, 1, 2.0/3), gPoint(netUC, upd, 1, 2, 1.0/3), gPoint(srvUC, res, 2, 0, 1), gPoint(srvUC, upd, 1, 1, 0.5)}},
		},
	}
}

func TestComputeGolden(t *testing.T) {
	spec := goldenSpec(t)
	tickets := goldenTickets(t)
	got, err := report.Compute(spec, report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	want := goldenReport(t, spec)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("report (-want +got):\n%s", diff)
	}
	// The order of the tickets changes nothing.
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		r.Shuffle(len(tickets), func(i, j int) { tickets[i], tickets[j] = tickets[j], tickets[i] })
		again, err := report.Compute(spec, report.Tickets(tickets))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Fatalf("report of shuffled tickets (-want +got):\n%s", diff)
		}
	}
}

// TestComputeCreditSteps checks the credit at and around each step of a
// rule with two metrics: 1 % of the fee below the objective of 90 %, 3 %
// beyond two points, 6 % beyond five, at most 10 %. Of 100 tickets in
// March, met are answered in 30m and resolved in 4h, the others answered in
// 2h (target 1h) and resolved in 10h (target 8h), so both metrics have the
// same compliance.
func TestComputeCreditSteps(t *testing.T) {
	always, _ := goldenCalendars(t)
	done := []itsm.State{sResolved, sClosed}
	a := &sla.Agreement{Name: "SLA", Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, Objective: 0.9,
		Targets: []sla.Target{
			{Metric: sla.MetricResponse, Priority: 2, Within: time.Hour, Calendar: always, Stop: []itsm.State{sInProgress, sResolved}},
			{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour, Calendar: always, Stop: done},
		},
		Credits: &sla.Credits{MonthlyFee: 100_000_00, Currency: "EUR", Cap: 10,
			Steps: []sla.CreditStep{{Above: 0, Percent: 1}, {Above: 0.02, Percent: 3}, {Above: 0.05, Percent: 6}}}}
	spec := report.Spec{Period: report.Month(2026, time.March, time.UTC), Agreements: []*sla.Agreement{a}}
	for _, c := range []struct {
		met       int
		shortfall float64
		percent   float64
	}{
		{100, 0, 0},
		{90, 0, 0},     // exactly the objective
		{89, 0.01, 2},  // 1 % per metric
		{88, 0.02, 2},  // exactly two points is still the first step, though 0.9 - 0.88 is 0.020000000000000018 in float64
		{87, 0.03, 6},  // 3 % per metric
		{85, 0.05, 6},  // exactly five points (0.050000000000000044)
		{84, 0.06, 10}, // 6 % per metric, 12 % capped at 10 %
		{0, 0.9, 10},   // the cap again
	} {
		var ts []report.Ticket
		for i := range 100 {
			reg := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 6 * time.Hour)
			answer, resolve := 30*time.Minute, 4*time.Hour
			if i >= c.met {
				answer, resolve = 2*time.Hour, 10*time.Hour
			}
			ts = append(ts, report.Ticket{Number: "INC" + strconv.Itoa(i), Desk: gDesk, Customer: gCustomer, Registered: reg,
				Timeline: itsm.Timeline{
					{Start: reg, State: sRegistered, Holder: gDesk, Priority: 2},
					{Start: reg.Add(answer), State: sInProgress, Holder: gDesk, Priority: 2},
					{Start: reg.Add(resolve), State: sResolved, Holder: gDesk, Priority: 2},
				}})
		}
		r, err := report.Compute(spec, report.Tickets(ts))
		if err != nil {
			t.Fatal(err)
		}
		af := r.Agreements[0]
		for _, mf := range af.Metrics {
			if mf.Met != c.met || mf.Breached != 100-c.met || mf.Shortfall != c.shortfall {
				t.Errorf("%d met: %s met %d breached %d short %v, want %d %d %v", c.met, mf.Metric, mf.Met, mf.Breached, mf.Shortfall,
					c.met, 100-c.met, c.shortfall)
			}
		}
		want := &report.Credit{Percent: c.percent, Amount: int64(c.percent * 100_000), Currency: "EUR"}
		if diff := cmp.Diff(want, af.Credit); diff != "" {
			t.Errorf("%d met: credit (-want +got):\n%s", c.met, diff)
		}
	}
}

// TestComputeTrendPeriods checks how the previous periods step back: by
// months for whole months (across the change to summer time), by years, by
// days for whole days, and by the duration otherwise.
func TestComputeTrendPeriods(t *testing.T) {
	loc := gStockholm(t)
	at := func(y int, mo time.Month, d, hh int) time.Time { return time.Date(y, mo, d, hh, 0, 0, 0, loc) }
	for _, c := range []struct {
		name     string
		period   report.Period
		previous int
		want     []report.Period
	}{
		{"month", report.Month(2026, time.April, loc), 3, []report.Period{
			report.Month(2026, time.January, loc), report.Month(2026, time.February, loc),
			report.Month(2026, time.March, loc), report.Month(2026, time.April, loc)}},
		{"month over a year end", report.Month(2026, time.January, loc), 1, []report.Period{
			report.Month(2025, time.December, loc), report.Month(2026, time.January, loc)}},
		{"year", report.Year(2026, loc), 2, []report.Period{report.Year(2024, loc), report.Year(2025, loc), report.Year(2026, loc)}},
		{"quarter", report.Period{From: at(2026, 1, 1, 0), To: at(2026, 4, 1, 0)}, 1, []report.Period{
			{From: at(2025, 10, 1, 0), To: at(2026, 1, 1, 0)}, {From: at(2026, 1, 1, 0), To: at(2026, 4, 1, 0)}}},
		// The week of 30 March has 168 hours, the one before 167.
		{"week", report.Period{From: at(2026, 3, 30, 0), To: at(2026, 4, 6, 0)}, 2, []report.Period{
			{From: at(2026, 3, 16, 0), To: at(2026, 3, 23, 0)}, {From: at(2026, 3, 23, 0), To: at(2026, 3, 30, 0)},
			{From: at(2026, 3, 30, 0), To: at(2026, 4, 6, 0)}}},
		{"shift", report.Period{From: at(2026, 3, 30, 8), To: at(2026, 3, 30, 18)}, 1, []report.Period{
			{From: at(2026, 3, 29, 22), To: at(2026, 3, 30, 8)}, {From: at(2026, 3, 30, 8), To: at(2026, 3, 30, 18)}}},
		{"none", report.Month(2026, time.April, loc), 0, []report.Period{report.Month(2026, time.April, loc)}},
	} {
		r, err := report.Compute(report.Spec{Period: c.period, Previous: c.previous}, report.Tickets(nil))
		if err != nil {
			t.Fatal(err)
		}
		var got []report.Period
		for _, p := range r.Trend {
			got = append(got, p.Period)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestComputeEmpty: a month without tickets still lists every agreement
// metric (compliance 1, no credit owed), every supplier and every ageing
// bucket, and no priority or category. Its spec names only the customer and
// Netcom, so one agreement has only a consumer's name, one only a
// provider's and one neither, and Serverhall's group has no name.
func TestComputeEmpty(t *testing.T) {
	spec := goldenSpec(t)
	spec.Ageing = []time.Duration{0, 48 * time.Hour}
	spec.Previous = 0
	spec.Names = map[itsm.ID]string{gCustomer: "Kund AB", gNetcom: "Netcom"}
	r, err := report.Compute(spec, report.Tickets(nil))
	if err != nil {
		t.Fatal(err)
	}
	slaA, netUC, srvUC := spec.Agreements[0], spec.Agreements[1], spec.Agreements[2]
	empty := func(a *sla.Agreement, m sla.Metric) report.MetricFigures {
		return gMetric(a, m, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	}
	resp, res, upd := sla.MetricResponse, sla.MetricResolution, sla.MetricUpdate
	figures := report.Figures{Metrics: []report.MetricFigures{}, Backlog: report.Backlog{Ageing: []report.AgeBucket{
		{Over: 0}, {Over: report.Duration(48 * time.Hour)}}}}
	want := &report.Report{
		Period: spec.Period,
		Zone:   "Europe/Stockholm",
		Total:  figures,
		Agreements: []report.AgreementFigures{
			{Agreement: slaA.Name, Desk: gDesk, Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, ConsumerName: "Kund AB", Objective: 0.9,
				Metrics: []report.MetricFigures{empty(slaA, resp), empty(slaA, res)}},
			{Agreement: netUC.Name, Desk: gDesk, Kind: sla.KindUC, Provider: gNetcom, Consumer: gDesk, ProviderName: "Netcom", Objective: 0.95,
				Metrics: []report.MetricFigures{empty(netUC, res), empty(netUC, upd)}, Credit: &report.Credit{Currency: "SEK"}},
			{Agreement: srvUC.Name, Desk: gDesk, Kind: sla.KindUC, Provider: gServer, Consumer: gDesk, Objective: 0.9,
				Metrics: []report.MetricFigures{empty(srvUC, res), empty(srvUC, upd)}},
		},
		Priorities: []report.Group{},
		Suppliers:  []report.Group{{Key: gNetcom.String(), Name: "Netcom", Figures: figures}, {Key: gServer.String(), Figures: figures}},
		Categories: []report.Group{},
		Trend: []report.TrendPoint{{Period: spec.Period, Metrics: []report.MetricPoint{
			gPoint(slaA, resp, 0, 0, 1), gPoint(slaA, res, 0, 0, 1), gPoint(netUC, res, 0, 0, 1), gPoint(netUC, upd, 0, 0, 1),
			gPoint(srvUC, res, 0, 0, 1), gPoint(srvUC, upd, 0, 0, 1)}}},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestComputeInvalidSpec: each fault of a spec is refused as invalid,
// without a report, before the source is read.
func TestComputeInvalidSpec(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*report.Spec)
		says   string
	}{
		{"no period", func(s *report.Spec) { s.Period = report.Period{} }, "needs both from and to"},
		{"no end", func(s *report.Spec) { s.Period.To = time.Time{} }, "needs both from and to"},
		{"empty period", func(s *report.Spec) { s.Period.To = s.Period.From }, "is empty"},
		{"reversed period", func(s *report.Spec) { s.Period.From, s.Period.To = s.Period.To, s.Period.From }, "is empty"},
		{"nil agreement", func(s *report.Spec) { s.Agreements[1] = nil }, "agreement 1 is nil"},
		{"invalid agreement", func(s *report.Spec) { s.Agreements[2].Objective = 1.5 }, `agreement 2: agreement "Server UC": objective 1.5`},
		{"invalid credits", func(s *report.Spec) { s.Agreements[1].Credits.Cap = 0 }, "cap 0"},
		{"same name", func(s *report.Spec) { s.Agreements[2].Name = s.Agreements[0].Name }, `agreements 0 and 2 are both named "Customer SLA"`},
		{"negative previous", func(s *report.Spec) { s.Previous = -1 }, "previous -1"},
		{"too many previous", func(s *report.Spec) { s.Previous = 37 }, "previous 37"},
		{"ageing not from zero", func(s *report.Spec) { s.Ageing = []time.Duration{time.Hour, 2 * time.Hour} }, "ageing"},
		{"ageing not increasing", func(s *report.Spec) { s.Ageing = []time.Duration{0, time.Hour, time.Hour} }, "ageing"},
		{"empty resolved state", func(s *report.Spec) { s.Resolved = []itsm.State{sResolved, ""} }, "resolved states"},
		{"empty ended state", func(s *report.Spec) { s.Ended = []itsm.State{""} }, "ended states"},
		{"empty group organisation", func(s *report.Spec) { s.Groups = []itsm.ID{gDesk, {}} }, "include an empty ID"},
		{"trend beyond time", func(s *report.Spec) {
			// 229 years and a second, stepped back by its duration twice,
			// beyond the range of time.Duration.
			s.Period = report.Period{From: time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), To: time.Date(2199, 1, 1, 0, 0, 2, 0, time.UTC)}
			s.Now = s.Period.To
		}, "2 periods before the one from 1970-01-01T00:00:01Z to 2199-01-01T00:00:02Z do not fit in time"},
	} {
		spec := goldenSpec(t)
		c.mutate(&spec)
		read := false
		src := func(yield func(report.Ticket, error) bool) { read = true }
		r, err := report.Compute(spec, src)
		if !itsm.IsCode(err, itsm.CodeInvalid) || r != nil || read {
			t.Errorf("%s: %v, %v, read %t; want an invalid error, no report, no read", c.name, r, err, read)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %q does not say %q", c.name, err, c.says)
		}
	}
	// The limits themselves are fine.
	for _, p := range []int{0, 36} {
		spec := goldenSpec(t)
		spec.Previous = p
		if _, err := report.Compute(spec, report.Tickets(nil)); err != nil {
			t.Errorf("previous %d: %v", p, err)
		}
	}
}

// TestComputeInvalidTicket: a bad ticket anywhere in the source fails the
// whole report with an error naming it, and nothing more is read.
func TestComputeInvalidTicket(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(*report.Ticket)
		says   string
	}{
		{"empty timeline", func(tk *report.Ticket) { tk.Timeline = nil }, "ticket INC5: the timeline is empty"},
		{"no desk", func(tk *report.Ticket) { tk.Desk = itsm.ID{} }, "ticket INC5: desk is empty"},
		{"registered elsewhere", func(tk *report.Ticket) { tk.Registered = tk.Registered.Add(time.Second) }, "ticket INC5: registered"},
		{"out of order", func(tk *report.Ticket) { tk.Timeline[3].Start = tk.Timeline[1].Start.Add(-time.Minute) },
			"ticket INC5: timeline interval 3: start"},
		{"no holder", func(tk *report.Ticket) { tk.Timeline[2].Holder = itsm.ID{} }, "ticket INC5: timeline interval 2: holder is empty"},
		{"no state", func(tk *report.Ticket) { tk.Timeline[4].State = "" }, "timeline interval 4: state is empty"},
		{"no priority", func(tk *report.Ticket) { tk.Timeline[0].Priority = 0 }, "timeline interval 0: priority 0"},
		{"negative reassignments", func(tk *report.Ticket) { tk.Reassignments = -1 }, "must not be negative"},
		{"negative reopens", func(tk *report.Ticket) { tk.Reopened = -1 }, "must not be negative"},
		{"negative moves", func(tk *report.Ticket) { tk.Moves = -1 }, "moves -1"},
		{"ping-pong beyond reassignments", func(tk *report.Ticket) { tk.PingPong = 3 }, "ticket INC5: ping-pong 3 exceeds reassignments 2"},
		{"unnamed", func(tk *report.Ticket) { tk.Number = ""; tk.Desk = itsm.ID{} }, "desk is empty"},
	} {
		tickets := goldenTickets(t)
		bad := &tickets[4] // INC5
		c.mutate(bad)
		after := 0
		src := func(yield func(report.Ticket, error) bool) {
			for i, tk := range tickets {
				if i > 4 {
					after++
				}
				if !yield(tk, nil) {
					return
				}
			}
		}
		r, err := report.Compute(goldenSpec(t), src)
		if !itsm.IsCode(err, itsm.CodeInvalid) || r != nil || after != 0 {
			t.Errorf("%s: %v, %v, %d read after it; want an invalid error, no report, nothing more read", c.name, r, err, after)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %q does not say %q", c.name, err, c.says)
		}
		if bad.Number == "" && !strings.Contains(err.Error(), "ticket "+bad.ID.String()) {
			t.Errorf("%s: %q does not name the ticket by its ID", c.name, err)
		}
	}
}

// TestComputeSourceError: an error from the source ends the report with
// that error under its own code, and the source is not asked for more.
func TestComputeSourceError(t *testing.T) {
	down := itsm.Errorf(itsm.CodeUnavailable, "store is down")
	plain := errors.New("disk on fire")
	for _, c := range []struct {
		err  error
		code itsm.Code
	}{{down, itsm.CodeUnavailable}, {plain, itsm.CodeInternal}} {
		tickets := goldenTickets(t)
		more := false
		src := func(yield func(report.Ticket, error) bool) {
			for _, tk := range tickets[:3] {
				if !yield(tk, nil) {
					return
				}
			}
			if yield(report.Ticket{}, c.err) {
				more = true
				yield(tickets[3], nil)
			}
		}
		r, err := report.Compute(goldenSpec(t), src)
		if r != nil || !errors.Is(err, c.err) || !itsm.IsCode(err, c.code) || more {
			t.Errorf("%v: %v, %v (code %s), asked for more %t; want the error under %s and no report", c.err, r, err, itsm.ErrorCode(err), more, c.code)
		}
	}
}

// TestComputeDurationStats: four clocks of about 150 years each, two of
// them a nanosecond longer, overflow even a uint64 sum of nanoseconds; their
// mean is exact and its half nanosecond rounds up. The median of four is
// the second (nearest rank 2), P90 the fourth.
func TestComputeDurationStats(t *testing.T) {
	always, _ := goldenCalendars(t)
	a := &sla.Agreement{Name: "SLA", Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, Objective: 0.9,
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: gHour, Calendar: always, Stop: []itsm.State{sResolved}}}}
	reg := time.Date(2025, time.March, 1, 0, 0, 0, 0, time.UTC)
	done := time.Date(2175, time.March, 10, 0, 0, 0, 0, time.UTC)
	var ts []report.Ticket
	for i := range 4 {
		ts = append(ts, report.Ticket{Number: "OLD" + strconv.Itoa(i), Desk: gDesk, Registered: reg, Timeline: itsm.Timeline{
			{Start: reg, State: sRegistered, Holder: gDesk, Priority: 3},
			{Start: done.Add(time.Duration(i / 2)), State: sResolved, Holder: gDesk, Priority: 3}}})
	}
	r, err := report.Compute(report.Spec{Period: report.Month(2175, time.March, time.UTC), Agreements: []*sla.Agreement{a},
		Now: time.Date(2175, time.April, 1, 0, 0, 0, 0, time.UTC)}, report.Tickets(ts))
	if err != nil {
		t.Fatal(err)
	}
	long := done.Sub(reg)
	if 4*float64(long) < 1<<64 {
		t.Fatalf("%v is too short to overflow", long)
	}
	// Breached in 2025, so decided neither way in 2175, but both stopped.
	want := gMetric(a, sla.MetricResolution, 0, 0, 1, 0, 0, 4, long+1, long, long+1)
	if diff := cmp.Diff([]report.MetricFigures{want}, r.Agreements[0].Metrics); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestComputeDesksNameAgreementsAlike: names are unique per desk, so two
// desks' UCs with one supplier may share a name. Each measures its own
// desk's tickets, the figures, trend and CSV tell them apart by desk, and
// one desk's two agreements of a name are refused.
func TestComputeDesksNameAgreementsAlike(t *testing.T) {
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "always", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	desk1, desk2 := itsm.MustParseID("0198d000-0000-7000-8000-000000000001"), itsm.MustParseID("0198d000-0000-7000-8000-000000000002")
	supplier := itsm.MustParseID("0198d000-0000-7000-8000-000000000003")
	uc := func(desk itsm.ID, within time.Duration) *sla.Agreement {
		return &sla.Agreement{Name: "UC Nät", Kind: sla.KindUC, Provider: supplier, Consumer: desk, Objective: 0.9,
			Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: within, Calendar: always,
				Stop: []itsm.State{sResolved, sClosed, sCancelled}}}}
	}
	month := report.Month(2026, time.March, time.UTC)
	ticket := func(number string, desk itsm.ID, day int) report.Ticket {
		reg := time.Date(2026, time.March, day, 9, 0, 0, 0, time.UTC)
		return report.Ticket{Number: number, Desk: desk, Registered: reg, Timeline: itsm.Timeline{
			{Start: reg, State: sRegistered, Holder: desk, Priority: 3},
			{Start: reg.Add(time.Hour), State: "delegated", Holder: supplier, Priority: 3},
			{Start: reg.Add(4 * time.Hour), State: sResolved, Holder: supplier, Priority: 3}}}
	}
	// Three hours with the supplier: within desk 1's eight, beyond desk 2's two.
	spec := report.Spec{Period: month, Agreements: []*sla.Agreement{uc(desk1, 8*time.Hour), uc(desk2, 2*time.Hour)},
		Now: month.To}
	r, err := report.Compute(spec, report.Tickets([]report.Ticket{ticket("A1", desk1, 2), ticket("B1", desk2, 3), ticket("B2", desk2, 4)}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range r.Agreements {
		m := a.Metrics[0]
		got = append(got, fmt.Sprint(a.Agreement, " ", a.Desk == m.Desk, " ", a.Desk, " met ", m.Met, " breached ", m.Breached))
	}
	for _, m := range r.Trend[len(r.Trend)-1].Metrics {
		got = append(got, fmt.Sprint("trend ", m.Desk, " met ", m.Met, " breached ", m.Breached))
	}
	want := []string{
		fmt.Sprint("UC Nät true ", desk1, " met 1 breached 0"), fmt.Sprint("UC Nät true ", desk2, " met 0 breached 2"),
		fmt.Sprint("trend ", desk1, " met 1 breached 0"), fmt.Sprint("trend ", desk2, " met 0 breached 2"),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatalf("CSV of two desks' agreements of one name: %v", err)
	}
	back, err := report.ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("CSV read back (-computed +read):\n%s", diff)
	}

	spec.Agreements[1] = uc(desk1, 2*time.Hour)
	if _, err := report.Compute(spec, report.Tickets(nil)); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "both named") {
		t.Errorf("one desk's two agreements of a name: %v, want invalid", err)
	}
}
