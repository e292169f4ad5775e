package incident

import (
	"reflect"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/incident.delegated.json".
// It is also a file name a server can publish the schema under.
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event this
// package writes, keyed by event type: one per type of Payloads, and one for
// the Message that LogNotifier appends as NotificationEvent. Each is a whole
// JSON document (indented, ending in a newline), the same bytes on every
// call, ready to be served as application/schema+json.
//
// The schemas describe exactly what this version writes: every property is
// listed, properties without omitempty or omitzero are required, and no
// other property is allowed. IDs are UUID strings, master numbers strings
// such as INC0000042, priority, impact and urgency integers from 1, times
// RFC 3339 strings, and closed sets of words (channel, journal entry kind,
// wait reason, role) enumerated.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Map: schemaOfType, Enums: enums, Docs: schema.Docs{Types: typeDocs, Fields: fieldDocs, Else: byFieldType}}
	values := map[string]any{NotificationEvent: Message{}}
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

var (
	priorityType = reflect.TypeFor[itsm.Priority]()
	impactType   = reflect.TypeFor[itsm.Impact]()
	urgencyType  = reflect.TypeFor[itsm.Urgency]()
	durationType = reflect.TypeFor[time.Duration]()
)

// enums lists the values of the string types that are closed sets, in the
// order they are declared.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[Channel](): {ChannelPhone, ChannelEmail, ChannelPortal, ChannelChat,
		ChannelWalkIn, ChannelMonitoring},
	reflect.TypeFor[EntryKind](): {EntryCommunication, EntryWorkNote, EntryStatusUpdate,
		EntryNotification},
	reflect.TypeFor[WaitReason](): {WaitUser, WaitVendor, WaitChange, WaitProblem},
}

// schemaOfType gives the schema of the types whose JSON is not what their Go
// kind suggests, beyond schema.Common's. The reflector changes the schema it is
// given (it sets the description of every property), so each call returns
// a new one.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case priorityType, impactType, urgencyType:
		return &jsonschema.Schema{Type: "integer", Minimum: "1"}
	case durationType:
		// encoding/json writes a time.Duration as integer nanoseconds; no
		// payload has one, and one that gets a duration must write it as
		// Duration.String does, which is what this schema accepts.
		return &jsonschema.Schema{Type: "string", Pattern: schema.DurationPattern}
	}
	return nil
}

