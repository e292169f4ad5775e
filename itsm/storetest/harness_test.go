package storetest

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// The tests below exercise the harness against two tiny stores defined here
// only for that purpose: hMemStore (a mutex and maps) for the benchmarks, and
// hFileStore (the same state, one gob file per commit) for the tests that need
// a store to outlive a process. Neither is meant to be fast, and their Query
// lists records by ID only, which is all the harness asks of it.

// hState is the whole content of a test store.
type hState struct {
	Records map[string]itsm.Record // by hKey
	Unique  map[string]itsm.ID     // kind, name and value joined by NULs
	Events  []itsm.Event           // Events[i].Seq == i+1
	Numbers map[string]uint64      // last number taken per prefix
}

func hNewState() *hState {
	return &hState{Records: map[string]itsm.Record{}, Unique: map[string]itsm.ID{}, Numbers: map[string]uint64{}}
}

func hKey(kind string, id itsm.ID) string { return kind + "\x00" + string(id[:]) }

func hClone(r itsm.Record) itsm.Record {
	r.Body = bytes.Clone(r.Body)
	r.Unique = maps.Clone(r.Unique)
	if r.Index != nil {
		idx := make(map[string][]string, len(r.Index))
		for k, vs := range r.Index {
			idx[k] = slices.Clone(vs)
		}
		r.Index = idx
	}
	return r
}

// hTx works directly on a state and keeps an undo log, so that a rollback
// costs only what the transaction wrote.
type hTx struct {
	ctx    context.Context
	st     *hState
	undo   []func()
	failed error
}

func (tx *hTx) live() error {
	if err := tx.ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "test store")
	}
	return nil
}

// spoil remembers the first failed write, as Write must return it.
func (tx *hTx) spoil(err error) error {
	if err != nil && tx.failed == nil {
		tx.failed = err
	}
	return err
}

func (tx *hTx) rollback() {
	for _, u := range slices.Backward(tx.undo) {
		u()
	}
}

func (tx *hTx) Get(kind string, id itsm.ID) (itsm.Record, error) {
	if err := tx.live(); err != nil {
		return itsm.Record{}, err
	}
	r, ok := tx.st.Records[hKey(kind, id)]
	if !ok {
		return itsm.Record{}, itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id)
	}
	return hClone(r), nil
}

