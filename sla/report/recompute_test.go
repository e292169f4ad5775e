package report_test

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestComputeRecompute compares Compute with a deliberately naive
// recomputation over random tickets: for each period, group, agreement and
// ticket it measures again, finds the moment a clock stopped by measuring
// at every earlier change instead of walking the timeline, and sorts the
// durations it collects. The tickets cover four months and their
// neighbours: registrations, delegations to up to three suppliers and back,
// waits for the user, rejections, updates, priority changes, resolutions,
// reopens, closures and cancellations, with some changes at the very
// instant a month begins and some at the same instant as the one before.
func TestComputeRecompute(t *testing.T) {
	n := 1500
	if computeRace {
		n = 600
	}
	var seen struct{ resolved, cancelled, reopened, pingPong, moves, firstContact, open, met, breached, missed, stopped int }
	w := newRandomWorld(t)
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 42))
		tickets := w.tickets(r, n)
		spec := report.Spec{
			Period:     report.Month(2026, time.April, w.loc),
			Agreements: w.agreements,
			Previous:   3,
			// S3, D1 and the customers have no name, so OLA S3 and the
			// SLAs have none; UC S1 for D2 has both. Of the groups, the
			// desk's second line and S1's second team have no name.
			Names: map[itsm.ID]string{w.s1: "One", w.s2: "Two", w.d2: "Desk Two",
				w.groups[w.d1][0]: "First line", w.groups[w.s1][0]: "Team A", w.groups[w.s2][0]: "Team B"},
			// The groups of D1 and S1, not S2's.
			Groups: []itsm.ID{w.s1, w.d1},
		}
		switch seed {
		case 1:
			spec.Ageing = []time.Duration{0, 12 * time.Hour, 5 * 24 * time.Hour, 20 * 24 * time.Hour}
		case 2:
			spec.Resolved = []itsm.State{sResolved}
			spec.Ended = []itsm.State{sClosed, sCancelled}
		case 3:
			spec.Previous = 1
			spec.Groups = nil
		}
		got, err := report.Compute(spec, report.Tickets(tickets))
		if err != nil {
			t.Fatal(err)
		}
		want := naiveReport(spec, tickets)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d: Compute (+) differs from the recomputation (-):\n%s", seed, diff)
		}
		// The data must exercise what the figures distinguish, or the
		// comparison proves little: count over all seeds.
		tot := got.Total
		seen.resolved += tot.Resolved
		seen.cancelled += tot.Cancelled
		seen.reopened += tot.Reopened
		seen.pingPong += tot.PingPong
		seen.moves += tot.Moves
		if spec.Groups != nil && len(got.Groups) != 4 {
			t.Errorf("seed %d: %d groups, want the 4 of D1 and S1", seed, len(got.Groups))
		}
		seen.firstContact += tot.FirstContact
		seen.open += tot.Backlog.Open
		for _, a := range got.Agreements {
			for _, m := range a.Metrics {
				seen.met, seen.breached, seen.missed, seen.stopped = seen.met+m.Met, seen.breached+m.Breached,
					seen.missed+m.Missed, seen.stopped+m.Stopped
			}
		}
		if len(got.Priorities) != 4 || len(got.Categories) != 4 {
			t.Errorf("seed %d: %d priorities and %d categories, want 4 and 4", seed, len(got.Priorities), len(got.Categories))
		}
	}
	t.Logf("%d tickets a seed: %+v", n, seen)
	s := seen
	if min(s.resolved, s.cancelled, s.reopened, s.pingPong, s.moves, s.firstContact, s.open) < n/100 ||
		min(s.met, s.breached, s.stopped) < n/10 || s.missed < n/20 {
		t.Errorf("the random tickets are too tame to compare: %+v", seen)
	}
}

// randomWorld is a desk D1 with customers C1 (24x7 SLA with credits) and C2
// (office-hours SLA without a P4 target), a second desk D2, supplier S1
// (a UC with D1 on office hours with credits, and one with D2), S2 (a 24x7
// UC that forgets to stop on cancellation) and S3 (an OLA with a response
// and a custom once-only metric).
//
// D1 has two groups (first and second line), S1 two teams and S2 one; a
// ticket moves between the groups of its holder now and then.
type randomWorld struct {
	loc                        *time.Location
	d1, d2, c1, c2, s1, s2, s3 itsm.ID
	agreements                 []*sla.Agreement
	groups                     map[itsm.ID][]itsm.ID
}

