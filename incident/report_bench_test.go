package incident

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/internal/backendtest"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// BenchmarkMonthlyReport measures a monthly report read from the store of a
// running system: a year of synthetic incidents (from sla/report/synth, seed
// 1, 2025) stored in SQLite as the Service stores them, the record record() builds with every index value and a body with a
// journal, assignments and outcome like a real one's. Building them through
// the Service would take minutes, so the benchmark turns each generated
// ticket into the Incident its history would have made and puts the records
// in transactions of a thousand.
//
// The timed loop makes the desk's report for December, the month just ended
// when such a report is made: Service.Tickets for the month, then
// report.Compute over it with the delivery's SLA and four UCs. Then, with
// the timer stopped, it compares in turns, as many times as b.N but at least
// three:
//
//   - read: the baseline, what any reader of the incidents pays: one read
//     transaction scanning every incident record and decoding it into an
//     Incident;
//   - report: the December report again, and the June report, the hardest
//     month for the index: every incident that ended after June 1 is in its
//     range and skipped by the registration time in the index value.
//
// x_read is the December report's time over the read's; x_read_june the
// June report's. x_read_all is a report whose period, the whole year, holds
// every stored incident, over the read of the same incidents: the strict
// reading of the target "a report over 100,000 incidents costs at most 3x
// reading them", which the monthly ratios meet more easily because the
// index spares them the other months. The target is x_read_all <= 3. x_slim is the time of the read
// with the decoding Service.Tickets does (ticketBody) over the baseline's, to
// show what decoding only a ticket's fields saves. tickets is the number of tickets
// in the December report, incidents the number stored, body_B their mean
// JSON size.
//
// The year has 30,000 incidents unless SPOC_BENCH_INCIDENTS says otherwise:
// SQLite stores about 2,500 of them a second on the development machine, so
// the 100,000 of the target (SPOC_BENCH_INCIDENTS=100000, docs/PERFORMANCE.md)
// would take CI's run of every benchmark at -benchtime 1x 40 seconds to set
// up. The store is loaded at DurabilityNormal, which makes no difference to
// reading it.
func BenchmarkMonthlyReport(b *testing.B) {
	n := 30_000
	if testing.Short() {
		n = 3_000 // CI's one run proves the benchmark works, not the figure
	}
	if v := os.Getenv("SPOC_BENCH_INCIDENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("SPOC_BENCH_INCIDENTS=%q is not a positive number", v)
		}
	}
	f := loadYear(b, n)
	defer f.st.Close()
	december := report.Month(2025, time.December, f.loc)
	june := report.Month(2025, time.June, f.loc)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	tickets := 0
	for range b.N {
		tickets = f.monthly(b, december)
	}
	b.StopTimer()

	var readD, slimD, decD, junD, yearD time.Duration
	timed := func(d *time.Duration, op func()) {
		runtime.GC()
		start := time.Now()
		op()
		*d += time.Since(start)
	}
	for range max(b.N, 3) {
		timed(&readD, func() {
			if got := f.readAll(b); got != f.n {
				b.Fatalf("read %d incidents, stored %d", got, f.n)
			}
		})
		timed(&slimD, func() {
			if got := f.readSlim(b); got != f.n {
				b.Fatalf("read %d tickets, stored %d", got, f.n)
			}
		})
		timed(&decD, func() { f.monthly(b, december) })
		timed(&junD, func() { f.monthly(b, june) })
		timed(&yearD, func() {
			if got := f.monthly(b, report.Year(2025, f.loc)); got != f.n {
				b.Fatalf("the year's report read %d tickets, stored %d", got, f.n)
			}
		})
	}
	b.ReportMetric(float64(tickets), "tickets")
	b.ReportMetric(float64(f.n), "incidents")
	b.ReportMetric(float64(f.bytes)/float64(f.n), "body_B")
	b.ReportMetric(float64(readD.Nanoseconds())/float64(max(b.N, 3)), "read_ns/op")
	b.ReportMetric(decD.Seconds()/readD.Seconds(), "x_read")
	b.ReportMetric(junD.Seconds()/readD.Seconds(), "x_read_june")
	b.ReportMetric(slimD.Seconds()/readD.Seconds(), "x_slim")
	b.ReportMetric(yearD.Seconds()/readD.Seconds(), "x_read_all")
}

