package schematest_test

import (
	"context"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// recorder keeps the errors a Log reports instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
func (r *recorder) Helper()                           {}

// TestLogChecksItsKindsOnly: a Log checks the events of its kinds after
// the sequence number given, reports data its schema refuses and a type
// without a schema, skips other kinds, and says what it saw.
func TestLogChecksItsKindsOnly(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	schemas := map[string][]byte{"thing.named": []byte(`{"type":"object","required":["name"],"properties":{"name":{"type":"string"}},"additionalProperties":false}`)}
	subject := itsm.NewID()
	appendEvent := func(kind, typ, data string) {
		t.Helper()
		if err := store.Write(ctx, func(tx itsm.WriteTx) error {
			_, err := tx.Append(itsm.Event{Kind: kind, Subject: subject, Type: typ, Time: time.Now(), Data: []byte(data)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	appendEvent("thing", "thing.named", `{"name":"a"}`)
	appendEvent("other", "other.odd", `{"x":1}`)

	r := &recorder{TB: t}
	l := schematest.NewLog(t, schemas, "thing")
	last := l.Check(r, ctx, store, 0)
	if last != 2 || len(r.errors) != 0 || !l.Seen["thing.named"] || l.Seen["other.odd"] {
		t.Fatalf("a good log: last %d, errors %q, seen %v", last, r.errors, l.Seen)
	}

	appendEvent("thing", "thing.named", `{"name":1}`)
	appendEvent("thing", "thing.unknown", `{}`)
	if last = l.Check(r, ctx, store, last); last != 4 || len(r.errors) != 2 {
		t.Fatalf("a bad log after 2: last %d, errors %q; want 4 and two errors", last, r.errors)
	}
}