func newRandomWorld(t testing.TB) *randomWorld {
	always, office := goldenCalendars(t)
	w := &randomWorld{loc: gStockholm(t)}
	for i, id := range []*itsm.ID{&w.d1, &w.d2, &w.c1, &w.c2, &w.s1, &w.s2, &w.s3} {
		*id = itsm.MustParseID("0198b000-0000-7000-8000-00000000000" + strconv.Itoa(i+1))
	}
	group := func(n int) itsm.ID {
		return itsm.MustParseID("0198b000-0000-7000-8000-0000000000" + strconv.Itoa(20+n))
	}
	w.groups = map[itsm.ID][]itsm.ID{w.d1: {group(1), group(2)}, w.s1: {group(3), group(4)}, w.s2: {group(5)}}
	done := []itsm.State{sResolved, sClosed, sCancelled}
	pause := []itsm.State{sWaitUser}
	targets := func(m sla.Metric, c *sla.Calendar, pause, stop []itsm.State, within ...time.Duration) []sla.Target {
		var ts []sla.Target
		for i, d := range within {
			if d > 0 {
				ts = append(ts, sla.Target{Metric: m, Priority: itsm.Priority(i + 1), Within: d, Calendar: c, Pause: pause, Stop: stop})
			}
		}
		return ts
	}
	credits := &sla.Credits{MonthlyFee: 50_000_00, Currency: "SEK", Cap: 15,
		Steps: []sla.CreditStep{{Above: 0, Percent: 2}, {Above: 0.05, Percent: 5}, {Above: 0.2, Percent: 10}}}
	w.agreements = []*sla.Agreement{
		{Name: "SLA C1", Kind: sla.KindSLA, Provider: w.d1, Consumer: w.c1, Objective: 0.95, Credits: credits,
			Targets: slices.Concat(
				targets(sla.MetricResponse, always, pause, []itsm.State{sInProgress, sDelegated, sResolved, sClosed, sCancelled},
					15*gMin, gHour, 4*gHour, 8*gHour),
				targets(sla.MetricResolution, always, pause, done, 4*gHour, 8*gHour, 24*gHour, 72*gHour))},
		{Name: "SLA C2", Kind: sla.KindSLA, Provider: w.d1, Consumer: w.c2, Objective: 0.9,
			Targets: slices.Concat(
				targets(sla.MetricResolution, office, nil, done, 8*gHour, 16*gHour, 40*gHour, 0),
				targets(sla.MetricResponse, office, nil, []itsm.State{sInProgress, sDelegated, sResolved, sClosed, sCancelled},
					gHour, 2*gHour, 4*gHour, 0))},
		{Name: "UC S1", Kind: sla.KindUC, Provider: w.s1, Consumer: w.d1, Objective: 0.9, Credits: credits,
			Targets: slices.Concat(
				targets(sla.MetricResolution, office, pause, done, 4*gHour, 9*gHour, 18*gHour, 45*gHour),
				targets(sla.MetricUpdate, office, pause, done, 2*gHour, 4*gHour, 8*gHour, 16*gHour))},
		{Name: "UC S2", Kind: sla.KindUC, Provider: w.s2, Consumer: w.d1, Objective: 0.8,
			Targets: slices.Concat(
				targets(sla.MetricResolution, always, pause, []itsm.State{sResolved, sClosed}, 2*gHour, 8*gHour, 24*gHour, 48*gHour),
				targets(sla.MetricUpdate, always, pause, []itsm.State{sResolved, sClosed}, 0, gHour, 3*gHour, 0))},
		{Name: "OLA S3", Kind: sla.KindOLA, Provider: w.s3, Consumer: w.d1, Objective: 0.85,
			Targets: slices.Concat(
				targets(sla.MetricResponse, office, nil, []itsm.State{sInProgress, sResolved, sClosed, sCancelled}, 30*gMin, gHour, 2*gHour, 4*gHour),
				targets(sla.MetricResolution, office, pause, done, 8*gHour, 16*gHour, 32*gHour, 0),
				[]sla.Target{{Metric: "acknowledge", Priority: 2, Within: 10 * gMin, Calendar: always, Mode: sla.ModeOnce,
					Stop: []itsm.State{sInProgress, sWaitUser, sResolved}}})},
		{Name: "UC S1 for D2", Kind: sla.KindUC, Provider: w.s1, Consumer: w.d2, Objective: 0.9,
			Targets: targets(sla.MetricResolution, always, pause, done, 8*gHour, 24*gHour, 48*gHour, 96*gHour)},
	}
	return w
}

