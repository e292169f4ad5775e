package catalogue

import (
	"encoding/json"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/catalogue.agreed.json".
// It is also a file name a server can publish the schema under.
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event
// this package writes, keyed by event type. Each is a whole JSON document
// (indented, ending in a newline), the same bytes on every call, ready to be
// served as application/schema+json. They describe exactly what this version
// writes: every property is listed, properties without omitempty or omitzero
// are required, and no other property is allowed.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Map: schemaOfType, Docs: schema.Docs{Fields: fieldDocs, Types: typeDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

var (
	rawType      = reflect.TypeFor[json.RawMessage]()
	approvalType = reflect.TypeFor[Approval]()
	typeType     = reflect.TypeFor[Type]()
	ruleType     = reflect.TypeFor[ApprovalRule]()
)

// schemaOfType gives the schema of the types whose JSON is not what their
// Go kind suggests: a form is a JSON object, not bytes; an approval writes
// its durations as text; types and rules are closed sets. The reflector
// changes the schema it is given (it sets the description of every
// property), so each call returns a new one.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case rawType:
		return &jsonschema.Schema{Type: "object"}
	case typeType:
		return &jsonschema.Schema{Type: "string", Enum: []any{TypeA, TypeB, TypeC}}
	case ruleType:
		return &jsonschema.Schema{Type: "string", Enum: []any{ApproveAny, ApproveAll}}
	case approvalType:
		props := jsonschema.NewProperties()
		props.Set("rule", &jsonschema.Schema{Type: "string", Enum: []any{ApproveAny, ApproveAll},
			Description: "any: one approver's approval suffices; all: every approver asked must approve."})
		props.Set("within", &jsonschema.Schema{Type: "string", Pattern: schema.DurationPattern,
			Description: "The working time the approvers have, as Go writes a duration (16h0m0s)."})
		props.Set("remind", &jsonschema.Schema{Type: "string", Pattern: schema.DurationPattern,
			Description: "The working time after which the approvers are reminded; absent for never."})
		return &jsonschema.Schema{Type: "object", Properties: props, Required: []string{"rule", "within"},
			AdditionalProperties: jsonschema.FalseSchema}
	}
	return nil
}

var eventDocs = schema.EventDocs{
	"catalogue.defined": {"Catalogue item defined",
		"An administrator of the desk defined an item of its catalogue for a customer, with version 1 (RF-1). It is not offered until the object owner named in it agrees. It is the first event of every item."},
	"catalogue.revised": {"Catalogue item revised",
		"An administrator of the desk defined a new version of the item. The version offered so far stays offered until the object owner agrees to the new one; orders keep the version they were placed under."},
	"catalogue.agreed": {"Catalogue item agreed",
		"The object owner at the customer agreed to a version of the item, which may be ordered from now on unless the item is withdrawn."},
	"catalogue.withdrawn": {"Catalogue item withdrawn",
		"The desk took the item out of the catalogue: it may no longer be ordered; orders placed under it keep their version."},
	"catalogue.reinstated": {"Catalogue item reinstated",
		"The desk put a withdrawn item back: its newest agreed version may be ordered again."},
}

var typeDocs = map[reflect.Type]string{
	reflect.TypeFor[Text](): "A text in Swedish and English, and in Norwegian where the desk serves it.",
	reflect.TypeFor[Task](): "A piece of work an order of the item produces, held along the support chain.",
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By](): {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[Text](): {
		"SV": "Swedish.",
		"EN": "English.",
		"NB": "Norwegian (bokmål), where the desk serves it.",
	},
	reflect.TypeFor[Task](): {
		"Key":      "Names the task within its version: 1 to 32 of a-z, 0-9, _ and -.",
		"Name":     "What the task is.",
		"Supplier": "The supplier that fulfils the task; absent when the desk handles it (type B).",
		"Group":    "The group of that supplier (or of the desk) that takes the task, if one is named.",
		"After":    "The keys of the tasks of the version that must be done before this one starts.",
	},
	reflect.TypeFor[Definition](): {
		"Name":        "The item's name.",
		"Description": "What the item is, for those who order it.",
		"Service":     "The service the item belongs to.",
		"Owner":       "The object owner at the customer, by stable identity, who agrees to the version.",
		"Type":        "A: fulfilled in code (RF-2); B: by hand, after approval (RF-3); C: by two or more suppliers the desk coordinates (RF-4).",
		"Form":        "The JSON Schema (draft 2020-12) of an order's answers; properties marked writeOnly are secret and never stored.",
		"Fulfiller":   "The name of the host's fulfiller of orders of type A, such as password-reset.",
		"Tasks":       "The tasks an order produces: none for A, at most one for B, two or more for C.",
		"Approval":    "How orders are approved: required for B, absent for A.",
		"Agreements":  "The agreements (SLA, UC) orders of the version are measured against.",
	},
	reflect.TypeFor[Defined](): {
		"Desk":     "The desk that offers the item; it never changes.",
		"Customer": "The customer the item is offered to; it never changes.",
	},
	reflect.TypeFor[Revised](): {"Number": "The number of the new version: one more than the item's newest."},
	reflect.TypeFor[Agreed](): {
		"Number": "The version agreed to.",
		"Note":   "What the owner noted with the agreement.",
	},
	reflect.TypeFor[Withdrawn](): {"Reason": "Why the item was withdrawn."},
}
