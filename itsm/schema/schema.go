// Package schema builds the JSON Schemas (draft 2020-12) spoc publishes for
// its events and documents: one reflector configuration, the schemas of the
// shared types whose JSON is not what their Go kind suggests, and the
// bookkeeping of descriptions, so that the schemas of every package agree.
// Each domain package keeps its own titles, descriptions and types; this
// package knows only itsm.
package schema

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm"
)

// Base is where the schemas' $id URLs live. An $id names a schema; it need
// not be where a copy is served, so it stays the same whichever server
// publishes the files, and a receiver can tell the schema of an event by
// its type alone.
const Base = "https://spoc-itsm.github.io/schemas/"

// URL returns the $id of the schema named name (an event type, say), such
// as "https://spoc-itsm.github.io/schemas/incident.delegated.json". It is
// also a file name a server can publish the schema under.
func URL(name string) string { return Base + name + ".json" }

// Patterns of the strings of a fixed grammar. Schema patterns are ECMA-262
// regular expressions; these use only what RE2 (Go's regexp) shares with
// it, so Go code can check them too.
const (
	// IDPattern is what itsm.ParseID accepts: the hyphenated form, hex
	// digits in either case (itsm.ID writes lower case).
	IDPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
	// DurationPattern is what time.ParseDuration accepts, such as "1h30m",
	// "26h30m0s" (what a Duration's String writes), "1.5h" or "300ms".
	DurationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
	// NumberPattern is what itsm.ParseNumber accepts: 2 to 8 letters A-Z,
	// then the sequence, from 1, zero-padded to seven digits; a longer one
	// has no leading zero. A sequence beyond 2^64-1 also matches, as a
	// pattern cannot compare numbers; 20 digits bound its length.
	NumberPattern = "^[A-Z]{2,8}(0{6}[1-9]|0{5}[1-9][0-9]|0{4}[1-9][0-9]{2}|0{3}[1-9][0-9]{3}|0{2}[1-9][0-9]{4}|0[1-9][0-9]{5}|[1-9][0-9]{6,19})$"
)

var (
	idType     = reflect.TypeFor[itsm.ID]()
	numberType = reflect.TypeFor[itsm.Number]()
	timeType   = reflect.TypeFor[time.Time]()
	// enums lists the values of itsm's string types that are closed sets,
	// in the order they are declared.
	enums = map[reflect.Type][]any{
		reflect.TypeFor[itsm.OrgRole](): {itsm.OrgCustomer, itsm.OrgDesk, itsm.OrgSupplier},
		reflect.TypeFor[itsm.Role](): {itsm.RoleAgent, itsm.RoleRequester, itsm.RoleApprover,
			itsm.RoleObjectOwner, itsm.RoleMajorIncidentManager, itsm.RoleDeliveryManager, itsm.RoleAdmin},
	}
)

// Common returns the schema of itsm's types whose JSON is not what their Go
// kind suggests (itsm.ID is a [16]byte and itsm.Number a struct, both
// encoded as strings), of
// time.Time, and of itsm's closed sets of words; nil for any other type.
// The reflector changes the schema it is given (it sets the description of
// every property), so each call returns a new one.
func Common(t reflect.Type) *jsonschema.Schema {
	switch t {
	case idType:
		return &jsonschema.Schema{Type: "string", Format: "uuid", Pattern: IDPattern}
	case numberType:
		return &jsonschema.Schema{Type: "string", Pattern: NumberPattern}
	case timeType:
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	}
	if values, ok := enums[t]; ok {
		return &jsonschema.Schema{Type: "string", Enum: append([]any(nil), values...)}
	}
	return nil
}

// EventDocs are the title and description of each event type's schema,
// keyed by event type: {"Group renamed", "The group got a new name..."}.
// They are written in Go rather than taken from the payloads' doc
// comments, which the reflector could read only from the source files at
// run time.
type EventDocs map[string][2]string

// Of answers Generator.Events' doc from d.
func (d EventDocs) Of(eventType string) (title, description string, ok bool) {
	e, ok := d[eventType]
	return e[0], e[1], ok
}

