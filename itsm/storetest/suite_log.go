package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func testEvents(t *testing.T, s itsm.Store) {
	if es := events(t, s, 0, 0); len(es) != 0 {
		t.Fatalf("a new store has events: %+v", es)
	}
	subject := itsm.NewID()
	given := itsm.NewID()
	stockholm := time.FixedZone("CET", 3600)
	in := []itsm.Event{
		{Type: "ticket.registered", Kind: "ticket", Subject: subject, Time: time.Date(2026, 11, 23, 9, 0, 0, 123456789, stockholm), Data: []byte(`{"by":"desk"}`)},
		{ID: given, Type: "ticket.delegated", Kind: "ticket", Subject: subject, Time: time.Date(2026, 11, 23, 9, 5, 0, 1, time.UTC), Data: []byte(` { "to" : "supplier" } `)},
		{Type: "store.started", Time: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}, // no subject, no data
	}
	var out []itsm.Event
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		for _, e := range in[:2] {
			got, err := tx.Append(e)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		got, err := tx.Append(in[2])
		out = append(out, got)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range out {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d: Seq %d, want %d", i, e.Seq, i+1)
		}
		if e.ID.IsZero() {
			t.Errorf("event %d: Append left the ID zero", i)
		}
		if e.Time.Location() != time.UTC || !e.Time.Equal(in[i].Time) {
			t.Errorf("event %d: Time %v, want %v in UTC", i, e.Time, in[i].Time.UTC())
		}
	}
	if out[1].ID != given {
		t.Errorf("Append replaced the caller's event ID %s with %s", given, out[1].ID)
	}
	if out[0].ID == out[2].ID {
		t.Errorf("two events got the same ID %s", out[0].ID)
	}
	want := slices.Clone(out)
	want[2].Data = nil
	got := events(t, s, 0, 0)
	if d := diff(want, got); d != "" {
		t.Errorf("Events(0) (-want +got):\n%s", d)
	}
	for _, e := range got {
		if e.Time.Location() != time.UTC {
			t.Errorf("event %d: Time in %v, want UTC", e.Seq, e.Time.Location())
		}
	}
	if d := diff(want[1:], events(t, s, 1, 0)); d != "" {
		t.Errorf("Events(1) (-want +got):\n%s", d)
	}
	if d := diff(want[:1], events(t, s, 0, 1)); d != "" {
		t.Errorf("Events(0, 1) (-want +got):\n%s", d)
	}
	if es := events(t, s, 3, 0); len(es) != 0 {
		t.Errorf("Events after the last: %+v", es)
	}
	if es := events(t, s, -5, 0); len(es) != 3 {
		t.Errorf("Events(-5): %d events, want all 3", len(es))
	}
	// The log reads in pages of MaxLimit.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		for i := range itsm.MaxLimit + 10 {
			if _, err := tx.Append(itsm.Event{Type: "bulk.appended", Time: time.Unix(int64(i), 0), Data: []byte(fmt.Sprint(i))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := events(t, s, 3, itsm.MaxLimit)
	if len(page) != itsm.MaxLimit || page[0].Seq != 4 || page[len(page)-1].Seq != itsm.MaxLimit+3 {
		t.Fatalf("a full page: %d events from %d", len(page), page[0].Seq)
	}
	if all := allEvents(t, s); len(all) != itsm.MaxLimit+13 || all[len(all)-1].Seq != itsm.MaxLimit+13 {
		t.Fatalf("whole log: %d events", len(all))
	}
	// Deleting the subject keeps its events: the log is the audit trail.
	r := record("ticket", subject, 0, "")
	put(t, s, r)
	if err := s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("ticket", subject, 1) }); err != nil {
		t.Fatal(err)
	}
	if es := events(t, s, 0, 2); len(es) != 2 || es[0].Subject != subject {
		t.Fatalf("events of a deleted record: %+v", es)
	}
}