// tickets returns n random tickets registered from December 2025 to early
// May 2026.
func (w *randomWorld) tickets(r *rand.Rand, n int) []report.Ticket {
	first := time.Date(2025, time.December, 1, 0, 0, 0, 0, w.loc)
	span := time.Date(2026, time.May, 10, 0, 0, 0, 0, w.loc).Sub(first)
	pick := func(ids ...itsm.ID) itsm.ID { return ids[r.IntN(len(ids))] }
	out := make([]report.Ticket, 0, n)
	for i := range n {
		tk := report.Ticket{ID: itsm.NewID(), Number: "R" + strconv.Itoa(i), Desk: w.d1,
			Category: []string{"", "network", "server", "apps"}[r.IntN(4)]}
		if r.IntN(10) == 0 {
			tk.Desk = w.d2
		}
		switch r.IntN(10) {
		case 0, 1, 2, 3, 4:
			tk.Customer = w.c1
		case 5, 6, 7:
			tk.Customer = w.c2
		}
		now := first.Add(time.Duration(r.Int64N(int64(span))))
		now = now.Truncate(time.Minute)
		prio := itsm.Priority(1 + r.IntN(4))
		state, holder, group := sRegistered, tk.Desk, itsm.ID{}
		// A ticket registers into a group of the desk or none, and
		// reaches a supplier in one of its teams or none.
		pickGroup := func(org itsm.ID) itsm.ID {
			gs := w.groups[org]
			if i := r.IntN(len(gs) + 1); i < len(gs) {
				return gs[i]
			}
			return itsm.ID{}
		}
		group = pickGroup(holder)
		tl := itsm.Timeline{{Start: now, State: state, Holder: holder, Group: group, Priority: prio}}
		move := func(s itsm.State, who itsm.ID, update bool) {
			if who != holder {
				group = pickGroup(who)
			}
			state, holder = s, who
			tl = append(tl, itsm.Interval{Start: now, State: s, Holder: who, Group: group, Priority: prio, Update: update})
		}
		// regroup moves the ticket to another group of its holder: a move
		// when a group held it (decision 55).
		regroup := func() {
			g := pickGroup(holder)
			if g.IsZero() || g == group {
				return
			}
			if !group.IsZero() {
				tk.Moves++
			}
			group = g
			move(state, holder, false)
		}
		var held []itsm.ID
		delegations, resolved := 0, false
	steps:
		for range 1 + r.IntN(14) {
			now = w.advance(r, now)
			x := r.IntN(100)
			switch {
			case state == sCancelled:
				break steps
			case state == sClosed:
				if x >= 15 {
					break steps
				}
				tk.Reopened++
				move(sInProgress, holder, false)
			case state == sResolved:
				switch {
				case x < 60:
					move(sClosed, holder, false)
				case x < 85:
					tk.Reopened++
					move(sInProgress, holder, false)
				default:
					break steps
				}
			case state == sWaitUser:
				if x < 80 {
					move(sInProgress, holder, r.IntN(2) == 0)
				} else {
					move(sResolved, holder, false)
					resolved = true
				}
			case state == sDelegated:
				switch {
				case x < 60:
					move(sInProgress, holder, false)
				case x < 80:
					move(sInProgress, tk.Desk, false) // rejected
				default:
					prio = itsm.Priority(1 + r.IntN(4))
					move(state, holder, false)
				}
			case holder != tk.Desk: // nIn progress at a supplier
				switch {
				case x < 25:
					move(sInProgress, holder, true)
				case x < 40:
					move(sWaitUser, holder, false)
				case x < 70:
					move(sResolved, holder, false)
					resolved = true
				case x < 85:
					move(sInProgress, tk.Desk, false) // rejected
				case x < 93:
					prio = itsm.Priority(1 + r.IntN(4))
					move(state, holder, false)
				default:
					regroup()
				}
			default: // registered or in progress at the desk
				switch {
				case x < 35:
					s := pick(w.s1, w.s2, w.s3)
					if delegations > 0 {
						tk.Reassignments++
						if slices.Contains(held, s) {
							tk.PingPong++
						}
					}
					delegations++
					held = append(held, s)
					move(sDelegated, s, false)
				case x < 45:
					move(sInProgress, holder, state == sInProgress)
				case x < 55:
					move(sWaitUser, holder, false)
				case x < 75:
					move(sResolved, holder, false)
					resolved = true
				case x < 82:
					move(sCancelled, holder, false)
				case x < 91:
					prio = itsm.Priority(1 + r.IntN(4))
					move(state, holder, false)
				default:
					regroup()
				}
			}
		}
		tk.FirstContact = resolved && delegations == 0
		tk.Timeline, tk.Registered = tl, tl[0].Start
		out = append(out, tk)
	}
	return out
}

