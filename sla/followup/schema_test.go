package followup_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

func schemas(t *testing.T) map[string][]byte {
	t.Helper()
	s, err := followup.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func payloadTypes() []string {
	var out []string
	for _, p := range followup.Payloads() {
		out = append(out, p.Type())
	}
	return out
}

// TestSchemasMatchGolden compares each schema with its golden file; run with
// -update to rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	schematest.Golden(t, schemas(t), *update)
}

// Every payload type has a schema and a golden file, and every golden file a
// payload type.
func TestSchemaForEveryPayload(t *testing.T) {
	want := payloadTypes()
	slices.Sort(want)
	var got []string
	for typ := range schemas(t) {
		got = append(got, typ)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("schemas of %v, want %v", got, want)
	}
	files, _ := filepath.Glob(filepath.Join(schematest.GoldenDir, "*.json"))
	var golden []string
	for _, f := range files {
		golden = append(golden, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	slices.Sort(golden)
	if !slices.Equal(golden, want) {
		t.Errorf("golden files for %v, want %v", golden, want)
	}
}

func TestSchemasAreStableAndIdentified(t *testing.T) {
	first := schemas(t)
	for range 3 {
		for typ, b := range schemas(t) {
			if !bytes.Equal(b, first[typ]) {
				t.Fatalf("%s: two calls gave different bytes", typ)
			}
		}
	}
	for typ, b := range first {
		s := decodeJSON(t, b).(map[string]any)
		want := "https://spoc-itsm.github.io/schemas/" + typ + ".json"
		if s["$id"] != want || followup.SchemaURL(typ) != want {
			t.Errorf("%s: $id %v, SchemaURL %s, want %s", typ, s["$id"], followup.SchemaURL(typ), want)
		}
		if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["title"] == nil || s["description"] == nil {
			t.Errorf("%s: $schema %v, title %v, description %v", typ, s["$schema"], s["title"], s["description"])
		}
		props := s["properties"].(map[string]any)
		for _, name := range []string{"by", "version", "digest"} {
			if props[name] == nil || !slices.Contains(s["required"].([]any), any(name)) {
				t.Errorf("%s: %s is not a required property", typ, name)
			}
		}
	}
}

// lifecycleEvents runs every command, so that the log holds an event of
// every type, and returns the log.
func lifecycleEvents(t *testing.T) []itsm.Event {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	w.must(w.svc.Reject(w.ctx, w.approver, f.ID, "", "missing the P1 of the 12th"))
	w.calc.set(41)
	w.draft(w.city.ID, w.nov)
	w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", "agreed"))
	w.must(w.svc.Correct(w.ctx, w.agent, f.ID, "late ticket"))
	w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", ""))
	return w.log()
}

// The data of every event the service writes matches its schema.
func TestEventsMatchSchemas(t *testing.T) {
	all := schemas(t)
	seen := map[string]int{}
	for _, e := range lifecycleEvents(t) {
		s, ok := all[e.Type]
		if !ok {
			t.Errorf("event %d: type %s has no schema", e.Seq, e.Type)
			continue
		}
		seen[e.Type]++
		if err := checkSchema(t, s, e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
	}
	for _, typ := range payloadTypes() {
		if seen[typ] == 0 {
			t.Errorf("the lifecycle wrote no %s event, so its schema is not checked against real data", typ)
		}
	}
}

// The checker, and the schemas, can fail: each case breaks one rule in the
// data of a real event.
func TestSchemasRefuseBadData(t *testing.T) {
	data := map[string][]byte{}
	for _, e := range lifecycleEvents(t) {
		data[e.Type] = e.Data
	}
	all := schemas(t)
	cases := []struct {
		name, typ string
		change    func(m map[string]any)
		want      string // in the error; "" for valid data
	}{
		{"drafted as written", "followup.drafted", func(map[string]any) {}, ""},
		{"corrected as written", "followup.corrected", func(map[string]any) {}, ""},
		{"approved without comment is valid", "followup.approved", func(m map[string]any) { delete(m, "comment") }, ""},
		{"rejected without comment", "followup.rejected", func(m map[string]any) { delete(m, "comment") }, `required property "comment"`},
		{"no digest", "followup.drafted", func(m map[string]any) { delete(m, "digest") }, `required property "digest"`},
		{"digest in upper case", "followup.approved", func(m map[string]any) { m["digest"] = strings.ToUpper(m["digest"].(string)) }, "/digest"},
		{"digest too short", "followup.redrafted", func(m map[string]any) { m["digest"] = m["digest"].(string)[:63] }, "/digest"},
		{"version 0", "followup.approved", func(m map[string]any) { m["version"] = json.Number("0") }, "/version: 0 is less than 1"},
		{"version as a string", "followup.corrected", func(m map[string]any) { m["version"] = "2" }, "/version: string, want integer"},
		{"version with a fraction", "followup.corrected", func(m map[string]any) { m["version"] = json.Number("1.5") }, "want integer"},
		{"month 13", "followup.drafted", func(m map[string]any) { m["month"] = "2026-13" }, "/month"},
		{"period without end", "followup.drafted", func(m map[string]any) { delete(m["period"].(map[string]any), "to") }, `/period: required property "to"`},
		{"period not a time", "followup.drafted", func(m map[string]any) { m["period"].(map[string]any)["from"] = "November" }, "/period/from"},
		{"customer not a uuid", "followup.drafted", func(m map[string]any) { m["customer"] = "city" }, "/customer"},
		{"actor without person", "followup.rejected", func(m map[string]any) { delete(m["by"].(map[string]any), "person") }, `/by: required property "person"`},
		{"unknown role", "followup.approved", func(m map[string]any) { m["by"].(map[string]any)["roles"] = []any{"approver", "boss"} }, `/by/roles/1`},
		{"unknown property", "followup.approved", func(m map[string]any) { m["amount"] = json.Number("100") }, `property "amount" is not allowed`},
		{"the embedded struct's name", "followup.approved", func(m map[string]any) { m["By"] = m["by"] }, `property "By" is not allowed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := decodeJSON(t, data[tc.typ]).(map[string]any)
			tc.change(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = checkSchema(t, all[tc.typ], b)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid data refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want an error with %q:\n%s", tc.want, b)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want one with %q", err, tc.want)
			}
		})
	}
}

// A keyword the checker does not implement fails the check, so that a
// schema using more of JSON Schema is not taken as checked.
func TestSchemaCheckerRefusesUnknownKeywords(t *testing.T) {
	err := checkSchema(t, []byte(`{"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}}`), []byte(`{"a": "abcdef"}`))
	if err == nil || !strings.Contains(err.Error(), `keyword "maxLength"`) {
		t.Errorf("got %v, want the unknown keyword named", err)
	}
}

// The digest and month patterns accept what the package writes and nothing
// near it.
func TestSchemaPatterns(t *testing.T) {
	drafted := decodeJSON(t, schemas(t)["followup.drafted"]).(map[string]any)["properties"].(map[string]any)
	digestRE := regexp.MustCompile(drafted["digest"].(map[string]any)["pattern"].(string))
	monthRE := regexp.MustCompile(drafted["month"].(map[string]any)["pattern"].(string))
	for i := range 200 {
		d := followup.Digest([]byte(strings.Repeat("x", i)))
		if !digestRE.MatchString(d) {
			t.Fatalf("digest %q does not match", d)
		}
	}
	for _, bad := range []string{"", "abc", strings.Repeat("A", 64), strings.Repeat("0", 63), strings.Repeat("0", 65), strings.Repeat("g", 64)} {
		if digestRE.MatchString(bad) {
			t.Errorf("digest pattern accepts %q", bad)
		}
	}
	w := newWorld(t)
	for _, y := range []int{1, 999, 2025} {
		for m := time.January; m <= time.December; m++ {
			f := w.draft(w.city.ID, report.Month(y, m, stockholm))
			if !monthRE.MatchString(f.Month) || f.Month != fmt.Sprintf("%04d-%02d", y, int(m)) {
				t.Errorf("month %q of %d-%d", f.Month, y, m)
			}
		}
	}
	for _, bad := range []string{"2026-00", "2026-13", "2026-1", "26-01", "2026/01", "02026-01"} {
		if monthRE.MatchString(bad) {
			t.Errorf("month pattern accepts %q", bad)
		}
	}
}

// docs/followup.md lists every event type.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../../docs/followup.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range payloadTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/followup.md does not list `%s`", typ)
		}
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	return schematest.MustDecode(t, b)
}

// checkSchema validates data against schema (see internal/schematest).
func checkSchema(t *testing.T, schema, data []byte) error {
	t.Helper()
	return schematest.MustNew(t, schema).Check(data)
}
