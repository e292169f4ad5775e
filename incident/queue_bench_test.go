package incident_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

// queueBenchTickets is the number of open incidents BenchmarkQueue builds:
// SPOC_BENCH_QUEUE_TICKETS, or 10,000. Issue 13's figure is 100,000
// (SPOC_BENCH_QUEUE_TICKETS=100000, as docs/PERFORMANCE.md records), whose
// fixture takes over a minute on SQLite: too long for CI, which runs every
// benchmark once.
func queueBenchTickets(b *testing.B) int {
	if s := os.Getenv("SPOC_BENCH_QUEUE_TICKETS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("SPOC_BENCH_QUEUE_TICKETS=%q: want a number of at least 1000", s)
		}
		return n
	}
	if testing.Short() {
		return 1_000 // CI's one run proves the benchmark works, not the figure
	}
	return 10_000
}

// queuePage is the page size of BenchmarkQueue: a screenful of a desk
// agent's queue.
const queuePage = 50

// BenchmarkQueue reads pages of 50 of the queue of one group, ordered by due
// time, out of 10,000 open incidents (100,000 with
// SPOC_BENCH_QUEUE_TICKETS=100000, see queueBenchTickets) held by the
// desk's two groups on SQLite, and compares them in one run with reading
// the same 50 incidents by ID:
//
//   - ns/op is one Service.Queue page starting at a random incident of the
//     group (a keyset cursor), as an agent scrolling the queue asks;
//   - x_get is that over 50 Service.Get calls of the page's incidents, what
//     a client holding the IDs would do;
//   - x_store is the store's part alone: the page's one index query over 50
//     ReadTx.Get calls in one read transaction.
//
// The target of issue 13 is x_get at most 3. The fixture is one incident
// registered through the service into a group, written again under new IDs
// and numbers directly through the store, 5,000 per transaction, with the
// index values the service writes and due times spread over a week, so
// that building it costs what the store's writes cost, not the service's
// registrations.
func BenchmarkQueue(b *testing.B) {
	b.Run("sqlitestore", func(b *testing.B) {
		benchQueue(b, openSQLite(sqlitestore.Options{Durability: sqlitestore.DurabilityNormal})(b))
	})
	b.Run("memstore", func(b *testing.B) { benchQueue(b, memstore.New()) })
}

