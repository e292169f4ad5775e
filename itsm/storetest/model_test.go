package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// The model check is only worth its runtime if it notices a broken store.
// These tests break memstore in ways a backend plausibly could, through
// mFaultStore, and require the check to fail; and they check that the random
// programs reach the cases the check is for, and that a failure's program
// replays.

// mFaults are the bugs mFaultStore injects.
type mFaults struct {
	// ignoreReverse runs every query forwards.
	ignoreReverse bool
	// staleCursor positions Next on the last match but one, so that the
	// next page repeats a match.
	staleCursor bool
	// keepNumbers takes, after a transaction that used NextNumber rolled
	// back, the numbers it would have given back.
	keepNumbers bool
	// shareBodies hands out the same Body to every Get of a record
	// version, so that a caller changing it changes what others read.
	shareBodies bool
	// eventsOfAnyKind gives EventsOf the events of the subject under
	// every kind, as a store that indexed the subject alone would.
	eventsOfAnyKind bool
	// eventsOfFromAfter gives EventsOf the event at Seq after too, as a
	// store comparing with >= would.
	eventsOfFromAfter bool
}

// mFaultStore is a store with the bugs of faults.
type mFaultStore struct {
	itsm.Store
	faults mFaults
	mu     sync.Mutex
	bodies map[string][]byte
}

func (s *mFaultStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	return s.Store.Read(ctx, func(tx itsm.ReadTx) error { return fn(&mFaultTx{ReadTx: tx, s: s}) })
}

