package cmdb

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of
// type eventType, such as
// "https://spoc-itsm.github.io/schemas/cmdb.item.created.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// ModelSchemaURL is the $id of the JSON Schema of a model file.
var ModelSchemaURL = schema.URL("cmdb.model")

// Schemas returns a JSON Schema (draft 2020-12) of the data of each item,
// change and import event, keyed by event type, as the other domain packages'
// Schemas do: exactly what this version writes, every property listed,
// those without omitempty or omitzero required, no other allowed; states
// enumerated.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Enums: joined(enums, changeEnums),
		Docs: schema.Docs{Types: changeTypeDocs, Fields: joined(eventFieldDocs(), changeFieldDocs)}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	changeValues(values)
	for _, p := range ImportPayloads() {
		values[p.Type()] = p
	}
	return g.Events(values, func(eventType string) (string, string, bool) {
		if title, description, ok := changeEventDocs.Of(eventType); ok {
			return title, description, ok
		}
		return eventDoc(eventType)
	})
}

// ModelSchema returns the JSON Schema (draft 2020-12) of a model file as
// LoadModel reads it: every property listed, no other allowed, names as
// Validate wants them and the closed sets enumerated. What a schema
// cannot say (a key naming an attribute of its class, a relation naming
// a declared type) Validate says.
func ModelSchema() ([]byte, error) {
	g := schema.Generator{Enums: enums, Docs: schema.Docs{Types: modelTypeDocs, Fields: modelFieldDocs}, Edit: namePatterns}
	return g.Document(&Model{}, ModelSchemaURL, "CMDB model",
		"The classes of configuration items a deployment's CMDB holds, with their attributes, unique keys and the relations their items may have, "+
			"and the relation types with the way a failure travels along each (CM-1, CM-2).")
}

// namePattern is what validName accepts.
const namePattern = "^[a-z][a-z0-9_]{0,63}$"

// namePatterns constrains the names of classes, attributes and relation
// types, and the names a class refers to, wherever the model has them.
func namePatterns(s *jsonschema.Schema) {
	name := func(t *jsonschema.Schema, props ...string) {
		if t == nil || t.Properties == nil {
			return
		}
		for _, p := range props {
			if v, ok := t.Properties.Get(p); ok {
				switch {
				case v.Type == "string":
					v.Pattern = namePattern
				case v.Type == "array" && v.Items != nil && v.Items.Type == "string":
					v.Items.Pattern = namePattern
				case v.Type == "array" && v.Items != nil && v.Items.Type == "array" && v.Items.Items != nil:
					v.Items.Items.Pattern = namePattern
				}
			}
		}
	}
	name(s.Definitions["Class"], "name", "keys")
	name(s.Definitions["Attribute"], "name")
	name(s.Definitions["Allowed"], "type", "to")
	name(s.Definitions["RelationType"], "name")
}

// enums lists the values of the string types that are closed sets.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[State]():         {StatePlanned, StateProduction, StateMaintenance, StateRetired},
	reflect.TypeFor[AttributeType](): {TypeText, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeEnum, TypeIP},
	reflect.TypeFor[Propagation]():   {PropagateNone, ToSource, ToTarget, Both},
	reflect.TypeFor[Effect]():        {EffectFull, EffectWeaken},
	reflect.TypeFor[sheet.Format]():  {sheet.CSV, sheet.XLSX},
}

var eventDocs = schema.EventDocs{
	"cmdb.item.created": {"Item created",
		"An agent of the desk, or of the supplier responsible for it, registered a configuration item in the desk's CMDB, by hand or by an import (CM-1). It is the first event of every item."},
	"cmdb.item.edited": {"Item edited",
		"The item's name, supplier, object owner, attributes, redundancy and consumers are now those given, all of them; changed names the fields that changed."},
	"cmdb.item.state_changed": {"Item state changed",
		"The item moved from one lifecycle state to another; retired is final, and a retired item leaves impact analysis."},
	"cmdb.item.related": {"Item related",
		"The item has a new relation to another item of its desk, of a type its class may have."},
	"cmdb.item.unrelated": {"Item unrelated",
		"The item no longer has the relation."},
}

