package problem_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/internal/schematest"
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

// newSchemaChecker checks the package's events in a log against their
// schemas.
func newSchemaChecker(t testing.TB) *schematest.Log {
	all, err := problem.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return schematest.NewLog(t, all, problem.Kind, problem.KindKnownError, problem.KindWorkaround, problem.KindDismissal)
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
