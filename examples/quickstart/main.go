// Quickstart prints the service-level clocks of three tickets, measured in
// Swedish working time around Midsommar 2026: a desk, a supplier, the
// customer's SLA and the supplier's underpinning contract.
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // the zone database travels with the binary

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

const officeJSON = `{"name": "stockholm-office", "location": "Europe/Stockholm",
 "hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
           "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]},
 "holidays": ["se"],
 "days": {"2026-06-17": ["08:00-13:00"]}}`

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	office, err := sla.ParseCalendar([]byte(officeJSON))
	if err != nil {
		return err
	}
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: office.Location(), Week: sla.AlwaysOpen()})
	if err != nil {
		return err
	}
	customer, desk, network := itsm.NewID(), itsm.NewID(), itsm.NewID()
	names := map[itsm.ID]string{customer: "city", desk: "desk", network: "network supplier"}

	pause := []itsm.State{"waiting_user"}
	resolved := []itsm.State{"resolved", "closed"}
	targets := func(p1, p2, p3 time.Duration) []sla.Target {
		return []sla.Target{
			{Metric: sla.MetricResolution, Priority: 1, Within: p1, Calendar: always, Pause: pause, Stop: resolved},
			{Metric: sla.MetricResolution, Priority: 2, Within: p2, Calendar: office, Pause: pause, Stop: resolved},
			{Metric: sla.MetricResolution, Priority: 3, Within: p3, Calendar: office, Pause: pause, Stop: resolved},
		}
	}
	agreements := []*sla.Agreement{
		{Name: "city SLA", Kind: sla.KindSLA, Provider: desk, Consumer: customer, Objective: 0.95,
			Warnings: []float64{0.5, 0.75}, Targets: targets(4*time.Hour, 16*time.Hour, 40*time.Hour)},
		{Name: "network UC", Kind: sla.KindUC, Provider: network, Consumer: desk, Objective: 0.95,
			Warnings: []float64{0.5, 0.75}, Targets: targets(3*time.Hour, 12*time.Hour, 32*time.Hour)},
	}
	for _, a := range agreements {
		if err := a.Validate(); err != nil {
			return err
		}
	}

	loc := office.Location()
	at := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, loc)
	}
	tickets := []struct {
		number string
		what   string
		tl     itsm.Timeline
	}{
		{"INC0000001", "printer queue stuck, fixed by the desk at first contact", itsm.Timeline{
			{Start: at(6, 18, 9, 0), State: "in_progress", Holder: desk, Priority: 3},
			{Start: at(6, 18, 9, 20), State: "resolved", Holder: desk, Priority: 3},
		}},
		{"INC0000002", "school network slow, delegated to the network supplier", itsm.Timeline{
			{Start: at(6, 18, 14, 0), State: "in_progress", Holder: desk, Priority: 2},
			{Start: at(6, 18, 14, 30), State: "delegated", Holder: network, Priority: 2},
			{Start: at(6, 18, 15, 0), State: "accepted", Holder: network, Priority: 2},
		}},
		{"INC0000003", "payroll system down, raised to P1, user asked for logs", itsm.Timeline{
			{Start: at(6, 18, 16, 0), State: "in_progress", Holder: desk, Priority: 2},
			{Start: at(6, 18, 16, 30), State: "delegated", Holder: network, Priority: 1},
			{Start: at(6, 18, 17, 0), State: "waiting_user", Holder: network, Priority: 1},
			{Start: at(6, 18, 18, 0), State: "accepted", Holder: network, Priority: 1},
		}},
	}

	now := at(6, 18, 18, 30)
	fmt.Fprintf(w, "Resolution clocks at %s (Midsommarafton, 19 June, is a holiday)\n\n", now.Format("Mon 2 Jan 2006 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ticket\tagreement\tprio\tstatus\telapsed\tremaining\tdue")
	for _, tk := range tickets {
		for _, a := range agreements {
			m, err := a.Measure(tk.tl, sla.MetricResolution, now)
			if err != nil {
				return fmt.Errorf("%s: %w", tk.number, err)
			}
			due := "-"
			if !m.Due.IsZero() {
				due = m.Due.In(loc).Format("Mon 2 Jan 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", tk.number, a.Name, m.Priority, m.Status,
				m.Elapsed, m.Remaining, due)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, tk := range tickets {
		fmt.Fprintf(w, "%s  %s (now held by %s)\n", tk.number, tk.what, names[tk.tl[len(tk.tl)-1].Holder])
	}
	return nil
}
