// Quickstart is a tour of spoc: a service desk with a first and a second
// line, a network supplier with a routing and a switching team, and a
// workplace supplier, the city's SLA with the desk and an underpinning
// contract with each supplier, in Swedish working time around Midsommar 2026.
// Three incidents go through the chain: one the desk's first line fixes at
// first contact; one the first line moves to the second line, which
// delegates it to the network supplier's routing team, which moves it to its
// switching team and reports back; and one rejected by the first supplier
// and re-routed to the second. Every clock of each is printed, and the day
// broken down by group, with the moves between groups apart from the
// re-assignments between organisations.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // the zone database travels with the binary

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
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

// delivery is the support chain of the tour.
type delivery struct {
	city, desk, network, workplace itsm.Organisation
	names                          map[itsm.ID]string
}

func newDelivery() delivery {
	d := delivery{
		city:      itsm.Organisation{ID: itsm.NewID(), Name: "city", Role: itsm.OrgCustomer},
		desk:      itsm.Organisation{ID: itsm.NewID(), Name: "desk", Role: itsm.OrgDesk},
		network:   itsm.Organisation{ID: itsm.NewID(), Name: "network supplier", Role: itsm.OrgSupplier},
		workplace: itsm.Organisation{ID: itsm.NewID(), Name: "workplace supplier", Role: itsm.OrgSupplier},
	}
	d.names = map[itsm.ID]string{}
	for _, o := range []itsm.Organisation{d.city, d.desk, d.network, d.workplace} {
		d.names[o.ID] = o.Name
	}
	return d
}

// agreements returns the city's SLA and the two suppliers' UCs: resolution
// per priority in office hours (P1 around the clock), and for the suppliers a
// response (accept) target and a status-update interval (SD-8).
func agreements(d delivery, office *sla.Calendar) ([]*sla.Agreement, error) {
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: office.Location(), Week: sla.AlwaysOpen()})
	if err != nil {
		return nil, err
	}
	pause := []itsm.State{incident.StateWaitingUser}
	done := []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}
	accepted := append([]itsm.State{incident.StateInProgress}, done...)
	cal := func(p itsm.Priority) *sla.Calendar {
		if p == 1 {
			return always
		}
		return office
	}
	targets := func(resolution [4]time.Duration, supplier bool) []sla.Target {
		var ts []sla.Target
		for i, within := range resolution {
			p := itsm.Priority(i + 1)
			ts = append(ts, sla.Target{Metric: sla.MetricResolution, Priority: p, Within: within, Calendar: cal(p), Pause: pause, Stop: done})
			if supplier {
				ts = append(ts,
					sla.Target{Metric: sla.MetricResponse, Priority: p, Within: within / 8, Calendar: cal(p), Pause: pause, Stop: accepted},
					sla.Target{Metric: sla.MetricUpdate, Priority: p, Within: within / 4, Calendar: cal(p), Pause: pause, Stop: done})
			}
		}
		return ts
	}
	h := time.Hour
	return []*sla.Agreement{
		{Name: "city SLA", Kind: sla.KindSLA, Provider: d.desk.ID, Consumer: d.city.ID, Objective: 0.95,
			Warnings: []float64{0.5, 0.75}, Targets: targets([4]time.Duration{4 * h, 16 * h, 40 * h, 80 * h}, false)},
		{Name: "network UC", Kind: sla.KindUC, Provider: d.network.ID, Consumer: d.desk.ID, Objective: 0.95,
			Warnings: []float64{0.5, 0.75}, Targets: targets([4]time.Duration{3 * h, 12 * h, 32 * h, 64 * h}, true)},
		{Name: "workplace UC", Kind: sla.KindUC, Provider: d.workplace.ID, Consumer: d.desk.ID, Objective: 0.9,
			Warnings: []float64{0.5, 0.75}, Targets: targets([4]time.Duration{3 * h, 12 * h, 32 * h, 64 * h}, true)},
	}, nil
}