func benchQueue(b *testing.B, st itsm.Store) {
	defer closeBench(b, st)
	rec := &recorder{Store: st}
	w := newWorldOn(b, rec)
	groups := []itsm.ID{w.g("first line"), w.g("second line")}
	r := reqRegistration(w, "printer jam")
	r.Group = groups[0]
	w.must(w.svc.Register(w.ctx, w.agent, r))
	model := rec.puts[len(rec.puts)-1]
	if model.Kind != incident.Kind {
		b.Fatalf("the registration put a %s", model.Kind)
	}

	n := queueBenchTickets(b)
	start := time.Now()
	rng := rand.New(rand.NewPCG(13, 50))
	type ticket struct {
		id    itsm.ID
		group itsm.ID
		due   time.Time
	}
	tickets := make([]ticket, n)
	for i := range tickets {
		tickets[i] = ticket{id: itsm.NewID(), group: groups[i%len(groups)],
			due: w.clock.Now().Add(time.Duration(rng.Int64N(int64(7 * 24 * time.Hour))).Truncate(time.Second))}
	}
	const perTx = 5000
	for from := 0; from < n; from += perTx {
		err := st.Write(w.ctx, func(tx itsm.WriteTx) error {
			for k := from; k < min(from+perTx, n); k++ {
				t := tickets[k]
				r := model
				r.ID, r.Version = t.id, 0
				r.Body = bytes.Replace(model.Body, []byte(model.ID.String()), []byte(t.id.String()), 1)
				r.Unique = map[string]string{incident.IndexNumber: fmt.Sprintf("QUE%07d", k+1)}
				r.Index = cloneIndex(model.Index)
				// The values that tell the tickets apart in the queue: the
				// group and the due time, here of the desk's SLA response
				// clock alone.
				due := itsm.IndexTime(t.due)
				r.Index[incident.IndexDue] = []string{due + " " + w.desk.ID.String() + " sla response"}
				r.Index[incident.IndexDueBy] = []string{w.desk.ID.String() + " " + due + " sla response"}
				for name, vs := range chain.QueueIndex(chain.Custody{Holder: w.desk.ID, Group: t.group}, true, t.due) {
					r.Index[name] = vs
				}
				if _, err := tx.Put(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	fixture := time.Since(start)

	// A page from a random ticket of the first group onwards, one that a
	// whole page follows.
	q := chain.Queue{Group: groups[0]}
	var mine []ticket
	for _, t := range tickets {
		if t.group == groups[0] {
			mine = append(mine, t)
		}
	}
	slices.SortFunc(mine, func(a, b ticket) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return strings.Compare(a.id.String(), b.id.String())
	})
	cursor := func() itsm.Cursor {
		t := mine[rng.IntN(len(mine)-queuePage)]
		return backend.NewCursor(t.group.String()+" "+itsm.IndexTime(t.due), t.id)
	}
	page := func(after itsm.Cursor) incident.QueuePage {
		p, err := w.svc.Queue(w.ctx, w.agent, q, queuePage, after)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	cursors := make([]itsm.Cursor, b.N)
	for i := range cursors {
		cursors[i] = cursor()
	}
	b.ResetTimer()
	for i := range b.N {
		page(cursors[i])
	}
	b.StopTimer()

	// The comparison, in turns, over as many pages as the timed loop (at
	// least benchMinOps unless that takes benchMinTime).
	var queueD, getD, storeQueryD, storeGetD time.Duration
	timed := func(d *time.Duration, op func()) {
		t0 := time.Now()
		op()
		*d += time.Since(t0)
	}
	done := 0
	for t0 := time.Now(); done < b.N || (done < benchMinOps && time.Since(t0) < benchMinTime); done++ {
		after := cursor()
		var p incident.QueuePage
		timed(&queueD, func() { p = page(after) })
		if len(p.Items) != queuePage {
			b.Fatalf("a page of %d, want %d", len(p.Items), queuePage)
		}
		timed(&getD, func() {
			for _, it := range p.Items {
				if _, err := w.svc.Get(w.ctx, w.agent, it.Incident.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		sq, err := queueQuery(st, w.desk.ID, q, after)
		if err != nil {
			b.Fatal(err)
		}
		timed(&storeQueryD, func() {
			err := st.Read(w.ctx, func(tx itsm.ReadTx) error { _, err := tx.Query(sq); return err })
			if err != nil {
				b.Fatal(err)
			}
		})
		timed(&storeGetD, func() {
			err := st.Read(w.ctx, func(tx itsm.ReadTx) error {
				for _, it := range p.Items {
					if _, err := tx.Get(incident.Kind, it.Incident.ID); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(fixture.Seconds(), "fixture_s")
	b.ReportMetric(queueD.Seconds()/getD.Seconds(), "x_get")
	b.ReportMetric(storeQueryD.Seconds()/storeGetD.Seconds(), "x_store")
}

// queueQuery is the store query of a page of q.
func queueQuery(st itsm.Store, org itsm.ID, q chain.Queue, after itsm.Cursor) (itsm.Query, error) {
	var sq itsm.Query
	err := st.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		sq, err = chain.QueueQuery(tx, incident.Kind, org, q, queuePage, after)
		return err
	})
	return sq, err
}

// benchAssignedSteps is the number of commands of runAssignedLifecycle.
const benchAssignedSteps = benchSteps + 2

// BenchmarkLifecycleAssigned runs lifecycles with assignments, one per
// operation: BenchmarkLifecycle's six commands on an incident registered
// into the desk's first line, taken there by the desk's agent, delegated to
// the network supplier's LAN team (the routing rules' group) and taken
// there by the supplier's agent after accepting; eight commands, every
// write carrying the holder's group and assignee and the work queue index
// values. With the timer stopped it runs as many of them (at least 20
// unless that takes 200ms) in turns of 10 with today's lifecycle
// (runLifecycle), each on a fresh store of the same type, and reports
// x_plain, the assigned lifecycle's time over today's, and x_command, the
// same per command (8 against 6). The target of issue 13 is x_command at
// most 1.2 on every backend: assignments are commands of their own, so a
// lifecycle with two of them cannot cost less than 8/6 of one without.
func BenchmarkLifecycleAssigned(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		benchAssigned(b, func(b *testing.B) itsm.Store { return memstore.New() })
	})
	b.Run("sqlitestore", func(b *testing.B) { benchAssigned(b, openSQLite(sqlitestore.Options{})) })
	b.Run("sqlitestore-normal", func(b *testing.B) {
		benchAssigned(b, openSQLite(sqlitestore.Options{Durability: sqlitestore.DurabilityNormal}))
	})
	b.Run("pgstore", func(b *testing.B) {
		// Skips, saying so, unless SPOC_TEST_POSTGRES is set.
		benchAssigned(b, openPostgres)
	})
}

func benchAssigned(b *testing.B, open func(b *testing.B) itsm.Store) {
	timeLifecycles(b, open, runAssignedLifecycle, benchAssignedSteps)

	plainSt, assignedSt := open(b), open(b)
	defer closeBench(b, plainSt)
	defer closeBench(b, assignedSt)
	plain, assigned := newWorldOn(b, plainSt), newWorldOn(b, assignedSt)
	// One of each first, so that neither pays alone for what the first
	// command on a store warms (prepared statements, caches).
	var plainD, assignedD, warm time.Duration
	timed := func(d *time.Duration, n int, run func(*world) error, w *world) {
		t0 := time.Now()
		for range n {
			if err := run(w); err != nil {
				b.Fatal(err)
			}
		}
		*d += time.Since(t0)
	}
	timed(&warm, 1, runLifecycle, plain)
	timed(&warm, 1, runAssignedLifecycle, assigned)
	done := 0
	for t0 := time.Now(); done < b.N || (done < benchMinOps && time.Since(t0) < benchMinTime); {
		n := benchChunk
		if done < b.N {
			n = min(n, b.N-done)
		}
		timed(&plainD, n, runLifecycle, plain)
		timed(&assignedD, n, runAssignedLifecycle, assigned)
		done += n
	}
	b.ReportMetric(assignedD.Seconds()/plainD.Seconds(), "x_plain")
	b.ReportMetric(assignedD.Seconds()/benchAssignedSteps/(plainD.Seconds()/benchSteps), "x_command")
}

// runAssignedLifecycle takes one incident through the eight commands of
// BenchmarkLifecycleAssigned, moving the clock between them.
func runAssignedLifecycle(w *world) error {
	r := reqRegistration(w, "Wifi down in the north wing")
	r.Description = "The user says the wifi in the north wing of the school is down since this morning; the classrooms cannot reach the learning platform."
	r.Group = w.g("first line")
	inc, err := w.svc.Register(w.ctx, w.agent, r)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	id := inc.ID
	inc, err = runSteps(w, id, []benchCommand{
		{"take", 2 * time.Minute, func() (*incident.Incident, error) { return w.svc.Take(w.ctx, w.agent, id, itsm.ID{}) }},
		{"delegate", 8 * time.Minute, func() (*incident.Incident, error) {
			return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Note: "Please check the access points of the north wing."})
		}},
		{"accept", 20 * time.Minute, func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.netAgent, id) }},
		{"take", 2 * time.Minute, func() (*incident.Incident, error) { return w.svc.Take(w.ctx, w.netAgent, id, itsm.ID{}) }},
		{"update", 28 * time.Minute, func() (*incident.Incident, error) {
			return w.svc.Update(w.ctx, w.netAgent, id, "A faulty access point; a replacement is on its way.")
		}},
		{"report back", 40 * time.Minute, func() (*incident.Incident, error) {
			return w.svc.ReportBack(w.ctx, w.netAgent, id, incident.Resolution{Code: "hardware", Text: "Access point replaced."})
		}},
		{"close", 15 * time.Minute, func() (*incident.Incident, error) {
			return w.svc.Close(w.ctx, w.agent, id, "Your wifi works again: a faulty access point was replaced.")
		}},
	})
	if err != nil {
		return err
	}
	if inc.State != incident.StateClosed || inc.Assignments[0].Assignee != w.netAgent.Person {
		return fmt.Errorf("%s ends %s, held last by %+v", inc.Number, inc.State, inc.Assignments)
	}
	return nil
}
