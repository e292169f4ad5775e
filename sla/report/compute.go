package report

import (
	"cmp"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// earliest and latest bound the time a report covers, its trend included:
// calendars have working time from 1970 through 2199 (decision 3), so
// outside them every clock stands still and a report would only show
// figures nobody could have earned; and JSON cannot even write a year
// before 0, which a long period's trend could reach.
var (
	earliest = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// maxPrevious bounds Spec.Previous: three years of monthly trend is more than
// a follow-up meeting reads, and the bound keeps a mistyped spec from
// measuring every ticket hundreds of times.
const maxPrevious = 36

// The states that the default Resolved and Ended sets are made of. Closed and
// Cancelled count these two states by name: they are the two ways out of the
// backlog that the defaults know, and a spec with its own vocabulary still
// gets Resolved and the backlog right from its own sets.
const (
	stateResolved  itsm.State = "resolved"
	stateClosed    itsm.State = "closed"
	stateCancelled itsm.State = "cancelled"
)

// Compute makes the report that spec asks for from the tickets of src, in one
// pass over them: the trend's previous periods are computed in the same pass.
// It keeps counters per period, group and agreement metric, and for the
// reported period the working time of each clock that stopped in it, which
// the median and 90th percentile need: 16 bytes a clock, so a year of a
// million tickets with a few clocks each keeps well under 100 MB.
//
// A ticket matters to a period when it was registered before the period
// ends and had not ended before it began; one in an Ended state since before
// From that does not change before To is skipped before any clock is
// measured, as it can add nothing. (An agreement should stop its clocks in
// the Ended states: a clock left running in "cancelled" counts a breach in
// the month of the cancellation but never later.)
//
// Every clock is measured at the end of the period (Agreement.Measure with
// now = To), so that a period's figures do not depend on when the report is
// made: what happened after the period never changes them. A change exactly
// at To belongs to the next period throughout. A period that has not ended
// at Spec.Now is measured at Now instead, as if it ended then, and the
// report is Partial with AsOf = Now: a clock that has not run out by now has
// breached nothing, and the backlog is aged at now. A clock is decided once,
// in the period where the outcome became a fact:
//
//   - Breached when the measurement at To is breached and its Due (when it
//     reached the target) lies in the period: a ticket breached in January
//     and resolved in February counts in January only.
//   - Met when not breached, stopped at To, and the clock stopped in the
//     period: at the start of the run of stop intervals the ticket is in at
//     To, or a once-only clock such as response at its first stop. For a UC
//     or OLA only intervals its provider held are stops, as in Measure, so a
//     ticket the desk took back from a supplier leaves the supplier's clock
//     idle and undecided rather than met.
//   - A clock that stopped by entering a state that is Ended but not Resolved
//     (by default "cancelled") is not met and gives no duration: a cancelled
//     duplicate should neither help nor hurt the provider. A breach before
//     the cancellation still counts.
//   - Every other clock that stopped in the period gives its Elapsed working
//     time to the durations, met or breached, since a late resolution is
//     still a resolution time.
//   - A ModeRecurring metric (sla.MetricUpdate) can miss many intervals per
//     ticket, so Missed is the count at To minus the count at From (zero if
//     registered after From); the ticket is breached in the period of its
//     first miss and met when its clock stopped in the period with no miss
//     ever. Other metrics leave Missed zero: Breached already counts them.
//
// Two consequences of measuring each period on its own: a ticket whose
// clock stops again after a reopen is decided again in the period it stops
// again; and since the priority at To selects the target for the whole
// history (as in Measure), a priority change can decide a ticket in two
// periods (breached under P3 in January, met under P4 in February) or in
// none.
//
// Resolved, Closed and Cancelled count each ticket once per period however
// often it entered the state there ("resolved" is entering any state of
// Spec.Resolved from one outside it). Intervals that last no time, several
// changes at one instant, are passed over, so an instant reopen-and-resolve
// is no new entry. First contact, re-assignments, ping-pong and reopens are
// the ticket's counters as given, summed over the tickets resolved in the
// period. The backlog and a ticket's priority group come from the interval
// in effect just before To, so that a ticket resolved exactly at To is in
// this period's backlog and the next period's resolutions: backlogs then
// carry over from period to period. Ages are calendar time since
// registration.
//
// Agreements and supplier groups take their names from Spec.Names.
//
// Problems are computed when the spec names Spec.Problems or
// Spec.KnownErrors, read after the tickets, for the reported period only
// and measured at its end (or Now): see ProblemFigures for what each
// figure counts and for whom (decision 105). An invalid problem or known
// error fails as an invalid ticket does, named by its number.
//
// Priorities are sorted by priority. Suppliers has a group for each
// provider of a UC or OLA, in the order they first appear in the spec (the
// order the spec's author chose), with the tickets one of its agreements
// applies to (held by it, for their consumer desk, before To): a provider
// that is also a desk must not find its own tickets there. Categories are
// sorted with "" last. A group lists the metrics that
// measured at least one of its tickets (Measure found a target at the
// ticket's priority); Agreements list all of each agreement's metrics, so
// that every credit has all its inputs.
//
// Groups has a group for each group of an organisation of Spec.Groups that
// held a ticket (an interval before To names it), with the tickets it held
// as a supplier's group has those its supplier held: its backlog is the
// open tickets it ever held, not only those it holds at To. Its metrics are
// those of the agreements its organisation provides, and its durations
// those of its own tickets' clocks. Moves, like re-assignments, are the
// ticket's counter as given, summed over the tickets resolved in the
// period. Groups are not in the trend.
//
// Percentiles are nearest-rank: the median of n sorted durations is the
// ceil(n/2)-th and P90 the ceil(0.9 n)-th, so that each is a duration some
// ticket really took rather than an interpolation nobody saw. The mean is
// exact to the nanosecond, rounded half up.
//
// Shortfalls are rounded to twelve decimals before they are compared with
// the credit steps: 0.9 - 0.88 is 0.020000000000000018 in floating point,
// and a compliance of exactly 88 % against 90 % must not reach a step
// "above 0.02". With objectives and steps of a few decimals, no compliance
// over fewer than a billion tickets is that close to a step without being on
// it. The credit is Credits.Settle over the agreement's metrics for the
// reported period, on the monthly fee as given, whatever the period's length.
//
// No ticket gives no figure: a metric that decided no ticket in a period
// has no Compliance (nil) and no Shortfall, one whose clocks none stopped
// no Mean, Median and P90 (nil), and a group that resolved no ticket has
// no FirstContactRate and no ReopenRate (nil).
//
// The report's Zone is the name of the period's location when a reader can
// load it again (not Local, not a fixed offset).
//
// Errors: an invalid spec or ticket fails with itsm.CodeInvalid, naming the
// ticket by its Number (or ID); so does a period that has not begun at
// Spec.Now, or one that with its trend reaches outside the years calendars
// cover, 1970 through 2199 (UTC). An error from src ends Compute with that
// error wrapped under its own code. No partial report is returned.
func Compute(spec Spec, src Source) (*Report, error) {
	e, err := newEngine(spec)
	if err != nil {
		return nil, err
	}
	for t, err := range src {
		if err != nil {
			return nil, itsm.Wrap(itsm.ErrorCode(err), err, "report: reading the tickets")
		}
		if err := e.add(&t); err != nil {
			return nil, err
		}
	}
	if err := e.addProblems(); err != nil {
		return nil, err
	}
	return e.report(), nil
}

// checkSpec reports the first thing wrong with spec.
func checkSpec(spec *Spec) error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: "+format, args...)
	}
	p := spec.Period
	switch {
	case p.From.IsZero() || p.To.IsZero():
		return invalid("the period needs both from and to")
	case !p.From.Before(p.To):
		return invalid("the period from %s to %s is empty",
			p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	case spec.Previous < 0 || spec.Previous > maxPrevious:
		return invalid("previous %d is not in [0, %d]", spec.Previous, maxPrevious)
	case p.From.Before(earliest) || p.To.After(latest):
		return invalid("the period from %s to %s is not within 1970 through 2199, the years calendars cover",
			p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	case spec.Now.Before(p.From):
		return invalid("the period from %s has not begun at %s: there is nothing to report yet",
			p.From.Format(time.RFC3339), spec.Now.Format(time.RFC3339))
	}
	for i, a := range spec.Agreements {
		if a == nil {
			return invalid("agreement %d is nil", i)
		}
		if err := a.Validate(); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "report: agreement %d: %w", i, err)
		}
		for j := range i {
			if spec.Agreements[j].Name == a.Name && spec.Agreements[j].Desk() == a.Desk() {
				return invalid("agreements %d and %d are both named %q by desk %s", j, i, a.Name, a.Desk())
			}
		}
	}
	if slices.Contains(spec.Groups, itsm.ID{}) {
		return invalid("the organisations whose groups to break down include an empty ID")
	}
	for i, d := range spec.Ageing {
		if (i == 0 && d != 0) || (i > 0 && d <= spec.Ageing[i-1]) {
			return invalid("ageing %v must start at 0 and increase", spec.Ageing)
		}
	}
	if slices.Contains(spec.Resolved, "") {
		return invalid("the resolved states include an empty state")
	}
	if slices.Contains(spec.Ended, "") {
		return invalid("the ended states include an empty state")
	}
	return nil
}