// yearFixture is a store holding a generated year.
type yearFixture struct {
	st    itsm.Store
	svc   *Service
	desk  itsm.Actor
	spec  report.Spec
	loc   *time.Location
	n     int
	bytes int
}

// monthly makes the desk's report for p and returns how many tickets it
// read.
func (f *yearFixture) monthly(b *testing.B, p report.Period) int {
	n := 0
	src := f.svc.Tickets(context.Background(), f.desk, p)
	counted := func(yield func(report.Ticket, error) bool) {
		for t, err := range src {
			n++
			if !yield(t, err) {
				return
			}
		}
	}
	spec := f.spec
	spec.Period = p
	if p.To.Sub(p.From) > 32*24*time.Hour {
		spec.Previous = 0 // no trend of years before the generated one
	}
	r, err := report.Compute(spec, counted)
	if err != nil {
		b.Fatal(err)
	}
	if r.Total.Registered == 0 {
		b.Fatalf("the report of %v registered nothing", p)
	}
	return n
}

// readAll is the baseline: every incident decoded, in one read transaction.
func (f *yearFixture) readAll(b *testing.B) int {
	return f.scan(b, func(r itsm.Record) error {
		_, err := decodeRecord(r)
		return err
	})
}

// readSlim reads as readAll does but decodes only what a ticket needs, as
// Service.Tickets does.
func (f *yearFixture) readSlim(b *testing.B) int {
	return f.scan(b, func(r itsm.Record) error {
		_, err := decodeTicket(r)
		return err
	})
}