// Docs are the descriptions in a package's schemas. They are written in Go
// rather than taken from the doc comments, which the reflector could read
// only from the source files at run time.
type Docs struct {
	// Types describes types, wherever they appear.
	Types map[reflect.Type]string
	// Fields describes fields by struct type and Go field name.
	Fields map[reflect.Type]map[string]string
	// Else, when set, describes a field that Fields does not, such as by
	// the field's type.
	Else func(t reflect.Type, field string) string
}

// shared describes itsm's types that every package's events carry.
var shared = Docs{
	Types: map[reflect.Type]string{reflect.TypeFor[itsm.Actor](): "A person acting for an organisation."},
	Fields: map[reflect.Type]map[string]string{
		reflect.TypeFor[itsm.Actor](): {
			"Organisation": "The organisation the person acts for.",
			"Person":       "The person's stable identity, such as a user name from single sign-on.",
			"Roles":        "The person's roles within the organisation.",
		},
	},
}

func (d Docs) comment(t reflect.Type, field string) string {
	if field == "" {
		if s := d.Types[t]; s != "" {
			return s
		}
		return shared.Types[t]
	}
	if s := d.Fields[t][field]; s != "" {
		return s
	}
	if s := shared.Fields[t][field]; s != "" {
		return s
	}
	if d.Else != nil {
		return d.Else(t, field)
	}
	return ""
}

// check reports a Fields entry that names no field, so that a renamed field
// cannot silently lose its description.
func (d Docs) check() error {
	for t, fields := range d.Fields {
		for name := range fields {
			if _, ok := t.FieldByName(name); !ok {
				return itsm.Errorf(itsm.CodeInternal, "schema description of %s.%s: no such field", t.Name(), name)
			}
		}
	}
	return nil
}

// Generator makes the schema documents of one package.
type Generator struct {
	// Map gives the schema of the package's own types whose JSON is not
	// what their Go kind suggests, or nil; Common is asked after it.
	Map func(reflect.Type) *jsonschema.Schema
	// Enums are the package's closed sets of words: the values of each
	// string type, enumerated in its schema. Asked after Map.
	Enums map[reflect.Type][]any
	// Docs are the package's descriptions.
	Docs Docs
	// Edit, when set, changes each document's root before it is written,
	// such as to constrain properties whose Go type says less than the
	// data promises.
	Edit func(*jsonschema.Schema)
}

// Document returns the schema of the JSON of v as a whole document: the
// root is v's own object (not a $ref to it) with the $id, title and
// description given; every property is listed, those without omitempty or
// omitzero are required, and no other property is allowed. It is indented
// and ends in a newline, the same bytes on every call, ready to be served
// as application/schema+json.
func (g Generator) Document(v any, id, title, description string) ([]byte, error) {
	if err := g.Docs.check(); err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		Anonymous:      true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			if g.Map != nil {
				if s := g.Map(t); s != nil {
					return s
				}
			}
			if values, ok := g.Enums[t]; ok {
				return &jsonschema.Schema{Type: "string", Enum: append([]any(nil), values...)}
			}
			return Common(t)
		},
		LookupComment: g.Docs.comment,
	}
	s := r.Reflect(v)
	s.ID = jsonschema.ID(id)
	s.Title, s.Description = title, description
	if g.Edit != nil {
		g.Edit(s)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "schema %s", id)
	}
	return append(b, '\n'), nil
}

// Events returns the schema document of each event's data, keyed by event
// type: values holds a value of each type's data, and doc gives each
// type's title and description. A type doc does not know is an internal
// error, so that no event is published without saying what it means.
func (g Generator) Events(values map[string]any, doc func(eventType string) (title, description string, ok bool)) (map[string][]byte, error) {
	out := make(map[string][]byte, len(values))
	for typ, v := range values {
		title, description, ok := doc(typ)
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInternal, "schema of %s: no title and description", typ)
		}
		b, err := g.Document(v, URL(typ), title, description)
		if err != nil {
			return nil, err
		}
		out[typ] = b
	}
	return out, nil
}