func (tx *hTx) Query(q itsm.Query) (itsm.Page, error) {
	if err := tx.live(); err != nil {
		return itsm.Page{}, err
	}
	limit, err := backend.ValidateQuery(q)
	if err != nil {
		return itsm.Page{}, err
	}
	if q.Index != "" {
		return itsm.Page{}, itsm.Errorf(itsm.CodeInvalid, "the harness test store lists records by id only")
	}
	var after itsm.ID
	if q.After != "" {
		_, after, _ = backend.ParseCursor(q.After)
	}
	var recs []itsm.Record
	for _, r := range tx.st.Records {
		if r.Kind == q.Kind && (q.After == "" || bytes.Compare(r.ID[:], after[:]) > 0) {
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(a, b itsm.Record) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	var p itsm.Page
	for i, r := range recs {
		if i == limit {
			last := p.Matches[len(p.Matches)-1]
			p.Next = backend.NewCursor(last.Value, last.Record.ID)
			break
		}
		p.Matches = append(p.Matches, itsm.Hit{Value: r.ID.String(), Record: hClone(r)})
	}
	return p, nil
}

func (tx *hTx) Events(after int64, limit int) ([]itsm.Event, error) {
	if err := tx.live(); err != nil {
		return nil, err
	}
	limit, err := itsm.ValidateLimit(limit)
	if err != nil {
		return nil, err
	}
	evs := tx.st.Events[min(max(after, 0), int64(len(tx.st.Events))):]
	return slices.Clone(evs[:min(limit, len(evs))]), nil
}

func (tx *hTx) EventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, error) {
	if err := tx.live(); err != nil {
		return nil, err
	}
	limit, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, err
	}
	var out []itsm.Event
	for _, e := range tx.st.Events {
		if e.Seq > after && e.Kind == kind && e.Subject == subject && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (tx *hTx) Put(r itsm.Record) (int64, error) {
	if err := tx.live(); err != nil {
		return 0, tx.spoil(err)
	}
	if err := backend.ValidateRecord(r); err != nil {
		return 0, tx.spoil(err)
	}
	key := hKey(r.Kind, r.ID)
	old, exists := tx.st.Records[key]
	switch {
	case r.Version == 0 && exists:
		return 0, tx.spoil(itsm.Errorf(itsm.CodeConflict, "%s %s exists", r.Kind, r.ID))
	case r.Version != 0 && !exists:
		return 0, tx.spoil(itsm.Errorf(itsm.CodeConflict, "%s %s does not exist", r.Kind, r.ID))
	case r.Version != 0 && old.Version != r.Version:
		return 0, tx.spoil(itsm.Errorf(itsm.CodeConflict, "%s %s is at version %d, not %d", r.Kind, r.ID, old.Version, r.Version))
	}
	for name, v := range r.Unique {
		if holder, taken := tx.st.Unique[r.Kind+"\x00"+name+"\x00"+v]; taken && v != "" && holder != r.ID {
			return 0, tx.spoil(itsm.Errorf(itsm.CodeConflict, "%s %s %q is taken", r.Kind, name, v))
		}
	}
	tx.setUnique(old.Kind, old.Unique, itsm.ID{})
	tx.setUnique(r.Kind, r.Unique, r.ID)
	r = hClone(r)
	r.Version = old.Version + 1
	tx.st.Records[key] = r
	tx.undo = append(tx.undo, func() {
		if exists {
			tx.st.Records[key] = old
		} else {
			delete(tx.st.Records, key)
		}
	})
	return r.Version, nil
}

// setUnique points the unique values at id, or removes them for the zero id.
func (tx *hTx) setUnique(kind string, unique map[string]string, id itsm.ID) {
	for name, v := range unique {
		if v == "" {
			continue
		}
		k := kind + "\x00" + name + "\x00" + v
		old, had := tx.st.Unique[k]
		if id.IsZero() {
			delete(tx.st.Unique, k)
		} else {
			tx.st.Unique[k] = id
		}
		tx.undo = append(tx.undo, func() {
			if had {
				tx.st.Unique[k] = old
			} else {
				delete(tx.st.Unique, k)
			}
		})
	}
}

func (tx *hTx) Delete(kind string, id itsm.ID, version int64) error {
	if err := tx.live(); err != nil {
		return tx.spoil(err)
	}
	key := hKey(kind, id)
	old, exists := tx.st.Records[key]
	switch {
	case !exists:
		return tx.spoil(itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id))
	case old.Version != version:
		return tx.spoil(itsm.Errorf(itsm.CodeConflict, "%s %s is at version %d, not %d", kind, id, old.Version, version))
	}
	tx.setUnique(kind, old.Unique, itsm.ID{})
	delete(tx.st.Records, key)
	tx.undo = append(tx.undo, func() { tx.st.Records[key] = old })
	return nil
}

func (tx *hTx) Append(e itsm.Event) (itsm.Event, error) {
	if err := tx.live(); err != nil {
		return itsm.Event{}, tx.spoil(err)
	}
	if err := backend.ValidateEvent(e); err != nil {
		return itsm.Event{}, tx.spoil(err)
	}
	e.Seq = int64(len(tx.st.Events)) + 1
	if e.ID.IsZero() {
		e.ID = itsm.NewID()
	}
	e.Time = e.Time.UTC()
	e.Data = bytes.Clone(e.Data)
	if len(e.Data) == 0 {
		e.Data = nil
	}
	tx.st.Events = append(tx.st.Events, e)
	n := len(tx.st.Events) - 1
	tx.undo = append(tx.undo, func() { tx.st.Events = tx.st.Events[:n] })
	return e, nil
}

func (tx *hTx) NextNumber(prefix string) (itsm.Number, error) {
	if err := tx.live(); err != nil {
		return itsm.Number{}, tx.spoil(err)
	}
	if err := itsm.ValidateNumberPrefix(prefix); err != nil {
		return itsm.Number{}, tx.spoil(err)
	}
	last := tx.st.Numbers[prefix]
	tx.st.Numbers[prefix] = last + 1
	tx.undo = append(tx.undo, func() { tx.st.Numbers[prefix] = last })
	return itsm.NewNumber(prefix, last+1)
}

// run runs fn as Write does: it keeps the writes only when fn and every
// write method succeeded.
func (tx *hTx) run(fn func(itsm.WriteTx) error) error {
	err := fn(tx)
	if err == nil {
		err = tx.failed
	}
	if err == nil {
		err = tx.live()
	}
	if err != nil {
		tx.rollback()
	}
	return err
}

// hMemStore is the in-memory test store: one writer at a time, readers
// excluded while it runs.
type hMemStore struct {
	mu sync.RWMutex
	st *hState
}

func hNewMemStore() *hMemStore { return &hMemStore{st: hNewState()} }

func (s *hMemStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&hTx{ctx: ctx, st: s.st})
}

