package catalogue_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

const schemaDir = "testdata/schemas"

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload. Every payload type
// has one, and every golden file a payload type.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := catalogue.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(schemaDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for typ, b := range all {
			if err := os.WriteFile(filepath.Join(schemaDir, typ+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	for _, p := range catalogue.Payloads() {
		want = append(want, p.Type())
	}
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	var golden []string
	for _, f := range files {
		golden = append(golden, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	slices.Sort(want)
	if !slices.Equal(golden, want) {
		t.Errorf("golden files for %v, want %v", golden, want)
	}
	for typ, got := range all {
		b, err := os.ReadFile(filepath.Join(schemaDir, typ+".json"))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s differs from its golden file (go test ./request/catalogue -run TestSchemasMatchGolden -update rewrites it): %v", typ, err)
		}
		if !strings.Contains(string(got), `"$id": "`+catalogue.SchemaURL(typ)+`"`) {
			t.Errorf("%s: $id is not %s", typ, catalogue.SchemaURL(typ))
		}
	}
}

// The data of every event the catalogue writes matches its schema, and
// data it would not write does not.
func TestEventsMatchSchemas(t *testing.T) {
	all, err := catalogue.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	it := w.offered(account())
	w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, phone()))
	w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 2, "Yes."))
	w.must(w.cat.Withdraw(w.ctx, w.deskAdmin, it.ID, "Gone."))
	w.must(w.cat.Reinstate(w.ctx, w.deskAdmin, it.ID))
	w.offered(passwordReset())
	seen := map[string]bool{}
	for _, e := range w.log() {
		seen[e.Type] = true
		if err := schematest.MustNew(t, all[e.Type]).Check(e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
	}
	for _, p := range catalogue.Payloads() {
		if !seen[p.Type()] {
			t.Errorf("no %s event was checked", p.Type())
		}
	}
	by := `"by":{"organisation":"` + deskID.String() + `","person":"dora"}`
	def := `"name":{"sv":"a","en":"b"},"description":{"sv":"a","en":"b"},"service":"s","owner":"o","form":{}`
	for typ, data := range map[string]string{
		"catalogue.defined":   `{` + by + `,"desk":"` + deskID.String() + `","customer":"` + cityID.String() + `",` + def + `,"type":"D"}`,
		"catalogue.revised":   `{` + by + `,"number":2,` + def + `,"type":"B","approval":{"rule":"any","within":16}}`,
		"catalogue.agreed":    `{` + by + `}`,
		"catalogue.withdrawn": `{` + by + `,"reason":"x","note":"y"}`,
	} {
		if schematest.MustNew(t, all[typ]).Check([]byte(data)) == nil {
			t.Errorf("%s accepts %s", typ, data)
		}
	}
}
