package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// contract loads the served contract.
func contract(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// eachSchema calls fn for every schema the contract holds, once: the
// components' and those of the operations' parameters and bodies, with
// every schema reachable from them.
func eachSchema(doc *openapi3.T, fn func(*openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(r *openapi3.SchemaRef)
	walk = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		fn(s)
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		if s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema)
		}
		for _, l := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, x := range l {
				walk(x)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, p := range doc.Components.Parameters {
		walk(p.Value.Schema)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range append(slices.Clone(op.Parameters), item.Parameters...) {
				walk(p.Value.Schema)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
}

// TestEveryPatternHasAForm checks that each pattern and format of the
// contract has its form in words, so that no refusal falls back to the
// contract's text, let alone a regular expression.
func TestEveryPatternHasAForm(t *testing.T) {
	patterns := map[string]bool{}
	eachSchema(contract(t), func(s *openapi3.Schema) {
		if s.Pattern != "" {
			patterns[s.Pattern] = true
			if _, ok := patternForms[s.Pattern]; !ok {
				t.Errorf("pattern %s has no form in patternForms", s.Pattern)
			}
		}
		if _, ok := formatForms[s.Format]; s.Format != "" && !ok {
			t.Errorf("format %s has no form in formatForms", s.Format)
		}
	})
	for p := range patternForms {
		if !patterns[p] {
			t.Errorf("patternForms has %s, which the contract no longer has", p)
		}
	}
}

// violations are values each schema refuses, one per kind of rule the
// schema has: its type, enum, pattern, format, lengths, bounds, items,
// required and unknown members.
func violations(s *openapi3.Schema) []any {
	var out []any
	for len(s.AllOf) == 1 && s.AllOf[0].Value != nil && s.Type == nil {
		s = s.AllOf[0].Value
	}
	switch {
	case s.Type.Is("string"):
		out = append(out, 5.0)
	case s.Type.Is("integer"), s.Type.Is("number"), s.Type.Is("boolean"), s.Type.Is("array"), s.Type.Is("object"):
		out = append(out, "x")
	}
	if s.Type.Is("integer") {
		out = append(out, 2.5)
	}
	if len(s.Enum) > 0 {
		out = append(out, "zz-none-of-these")
	}
	if s.Pattern != "" {
		out = append(out, " ~! not it", "")
	}
	if s.Format != "" {
		out = append(out, "30.11.2026 9:00")
	}
	if s.MinLength > 0 {
		out = append(out, "")
	}
	if s.MaxLength != nil {
		out = append(out, strings.Repeat("a", int(*s.MaxLength)+1))
	}
	if s.Min != nil {
		out = append(out, *s.Min-1)
	}
	if s.Max != nil {
		out = append(out, *s.Max+1)
	}
	if s.MinItems > 0 {
		out = append(out, []any{})
	}
	if s.UniqueItems && s.Items != nil && s.Items.Value != nil && len(s.Items.Value.Enum) > 0 {
		out = append(out, []any{s.Items.Value.Enum[0], s.Items.Value.Enum[0]})
	}
	if s.Type.Is("object") {
		out = append(out, map[string]any{}, map[string]any{"zz_unknown": 1})
	}
	if len(s.OneOf) > 0 {
		out = append(out, 5.0, []any{}, map[string]any{"zz_unknown": []any{1}})
	}
	return out
}

// internals are the words of the validator and of the contract's syntax
// that a refusal must not repeat.
var internals = []string{"allOf", "oneOf", "anyOf", "regular expression", "doesn't", "Doesn't", "schema", "Schema",
	"json.Number", "float64", "^", "$", "property \"", "Error at", "\\d", "[0-9]"}

// checkSentence fails t unless msg names field and nothing of the
// validator's internals.
func checkSentence(t *testing.T, what, msg, field string) {
	t.Helper()
	if !strings.HasPrefix(msg, field+" ") && !strings.HasPrefix(msg, field+".") && !strings.HasPrefix(msg, field+"[") {
		t.Errorf("%s: %q does not start with %q", what, msg, field)
	}
	for _, w := range internals {
		if strings.Contains(msg, w) {
			t.Errorf("%s: %q says %q", what, msg, w)
		}
	}
}

// TestEveryViolationNamesTheField puts each schema of the contract under a
// member of a body and each kind of value it refuses in that member, and
// checks the refusal: one sentence that starts with the field, names no
// validator internals and, for a pattern, gives its form in words.
func TestEveryViolationNamesTheField(t *testing.T) {
	doc := contract(t)
	body := &openapi3.RequestBody{}
	n := 0
	eachSchema(doc, func(s *openapi3.Schema) {
		wrapper := openapi3.NewObjectSchema().WithProperty("member", s)
		for _, v := range violations(s) {
			err := wrapper.VisitJSON(map[string]any{"member": v}, openapi3.VisitAsRequest())
			if err == nil {
				continue
			}
			n++
			b, _ := json.Marshal(v)
			what := s.Description + " with " + string(b)
			refusal := contractError(&openapi3filter.RequestError{RequestBody: body, Err: err})
			if !itsm.IsCode(refusal, itsm.CodeInvalid) {
				t.Fatalf("%s: %v is not invalid", what, refusal)
			}
			var e *itsm.Error
			errors.As(refusal, &e)
			checkSentence(t, what, e.Text(), "the field member")
			if s.Pattern != "" && strings.Contains(err.Error(), "regular expression") &&
				!strings.Contains(e.Text(), patternForms[s.Pattern]) {
				t.Errorf("%s: %q does not give the form %q", what, e.Text(), patternForms[s.Pattern])
			}
		}
	})
	if n < 200 {
		t.Errorf("only %d violations were tried", n)
	}

	// As a parameter, each pattern's refusal names the parameter.
	for pattern, form := range patternForms {
		s := openapi3.NewStringSchema()
		s.Pattern = pattern
		err := s.VisitJSON("  not it", openapi3.VisitAsRequest())
		if err == nil {
			t.Fatalf("%s accepts the test's value", pattern)
		}
		p := &openapi3.Parameter{Name: "month", In: openapi3.ParameterInQuery}
		var e *itsm.Error
		errors.As(contractError(&openapi3filter.RequestError{Parameter: p, Err: err}), &e)
		checkSentence(t, pattern, e.Text(), "the query parameter month")
		if !strings.HasSuffix(e.Text(), form) {
			t.Errorf("%s: %q does not end with its form %q", pattern, e.Text(), form)
		}
	}
}

// plainKeys reports whether every member name in v is of letters, digits,
// hyphens and underscores.
func plainKeys(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" || !plainKeys(x) {
				return false
			}
		}
	case []any:
		for _, x := range v {
			if !plainKeys(x) {
				return false
			}
		}
	}
	return true
}

