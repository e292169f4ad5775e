package catalogue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/spoc-itsm/spoc/itsm"
)

// Limits on forms and answers, so that compiling a form and checking an
// order stay cheap whatever an administrator or a requester sends.
const (
	// MaxForm is the largest form, in bytes of JSON.
	MaxForm = 64 << 10
	// MaxAnswers is the largest answers of an order, in bytes of JSON.
	MaxAnswers = 64 << 10
)

// draft2020 is the $schema of the only draft forms are written in.
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// formURL is where the compiler files a form. Nothing is ever loaded from
// it: a $ref that leaves the form resolves against it and is refused.
const formURL = "https://spoc-itsm.github.io/forms/form.json"

// noForm is the form of an item whose orders answer nothing.
var noForm = json.RawMessage(`{"type":"object","additionalProperties":false}`)

// refuseLoader is the compiler's only loader: a form is whole in itself,
// so a $ref to anything outside it (a URL, a file) fails rather than
// fetching it. The drafts' own metaschemas are built into the library and
// never reach a loader.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("a form is whole in itself and loads nothing from %s", url)
}

// compile compiles a form that checkForm accepted, or any other JSON, as a
// draft 2020-12 schema that asserts formats (an "email" answer must be an
// address) and loads nothing.
func compile(doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	c.AssertFormat()
	if err := c.AddResource(formURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(formURL)
}

// decode reads JSON as the validator wants it: numbers as json.Number,
// nothing after the value.
func decode(b []byte) (any, error) { return jsonschema.UnmarshalJSON(bytes.NewReader(b)) }

// checkForm checks a form and returns it compacted, or noForm for an empty
// one: JSON of at most MaxForm bytes, an object schema of draft 2020-12 that
// compiles without loading anything, and writeOnly only where Secrets
// finds it.
func checkForm(form json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(form)) == 0 {
		return noForm, nil
	}
	if len(form) > MaxForm {
		return nil, itsm.Errorf(itsm.CodeInvalid, "form is %d bytes, more than %d", len(form), MaxForm)
	}
	doc, err := decode(form)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "form is not JSON: %s", itsm.Printable(err.Error(), 200))
	}
	root, ok := doc.(map[string]any)
	switch {
	case !ok:
		return nil, itsm.Errorf(itsm.CodeInvalid, "form is not a JSON Schema object")
	case root["$schema"] != nil && root["$schema"] != draft2020:
		return nil, itsm.Errorf(itsm.CodeInvalid, "form's $schema is not %s; forms are written in draft 2020-12", draft2020)
	case root["type"] != "object":
		return nil, itsm.Errorf(itsm.CodeInvalid, `form's type is not "object"; an order answers with an object of named answers`)
	}
	if err := checkKeywords(root); err != nil {
		return nil, err
	}
	if _, err := compile(doc); err != nil {
		return nil, formError(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, form); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "compact form")
	}
	return b.Bytes(), nil
}

// CheckForm checks a form as Define and Revise do, so that an editor can
// tell an administrator what is wrong before anything is sent: JSON of at
// most MaxForm bytes, an object schema of draft 2020-12 that compiles
// without loading anything from elsewhere, with "writeOnly" only on
// properties of the form itself. An empty form passes: orders of it answer
// nothing. A refusal has CodeInvalid.
func CheckForm(form json.RawMessage) error {
	_, err := checkForm(form)
	return err
}

// formError says in one sentence why a form does not compile.
func formError(err error) error {
	var (
		load *jsonschema.LoadURLError
		meta *jsonschema.SchemaValidationError
	)
	switch {
	case errors.As(err, &load):
		return itsm.Errorf(itsm.CodeInvalid, "form refers to %s; a form must be whole in itself, with every $ref inside it", itsm.Printable(load.URL, 200))
	case errors.As(err, &meta):
		var v *jsonschema.ValidationError
		if errors.As(meta.Err, &v) {
			e, _ := first(v)
			return itsm.Errorf(itsm.CodeInvalid, "form is not a valid JSON Schema: %s", itsm.Printable(e.Error(), 300))
		}
	}
	return itsm.Errorf(itsm.CodeInvalid, "form does not compile as a JSON Schema: %s", itsm.Printable(err.Error(), 300))
}

