package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

// The forms of the contract's patterns and formats, as a person reads
// them: what the value is, and an example. A client that sends a month as
// "November" learns that "a month such as 2026-11" is wanted, not a regular
// expression. TestEveryPatternHasAForm keeps the tables complete, so that
// no message falls back to the contract's own text.
var (
	patternForms = map[string]string{
		`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`:                                                                                                                              "a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f",
		`^[A-Z]{2,8}(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19})$`:                                                                               "a master number such as INC0000042 (2 to 8 capital letters and at least 7 digits, not all zero)",
		`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Z]{2,8}(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19}))$`: "an incident's ID (a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f) or its master number (such as INC0000042)",
		`^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`:                                                                                                                                           "a duration such as 8h, 1h30m or 45m",
		`^[0-9]{4}-(0[1-9]|1[0-2])$`:     "a month such as 2026-11",
		`^[0-9a-f]{64}$`:                 "a digest of 64 lower-case hex digits, as the report's ETag carries it",
		`^[A-Za-z0-9][A-Za-z0-9._-]*$`:   "a name of letters, digits, dots, hyphens and underscores that starts with a letter or digit, such as stockholm-office",
		`^[a-z0-9_]+(\.[a-z0-9_]+)*$`:    "an event type such as incident.delegated",
		`^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$`: "an event type such as incident.delegated, or a prefix of types ending in a dot, such as incident.",
		`^[!-~]+$`:                       "printable ASCII without spaces",
		`^https?://`:                     "an http or https URL, such as https://hooks.example.com/spoc",
		`^[a-z][a-z0-9_]*$`:              "a state such as waiting_user (lower-case letters, digits and underscores, starting with a letter)",
		`^[A-Za-z0-9_-]*$`:               "the next of the previous page, as the server gave it",
		`^[a-z][a-z0-9_]{0,63}$`:         "a name such as host_name (a lower-case letter, then up to 63 lower-case letters, digits and underscores)",
		`^[a-z][a-z0-9_]{0,63}=.+$`:      "an attribute and its value such as host_name=web01",
		`^[^=]+=[a-z][a-z0-9_.]*$`:       "a column's header and the field it fills, such as Värdnamn=host_name",
		`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|CHG(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19}))$`: "a change's ID (a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f) or its number (such as CHG0000042)",
		`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|IMP(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19}))$`: "an import's ID (a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f) or its number (such as IMP0000042)",
		`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|CI(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19}))$`:  "a configuration item's ID (a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f) or its number (such as CI0000042)",
		`^[A-Z]{3}$`:                   "an ISO 4217 currency code such as EUR",
		`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`: "a day such as 2026-11-30",
		`^[a-z0-9_-]{1,32}$`:           "a key of 1 to 32 lower-case letters, digits, hyphens and underscores, such as phone",
		`^(\*|"[!#-~]*")$`:             `an ETag as the server sent it, such as "3" with its double quotes, or *`,
		`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?-(([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?|24:00(:00)?)$`: "a span of wall-clock times such as 08:00-17:00 (it may end at 24:00)",
	}
	formatForms = map[string]string{
		"date-time": "a date and time with its offset (RFC 3339), such as 2026-11-30T09:00:00Z",
		"date":      "a date such as 2026-11-30",
		"uuid":      "a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f",
		"int64":     "a whole number between -9223372036854775808 and 9223372036854775807",
		"int32":     "a whole number between -2147483648 and 2147483647",
		"email":     "an e-mail address such as dana@example.com",
		"uri":       "a URI such as https://example.com/",
		"binary":    "a file, sent byte for byte as the body",
	}
)

// contractError turns kin-openapi's account of a request that does not
// match the contract into the refusal a person reads: one sentence that
// names the field (a member of the body, a parameter or a header), says
// what was expected and, where a form is wanted, gives an example. The
// validator's own words ("doesn't match all schemas from allOf", a regular
// expression, a Go type) name its internals, not the request's mistake.
func contractError(err error) error {
	const general = "the request does not match the API contract (openapi.yaml)"
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return problem.Invalid(general)
	}
	var at problem.Place
	field := "the body"
	switch p := re.Parameter; {
	case p != nil && p.In == openapi3.ParameterInHeader:
		at.Header, field = p.Name, "the header "+p.Name
	case p != nil:
		at.Parameter, field = p.Name, fmt.Sprintf("the %s parameter %s", p.In, p.Name)
	default:
		at.Pointer = "/"
	}
	var se *openapi3.SchemaError
	switch {
	case errors.As(re.Err, &se):
		se = cause(se)
		ptr, predicate := explain(se)
		if re.Parameter == nil && len(ptr) > 0 {
			at.Pointer = pointer(ptr)
			field = "the field " + fieldName(ptr)
		}
		at.Detail = field + " " + predicate
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired) && re.Parameter == nil:
		at.Detail = "the body is missing: the operation needs one"
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		at.Detail = field + " is required"
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		at.Detail = field + " must not be empty"
	case re.Parameter != nil && re.Parameter.Schema != nil && re.Parameter.Schema.Value != nil:
		// A parameter that cannot be parsed as its type (limit=ten).
		at.Detail = field + " must be " + expected(re.Parameter.Schema.Value)
	default:
		at.Detail = field + " does not match the contract"
	}
	return problem.Invalid(at.Detail, at)
}

