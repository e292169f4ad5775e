package problem

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/schema"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/problem.recorded.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each
// problem, known error, workaround and candidate event, keyed by event
// type, as package chain's Schemas does for groups: exactly what this
// version writes, every property listed, those without omitempty or
// omitzero required, no other allowed; risks, appliers and fix statuses
// enumerated, priorities integers from 1.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Map: schemaOfType, Enums: enums, Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	for _, p := range KnownErrorPayloads() {
		values[p.Type()] = p
	}
	for _, p := range WorkaroundPayloads() {
		values[p.Type()] = p
	}
	for _, p := range DismissalPayloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

// enums lists the values of the string types that are closed sets.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[Risk]():      {RiskLow, RiskMedium, RiskHigh},
	reflect.TypeFor[Applier]():   {ApplierUser, ApplierDesk, ApplierSupplier},
	reflect.TypeFor[FixStatus](): {FixNone, FixPlanned, FixInProgress, FixReleased, FixRejected},
}

// schemaOfType gives the schema of priorities, integers from 1, beyond
// schema.Common's; each call returns a new one.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[itsm.Priority]() {
		return &jsonschema.Schema{Type: "integer", Minimum: "1"}
	}
	return nil
}

var eventDocs = schema.EventDocs{
	"problem.recorded": {"Problem recorded",
		"An agent of the desk, or of a supplier for the desk it names, recorded the problem, which got its master number and is held by the recording organisation (PM-1). It is the first event of every problem."},
	"problem.delegated": {"Problem delegated",
		"The desk handed the investigation to a supplier and optionally one of its groups; flagged ping_pong when the supplier had sent it back before (SD-7)."},
	"problem.accepted": {"Problem accepted",
		"The supplier holding the delegated problem took the investigation on; the problem returns to the state it had before its delegation."},
	"problem.rejected": {"Problem rejected",
		"The supplier sent the problem back to the desk with a reason."},
	"problem.recalled": {"Problem recalled",
		"The desk took the problem back from the supplier with a reason."},
	"problem.assigned": {"Problem assigned",
		"The organisation holding the problem assigned it to one of its groups, a member, or both."},
	"problem.investigation_started": {"Investigation started",
		"The holder began the root cause analysis of the new problem."},
	"problem.noted": {"Work note added",
		"The desk or the holder added a work note to the investigation; customers do not read it."},
	"problem.related": {"Relations changed",
		"The configuration items and changes the problem relates to are now those listed."},
	"problem.identified": {"Root cause identified",
		"The holder found the root cause, recorded as the known error named (PM-2); the problem is a known error."},
	"problem.fix_started": {"Fix started",
		"The holder started the permanent fix under the change named."},
	"problem.resolved": {"Problem resolved",
		"The holder reports the root cause removed; the desk is to close the problem, and each linked open incident is offered for resolution through its own holder."},
	"problem.closed": {"Problem closed",
		"The desk closed the resolved problem (SD-4)."},
	"problem.cancelled": {"Problem cancelled",
		"The desk cancelled the open problem with a reason; its open incidents were unlinked before."},
	"problem.incident_linked": {"Incident linked",
		"An incident was linked to the problem (IM-3); the incident holds the link, the problem counts it."},
	"problem.incident_unlinked": {"Incident unlinked",
		"An incident's link to the problem was removed."},
	"problem.workaround_communicated": {"Workaround communicated",
		"The desk told the users of the linked open incidents listed the workaround named; each incident records what it was told."},
	"known_error.recorded": {"Known error recorded",
		"A known error entered the known error database (PM-2), identified from a problem or recorded directly. It is the first event of every known error."},
	"known_error.revised": {"Known error revised",
		"The known error's texts, codes, services, CIs and fix are now those given."},
	"known_error.workaround_attached": {"Workaround attached",
		"The workaround named serves the known error now."},
	"known_error.workaround_detached": {"Workaround detached",
		"The workaround named no longer serves the known error."},
	"known_error.published": {"Known error published",
		"The desk marked the known error for publishing to users as a knowledge article; the knowledge base follows this event."},
	"known_error.retired": {"Known error retired",
		"The known error no longer occurs."},
	"workaround.recorded": {"Workaround recorded",
		"A workaround entered the workaround database (PM-2). It is the first event of every workaround."},
	"workaround.revised": {"Workaround revised",
		"The workaround's texts, risk and appliers are now those given."},
	"workaround.retired": {"Workaround retired",
		"The workaround is no longer to be used; it can be attached and communicated no more."},
	"candidate.accepted": {"Candidate accepted",
		"The desk accepted a candidate problem (PM-3) as the problem named, with its incidents linked; they are not proposed again."},
	"candidate.dismissed": {"Candidate dismissed",
		"The desk judged a candidate problem (PM-3) no problem, with a reason; its incidents are not proposed again."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By](): {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[Recorded](): {
		"Number":      "The problem's master number.",
		"Desk":        "The desk whose delivery the problem belongs to.",
		"RecordedBy":  "The organisation that recorded it and holds it first: the desk or a supplier.",
		"Group":       "The recording organisation's group that holds it first, if any.",
		"Summary":     "One line saying what the problem is.",
		"Description": "What is known of it.",
		"Priority":    "From 1, the highest.",
		"CIs":         "The configuration items involved.",
		"Candidate":   "The key of the candidate problem it was accepted from, if any (PM-3).",
		"Key":         "The recording client's idempotency key, if it gave one.",
	},
	reflect.TypeFor[Delegated](): {
		"Organisation": "The supplier that holds the investigation now.",
		"Group":        "The supplier's group, if the desk named one.",
		"PingPong":     "The supplier had sent the problem back before (SD-7).",
	},
	reflect.TypeFor[Identified](): {
		"KnownError":       "The known error recorded from the root cause.",
		"KnownErrorNumber": "Its master number.",
		"RootCause":        "What the investigation found.",
	},
	reflect.TypeFor[FixStarted]():             {"Change": "The reference of the change that carries the fix."},
	reflect.TypeFor[IncidentLinked]():         {"Incident": "The incident linked.", "Number": "Its master number."},
	reflect.TypeFor[IncidentUnlinked]():       {"Incident": "The incident unlinked.", "Number": "Its master number."},
	reflect.TypeFor[WorkaroundCommunicated](): {"Incidents": "The master numbers of the incidents whose users were told."},
	reflect.TypeFor[KnownErrorRecorded](): {
		"Number":      "The known error's master number.",
		"Desk":        "The desk whose known error database holds it.",
		"RecordedBy":  "The organisation that recorded it: the desk or a supplier.",
		"Problem":     "The problem it was identified from, if any.",
		"Workarounds": "The workarounds attached at once.",
	},
	reflect.TypeFor[KnownErrorContent](): {
		"ErrorCodes": "The error codes users or monitoring see, each once.",
		"Services":   "The services it affects, each once.",
		"CIs":        "The configuration items it affects.",
	},
	reflect.TypeFor[WorkaroundRecorded](): {
		"Number":     "The workaround's master number.",
		"Desk":       "The desk whose workaround database holds it.",
		"RecordedBy": "The organisation that recorded it: the desk or a supplier.",
	},
	reflect.TypeFor[WorkaroundContent](): {
		"Steps":   "What to do.",
		"Scope":   "When it applies: services, sites, versions.",
		"Applier": "Who may apply it, each once.",
	},
	reflect.TypeFor[Dismissed](): {
		"Desk":      "The desk that judged the candidate.",
		"Problem":   "The problem the candidate was accepted as; absent for a dismissal.",
		"Dismissal": "The candidate's key and incidents, who judged it, why and when.",
	},
	reflect.TypeFor[candidate.Key](): {
		"CI":    "The configuration item the candidate's incidents share, if the key names one.",
		"Token": "The word of the summary they share, if the key names one.",
	},
}
