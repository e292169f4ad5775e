package authority

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm/schema"
	"github.com/spoc-itsm/spoc/sla"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/authority.granted.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event
// this package writes, keyed by event type, as whole documents ready to be
// served as application/schema+json. They describe exactly what this
// version writes: every property is listed, properties without omitempty
// or omitzero are required, and no other property is allowed.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Map: schemaOfType, Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

// DatePattern is the form of a day in the lists' JSON: YYYY-MM-DD.
const DatePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`

// schemaOfType gives the schema of the types whose JSON is not what their
// Go kind suggests: an sla.Date is written as YYYY-MM-DD, and a Role is
// one of two words.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[sla.Date]():
		return &jsonschema.Schema{Type: "string", Pattern: DatePattern}
	case reflect.TypeFor[Role]():
		return &jsonschema.Schema{Type: "string", Enum: []any{RoleRequester, RoleApprover}}
	}
	return nil
}

var eventDocs = schema.EventDocs{
	"authority.granted": {"Person put on the lists",
		"An administrator of the customer put a person on its lists of authorised requesters or approvers, for one catalogue item or one whole service, from one day through another or until further notice (RF-5). It is the first event of every grant."},
	"authority.ended": {"Grant ended",
		"A grant was shortened: from this event on, its last day is the one given; a last day before its first withdraws it. The grant and its earlier days stay in the history."},
	"authority.absent": {"Approver away",
		"An approver is away on the days given, and the stand-in approves in their place on those days. Of two absences of one approver that share a day, the one recorded later decides."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[Grant](): {
		"ID":        "The grant.",
		"Customer":  "The customer organisation whose list it is.",
		"Person":    "The person of the customer, by stable identity.",
		"Role":      "requester: may order; approver: may approve orders.",
		"Item":      "The catalogue item the grant is for; absent when it is for a service.",
		"Service":   "The service, all of whose items the grant is for; absent when it is for an item.",
		"From":      "The first valid day, in the lists' zone.",
		"Until":     "The last valid day; absent: until further notice.",
		"Granted":   "When the grant was recorded; it counts for no earlier instant.",
		"GrantedBy": "Who recorded the grant.",
		"Ended":     "The endings of the grant, in the order recorded; absent when none.",
	},
	reflect.TypeFor[Ending](): {
		"At":       "When the ending was recorded; it takes effect then.",
		"By":       "Who ended the grant.",
		"Until":    "The grant's last day from now on.",
		"Previous": "The grant's last day before; absent: it was until further notice.",
		"Reason":   "Why, in the customer's words; absent when none was given.",
	},
	reflect.TypeFor[Absence](): {
		"ID":         "The absence.",
		"Customer":   "The customer organisation of the approver.",
		"Person":     "The approver who is away.",
		"StandIn":    "Who approves in the approver's place.",
		"From":       "The first day away, in the lists' zone.",
		"Until":      "The last day away.",
		"Reason":     "Why, if said.",
		"Recorded":   "When the absence was recorded; it counts for no earlier instant.",
		"RecordedBy": "Who recorded it: the approver or an administrator of the customer.",
	},
}