// testEventsOf reads one record's events among others': those of another
// subject, of the same subject under a kind that the record's kind is a
// prefix of, of the kind without a subject. It pages through more than
// MaxLimit of them, and checks that EventsOf refuses what Events refuses and
// what can match nothing.
func testEventsOf(t *testing.T, s itsm.Store) {
	a, b := itsm.NewID(), itsm.NewID()
	if es := eventsOf(t, s, "t", a, 0, 0); len(es) != 0 {
		t.Fatalf("a new store has events of t %s: %+v", a, es)
	}
	// Events of a under kind t, one in four of the log, the first and
	// the last of it included.
	const ofA = itsm.MaxLimit + 5
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		for i := range 4 * ofA {
			e := itsm.Event{Type: "ticket.noted", Time: time.Unix(int64(i), 0), Data: []byte(fmt.Sprint(i))}
			switch i % 4 {
			case 0:
				e.Kind, e.Subject = "t", a
			case 1:
				e.Kind, e.Subject = "tt", a
			case 2:
				e.Kind, e.Subject = "t", b
			default:
				e.Kind = "t"
			}
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := allEvents(t, s)
	of := func(kind string, subject itsm.ID, after int64) []itsm.Event {
		var out []itsm.Event
		for _, e := range all {
			if e.Kind == kind && e.Subject == subject && e.Seq > after {
				out = append(out, e)
			}
		}
		return out
	}
	want := of("t", a, 0)
	if len(want) != ofA {
		t.Fatalf("the log holds %d events of t %s, want %d", len(want), a, ofA)
	}
	if d := diffEvents(want[:itsm.DefaultLimit], eventsOf(t, s, "t", a, 0, 0)); d != "" {
		t.Errorf("EventsOf(t, a, 0, 0) (-want +got):\n%s", d)
	}
	if d := diffEvents(want[:itsm.MaxLimit], eventsOf(t, s, "t", a, -5, itsm.MaxLimit)); d != "" {
		t.Errorf("EventsOf(t, a, -5, MaxLimit) (-want +got):\n%s", d)
	}
	// Pages from a cursor that is an event of a, and from one between two
	// of its events.
	for _, after := range []int64{want[2].Seq, want[2].Seq + 1} {
		if d := diffEvents(of("t", a, after)[:3], eventsOf(t, s, "t", a, after, 3)); d != "" {
			t.Errorf("EventsOf(t, a, %d, 3) (-want +got):\n%s", after, d)
		}
	}
	// Paging by the last Seq of each page reads every event once.
	for _, limit := range []int{7, itsm.MaxLimit} {
		var got []itsm.Event
		pages := 0
		for after := int64(0); ; pages++ {
			es := eventsOf(t, s, "t", a, after, limit)
			// A page that does not move on would page forever.
			if len(es) > 0 && es[0].Seq <= after {
				t.Fatalf("EventsOf(t, a, %d, %d) starts at Seq %d: the pages do not move on", after, limit, es[0].Seq)
			}
			got = append(got, es...)
			if len(es) < limit {
				break
			}
			after = es[len(es)-1].Seq
		}
		if d := diffEvents(want, got); d != "" {
			t.Errorf("EventsOf(t, a) in pages of %d (-want +got):\n%s", limit, d)
		}
		if wantPages := len(want) / limit; pages != wantPages {
			t.Errorf("EventsOf(t, a) in pages of %d: %d full pages, want %d", limit, pages, wantPages)
		}
	}
	for _, c := range []struct {
		kind    string
		subject itsm.ID
	}{{"tt", a}, {"t", b}} {
		if d := diffEvents(of(c.kind, c.subject, 0)[:5], eventsOf(t, s, c.kind, c.subject, 0, 5)); d != "" {
			t.Errorf("EventsOf(%s, %s) (-want +got):\n%s", c.kind, c.subject, d)
		}
	}
	last := all[len(all)-1].Seq
	for _, c := range []struct {
		kind    string
		subject itsm.ID
		after   int64
	}{{"t", itsm.NewID(), 0}, {"ttt", a, 0}, {"ticket", a, 0}, {"t", a, want[len(want)-1].Seq}, {"t", a, last}, {"t", a, math.MaxInt64}} {
		if es := eventsOf(t, s, c.kind, c.subject, c.after, 0); len(es) != 0 {
			t.Errorf("EventsOf(%s, %s, %d): %d events, want none", c.kind, c.subject, c.after, len(es))
		}
	}
	for _, c := range []struct {
		kind    string
		subject itsm.ID
		limit   int
	}{{"t", a, -1}, {"t", a, itsm.MaxLimit + 1}, {"", a, 0}, {"T", a, 0}, {"t", itsm.ID{}, 0}} {
		err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
			_, err := tx.EventsOf(c.kind, c.subject, 0, c.limit)
			return err
		})
		wantCode(t, err, itsm.CodeInvalid, fmt.Sprintf("EventsOf(%q, %s, 0, %d)", c.kind, c.subject, c.limit))
	}
	// Deleting the subject keeps its events, as for Events.
	put(t, s, record("t", a, 0, ""))
	if err := s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("t", a, 1) }); err != nil {
		t.Fatal(err)
	}
	if es := eventsOf(t, s, "t", a, 0, 1); len(es) != 1 || es[0].Seq != want[0].Seq {
		t.Fatalf("events of a deleted record: %+v", es)
	}
}