func (s *hMemStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return (&hTx{ctx: ctx, st: s.st}).run(fn)
}

func (s *hMemStore) Close() error { return nil }

// hFileStore keeps the state in a directory, one immutable gob file per
// commit: state.<generation>. A commit writes a temporary file and links it
// to the next generation's name, which fails if another process committed
// that generation first: then the commit is a conflict, which is exactly the
// optimistic behaviour Processes retries on. A SIGKILL leaves either the old
// generation or the complete new one, never half a file.
type hFileStore struct {
	dir string
	mu  sync.Mutex // one transaction at a time within this process
}

func hOpenFileStore(tb testing.TB, dir string) itsm.Store {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return &hFileStore{dir: dir}
}

const hGenFormat = "state.%016d"

// load returns the newest generation. save empties old generations, maybe
// the one being read, so a file that cannot be read means look again.
func (s *hFileStore) load() (*hState, int64, error) {
	var lastErr error
	for range 100 {
		entries, err := os.ReadDir(s.dir)
		if err != nil {
			return nil, 0, itsm.Wrap(itsm.CodeUnavailable, err, "test store")
		}
		var gen int64
		for _, e := range entries { // sorted by name, so by generation
			var g int64
			if n, _ := fmt.Sscanf(e.Name(), hGenFormat, &g); n == 1 {
				gen = g
			}
		}
		if gen == 0 {
			return hNewState(), 0, nil
		}
		f, err := os.Open(filepath.Join(s.dir, fmt.Sprintf(hGenFormat, gen)))
		if err != nil {
			return nil, 0, itsm.Wrap(itsm.CodeUnavailable, err, "test store")
		}
		st := hNewState()
		err = gob.NewDecoder(f).Decode(st)
		_ = f.Close()
		if err != nil {
			// Emptied by save while being read: a newer one exists.
			lastErr = err
			continue
		}
		return st, gen, nil
	}
	return nil, 0, itsm.Wrap(itsm.CodeUnavailable, lastErr, "test store: no generation could be read")
}

func (s *hFileStore) save(st *hState, gen int64) error {
	tmp, err := os.CreateTemp(s.dir, "tmp-*")
	if err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "test store")
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	err = gob.NewEncoder(tmp).Encode(st)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "test store")
	}
	if err := os.Link(tmp.Name(), filepath.Join(s.dir, fmt.Sprintf(hGenFormat, gen))); err != nil {
		if errors.Is(err, os.ErrExist) {
			return itsm.Errorf(itsm.CodeConflict, "test store: generation %d was committed by another writer", gen)
		}
		return itsm.Wrap(itsm.CodeUnavailable, err, "test store")
	}
	// Old generations are emptied but not removed: a writer that loaded one
	// long ago must still find its successor's name taken, or its commit
	// would fork the history. The last few stay whole for readers that
	// listed the directory just before this commit.
	_ = os.Truncate(filepath.Join(s.dir, fmt.Sprintf(hGenFormat, gen-4)), 0)
	return nil
}

func (s *hFileStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _, err := s.load()
	if err != nil {
		return err
	}
	return fn(&hTx{ctx: ctx, st: st})
}

func (s *hFileStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, gen, err := s.load()
	if err != nil {
		return err
	}
	tx := &hTx{ctx: ctx, st: st}
	if err := tx.run(fn); err != nil {
		return err
	}
	if len(tx.undo) == 0 {
		return nil // nothing written
	}
	return s.save(st, gen+1)
}

func (s *hFileStore) Close() error { return nil }

