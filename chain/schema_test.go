package chain_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/internal/schematest"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := chain.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
}

// The data of every event the register writes matches its schema, and
// data the register would not write does not.
func TestEventsMatchSchemas(t *testing.T) {
	all, err := chain.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	g := w.create(w.netAdmin, netID, "Network", "nora")
	w.must(w.svc.Rename(w.ctx, w.netAdmin, g.ID, "Net"))
	w.must(w.svc.RemoveMember(w.ctx, w.netAdmin, g.ID, "nora"))
	w.must(w.svc.SetEmail(w.ctx, w.netAdmin, g.ID, "net@nordnat.example"))
	w.must(w.svc.SetEmail(w.ctx, w.netAdmin, g.ID, ""))
	w.must(w.svc.Deactivate(w.ctx, w.netAdmin, g.ID))
	w.must(w.svc.Activate(w.ctx, w.netAdmin, g.ID))
	seen := map[string]bool{}
	for _, e := range w.log() {
		seen[e.Type] = true
		if err := schematest.MustNew(t, all[e.Type]).Check(e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
	}
	for _, p := range chain.Payloads() {
		if !seen[p.Type()] {
			t.Errorf("no %s event was checked", p.Type())
		}
	}
	for typ, data := range map[string]string{
		"group.created":         `{"by":{"organisation":"` + netID.String() + `","person":"nils"},"organisation":"` + netID.String() + `","name":"X","members":null}`,
		"group.renamed":         `{"by":{"organisation":"` + netID.String() + `","person":"nils"}}`,
		"group.members_changed": `{"by":{"organisation":"` + netID.String() + `","person":"nils"},"members":["a"],"added":["a"]}`,
		"group.deactivated":     `{"by":{"organisation":"net","person":"nils"}}`,
	} {
		if schematest.MustNew(t, all[typ]).Check([]byte(data)) == nil {
			t.Errorf("%s accepts %s", typ, data)
		}
	}
}

// docs/chain.md lists every event type.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/chain.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range chain.Payloads() {
		if !bytes.Contains(page, []byte("`"+p.Type()+"`")) {
			t.Errorf("docs/chain.md does not list `%s`", p.Type())
		}
	}
}