// advance returns a random later time: sometimes the same instant,
// sometimes exactly the start of the next month.
func (w *randomWorld) advance(r *rand.Rand, now time.Time) time.Time {
	x := r.IntN(100)
	switch {
	case x < 5:
		return now
	case x < 10:
		y, mo, _ := now.Date()
		return time.Date(y, mo+1, 1, 0, 0, 0, 0, w.loc)
	case x < 40:
		return now.Add(time.Duration(1+r.IntN(120)) * time.Minute)
	case x < 80:
		return now.Add(time.Duration(1+r.IntN(48)) * time.Hour)
	}
	return now.Add(time.Duration(1+r.IntN(15))*24*time.Hour + time.Duration(r.IntN(24*60))*time.Minute)
}

// naive recomputes a report the slow, obvious way.
type naive struct {
	spec     report.Spec
	resolved []itsm.State
	ended    []itsm.State
	ageing   []time.Duration
}

func naiveReport(spec report.Spec, tickets []report.Ticket) *report.Report {
	n := naive{spec: spec, resolved: spec.Resolved, ended: spec.Ended, ageing: spec.Ageing}
	if n.resolved == nil {
		n.resolved = []itsm.State{sResolved, sClosed}
	}
	if n.ended == nil {
		n.ended = []itsm.State{sClosed, sCancelled}
	}
	if n.ageing == nil {
		n.ageing = report.DefaultAgeing
	}
	p := spec.Period
	var periods []report.Period
	for k := spec.Previous; k > 0; k-- { // the tests report on months
		periods = append(periods, report.Period{From: p.From.AddDate(0, -k, 0), To: p.From.AddDate(0, -k+1, 0)})
	}
	periods = append(periods, p)

	var relevant []report.Ticket
	for _, tk := range tickets {
		if n.matters(tk, p) {
			relevant = append(relevant, tk)
		}
	}
	// The world's periods are in a zone that a reader can load again.
	out := &report.Report{Period: p, Zone: p.From.Location().String(), Total: n.figures(p, relevant, nil), Priorities: []report.Group{},
		Suppliers: []report.Group{}, Categories: []report.Group{}, Trend: []report.TrendPoint{}}

	for _, a := range spec.Agreements {
		af := report.AgreementFigures{Agreement: a.Name, Desk: a.Desk(), Kind: a.Kind, Provider: a.Provider, Consumer: a.Consumer,
			ProviderName: spec.Names[a.Provider], ConsumerName: spec.Names[a.Consumer],
			Objective: a.Objective, Metrics: []report.MetricFigures{}}
		var shortfalls []float64
		for _, m := range nMetrics(a) {
			mf, _ := n.metric(p, relevant, a, m)
			af.Metrics = append(af.Metrics, mf)
			shortfalls = append(shortfalls, mf.Shortfall)
		}
		if a.Credits != nil {
			pct, amount := a.Credits.Settle(shortfalls...)
			af.Credit = &report.Credit{Percent: pct, Amount: amount, Currency: a.Credits.Currency}
		}
		out.Agreements = append(out.Agreements, af)
	}

	for prio := itsm.Priority(1); prio < 10; prio++ {
		var g []report.Ticket
		for _, tk := range relevant {
			if nLastBefore(tk.Timeline, p.To).Priority == prio {
				g = append(g, tk)
			}
		}
		if len(g) > 0 {
			out.Priorities = append(out.Priorities, report.Group{Key: "P" + strconv.Itoa(int(prio)), Figures: n.figures(p, g, nil)})
		}
	}

	var suppliers []itsm.ID
	for _, a := range spec.Agreements {
		if a.Kind != sla.KindSLA && !slices.Contains(suppliers, a.Provider) {
			suppliers = append(suppliers, a.Provider)
		}
	}
	for _, s := range suppliers {
		own := func(a *sla.Agreement) bool { return a.Kind != sla.KindSLA && a.Provider == s }
		var g []report.Ticket
		for _, tk := range relevant {
			for _, a := range spec.Agreements {
				if own(a) && nApplies(a, tk, p) {
					g = append(g, tk)
					break
				}
			}
		}
		out.Suppliers = append(out.Suppliers, report.Group{Key: s.String(), Name: spec.Names[s], Figures: n.figures(p, g, own)})
	}

	var cats []string
	for _, tk := range relevant {
		if !slices.Contains(cats, tk.Category) {
			cats = append(cats, tk.Category)
		}
	}
	slices.Sort(cats)
	if len(cats) > 0 && cats[0] == "" {
		cats = append(cats[1:], "")
	}
	for _, c := range cats {
		var g []report.Ticket
		for _, tk := range relevant {
			if tk.Category == c {
				g = append(g, tk)
			}
		}
		out.Categories = append(out.Categories, report.Group{Key: c, Figures: n.figures(p, g, nil)})
	}

	// Groups: every group of an organisation of spec.Groups that an
	// interval before To names, by organisation in spec order, then by
	// name and ID.
	for _, org := range spec.Groups {
		var ids []itsm.ID
		for _, tk := range relevant {
			for _, iv := range tk.Timeline {
				if iv.Start.Before(p.To) && iv.Holder == org && !iv.Group.IsZero() && !slices.Contains(ids, iv.Group) {
					ids = append(ids, iv.Group)
				}
			}
		}
		slices.SortFunc(ids, func(a, b itsm.ID) int {
			if c := strings.Compare(spec.Names[a], spec.Names[b]); c != 0 {
				return c
			}
			return strings.Compare(a.String(), b.String())
		})
		own := func(a *sla.Agreement) bool { return a.Provider == org }
		for _, id := range ids {
			var g []report.Ticket
			for _, tk := range relevant {
				if slices.ContainsFunc(tk.Timeline, func(iv itsm.Interval) bool { return iv.Start.Before(p.To) && iv.Group == id }) {
					g = append(g, tk)
				}
			}
			out.Groups = append(out.Groups, report.Group{Key: id.String(), Name: spec.Names[id], Organisation: org,
				Figures: n.figures(p, g, own)})
		}
	}

	for _, q := range periods {
		var g []report.Ticket
		for _, tk := range tickets {
			if n.matters(tk, q) {
				g = append(g, tk)
			}
		}
		f := n.figures(q, g, nil)
		tp := report.TrendPoint{Period: q, Registered: f.Registered, Resolved: f.Resolved, Backlog: f.Backlog.Open,
			Metrics: []report.MetricPoint{}}
		for _, a := range spec.Agreements {
			for _, m := range nMetrics(a) {
				mf, _ := n.metric(q, g, a, m)
				tp.Metrics = append(tp.Metrics, report.MetricPoint{Agreement: a.Name, Desk: a.Desk(), Provider: a.Provider, Metric: m,
					Met: mf.Met, Breached: mf.Breached, Compliance: mf.Compliance})
			}
		}
		out.Trend = append(out.Trend, tp)
	}
	return out
}

