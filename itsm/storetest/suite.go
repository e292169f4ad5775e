// Package storetest is the conformance suite every itsm.Store must pass, and
// the harness for the tests that need more than one process: a crash under
// SIGKILL and two processes writing the same database.
//
// A backend's test file calls Run with a function that opens a new, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) itsm.Store {
//			s, err := mystore.Open(filepath.Join(t.TempDir(), "spoc.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite is the executable form of the contract documented on itsm.Store:
// where the two disagree, the documentation is right and the suite is a bug.
// Package itsm/backend holds the validation, index and cursor helpers with
// which the shipped backends pass it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spoc-itsm/spoc/itsm"
)

// Run runs the conformance suite. open is called once per subtest and must
// return a new, empty store; the suite closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) itsm.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, itsm.Store)
	}{
		{"CreateGetUpdateDelete", testCRUD},
		{"BodyIsKeptByteForByte", testBodyBytes},
		{"ReturnedRecordsAreCopies", testCopies},
		{"IndexValuesAreNormalised", testIndexNormalised},
		{"VersionConflicts", testVersionConflicts},
		{"UniqueValues", testUnique},
		{"InvalidInput", testInvalid},
		{"RollbackOnError", testRollback},
		{"FailedWriteSpoilsTransaction", testSpoiled},
		{"WriteSeesOwnWrites", testOwnWrites},
		{"QueryMatches", testQueryMatches},
		{"QueryOrder", testQueryOrder},
		{"QueryByID", testQueryByID},
		{"QueryLimits", testQueryLimits},
		{"QueryFollowsUpdates", testQueryFollowsUpdates},
		{"Pagination", testPagination},
		{"PaginationUnderConcurrentInserts", testPaginationConcurrent},
		{"Unicode", testUnicode},
		{"LargeBodies", testLargeBodies},
		{"Events", testEvents},
		{"EventsRolledBack", testEventsRolledBack},
		{"EventsConcurrent", testEventsConcurrent},
		{"EventsOf", testEventsOf},
		{"EventsOfInWrite", testEventsOfInWrite},
		{"Numbers", testNumbers},
		{"NumbersConcurrent", testNumbersConcurrent},
		{"ReadersDuringWrites", testReadersDuringWrites},
		{"LostUpdates", testLostUpdates},
		{"CancelledContext", testCancelled},
		{"RandomCommands", testRandomCommands},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.fn(t, s)
		})
	}
}

// ctx is the context of every call that is not about cancellation. It is
// bounded so that a deadlocked backend fails the suite instead of hanging it.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// put writes recs in one transaction and returns their new versions.
func put(t *testing.T, s itsm.Store, recs ...itsm.Record) []int64 {
	t.Helper()
	vs := make([]int64, len(recs))
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		for i, r := range recs {
			v, err := tx.Put(r)
			if err != nil {
				return err
			}
			vs[i] = v
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return vs
}

// get reads one record; a missing one fails the test.
func get(t *testing.T, s itsm.Store, kind string, id itsm.ID) itsm.Record {
	t.Helper()
	var r itsm.Record
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
		var err error
		r, err = tx.Get(kind, id)
		return err
	})
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", kind, id, err)
	}
	return r
}

// getErr returns the error of reading one record.
func getErr(t *testing.T, s itsm.Store, kind string, id itsm.ID) error {
	t.Helper()
	return s.Read(ctx(t), func(tx itsm.ReadTx) error {
		_, err := tx.Get(kind, id)
		return err
	})
}

// query runs q in its own read transaction.
func query(t *testing.T, s itsm.Store, q itsm.Query) (itsm.Page, error) {
	t.Helper()
	var p itsm.Page
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
		var err error
		p, err = tx.Query(q)
		return err
	})
	return p, err
}

// queryAll follows q's cursors to the end and returns every hit.
func queryAll(t *testing.T, s itsm.Store, q itsm.Query) []itsm.Hit {
	t.Helper()
	var all []itsm.Hit
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("query %+v: no end after %d pages", q, pages)
		}
		p, err := query(t, s, q)
		if err != nil {
			t.Fatalf("Query(%+v): %v", q, err)
		}
		all = append(all, p.Matches...)
		if p.Next == "" {
			return all
		}
		if len(p.Matches) == 0 {
			t.Fatalf("query %+v: empty page with a Next cursor", q)
		}
		q.After = p.Next
	}
}