func run(w io.Writer) error {
	ctx := context.Background()
	office, err := sla.ParseCalendar([]byte(officeJSON))
	if err != nil {
		return err
	}
	d := newDelivery()
	dir, err := incident.NewOrganisations(d.city, d.desk, d.network, d.workplace)
	if err != nil {
		return err
	}
	perms := itsm.NewPermissions().
		Grant(d.desk.ID, itsm.DomainIncident, itsm.AccessAll).
		Grant(d.network.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite).
		Grant(d.workplace.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite)
	ags, err := agreements(d, office)
	if err != nil {
		return err
	}
	loc := office.Location()
	clock := itsm.NewManualClock(time.Date(2026, 6, 18, 9, 0, 0, 0, loc))
	store := memstore.New() // or sqlitestore.Open, pgstore.Open
	defer store.Close()

	// Each organisation's administrator keeps its groups (SD-11); tickets
	// name them by ID, so a rename changes no history.
	groups, err := chain.New(chain.Config{Store: store, Directory: dir, Clock: clock})
	if err != nil {
		return err
	}
	group := func(org itsm.Organisation, name string, members ...string) (itsm.ID, error) {
		admin := itsm.Actor{Organisation: org.ID, Person: "admin", Roles: []itsm.Role{itsm.RoleAdmin}}
		g, err := groups.Create(ctx, admin, org.ID, chain.Definition{Name: name, Members: members})
		if err != nil {
			return itsm.ID{}, err
		}
		d.names[g.ID] = name
		return g.ID, nil
	}
	var firstLine, secondLine, routing, switching itsm.ID
	for _, g := range []struct {
		id      *itsm.ID
		org     itsm.Organisation
		name    string
		members []string
	}{
		{&firstLine, d.desk, "first line", []string{"dana"}},
		{&secondLine, d.desk, "second line", []string{"dana", "sven"}},
		{&routing, d.network, "routing", []string{"nils"}},
		{&switching, d.network, "switching", []string{"nils"}},
	} {
		if *g.id, err = group(g.org, g.name, g.members...); err != nil {
			return err
		}
	}

	svc, err := incident.New(incident.Config{
		Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(),
		Agreements: ags, Clock: clock,
		// The delegation contact list (SD-11): which supplier and group.
		Routes: []incident.Route{
			{Category: "network", Organisation: d.network.ID, Group: routing},
			{Category: "workplace", Organisation: d.workplace.ID},
		},
	})
	if err != nil {
		return err
	}

	agent := itsm.Actor{Organisation: d.desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	nils := itsm.Actor{Organisation: d.network.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}}
	wera := itsm.Actor{Organisation: d.workplace.ID, Person: "wera", Roles: []itsm.Role{itsm.RoleAgent}}
	register := func(summary, category string, impact itsm.Impact, urgency itsm.Urgency) (*incident.Incident, error) {
		return svc.Register(ctx, agent, incident.Registration{
			Customer: d.city.ID, Caller: incident.Caller{Person: "ulla", Name: "Ulla", Contact: "+46 70 123 45 67"},
			Channel: incident.ChannelPhone, Category: category, Summary: summary,
			Description: "Ulla says: " + summary + ".", Impact: impact, Urgency: urgency,
			Group: firstLine,
		})
	}

	// The tour's steps, each at a time of Thursday 18 June; they run in
	// time order, so the three incidents interleave as at a real desk.
	type step struct {
		at string
		do func() error
	}
	var first, second, third *incident.Incident
	keep := func(dst **incident.Incident) func(*incident.Incident, error) error {
		return func(inc *incident.Incident, err error) error {
			*dst = inc
			return err
		}
	}
	ok := func(_ *incident.Incident, err error) error { return err }
	steps := []step{
		// 1. Fixed by the desk at first contact (SD-3).
		{"09:00", func() error {
			return keep(&first)(register("printer queue stuck", "workplace", itsm.ImpactLow, itsm.UrgencyMedium))
		}},
		{"09:20", func() error {
			return ok(svc.Resolve(ctx, agent, first.ID, incident.Resolution{Code: "restart", Text: "Cleared the print queue."}))
		}},
		{"09:25", func() error { return ok(svc.Close(ctx, agent, first.ID, "Your printer works again.")) }},

		// 2. Moved to the desk's second line, delegated to the network
		// supplier's routing team, moved to its switching team, reported
		// back; the desk informs the user and closes (SD-4). The moves
		// inside the desk and inside the supplier are no re-assignments.
		{"10:00", func() error {
			return keep(&second)(register("school network slow", "network", itsm.ImpactMedium, itsm.UrgencyHigh))
		}},
		{"10:05", func() error {
			return ok(svc.Assign(ctx, agent, second.ID, incident.AssignTo{Group: secondLine, Assignee: "sven"}))
		}},
		// No organisation given: the routes propose the network supplier's
		// routing team.
		{"10:10", func() error { return ok(svc.Delegate(ctx, agent, second.ID, incident.Delegation{})) }},
		{"10:40", func() error { return ok(svc.Accept(ctx, nils, second.ID)) }},
		{"10:42", func() error {
			return ok(svc.Assign(ctx, nils, second.ID, incident.AssignTo{Group: switching, Assignee: "nils"}))
		}},
		{"10:45", func() error { return ok(svc.SetReference(ctx, nils, second.ID, "NET-4711")) }},
		{"12:00", func() error { return ok(svc.Update(ctx, nils, second.ID, "A switch port flaps; replacing it.")) }},
		{"14:30", func() error {
			return ok(svc.ReportBack(ctx, nils, second.ID, incident.Resolution{Code: "hardware", Text: "Switch port replaced."}))
		}},
		{"14:45", func() error {
			return ok(svc.Close(ctx, agent, second.ID, "The school network is back to normal speed."))
		}},

		// 3. Routed to the wrong supplier: the network supplier rejects it
		// and the desk re-routes it to the workplace supplier without
		// involving the user (SD-7); that supplier waits an hour for her.
		{"11:00", func() error {
			return keep(&third)(register("laptop cannot join the wifi", "network", itsm.ImpactMedium, itsm.UrgencyMedium))
		}},
		{"11:05", func() error { return ok(svc.Delegate(ctx, agent, third.ID, incident.Delegation{})) }},
		{"11:50", func() error {
			return ok(svc.Reject(ctx, nils, third.ID, "The wifi is fine; the laptop's certificate has expired."))
		}},
		{"12:00", func() error {
			return ok(svc.Delegate(ctx, agent, third.ID, incident.Delegation{Organisation: d.workplace.ID}))
		}},
		{"12:30", func() error { return ok(svc.Accept(ctx, wera, third.ID)) }},
		{"13:00", func() error {
			return ok(svc.Wait(ctx, wera, third.ID, incident.WaitUser, "Asked Ulla to bring the laptop in."))
		}},
		{"14:00", func() error { return ok(svc.Resume(ctx, wera, third.ID, "The laptop is here.")) }},
	}
	slices.SortStableFunc(steps, func(a, b step) int { return strings.Compare(a.at, b.at) })
	for _, st := range steps {
		t, err := time.ParseInLocation("2006-01-02 15:04", "2026-06-18 "+st.at, loc)
		if err != nil {
			return err
		}
		clock.Set(t)
		if err := st.do(); err != nil {
			return fmt.Errorf("at %s: %w", st.at, err)
		}
	}

	now := time.Date(2026, 6, 18, 16, 0, 0, 0, loc)
	clock.Set(now)
	fmt.Fprintf(w, "Clocks at %s (Midsommarafton, 19 June, is a holiday)\n\n", now.Format("Mon 2 Jan 2006 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "incident\tagreement\tmetric\tprio\tstatus\telapsed\tremaining\tdue")
	for _, inc := range []*incident.Incident{first, second, third} {
		inc, err := svc.Get(ctx, agent, inc.ID)
		if err != nil {
			return err
		}
		clocks, err := svc.Clocks(inc, now)
		if err != nil {
			return err
		}
		for _, c := range clocks {
			due := "-"
			if !c.Due.IsZero() {
				due = c.Due.In(loc).Format("Mon 2 Jan 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.Number, c.Agreement, c.Metric, c.Priority,
				c.Status, c.Elapsed, c.Remaining, due)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, inc := range []*incident.Incident{first, second, third} {
		inc, err := svc.Get(ctx, agent, inc.ID)
		if err != nil {
			return err
		}
		holder := d.names[inc.Holder]
		if !inc.Group.IsZero() {
			holder += " / " + d.names[inc.Group]
		}
		fmt.Fprintf(w, "%s  %-28s %-11s holder %-30s re-assignments %d, moves %d, first contact %t\n",
			inc.Number, inc.Summary, inc.State, holder, inc.Reassignments, inc.Moves,
			inc.Outcome != nil && inc.Outcome.FirstContact)
	}

	// The day so far, as the desk reports it, broken down by its groups
	// and its suppliers' (SL-2): a group counts the tickets it held.
	day := report.Period{From: time.Date(2026, 6, 18, 0, 0, 0, 0, loc), To: time.Date(2026, 6, 19, 0, 0, 0, 0, loc)}
	rep, err := report.Compute(report.Spec{Period: day, Agreements: ags, Names: d.names, Now: now,
		Groups: []itsm.ID{d.desk.ID, d.network.ID}}, svc.Tickets(ctx, agent, day))
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nThe day by group:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  group\torganisation\tregistered\tresolved\tre-assignments\tmoves\topen\tbreaches")
	for _, g := range rep.Groups {
		f := g.Figures
		breaches := 0
		for _, m := range f.Metrics {
			breaches += m.Breached
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", g.Name, d.names[g.Organisation],
			f.Registered, f.Resolved, f.Reassignments, f.Moves, f.Backlog.Open, breaches)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// What the desk chases: the running clocks, soonest due first, found
	// with one index query (SD-8).
	page, err := svc.Due(ctx, agent, incident.DueQuery{From: now})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nRunning clocks, soonest due first:")
	for _, c := range page.Clocks {
		fmt.Fprintf(w, "  %s %s %s of the %s, due %s\n", c.Incident.Number, c.Kind, c.Metric, d.names[c.Provider],
			c.Due.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return nil
}