func nMetrics(a *sla.Agreement) []sla.Metric {
	var ms []sla.Metric
	for _, t := range a.Targets {
		if !slices.Contains(ms, t.Metric) {
			ms = append(ms, t.Metric)
		}
	}
	return ms
}

func nIn(t time.Time, p report.Period) bool { return !t.Before(p.From) && t.Before(p.To) }

// nLastBefore is the interval in effect just before t.
func nLastBefore(tl itsm.Timeline, t time.Time) itsm.Interval {
	var iv itsm.Interval
	for _, x := range tl {
		if x.Start.Before(t) {
			iv = x
		}
	}
	return iv
}

// nLasting drops the intervals that last no time.
func nLasting(tl itsm.Timeline) itsm.Timeline {
	var out itsm.Timeline
	for i, iv := range tl {
		if i == len(tl)-1 || !tl[i+1].Start.Equal(iv.Start) {
			out = append(out, iv)
		}
	}
	return out
}

// matters: registered before To, and not already ended before From with
// nothing happening in the period.
func (n *naive) matters(tk report.Ticket, p report.Period) bool {
	if !tk.Registered.Before(p.To) {
		return false
	}
	before := nLastBefore(tk.Timeline, p.From)
	if before.State == "" || !slices.Contains(n.ended, before.State) {
		return true
	}
	for _, iv := range tk.Timeline {
		if nIn(iv.Start, p) {
			return true
		}
	}
	return false
}