// Keywords whose values are schemas, maps of schemas or lists of schemas:
// what checkKeywords descends into. The values of any other keyword (enum,
// const, default, examples, unknown ones) are data, not schemas.
var (
	schemaKeywords = []string{"items", "additionalProperties", "not", "if", "then", "else", "contains",
		"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	schemaMapKeywords  = []string{"properties", "patternProperties", "$defs", "dependentSchemas"}
	schemaListKeywords = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// checkKeywords refuses "writeOnly" anywhere but on a property of the root
// and "$schema" anywhere but at the root. A secret is stripped from the
// answers by name before they are stored (StoredAnswers), which a writeOnly
// elsewhere (on a nested field, behind a $ref) would promise but not keep;
// a $schema further in could switch a part of the form to another draft.
func checkKeywords(root map[string]any) error {
	var walk func(s any, at []string, property bool) error
	walk = func(s any, at []string, property bool) error {
		obj, ok := s.(map[string]any)
		if !ok {
			return nil // a boolean schema, or not a schema, which the compiler refuses
		}
		if _, ok := obj["writeOnly"]; ok && !property {
			return itsm.Errorf(itsm.CodeInvalid, "form has writeOnly at %s; only a property of the form itself may be secret (/properties/<name>/writeOnly), since only those are kept out of the stored answers", pointerName(at))
		}
		if _, ok := obj["$schema"]; ok && len(at) > 0 {
			return itsm.Errorf(itsm.CodeInvalid, "form has $schema at %s; only the form itself may say its draft", pointerName(at))
		}
		sub := func(s any, property bool, tokens ...string) error {
			return walk(s, append(slices.Clone(at), tokens...), property)
		}
		for _, k := range schemaKeywords {
			if err := sub(obj[k], false, k); err != nil {
				return err
			}
		}
		for _, k := range schemaMapKeywords {
			m, _ := obj[k].(map[string]any)
			for _, name := range sortedKeys(m) {
				if err := sub(m[name], len(at) == 0 && k == "properties", k, name); err != nil {
					return err
				}
			}
		}
		for _, k := range schemaListKeywords {
			l, _ := obj[k].([]any)
			for i, s := range l {
				if err := sub(s, false, k, strconv.Itoa(i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, nil, false)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Secrets returns the answers of v's form that are secret, the top-level
// properties it marks "writeOnly": true, sorted: the answers to control
// questions, say, which the order's verifier checks and the order never
// stores.
func (v *Version) Secrets() []string {
	var form struct {
		Properties map[string]struct {
			WriteOnly bool `json:"writeOnly"`
		} `json:"properties"`
	}
	// The form was checked when it was defined; one that no longer decodes
	// has no secrets to find, and CheckAnswers refuses every answer to it.
	_ = json.Unmarshal(v.Form, &form)
	var out []string
	for _, name := range sortedKeys(form.Properties) {
		if form.Properties[name].WriteOnly {
			out = append(out, name)
		}
	}
	return out
}

// StoredAnswers returns answers without v's Secrets, for storing with an
// order. It expects answers CheckAnswers accepted, and refuses anything but
// a JSON object.
func StoredAnswers(v *Version, answers json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(answers, &m); err != nil || m == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the answers are not a JSON object")
	}
	for _, s := range v.Secrets() {
		delete(m, s)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "encode stored answers")
	}
	return out, nil
}

// maxCached bounds the compiled forms Catalogue keeps; past it the cache
// starts again, so that a catalogue of many items cannot grow it without
// bound.
const maxCached = 4096

// formKey names a compiled form: one version of one item.
type formKey struct {
	item    itsm.ID
	version int
}

// compiled is a version's form as compiled, with the bytes it was compiled
// from, so that a version passed with another item's key is not checked
// against the wrong form.
type compiled struct {
	form   []byte
	schema *jsonschema.Schema
}

// forms caches compiled forms. A version's form never changes, so an entry
// never goes stale.
type forms struct {
	m sync.Map // formKey -> *compiled
	n atomic.Int64
}

func (f *forms) get(item itsm.ID, v *Version) (*jsonschema.Schema, error) {
	k := formKey{item, v.Number}
	if c, ok := f.m.Load(k); ok && bytes.Equal(c.(*compiled).form, v.Form) {
		return c.(*compiled).schema, nil
	}
	doc, err := decode(v.Form)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "form of version %d of catalogue item %s", v.Number, item)
	}
	s, err := compile(doc)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "form of version %d of catalogue item %s", v.Number, item)
	}
	if f.n.Add(1) > maxCached {
		f.m.Clear()
		f.n.Store(1)
	}
	f.m.Store(k, &compiled{form: bytes.Clone(v.Form), schema: s})
	return s, nil
}

// CheckAnswers checks an order's answers against the form of v, version
// v.Number of item: a JSON object of at most MaxAnswers bytes that the form
// accepts. Each version's form is compiled once and kept. A refusal has
// CodeInvalid and says in one sentence which answer is wrong, by its JSON
// pointer, and how; it never repeats the value of an answer, which may be
// a secret.
func (c *Catalogue) CheckAnswers(item itsm.ID, v *Version, answers json.RawMessage) error {
	if len(answers) > MaxAnswers {
		return itsm.Errorf(itsm.CodeInvalid, "the answers are %d bytes, more than %d", len(answers), MaxAnswers)
	}
	doc, err := decode(answers)
	if err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "the answers are not JSON")
	}
	s, err := c.forms.get(item, v)
	if err != nil {
		return err
	}
	err = s.Validate(doc)
	var verr *jsonschema.ValidationError
	if err == nil || !errors.As(err, &verr) {
		return err
	}
	e, more := first(verr)
	msg := answerError(e)
	switch more {
	case 0:
	case 1:
		msg += "; one more answer is wrong too"
	default:
		msg += fmt.Sprintf("; %d more answers are wrong too", more)
	}
	return itsm.Errorf(itsm.CodeInvalid, "%s", msg)
}

