package authority_test

import (
	"flag"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := authority.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
}

// The data of every event the register writes matches its schema, and
// data it would not write does not.
func TestEventsMatchSchemas(t *testing.T) {
	all, err := authority.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, backends()["memstore"](t))
	g := w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0), Until: w.day(9)})
	w.grant(authority.Grant{Customer: cityID, Person: "bob", Role: authority.RoleApprover, Service: "Laptops", From: w.day(1)})
	w.clock.Advance(time.Hour)
	must[*authority.Grant](t)(w.lists.End(w.ctx, w.cityAdmin, g.ID, w.day(3), "Left"))
	must[*authority.Absence](t)(w.lists.Absent(w.ctx, w.bob, authority.Absence{Customer: cityID, Person: "bob", StandIn: "carol", From: w.day(2), Until: w.day(4)}))
	seen := map[string]bool{}
	for _, e := range w.log() {
		seen[e.Type] = true
		if err := schematest.MustNew(t, all[e.Type]).Check(e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
	}
	for _, p := range authority.Payloads() {
		if !seen[p.Type()] {
			t.Errorf("no %s event was checked", p.Type())
		}
	}
	by := `"by":{"organisation":"` + cityID.String() + `","person":"ada"}`
	for typ, data := range map[string]string{
		"authority.ended":   `{"at":"2026-03-27T10:00:00Z",` + by + `,"until":"27 March"}`,
		"authority.granted": `{"id":"` + itsm.NewID().String() + `","customer":"` + cityID.String() + `","person":"a","role":"owner","from":"2026-03-27","granted":"2026-03-27T10:00:00Z","granted_by":{"organisation":"` + cityID.String() + `","person":"ada"}}`,
		"authority.absent":  `{"id":"` + itsm.NewID().String() + `"}`,
	} {
		if schematest.MustNew(t, all[typ]).Check([]byte(data)) == nil {
			t.Errorf("%s accepts %s", typ, data)
		}
	}
}