// FuzzContractError validates arbitrary JSON as a registration, a calendar
// and an agreement, and checks every refusal as
// TestEveryViolationNamesTheField does.
func FuzzContractError(f *testing.F) {
	for _, seed := range []string{
		`{"caller":{"person":"carl"},"channel":"phone","summary":5,"impact":2,"urgency":2}`,
		`{"caller":{"person":null},"channel":"pigeon"}`,
		`{"name":"x","location":"UTC","hours":{"mon":["8-17"]}}`,
		`{"name":"x","location":"UTC","hours":"9to5","holidays":["se","se"]}`,
		`{"name":"x","kind":"SLA","targets":[{"within":"soon","calendar":""}],"credits":{"currency":"euro"}}`,
		`[]`, `"x"`, `null`, `{"days":{"2026-12-24":[1]}}`,
	} {
		f.Add([]byte(seed))
	}
	doc := contract(f)
	var schemas []*openapi3.Schema
	for _, name := range []string{"Registration", "Calendar", "AgreementInput"} {
		s := doc.Components.Schemas[name]
		if s == nil {
			f.Fatalf("no schema %s", name)
		}
		schemas = append(schemas, s.Value)
	}
	body := &openapi3.RequestBody{}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil || !plainKeys(v) {
			// A refusal names the client's own members as they are: one
			// called "a$" is no leak of the validator's internals.
			return
		}
		for _, s := range schemas {
			wrapper := openapi3.NewObjectSchema().WithProperty("member", s)
			err := wrapper.VisitJSON(map[string]any{"member": v}, openapi3.VisitAsRequest())
			if err == nil {
				continue
			}
			var e *itsm.Error
			if !errors.As(contractError(&openapi3filter.RequestError{RequestBody: body, Err: err}), &e) {
				t.Fatalf("%s: not an *itsm.Error", data)
			}
			checkSentence(t, string(data), e.Text(), "the field member")
		}
	})
}
