package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/sla"
)

// Past asks SeedWithPast to import the demo's history: the incidents of
// the last three full months and of this month until Now, so that reports,
// trends, breaches, service credits and the monthly follow-up of last
// month have something to show from the first minute.
type Past struct {
	// Store is the store the server serves from; the history is written
	// into it through the incident library.
	Store itsm.Store
	// Now ends the history: every imported event happens before it. Zero
	// means the time SeedWithPast starts.
	Now time.Time
	// Waiting, when not nil, is called once if another server is seeding
	// the same database, or issuing its tokens on it, when this one
	// starts, with the time that server began; SeedWithPast then waits
	// for it (see KindTurn).
	Waiting func(since time.Time)
	// Beat is how often a seeding server says it is alive, DefaultBeat
	// when zero; Wait is the longest this one waits for another,
	// DefaultWait when zero.
	Beat, Wait time.Duration
}

// skipHistory leaves the history out of SeedWithPast, for the tests of
// what does not depend on it, which the import would slow down.
var skipHistory bool

// HistoryMonths is the number of full months before the current one that
// the history covers.
const HistoryMonths = 3

// historySeed seeds the generator: the same Now gives the same history.
const historySeed = 14

// Imported is what SeedWithPast imported.
type Imported struct {
	// Incidents and Commands count what was registered and every command
	// the history ran, registrations included.
	Incidents, Commands int
	// From and To bound the history: the start of its first month, and
	// Past.Now.
	From, To time.Time
}

// step is one command of the history at its time; inc numbers the
// incident, n the command within it, so that equal times keep each
// incident's order.
type step struct {
	at     time.Time
	inc, n int
	what   string
	do     command
}

// command is one command of the history on the incident with the ID (zero
// for a registration), run by the history's incident service.
type command func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error)

// importHistory writes the demo's past into past.Store with the incident
// library, each command at its historical time, by the people the cast
// names and the groups made. It runs after the agreements and the groups
// exist and before today's stories, so that the event log and the master
// numbers stay in time order.
func importHistory(ctx context.Context, past Past, cast *Cast, groups map[string]itsm.ID) (*Imported, error) {
	now := past.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	dir, err := auth.NewDirectory(ctx, past.Store, nil)
	if err != nil {
		return nil, fmt.Errorf("demo: history: the register: %w", err)
	}
	ags, err := httpapi.LoadAgreements(ctx, past.Store)
	if err != nil {
		return nil, fmt.Errorf("demo: history: the agreements: %w", err)
	}
	office, always := calendarsOf(ags)
	if office == nil || always == nil {
		return nil, fmt.Errorf("demo: history: the agreements have no %s and %s calendars", OfficeCalendar, AlwaysCalendar)
	}
	var clock time.Time
	svc, err := incident.New(incident.Config{Store: past.Store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Agreements: ags, Clock: itsm.ClockFunc(func() time.Time { return clock })})
	if err != nil {
		return nil, fmt.Errorf("demo: history: the incident service: %w", err)
	}
	loc := office.Location()
	local := now.In(loc)
	from := time.Date(local.Year(), local.Month()-HistoryMonths, 1, 0, 0, 0, 0, loc)
	p := &planner{rng: rand.New(rand.NewPCG(historySeed, uint64(from.Unix()))), cast: cast, groups: groups,
		office: office, always: always, now: now}
	p.plan(from)
	slices.SortStableFunc(p.steps, func(a, b step) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.inc != b.inc {
			return a.inc - b.inc
		}
		return a.n - b.n
	})
	ids := make([]itsm.ID, p.incidents)
	im := &Imported{From: from, To: now}
	for _, s := range p.steps {
		if !s.at.Before(now) {
			// The future of an incident open now: it stays open.
			continue
		}
		clock = s.at
		inc, err := s.do(ctx, svc, ids[s.inc])
		if err != nil {
			return nil, fmt.Errorf("demo: history: %s at %s: %w", s.what, s.at.Format(time.RFC3339), err)
		}
		if s.n == 0 {
			ids[s.inc] = inc.ID
			im.Incidents++
		}
		im.Commands++
	}
	return im, nil
}