// first returns the error to report of a validation error's tree, and how
// many others there are: of the errors that say what is wrong (not that a
// part of the schema failed), the one with the least instance location,
// so that the message is the same on every run whatever order the
// validator went in.
func first(v *jsonschema.ValidationError) (*jsonschema.ValidationError, int) {
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch e.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
			if len(e.Causes) > 0 {
				for _, c := range e.Causes {
					walk(c)
				}
				return
			}
		}
		leaves = append(leaves, e)
	}
	walk(v)
	more := len(leaves) - 1
	for _, e := range leaves {
		// One error may name several answers.
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			more += len(k.Missing) - 1
		case *kind.AdditionalProperties:
			more += len(k.Properties) - 1
		}
	}
	best := slices.MinFunc(leaves, func(a, b *jsonschema.ValidationError) int {
		if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		return strings.Compare(a.Error(), b.Error())
	})
	return best, more
}

// answerError says what is wrong with one answer, in words that repeat
// only what the form says, never the answer.
func answerError(e *jsonschema.ValidationError) string {
	at := e.InstanceLocation
	field := func(extra ...string) string {
		loc := append(slices.Clone(at), extra...)
		if len(loc) == 0 {
			return "the answer object"
		}
		return "answer " + pointerName(loc)
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return field(slices.Min(k.Missing)) + " is required"
	case *kind.DependentRequired:
		return field(slices.Min(k.Missing)) + " is required when " + pointerName(append(slices.Clone(at), k.Prop)) + " is answered"
	case *kind.AdditionalProperties:
		return field(slices.Min(k.Properties)) + " is not a question of the form"
	case *kind.FalseSchema:
		return field() + " is not allowed by the form"
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = article(w)
		}
		return field() + " is " + article(k.Got) + ", not " + strings.Join(want, " or ")
	case *kind.Enum:
		return field() + " is not one of the choices the form offers"
	case *kind.Const:
		return field() + " is not the value the form requires"
	case *kind.Format:
		return field() + " is not a valid " + k.Want
	case *kind.Pattern:
		return field() + " does not match the pattern " + itsm.Printable(k.Want, 100)
	case *kind.MinLength:
		return field() + " is shorter than " + plural(k.Want, "character")
	case *kind.MaxLength:
		return field() + " is longer than " + plural(k.Want, "character")
	case *kind.Minimum:
		return field() + " is less than " + number(k.Want)
	case *kind.Maximum:
		return field() + " is more than " + number(k.Want)
	case *kind.ExclusiveMinimum:
		return field() + " is not more than " + number(k.Want)
	case *kind.ExclusiveMaximum:
		return field() + " is not less than " + number(k.Want)
	case *kind.MultipleOf:
		return field() + " is not a multiple of " + number(k.Want)
	case *kind.MinItems:
		return field() + " has fewer than " + plural(k.Want, "entry")
	case *kind.MaxItems:
		return field() + " has more than " + plural(k.Want, "entry")
	case *kind.UniqueItems:
		return field() + " lists an entry twice"
	case *kind.MinProperties:
		return field() + " has fewer than " + plural(k.Want, "answer")
	case *kind.MaxProperties:
		return field() + " has more than " + plural(k.Want, "answer")
	case *kind.OneOf, *kind.AnyOf:
		return field() + " matches none of the alternatives the form allows"
	}
	return field() + " does not satisfy the form's " + strings.Join(e.ErrorKind.KeywordPath(), "/")
}

// article puts "a" or "an" before a JSON type's name.
func article(typ string) string {
	if strings.ContainsRune("aeiou", rune(typ[0])) {
		return "an " + typ
	}
	return "a " + typ
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return strconv.Itoa(n) + " " + noun[:len(noun)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func number(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// escape escapes one token of a JSON pointer (RFC 6901).
func escape(tok string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
}

// pointerName is the JSON pointer of a location, quoted for a message and
// made printable, since its names may come from the answers.
func pointerName(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return strconv.Quote(itsm.Printable(b.String(), 120))
}