// scan runs decode on every incident record in one read transaction and
// returns how many there were.
func (f *yearFixture) scan(b *testing.B, decode func(itsm.Record) error) int {
	n := 0
	err := f.st.Read(context.Background(), func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: Kind, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				if err := decode(h.Record); err != nil {
					return err
				}
				n++
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// loadYear generates about n incidents and stores them in a new SQLite
// database.
func loadYear(b *testing.B, n int) *yearFixture {
	b.Helper()
	g, err := synth.New(synth.Config{Seed: 1, Year: 2025, Incidents: n})
	if err != nil {
		b.Fatal(err)
	}
	d := g.Delivery()
	orgs := []itsm.Organisation{d.Customer, d.Desk}
	for _, s := range d.Suppliers {
		orgs = append(orgs, s.Organisation)
	}
	dir, err := NewOrganisations(orgs...)
	if err != nil {
		b.Fatal(err)
	}
	perms := itsm.NewPermissions()
	for _, o := range orgs {
		perms.Grant(o.ID, itsm.DomainIncident, itsm.AccessAll)
	}
	ctx := context.Background()
	st := backendtest.SQLite(b, filepath.Join(b.TempDir(), "year.db"), sqlitestore.Options{Durability: sqlitestore.DurabilityNormal})
	svc, err := New(Config{Store: st, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(),
		Agreements: d.Agreements(), Clock: itsm.NewManualClock(time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC))})
	if err != nil {
		b.Fatal(err)
	}
	f := &yearFixture{st: st, svc: svc, loc: d.Office.Location(),
		desk: itsm.Actor{Organisation: d.Desk.ID, Person: "rita.report", Roles: []itsm.Role{itsm.RoleAgent}},
		spec: report.Spec{Agreements: d.Agreements(), Names: d.Names()}}
	var batch []itsm.Record
	flush := func() {
		err := st.Write(ctx, func(tx itsm.WriteTx) error {
			for _, r := range batch {
				if _, err := tx.Put(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for t, err := range g.Tickets() {
		if err != nil {
			b.Fatal(err)
		}
		inc := incidentOf(t, d)
		r, err := svc.record(inc, inc.Changed)
		if err != nil {
			b.Fatal(err)
		}
		f.n++
		f.bytes += len(r.Body)
		if batch = append(batch, r); len(batch) == 1000 {
			flush()
		}
	}
	flush()
	return f
}

// incidentOf is the incident whose history the ticket's timeline tells, with
// a journal of the length and kind the Service writes.
func incidentOf(t report.Ticket, d *synth.Delivery) *Incident {
	seq, _ := strconv.ParseUint(t.Number[3:], 10, 64)
	num, _ := itsm.NewNumber("INC", seq)
	last := t.Timeline[len(t.Timeline)-1]
	p := t.Timeline[0].Priority
	impact, urgency := itsm.Impact(1+min(2, int(p-1)/2)), itsm.Urgency(1+min(2, int(p)/2))
	person := fmt.Sprintf("user%05d", seq%46_000)
	inc := &Incident{ID: t.ID, Number: num, Desk: t.Desk, Customer: t.Customer,
		Caller:  Caller{Person: person, Name: "User " + person[4:], Contact: person + "@lakeside.example"},
		Channel: []Channel{ChannelPhone, ChannelEmail, ChannelPortal, ChannelChat}[seq%4],
		Service: t.Service, Category: t.Category,
		Summary:     t.Category + " trouble reported by " + person,
		Description: "The user reports that " + t.Service + " does not work as it should since this morning; several colleagues are affected and a workaround is not known.",
		Impact:      impact, Urgency: urgency, Priority: last.Priority,
		State: last.State, Custody: chain.Custody{Holder: last.Holder, Group: last.Group,
			Reassignments: t.Reassignments, PingPong: t.PingPong}, Reopened: t.Reopened,
		Registered: t.Registered, Changed: last.Start, Timeline: t.Timeline}
	note := func(at time.Time, kind EntryKind, org itsm.ID, text string) {
		inc.Journal = append(inc.Journal, Entry{Time: at, Kind: kind, Author: "agent-" + org.String()[:8], Organisation: org, Text: text})
	}
	note(t.Registered, EntryCommunication, t.Desk, inc.Description)
	var held []itsm.ID
	for i, iv := range t.Timeline {
		prev := t.Timeline[max(0, i-1)]
		if a := inc.Assignment(); a != nil && iv.Holder != a.Organisation {
			a.Ended = iv.Start
			if iv.Holder == t.Desk && iv.State == StateInProgress {
				a.Rejected = "Not ours: please route it elsewhere."
				note(iv.Start, EntryWorkNote, a.Organisation, a.Rejected)
			}
		}
		switch {
		case iv.State == StateDelegated:
			pp := prev.Holder != iv.Holder && slices.Contains(held, iv.Holder)
			held = append(held, iv.Holder)
			inc.Assignments = append(inc.Assignments, chain.Assignment{Organisation: iv.Holder, Group: iv.Group, Delegated: iv.Start, PingPong: pp})
			note(iv.Start, EntryWorkNote, t.Desk, "Please take over; the user's description is in the handover.")
		case iv.State == StateInProgress && prev.State == StateDelegated && iv.Holder == prev.Holder:
			inc.Assignment().Accepted = iv.Start
		case iv.Update:
			note(iv.Start, EntryStatusUpdate, iv.Holder, "Status: still working on it, next update before the deadline.")
		case IsWaiting(iv.State):
			note(iv.Start, EntryWorkNote, iv.Holder, "Waiting for an answer before we can go on.")
		case iv.State == StateResolved:
			if a := inc.Assignment(); a != nil {
				a.Ended = iv.Start
			}
			inc.Resolved = iv.Start
			inc.Outcome = &Outcome{Time: iv.Start, By: iv.Holder, Code: "fixed", Text: "The fault was found and corrected.", FirstContact: t.FirstContact}
		case iv.State == StateClosed:
			inc.Closed = iv.Start
			note(iv.Start, EntryCommunication, t.Desk, "Your incident is resolved: the fault was found and corrected. Reply if it comes back.")
		case iv.State == StateInProgress && (prev.State == StateResolved || prev.State == StateClosed):
			inc.Outcome, inc.Resolved, inc.Closed = nil, time.Time{}, time.Time{}
			note(iv.Start, EntryWorkNote, t.Desk, "Reopened: the user reports that the fault is back.")
		}
	}
	return inc
}
