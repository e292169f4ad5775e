package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

func TestCrash(t *testing.T)     { storetest.Crash(t, newTarget, openTarget) }
func TestProcesses(t *testing.T) { storetest.Processes(t, newTarget, openTarget) }

func put(tb testing.TB, s itsm.Store, r itsm.Record) int64 {
	tb.Helper()
	var v int64
	write(tb, s, func(tx itsm.WriteTx) (err error) {
		v, err = tx.Put(r)
		return err
	})
	return v
}

func get(tb testing.TB, s itsm.Store, kind string, id itsm.ID) itsm.Record {
	tb.Helper()
	var r itsm.Record
	read(tb, s, func(tx itsm.ReadTx) (err error) {
		r, err = tx.Get(kind, id)
		return err
	})
	return r
}

func TestRoundTrip(t *testing.T) {
	s := openTest(t)
	id := itsm.NewID()
	// Key order and spacing that jsonb would rewrite.
	body := json.RawMessage(`{"z": 1,  "a": [true, null], "é": "\u00e9"}`)
	r := itsm.Record{
		Kind:   "incident",
		ID:     id,
		Body:   body,
		Unique: map[string]string{"number": "INC0000001", "empty": ""},
		Index:  map[string][]string{"state": {"new", "", "new", "delegated"}, "none": {""}, "org": {"b", "a"}},
	}
	if v := put(t, s, r); v != 1 {
		t.Fatalf("Put version = %d, want 1", v)
	}
	got := get(t, s, "incident", id)
	want := itsm.Record{
		Kind: "incident", ID: id, Version: 1, Body: body,
		Unique: map[string]string{"number": "INC0000001"},
		Index:  map[string][]string{"state": {"delegated", "new"}, "org": {"a", "b"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Get (-want +got):\n%s", diff)
	}

	got.Version = 1
	got.Unique = nil
	got.Index = nil
	if v := put(t, s, got); v != 2 {
		t.Fatalf("Put version = %d, want 2", v)
	}
	if r := get(t, s, "incident", id); r.Unique != nil || r.Index != nil || r.Version != 2 {
		t.Fatalf("after clearing the index: %+v", r)
	}
}

func TestVersions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{}`)}
	put(t, s, r)
	putErr := func(r itsm.Record) error {
		return s.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
	}
	wantCode(t, putErr(r), itsm.CodeConflict) // exists
	r.Version = 2
	wantCode(t, putErr(r), itsm.CodeConflict) // stale
	r.Version = 1
	if err := putErr(r); err != nil {
		t.Fatal(err)
	}
	missing := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Version: 1, Body: json.RawMessage(`{}`)}
	wantCode(t, putErr(missing), itsm.CodeConflict)

	del := func(kind string, id itsm.ID, v int64) error {
		return s.Write(ctx, func(tx itsm.WriteTx) error { return tx.Delete(kind, id, v) })
	}
	wantCode(t, del("ticket", r.ID, 1), itsm.CodeConflict)
	wantCode(t, del("ticket", itsm.NewID(), 1), itsm.CodeNotFound)
	wantCode(t, del("Not A Kind\x00", r.ID, 1), itsm.CodeInvalid)
	if err := del("ticket", r.ID, 2); err != nil {
		t.Fatal(err)
	}
	err := s.Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get("ticket", r.ID); return err })
	wantCode(t, err, itsm.CodeNotFound)
}

func TestUnique(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{}`),
		Unique: map[string]string{"number": "INC, 1 (a)"}}
	a.Version = put(t, s, a)

	b := itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{}`),
		Unique: map[string]string{"number": "INC, 1 (a)"}}
	err := s.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(b); return err })
	wantCode(t, err, itsm.CodeConflict)
	if !strings.Contains(err.Error(), `unique number "INC, 1 (a)"`) {
		t.Errorf("error %q does not name the index and value", err)
	}
	// Another kind may hold the same value.
	put(t, s, itsm.Record{Kind: "problem", ID: itsm.NewID(), Body: json.RawMessage(`{}`), Unique: a.Unique})

	// a keeps its own value on update, then moves it from Unique to Index
	// and back.
	a.Body = json.RawMessage(`{"v":2}`)
	a.Version = put(t, s, a)
	a.Unique, a.Index = nil, map[string][]string{"number": {"INC, 1 (a)"}}
	a.Version = put(t, s, a)
	b.Version = put(t, s, b) // the value is free now
	a.Unique, a.Index = map[string]string{"number": "INC, 1 (a)"}, nil
	err = s.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(a); return err })
	wantCode(t, err, itsm.CodeConflict)
	a.Unique = map[string]string{"number": "INC2"}
	a.Version = put(t, s, a)
	if got := get(t, s, "incident", a.ID); got.Index != nil || got.Unique["number"] != "INC2" {
		t.Fatalf("a = %+v", got)
	}
	// Deleting b frees its value.
	write(t, s, func(tx itsm.WriteTx) error { return tx.Delete("incident", b.ID, b.Version) })
	a.Unique = map[string]string{"number": "INC, 1 (a)"}
	put(t, s, a)
}

// TestQueryBytewise checks that values sort byte by byte, whatever the
// database's collation, and that pages join up in both directions.
func TestQueryBytewise(t *testing.T) {
	pgtest.DSN(t)
	t.Run("default", func(t *testing.T) { testQueryBytewise(t, openTest(t)) })
	t.Run("icu-en-US", func(t *testing.T) { testQueryBytewise(t, openICU(t)) })
}

func testQueryBytewise(t *testing.T, s *Store) {
	values := []string{"B", "a", "b", "é", "z", "Z", "a b", "ab", "a-b", "~", "\u00a0", "0"}
	ids := make([]itsm.ID, len(values))
	write(t, s, func(tx itsm.WriteTx) error {
		for i, v := range values {
			ids[i] = itsm.NewID()
			// Two values each, so that one record gives two hits.
			r := itsm.Record{Kind: "item", ID: ids[i], Body: json.RawMessage(`{}`),
				Index: map[string][]string{"v": {v, v + "\x7f"}}}
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	var want []string
	for _, v := range values {
		want = append(want, v, v+"\x7f")
	}
	slicesSortBytes(want)

	for _, reverse := range []bool{false, true} {
		for _, limit := range []int{1, 3, 100} {
			var got []string
			q := itsm.Query{Kind: "item", Index: "v", Reverse: reverse, Limit: limit}
			for page := 0; ; page++ {
				var p itsm.Page
				read(t, s, func(tx itsm.ReadTx) (err error) { p, err = tx.Query(q); return err })
				for _, h := range p.Matches {
					got = append(got, h.Value)
				}
				if p.Next == "" {
					break
				}
				q.After = p.Next
			}
			w := append([]string(nil), want...)
			if reverse {
				for i, j := 0, len(w)-1; i < j; i, j = i+1, j-1 {
					w[i], w[j] = w[j], w[i]
				}
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("reverse=%v limit=%d (-want +got):\n%s", reverse, limit, diff)
			}
		}
	}

	count := func(q itsm.Query) int {
		var p itsm.Page
		read(t, s, func(tx itsm.ReadTx) (err error) { p, err = tx.Query(q); return err })
		return len(p.Matches)
	}
	for _, c := range []struct {
		q    itsm.Query
		want int
	}{
		{itsm.Query{Kind: "item", Index: "v", Match: itsm.MatchEqual, Value: "a"}, 1},
		{itsm.Query{Kind: "item", Index: "v", Match: itsm.MatchPrefix, Value: "a"}, 8},
		{itsm.Query{Kind: "item", Index: "v", Match: itsm.MatchPrefix, Value: "\u00a0"}, 2},
		{itsm.Query{Kind: "item", Index: "v", Match: itsm.MatchRange, From: "a", To: "b"}, 8},
		{itsm.Query{Kind: "item", Index: "v", Match: itsm.MatchRange, From: "z"}, 8},
		{itsm.Query{Kind: "item", Index: "nope"}, 0},
		{itsm.Query{Kind: "item"}, len(values)},
	} {
		if got := count(c.q); got != c.want {
			t.Errorf("%+v: %d matches, want %d", c.q, got, c.want)
		}
	}

	// Index "" lists by ID bytes, with the ID text as the value.
	var p itsm.Page
	read(t, s, func(tx itsm.ReadTx) (err error) {
		p, err = tx.Query(itsm.Query{Kind: "item", Limit: 5})
		return err
	})
	var gotIDs []string
	for _, h := range p.Matches {
		if h.Value != h.Record.ID.String() {
			t.Errorf("hit value %q for record %s", h.Value, h.Record.ID)
		}
		gotIDs = append(gotIDs, h.Value)
	}
	var wantIDs []string
	for _, id := range ids {
		wantIDs = append(wantIDs, id.String())
	}
	slicesSortBytes(wantIDs)
	if diff := cmp.Diff(wantIDs[:5], gotIDs); diff != "" || p.Next == "" {
		t.Errorf("by id (-want +got):\n%s\nnext %q", diff, p.Next)
	}
}

func slicesSortBytes(s []string) {
	// Go compares strings byte by byte.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestEventTimes(t *testing.T) {
	s := openTest(t)
	zone := time.FixedZone("x", -7*3600-1800)
	times := []time.Time{
		time.Date(2026, 11, 23, 8, 0, 0, 123456789, zone),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999001, time.UTC),
	}
	var appended []itsm.Event
	write(t, s, func(tx itsm.WriteTx) error {
		for i, tm := range times {
			e := itsm.Event{Type: "test.time", Time: tm}
			if i == 0 {
				e.Kind, e.Subject, e.Data = "incident", itsm.NewID(), json.RawMessage(`{"b":1, "a":2}`)
			}
			got, err := tx.Append(e)
			if err != nil {
				return err
			}
			if got.Seq != int64(i+1) || got.ID.IsZero() || got.Time.Location() != time.UTC || !got.Time.Equal(tm) {
				return fmt.Errorf("Append returned %+v", got)
			}
			appended = append(appended, got)
		}
		return nil
	})
	var got []itsm.Event
	read(t, s, func(tx itsm.ReadTx) (err error) { got, err = tx.Events(0, 0); return err })
	if diff := cmp.Diff(appended, got); diff != "" {
		t.Fatalf("Events (-appended +read):\n%s", diff)
	}
	if got[1].Data != nil {
		t.Errorf("empty Data read back as %q", got[1].Data)
	}
}

// TestGapless rolls transactions back after they took a Seq and a number,
// and checks that the next committed ones fill the places.
func TestGapless(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	errRollback := errors.New("roll back")
	for i := 0; i < 3; i++ {
		err := s.Write(ctx, func(tx itsm.WriteTx) error {
			if _, err := tx.Append(itsm.Event{Type: "test.gap", Time: time.Now()}); err != nil {
				return err
			}
			if _, err := tx.NextNumber("INC"); err != nil {
				return err
			}
			if i == 1 {
				return errRollback
			}
			return nil
		})
		if i == 1 && !errors.Is(err, errRollback) || i != 1 && err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	var n itsm.Number
	write(t, s, func(tx itsm.WriteTx) (err error) { n, err = tx.NextNumber("INC"); return err })
	if n.String() != "INC0000003" {
		t.Errorf("third committed number = %s", n)
	}
	write(t, s, func(tx itsm.WriteTx) (err error) { n, err = tx.NextNumber("REQ"); return err })
	if n.String() != "REQ0000001" {
		t.Errorf("first REQ = %s", n)
	}
	var events []itsm.Event
	read(t, s, func(tx itsm.ReadTx) (err error) { events, err = tx.Events(0, 10); return err })
	if len(events) != 2 || events[0].Seq != 1 || events[1].Seq != 2 {
		t.Fatalf("events %+v", events)
	}
	read(t, s, func(tx itsm.ReadTx) (err error) { events, err = tx.Events(1, 10); return err })
	if len(events) != 1 || events[0].Seq != 2 {
		t.Fatalf("events after 1: %+v", events)
	}
}

// TestSpoiled checks that a failed write spoils the transaction even when fn
// swallows the error, including a failure that made PostgreSQL abort it.
func TestSpoiled(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	taken := itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{}`),
		Unique: map[string]string{"number": "INC1"}}
	put(t, s, taken)

	fresh := itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{}`)}
	for _, c := range []struct {
		name  string
		bad   itsm.Record
		code  itsm.Code
		abort bool
	}{
		{"invalid", itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{`)}, itsm.CodeInvalid, false},
		{"exists", taken, itsm.CodeConflict, false},
		{"unique", itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: json.RawMessage(`{}`), Unique: taken.Unique}, itsm.CodeConflict, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var first, later error
			err := s.Write(ctx, func(tx itsm.WriteTx) error {
				if _, err := tx.Put(fresh); err != nil {
					return err
				}
				_, first = tx.Put(c.bad)
				_, later = tx.Get("incident", taken.ID)
				return nil
			})
			wantCode(t, first, c.code)
			if err != first {
				t.Errorf("Write returned %v, want the first failed write %v", err, first)
			}
			if c.abort != (later != nil) {
				t.Errorf("Get after the failed write: %v", later)
			}
			err = s.Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get("incident", fresh.ID); return err })
			wantCode(t, err, itsm.CodeNotFound)
		})
	}
}