// calendarsOf returns the office-hours and round-the-clock calendars the
// demo's agreements count on.
func calendarsOf(ags []*sla.Agreement) (office, always *sla.Calendar) {
	for _, ag := range ags {
		for _, t := range ag.Targets {
			switch t.Calendar.Name() {
			case OfficeCalendar:
				office = t.Calendar
			case AlwaysCalendar:
				always = t.Calendar
			}
		}
	}
	return office, always
}

// quality is how often each party misses its targets in one month of the
// history, as a probability per incident: a believable past has a good
// month, a bad one for the network supplier (its core switches were
// replaced) and a bad one for the workplace supplier (a laptop roll-out),
// so that the SLA, the UCs and their credits differ month by month.
type quality struct{ desk, network, workplace float64 }

func qualityOf(monthsAgo int) quality {
	switch monthsAgo {
	case 3:
		return quality{desk: 0.01, network: 0.02, workplace: 0.03}
	case 2:
		return quality{desk: 0.03, network: 0.22, workplace: 0.05}
	case 1:
		return quality{desk: 0.04, network: 0.04, workplace: 0.3}
	}
	return quality{desk: 0.02, network: 0.05, workplace: 0.06}
}

// planner draws the history's incidents and their commands.
type planner struct {
	rng            *rand.Rand
	cast           *Cast
	groups         map[string]itsm.ID
	office, always *sla.Calendar
	now            time.Time
	steps          []step
	incidents      int
}

// The people of the history, besides the demo's own.
var (
	deskAgents      = []string{"dana", "erik", "sara", "dana", "omar"}
	networkAgents   = []string{"nils", "nadia", "nils"}
	workplaceAgents = []string{"wera", "viktor"}
	callers         = []incident.Caller{
		{Person: "ulla", Name: "Ulla Andersson", Contact: "+46 70 123 45 67"},
		{Person: "per", Name: "Per Lindqvist", Contact: "per.lindqvist@exempelstad.example"},
		{Person: "aisha", Name: "Aisha Karimi", Contact: "+46 70 555 01 02"},
		{Person: "bengt", Name: "Bengt Ek", Contact: "bengt.ek@exempelstad.example"},
		{Person: "maja", Name: "Maja Holm", Contact: "+46 73 222 33 44"},
		{Person: "johan", Name: "Johan Berg", Contact: "johan.berg@exempelstad.example"},
		{Person: "lina", Name: "Lina Sandberg", Contact: "+46 76 987 65 43"},
		{Person: "karin", Name: "Karin Nyström", Contact: "karin.nystrom@exempelstad.example"},
		{Person: "ahmed", Name: "Ahmed Yusuf", Contact: "+46 72 444 55 66"},
		{Person: "eva", Name: "Eva Lund", Contact: "eva.lund@exempelstad.example"},
	}
)

// kind is a sort of incident: its category, what users say, how it is
// fixed, and who fixes it.
type kind struct {
	category  string
	summaries []string
	code      string
	fix       string
	// by is "desk" (first contact or the second line), "network" or
	// "workplace".
	by     string
	weight int
}