// events reads the log after a position, up to limit.
func events(t *testing.T, s itsm.Store, after int64, limit int) []itsm.Event {
	t.Helper()
	var es []itsm.Event
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
		var err error
		es, err = tx.Events(after, limit)
		return err
	})
	if err != nil {
		t.Fatalf("Events(%d, %d): %v", after, limit, err)
	}
	return es
}

// eventsOf reads one record's events after a position, up to limit.
func eventsOf(t *testing.T, s itsm.Store, kind string, subject itsm.ID, after int64, limit int) []itsm.Event {
	t.Helper()
	var es []itsm.Event
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
		var err error
		es, err = tx.EventsOf(kind, subject, after, limit)
		return err
	})
	if err != nil {
		t.Fatalf("EventsOf(%s, %s, %d, %d): %v", kind, subject, after, limit, err)
	}
	return es
}

// allEvents reads the whole log in one read transaction.
func allEvents(t *testing.T, s itsm.Store) []itsm.Event {
	t.Helper()
	var all []itsm.Event
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error {
		var err error
		all, err = readEvents(tx)
		return err
	})
	if err != nil {
		t.Fatalf("reading the event log: %v", err)
	}
	return all
}

// readEvents reads the whole log page by page.
func readEvents(tx itsm.ReadTx) ([]itsm.Event, error) {
	var all []itsm.Event
	for after := int64(0); ; {
		es, err := tx.Events(after, itsm.MaxLimit)
		if err != nil {
			return nil, fmt.Errorf("events after %d: %w", after, err)
		}
		if len(es) == 0 {
			return all, nil
		}
		all = append(all, es...)
		after = es[len(es)-1].Seq
	}
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code itsm.Code, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: err = nil, want code %s", what, code)
	}
	if got := itsm.ErrorCode(err); got != code {
		t.Fatalf("%s: err = %v (code %s), want code %s", what, err, got, code)
	}
}

// record builds a record with a JSON body naming it, so that a mix-up of
// bodies between records shows in a diff.
func record(kind string, id itsm.ID, version int64, note string) itsm.Record {
	return itsm.Record{
		Kind:    kind,
		ID:      id,
		Version: version,
		Body:    []byte(fmt.Sprintf(`{"id":%q,"note":%q}`, id, note)),
	}
}

// Stored returns what a store must give back for r after a Put that
// returned version v: Body unchanged, empty Unique and Index values dropped,
// each name's Index values sorted and deduplicated, nil maps when empty.
// Backend tests use it to state expectations the way the suite does.
func Stored(r itsm.Record, v int64) itsm.Record {
	r.Version = v
	r.Body = slices.Clone(r.Body)
	var u map[string]string
	for name, val := range r.Unique {
		if val == "" {
			continue
		}
		if u == nil {
			u = map[string]string{}
		}
		u[name] = val
	}
	r.Unique = u
	var idx map[string][]string
	for name, vals := range r.Index {
		var keep []string
		for _, val := range vals {
			if val != "" {
				keep = append(keep, val)
			}
		}
		if len(keep) == 0 {
			continue
		}
		slices.Sort(keep)
		if idx == nil {
			idx = map[string][]string{}
		}
		idx[name] = slices.Compact(keep)
	}
	r.Index = idx
	return r
}

// diff compares records, treating nil and empty maps alike: the contract asks
// for nil but a caller cannot tell them apart by ranging or indexing.
func diff(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

// ids returns n new IDs in increasing order, so tests can state orders.
func ids(n int) []itsm.ID {
	out := make([]itsm.ID, n)
	for i := range out {
		out[i] = itsm.NewID()
	}
	slices.SortFunc(out, func(a, b itsm.ID) int { return strings.Compare(string(a[:]), string(b[:])) })
	return out
}

// idLess orders IDs as stores do: by their bytes.
func idLess(a, b itsm.ID) int { return strings.Compare(string(a[:]), string(b[:])) }

// hitLess orders hits as an ascending query returns them.
func hitLess(a, b itsm.Hit) int {
	if c := strings.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return idLess(a.Record.ID, b.Record.ID)
}

// hitKeys reduces hits to "value id" lines, which diff more readably than
// whole records.
func hitKeys(hs []itsm.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("%q %s", h.Value, h.Record.ID)
	}
	return out
}

var errStop = errors.New("storetest: deliberate failure")
