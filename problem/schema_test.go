package problem_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// eventTypes is every event type of the package.
func eventTypes() []string {
	var out []string
	for _, p := range problem.Payloads() {
		out = append(out, p.Type())
	}
	for _, p := range problem.KnownErrorPayloads() {
		out = append(out, p.Type())
	}
	for _, p := range problem.WorkaroundPayloads() {
		out = append(out, p.Type())
	}
	for _, p := range problem.DismissalPayloads() {
		out = append(out, p.Type())
	}
	slices.Sort(out)
	return out
}

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := problem.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
}

// schemaChecker checks the data of the package's events against their
// schemas, remembering the types it saw.
type schemaChecker struct {
	checkers map[string]*schematest.Checker
	seen     map[string]bool
}

func newSchemaChecker(t testing.TB) *schemaChecker {
	all, err := problem.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	c := &schemaChecker{checkers: map[string]*schematest.Checker{}, seen: map[string]bool{}}
	for typ, s := range all {
		c.checkers[typ] = schematest.MustNew(t, s)
	}
	return c
}

// check checks every event of the package's kinds in the world's log
// after the sequence number from, and returns the last sequence number.
func (c *schemaChecker) check(w *world, from int64) (last int64) {
	w.t.Helper()
	last = from
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for after := from; ; {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			last = es[len(es)-1].Seq
			for _, e := range es {
				switch e.Kind {
				case problem.Kind, problem.KindKnownError, problem.KindWorkaround, problem.KindDismissal:
				default:
					continue
				}
				c.seen[e.Type] = true
				if err := c.checkers[e.Type].Check(e.Data); err != nil {
					w.t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
				}
			}
			after = last
		}
	}))
	return last
}

// docs/problem.md lists every event type.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/problem.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range eventTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/problem.md does not list `%s`", typ)
		}
	}
}