var kinds = []kind{
	{"accounts", []string{"Password expired", "Account locked after three attempts", "Cannot sign in to the intranet", "New employee has no account"},
		"password-reset", "Reset the password with the user on the phone.", "desk", 18},
	{"applications", []string{"Case management system shows an error", "Payroll report does not open", "Calendar does not sync on the phone"},
		"configuration", "Corrected the user's settings.", "desk", 12},
	{"e-mail", []string{"Mail to a shared mailbox bounces", "Outlook asks for the password again and again", "Cannot open an attachment"},
		"configuration", "Rebuilt the user's mail profile.", "desk", 10},
	{"network", []string{"School network slow", "No network in the library's reading room", "VPN drops every ten minutes", "Wifi down in the sports hall", "Fibre link to the water works is down"},
		"hardware-replaced", "Replaced a faulty switch port.", "network", 22},
	{"telephony", []string{"Switchboard queue does not answer", "Desk phones reboot at the care home", "Call transfer fails at the town hall"},
		"configuration", "Corrected the call routing.", "network", 8},
	{"workplace", []string{"Laptop does not start", "Docking station shows no screen", "Laptop cannot join the wifi", "Keyboard and mouse do not work", "New laptop for a new employee does not enrol"},
		"hardware-replaced", "Replaced the device and restored the user's files.", "workplace", 16},
	{"printing", []string{"Printer queue stuck at the town hall", "Printer prints blank pages", "Scanner does not send to e-mail"},
		"restart", "Cleared the print queue and restarted the printer.", "workplace", 10},
}

var updates = []string{
	"Troubleshooting on site; next update this afternoon.",
	"The part is ordered and arrives tomorrow morning.",
	"A technician is on the way.",
	"The fault is found; the fix is being tested.",
	"Waiting for a service window tonight to apply the change.",
}

// The spike the history ends with: SpikeCount incidents of SpikeSummary,
// one of the e-mail kind's usual complaints, in the working time of the
// last SpikeDays days before the history's end, besides the ones the
// generator draws at its usual rate; those of the last days stay open, in
// progress at the desk. The detector of candidate problems
// (PM-3) proposes them as the demo's one candidate: they are many times the
// group's rate of the twelve weeks before, whose own incidents are the
// baseline.
const (
	SpikeSummary  = "Outlook asks for the password again and again"
	SpikeCategory = "e-mail"
	SpikeCount    = 12
	SpikeDays     = 5
)

// spike plans the spike's incidents, evenly over the office's working time
// of the last SpikeDays days before now and ending an hour before it
// (wall time when a run of holidays leaves none).
func (p *planner) spike() {
	from, to := p.now.Add(-SpikeDays*24*time.Hour), p.now.Add(-time.Hour)
	open := p.office.Between(from, to)
	for i := range SpikeCount {
		share := (float64(i) + 0.5) / SpikeCount
		at := from.Add(time.Duration(share * float64(to.Sub(from))))
		if open > 0 {
			at = p.office.Add(p.office.Next(from), time.Duration(share*float64(open)))
		}
		p.incidentAs(at.Truncate(time.Minute), false, SpikeSummary)
	}
}

// plan draws the incidents registered from from until the planner's now,
// day by day, and the spike that ends the history.
func (p *planner) plan(from time.Time) {
	defer p.spike()
	loc := p.office.Location()
	for day := from; day.Before(p.now); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		open := p.office.Between(day, next)
		if open > 0 {
			// A working day: most incidents, by office hours, more on a
			// Monday, a few monitoring alarms at night.
			n := 3 + p.rng.IntN(5)
			if day.Weekday() == time.Monday {
				n += 2
			}
			for range n {
				at := p.office.Add(p.office.Next(day), time.Duration(p.rng.Float64()*float64(open)))
				p.incident(at.Truncate(time.Minute), false)
			}
			if p.rng.IntN(10) == 0 {
				p.incident(day.Add(time.Duration(18+p.rng.IntN(12))*time.Hour).Truncate(time.Minute), true)
			}
			continue
		}
		// A weekend or a holiday: now and then a monitoring alarm.
		if p.rng.IntN(3) == 0 {
			p.incident(day.Add(time.Duration(p.rng.Float64()*float64(24*time.Hour))).Truncate(time.Minute), true)
		}
	}
}

// monthsAgo is how many calendar months before now t is.
func (p *planner) monthsAgo(t time.Time) int {
	loc := p.office.Location()
	a, b := t.In(loc), p.now.In(loc)
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

func (p *planner) pick(names []string) string { return names[p.rng.IntN(len(names))] }

// within draws a share of a target: mostly well within, over it with the
// probability miss.
func (p *planner) within(target time.Duration, miss float64) time.Duration {
	f := 0.1 + 0.8*p.rng.Float64()
	if p.rng.Float64() < miss {
		f = 1.05 + 0.8*p.rng.Float64()
	}
	return time.Duration(f * float64(target)).Truncate(time.Minute)
}

// minutes draws a working time between lo and hi minutes.
func (p *planner) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+p.rng.IntN(hi-lo+1)) * time.Minute
}