// checkTicket reports the first thing wrong with t, naming it.
func checkTicket(t *Ticket) error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: ticket %s: "+format, append([]any{ticketName(t)}, args...)...)
	}
	switch {
	case len(t.Timeline) == 0:
		return invalid("the timeline is empty")
	case t.Desk.IsZero():
		return invalid("desk is empty")
	case t.Reassignments < 0 || t.PingPong < 0 || t.Moves < 0 || t.Reopened < 0:
		return invalid("reassignments %d, ping-pong %d, moves %d and reopened %d must not be negative",
			t.Reassignments, t.PingPong, t.Moves, t.Reopened)
	case t.PingPong > t.Reassignments:
		// Every ping-pong is a re-assignment (SD-7).
		return invalid("ping-pong %d exceeds reassignments %d", t.PingPong, t.Reassignments)
	case t.Kind != "" && t.Kind != KindIncident && !t.Kind.Request():
		return invalid("kind %q is not incident, order or task", t.Kind)
	case (t.Order != nil) != (t.Kind == KindOrder):
		return invalid("an order, and only an order, says what was ordered")
	case t.Order != nil && t.Order.Type == "":
		return invalid("the order's type is empty")
	case t.Workaround != "" && t.Kind.Request():
		return invalid("an order or a task has no workaround; only an incident is resolved by one")
	}
	if err := t.Timeline.Validate(); err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "report: ticket %s: %w", ticketName(t), err)
	}
	if !t.Registered.Equal(t.Timeline[0].Start) {
		return invalid("registered %s is not the start of the timeline %s",
			t.Registered.Format(time.RFC3339Nano), t.Timeline[0].Start.Format(time.RFC3339Nano))
	}
	return nil
}

