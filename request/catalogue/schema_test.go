package catalogue_test

import (
	"flag"
	"testing"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := catalogue.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
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