// nEntered reports whether the ticket came into one of states in p.
func nEntered(tk report.Ticket, p report.Period, states []itsm.State) bool {
	tl := nLasting(tk.Timeline)
	for i, iv := range tl {
		if nIn(iv.Start, p) && slices.Contains(states, iv.State) && (i == 0 || !slices.Contains(states, tl[i-1].State)) {
			return true
		}
	}
	return false
}

func nApplies(a *sla.Agreement, tk report.Ticket, p report.Period) bool {
	if a.Kind == sla.KindSLA {
		return a.Provider == tk.Desk && (tk.Customer == itsm.ID{} || a.Consumer == tk.Customer)
	}
	if a.Consumer != tk.Desk {
		return false
	}
	for _, iv := range tk.Timeline {
		if iv.Start.Before(p.To) && iv.Holder == a.Provider {
			return true
		}
	}
	return false
}

func (n *naive) figures(p report.Period, g []report.Ticket, own func(*sla.Agreement) bool) report.Figures {
	f := report.Figures{Metrics: []report.MetricFigures{}}
	ageing := make([]int, len(n.ageing))
	for _, tk := range g {
		if nIn(tk.Registered, p) {
			f.Registered++
		}
		if nEntered(tk, p, n.resolved) {
			f.Resolved++
			if tk.FirstContact {
				f.FirstContact++
			}
			f.Reassignments += tk.Reassignments
			f.PingPong += tk.PingPong
			f.Moves += tk.Moves
			if tk.Reopened > 0 {
				f.Reopened++
			}
		}
		if nEntered(tk, p, []itsm.State{sClosed}) {
			f.Closed++
		}
		if nEntered(tk, p, []itsm.State{sCancelled}) {
			f.Cancelled++
		}
		end := nLastBefore(tk.Timeline, p.To).State
		if !slices.Contains(n.resolved, end) && !slices.Contains(n.ended, end) {
			f.Backlog.Open++
			age := p.To.Sub(tk.Registered)
			for i := len(n.ageing) - 1; i >= 0; i-- {
				if age >= n.ageing[i] {
					ageing[i]++
					break
				}
			}
		}
	}
	if f.Resolved > 0 {
		f.FirstContactRate = new(float64(f.FirstContact) / float64(f.Resolved))
		f.ReopenRate = new(float64(f.Reopened) / float64(f.Resolved))
	}
	f.Backlog.Ageing = []report.AgeBucket{}
	for i, over := range n.ageing {
		f.Backlog.Ageing = append(f.Backlog.Ageing, report.AgeBucket{Over: report.Duration(over), Count: ageing[i]})
	}
	for _, a := range n.spec.Agreements {
		if own != nil && !own(a) {
			continue
		}
		for _, m := range nMetrics(a) {
			if mf, measured := n.metric(p, g, a, m); measured {
				f.Metrics = append(f.Metrics, mf)
			}
		}
	}
	return f
}

