package followup

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm/schema"
	"github.com/spoc-itsm/spoc/sla/report"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/followup.approved.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event this
// package writes, keyed by event type. Each is a whole JSON document
// (indented, ending in a newline), the same bytes on every call.
//
// The schemas describe exactly what this version writes: every property is
// listed, properties without omitempty or omitzero are required, and no
// other property is allowed. IDs are UUID strings, times RFC 3339 strings,
// versions integers from 1, digests 64 lower-case hex digits and months
// "YYYY-MM".
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Docs: schema.Docs{Types: typeDocs, Fields: fieldDocs}, Edit: func(s *jsonschema.Schema) {
		for name, constrain := range propertyRules {
			if prop, ok := s.Properties.Get(name); ok {
				constrain(prop)
			}
		}
	}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

// Patterns of the strings of a fixed grammar, in the part of ECMA-262 regular
// expressions that RE2 shares, so that Go code can check them too.
const (
	// digestPattern is what Digest returns.
	digestPattern = "^[0-9a-f]{64}$"
	// monthPattern is a month as FollowUp.Month writes it.
	monthPattern = "^[0-9]{4}-(0[1-9]|1[0-2])$"
)

// propertyRules constrain the payload properties whose Go type (int, string)
// says less than the data promises. Every payload that has one of these
// properties means the same by it.
var propertyRules = map[string]func(*jsonschema.Schema){
	"version": func(s *jsonschema.Schema) { s.Minimum = "1" },
	"digest":  func(s *jsonschema.Schema) { s.Pattern = digestPattern },
	"month":   func(s *jsonschema.Schema) { s.Pattern = monthPattern },
}

var eventDocs = schema.EventDocs{
	"followup.drafted": {"Follow-up drafted",
		"An agent of the desk drafted the first version of a customer's monthly service-level follow-up (SL-4); the customer is to approve or reject it. It is the first event of every follow-up."},
	"followup.redrafted": {"Follow-up redrafted",
		"The desk computed the report of a drafted or rejected version again; the new draft replaces the old one within the same version."},
	"followup.approved": {"Follow-up approved",
		"An approver of the customer approved the draft with the digest; the version's report is frozen and never changes again (SL-4)."},
	"followup.rejected": {"Follow-up rejected",
		"An approver of the customer sent the draft with the digest back to the desk with a comment; the desk redrafts it."},
	"followup.corrected": {"Follow-up corrected",
		"The desk started a new version of an approved follow-up, computed now for the reason given; the approved version stays as it was, and the new one needs approval again."},
}

var (
	typeDocs = map[reflect.Type]string{
		reflect.TypeFor[report.Period](): "The half-open interval [from, to) the follow-up covers: one calendar month.",
	}
	fieldDocs = map[reflect.Type]map[string]string{
		reflect.TypeFor[By](): {"By": "Who caused the change (SD-9)."},
		reflect.TypeFor[report.Period](): {
			"From": "The first instant of the month.",
			"To":   "The first instant after the month.",
		},
		reflect.TypeFor[Drafted](): {
			"Version":  "The version drafted: always 1.",
			"Customer": "The customer organisation whose month it is.",
			"Desk":     "The desk that drafted it and answers for it.",
			"Month":    "The month as YYYY-MM, in the zone of the period.",
			"Period":   "The instants the month covers.",
			"Zone":     "The name of the time zone the period was given in, such as Europe/Stockholm.",
			"Digest":   "The SHA-256 of the report JSON drafted, in hex.",
		},
		reflect.TypeFor[Redrafted](): {
			"Version": "The version redrafted.",
			"Digest":  "The SHA-256 of the report JSON that replaces the draft, in hex.",
		},
		reflect.TypeFor[Approved](): {
			"Version": "The version approved.",
			"Digest":  "The SHA-256 of the report JSON approved, in hex: the version's report is these bytes for good.",
			"Comment": "What the customer said, if anything.",
		},
		reflect.TypeFor[Rejected](): {
			"Version": "The version rejected.",
			"Digest":  "The SHA-256 of the report JSON rejected, in hex.",
			"Comment": "What the customer found wrong.",
		},
		reflect.TypeFor[Corrected](): {
			"Version": "The new version, one after the approved one.",
			"Reason":  "Why the approved version is corrected.",
			"Digest":  "The SHA-256 of the report JSON of the new version, in hex.",
		},
	}
)