// testEventsOfInWrite checks that a write transaction's EventsOf sees the
// events it appended, as its Events does, that other transactions see them
// only once it commits, and never if it rolls back.
func testEventsOfInWrite(t *testing.T, s itsm.Store) {
	id := itsm.NewID()
	appendOne := func(tx itsm.WriteTx, i int) (itsm.Event, error) {
		return tx.Append(itsm.Event{Type: "ticket.noted", Kind: "ticket", Subject: id, Time: time.Unix(int64(i), 0)})
	}
	var first itsm.Event
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		var err error
		if first, err = appendOne(tx, 0); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{false, true} {
		var added itsm.Event
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			var err error
			if added, err = appendOne(tx, 1); err != nil {
				return err
			}
			es, err := tx.EventsOf("ticket", id, 0, 0)
			if err != nil {
				return err
			}
			if d := diffEvents([]itsm.Event{first, added}, es); d != "" {
				return fmt.Errorf("EventsOf in the transaction that appended (-want +got):\n%s", d)
			}
			if es, err := tx.EventsOf("ticket", id, first.Seq, 0); err != nil || len(es) != 1 || es[0].Seq != added.Seq {
				return fmt.Errorf("EventsOf after the committed event, in the transaction: %+v, %v", es, err)
			}
			if !commit {
				return errStop
			}
			return nil
		})
		switch {
		case commit && err != nil:
			t.Fatal(err)
		case !commit && !errors.Is(err, errStop):
			t.Fatalf("Write: %v, want the deliberate failure", err)
		}
		want := []itsm.Event{first}
		if commit {
			want = append(want, added)
		}
		if d := diffEvents(want, eventsOf(t, s, "ticket", id, 0, 0)); d != "" {
			t.Errorf("EventsOf after a transaction that committed: %v (-want +got):\n%s", commit, d)
		}
	}
}

// diffEvents is diff for events, quick when they are equal: cmp.Diff of a
// thousand events takes most of a second.
func diffEvents(want, got []itsm.Event) string {
	if slices.EqualFunc(want, got, mSameEvent) {
		return ""
	}
	return diff(want, got)
}

func testEventsRolledBack(t *testing.T, s itsm.Store) {
	appendOne := func(fail bool) (itsm.Event, error) {
		var e itsm.Event
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			var err error
			if e, err = tx.Append(itsm.Event{Type: "ticket.noted", Time: time.Unix(1, 0)}); err != nil {
				return err
			}
			if fail {
				return errStop
			}
			return nil
		})
		return e, err
	}
	for i := range 5 {
		if _, err := appendOne(i%2 == 1); (i%2 == 1) != errors.Is(err, errStop) {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	es := allEvents(t, s)
	if len(es) != 3 {
		t.Fatalf("%d events after 3 commits and 2 rollbacks", len(es))
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("Seq %d at position %d: a rollback left a gap", e.Seq, i)
		}
	}
}