var itemFieldDocs = map[string]string{
	"Number":      "The item's number.",
	"Desk":        "The desk whose CMDB holds the item.",
	"Class":       "The item's class, as the model names it.",
	"Name":        "The item's name.",
	"State":       "Where the item is in its lifecycle.",
	"Supplier":    "The supplier responsible for the item; absent when the desk is.",
	"ObjectOwner": "The customer's person who owns the item.",
	"Attributes":  "The values of the class's attributes, canonical, by attribute name; an attribute without a value is absent.",
	"Redundancy":  "For a redundancy group: how many of its members must be up.",
	"Consumers":   "For a business service: the units that use it.",
	"Relations":   "The item's relations to other items of its desk, sorted by type and target.",
	"Import":      "The import that made the change, if one did (CM-3).",
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By]():          {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[ItemCreated](): itemFieldDocs,
	reflect.TypeFor[ItemEdited](): {
		"Name": itemFieldDocs["Name"], "Supplier": itemFieldDocs["Supplier"], "ObjectOwner": itemFieldDocs["ObjectOwner"],
		"Attributes": itemFieldDocs["Attributes"], "Redundancy": itemFieldDocs["Redundancy"], "Consumers": itemFieldDocs["Consumers"],
		"Changed": "The fields that changed: name, supplier, object_owner, redundancy, consumers, or attributes.<name> for each attribute.",
		"Import":  itemFieldDocs["Import"],
	},
	reflect.TypeFor[ItemStateChanged](): {
		"State":  "The state now.",
		"Was":    "The state before.",
		"Reason": "Why, if the actor said.",
		"Import": itemFieldDocs["Import"],
	},
	reflect.TypeFor[ItemRelated]():   {"Relation": "The relation added."},
	reflect.TypeFor[ItemUnrelated](): {"Relation": "The relation removed."},
	reflect.TypeFor[Relation](): {
		"Type": "The relation type, as the model names it.",
		"To":   "The item related to.",
	},
	reflect.TypeFor[Redundancy](): {
		"Min":     "How many members must be up; absent when percent says.",
		"Percent": "The share of members, in per cent rounded up to a whole member, that must be up; absent when min says.",
	},
	reflect.TypeFor[Consumer](): {
		"Unit":  "The organisational unit.",
		"Users": "How many of its users use the service.",
	},
}

var modelTypeDocs = map[reflect.Type]string{
	reflect.TypeFor[Class]():        "A class of configuration items.",
	reflect.TypeFor[Attribute]():    "A value items of the class carry.",
	reflect.TypeFor[Allowed]():      "A relation type items of the class may have as its source.",
	reflect.TypeFor[RelationType](): "A kind of relation between items.",
}

var modelFieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[Model](): {
		"Classes":       "The classes of items.",
		"RelationTypes": "The relation types.",
	},
	reflect.TypeFor[Class](): {
		"Name":       "The class's name: a-z, then up to 63 of a-z, 0-9 and _.",
		"Label":      "What people read.",
		"Attributes": "The values its items carry.",
		"Keys":       "Its unique keys: each the names of attributes whose values together identify an item of the class within its desk.",
		"Service":    "Whether its items are business services, with consumers.",
		"Group":      "Whether its items are redundancy groups, with a redundancy.",
		"Relations":  "The relation types its items may have, and to which classes.",
	},
	reflect.TypeFor[Attribute](): {
		"Name":     "The attribute's name: a-z, then up to 63 of a-z, 0-9 and _.",
		"Label":    "What people read.",
		"Type":     "The type of its values.",
		"Required": "Whether every item of the class has a value.",
		"Values":   "An enum's values, in the order offered.",
	},
	reflect.TypeFor[Allowed](): {
		"Type": "The relation type.",
		"To":   "The classes of its targets; none means any.",
	},
	reflect.TypeFor[RelationType](): {
		"Name":        "The type's name: a-z, then up to 63 of a-z, 0-9 and _.",
		"Label":       "How the relation reads from its source, such as \"depends on\".",
		"Inverse":     "How it reads from its target, such as \"used by\".",
		"Propagation": "Which way a failure travels: to the source, to the target, both ways or not at all.",
		"Effect":      "Whether a failure arrives whole (full, the default) or as degraded service (weaken).",
	},
}