func (s *mFaultStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	var prefixes []string
	err := s.Store.Write(ctx, func(tx itsm.WriteTx) error {
		ftx := &mFaultTx{ReadTx: tx, w: tx, s: s}
		err := fn(ftx)
		prefixes = ftx.prefixes
		return err
	})
	if err != nil && s.faults.keepNumbers && len(prefixes) > 0 {
		_ = s.Store.Write(ctx, func(tx itsm.WriteTx) error {
			for _, p := range prefixes {
				if _, err := tx.NextNumber(p); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return err
}

type mFaultTx struct {
	itsm.ReadTx
	w        itsm.WriteTx
	s        *mFaultStore
	prefixes []string
}

func (tx *mFaultTx) Get(kind string, id itsm.ID) (itsm.Record, error) {
	r, err := tx.ReadTx.Get(kind, id)
	if err != nil || !tx.s.faults.shareBodies {
		return r, err
	}
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	key := fmt.Sprintf("%s %d", hKey(kind, id), r.Version)
	if b, ok := tx.s.bodies[key]; ok {
		r.Body = b
	} else {
		tx.s.bodies[key] = r.Body
	}
	return r, nil
}

func (tx *mFaultTx) Query(q itsm.Query) (itsm.Page, error) {
	if tx.s.faults.ignoreReverse {
		q.Reverse = false
	}
	p, err := tx.ReadTx.Query(q)
	if n := len(p.Matches); err == nil && tx.s.faults.staleCursor && p.Next != "" && n >= 2 {
		h := p.Matches[n-2]
		p.Next = backend.NewCursor(h.Value, h.Record.ID)
	}
	return p, err
}

func (tx *mFaultTx) EventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, error) {
	switch {
	case tx.s.faults.eventsOfFromAfter:
		return tx.ReadTx.EventsOf(kind, subject, after-1, limit)
	case !tx.s.faults.eventsOfAnyKind:
		return tx.ReadTx.EventsOf(kind, subject, after, limit)
	}
	n, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, err
	}
	var out []itsm.Event
	for after := after; len(out) < n; {
		es, err := tx.ReadTx.Events(after, itsm.MaxLimit)
		if err != nil || len(es) == 0 {
			return out, err
		}
		for _, e := range es {
			if e.Subject == subject && len(out) < n {
				out = append(out, e)
			}
		}
		after = es[len(es)-1].Seq
	}
	return out, nil
}

func (tx *mFaultTx) Put(r itsm.Record) (int64, error) { return tx.w.Put(r) }

func (tx *mFaultTx) Delete(kind string, id itsm.ID, version int64) error {
	return tx.w.Delete(kind, id, version)
}

func (tx *mFaultTx) Append(e itsm.Event) (itsm.Event, error) { return tx.w.Append(e) }

func (tx *mFaultTx) NextNumber(prefix string) (itsm.Number, error) {
	n, err := tx.w.NextNumber(prefix)
	if err == nil {
		tx.prefixes = append(tx.prefixes, prefix)
	}
	return n, err
}

// mRandomRun runs a random program of n transactions from seed against s,
// then checks the state, and returns the driver and the failures it
// reported.
func mRandomRun(t *testing.T, s itsm.Store, seed uint64, n int, thorough bool) (*mDriver, []string) {
	var d *mDriver
	errs := (&hRecorder{TB: t}).check(func(tb testing.TB) {
		d = newDriver(tb, s, &mProgram{rng: rand.New(rand.NewPCG(seed, seed))}, "test")
		d.run(n)
		d.checkState(thorough)
	})
	return d, errs
}

func TestModelCatchesBugs(t *testing.T) {
	for _, c := range []struct {
		name   string
		faults mFaults
		want   string // in the failure message
	}{
		{"IgnoreReverse", mFaults{ignoreReverse: true}, "Query"},
		{"StaleCursor", mFaults{staleCursor: true}, "Next ="},
		{"KeepNumbers", mFaults{keepNumbers: true}, "NextNumber"},
		{"ShareBodies", mFaults{shareBodies: true}, "Get"},
		{"EventsOfAnyKind", mFaults{eventsOfAnyKind: true}, "EventsOf"},
		{"EventsOfFromAfter", mFaults{eventsOfFromAfter: true}, "EventsOf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &mFaultStore{Store: memstore.New(), faults: c.faults, bodies: map[string][]byte{}}
			defer s.Close()
			_, errs := mRandomRun(t, s, 1, 200, true)
			if len(errs) == 0 {
				t.Fatalf("the model check passed a store with %+v", c.faults)
			}
			msg := errs[0]
			for _, part := range []string{c.want, "transcript", "go test fuzz v1\n[]byte("} {
				if !strings.Contains(msg, part) {
					t.Errorf("the failure does not say %q:\n%s", part, msg)
				}
			}
		})
	}
	t.Run("NoFault", func(t *testing.T) {
		s := &mFaultStore{Store: memstore.New(), bodies: map[string][]byte{}}
		defer s.Close()
		if _, errs := mRandomRun(t, s, 1, 200, true); len(errs) > 0 {
			t.Fatalf("the wrapper without faults fails: %s", errs[0])
		}
	})
}

// A failure prints the choices made so far; run through Commands they must
// give the same transcript, or the printed program reproduces nothing.
func TestModelProgramReplays(t *testing.T) {
	s1 := memstore.New()
	defer s1.Close()
	d1, errs := mRandomRun(t, s1, 7, 120, false)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	s2 := memstore.New()
	defer s2.Close()
	d2 := commands(t, s2, d1.p.rec)
	if d1.tx != d2.tx {
		t.Fatalf("the replay ran %d transactions, the original %d", d2.tx, d1.tx)
	}
	if !slices.Equal(d1.log, d2.log) {
		for i := range min(len(d1.log), len(d2.log)) {
			if d1.log[i] != d2.log[i] {
				t.Fatalf("transcripts differ at line %d:\noriginal %s\nreplay   %s", i, d1.log[i], d2.log[i])
			}
		}
		t.Fatalf("transcripts of %d and %d lines", len(d1.log), len(d2.log))
	}
}

// Every byte string is a program, including degenerate ones.
func TestModelAnyProgram(t *testing.T) {
	for name, program := range map[string][]byte{
		"empty": nil,
		"zeros": make([]byte, 300),
		"ones":  []byte(strings.Repeat("\xff", 300)),
		"counting": func() []byte {
			b := make([]byte, 1000)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}(),
		"long": []byte(strings.Repeat("\x01\x07\x13\x02\x05\x00\x09", 2000)),
	} {
		t.Run(name, func(t *testing.T) {
			s := memstore.New()
			defer s.Close()
			d := commands(t, s, program)
			if d.tx > mMaxCommandsTx+mMaxCommandsTx/mCheckEvery+1 {
				t.Errorf("%d transactions, more than the bound", d.tx)
			}
		})
	}
}

// The random programs must reach what the model check is for; a change to
// the choices that stopped them would otherwise pass silently.
func TestModelReachesEveryCase(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	d, errs := mRandomRun(t, s, 1, 200, true)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	log := strings.Join(d.log, "\n")
	for _, c := range []struct{ what, in string }{
		{"a page with a Next cursor", "] next ("},
		{"a reverse query after a cursor", "reverse limit"},
		{"a query after a cursor", " after ("},
		{"a put that fails with conflict", "fails with conflict"},
		{"a put that fails as invalid", "fails with invalid"},
		{"a delete of a missing record", "fails with not_found"},
		{"a unique value handed over", "move unique"},
		{"fn returning its own error", "fn returns its own error"},
		{"fn swallowing a failed write", "fn returns nil"},
		{"a query hitting a multi-byte value", `"\u00e9" #`},
		{"a query hitting NFD é", `"e\u0301" #`},
		{"an update", " v2 "},
		{"a number", "NextNumber(\"INC\"): INC0000002"},
		{"events", "Events("},
		{"the events of a record", "EventsOf("},
	} {
		if !strings.Contains(log, c.in) {
			t.Errorf("the random program never made %s (%q)", c.what, c.in)
		}
	}
	reverseAfter := false
	for _, l := range d.log {
		if strings.Contains(l, "reverse limit") && strings.Contains(l, " after (") && strings.Contains(l, "#") {
			reverseAfter = true
		}
	}
	if !reverseAfter {
		t.Error("the random program never read a reverse page after a cursor")
	}
	// Random reads, before the final check, which pages through every
	// record's events from the start.
	final := len(d.log)
	for final > 0 && !strings.HasSuffix(d.log[final-1], ": check the whole state") {
		final--
	}
	eventsOfMidway, eventsOfInvalid := false, false
	for _, l := range d.log[:final] {
		if !strings.Contains(l, "EventsOf(") {
			continue
		}
		switch {
		case strings.Contains(l, "fails with invalid"):
			eventsOfInvalid = true
		case !strings.Contains(l, ", 0, ") && !strings.HasSuffix(l, ": []"):
			eventsOfMidway = true
		}
	}
	if !eventsOfMidway {
		t.Error("the random program never read a record's events after a cursor")
	}
	if !eventsOfInvalid {
		t.Error("the random program never called EventsOf with an invalid argument")
	}
	t.Logf("%d transactions, %d transcript lines: %v", d.tx, len(d.log), d.stats)
}

// A backend fuzzes itself against the model with a target like this one,
// next to the seed corpus in testdata/fuzz/FuzzCommands.
func ExampleCommands() {
	fuzzCommands := func(f *testing.F) {
		f.Add([]byte("\x01\x02\x03"))
		f.Fuzz(func(t *testing.T, program []byte) {
			s := memstore.New() // a new, empty store for every input
			t.Cleanup(func() { _ = s.Close() })
			Commands(t, s, program)
		})
	}
	_ = fuzzCommands
}