// resolution is the demo's agreements' resolution targets (see settings):
// the SLA's and the UCs', by priority.
func resolution(pr itsm.Priority, uc bool) time.Duration {
	sla := [4]time.Duration{4, 16, 40, 80}
	ucs := [4]time.Duration{3, 12, 32, 64}
	if uc {
		return ucs[pr-1] * time.Hour
	}
	return sla[pr-1] * time.Hour
}

// incident plans one incident registered at at; alarm marks a monitoring
// alarm outside office hours, which is urgent.
func (p *planner) incident(at time.Time, alarm bool) { p.incidentAs(at, alarm, "") }

// incidentAs is incident with what the user said; "" draws it, and a
// summary given is one of the e-mail kind's.
func (p *planner) incidentAs(at time.Time, alarm bool, said string) {
	i := p.incidents
	p.incidents++
	n := 0
	add := func(t time.Time, what string, do command) {
		p.steps = append(p.steps, step{at: t, inc: i, n: n, what: what, do: do})
		n++
	}
	q := qualityOf(p.monthsAgo(at))
	k := p.kind()
	impact, urgency := p.severity(alarm)
	pr, _ := itsm.ServiceNowMatrix().Priority(impact, urgency)
	cal := p.office
	if pr == 1 {
		cal = p.always
	}
	channel := p.channel(alarm)
	caller := callers[p.rng.IntN(len(callers))]
	if alarm {
		caller = incident.Caller{Person: "monitoring", Name: "Network monitoring"}
		k = kinds[slices.IndexFunc(kinds, func(k kind) bool { return k.category == "network" })]
	}
	summary := p.pick(k.summaries)
	if said != "" {
		k, summary = kinds[slices.IndexFunc(kinds, func(k kind) bool { return k.category == SpikeCategory })], said
	}
	desk := itsm.Actor{Organisation: p.cast.Desk, Person: p.pick(deskAgents), Roles: []itsm.Role{itsm.RoleAgent}}
	add(at, "register "+summary, func(ctx context.Context, svc *incident.Service, _ itsm.ID) (*incident.Incident, error) {
		return svc.Register(ctx, desk, incident.Registration{Customer: p.cast.Customer, Caller: caller, Channel: channel,
			Category: k.category, Group: p.groups["First line"], Summary: summary,
			Description: caller.Name + " reports: " + summary + ".", Impact: impact, Urgency: urgency})
	})
	if summary == SpikeSummary && at.After(p.now.Add(-(SpikeDays+3)*24*time.Hour)) {
		// The spike is not solved yet: the desk has started on each, and
		// they stay open for the problem that the candidate becomes to
		// link, whether the generator or the spike drew them.
		add(p.office.Add(at, p.minutes(5, 30)), "start", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Start(ctx, desk, id)
		})
		return
	}
	cur := at
	work := func(d time.Duration) time.Time {
		cur = cal.Add(cur, max(d, time.Minute))
		return cur
	}
	if p.rng.IntN(40) == 0 {
		// A duplicate of one registered a moment before.
		add(work(p.minutes(5, 60)), "cancel", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Cancel(ctx, desk, id, "A duplicate: the user called twice about one fault.")
		})
		return
	}
	by := k.by
	if by != "desk" && p.rng.IntN(8) == 0 {
		// Some the desk fixes itself after all.
		by = "desk"
	}
	switch by {
	case "desk":
		if p.rng.IntN(3) != 0 {
			// At first contact.
			work(p.minutes(3, 40))
		} else {
			add(work(p.minutes(5, 30)), "assign to the second line", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
				return svc.Assign(ctx, desk, id, incident.AssignTo{Group: p.groups["Second line"], Note: "Needs the second line."})
			})
			before := cur
			p.waitMaybe(add, &cur, desk, 6)
			// The clocks stand still while the desk waits for the user.
			cur = cal.Add(cal.Add(at, p.within(resolution(pr, false), q.desk)), cal.Between(before, cur))
			if last := p.lastOf(i); !cur.After(last) {
				cur = last.Add(10 * time.Minute)
			}
		}
		add(cur, "resolve", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Resolve(ctx, desk, id, incident.Resolution{Code: k.code, Text: k.fix})
		})
	default:
		miss := q.network
		org, agents, group := p.cast.Network, networkAgents, p.groups["Network"]
		if k.category == "telephony" {
			group = p.groups["Telephony"]
		}
		if by == "workplace" {
			miss, org, agents, group = q.workplace, p.cast.Workplace, workplaceAgents, itsm.ID{}
		}
		note := "Please take this one."
		if by == "network" && k.category == "network" && p.rng.IntN(10) == 0 {
			// The network supplier finds the fault in the device, not the
			// network, and sends it back; the desk re-routes it.
			p.delegation(add, &cur, cal, desk, pr, p.cast.Network, group, networkAgents, miss, "Please take this one.", true)
			miss, org, agents, group = q.workplace, p.cast.Workplace, workplaceAgents, itsm.ID{}
			note = "The network supplier found the device's network card faulty."
		}
		p.delegation(add, &cur, cal, desk, pr, org, group, agents, miss, note, false)
	}
	add(work(p.minutes(10, 300)), "close", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.Close(ctx, desk, id, "Your incident is resolved; call us if it comes back.")
	})
	closed := cur
	back := p.office.Next(closed.Add(time.Duration(1+p.rng.IntN(48)) * time.Hour))
	if p.rng.IntN(30) == 0 && back.Sub(closed) < 4*24*time.Hour {
		// The fault came back within days, well within the desk's reopen
		// window, whatever holidays came between: reopened, resolved again.
		cur = back
		add(back, "reopen", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Reopen(ctx, desk, id, "The user calls: the fault is back.")
		})
		add(work(p.minutes(30, 240)), "resolve again", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Resolve(ctx, desk, id, incident.Resolution{Code: k.code, Text: "Fixed for good this time."})
		})
		add(work(p.minutes(10, 120)), "close again", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Close(ctx, desk, id, "Fixed again; sorry for the trouble.")
		})
	}
}