// cause is the error of the schema that refused the value itself: allOf
// (how the contract wraps a $ref with a description) says only that a
// part did not match, so the part's error is the one to explain.
func cause(se *openapi3.SchemaError) *openapi3.SchemaError {
	for se.SchemaField == "allOf" && se.Origin != nil {
		var inner *openapi3.SchemaError
		if !errors.As(se.Origin, &inner) || inner == se {
			break
		}
		se = inner
	}
	return se
}

// alternatives are the errors of each schema of a oneOf that refused the
// value, explained.
func alternatives(se *openapi3.SchemaError) []*openapi3.SchemaError {
	var me openapi3.MultiError
	if se.Origin == nil || !errors.As(se.Origin, &me) {
		return nil
	}
	var out []*openapi3.SchemaError
	for _, err := range me {
		var inner *openapi3.SchemaError
		if errors.As(err, &inner) {
			out = append(out, cause(inner))
		}
	}
	return out
}

// explain returns the path of the value at fault and what is wrong with
// it, as a predicate of the field: "must be a month such as 2026-11".
func explain(se *openapi3.SchemaError) ([]string, string) {
	ptr, s := se.JSONPointer(), se.Schema
	if s == nil {
		return ptr, "does not match the contract"
	}
	switch se.SchemaField {
	case "required":
		return ptr, "is required but missing"
	case "properties", "additionalProperties":
		if k := unknownMember(se); k != "" {
			return append(ptr, k), "is unknown here" + known(s)
		}
		return ptr, "has a field the contract does not know" + known(s)
	case "readOnly":
		return ptr, "is set by the server: leave it out of the request"
	case "type":
		if strings.Contains(se.Reason, "json.Number") {
			return ptr, "is a number out of range"
		}
		if s.Type.Is("integer") && kind(se.Value) == "a number" {
			return ptr, "must be a whole number"
		}
		return ptr, "must be " + expected(s) + ", not " + kind(se.Value)
	case "nullable":
		return ptr, "must not be null: leave it out or give " + expected(s)
	case "enum":
		return ptr, "must be " + oneOf(s.Enum)
	case "pattern":
		return ptr, "must be " + patternForm(s)
	case "format":
		return ptr, "must be " + formatForm(s)
	case "minLength":
		if s.MinLength == 1 {
			return ptr, "must not be empty"
		}
		return ptr, fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "maxLength":
		return ptr, fmt.Sprintf("must be at most %d characters long", deref(s.MaxLength))
	case "minimum":
		return ptr, "must be at least " + number(s.Min)
	case "maximum":
		return ptr, "must be at most " + number(s.Max)
	case "exclusiveMinimum":
		return ptr, "must be more than " + number(s.Min)
	case "exclusiveMaximum":
		return ptr, "must be less than " + number(s.Max)
	case "multipleOf":
		return ptr, "must be a multiple of " + number(s.MultipleOf)
	case "minItems":
		return ptr, fmt.Sprintf("must list at least %s", items(s.MinItems))
	case "maxItems":
		return ptr, fmt.Sprintf("must list at most %s", items(deref(s.MaxItems)))
	case "uniqueItems":
		return ptr, "must not list an item twice"
	case "minProperties":
		return ptr, fmt.Sprintf("must have at least %d fields", s.MinProps)
	case "maxProperties":
		return ptr, fmt.Sprintf("must have at most %d fields", deref(s.MaxProps))
	case "oneOf":
		alts := alternatives(se)
		// The alternative that got furthest into the value is the one the
		// client meant: its error tells what is wrong.
		deepest, depth, tie := (*openapi3.SchemaError)(nil), len(ptr), false
		for _, a := range alts {
			switch d := len(a.JSONPointer()); {
			case d > depth:
				deepest, depth, tie = a, d, false
			case d == depth && deepest != nil:
				tie = true
			}
		}
		if deepest != nil && !tie {
			return explain(deepest)
		}
		// Else an alternative that refused the value's content rather
		// than its type (or its enum, checked first) tells more.
		var near []*openapi3.SchemaError
		for _, a := range alts {
			if a.SchemaField != "type" && !(a.SchemaField == "enum" && kind(a.Value) != expectedKind(a.Schema)) {
				near = append(near, a)
			}
		}
		if len(near) == 1 && len(s.OneOf) == 2 {
			p, pred := explain(near[0])
			return p, pred + " (or " + expected(otherThan(s.OneOf, near[0].Schema)) + ")"
		}
		return ptr, "must be " + expected(s)
	}
	// anyOf, not, discriminator and what else a schema may say.
	return ptr, "must be " + expected(s)
}