// hMemBaseline is the raw baseline for hMemStore: a map behind a mutex.
func hMemBaseline(*testing.B) Baseline {
	var mu sync.RWMutex
	m := map[itsm.ID][]byte{}
	return Baseline{
		Write: func(_ context.Context, r itsm.Record) error {
			mu.Lock()
			defer mu.Unlock()
			m[r.ID] = bytes.Clone(r.Body)
			return nil
		},
		WriteBatch: func(_ context.Context, recs []itsm.Record) error {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range recs {
				m[r.ID] = bytes.Clone(r.Body)
			}
			return nil
		},
		Read: func(_ context.Context, _ string, id itsm.ID) error {
			mu.RLock()
			defer mu.RUnlock()
			if _, ok := m[id]; !ok {
				return fmt.Errorf("%s not found", id)
			}
			return nil
		},
		Close: func() error { return nil },
	}
}

func TestHarnessCrash(t *testing.T) {
	Crash(t, func(t *testing.T) string { return t.TempDir() }, hOpenFileStore)
}

// TestHarnessProcesses runs in a subtest whose name needs quoting, so that
// the child's -test.run pattern is exercised for real.
func TestHarnessProcesses(t *testing.T) {
	t.Run("file store (gob)", func(t *testing.T) {
		Processes(t, func(t *testing.T) string { return t.TempDir() }, hOpenFileStore)
	})
}

func BenchmarkHarness(b *testing.B) {
	Benchmark(b, func(*testing.B) itsm.Store { return hNewMemStore() }, hMemBaseline)
}

func TestHarnessRunPattern(t *testing.T) {
	for _, c := range []struct {
		name     string
		match    []string
		mismatch []string
	}{
		{"TestCrash", []string{"TestCrash"}, []string{"TestCrashX", "XTestCrash", "TestCras"}},
		{"TestX/file_store_(gob)", []string{"TestX/file_store_(gob)"}, []string{"TestX/file_store_gob", "TestX/file_store_(gob)x"}},
		{"TestX/a+b*[c]$^.|d#01", []string{"TestX/a+b*[c]$^.|d#01"}, []string{"TestX/aab*[c]$^.|d#01", "TestX/a+b*[c]$^.|d#0"}},
		{"TestX/sub/deeper", []string{"TestX/sub/deeper"}, []string{"TestX/sub/deeper2", "TestX/su/deeper"}},
	} {
		p := hRunPattern(c.name)
		elems := strings.Split(p, "/")
		if len(elems) != strings.Count(c.name, "/")+1 {
			t.Errorf("hRunPattern(%q) = %q: %d elements, want one per name element", c.name, p, len(elems))
			continue
		}
		// The testing package matches each element of the pattern against
		// the same element of the test name; do the same.
		matches := func(name string) bool {
			parts := strings.Split(name, "/")
			if len(parts) != len(elems) {
				return false
			}
			for i, e := range elems {
				if !regexp.MustCompile(e).MatchString(parts[i]) {
					return false
				}
			}
			return true
		}
		for _, n := range c.match {
			if !matches(n) {
				t.Errorf("hRunPattern(%q) = %q does not match %q", c.name, p, n)
			}
		}
		for _, n := range c.mismatch {
			if matches(n) {
				t.Errorf("hRunPattern(%q) = %q matches %q", c.name, p, n)
			}
		}
	}
}

func TestHarnessParse(t *testing.T) {
	good := map[string][]int64{
		"ack 1 1":                   {1, 1},
		"ack 9223372036854775807 0": {9223372036854775807, 0},
		"ack 42 17":                 {42, 17},
	}
	for line, want := range good {
		if got, ok := hParse(line, "ack", 2); !ok || !slices.Equal(got, want) {
			t.Errorf("hParse(%q) = %v, %v; want %v, true", line, got, ok, want)
		}
	}
	bad := []string{
		"", "ack", "ack 1", "ack 1 2 3", "ack -1 2", "ack 1 -2", "ack 01 2", "ack +1 2",
		" ack 1 2", "ack 1 2 ", "ack  1 2", "ack\t1 2", "ackx 1 2", "ACK 1 2", "ack 1 x",
		"ack 9223372036854775808 1", "ack 1.0 2", "--- FAIL: TestCrash (0.01s)", "took 3",
	}
	for _, line := range bad {
		if got, ok := hParse(line, "ack", 2); ok {
			t.Errorf("hParse(%q) = %v, true; want not an ack", line, got)
		}
	}
	if v, ok := hParse("ready", "ready", 0); !ok || len(v) != 0 {
		t.Errorf(`hParse("ready") = %v, %v`, v, ok)
	}

	acks, malformed := hCrashAcks([]string{"ack 1 1", "=== RUN TestCrash", "ack 2", "ack 2 2", "acknowledged", "PASS"})
	if want := []hAck{{1, 1}, {2, 2}}; !slices.Equal(acks, want) {
		t.Errorf("hCrashAcks: acks %v, want %v", acks, want)
	}
	if want := []string{"ack 2", "acknowledged"}; !slices.Equal(malformed, want) {
		t.Errorf("hCrashAcks: malformed %q, want %q", malformed, want)
	}
}