// metric computes metric m of agreement a over the tickets g in p.
func (n *naive) metric(p report.Period, g []report.Ticket, a *sla.Agreement, m sla.Metric) (report.MetricFigures, bool) {
	mf := report.MetricFigures{Agreement: a.Name, Desk: a.Desk(), Kind: a.Kind, Provider: a.Provider, Metric: m, Objective: a.Objective}
	measured := false
	var durations []time.Duration
	for _, tk := range g {
		if !nApplies(a, tk, p) {
			continue
		}
		end, err := a.Measure(tk.Timeline, m, p.To)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			continue
		}
		if err != nil {
			panic(err)
		}
		measured = true
		stopped := false
		if end.Status == sla.StatusStopped {
			at := nStoppedAt(a, m, tk.Timeline, p.To)
			state := tk.Timeline[tk.Timeline.At(at)].State
			stopped = nIn(at, p) && !(slices.Contains(n.ended, state) && !slices.Contains(n.resolved, state))
		}
		if stopped {
			durations = append(durations, end.Elapsed)
		}
		if m == sla.MetricUpdate {
			before := 0
			if !tk.Registered.After(p.From) {
				if b, err := a.Measure(tk.Timeline, m, p.From); err == nil {
					before = b.Missed
				}
			}
			if end.Missed > before {
				mf.Missed += end.Missed - before
			}
			if before == 0 && end.Missed > 0 {
				mf.Breached++
			} else if stopped && end.Missed == 0 {
				mf.Met++
			}
			continue
		}
		if end.Breached && nIn(end.Due, p) {
			mf.Breached++
		} else if !end.Breached && stopped {
			mf.Met++
		}
	}
	if mf.Met+mf.Breached > 0 {
		mf.Compliance = new(float64(mf.Met) / float64(mf.Met+mf.Breached))
		if s := a.Objective - *mf.Compliance; s > 0 {
			mf.Shortfall = float64(int64(s*1e12+0.5)) / 1e12
		}
	}
	slices.Sort(durations)
	mf.Stopped = len(durations)
	if len(durations) > 0 {
		sum := new(big.Int)
		for _, d := range durations {
			sum.Add(sum, big.NewInt(int64(d)))
		}
		// Round half up: floor((2 sum + n) / 2n).
		num := new(big.Int).Add(new(big.Int).Lsh(sum, 1), big.NewInt(int64(len(durations))))
		mf.Mean = new(report.Duration(num.Div(num, big.NewInt(2*int64(len(durations)))).Int64()))
		mf.Median = new(report.Duration(durations[nRank(50, len(durations))-1]))
		mf.P90 = new(report.Duration(durations[nRank(90, len(durations))-1]))
	}
	return mf, measured
}

// nRank is the nearest rank of percentile p among n values: the smallest r
// with r/n >= p/100.
func nRank(p, n int) int {
	r := 1
	for r*100 < p*n {
		r++
	}
	return r
}

// nStoppedAt finds when a clock that is stopped at to stopped: the earliest
// change after which every measurement up to to shows it stopped. It
// measures on a copy of the timeline at the priority in effect at to, since
// that priority's target applies to the whole history.
func nStoppedAt(a *sla.Agreement, m sla.Metric, tl itsm.Timeline, to time.Time) time.Time {
	pinned := slices.Clone(tl)
	for i := range pinned {
		pinned[i].Priority = tl[tl.At(to)].Priority
	}
	var starts []time.Time
	for _, iv := range pinned {
		if !iv.Start.After(to) && (len(starts) == 0 || !starts[len(starts)-1].Equal(iv.Start)) {
			starts = append(starts, iv.Start)
		}
	}
	at := to
	for i := len(starts) - 1; i >= 0; i-- {
		me, err := a.Measure(pinned, m, starts[i])
		if err != nil {
			panic(err)
		}
		if me.Status != sla.StatusStopped {
			break
		}
		at = starts[i]
	}
	return at
}

// BenchmarkCompute measures Compute over 20,000 random tickets in memory (a
// month with three months of trend) and reports how many times as long it
// takes as merely reading and validating the same tickets (x_validate), and
// its time per ticket.
func BenchmarkCompute(b *testing.B) {
	w := newRandomWorld(b)
	tickets := w.tickets(rand.New(rand.NewPCG(7, 7)), 20_000)
	spec := report.Spec{Period: report.Month(2026, time.April, w.loc), Agreements: w.agreements, Previous: 3}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := report.Compute(spec, report.Tickets(tickets)); err != nil {
			b.Fatal(err)
		}
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(len(tickets)), "ns/ticket")

	// The baseline runs after the benchmark's own loop: testing.Benchmark
	// cannot nest in a running benchmark.
	validate := func() {
		for tk, err := range report.Tickets(tickets) {
			if err != nil || tk.Desk.IsZero() || len(tk.Timeline) == 0 || tk.Timeline.Validate() != nil ||
				!tk.Registered.Equal(tk.Timeline[0].Start) {
				b.Fatal("invalid ticket", tk.Number, err)
			}
		}
	}
	for n := 1; ; n *= 2 {
		start := time.Now()
		for range n {
			validate()
		}
		if el := time.Since(start); el > 200*time.Millisecond {
			b.ReportMetric(perOp/(float64(el.Nanoseconds())/float64(n)), "x_validate")
			return
		}
	}
}