// lastOf returns the time of the last step planned for incident i.
func (p *planner) lastOf(i int) time.Time {
	for j := len(p.steps) - 1; j >= 0; j-- {
		if p.steps[j].inc == i {
			return p.steps[j].at
		}
	}
	return time.Time{}
}

// waitMaybe plans, one time in one-in, a wait for the user by the holder
// from *cur and its end hours later; the clocks stand still meanwhile.
func (p *planner) waitMaybe(add func(time.Time, string, command), cur *time.Time, holder itsm.Actor, one int) {
	if p.rng.IntN(one) != 0 {
		return
	}
	*cur = cur.Add(time.Duration(5+p.rng.IntN(30)) * time.Minute)
	add(*cur, "wait for the user", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.Wait(ctx, holder, id, incident.WaitUser, "The user is away; we try again when they are back.")
	})
	*cur = cur.Add(time.Duration(2+p.rng.IntN(40)) * time.Hour)
	add(*cur, "resume", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.Resume(ctx, holder, id, "The user is back.")
	})
}

// delegation plans the desk's delegation to a supplier from *cur and the
// supplier's work: accept, its reference, status updates, perhaps a wait
// for the user, and its report back; or, rejecting, the reason it sends it
// back. miss is how often it misses a target; note is the desk's.
func (p *planner) delegation(add func(time.Time, string, command),
	cur *time.Time, cal *sla.Calendar, desk itsm.Actor, pr itsm.Priority, org, group itsm.ID, agents []string, miss float64, note string, reject bool) {
	work := func(d time.Duration) time.Time {
		*cur = cal.Add(*cur, max(d, time.Minute))
		return *cur
	}
	add(work(p.minutes(5, 60)), "delegate", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.Delegate(ctx, desk, id, incident.Delegation{Organisation: org, Group: group, Note: note})
	})
	delegated := *cur
	agent := itsm.Actor{Organisation: org, Person: p.pick(agents), Roles: []itsm.Role{itsm.RoleAgent}}
	uc := resolution(pr, true)
	add(work(p.within(uc/8, miss/2)), "accept", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.Accept(ctx, agent, id)
	})
	if reject {
		add(work(p.minutes(20, 120)), "reject", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Reject(ctx, agent, id, "The network is fine here; the device's network card has failed. Please send it to the workplace supplier.")
		})
		return
	}
	if org == p.cast.Network {
		ref := fmt.Sprintf("NN-%d", 4000+p.rng.IntN(5000))
		add(cur.Add(2*time.Minute), "reference", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.SetReference(ctx, agent, id, ref)
		})
		*cur = cur.Add(2 * time.Minute)
	}
	done := cal.Add(delegated, p.within(uc, miss))
	// The update clock runs from the delegation: each status update is
	// due within a quarter of the resolution target of the one before.
	every, last := uc/4, delegated
	for {
		gap := time.Duration((0.5 + 0.45*p.rng.Float64()) * float64(every))
		if p.rng.Float64() < miss/3 {
			gap = time.Duration((1.1 + 0.5*p.rng.Float64()) * float64(every))
		}
		next := cal.Add(last, gap).Truncate(time.Minute)
		if !next.After(*cur) {
			next = cur.Add(2 * time.Minute)
		}
		if !next.Before(done) {
			break
		}
		*cur, last = next, next
		text := p.pick(updates)
		add(next, "update", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
			return svc.Update(ctx, agent, id, text)
		})
	}
	before := *cur
	p.waitMaybe(add, cur, agent, 10)
	// The clocks stood still: the report back moves by the working time
	// of the pause.
	done = cal.Add(done, cal.Between(before, *cur))
	if !done.After(*cur) {
		done = cur.Add(5 * time.Minute)
	}
	*cur = done
	add(done, "report back", func(ctx context.Context, svc *incident.Service, id itsm.ID) (*incident.Incident, error) {
		return svc.ReportBack(ctx, agent, id, incident.Resolution{Code: "fixed", Text: "Fixed on our side; see our reference."})
	})
}