var eventDocs = schema.EventDocs{
	"incident.registered": {"Incident registered",
		"An agent of the desk registered the incident, which got its master number (SD-2, SD-4, SD-5). It is the first event of every incident."},
	"incident.started": {"Incident started",
		"The desk started work on a registered incident: the desk's response."},
	"incident.delegated": {"Incident delegated",
		"The desk handed the incident to a supplier group, with everything the user said (SD-5), or re-routed it to another group (SD-7)."},
	"incident.accepted": {"Incident accepted",
		"The supplier group that holds a delegated incident took it on."},
	"incident.rejected": {"Incident rejected",
		"The supplier that holds the incident sent it back to the desk with a reason; the desk re-routes it (SD-7)."},
	"incident.assigned": {"Incident assigned",
		"An agent of the organisation that holds the incident assigned it inside that organisation: to another of its groups (a move, not a re-assignment between organisations), to a member of the group, or to themself."},
	"incident.recalled": {"Incident recalled",
		"The desk took the incident back from the supplier holding it, with a reason: the desk's decision, not the supplier's rejection. The next delegation counts as a re-assignment (SD-7); one back to the same supplier is not ping-pong."},
	"incident.updated": {"Status update",
		"The holder, the desk or a supplier, reported its status; this restarts the holder's update clock (SD-8)."},
	"incident.commented": {"Journal entry",
		"The desk, the supplier that holds the incident, or the customer's caller wrote to the journal: a communication visible to the user, or an internal work note (SD-6), which the customer is not shown."},
	"incident.waiting": {"Incident waiting",
		"The holder put the incident on hold for the user, its vendor, a change or a problem; each agreement decides whether this pauses its clocks."},
	"incident.resumed": {"Incident resumed",
		"The holder ended the wait and works on."},
	"incident.resolved": {"Incident resolved",
		"The desk resolved the incident (at first contact when it was never delegated, SD-3), or the supplier that holds it reported back its resolution (SD-4)."},
	"incident.closed": {"Incident closed",
		"The desk told the user of the resolution and closed the incident (SD-4)."},
	"incident.reopened": {"Incident reopened",
		"The desk reopened a resolved incident, or a closed one within the desk's reopen window after its closure; it is in progress at the desk again."},
	"incident.cancelled": {"Incident cancelled",
		"The desk cancelled an open incident that needs no resolution, such as a duplicate."},
	"incident.reprioritised": {"Incident reprioritised",
		"The desk changed impact and urgency, and so the priority through the matrix (IM-2); every clock is measured again at the new priority."},
	"incident.recategorised": {"Incident recategorised",
		"The desk changed the service, category or subcategory of the incident."},
	"incident.referenced": {"Supplier reference",
		"An agent of a supplier recorded the supplier's own reference for the incident (SD-5). It is internal to the support chain: the customer is not shown it."},
	"incident.related": {"Incident related",
		"The desk set the configuration items (IM-6) the incident relates to, replacing the earlier ones. The problem is the incident's problem as it was: events written before problems were linked through the problem (incident.problem_linked) set it here."},
	"incident.problem_linked": {"Incident linked to a problem",
		"The desk linked the incident to a problem (IM-3, PM-1), in the same transaction as the problem's own record of it. An incident waiting for the problem gets an incident.waiting event with it."},
	"incident.problem_unlinked": {"Incident unlinked from its problem",
		"The desk removed the link between the incident and its problem; an incident that waited for the problem gets an incident.resumed event with it."},
	"incident.workaround_communicated": {"Workaround communicated",
		"The desk told the user a workaround of the incident's problem (SD-6, PM-2): a communication, visible to the user."},
	"incident.coordinated": {"Incidents coordinated",
		"The desk made one incident the child of another, so that incidents with one cause are followed up together (IM-3). The event is appended to both."},
	"incident.major_declared": {"Major incident declared",
		"The desk declared a major incident, led by the major-incident manager on duty (IM-4)."},
	"incident.major_stood_down": {"Major incident stood down",
		"The desk ended major-incident handling of the incident."},
	"incident.notified": {"Notification",
		"A message about the incident went to someone outside the ticket, or failed to: an escalation role when the incident reached an escalated priority, or a contact of a major incident (IM-4, IM-5). The actor is whoever made the change that caused it. It is internal to the support chain: the customer is not shown it."},
	NotificationEvent: {"Notification to send",
		"A message for a relay to deliver, appended to the event log by LogNotifier. The event has no subject; the message names the incident."},
}

