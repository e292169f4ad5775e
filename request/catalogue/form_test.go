package catalogue_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// A form must be an object schema of draft 2020-12 that compiles, loads
// nothing and keeps its secrets where they can be stripped.
func TestFormRules(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, form, want string // want "" when allowed
	}{
		{"no form", ``, ""},
		{"an object schema", `{"type":"object","properties":{"n":{"type":"integer","minimum":1}}}`, ""},
		{"the draft said", `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"}`, ""},
		{"a $ref within", `{"type":"object","$defs":{"name":{"type":"string"}},"properties":{"n":{"$ref":"#/$defs/name"}}}`, ""},
		{"a $ref to the draft's metaschema", `{"type":"object","properties":{"s":{"$ref":"https://json-schema.org/draft/2020-12/schema"}}}`, ""},
		{"a secret", `{"type":"object","properties":{"pin":{"type":"string","writeOnly":true}}}`, ""},
		{"a property named writeOnly", `{"type":"object","properties":{"x":{"type":"object","properties":{"writeOnly":{"type":"string"}}}}}`, ""},
		{"writeOnly in data", `{"type":"object","properties":{"x":{"enum":[{"writeOnly":true}]}}}`, ""},
		{"not JSON", `{"type":`, "form is not JSON"},
		{"JSON and more", `{"type":"object"} {}`, "form is not JSON"},
		{"not an object", `true`, "form is not a JSON Schema object"},
		{"an array schema", `{"type":"array"}`, `form's type is not "object"`},
		{"no type", `{"properties":{}}`, `form's type is not "object"`},
		{"another draft", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`, "forms are written in draft 2020-12"},
		{"a draft further in", `{"type":"object","properties":{"x":{"$schema":"http://json-schema.org/draft-07/schema#"}}}`, `$schema at "/properties/x"`},
		{"a remote $ref", `{"type":"object","properties":{"x":{"$ref":"https://example.com/x.json"}}}`, "form refers to https://example.com/x.json; a form must be whole in itself"},
		{"a file $ref", `{"type":"object","properties":{"x":{"$ref":"file://` + secret + `"}}}`, "a form must be whole in itself"},
		{"a relative $ref", `{"type":"object","properties":{"x":{"$ref":"other.json"}}}`, "form refers to https://spoc-itsm.github.io/forms/other.json"},
		{"a $ref to nothing within", `{"type":"object","properties":{"x":{"$ref":"#/$defs/none"}}}`, "form does not compile"},
		{"an unknown type", `{"type":"object","properties":{"x":{"type":"strin"}}}`, "form is not a valid JSON Schema"},
		{"a bad pattern", `{"type":"object","properties":{"x":{"type":"string","pattern":"("}}}`, "form is not a valid JSON Schema"},
		{"a nested secret", `{"type":"object","properties":{"x":{"type":"object","properties":{"pin":{"writeOnly":true}}}}}`, `writeOnly at "/properties/x/properties/pin"`},
		{"a secret behind a $ref", `{"type":"object","$defs":{"s":{"type":"string","writeOnly":true}},"properties":{"pin":{"$ref":"#/$defs/s"}}}`, `writeOnly at "/$defs/s"`},
		{"a secret in an alternative", `{"type":"object","anyOf":[{"properties":{"pin":{"writeOnly":true}}}]}`, `writeOnly at "/anyOf/0/properties/pin"`},
		{"a secret form", `{"type":"object","writeOnly":true}`, `writeOnly at ""`},
		{"too large", `{"type":"object","description":"` + strings.Repeat("x", catalogue.MaxForm) + `"}`, "more than 65536"},
	}
	w := newWorld(t)
	for _, tc := range cases {
		before := len(w.log())
		it, err := w.cat.Define(w.ctx, w.deskAdmin, cityID, with(passwordReset(), form(tc.form)))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (!itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want invalid with %q", tc.name, err, tc.want)
		case tc.want != "" && len(w.log()) != before:
			t.Errorf("%s: a refusal appended an event", tc.name)
		case tc.want == "" && tc.form == "" && string(it.Versions[0].Form) != `{"type":"object","additionalProperties":false}`:
			t.Errorf("%s: form %s", tc.name, it.Versions[0].Form)
		}
	}
}

// Answers are checked against the version's form and a refusal says in one
// sentence which answer is wrong and how, never repeating the answer.
func TestCheckAnswers(t *testing.T) {
	w := newWorld(t)
	it := w.offered(with(passwordReset(), form(`{
		"type": "object",
		"properties": {
			"account": {"type": "string", "minLength": 2, "maxLength": 8, "pattern": "^[a-z]+$"},
			"email": {"type": "string", "format": "email"},
			"pin": {"type": "string", "writeOnly": true, "minLength": 4},
			"count": {"type": "integer", "minimum": 1, "maximum": 3},
			"share": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "multipleOf": 0.25},
			"size": {"enum": ["small", "large"]},
			"yes": {"const": true},
			"tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2, "uniqueItems": true},
			"a/b": {"type": "boolean"},
			"contact": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
			"address": {"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"], "additionalProperties": false}
		},
		"required": ["account", "pin"],
		"additionalProperties": false,
		"dependentRequired": {"count": ["size"]}
	}`)))
	v, _ := it.Offered()
	cases := []struct{ answers, want string }{
		{`{"account":"ulla","pin":"1234"}`, ""},
		{`{"account":"ulla","pin":"1234","email":"ulla@city.example","count":2,"size":"large","share":0.5,"yes":true,"tags":["a"],"a/b":true,"contact":5,"address":{"zip":"11122"}}`, ""},
		{`{"pin":"1234"}`, `answer "/account" is required`},
		{`{}`, `answer "/account" is required; one more answer is wrong too`},
		{`{"account":"ulla","pin":"1234","extra":1}`, `answer "/extra" is not a question of the form`},
		{`{"account":"ulla","pin":"1234","count":2}`, `answer "/size" is required when "/count" is answered`},
		{`{"account":7,"pin":"1234"}`, `answer "/account" is a number, not a string`},
		{`[]`, `the answer object is an array, not an object`},
		{`{"account":"u","pin":"1234"}`, `answer "/account" is shorter than 2 characters`},
		{`{"account":"ullaullaulla","pin":"1234"}`, `answer "/account" is longer than 8 characters`},
		{`{"account":"Ulla","pin":"1234"}`, `answer "/account" does not match the pattern ^[a-z]+$`},
		{`{"account":"ulla","pin":"12"}`, `answer "/pin" is shorter than 4 characters`},
		{`{"account":"Secret","pin":"1234"}`, `answer "/account" does not match the pattern ^[a-z]+$`},
		{`{"account":"ulla","pin":"1234","size":"s3cr3t"}`, `answer "/size" is not one of the choices the form offers`},
		{`{"account":"ulla","pin":"1234","email":"s3cr3t"}`, `answer "/email" is not a valid email`},
		{`{"account":"ulla","pin":"1234","email":"ulla at city"}`, `answer "/email" is not a valid email`},
		{`{"account":"ulla","pin":"1234","count":0,"size":"small"}`, `answer "/count" is less than 1`},
		{`{"account":"ulla","pin":"1234","count":4,"size":"small"}`, `answer "/count" is more than 3`},
		{`{"account":"ulla","pin":"1234","share":0}`, `answer "/share" is not more than 0`},
		{`{"account":"ulla","pin":"1234","share":1}`, `answer "/share" is not less than 1`},
		{`{"account":"ulla","pin":"1234","share":0.3}`, `answer "/share" is not a multiple of 0.25`},
		{`{"account":"ulla","pin":"1234","size":"medium"}`, `answer "/size" is not one of the choices the form offers`},
		{`{"account":"ulla","pin":"1234","yes":false}`, `answer "/yes" is not the value the form requires`},
		{`{"account":"ulla","pin":"1234","tags":[]}`, `answer "/tags" has fewer than 1 entry`},
		{`{"account":"ulla","pin":"1234","tags":["a","b","c"]}`, `answer "/tags" has more than 2 entries`},
		{`{"account":"ulla","pin":"1234","tags":["a","a"]}`, `answer "/tags" lists an entry twice`},
		{`{"account":"ulla","pin":"1234","tags":["a",1]}`, `answer "/tags/1" is a number, not a string`},
		{`{"account":"ulla","pin":"1234","a/b":1}`, `answer "/a~1b" is a number, not a boolean`},
		{`{"account":"ulla","pin":"1234","contact":true}`, `answer "/contact" matches none of the alternatives the form allows`},
		{`{"account":"ulla","pin":"1234","address":{}}`, `answer "/address/zip" is required`},
		{`{"account":"ulla","pin":"1234","address":{"zip":"1","x\u202e":1}}`, `answer "/address/x" is not a question of the form`},
		{`{"account":"ulla","pin":"1234"`, `the answers are not JSON`},
		{`{"account":"ulla","pin":"1234"} {}`, `the answers are not JSON`},
		{`{"account":"ulla","pin":"1234","pad":"` + strings.Repeat("x", catalogue.MaxAnswers) + `"}`, `more than 65536`},
	}
	for _, tc := range cases {
		err := w.cat.CheckAnswers(it.ID, v, json.RawMessage(tc.answers))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.answers, err)
		case tc.want == "":
		case !itsm.IsCode(err, itsm.CodeInvalid):
			t.Errorf("%.80s: %v, want invalid", tc.answers, err)
		case err.Error() != "invalid: "+tc.want && !strings.Contains(err.Error(), "65536"):
			t.Errorf("%.80s:\n got %v\nwant %s", tc.answers, err, tc.want)
		}
		if err != nil {
			for _, s := range stringsOf(tc.answers) {
				if len(s) >= 4 && strings.Contains(err.Error(), s) {
					t.Errorf("the refusal repeats the answer %q: %v", s, err)
				}
			}
		}
	}
}

// Each version is checked against its own form, also when another item has
// a version of the same number, and the old version's form still applies
// to orders placed under it.
func TestCheckAnswersPerVersion(t *testing.T) {
	w := newWorld(t)
	a := w.offered(with(passwordReset(), form(`{"type":"object","properties":{"n":{"type":"integer"}}}`)))
	b := w.offered(with(passwordReset(), form(`{"type":"object","properties":{"n":{"type":"string"}}}`)))
	a = w.must(w.cat.Revise(w.ctx, w.deskAdmin, a.ID, with(passwordReset(), form(`{"type":"object","properties":{"n":{"type":"boolean"}}}`))))
	check := func(it *catalogue.Item, n int, answers string) error {
		v, _ := it.At(n)
		return w.cat.CheckAnswers(it.ID, v, json.RawMessage(answers))
	}
	for range 2 { // the second time from the cache
		if err := check(a, 1, `{"n":1}`); err != nil {
			t.Errorf("a1: %v", err)
		}
		if err := check(b, 1, `{"n":"x"}`); err != nil {
			t.Errorf("b1: %v", err)
		}
		if err := check(a, 2, `{"n":true}`); err != nil {
			t.Errorf("a2: %v", err)
		}
		if err := check(a, 2, `{"n":1}`); err == nil {
			t.Errorf("a2 takes a1's answers")
		}
		// A version passed under another item's ID is checked against its
		// own form, not the cached form of that item.
		v, _ := b.At(1)
		if err := w.cat.CheckAnswers(a.ID, v, json.RawMessage(`{"n":"x"}`)); err != nil {
			t.Errorf("b1 under a's ID: %v", err)
		}
	}
}

// The secrets are the top-level properties marked writeOnly, and the
// stored answers are the answers without them.
func TestSecrets(t *testing.T) {
	w := newWorld(t)
	it := w.offered(with(passwordReset(), form(`{"type":"object","properties":{
		"account":{"type":"string"},"pin":{"type":"string","writeOnly":true},
		"mother":{"type":"string","writeOnly":true},"public":{"writeOnly":false}}}`)))
	v, _ := it.Offered()
	if got := v.Secrets(); !slices.Equal(got, []string{"mother", "pin"}) {
		t.Errorf("secrets %v", got)
	}
	answers := json.RawMessage(`{"pin":"1234", "account":"ulla", "mother":"Maja", "public":{"a": [1, 2]}}`)
	if err := w.cat.CheckAnswers(it.ID, v, answers); err != nil {
		t.Fatal(err)
	}
	stored, err := catalogue.StoredAnswers(v, answers)
	if err != nil || string(stored) != `{"account":"ulla","public":{"a":[1,2]}}` {
		t.Errorf("stored %s, %v", stored, err)
	}
	for _, bad := range []string{`[]`, `null`, `"x"`, `{`} {
		if _, err := catalogue.StoredAnswers(v, json.RawMessage(bad)); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("stored answers of %s: %v", bad, err)
		}
	}
	plain, _ := w.offered(account()).Offered()
	if s := plain.Secrets(); len(s) != 0 {
		t.Errorf("secrets of a form without: %v", s)
	}
}

// stringsOf returns the string values in a JSON document, if it is one.
func stringsOf(doc string) []string {
	var v any
	if json.Unmarshal([]byte(doc), &v) != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
