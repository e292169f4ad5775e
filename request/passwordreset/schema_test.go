package passwordreset_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/passwordreset"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := passwordreset.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
}

// The data of every event the package writes matches its schema, and
// every type is written in a life of enrolment, lockout, match with a
// higher count, and fulfilment.
func TestEventsMatchSchemas(t *testing.T) {
	all, err := passwordreset.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	f := newFixture(t, store, nil)
	for range 3 {
		f.verify(with("pet", "fel"))
	}
	f.clock.Advance(time.Hour)
	cfg := f.cfg
	cfg.Iterations *= 2
	raised, err := passwordreset.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := raised.Verify(ctx, request.Verification{Requester: "anna", Answers: answers(annasAnswers)}); err != nil {
		t.Fatal(err)
	}
	if _, err := raised.Fulfil(ctx, request.Fulfilment{Key: "k", Order: itsm.NewID(), Number: "REQ0000001", Requester: "anna"}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events(t, store) {
		seen[e.Type] = true
		if err := schematest.MustNew(t, all[e.Type]).Check(e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
		if e.Type == "passwordreset.attempted" && strings.Contains(string(e.Data), "locked_until") != strings.Contains(string(e.Data), `"attempts":3`) {
			t.Errorf("event %d: %s", e.Seq, e.Data)
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("events of %v written, want all of %d types", seen, len(all))
	}
}
