package synth

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// category is a kind of incident: how often it comes, which supplier
// resolves it and how often the desk resolves it at first contact.
type category struct {
	name     string
	share    float64
	supplier int    // index in Delivery.Suppliers
	group    string // the supplier's group; "" picks one at random
	fcr      float64
	misroute float64 // delegated to the wrong supplier first
	services []string
}

// categories' shares add up to 1; with their first-contact rates the desk
// resolves about 38% of all incidents.
var categories = []category{
	{"workplace", 0.36, 1, "", 0.47, 0.05, []string{"pc workplace", "printing"}},
	{"applications", 0.32, 2, "", 0.37, 0.08, []string{"email", "e-services", "school administration"}},
	{"network", 0.14, 0, "", 0.15, 0.08, []string{"school network", "office network"}},
	{"access", 0.10, 2, "identity", 0.88, 0.04, []string{"accounts"}},
	{"telephony", 0.08, 3, "", 0.40, 0.06, []string{"mobile telephony", "switchboard"}},
}

// priorityShares are the shares of P1 to P4.
var priorityShares = [4]float64{0.01, 0.09, 0.60, 0.30}

// Working-time medians by priority (P1 first): the desk's response, a
// typical supplier's work, and how often a supplier posts status updates
// (P4 needs none).
var (
	respondMedian = [4]time.Duration{3 * time.Minute, 8 * time.Minute, 20 * time.Minute, 40 * time.Minute}
	workMedian    = [4]time.Duration{70 * time.Minute, 150 * time.Minute, 5 * time.Hour, 9 * time.Hour}
	acceptFactor  = [4]float64{0.3, 0.6, 1, 1.5}
	updateEvery   = [4]time.Duration{time.Hour, 4 * time.Hour, 18 * time.Hour, 0}
)

// strain scales working times by the month of registration: the summer
// holidays thin out the staff of the whole chain, the return from them and
// the darkest weeks bring backlogs.
var strain = [13]float64{time.January: 1.05, time.February: 1, time.March: 0.95, time.April: 0.95,
	time.May: 1, time.June: 1.1, time.July: 1.45, time.August: 1.3, time.September: 1.05,
	time.October: 1, time.November: 1.05, time.December: 1.15}

// The shares of the other turns a ticket may take.
const (
	cancelShare     = 0.02 // a duplicate or not an incident
	reopenShare     = 0.03 // of the resolved
	pingPongShare   = 0.35 // of the misrouted: the right supplier sends it back too
	regroupShare    = 0.03 // of the delegated: the supplier's other group
	waitUserShare   = 0.12 // of the delegated, and a third as many at the desk
	waitVendorShare = 0.07 // of the delegated
	reprioShare     = 0.02 // of the delegated: P2 to P4 move up or down
	desksStartShare = 0.7  // of the delegated: the desk starts before delegating
	autoClose       = 5 * 24 * time.Hour
)

// walker builds tickets one after another from one random stream.
type walker struct {
	g   *Generator
	d   *Delivery
	rng *rand.Rand
	seq uint64

	// The ticket being built.
	tl     itsm.Timeline
	t      time.Time
	cal    *sla.Calendar
	strain float64
	prio   itsm.Priority
	holder itsm.ID
	group  string
	held   []itsm.ID
	delegs int
	ping   int
}

func newWalker(g *Generator) *walker {
	return &walker{g: g, d: &g.delivery, rng: rand.New(rand.NewPCG(g.cfg.Seed, 0x5eed_0f_5a))}
}

// logNormal draws a duration with the median and the spread sigma of its
// logarithm, between a minute and sixty days.
func (w *walker) logNormal(median time.Duration, sigma float64) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*w.rng.NormFloat64()))
	return min(max(d, time.Minute), 60*24*time.Hour).Truncate(time.Second)
}

// effort draws a working time as logNormal does, longer in the months
// when the chain is strained.
func (w *walker) effort(median time.Duration, sigma float64) time.Duration {
	return w.logNormal(time.Duration(float64(median)*w.strain), sigma)
}

func (w *walker) chance(p float64) bool { return w.rng.Float64() < p }

// work moves the time on by d of working time on the ticket's calendar.
func (w *walker) work(d time.Duration) { w.t = w.cal.Add(w.t, d) }

// wait moves the time on by d of calendar time.
func (w *walker) wait(d time.Duration) { w.t = w.t.Add(d) }

// move starts a new interval at the current time.
func (w *walker) move(state itsm.State, holder itsm.ID, group string, update bool) {
	w.holder, w.group = holder, group
	w.tl = append(w.tl, itsm.Interval{Start: w.t, State: state, Holder: holder, Group: GroupID(holder, group), Priority: w.prio, Update: update})
}

