package schema_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/schema"
)

type sample struct {
	ID    itsm.ID    `json:"id"`
	At    time.Time  `json:"at"`
	By    itsm.Actor `json:"by"`
	Count int        `json:"count"`
	Note  string     `json:"note,omitempty"`
	Kind  string     `json:"kind"`
}

// TestDocument: the root is the object itself with the $id, title and
// description given; properties are closed and required unless omitted
// when empty; shared types get their schemas and descriptions; the
// package's Map, Docs and Edit apply; a description of a missing field is
// an error.
func TestDocument(t *testing.T) {
	g := schema.Generator{
		Map: func(t reflect.Type) *jsonschema.Schema {
			if t == reflect.TypeFor[int]() {
				return &jsonschema.Schema{Type: "integer", Minimum: "0"}
			}
			return nil
		},
		Docs: schema.Docs{
			Fields: map[reflect.Type]map[string]string{reflect.TypeFor[sample](): {"Count": "How many."}},
			Else: func(_ reflect.Type, field string) string {
				if field == "Kind" {
					return "From Else."
				}
				return ""
			},
		},
		Edit: func(s *jsonschema.Schema) {
			if p, ok := s.Properties.Get("note"); ok {
				p.MaxLength = new(uint64(10))
			}
		},
	}
	b, err := g.Document(sample{}, schema.URL("sample"), "A sample", "For the test.")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "}\n") {
		t.Error("the document does not end in a newline")
	}
	again, _ := g.Document(sample{}, schema.URL("sample"), "A sample", "For the test.")
	if string(again) != string(b) {
		t.Error("two calls gave different bytes")
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	if root["$id"] != "https://spoc-itsm.github.io/schemas/sample.json" || root["title"] != "A sample" ||
		root["description"] != "For the test." {
		t.Errorf("the root's $id, title, description: %v %v %v", root["$id"], root["title"], root["description"])
	}
	if root["additionalProperties"] != false {
		t.Errorf("additionalProperties %v, want false", root["additionalProperties"])
	}
	if got := strings.Join(anyStrings(root["required"]), ","); got != "id,at,by,count,kind" {
		t.Errorf("required %s", got)
	}
	props := root["properties"].(map[string]any)
	prop := func(name string) map[string]any { return props[name].(map[string]any) }
	if prop("id")["pattern"] != schema.IDPattern || prop("id")["format"] != "uuid" {
		t.Errorf("id: %v", prop("id"))
	}
	if prop("at")["format"] != "date-time" {
		t.Errorf("at: %v", prop("at"))
	}
	if prop("count")["minimum"] != 0.0 || prop("count")["description"] != "How many." {
		t.Errorf("count: %v", prop("count"))
	}
	if prop("kind")["description"] != "From Else." || prop("note")["maxLength"] != 10.0 {
		t.Errorf("kind %v, note %v", prop("kind"), prop("note"))
	}
	// Nested structs are definitions, described by the shared docs.
	by := root["$defs"].(map[string]any)["Actor"].(map[string]any)
	if by["description"] != "A person acting for an organisation." ||
		by["properties"].(map[string]any)["person"].(map[string]any)["description"] == nil {
		t.Errorf("by: %v", by)
	}
	roles := by["properties"].(map[string]any)["roles"].(map[string]any)["items"].(map[string]any)
	if len(anyStrings(roles["enum"])) != 7 {
		t.Errorf("roles: %v", roles)
	}

	g.Docs.Fields[reflect.TypeFor[sample]()]["Gone"] = "A field that is not there."
	if _, err := g.Document(sample{}, "x", "", ""); !itsm.IsCode(err, itsm.CodeInternal) || !strings.Contains(err.Error(), "sample.Gone") {
		t.Errorf("a description of a missing field: %v", err)
	}
}

func anyStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestEventsNeedADescription checks that Events documents every event type
// it is given, and refuses one without a title and description rather than
// publish a schema that does not say what the event means.
func TestEventsNeedADescription(t *testing.T) {
	type noted struct {
		Text string `json:"text"`
	}
	doc := func(typ string) (string, string, bool) {
		return "Noted", "Someone noted something.", typ == "thing.noted"
	}
	out, err := schema.Generator{}.Events(map[string]any{"thing.noted": noted{}}, doc)
	if err != nil || len(out) != 1 || !strings.Contains(string(out["thing.noted"]), `"title": "Noted"`) {
		t.Fatalf("Events: %v %s", err, out["thing.noted"])
	}
	if _, err := (schema.Generator{}).Events(map[string]any{"thing.lost": noted{}}, doc); !itsm.IsCode(err, itsm.CodeInternal) {
		t.Errorf("an event without a description: %v, want internal", err)
	}
}