// TestSnapshot checks that a Read sees one snapshot while another
// transaction commits between its statements, and that a Write sees its own
// writes.
func TestSnapshot(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{"n":0}`)}
	r.Version = put(t, s, r)
	read(t, s, func(tx itsm.ReadTx) error {
		if _, err := tx.Get("ticket", r.ID); err != nil {
			return err
		}
		// A different connection commits meanwhile.
		r.Body = json.RawMessage(`{"n":1}`)
		put(t, s, r)
		if err := s.Write(ctx, func(tx itsm.WriteTx) error {
			_, err := tx.Append(itsm.Event{Type: "test.snap", Time: time.Now()})
			return err
		}); err != nil {
			return err
		}
		got, err := tx.Get("ticket", r.ID)
		if err != nil {
			return err
		}
		if string(got.Body) != `{"n":0}` {
			t.Errorf("second Get of one Read saw %s", got.Body)
		}
		events, err := tx.Events(0, 0)
		if err != nil {
			return err
		}
		if len(events) != 0 {
			t.Errorf("Read saw %d events committed after it began", len(events))
		}
		return nil
	})
	write(t, s, func(tx itsm.WriteTx) error {
		r2 := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{}`), Index: map[string][]string{"s": {"x"}}}
		if _, err := tx.Put(r2); err != nil {
			return err
		}
		p, err := tx.Query(itsm.Query{Kind: "ticket", Index: "s", Match: itsm.MatchEqual, Value: "x"})
		if err != nil {
			return err
		}
		if len(p.Matches) != 1 {
			t.Errorf("Write did not see its own Put: %+v", p)
		}
		return nil
	})
}

