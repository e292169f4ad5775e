package knowledge_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/knowledge"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// eventTypes is every event type of the package.
func eventTypes() []string {
	var out []string
	for _, p := range knowledge.Payloads() {
		out = append(out, p.Type())
	}
	for _, p := range knowledge.StatsPayloads() {
		out = append(out, p.Type())
	}
	slices.Sort(out)
	return out
}

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := knowledge.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(all), len(eventTypes()); got != want {
		t.Fatalf("%d schemas for %d event types", got, want)
	}
	schematest.Golden(t, all, *update)
	for typ := range all {
		if knowledge.SchemaURL(typ) != "https://spoc-itsm.github.io/schemas/"+typ+".json" {
			t.Errorf("SchemaURL(%q) = %s", typ, knowledge.SchemaURL(typ))
		}
	}
}

// The schemas refuse what the events never hold: a checker that passes
// everything would make the lifecycle's check worthless.
func TestSchemasRefuse(t *testing.T) {
	all, err := knowledge.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	by := `{"organisation":"01900000-0000-7000-8000-0000000000d1","person":"axel","roles":["agent"]}`
	for typ, data := range map[string]string{
		"knowledge.submitted": `{"by":` + by + `,"extra":1}`,
		"knowledge.marked":    `{"organisation":"01900000-0000-7000-8000-0000000000d1","reader":"x","helpful":true,"was":"maybe"}`,
		"knowledge.created": `{"by":` + by + `,"number":"KB0000001","family":"01900000-0000-7000-8000-0000000000d1",` +
			`"language":"de","kind":"faq","desk":"01900000-0000-7000-8000-0000000000d1","owner":"01900000-0000-7000-8000-0000000000d1",` +
			`"owner_person":"axel","title":"t","body":"b","audience":"public"}`,
		"knowledge.published": `{"by":` + by + `,"version":1}`,
	} {
		c := schematest.MustNew(t, all[typ])
		if err := c.Check([]byte(data)); err == nil {
			t.Errorf("%s accepts %s", typ, data)
		}
	}
}

// newSchemaChecker checks the package's events in a log against their
// schemas.
func newSchemaChecker(t testing.TB) *schematest.Log {
	all, err := knowledge.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return schematest.NewLog(t, all, knowledge.Kind, knowledge.KindStats)
}

// TestDocsListEveryEvent: docs/knowledge.md names every event type, so a
// new event cannot go undocumented.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/knowledge.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range eventTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/knowledge.md does not list `%s`", typ)
		}
	}
}