// testEventsConcurrent runs 8 writers appending events; the log must number
// them 1..n with no gap, and each writer's events in the order it committed.
func testEventsConcurrent(t *testing.T, s itsm.Store) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
					for j := range 2 { // two events per transaction stay adjacent
						data, _ := json.Marshal(map[string]int{"w": w, "i": i, "j": j})
						if _, err := tx.Append(itsm.Event{Type: "load.appended", Time: time.Unix(int64(i), 0), Data: data}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d, append %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	es := allEvents(t, s)
	if len(es) != writers*each*2 {
		t.Fatalf("%d events, want %d", len(es), writers*each*2)
	}
	next := make([]int, writers)
	for k, e := range es {
		if e.Seq != int64(k+1) {
			t.Fatalf("position %d has Seq %d: the sequence has a gap", k, e.Seq)
		}
		var d struct{ W, I, J int }
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.I != next[d.W] || d.J != k%2 {
			t.Fatalf("Seq %d is writer %d's event %d.%d, want %d.%d: events out of commit order or interleaved", e.Seq, d.W, d.I, d.J, next[d.W], k%2)
		}
		if d.J == 1 {
			next[d.W]++
		}
	}
}

func testNumbers(t *testing.T, s itsm.Store) {
	take := func(prefix string) itsm.Number {
		var n itsm.Number
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			var err error
			n, err = tx.NextNumber(prefix)
			return err
		})
		if err != nil {
			t.Fatalf("NextNumber(%s): %v", prefix, err)
		}
		return n
	}
	for i := 1; i <= 3; i++ {
		if n := take("INC"); n != (itsm.Number{Prefix: "INC", Seq: uint64(i)}) {
			t.Fatalf("INC number %d = %v", i, n)
		}
	}
	if n := take("REQ"); n.String() != "REQ0000001" {
		t.Fatalf("first REQ number = %v: prefixes must count separately", n)
	}
	// Several numbers in one transaction follow each other.
	var got []itsm.Number
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		for range 3 {
			n, err := tx.NextNumber("INC")
			if err != nil {
				return err
			}
			got = append(got, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Seq != 4 || got[2].Seq != 6 {
		t.Fatalf("numbers in one transaction: %v, want 4, 5, 6", got)
	}
}

// testNumbersConcurrent has 8 writers take numbers, some in transactions
// that roll back; the committed numbers must be exactly 1..n.
func testNumbersConcurrent(t *testing.T, s itsm.Store) {
	const writers, each = 8, 30
	var mu sync.Mutex
	var taken []uint64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				var n itsm.Number
				rollback := (w+i)%4 == 0
				err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
					var err error
					if n, err = tx.NextNumber("INC"); err != nil {
						return err
					}
					// The record makes the number part of a real write.
					r := record("ticket", itsm.NewID(), 0, n.String())
					r.Unique = map[string]string{"number": n.String()}
					if _, err := tx.Put(r); err != nil {
						return err
					}
					if rollback {
						return errStop
					}
					return nil
				})
				switch {
				case rollback && errors.Is(err, errStop):
				case err != nil:
					errs <- fmt.Errorf("writer %d, number %d: %w", w, i, err)
					return
				default:
					mu.Lock()
					taken = append(taken, n.Seq)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(taken)
	for i, n := range taken {
		if n != uint64(i+1) {
			t.Fatalf("committed numbers %v...: number %d at position %d (a gap or a duplicate)", taken[:min(len(taken), 20)], n, i)
		}
	}
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket"}); len(hits) != len(taken) {
		t.Fatalf("%d records for %d committed numbers", len(hits), len(taken))
	}
}

// testReadersDuringWrites moves an amount between two records while readers
// check, each in one read transaction, that the total never changes and that
// the event log agrees with the records: a reader that saw half a
// transaction, or records from one moment and events from another, fails.
func testReadersDuringWrites(t *testing.T, s itsm.Store) {
	a, b := itsm.NewID(), itsm.NewID()
	put(t, s,
		itsm.Record{Kind: "account", ID: a, Body: []byte(`{"Balance":100}`)},
		itsm.Record{Kind: "account", ID: b, Body: []byte(`{"Balance":0}`)})
	const moves, minReads = 150, 20
	var done atomic.Bool
	var wg sync.WaitGroup
	readErrs := make(chan error, 4)
	var reads atomic.Int64
	for range 3 {
		wg.Go(func() {
			for !done.Load() {
				err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
					ra, rb, x, y, err := getAccounts(tx, a, b)
					if err != nil {
						return err
					}
					if x.Balance+y.Balance != 100 {
						return fmt.Errorf("read %d+%d: a reader saw half a transaction", x.Balance, y.Balance)
					}
					if ra.Version != rb.Version {
						return fmt.Errorf("versions %d and %d: a reader saw half a transaction", ra.Version, rb.Version)
					}
					es, err := tx.Events(ra.Version-1, itsm.MaxLimit)
					if err != nil {
						return err
					}
					if len(es) != 0 {
						return fmt.Errorf("at version %d the snapshot holds %d later events", ra.Version, len(es))
					}
					reads.Add(1)
					return nil
				})
				if err != nil {
					readErrs <- err
					return
				}
			}
		})
	}
	// A fast store can finish the moves before a reader goroutine is even
	// scheduled, so the writer goes on until some reads overlapped it.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < moves || reads.Load() < minReads; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d reads finished during %d moves", reads.Load(), i)
		}
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			ra, rb, x, y, err := getAccounts(tx, a, b)
			if err != nil {
				return err
			}
			x.Balance, y.Balance = x.Balance-1, y.Balance+1
			ra.Body, _ = json.Marshal(x)
			rb.Body, _ = json.Marshal(y)
			if _, err := tx.Put(ra); err != nil {
				return err
			}
			// Between the two puts the store holds an inconsistent state
			// that no reader may see.
			if _, err := tx.Put(rb); err != nil {
				return err
			}
			_, err = tx.Append(itsm.Event{Type: "account.moved", Kind: "account", Subject: a, Time: time.Unix(int64(i), 0)})
			return err
		})
		if err != nil {
			t.Fatalf("move %d: %v", i, err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Fatal(err)
	}
	t.Logf("%d consistent reads during the moves", reads.Load())
}