// kind draws a sort of incident by weight.
func (p *planner) kind() kind {
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	n := p.rng.IntN(total)
	for _, k := range kinds {
		if n < k.weight {
			return k
		}
		n -= k.weight
	}
	return kinds[0]
}

// severity draws impact and urgency: mostly P3 and P4, a few P2, rarely a
// P1; an alarm at night is a P1 or a P2.
func (p *planner) severity(alarm bool) (itsm.Impact, itsm.Urgency) {
	n := p.rng.IntN(100)
	switch {
	case alarm && n < 30, n < 2:
		return itsm.ImpactHigh, itsm.UrgencyHigh
	case alarm, n < 12:
		return itsm.ImpactMedium, itsm.UrgencyHigh
	case n < 55:
		return itsm.ImpactMedium, itsm.UrgencyMedium
	case n < 80:
		return itsm.ImpactLow, itsm.UrgencyMedium
	}
	return itsm.ImpactLow, itsm.UrgencyLow
}

// channel draws how the user reached the desk.
func (p *planner) channel(alarm bool) incident.Channel {
	if alarm {
		return incident.ChannelMonitoring
	}
	n := p.rng.IntN(100)
	switch {
	case n < 40:
		return incident.ChannelPhone
	case n < 65:
		return incident.ChannelEmail
	case n < 85:
		return incident.ChannelPortal
	case n < 95:
		return incident.ChannelChat
	case n < 98:
		return incident.ChannelWalkIn
	}
	return incident.ChannelMonitoring
}