func TestHarnessSampleRecord(t *testing.T) {
	var prev itsm.ID
	for i := range 2000 {
		r := SampleRecord(i)
		if err := backend.ValidateRecord(r); err != nil {
			t.Fatalf("SampleRecord(%d): %v", i, err)
		}
		if n := len(r.Body); n < 270 || n > 330 {
			t.Errorf("SampleRecord(%d): body of %d bytes, want about 300", i, n)
		}
		if u := uuid.UUID(r.ID); u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Errorf("SampleRecord(%d): id %s is not a UUID v7", i, r.ID)
		}
		if i > 0 && bytes.Compare(prev[:], r.ID[:]) >= 0 {
			t.Errorf("SampleRecord(%d): id %s does not sort after %s", i, r.ID, prev)
		}
		prev = r.ID
		if want := fmt.Sprintf("SMP%07d", i+1); r.Unique["number"] != want {
			t.Errorf("SampleRecord(%d): number %q, want %q", i, r.Unique["number"], want)
		}
		if len(r.Index["state"]) != 1 || len(r.Index["org"]) != 1 {
			t.Errorf("SampleRecord(%d): index %v, want one state and one org", i, r.Index)
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil || body["number"] != r.Unique["number"] {
			t.Errorf("SampleRecord(%d): body %s does not carry its number (%v)", i, r.Body, err)
		}
	}
	if a, b := SampleRecord(7), SampleRecord(7); !bytes.Equal(a.Body, b.Body) || a.ID != b.ID {
		t.Error("SampleRecord(7) differs between calls")
	}
	seen := map[[2]string]bool{}
	for i := range 32 {
		r := SampleRecord(i)
		seen[[2]string{r.Index["state"][0], r.Index["org"][0]}] = true
	}
	if len(seen) != 32 {
		t.Errorf("32 consecutive records have %d state and org combinations, want all 32", len(seen))
	}
}

// hRecorder collects a checker's failures instead of failing the test, so
// that the checkers themselves can be tested on broken stores.
type hRecorder struct {
	testing.TB
	errs []string
}

func (r *hRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *hRecorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *hRecorder) Failed() bool { return len(r.errs) > 0 }

// check runs fn against the recorder in a goroutine of its own, where Fatalf
// may end it, and returns the failures.
func (r *hRecorder) check(fn func(testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.errs
}

// hCrashTx commits transaction i as the crash child does, or part of it.
func hCrashTx(t *testing.T, s itsm.Store, i int64, record, event, number bool) {
	t.Helper()
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
		num := itsm.Number{Seq: uint64(i)}
		if number {
			var err error
			if num, err = tx.NextNumber(hCrashPrefix); err != nil {
				return err
			}
		}
		id := itsm.NewID()
		if record {
			body, _ := json.Marshal(hCrashBody{I: i, Number: num.Seq})
			if _, err := tx.Put(itsm.Record{Kind: hCrashKind, ID: id, Body: body, Unique: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
				return err
			}
		}
		if event {
			data, _ := json.Marshal(hCrashBody{I: i})
			if _, err := tx.Append(itsm.Event{Type: hCrashEvent, Kind: hCrashKind, Subject: id, Time: time.Now(), Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHarnessCrashCheck shows that the crash checker notices each way a
// store can lose or tear a commit.
func TestHarnessCrashCheck(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, s itsm.Store)
		acked []hAck
		want  string // in one of the failures; "" for none
	}{
		{"whole", func(t *testing.T, s itsm.Store) {
			for i := range int64(3) {
				hCrashTx(t, s, i+1, true, true, true)
			}
		}, []hAck{{1, 1}, {2, 2}}, ""},
		{"lost ack", func(t *testing.T, s itsm.Store) {
			hCrashTx(t, s, 1, true, true, true)
		}, []hAck{{1, 1}, {2, 2}}, "transaction 2 was acknowledged but is not in the store"},
		{"event without record", func(t *testing.T, s itsm.Store) {
			hCrashTx(t, s, 1, true, true, true)
			hCrashTx(t, s, 2, false, true, true)
		}, nil, "2 events but 1 records"},
		{"record without event", func(t *testing.T, s itsm.Store) {
			hCrashTx(t, s, 1, true, false, true)
		}, nil, "0 events but 1 records"},
		{"number without record", func(t *testing.T, s itsm.Store) {
			hCrashTx(t, s, 1, true, true, true)
			hCrashTx(t, s, 2, false, false, true)
		}, nil, "next CR number is 3 after 1 committed"},
		{"gap", func(t *testing.T, s itsm.Store) {
			hCrashTx(t, s, 1, true, true, true)
			hCrashTx(t, s, 3, true, true, true)
		}, nil, "transaction 2 is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := hNewMemStore()
			c.setup(t, s)
			errs := (&hRecorder{TB: t}).check(func(tb testing.TB) { hCrashCheck(tb, s, c.acked) })
			if c.want == "" && len(errs) > 0 || c.want != "" && !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, c.want) }) {
				t.Errorf("failures %q, want one containing %q", errs, c.want)
			}
		})
	}
}

