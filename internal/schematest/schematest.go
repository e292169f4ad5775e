// Package schematest checks JSON against the JSON Schemas spoc generates
// (itsm/schema), for the tests of the packages that publish them. It
// implements exactly the keywords those schemas use: $ref into $defs, type,
// properties, required, additionalProperties, enum, format uuid and
// date-time, pattern, items, minimum and oneOf. Any other keyword or format is an
// error, so that nothing passes unchecked.
package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Decode decodes JSON keeping numbers as json.Number, as Check compares
// them.
func Decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%v in %s", err, b)
	}
	return v, nil
}

// Checker validates JSON against one schema.
type Checker struct {
	root map[string]any
}

// New returns the Checker of a schema document.
func New(schema []byte) (*Checker, error) {
	s, err := Decode(schema)
	if err != nil {
		return nil, err
	}
	root, ok := s.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema is not an object: %s", schema)
	}
	return &Checker{root: root}, nil
}

// Check reports every way data breaks the schema, joined, in a stable
// order; nil when it does not.
func (c *Checker) Check(data []byte) error {
	v, err := Decode(data)
	if err != nil {
		return err
	}
	return errors.Join(c.value(c.root, v, "")...)
}

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	wording = map[string]bool{"$schema": true, "$id": true, "$defs": true, "title": true, "description": true}
)

func (c *Checker) value(s map[string]any, v any, path string) []error {
	at := path
	if at == "" {
		at = "/"
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...))
	}
	// type first, so that a wrong type is reported alone rather than with
	// everything that follows from it.
	var keys []string
	for k := range s {
		if k != "type" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if _, ok := s["type"]; ok {
		keys = append([]string{"type"}, keys...)
	}
	var errs []error
	for _, k := range keys {
		switch want := s[k]; k {
		case "$ref":
			name, ok := strings.CutPrefix(want.(string), "#/$defs/")
			def, found := c.root["$defs"].(map[string]any)[name].(map[string]any)
			if !ok || !found {
				errs = append(errs, fail("cannot resolve $ref %v", want))
				continue
			}
			errs = append(errs, c.value(def, v, path)...)
		case "type":
			if got := jsonType(v); got != want && !(want == "number" && got == "integer") {
				return append(errs, fail("%s, want %s", got, want))
			}
		case "properties":
			obj, _ := v.(map[string]any)
			props := want.(map[string]any)
			names := make([]string, 0, len(props))
			for n := range props {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				if pv, ok := obj[n]; ok {
					errs = append(errs, c.value(props[n].(map[string]any), pv, path+"/"+n)...)
				}
			}
		case "required":
			obj, _ := v.(map[string]any)
			for _, n := range want.([]any) {
				if _, ok := obj[n.(string)]; !ok && obj != nil {
					errs = append(errs, fail("required property %q is missing", n))
				}
			}
		case "additionalProperties":
			obj, _ := v.(map[string]any)
			props, _ := s["properties"].(map[string]any)
			extra := make([]string, 0)
			for n := range obj {
				if _, ok := props[n]; !ok {
					extra = append(extra, n)
				}
			}
			slices.Sort(extra)
			for _, n := range extra {
				switch want := want.(type) {
				case bool:
					if !want {
						errs = append(errs, fail("property %q is not allowed", n))
					}
				case map[string]any:
					errs = append(errs, c.value(want, obj[n], path+"/"+n)...)
				}
			}
		case "enum":
			if !slices.ContainsFunc(want.([]any), func(e any) bool { return reflect.DeepEqual(e, v) }) {
				errs = append(errs, fail("%s is not one of %v", quote(v), want))
			}
		case "format":
			str, ok := v.(string)
			if !ok {
				continue
			}
			switch want {
			case "uuid":
				if !uuidRE.MatchString(str) {
					errs = append(errs, fail("%q is not a uuid", str))
				}
			case "date-time":
				if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
					errs = append(errs, fail("%q is not a date-time", str))
				}
			default:
				errs = append(errs, fail("checker does not know format %q", want))
			}
		case "pattern":
			re, err := regexp.Compile(want.(string))
			if err != nil {
				errs = append(errs, fail("pattern %q: %v", want, err))
			} else if str, ok := v.(string); ok && !re.MatchString(str) {
				errs = append(errs, fail("%q does not match %s", str, want))
			}
		case "oneOf":
			matched := 0
			for _, branch := range want.([]any) {
				if len(c.value(branch.(map[string]any), v, path)) == 0 {
					matched++
				}
			}
			if matched != 1 {
				errs = append(errs, fail("%s matches %d of the oneOf schemas, want exactly 1", quote(v), matched))
			}
		case "items":
			arr, _ := v.([]any)
			for i, item := range arr {
				errs = append(errs, c.value(want.(map[string]any), item, fmt.Sprintf("%s/%d", path, i))...)
			}
		case "minimum":
			n, ok := v.(json.Number)
			if !ok {
				continue
			}
			got, _ := new(big.Float).SetString(n.String())
			limit, _ := new(big.Float).SetString(want.(json.Number).String())
			if got == nil || limit == nil || got.Cmp(limit) < 0 {
				errs = append(errs, fail("%s is less than %s", n, want))
			}
		default:
			if !wording[k] {
				errs = append(errs, fail("checker does not implement keyword %q", k))
			}
		}
	}
	return errs
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		if f, ok := new(big.Float).SetString(v.String()); ok && f.IsInt() {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func quote(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// MustNew is New for a test: it fails the test if schema is not one.
func MustNew(t testing.TB, schema []byte) *Checker {
	t.Helper()
	c, err := New(schema)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MustDecode is Decode for a test: it fails the test if b is not JSON.
func MustDecode(t testing.TB, b []byte) any {
	t.Helper()
	v, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
