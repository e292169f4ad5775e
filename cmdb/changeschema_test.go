package cmdb_test

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/schematest"
)

// changeEventTypes is every event type of the change events.
func changeEventTypes() []string {
	var out []string
	for _, p := range cmdb.ChangePayloads() {
		out = append(out, p.Type())
	}
	slices.Sort(out)
	return out
}

// TestDocsListEveryChangeEvent: docs/cmdb.md names every change event
// type, and each has its schema.
func TestDocsListEveryChangeEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/cmdb.md")
	if err != nil {
		t.Fatal(err)
	}
	all := allSchemas(t)
	for _, typ := range changeEventTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/cmdb.md does not list `%s`", typ)
		}
		if all[typ] == nil || cmdb.SchemaURL(typ) != "https://spoc-itsm.github.io/schemas/"+typ+".json" {
			t.Errorf("%s has no schema", typ)
		}
	}
}

// newChangeSchemaChecker checks the change events in a log against their
// schemas.
func newChangeSchemaChecker(t testing.TB) *schematest.Log {
	all, err := cmdb.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return schematest.NewLog(t, all, cmdb.KindChange)
}

// The change schemas refuse what the change events never hold.
func TestChangeSchemasRefuse(t *testing.T) {
	all := allSchemas(t)
	by := `{"organisation":"01900000-0000-7000-8000-0000000000d1","person":"axel","roles":["agent"]}`
	id := `"01900000-0000-7000-8000-0000000000d1"`
	win := `{"start":"2026-12-08T21:00:00Z","end":"2026-12-08T22:00:00Z","zone":"Europe/Stockholm"}`
	created := func(kind, effect, texts, window string) string {
		return `{"by":` + by + `,"number":"CHG0000001","desk":` + id + `,"kind":"` + kind + `","title":"t","window":` + window +
			`,"items":[` + id + `],"effect":"` + effect + `","texts":` + texts + `}`
	}
	good := created("planned", "outage", `{"sv":"s"}`, win)
	if err := schematest.MustNew(t, all["cmdb.change.created"]).Check([]byte(good)); err != nil {
		t.Fatalf("the schema refuses a good event: %v", err)
	}
	for _, c := range []struct{ typ, data string }{
		{"cmdb.change.created", created("emergency", "outage", `{"sv":"s"}`, win)},
		{"cmdb.change.created", created("planned", "down", `{"sv":"s"}`, win)},
		{"cmdb.change.created", created("planned", "outage", `{"en":"e"}`, win)},
		{"cmdb.change.created", created("planned", "outage", `{"sv":"s","de":"d"}`, win)},
		{"cmdb.change.created", created("planned", "outage", `{"sv":"s"}`, `{"start":"2026-12-08T21:00:00Z","end":"2026-12-08T22:00:00Z"}`)},
		{"cmdb.change.edited", `{"by":` + by + `,"title":"t","window":` + win + `,"items":["x"],"effect":"none","texts":{"sv":"s"},"changed":[]}`},
		{"cmdb.change.approved", `{"by":` + by + `,"object_owner":"Olle"}`},
		{"cmdb.change.cancelled", `{"by":` + by + `}`},
		{"cmdb.change.started", `{"by":` + by + `,"note":"x"}`},
		{"cmdb.change.completed", `{"note":"x"}`},
	} {
		if err := schematest.MustNew(t, all[c.typ]).Check([]byte(c.data)); err == nil {
			t.Errorf("%s accepts %s", c.typ, c.data)
		}
	}
}