// TestHarnessProcCheck shows that the two-process checker notices lost
// updates and commits out of order.
func TestHarnessProcCheck(t *testing.T) {
	const total = 4
	inc := func(t *testing.T, s itsm.Store, child int, count int64, takeNumber bool) {
		t.Helper()
		err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
			rec, err := tx.Get(hProcKind, hProcID)
			if err != nil {
				rec = itsm.Record{Kind: hProcKind, ID: hProcID}
			}
			rec.Body, _ = json.Marshal(hProcData{Count: count})
			if _, err := tx.Put(rec); err != nil {
				return err
			}
			var num itsm.Number
			if takeNumber {
				if num, err = tx.NextNumber(hProcPrefix); err != nil {
					return err
				}
			}
			data, _ := json.Marshal(hProcData{Child: child, Count: count, Number: num.Seq})
			_, err = tx.Append(itsm.Event{Type: hProcEvent, Kind: hProcKind, Subject: hProcID, Time: time.Now(), Data: data})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	owner := map[uint64]int{1: 0, 2: 1, 3: 0, 4: 1}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, s itsm.Store)
		want  string
	}{
		{"right", func(t *testing.T, s itsm.Store) {
			for n := range int64(total) {
				inc(t, s, owner[uint64(n+1)], n+1, true)
			}
		}, ""},
		{"lost update", func(t *testing.T, s itsm.Store) {
			for n := range int64(total) {
				inc(t, s, owner[uint64(n+1)], min(n+1, 3), true)
			}
		}, "counter is 3 after 4 increments"},
		{"number skipped", func(t *testing.T, s itsm.Store) {
			for n := range int64(total) {
				inc(t, s, owner[uint64(n+1)], n+1, n != 1)
			}
		}, "commits were not serialised"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := hNewMemStore()
			c.setup(t, s)
			errs := (&hRecorder{TB: t}).check(func(tb testing.TB) { hProcCheck(tb, s, owner, total) })
			if c.want == "" && len(errs) > 0 || c.want != "" && !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, c.want) }) {
				t.Errorf("failures %q, want one containing %q", errs, c.want)
			}
		})
	}
}

// ExampleCrash shows a backend's test file using the harness; newTarget and
// open would open the backend's own store where this one uses the harness's
// test store.
func ExampleCrash() {
	newTarget := func(t *testing.T) string { return filepath.Join(t.TempDir(), "spoc") }
	open := func(tb testing.TB, target string) itsm.Store { return hOpenFileStore(tb, target) }

	// func TestCrash(t *testing.T)     { storetest.Crash(t, newTarget, open) }
	// func TestProcesses(t *testing.T) { storetest.Processes(t, newTarget, open) }
	// func BenchmarkStore(b *testing.B) { storetest.Benchmark(b, openBench, rawBaseline) }
	_ = func(t *testing.T) { Crash(t, newTarget, open) }
	_ = func(t *testing.T) { Processes(t, newTarget, open) }
	_ = func(b *testing.B) {
		Benchmark(b, func(*testing.B) itsm.Store { return hNewMemStore() }, hMemBaseline)
	}
}