// TestConcurrent runs writers on several connections at once: optimistic
// increments of one record with retries, appends and numbers. No update may
// be lost, and Seq and numbers must come out gapless.
func TestConcurrent(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := itsm.Record{Kind: "counter", ID: itsm.NewID(), Body: json.RawMessage(`0`)}
	put(t, s, r)

	const workers, rounds = 4, 15
	var wg sync.WaitGroup
	numbers := make(chan uint64, workers*rounds)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				for {
					var num itsm.Number
					err := s.Write(ctx, func(tx itsm.WriteTx) error {
						cur, err := tx.Get("counter", r.ID)
						if err != nil {
							return err
						}
						var n int
						if err := json.Unmarshal(cur.Body, &n); err != nil {
							return err
						}
						cur.Body = json.RawMessage(fmt.Sprint(n + 1))
						if _, err := tx.Put(cur); err != nil {
							return err
						}
						if num, err = tx.NextNumber("INC"); err != nil {
							return err
						}
						_, err = tx.Append(itsm.Event{Type: "test.inc", Time: time.Now()})
						return err
					})
					if itsm.IsCode(err, itsm.CodeConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					numbers <- num.Seq
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	close(numbers)
	seen := map[uint64]bool{}
	for n := range numbers {
		seen[n] = true
	}
	for n := uint64(1); n <= workers*rounds; n++ {
		if !seen[n] {
			t.Errorf("number %d missing", n)
		}
	}
	if got := get(t, s, "counter", r.ID); string(got.Body) != fmt.Sprint(workers*rounds) {
		t.Errorf("counter = %s, want %d", got.Body, workers*rounds)
	}
	var events []itsm.Event
	read(t, s, func(tx itsm.ReadTx) (err error) { events, err = tx.Events(0, itsm.MaxLimit); return err })
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
	}
	if len(events) != workers*rounds {
		t.Errorf("%d events, want %d", len(events), workers*rounds)
	}
}

func TestContext(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Read(ctx, func(tx itsm.ReadTx) error { return nil })
	if !errors.Is(err, context.Canceled) || !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("Read with a cancelled context: %v", err)
	}

	// Cancelled between statements: the write fails, Write commits nothing,
	// and the store goes on working.
	ctx, cancel = context.WithCancel(context.Background())
	id := itsm.NewID()
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := tx.Put(itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		cancel()
		_, err := tx.Put(itsm.Record{Kind: "ticket", ID: id, Body: json.RawMessage(`{}`)})
		return err
	})
	if !errors.Is(err, context.Canceled) || !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("Write cancelled midway: %v", err)
	}

	// Cancelled during a statement that waits for a lock.
	r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{}`)}
	r.Version = put(t, s, r)
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Write(context.Background(), func(tx itsm.WriteTx) error {
			if _, err := tx.Put(r); err != nil {
				return err
			}
			close(locked)
			<-release
			return errors.New("roll back")
		})
	}()
	<-locked
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = s.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
	if !errors.Is(err, context.DeadlineExceeded) || !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("Write whose Put waited past its deadline: %v", err)
	}
	close(release)
	<-done
	if v := put(t, s, r); v != r.Version+1 {
		t.Errorf("version after the contention = %d", v)
	}
}

func TestTxAfterReturn(t *testing.T) {
	s := openTest(t)
	var kept itsm.WriteTx
	write(t, s, func(tx itsm.WriteTx) error { kept = tx; return nil })
	_, err := kept.Get("ticket", itsm.NewID())
	wantCode(t, err, itsm.CodeInternal)
}

// TestWaitingWriter has a Put and a Delete wait for a concurrent writer of
// the same record, with the version both read. When that writer commits,
// they must fail with CodeConflict and leave its index values alone.
func TestWaitingWriter(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: json.RawMessage(`{}`),
		Index: map[string][]string{"tag": {"a"}}, Unique: map[string]string{"code": "A"}}
	put(t, s, r)
	r.Version = 1

	holding, commit := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Write(ctx, func(tx itsm.WriteTx) error {
			w := r
			w.Index, w.Unique = map[string][]string{"tag": {"b"}}, map[string]string{"code": "B"}
			if _, err := tx.Put(w); err != nil {
				return err
			}
			close(holding)
			<-commit
			return nil
		})
	}()
	<-holding
	waiters := make(chan error, 2)
	go func() {
		waiters <- s.Write(ctx, func(tx itsm.WriteTx) error {
			w := r
			w.Index, w.Unique = map[string][]string{"tag": {"c"}}, map[string]string{"code": "C"}
			_, err := tx.Put(w)
			return err
		})
	}()
	go func() {
		waiters <- s.Write(ctx, func(tx itsm.WriteTx) error { return tx.Delete("ticket", r.ID, 1) })
	}()
	// Commit only once both wait on the row lock, so that they see the
	// commit by re-checking the row, not in their snapshot.
	deadline := time.Now().Add(20 * time.Second)
	for waiting := 0; waiting < 2; {
		if time.Now().After(deadline) {
			close(commit)
			t.Fatalf("%d writers wait on the record's lock after 20s, want 2", waiting)
		}
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%'||$1||'%'`, s.schema).Scan(&waiting)
		if err != nil {
			close(commit)
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	close(commit)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := <-waiters
		wantCode(t, err, itsm.CodeConflict)
		if !strings.Contains(err.Error(), "is at version 2, not 1") {
			t.Errorf("error %q does not say which version the record is at", err)
		}
	}
	got := get(t, s, "ticket", r.ID)
	if got.Version != 2 || got.Index["tag"][0] != "b" || got.Unique["code"] != "B" {
		t.Fatalf("record after the writes: %+v", got)
	}
	for _, q := range []itsm.Query{
		{Kind: "ticket", Index: "tag"},
		{Kind: "ticket", Index: "code"},
	} {
		var p itsm.Page
		read(t, s, func(tx itsm.ReadTx) (err error) { p, err = tx.Query(q); return err })
		if len(p.Matches) != 1 || strings.ToLower(p.Matches[0].Value) != "b" {
			var values []string
			for _, h := range p.Matches {
				values = append(values, h.Value)
			}
			t.Errorf("index %s holds %q, want only the committed write's value", q.Index, values)
		}
	}
}