func (w *walker) state() itsm.State { return w.tl[len(w.tl)-1].State }

// delegate hands the ticket to a supplier group, counting re-assignments
// and ping-pong as package incident does (SD-7).
func (w *walker) delegate(s *Supplier, group string) {
	org := s.Organisation.ID
	if w.holder != org && slices.Contains(w.held, org) {
		w.ping++
	}
	if !slices.Contains(w.held, org) {
		w.held = append(w.held, org)
	}
	w.delegs++
	w.move(StateDelegated, org, group, false)
}

// reject sends the ticket back to the desk, before or after accepting it.
func (w *walker) reject(s *Supplier) {
	if w.chance(0.4) {
		w.work(w.effort(time.Duration(float64(s.acceptMedian)*acceptFactor[w.prio-1]), 1))
		w.move(StateInProgress, w.holder, w.group, false)
		w.work(w.effort(time.Hour, 1))
	} else {
		w.work(w.effort(time.Duration(float64(s.acceptMedian)*acceptFactor[w.prio-1]), 1))
	}
	w.move(StateInProgress, w.d.Desk.ID, "", false)
	w.work(w.effort(15*time.Minute, 0.8))
}

// resolve has the supplier accept, work with its status updates and waits,
// and report back.
func (w *walker) resolve(s *Supplier, group string, scale float64) {
	w.work(w.effort(time.Duration(float64(s.acceptMedian)*acceptFactor[w.prio-1]), 0.8))
	w.move(StateInProgress, s.Organisation.ID, group, false)
	total := w.effort(time.Duration(float64(workMedian[w.prio-1])*s.slowness*scale), 0.85)
	type event struct {
		at   time.Duration // working time into the work
		what itsm.State    // a waiting state, or "" for a status update
	}
	var events []event
	if w.chance(waitUserShare) {
		events = append(events, event{time.Duration(float64(total) * (0.1 + 0.6*w.rng.Float64())), StateWaitingUser})
	}
	if w.chance(waitVendorShare) {
		events = append(events, event{time.Duration(float64(total) * (0.1 + 0.6*w.rng.Float64())), StateWaitingVendor})
	}
	if w.prio > 1 && w.chance(reprioShare) {
		events = append(events, event{time.Duration(float64(total) * w.rng.Float64()), "reprioritise"})
	}
	if every := updateEvery[w.prio-1]; every > 0 {
		for at := time.Duration(0); ; {
			step := time.Duration(float64(every) * (0.5 + 0.45*w.rng.Float64()))
			if w.chance(s.lateUpdates) {
				step = time.Duration(float64(every) * (1.05 + w.rng.Float64()))
			}
			if at += step; at >= total {
				break
			}
			events = append(events, event{at, ""})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	done := time.Duration(0)
	for _, e := range events {
		w.work(e.at - done)
		done = e.at
		switch e.what {
		case "":
			w.move(StateInProgress, w.holder, w.group, true)
		case "reprioritise":
			if w.prio == 4 || w.prio > 2 && w.chance(0.5) {
				w.prio--
			} else {
				w.prio++
			}
			w.move(w.state(), w.holder, w.group, false)
		default:
			w.move(e.what, w.holder, w.group, false)
			median := 20 * time.Hour
			if e.what == StateWaitingVendor {
				median = 16 * time.Hour
			}
			w.wait(w.logNormal(median, 0.9))
			w.move(StateInProgress, w.holder, w.group, false)
		}
	}
	w.work(total - done)
	w.move(StateResolved, w.holder, w.group, false)
}

// deskResolves has the desk work on the ticket it holds, perhaps waiting for
// the user first, and resolve it.
func (w *walker) deskResolves(median time.Duration) {
	if w.chance(waitUserShare / 3) {
		w.work(w.effort(5*time.Minute, 0.8))
		w.move(StateWaitingUser, w.d.Desk.ID, "", false)
		w.wait(w.logNormal(6*time.Hour, 1))
		w.move(StateInProgress, w.d.Desk.ID, "", false)
	}
	w.work(w.effort(median, 0.8))
	w.move(StateResolved, w.d.Desk.ID, "", false)
}

// close has the desk close the resolved ticket once the user confirms, or
// after autoClose; reopen reports that the user came back instead, within
// the window, and the ticket is back at the desk.
func (w *walker) close(mayReopen bool) (reopened bool) {
	resolved := w.t
	delay := min(w.logNormal(18*time.Hour, 1), autoClose)
	if mayReopen && w.chance(reopenShare) {
		if w.chance(0.6) {
			w.wait(delay)
			w.move(StateClosed, w.holder, w.group, false)
		}
		w.wait(min(w.logNormal(20*time.Hour, 1), resolved.Add(autoClose).Sub(w.t)))
		w.move(StateInProgress, w.d.Desk.ID, "", false)
		return true
	}
	w.wait(delay)
	w.move(StateClosed, w.holder, w.group, false)
	return false
}

// pick returns the category's supplier and group.
func (w *walker) pick(c *category) (*Supplier, string) {
	s := &w.d.Suppliers[c.supplier]
	if c.group != "" {
		return s, c.group
	}
	groups := s.Groups
	if s.Category == "applications" {
		groups = groups[:len(groups)-1] // identity takes the access tickets
	}
	return s, groups[w.rng.IntN(len(groups))]
}

// other returns a supplier other than s, for a misrouted ticket.
func (w *walker) other(s *Supplier) *Supplier {
	for {
		o := &w.d.Suppliers[w.rng.IntN(len(w.d.Suppliers))]
		if o != s {
			return o
		}
	}
}

// delegated takes a ticket that the desk does not resolve to its supplier,
// by way of a misrouting and ping-pong if it comes to that.
func (w *walker) delegated(c *category) {
	right, group := w.pick(c)
	switch {
	case w.chance(c.misroute):
		wrong := w.other(right)
		wrongGroup := wrong.Groups[w.rng.IntN(len(wrong.Groups))]
		w.delegate(wrong, wrongGroup)
		w.reject(wrong)
		if w.chance(pingPongShare) {
			// The right supplier is sure it is not its own, so the desk
			// tries the first again before insisting.
			w.delegate(right, group)
			w.reject(right)
			w.delegate(wrong, wrongGroup)
			w.reject(wrong)
		}
	case w.chance(regroupShare):
		_, first := w.pick(c)
		if first == group {
			first = right.Groups[(slices.Index(right.Groups, group)+1)%len(right.Groups)]
		}
		w.delegate(right, first)
		w.reject(right)
	}
	w.delegate(right, group)
	w.resolve(right, group, 1)
}

// ticket builds the ticket registered at at.
func (w *walker) ticket(at time.Time) report.Ticket {
	w.seq++
	// A new timeline for each ticket, as the consumer may keep it.
	w.tl, w.held, w.delegs, w.ping = make(itsm.Timeline, 0, 12), w.held[:0], 0, 0
	w.t, w.prio = at, w.priority()
	w.strain = strain[at.In(w.g.loc).Month()]
	c := &categories[w.category()]
	w.cal = w.d.Office
	if w.prio == 1 {
		w.cal = w.d.Always
	}
	t := report.Ticket{
		ID: ticketID(w.rng, at), Number: fmt.Sprintf("INC%07d", w.seq),
		Desk: w.d.Desk.ID, Customer: w.d.Customer.ID,
		Service: c.services[w.rng.IntN(len(c.services))], Category: c.name, Registered: at,
	}
	desk := w.d.Desk.ID
	w.move(StateRegistered, desk, "", false)
	switch {
	case w.chance(cancelShare):
		w.work(w.effort(20*time.Minute, 1))
		if w.chance(0.5) {
			w.move(StateInProgress, desk, "", false)
			w.work(w.effort(10*time.Minute, 1))
		}
		w.move(StateCancelled, desk, "", false)
	case w.prio > 1 && w.chance(c.fcr):
		w.work(w.effort(respondMedian[w.prio-1], 0.9))
		w.move(StateInProgress, desk, "", false)
		w.deskResolves(12 * time.Minute)
		t.FirstContact = true
	default:
		w.work(w.effort(respondMedian[w.prio-1], 0.9))
		if w.chance(desksStartShare) {
			w.move(StateInProgress, desk, "", false)
			w.work(w.effort(10*time.Minute, 0.8))
		}
		w.delegated(c)
	}
	if w.state() == StateResolved && w.close(true) {
		t.Reopened++
		t.FirstContact = false
		w.work(w.effort(20*time.Minute, 0.8))
		if w.chance(0.5) {
			w.deskResolves(30 * time.Minute)
		} else {
			right, group := w.pick(c)
			w.delegate(right, group)
			w.resolve(right, group, 0.5)
		}
		w.close(false)
	}
	t.Timeline = w.tl
	t.Reassignments, t.PingPong = max(0, w.delegs-1), w.ping
	return t
}

func (w *walker) priority() itsm.Priority {
	r := w.rng.Float64()
	for i, s := range priorityShares {
		if r < s {
			return itsm.Priority(i + 1)
		}
		r -= s
	}
	return 4
}

func (w *walker) category() int {
	r := w.rng.Float64()
	for i, c := range categories {
		if r < c.share {
			return i
		}
		r -= c.share
	}
	return len(categories) - 1
}
