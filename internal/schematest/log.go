package schematest

import (
	"context"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

// Log checks the data of one package's events in a store's log against
// the package's schemas, and remembers the types it saw: the random
// sequence tests check every event a sequence writes, and that the
// sequences write every type.
type Log struct {
	kinds    []string
	checkers map[string]*Checker
	// Seen are the event types checked so far.
	Seen map[string]bool
}

// NewLog returns a Log of the events whose Kind is one of kinds, checked
// against schemas, keyed by event type as a package's Schemas returns
// them.
func NewLog(t testing.TB, schemas map[string][]byte, kinds ...string) *Log {
	t.Helper()
	l := &Log{kinds: kinds, checkers: make(map[string]*Checker, len(schemas)), Seen: map[string]bool{}}
	for typ, s := range schemas {
		l.checkers[typ] = MustNew(t, s)
	}
	return l
}

// Check checks every event of the Log's kinds in store's log after the
// sequence number from, reporting as errors of t each one whose data its
// schema refuses or whose type has none, and returns the last sequence
// number read.
func (l *Log) Check(t testing.TB, ctx context.Context, store itsm.Store, from int64) (last int64) {
	t.Helper()
	last = from
	err := store.Read(ctx, func(tx itsm.ReadTx) error {
		for after := from; ; after = last {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			last = es[len(es)-1].Seq
			for _, e := range es {
				if !slices.Contains(l.kinds, e.Kind) {
					continue
				}
				l.Seen[e.Type] = true
				c := l.checkers[e.Type]
				if c == nil {
					t.Errorf("event %d has type %s, which has no schema", e.Seq, e.Type)
					continue
				}
				if err := c.Check(e.Data); err != nil {
					t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
				}
			}
		}
	})
	if err != nil {
		t.Errorf("read the log: %v", err)
	}
	return last
}
