package cmdb

import (
	"maps"
	"reflect"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// The schemas of the change events are published with the item events'
// (Schemas): their closed sets, titles and descriptions are kept here and
// joined to the items'.

// changeEnums lists the values of the change's closed sets of words.
var changeEnums = map[reflect.Type][]any{
	reflect.TypeFor[ChangeKind]():   {ChangePlanned, ChangeUnplanned},
	reflect.TypeFor[ChangeEffect](): {ChangeEffectNone, ChangeEffectDegraded, ChangeEffectOutage},
	reflect.TypeFor[ChangeState](): {ChangeStateDraft, ChangeStateApproved, ChangeStateInProgress, ChangeStateCompleted,
		ChangeStateCancelled},
}

var changeEventDocs = schema.EventDocs{
	"cmdb.change.created": {"Change created",
		"An agent of the desk, or of the supplier that carries it out, registered a planned change or an unplanned outage of items of the desk's CMDB, as a draft (CH-1). It is the first event of every change."},
	"cmdb.change.edited": {"Change edited",
		"The change's title, supplier, window, items, effect and texts are now those given, all of them; changed names the fields that changed. An approved change whose window, items, effect or texts changed is a draft again (unapproved), to be approved again."},
	"cmdb.change.approved": {"Change approved",
		"The object owner agreed that users be told of the change; from now on users see it among the outages when its effect is one they notice (CH-1)."},
	"cmdb.change.started": {"Change started",
		"The work of the approved change began."},
	"cmdb.change.completed": {"Change completed",
		"The work is over, with a note of how it went (a change rolled back is completed, saying so)."},
	"cmdb.change.cancelled": {"Change cancelled",
		"The draft or approved change will not happen, for the reason given."},
}

var changeTypeDocs = map[reflect.Type]string{
	reflect.TypeFor[Window](): "When the change happens: two instants, and the zone the window was given in and is shown in.",
	reflect.TypeFor[Texts]():  "What users are told of the change, by language: Swedish always, English and Norwegian when given.",
}

var changeFields = map[string]string{
	"Number":   "The change's number.",
	"Desk":     "The desk whose CMDB holds the items.",
	"Supplier": "The supplier that carries the change out; absent when the desk does.",
	"Kind":     "Whether the change was planned or is an unplanned outage.",
	"Incident": "The major incident an unplanned outage comes from.",
	"Title":    "A label for the desk and the suppliers.",
	"Window":   "When the change happens.",
	"Items":    "The items the change touches, in ID order.",
	"Effect":   "What the change does to its items while it runs: nothing, degraded service, or an outage.",
	"Texts":    "What users are told.",
}

var changeFieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[ChangeCreated](): changeFields,
	reflect.TypeFor[ChangeEdited](): {
		"Title": changeFields["Title"], "Supplier": changeFields["Supplier"], "Window": changeFields["Window"],
		"Items": changeFields["Items"], "Effect": changeFields["Effect"], "Texts": changeFields["Texts"],
		"Changed":    "The fields that changed: title, supplier, window, items, effect, texts.",
		"Unapproved": "Whether the edit made an approved change a draft again.",
	},
	reflect.TypeFor[ChangeApproved](): {
		"ObjectOwner": "The customer's person who owns what the change touches, and agreed.",
		"ApprovedAt":  "When the owner agreed.",
	},
	reflect.TypeFor[ChangeCompleted](): {"Note": "How it went, if the actor said."},
	reflect.TypeFor[ChangeCancelled](): {"Reason": "Why it will not happen."},
	reflect.TypeFor[Window](): {
		"Start": "The first instant of the window.",
		"End":   "The instant the window ends, after its start.",
		"Zone":  "The IANA name of the zone, such as Europe/Stockholm.",
	},
	reflect.TypeFor[Texts](): {
		"SV": "In Swedish.",
		"EN": "In English.",
		"NB": "In Norwegian Bokmål.",
		"NN": "In Norwegian Nynorsk.",
	},
}

// changeValues adds a value of each change payload to values, keyed by
// its event type, for Schemas.
func changeValues(values map[string]any) {
	for _, p := range ChangePayloads() {
		values[p.Type()] = p
	}
}

// joined returns a map with the entries of a and b; b's win.
func joined[M ~map[K]V, K comparable, V any](a, b M) M {
	out := maps.Clone(a)
	if out == nil {
		out = M{}
	}
	maps.Copy(out, b)
	return out
}
