package cmdb_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/schematest"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// eventTypes is every event type of the item and import events.
func eventTypes() []string {
	var out []string
	for _, p := range cmdb.Payloads() {
		out = append(out, p.Type())
	}
	for _, p := range cmdb.ImportPayloads() {
		out = append(out, p.Type())
	}
	slices.Sort(out)
	return out
}

// allSchemas is the event schemas and the model file's, by name.
func allSchemas(t testing.TB) map[string][]byte {
	t.Helper()
	all, err := cmdb.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	m, err := cmdb.ModelSchema()
	if err != nil {
		t.Fatal(err)
	}
	out := maps.Clone(all)
	out["cmdb.model"] = m
	return out
}

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload or the model.
func TestSchemasMatchGolden(t *testing.T) {
	all := allSchemas(t)
	if got, want := len(all), len(eventTypes())+len(changeEventTypes())+1; got != want {
		t.Fatalf("%d schemas for %d event types and the model", got, want-1)
	}
	schematest.Golden(t, all, *update)
	for _, typ := range eventTypes() {
		if cmdb.SchemaURL(typ) != "https://spoc-itsm.github.io/schemas/"+typ+".json" {
			t.Errorf("SchemaURL(%q) = %s", typ, cmdb.SchemaURL(typ))
		}
	}
}

// The schemas refuse what the events never hold: a checker that passes
// everything would make the sequences' check worthless.
func TestSchemasRefuse(t *testing.T) {
	all := allSchemas(t)
	by := `{"organisation":"01900000-0000-7000-8000-0000000000d1","person":"axel","roles":["agent"]}`
	id := `"01900000-0000-7000-8000-0000000000d1"`
	for typ, data := range map[string]string{
		"cmdb.item.related":       `{"by":` + by + `,"relation":{"type":"runs_on","to":` + id + `},"extra":1}`,
		"cmdb.item.unrelated":     `{"by":` + by + `,"relation":{"type":"runs_on"}}`,
		"cmdb.item.state_changed": `{"by":` + by + `,"state":"broken","was":"production"}`,
		"cmdb.item.created":       `{"by":` + by + `,"number":"CI1","desk":` + id + `,"class":"server","name":"a","state":"production"}`,
		"cmdb.item.edited":        `{"by":` + by + `,"name":"a"}`,
		"cmdb.model":              `{"classes":[{"name":"Server","label":"S"}],"relation_types":[]}`,
	} {
		c := schematest.MustNew(t, all[typ])
		if err := c.Check([]byte(data)); err == nil {
			t.Errorf("%s accepts %s", typ, data)
		}
	}
}

// The default model is a model file the model's schema accepts and
// LoadModel reads back as it was.
func TestDefaultModelFile(t *testing.T) {
	b, err := json.Marshal(cmdb.DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.MustNew(t, allSchemas(t)["cmdb.model"]).Check(b); err != nil {
		t.Fatalf("the model schema refuses the default model: %v", err)
	}
	m, err := cmdb.LoadModel(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(m, cmdb.DefaultModel()); d != "" {
		t.Fatalf("the default model reads back otherwise: %s", d)
	}
}

// newSchemaChecker checks the item and import events in a log against
// their schemas.
func newSchemaChecker(t testing.TB) *schematest.Log {
	all, err := cmdb.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return schematest.NewLog(t, all, cmdb.KindItem, cmdb.KindImport)
}

// TestDocsListEveryEvent: docs/cmdb.md names every event type, so a new
// event cannot go undocumented.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/cmdb.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range eventTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/cmdb.md does not list `%s`", typ)
		}
	}
}
