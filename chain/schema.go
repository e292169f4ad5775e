package chain

import (
	"reflect"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/group.renamed.json".
// It is also a file name a server can publish the schema under.
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event
// this package writes, keyed by event type. Each is a whole JSON document
// (indented, ending in a newline), the same bytes on every call, ready to be
// served as application/schema+json. They describe exactly what this version
// writes: every property is listed, properties without omitempty or omitzero
// are required, and no other property is allowed.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

var eventDocs = schema.EventDocs{
	"group.created": {"Group created",
		"An administrator of the organisation created the group, active: a team of a desk or a supplier that holds tickets (SD-11). It is the first event of every group."},
	"group.renamed": {"Group renamed",
		"The group got a new name, unique within its organisation; tickets name the group by ID, so their history is unchanged."},
	"group.members_changed": {"Group members changed",
		"The group's members are now the people listed."},
	"group.email_changed": {"Group e-mail changed",
		"Notifications to the group go to the address given now, or to none when it is empty."},
	"group.deactivated": {"Group deactivated",
		"The group takes no new tickets; it keeps its name and its history."},
	"group.activated": {"Group activated",
		"A deactivated group takes tickets again."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By](): {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[Created](): {
		"Organisation": "The desk or supplier whose group it is; it never changes.",
		"Name":         "The group's name, unique within its organisation however cased.",
		"Members":      "The people of the group by stable identity, sorted, each once.",
		"Email":        "Where notifications to the group go, if anywhere.",
	},
	reflect.TypeFor[Renamed]():        {"Name": "The new name."},
	reflect.TypeFor[MembersChanged](): {"Members": "Every member now, sorted, each once."},
	reflect.TypeFor[EmailChanged]():   {"Email": "The address now; empty for none."},
}