// typeDocs and fieldDocs describe shared types and the fields whose name
// alone does not say enough. A field of a type in typeFieldDocs that is not
// in fieldDocs gets its type's description.
var (
	typeDocs = map[reflect.Type]string{
		reflect.TypeFor[Caller]():   "The person who reported the incident.",
		reflect.TypeFor[Entry]():    "One line of the journal: who wrote what, when, for whom.",
		reflect.TypeFor[Handover](): "What a supplier receives on delegation, so that the user never has to repeat anything (SD-5).",
		reflect.TypeFor[Contact]():  "Someone to notify, on a channel the Notifier understands, at an address on that channel.",
	}
	typeFieldDocs = map[reflect.Type]string{
		reflect.TypeFor[itsm.Number](): "The master number, such as INC0000042 (SD-5).",
		priorityType:                   "The priority; 1 is the most urgent.",
		impactType:                     "The impact; 1 is the highest.",
		urgencyType:                    "The urgency; 1 is the highest.",
		reflect.TypeFor[Channel]():     "How the user reached the desk (SD-1).",
		reflect.TypeFor[WaitReason]():  "What the incident waits for.",
		reflect.TypeFor[EntryKind](): "Who may read the entry: communication (the user too), work_note (the support chain), " +
			"status_update (a holder's report to the desk, read by the support chain) or notification " +
			"(a message to someone outside the ticket, read by the support chain).",
	}
	fieldDocs = map[reflect.Type]map[string]string{
		reflect.TypeFor[By](): {"By": "Who caused the change (SD-9)."},
		reflect.TypeFor[Caller](): {
			"Person":  "A stable identity, such as a user name from single sign-on.",
			"Contact": "A phone number or e-mail address to reach the user.",
		},
		reflect.TypeFor[Registered](): {
			"Desk":     "The desk organisation that owns the incident (SD-4).",
			"Customer": "The organisation whose user reported the incident.",
			"CIs":      "The configuration items involved (IM-6).",
			"Key":      "The registering client's idempotency key: a retry with it returns this incident.",
			"Group":    "The ID of the desk's group that holds the incident from the start, if the registration named one.",
		},
		reflect.TypeFor[Delegated](): {
			"Organisation": "The supplier the incident is delegated to.",
			"Group":        "The ID of the supplier's group the incident is delegated to, if the desk named one.",
			"PingPong":     "The supplier held the incident before (SD-7).",
			"Note":         "The desk's note for the supplier, a work note: " + chainOnly,
		},
		reflect.TypeFor[Handover](): {
			"Communications": "The journal entries the user can see, in order.",
			"Rejections":     "The reasons earlier groups gave for sending the incident back: " + chainOnly,
		},
		reflect.TypeFor[Rejected](): {"Reason": "Why the supplier sent the incident back, a work note: " + chainOnly},
		reflect.TypeFor[Recalled](): {"Reason": "Why the desk took the incident back, a work note: " + chainOnly},
		reflect.TypeFor[Assigned](): {
			"Group":    "The ID of the holding organisation's group that holds the incident now.",
			"Assignee": "The member of the group the incident is assigned to; absent when the group as a whole holds it.",
			"Note":     "The agent's note, a work note: " + chainOnly,
		},
		reflect.TypeFor[Updated]():       {"Text": "The status report to the desk: " + chainOnly},
		reflect.TypeFor[Waiting]():       {"Note": "The holder's note, a work note: " + chainOnly},
		reflect.TypeFor[Resumed]():       {"Note": "The holder's note, a work note: " + chainOnly},
		reflect.TypeFor[Reopened]():      {"Reason": "The desk's reason, a work note: " + chainOnly},
		reflect.TypeFor[Cancelled]():     {"Reason": "The desk's reason, a work note: " + chainOnly},
		reflect.TypeFor[Reprioritised](): {"Reason": "The desk's reason, a work note: " + chainOnly},
		reflect.TypeFor[Resolved](): {
			"FirstContact": "The desk resolved the incident without delegating it (SD-3).",
			"Workaround":   "The ID of the workaround, in the workaround database, that resolved the incident (PM-2); absent when none did.",
		},
		reflect.TypeFor[Related](): {
			"CIs":     "The configuration items the incident relates to (IM-6).",
			"Problem": "The ID of the problem the incident is linked to (IM-3); absent when none.",
		},
		reflect.TypeFor[ProblemLinked]():   {"Problem": "The ID of the problem the incident is linked to now."},
		reflect.TypeFor[ProblemUnlinked](): {"Problem": "The ID of the problem the incident was linked to."},
		reflect.TypeFor[WorkaroundCommunicated](): {
			"Problem":    "The ID of the incident's problem.",
			"Workaround": "The ID of the workaround, in the workaround database, the user was told.",
			"Text":       "What the user was told.",
		},
		reflect.TypeFor[Closed](): {"Message": "What the user was told."},
		reflect.TypeFor[MajorDeclared](): {
			"Manager": "The major-incident manager on duty, if any.",
			"Reason":  "The desk's reason, a work note: " + chainOnly,
		},
		reflect.TypeFor[MajorStoodDown](): {"Reason": "The desk's reason, a work note: " + chainOnly},
		reflect.TypeFor[Notified](): {
			"Role":    "The escalation role the recipient holds, if any.",
			"Channel": "The Notifier's channel, such as email, sms or webhook.",
			"Error":   "Why the Notifier could not deliver the message; absent when it did.",
		},
		reflect.TypeFor[Contact](): {
			"Channel": "The Notifier's channel, such as email, sms or webhook.",
			"Service": "The service whose major incidents the contact is told of; absent for every service.",
		},
		reflect.TypeFor[Message](): {"Incident": "The ID of the incident the message is about."},
	}
)

// chainOnly ends the description of a text that is internal to the support
// chain (View): the customer is shown the event without it, empty or absent.
const chainOnly = "internal to the support chain; the customer is not shown it."

// byFieldType describes a field that fieldDocs does not by its type.
func byFieldType(t reflect.Type, field string) string {
	if f, ok := t.FieldByName(field); ok {
		return typeFieldDocs[f.Type]
	}
	return ""
}