// expected is what a value of s is, in words, with an example where the
// contract's form has one.
func expected(s *openapi3.Schema) string {
	switch {
	case s == nil:
		return "a value the contract allows"
	case len(s.Enum) > 0:
		return oneOf(s.Enum)
	case s.Pattern != "":
		return patternForm(s)
	case s.Format != "" && formatForms[s.Format] != "":
		return formatForm(s)
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		var forms []string
		for _, r := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			if r != nil && r.Value != nil {
				forms = append(forms, expected(r.Value))
			}
		}
		return strings.Join(forms, " or ")
	case len(s.AllOf) > 0:
		for _, r := range s.AllOf {
			if r != nil && r.Value != nil {
				return expected(r.Value)
			}
		}
	}
	if s.Type.Is("integer") {
		return "a whole number"
	}
	if k := expectedKind(s); k != "" {
		return k
	}
	return "a value the contract allows"
}

// otherThan is the schema of a oneOf other than not, when there are two.
func otherThan(refs openapi3.SchemaRefs, not *openapi3.Schema) *openapi3.Schema {
	for _, r := range refs {
		if r != nil && r.Value != nil && r.Value != not {
			return r.Value
		}
	}
	return nil
}

// patternForm is what a pattern asks for; the contract's description of
// the schema stands in for a pattern the table misses, never the pattern.
func patternForm(s *openapi3.Schema) string {
	if f, ok := patternForms[s.Pattern]; ok {
		return f
	}
	if d := strings.TrimSuffix(strings.TrimSpace(s.Description), "."); d != "" {
		return "as the contract describes it: " + d
	}
	return "in the form the contract gives"
}

// formatForm is what a format asks for.
func formatForm(s *openapi3.Schema) string {
	if f, ok := formatForms[s.Format]; ok {
		return f
	}
	return "a " + s.Format
}

// oneOf lists the allowed values: all of a short list, a few of a long one.
func oneOf(values []any) string {
	const shown = 12
	var q []string
	for _, v := range values {
		b, _ := json.Marshal(v)
		q = append(q, string(b))
	}
	switch {
	case len(q) == 1:
		return q[0]
	case len(q) > shown:
		return fmt.Sprintf("one of the %d values the contract lists, such as %s or %s", len(q), q[0], q[1])
	}
	return "one of " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// unknownMember is the first member of the refused object that its schema
// does not name, in name order.
func unknownMember(se *openapi3.SchemaError) string {
	obj, ok := se.Value.(map[string]any)
	if !ok {
		return ""
	}
	var names []string
	for k := range obj {
		if _, ok := se.Schema.Properties[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// known lists the fields an object may have, for a client that misspelt
// one.
func known(s *openapi3.Schema) string {
	if len(s.Properties) == 0 {
		return ""
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	slices.Sort(names)
	return " (the fields are " + strings.Join(names, ", ") + ")"
}

// kind names the JSON type of a decoded value, never the value itself,
// which may be a secret the client misplaced.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "true or false"
	case string:
		return "a string"
	case float64, json.Number, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a value of another type"
}

// expectedKind is the JSON type of s's values, in kind's words; "" when
// s does not say.
func expectedKind(s *openapi3.Schema) string {
	switch {
	case s.Type.Is("string"):
		return "a string"
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "a number"
	case s.Type.Is("boolean"):
		return "true or false"
	case s.Type.Is("array"):
		return "a list"
	case s.Type.Is("object"):
		return "an object"
	}
	return ""
}

// fieldName writes a JSON pointer's tokens as a path a person reads, such
// as targets[0].within.
func fieldName(ptr []string) string {
	var b strings.Builder
	for i, t := range ptr {
		// A member the client named may be long or hold what a log
		// should not.
		t = itsm.Printable(t, 64)
		if _, err := strconv.Atoi(t); err == nil && i > 0 {
			b.WriteString("[" + t + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

// pointer writes tokens as a JSON Pointer (RFC 6901).
func pointer(ptr []string) string {
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, t := range ptr {
		b.WriteString("/" + esc.Replace(t))
	}
	return b.String()
}

// number writes a bound without a needless fraction.
func number(f *float64) string {
	if f == nil {
		return "the contract's bound"
	}
	if *f == math.Trunc(*f) && math.Abs(*f) < 1e15 {
		return strconv.FormatInt(int64(*f), 10)
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// items says n items.
func items(n uint64) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

func deref(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}