func ticketName(t *Ticket) string {
	if t.Number != "" {
		return t.Number
	}
	return t.ID.String()
}

// trendPeriods returns the n periods before p, oldest first, and p. A period
// of whole calendar months (a month, a quarter, a year) steps by months and
// one of whole days (a week) by days, in From's location, so that February
// precedes March and a week keeps its Monday across a change of daylight
// saving time; any other period steps by its duration.
func trendPeriods(p Period, n int) []Period {
	from, to := p.From, p.To.In(p.From.Location())
	shift := func(k int) time.Time { return from.Add(time.Duration(k) * p.To.Sub(p.From)) }
	if midnight(from) && midnight(to) {
		months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month())
		fy, fm, fd := from.Date()
		ty, tm, td := to.Date()
		days := int(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Sub(time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
		switch {
		case fd == 1 && td == 1 && months > 0 && from.AddDate(0, months, 0).Equal(p.To):
			shift = func(k int) time.Time { return from.AddDate(0, k*months, 0) }
		case days > 0 && from.AddDate(0, 0, days).Equal(p.To):
			shift = func(k int) time.Time { return from.AddDate(0, 0, k*days) }
		}
	}
	out := make([]Period, 0, n+1)
	for k := n; k > 0; k-- {
		out = append(out, Period{From: shift(-k), To: shift(-k + 1)})
	}
	return append(out, p)
}

func midnight(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

// clockDef is one metric of one agreement: a column of the figures.
type clockDef struct {
	agreement int
	metric    sla.Metric
	// supplier indexes engine.suppliers; -1 for an SLA.
	supplier int
}

// tally is what a group knows of one agreement metric in a period.
type tally struct {
	measured, met, breached, missed int
}

// groupTally is what a group knows of its tickets in a period.
type groupTally struct {
	registered, resolved, closed, cancelled         int
	firstContact, reassignments, pingPong, reopened int
	moves, open                                     int
	ageing                                          []int
	clocks                                          []tally
}

// stoppedClock is one clock that stopped in the reported period: its working
// time and the groups it falls in (indexes in order of first appearance).
// Sixteen bytes, so that a million tickets with a handful of clocks each stay
// small.
type stoppedClock struct {
	elapsed  time.Duration
	priority int32
	category int32
}

// engine accumulates a report over one pass of tickets.
type engine struct {
	spec Spec
	// shown are the periods of the report, oldest first, the last
	// spec.Period; periods are the same as measured, the last ending at
	// spec.Now when it has not ended.
	shown    []Period
	periods  []Period
	ageing   []time.Duration
	resolved []itsm.State
	ended    []itsm.State
	clocks   []clockDef
	// suppliers are the providers of the UCs and OLAs, in spec order;
	// supplierOf gives each agreement's index in it (-1 for an SLA).
	suppliers  []itsm.ID
	supplierOf []int

	totals     []*groupTally // by period
	priorities []*groupTally // reported period, by first appearance
	prioKeys   []itsm.Priority
	categories []*groupTally // reported period, by first appearance
	catKeys    []string
	catIndex   map[string]int
	bySupplier []*groupTally    // reported period, by supplier
	stopped    [][]stoppedClock // reported period, by clock
	// teams are the groups of the organisations of Spec.Groups that held
	// a ticket, by first appearance, with their tallies and, by clock,
	// the durations of their clocks that stopped in the reported period;
	// teamIndex finds a group's index. A ticket falls in several groups,
	// so their durations cannot be split out of stopped as priorities'
	// are.
	teams     []teamKey
	teamIndex map[itsm.ID]int
	byTeam    []*groupTally
	teamTimes [][][]time.Duration
	// requests are the request figures of the reported period.
	requests *requests
	// problems are the problem figures of the reported period, nil when
	// the spec asks for none.
	problems *problemTally
	scratch  struct { // per ticket
		held, applies, member []bool
		groups                []*groupTally
		teams                 []int
	}
}

// teamKey is a group of Report.Groups: its ID and organisation.
type teamKey struct{ org, group itsm.ID }

func newEngine(spec Spec) (*engine, error) {
	if spec.Now.IsZero() {
		spec.Now = time.Now()
	}
	if err := checkSpec(&spec); err != nil {
		return nil, err
	}
	shown := trendPeriods(spec.Period, spec.Previous)
	for i, p := range shown {
		// Only a period stepped back by its duration can fail, when
		// Previous times it leaves the range of time.Duration or time.Time.
		if !p.From.Before(p.To) || (i > 0 && !shown[i-1].To.Equal(p.From)) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "report: %d periods before the one from %s to %s do not fit in time",
				spec.Previous, spec.Period.From.Format(time.RFC3339), spec.Period.To.Format(time.RFC3339))
		}
	}
	if first := shown[0].From; first.Before(earliest) {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report: the %d periods before the one from %s to %s begin at %s, before 1970, the first year calendars cover",
			spec.Previous, spec.Period.From.Format(time.RFC3339), spec.Period.To.Format(time.RFC3339), first.UTC().Format("2006-01-02"))
	}
	// The trend's periods end before the reported one begins, which has
	// begun by now; only the reported one can be running still.
	periods := slices.Clone(shown)
	if last := &periods[len(periods)-1]; spec.Now.Before(last.To) {
		last.To = spec.Now
	}
	e := &engine{
		spec:      spec,
		shown:     shown,
		periods:   periods,
		ageing:    spec.Ageing,
		resolved:  spec.Resolved,
		ended:     spec.Ended,
		catIndex:  make(map[string]int),
		teamIndex: make(map[itsm.ID]int),
	}
	// Empty sets count as unset: no report wants no buckets or no way out
	// of the backlog, and a decoded JSON [] should not mean that.
	if len(spec.Ageing) == 0 {
		e.ageing = DefaultAgeing
	}
	if len(spec.Resolved) == 0 {
		e.resolved = []itsm.State{stateResolved, stateClosed}
	}
	if len(spec.Ended) == 0 {
		e.ended = []itsm.State{stateClosed, stateCancelled}
	}
	for i, a := range spec.Agreements {
		s := -1
		if a.Kind != sla.KindSLA {
			s = slices.Index(e.suppliers, a.Provider)
			if s < 0 {
				s = len(e.suppliers)
				e.suppliers = append(e.suppliers, a.Provider)
			}
		}
		e.supplierOf = append(e.supplierOf, s)
		for _, m := range agreementMetrics(a) {
			e.clocks = append(e.clocks, clockDef{agreement: i, metric: m, supplier: s})
		}
	}
	for range e.periods {
		e.totals = append(e.totals, e.newGroup())
	}
	for range e.suppliers {
		e.bySupplier = append(e.bySupplier, e.newGroup())
	}
	if spec.Problems != nil || spec.KnownErrors != nil {
		e.problems = &problemTally{orgs: map[itsm.ID]*problemCounts{}}
	}
	e.stopped = make([][]stoppedClock, len(e.clocks))
	e.scratch.held = make([]bool, len(e.suppliers))
	e.scratch.member = make([]bool, len(e.suppliers))
	e.scratch.applies = make([]bool, len(spec.Agreements))
	return e, nil
}