// account is the body of the records testReadersDuringWrites moves an
// amount between.
type account struct{ Balance int }

// getAccounts reads the two accounts a and b and decodes their bodies.
func getAccounts(tx itsm.ReadTx, a, b itsm.ID) (ra, rb itsm.Record, x, y account, err error) {
	if ra, err = tx.Get("account", a); err != nil {
		return
	}
	if rb, err = tx.Get("account", b); err != nil {
		return
	}
	err = errors.Join(json.Unmarshal(ra.Body, &x), json.Unmarshal(rb.Body, &y))
	return
}

// testLostUpdates has 8 goroutines increment one counter with optimistic
// retries; every increment must count.
func testLostUpdates(t *testing.T, s itsm.Store) {
	id := itsm.NewID()
	put(t, s, itsm.Record{Kind: "counter", ID: id, Body: []byte(`{"N":0}`)})
	const workers, each = 8, 20
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for i := 0; i < each; {
				var r itsm.Record
				err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
					var err error
					r, err = tx.Get("counter", id)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				var c struct{ N int }
				if err := json.Unmarshal(r.Body, &c); err != nil {
					errs <- err
					return
				}
				c.N++
				r.Body, _ = json.Marshal(c)
				err = s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
				switch {
				case err == nil:
					i++
				case itsm.IsCode(err, itsm.CodeConflict):
					conflicts.Add(1)
				default:
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := get(t, s, "counter", id)
	if string(r.Body) != fmt.Sprintf(`{"N":%d}`, workers*each) || r.Version != workers*each+1 {
		t.Fatalf("counter %s at version %d, want N=%d at version %d: an update was lost", r.Body, r.Version, workers*each, workers*each+1)
	}
	t.Logf("%d increments, %d conflicts retried", workers*each, conflicts.Load())
}

func testCancelled(t *testing.T, s itsm.Store) {
	put(t, s, record("ticket", itsm.NewID(), 0, "before"))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	wantCancelled := func(err error, what string) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want one that errors.Is context.Canceled", what, err)
		}
	}
	// A store may or may not call fn with a cancelled context; either way it
	// reports the cancellation and writes nothing.
	err := s.Read(cancelled, func(tx itsm.ReadTx) error {
		_, err := tx.Query(itsm.Query{Kind: "ticket"})
		return err
	})
	wantCancelled(err, "Read")
	err = s.Write(cancelled, func(tx itsm.WriteTx) error {
		_, err := tx.Put(record("ticket", itsm.NewID(), 0, "never"))
		return err
	})
	wantCancelled(err, "Write")

	// Cancelled in the middle of a transaction: nothing is committed, even
	// if fn ignores the failures and returns nil.
	mid, cancelMid := context.WithCancel(context.Background())
	id := itsm.NewID()
	err = s.Write(mid, func(tx itsm.WriteTx) error {
		if _, err := tx.Put(record("ticket", id, 0, "half")); err != nil {
			return err
		}
		cancelMid()
		_, _ = tx.Append(itsm.Event{Type: "ticket.registered", Time: time.Unix(1, 0)})
		return nil
	})
	wantCancelled(err, "Write cancelled midway")
	if err := getErr(t, s, "ticket", id); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Errorf("a transaction cancelled midway committed: %v", err)
	}
	if es := allEvents(t, s); len(es) != 0 {
		t.Errorf("a transaction cancelled midway left events: %+v", es)
	}
	// A deadline that passes is reported as such.
	short, cancelShort := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelShort()
	<-short.Done()
	err = s.Read(short, func(tx itsm.ReadTx) error { _, err := tx.Events(0, 1); return err })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read after the deadline: err = %v, want one that errors.Is context.DeadlineExceeded", err)
	}
	// The store still works.
	put(t, s, record("ticket", itsm.NewID(), 0, "after"))
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket"}); len(hits) != 2 {
		t.Errorf("%d tickets after the cancellations, want 2", len(hits))
	}
}
