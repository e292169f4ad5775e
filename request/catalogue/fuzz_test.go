package catalogue_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// FuzzForm checks forms and answers chosen by the input. Whatever they
// are, nothing panics; every refusal is CodeInvalid in one line; answers a
// form accepts are stored without its secrets, and only the secrets are
// left out.
func FuzzForm(f *testing.F) {
	f.Add(`{"type":"object","properties":{"a":{"type":"string","writeOnly":true},"b":{"type":"integer"}},"required":["b"]}`, `{"a":"x","b":1}`)
	f.Add(`{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"enum":[1,"2",null]}}}`, `{"a":null}`)
	f.Add(`{"type":"object","properties":{"a":{"$ref":"http://127.0.0.1/x"}}}`, `{}`)
	f.Add(`{"type":"object","patternProperties":{"^x":{"format":"email"}},"additionalProperties":false}`, `{"xa":"a@b.c","y":1}`)
	f.Add(`{"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}],"dependentRequired":{"a":["c"]}}`, `{"a":1,"b":2}`)
	f.Add(`{"type":"object","properties":{"t":{"type":"array","prefixItems":[{"type":"number","multipleOf":0.1}],"uniqueItems":true}}}`, `{"t":[0.3,{},{}]}`)
	f.Add(``, `{}`)
	w := newWorld(f)
	f.Fuzz(func(t *testing.T, form, answers string) {
		err := catalogue.CheckForm(json.RawMessage(form))
		if err != nil {
			if !itsm.IsCode(err, itsm.CodeInvalid) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("form refused with %v", err)
			}
			return
		}
		v := &catalogue.Version{Number: 1, Definition: catalogue.Definition{Form: json.RawMessage(form)}}
		if strings.TrimSpace(form) == "" {
			v.Form = json.RawMessage(`{"type":"object","additionalProperties":false}`)
		}
		id := itsm.NewID()
		err = w.cat.CheckAnswers(id, v, json.RawMessage(answers))
		if err != nil {
			if !itsm.IsCode(err, itsm.CodeInvalid) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("answers refused with %v", err)
			}
			return
		}
		var all map[string]json.RawMessage
		if json.Unmarshal([]byte(answers), &all) != nil || all == nil {
			return // a form that accepts other than an object of answers
		}
		stored, err := catalogue.StoredAnswers(v, json.RawMessage(answers))
		if err != nil {
			t.Fatalf("stored answers of %s: %v", answers, err)
		}
		var kept map[string]json.RawMessage
		if err := json.Unmarshal(stored, &kept); err != nil {
			t.Fatalf("stored answers %s: %v", stored, err)
		}
		secrets := v.Secrets()
		for name := range all {
			if _, ok := kept[name]; ok == slices.Contains(secrets, name) {
				t.Fatalf("answer %q: kept %v, secret %v", name, ok, !ok)
			}
		}
	})
}