// agreementMetrics returns the distinct metrics of a's targets, in order.
func agreementMetrics(a *sla.Agreement) []sla.Metric {
	var ms []sla.Metric
	for _, t := range a.Targets {
		if !slices.Contains(ms, t.Metric) {
			ms = append(ms, t.Metric)
		}
	}
	return ms
}

func (e *engine) newGroup() *groupTally {
	return &groupTally{ageing: make([]int, len(e.ageing)), clocks: make([]tally, len(e.clocks))}
}

func (e *engine) isResolved(s itsm.State) bool { return slices.Contains(e.resolved, s) }
func (e *engine) isEnded(s itsm.State) bool    { return slices.Contains(e.ended, s) }

// add validates t and counts it in every period it matters to.
func (e *engine) add(t *Ticket) error {
	if err := checkTicket(t); err != nil {
		return err
	}
	tl := t.Timeline
	last := &tl[len(tl)-1]
	if !t.Registered.Before(e.periods[len(e.periods)-1].To) ||
		(last.Start.Before(e.periods[0].From) && e.isEnded(last.State)) {
		return nil // after the report, or ended before its first period
	}
	for k := range e.periods {
		if e.matters(tl, e.periods[k]) {
			if err := e.addTo(t, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// matters reports whether a ticket with timeline tl was registered before p
// ends and had not ended before p begins: the interval in effect just before
// From is in an Ended state and no change follows before To.
func (e *engine) matters(tl itsm.Timeline, p Period) bool {
	if !tl[0].Start.Before(p.To) {
		return false
	}
	i := lastBefore(tl, p.From)
	return i < 0 || !e.isEnded(tl[i].State) || (i+1 < len(tl) && tl[i+1].Start.Before(p.To))
}

// lastBefore returns the index of the last interval that starts before t, or
// -1.
func lastBefore(tl itsm.Timeline, t time.Time) int {
	i := len(tl) - 1
	for i >= 0 && !tl[i].Start.Before(t) {
		i--
	}
	return i
}

// instant reports whether interval i lasts no time: the next one starts at
// the same moment.
func instant(tl itsm.Timeline, i int) bool {
	return i+1 < len(tl) && tl[i+1].Start.Equal(tl[i].Start)
}

func within(t time.Time, p Period) bool { return !t.Before(p.From) && t.Before(p.To) }

// addTo counts t, which matters to period k, in that period's groups.
func (e *engine) addTo(t *Ticket, k int) error {
	p := e.periods[k]
	tl := t.Timeline
	end := lastBefore(tl, p.To) // >= 0, since t matters to p
	reported := k == len(e.periods)-1

	// The groups the ticket falls in. An order or a task counts in the
	// metrics of its agreements only, and in no priority or category:
	// Figures' counters are incidents', and orders have theirs in
	// Requests.
	request := t.Kind.Request()
	if reported && t.Kind == KindOrder {
		e.addOrder(t, p)
	}
	groups := append(e.scratch.groups[:0], e.totals[k])
	// An order's or a task's clocks are in no priority or category.
	prio, cat := int32(-1), int32(-1)
	if reported && !request {
		prio, cat = e.priorityGroup(tl[end].Priority), e.categoryGroup(t.Category)
		groups = append(groups, e.priorities[prio], e.categories[cat])
	}
	held, applies, member := e.scratch.held, e.scratch.applies, e.scratch.member
	clear(held)
	clear(member)
	for i := 0; i <= end; i++ {
		if s := slices.Index(e.suppliers, tl[i].Holder); s >= 0 {
			held[s] = true
		}
	}
	for i, a := range e.spec.Agreements {
		// An agreement measures the kind of ticket of its scope, and an
		// order or a task only when its item names the agreement; the
		// SLA measures an order end to end, not each of its tasks again.
		// Problems are no report tickets, so their agreements measure none.
		if a.Scope == sla.ScopeProblems || (a.Scope == sla.ScopeRequests) != request ||
			(request && (!slices.Contains(t.Agreements, a.Name) || (t.Kind == KindTask && a.Kind == sla.KindSLA))) {
			applies[i] = false
			continue
		}
		if s := e.supplierOf[i]; s < 0 {
			applies[i] = a.Provider == t.Desk && (t.Customer.IsZero() || a.Consumer == t.Customer)
		} else {
			// A group's OLA applies to the tickets its group held, as
			// incident's Clocks decides.
			applies[i] = a.Consumer == t.Desk && held[s] && (a.ProviderGroup.IsZero() || a.HeldIn(tl[:end+1]))
			member[s] = member[s] || applies[i]
		}
	}
	nGeneral := len(groups)
	if reported {
		for s, m := range member {
			if m {
				groups = append(groups, e.bySupplier[s])
			}
		}
	}
	nSuppliers := len(groups)
	teams := e.scratch.teams[:0]
	if reported && len(e.spec.Groups) > 0 {
		for i := 0; i <= end; i++ {
			iv := &tl[i]
			if iv.Group.IsZero() || !slices.Contains(e.spec.Groups, iv.Holder) {
				continue
			}
			if g := e.teamGroup(iv.Holder, iv.Group); !slices.Contains(teams, g) {
				teams = append(teams, g)
				groups = append(groups, e.byTeam[g])
			}
		}
	}
	e.scratch.groups, e.scratch.teams = groups, teams

	// Counters.
	var registered, resolved, closed, cancelled bool
	registered = within(t.Registered, p)
	var wasResolved, wasClosed, wasCancelled bool
	var resolver itsm.ID // who held it when it was last resolved in p
	for i := 0; i <= end; i++ {
		if instant(tl, i) {
			continue
		}
		s := tl[i].State
		r, c, x := e.isResolved(s), s == stateClosed, s == stateCancelled
		if !tl[i].Start.Before(p.From) {
			if r && !wasResolved {
				resolver = tl[i].Holder
			}
			resolved = resolved || (r && !wasResolved)
			closed = closed || (c && !wasClosed)
			cancelled = cancelled || (x && !wasCancelled)
		}
		wasResolved, wasClosed, wasCancelled = r, c, x
	}
	open := !e.isResolved(tl[end].State) && !e.isEnded(tl[end].State)
	bucket := 0
	if open {
		age := p.To.Sub(t.Registered)
		for bucket+1 < len(e.ageing) && e.ageing[bucket+1] <= age {
			bucket++
		}
	}
	if reported && resolved && !request && e.problems != nil {
		e.problems.addIncident(resolver, t.Workaround != "")
	}
	for _, g := range groups {
		if request {
			break
		}
		g.registered += b2i(registered)
		g.closed += b2i(closed)
		g.cancelled += b2i(cancelled)
		if resolved {
			g.resolved++
			g.firstContact += b2i(t.FirstContact)
			g.reassignments += t.Reassignments
			g.pingPong += t.PingPong
			g.moves += t.Moves
			g.reopened += b2i(t.Reopened > 0)
		}
		if open {
			g.open++
			g.ageing[bucket]++
		}
	}

	// Clocks.
	cur := tl.At(p.To)
	for j, c := range e.clocks {
		if !applies[c.agreement] {
			continue
		}
		o, ok, err := e.decide(t, c, cur, p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		for gi, g := range groups[:nSuppliers] {
			if gi >= nGeneral && (c.supplier < 0 || e.bySupplier[c.supplier] != g) {
				continue // a supplier's group has only its own metrics
			}
			g.clocks[j].add(o)
		}
		// A group has only its organisation's agreements' metrics.
		provider := e.spec.Agreements[c.agreement].Provider
		for _, g := range teams {
			if e.teams[g].org != provider {
				continue
			}
			e.byTeam[g].clocks[j].add(o)
			if o.stopped {
				e.teamTimes[g][j] = append(e.teamTimes[g][j], o.elapsed)
			}
		}
		if reported && o.stopped {
			e.stopped[j] = append(e.stopped[j], stoppedClock{elapsed: o.elapsed, priority: prio, category: cat})
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *engine) priorityGroup(p itsm.Priority) int32 {
	i := slices.Index(e.prioKeys, p)
	if i < 0 {
		i = len(e.prioKeys)
		e.prioKeys = append(e.prioKeys, p)
		e.priorities = append(e.priorities, e.newGroup())
	}
	return int32(i)
}

// teamGroup returns the index of group of organisation org in e.teams,
// adding it at its first appearance. A group's ID is its own (a group
// belongs to one organisation), so the ID alone finds it.
func (e *engine) teamGroup(org, group itsm.ID) int {
	i, ok := e.teamIndex[group]
	if !ok {
		i = len(e.teams)
		e.teamIndex[group] = i
		e.teams = append(e.teams, teamKey{org: org, group: group})
		e.byTeam = append(e.byTeam, e.newGroup())
		e.teamTimes = append(e.teamTimes, make([][]time.Duration, len(e.clocks)))
	}
	return i
}

func (e *engine) categoryGroup(c string) int32 {
	i, ok := e.catIndex[c]
	if !ok {
		i = len(e.catKeys)
		e.catIndex[c] = i
		e.catKeys = append(e.catKeys, c)
		e.categories = append(e.categories, e.newGroup())
	}
	return int32(i)
}

// outcome is how one clock of one ticket is decided in a period.
type outcome struct {
	met, breached bool
	missed        int
	// stopped: the clock stopped in the period (not by a cancellation), so
	// its elapsed time is one of the durations.
	stopped bool
	elapsed time.Duration
}

func (o *tally) add(x outcome) {
	o.measured++
	o.met += b2i(x.met)
	o.breached += b2i(x.breached)
	o.missed += x.missed
}

// decide measures clock c of t at the end of p (cur is the interval in
// effect then) and decides it; ok is false when the agreement has no target
// for the ticket's priority.
func (e *engine) decide(t *Ticket, c clockDef, cur int, p Period) (o outcome, ok bool, err error) {
	a := e.spec.Agreements[c.agreement]
	tl := t.Timeline
	// Measure would say CodeNotFound, but building that error costs more
	// than the measurement.
	if _, ok := a.Target(c.metric, tl[cur].Priority); !ok {
		return outcome{}, false, nil
	}
	me, err := a.Measure(tl, c.metric, p.To)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, itsm.Wrap(itsm.ErrorCode(err), err, "report: ticket %s", ticketName(t))
	}
	target, _ := a.Target(c.metric, me.Priority)
	mode := targetMode(target)
	if me.Status == sla.StatusStopped {
		i := stopIndex(a, target, mode, tl, cur)
		s := tl[i].State
		o.stopped = within(tl[i].Start, p) && !(e.isEnded(s) && !e.isResolved(s))
		o.elapsed = me.Elapsed
	}
	if mode != sla.ModeRecurring {
		o.breached = me.Breached && within(me.Due, p)
		o.met = !me.Breached && o.stopped
		return o, true, nil
	}
	before := 0
	if _, ok := a.Target(c.metric, tl[max(0, tl.At(p.From))].Priority); ok && !t.Registered.After(p.From) {
		mf, err := a.Measure(tl, c.metric, p.From)
		switch {
		case err == nil:
			before = mf.Missed
		case !itsm.IsCode(err, itsm.CodeNotFound):
			return outcome{}, false, itsm.Wrap(itsm.ErrorCode(err), err, "report: ticket %s", ticketName(t))
		}
	}
	// A priority change between From and To re-measures the history on
	// another target, so the difference can be negative; the period then
	// missed nothing new.
	o.missed = max(0, me.Missed-before)
	o.breached = before == 0 && me.Missed > 0
	o.met = o.stopped && me.Missed == 0
	return o, true, nil
}

// targetMode is the mode t's clock runs in. It follows sla.ModeDefault's
// documented mapping of the well-known metrics, which the sla package keeps
// unexported.
func targetMode(t *sla.Target) sla.Mode {
	if t.Mode != sla.ModeDefault {
		return t.Mode
	}
	switch t.Metric {
	case sla.MetricResponse:
		return sla.ModeOnce
	case sla.MetricUpdate:
		return sla.ModeRecurring
	}
	return sla.ModeCumulative
}

// stopIndex returns the interval at which a stopped clock stopped, seen from
// interval cur: a once-only clock's first stop, otherwise the start of the
// run of stop intervals that cur ends. Intervals that last no time neither
// extend nor break the run, and the interval returned is the one that lasts
// from the stop on, whose state tells a cancellation. For a UC or OLA an interval stops the clock only
// when its provider held it, as in Measure.
func stopIndex(a *sla.Agreement, t *sla.Target, mode sla.Mode, tl itsm.Timeline, cur int) int {
	stop := func(i int) bool {
		return (a.Kind == sla.KindSLA || tl[i].Holder == a.Provider) && slices.Contains(t.Stop, tl[i].State)
	}
	if mode == sla.ModeOnce {
		for i := 0; i <= cur; i++ {
			if stop(i) {
				// The state that lasts from that instant on is the one
				// the clock stopped in.
				for instant(tl, i) {
					i++
				}
				return i
			}
		}
		return cur
	}
	run := cur
	for i := cur - 1; i >= 0; i-- {
		if instant(tl, i) {
			continue
		}
		if !stop(i) {
			break
		}
		run = i
	}
	return run
}

// report turns the tallies into the Report.
func (e *engine) report() *Report {
	r := &Report{
		Period:     e.spec.Period,
		Zone:       zoneName(e.shown),
		Agreements: make([]AgreementFigures, 0, len(e.spec.Agreements)),
		Priorities: make([]Group, 0, len(e.prioKeys)),
		Suppliers:  make([]Group, 0, len(e.suppliers)),
		Categories: make([]Group, 0, len(e.catKeys)),
		Trend:      make([]TrendPoint, 0, len(e.periods)),
	}
	if end := e.periods[len(e.periods)-1].To; end.Before(e.spec.Period.To) {
		r.Partial, r.AsOf = true, end.In(e.spec.Period.From.Location())
	}
	// Durations: every stopped clock of each metric, and split by priority
	// and category group, each sorted.
	all := make([][]time.Duration, len(e.clocks))
	byPrio := make([][][]time.Duration, len(e.clocks))
	byCat := make([][][]time.Duration, len(e.clocks))
	for j, sc := range e.stopped {
		all[j] = make([]time.Duration, len(sc))
		for i, s := range sc {
			all[j][i] = s.elapsed
		}
		slices.Sort(all[j])
		byPrio[j] = splitDurations(sc, len(e.prioKeys), func(s stoppedClock) int32 { return s.priority })
		byCat[j] = splitDurations(sc, len(e.catKeys), func(s stoppedClock) int32 { return s.category })
	}
	whole := func(j int) []time.Duration { return all[j] }
	r.Total = e.figures(e.totals[len(e.totals)-1], whole, nil)
	for i, a := range e.spec.Agreements {
		af := AgreementFigures{Agreement: a.Name, Desk: a.Desk(), Kind: a.Kind, Provider: a.Provider, Consumer: a.Consumer,
			ProviderName: e.spec.Names[a.Provider], ConsumerName: e.spec.Names[a.Consumer],
			Objective: a.Objective, Metrics: []MetricFigures{}}
		var shortfalls []float64
		for j, c := range e.clocks {
			if c.agreement == i {
				mf := e.metricFigures(j, e.totals[len(e.totals)-1].clocks[j], all[j])
				af.Metrics = append(af.Metrics, mf)
				shortfalls = append(shortfalls, mf.Shortfall)
			}
		}
		if a.Credits != nil {
			pct, amount := a.Credits.Settle(shortfalls...)
			af.Credit = &Credit{Percent: pct, Amount: amount, Currency: a.Credits.Currency}
		}
		r.Agreements = append(r.Agreements, af)
	}
	for _, i := range sortedIndexes(e.prioKeys, func(a, b itsm.Priority) int { return cmp.Compare(a, b) }) {
		r.Priorities = append(r.Priorities, Group{Key: e.prioKeys[i].String(),
			Figures: e.figures(e.priorities[i], func(j int) []time.Duration { return byPrio[j][i] }, nil)})
	}
	for s, id := range e.suppliers {
		// A supplier's group holds every ticket its agreements measure,
		// so its metrics' durations are the agreements' own.
		own := func(j int) bool { return e.clocks[j].supplier == s }
		r.Suppliers = append(r.Suppliers, Group{Key: id.String(), Name: e.spec.Names[id],
			Figures: e.figures(e.bySupplier[s], whole, own)})
	}
	for _, i := range sortedIndexes(e.catKeys, func(a, b string) int {
		// "" (no category) goes last.
		return cmp.Or(cmp.Compare(b2i(a == ""), b2i(b == "")), cmp.Compare(a, b))
	}) {
		r.Categories = append(r.Categories, Group{Key: e.catKeys[i],
			Figures: e.figures(e.categories[i], func(j int) []time.Duration { return byCat[j][i] }, nil)})
	}
	for _, i := range sortedIndexes(e.teams, func(a, b teamKey) int {
		return cmp.Or(cmp.Compare(slices.Index(e.spec.Groups, a.org), slices.Index(e.spec.Groups, b.org)),
			cmp.Compare(e.spec.Names[a.group], e.spec.Names[b.group]), cmp.Compare(a.group.String(), b.group.String()))
	}) {
		k := e.teams[i]
		for _, d := range e.teamTimes[i] {
			slices.Sort(d)
		}
		r.Groups = append(r.Groups, Group{Key: k.group.String(), Name: e.spec.Names[k.group], Organisation: k.org,
			Figures: e.figures(e.byTeam[i], func(j int) []time.Duration { return e.teamTimes[i][j] }, nil)})
	}
	for k, p := range e.shown {
		g := e.totals[k]
		tp := TrendPoint{Period: p, Registered: g.registered, Resolved: g.resolved, Backlog: g.open,
			Metrics: make([]MetricPoint, 0, len(e.clocks))}
		for j, c := range e.clocks {
			a := e.spec.Agreements[c.agreement]
			tp.Metrics = append(tp.Metrics, MetricPoint{Agreement: a.Name, Desk: a.Desk(), Provider: a.Provider, Metric: c.metric,
				Met: g.clocks[j].met, Breached: g.clocks[j].breached, Compliance: compliance(g.clocks[j])})
		}
		r.Trend = append(r.Trend, tp)
	}
	r.Requests = e.requests.report()
	r.Problems = e.problems.report(e.suppliers, e.spec.Names)
	return r
}

// addProblems reads the spec's problems and known errors into the figures
// of the reported period, measured as the tickets are: at its end, or at
// Now for a period still running.
func (e *engine) addProblems() error {
	if e.problems == nil {
		return nil
	}
	p := e.periods[len(e.periods)-1]
	if err := addEach(e.spec.Problems, "problems", checkProblem, func(pr *Problem) { e.problems.addProblem(pr, p) }); err != nil {
		return err
	}
	return addEach(e.spec.KnownErrors, "known errors", checkKnownError, func(k *KnownError) { e.problems.addKnownError(k, p) })
}

// addEach checks and adds each record of src (none when it is nil),
// ending at the first error of src or of check.
func addEach[T any](src iter.Seq2[T, error], what string, check func(*T) error, add func(*T)) error {
	if src == nil {
		return nil
	}
	for v, err := range src {
		if err != nil {
			return itsm.Wrap(itsm.ErrorCode(err), err, "report: reading the %s", what)
		}
		if err := check(&v); err != nil {
			return err
		}
		add(&v)
	}
	return nil
}

// sortedIndexes returns the indexes of keys in the order of compare.
func sortedIndexes[K any](keys []K, compare func(a, b K) int) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return compare(keys[a], keys[b]) })
	return idx
}

// splitDurations returns the elapsed times of sc by group (n groups, as key
// gives them; a negative key is in none), each sorted. A counting split
// keeps the cost linear however many categories there are.
func splitDurations(sc []stoppedClock, n int, key func(stoppedClock) int32) [][]time.Duration {
	counts := make([]int, n+1)
	for _, s := range sc {
		if k := key(s); k >= 0 {
			counts[k+1]++
		}
	}
	for i := 1; i <= n; i++ {
		counts[i] += counts[i-1]
	}
	flat := make([]time.Duration, counts[n])
	next := slices.Clone(counts[:n])
	for _, s := range sc {
		k := key(s)
		if k < 0 {
			continue
		}
		flat[next[k]] = s.elapsed
		next[k]++
	}
	out := make([][]time.Duration, n)
	for i := range out {
		out[i] = flat[counts[i]:counts[i+1]:counts[i+1]]
		slices.Sort(out[i])
	}
	return out
}

// figures builds a group's Figures. durations gives the sorted durations of
// the group's clocks by clock index; own, when set, says which metrics the
// group may list.
func (e *engine) figures(g *groupTally, durations func(j int) []time.Duration, own func(j int) bool) Figures {
	f := Figures{
		Registered: g.registered, Resolved: g.resolved, Closed: g.closed, Cancelled: g.cancelled,
		FirstContact: g.firstContact, Reassignments: g.reassignments, PingPong: g.pingPong, Moves: g.moves, Reopened: g.reopened,
		Backlog: Backlog{Open: g.open, Ageing: make([]AgeBucket, len(e.ageing))},
		Metrics: []MetricFigures{},
	}
	f.FirstContactRate, f.ReopenRate = share(g.firstContact, g.resolved), share(g.reopened, g.resolved)
	for i, over := range e.ageing {
		f.Backlog.Ageing[i] = AgeBucket{Over: Duration(over), Count: g.ageing[i]}
	}
	for j := range e.clocks {
		if g.clocks[j].measured > 0 && (own == nil || own(j)) {
			f.Metrics = append(f.Metrics, e.metricFigures(j, g.clocks[j], durations(j)))
		}
	}
	return f
}

// metricFigures builds the figures of clock j from its tally and its sorted
// durations.
func (e *engine) metricFigures(j int, t tally, durations []time.Duration) MetricFigures {
	c := e.clocks[j]
	a := e.spec.Agreements[c.agreement]
	mf := MetricFigures{Agreement: a.Name, Desk: a.Desk(), Kind: a.Kind, Provider: a.Provider, Metric: c.metric,
		Met: t.met, Breached: t.breached, Compliance: compliance(t), Objective: a.Objective,
		Stopped: len(durations), Missed: t.missed}
	mf.Shortfall = shortfall(a.Objective, mf.Compliance)
	mf.Mean, mf.Median, mf.P90 = durationStats(durations)
	return mf
}

// compliance is Met / (Met + Breached), and nil when nothing was decided:
// a period without decided tickets has no figure, neither a promise kept
// nor one broken.
func compliance(t tally) *float64 { return share(t.met, t.met+t.breached) }

// share is part / whole, and nil when whole is zero: every ratio of a
// report is a share of some tickets, and no ticket gives no figure
// (decision 43), so that nothing shows a 100 % or a 0 % no ticket earned.
func share(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	s := float64(part) / float64(whole)
	return &s
}

// shortfall is objective - compliance rounded to twelve decimals (see
// Compute), or zero when compliance reaches the objective or there is
// none.
func shortfall(objective float64, compliance *float64) float64 {
	if compliance == nil {
		return 0
	}
	s := math.Round((objective-*compliance)*1e12) / 1e12
	if s <= 0 {
		return 0
	}
	return s
}

// Span is the time the report of spec covers, its trend included: from the
// start of the first previous period to the end of Period. A Source over a
// store should yield the tickets of all of it; one over Period alone would
// leave the trend's earlier periods short of tickets.
func (s Spec) Span() Period {
	if s.Previous <= 0 {
		return s.Period
	}
	return Period{From: trendPeriods(s.Period, s.Previous)[0].From, To: s.Period.To}
}
