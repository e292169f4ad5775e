package report

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm/schema"
	"github.com/spoc-itsm/spoc/sla"
)

// SchemaURL is the $id of the JSON Schema of a Report. An $id names the
// schema rather than saying where it is served, so it stays the same
// whichever server publishes the file.
const SchemaURL = schema.Base + "report.json"

// Schema returns the JSON Schema (draft 2020-12) of a Report as
// encoding/json writes it: a whole document, indented and ending in a
// newline, the same bytes on every call, ready to be served as
// application/schema+json.
//
// Every property is listed; those without omitempty are required, and no
// other property is allowed. Every array is required to be an array, so a
// report whose empty lists are nil (which JSON writes as null) does not
// validate. IDs are UUID strings, times RFC 3339 strings, durations strings
// such as "26h30m0s" (anything time.ParseDuration reads), and the kind of an
// agreement is one of SLA, OLA and UC.
func Schema() ([]byte, error) {
	g := schema.Generator{Map: schemaOfType, Docs: schema.Docs{Types: typeDocs, Fields: fieldDocs, Else: kindField},
		Edit: describeNullable}
	return g.Document(&Report{}, SchemaURL, "Service-level report",
		"How the support chain and each supplier met their agreements in a period (SL-2, SL-4, SL-6): "+
			"counts, compliance against the objective, working-time durations, backlog, trend and the service credits owed.")
}

var (
	durationType = reflect.TypeFor[Duration]()
	kindType     = reflect.TypeFor[sla.Kind]()
)

// schemaOfType gives the schema of the types whose JSON is not what their Go
// kind suggests, beyond schema.Common's: a Duration is an int64 that encodes
// as a string. Each call returns a new schema, as the reflector changes the
// one it is given.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case durationType:
		return &jsonschema.Schema{Type: "string", Pattern: schema.DurationPattern}
	case kindType:
		return &jsonschema.Schema{Type: "string", Enum: []any{sla.KindSLA, sla.KindOLA, sla.KindUC}}
	}
	return nil
}

// typeDocs and fieldDocs are the descriptions in the schema. They are
// written here rather than read from the doc comments, which the reflector
// could only find in the source files at run time.
var (
	typeDocs = map[reflect.Type]string{
		reflect.TypeFor[Period]():           "The half-open interval [from, to).",
		reflect.TypeFor[Figures]():          "The numbers of one group of tickets in the period.",
		reflect.TypeFor[Backlog]():          "The tickets open (neither resolved nor ended) at the end of the period, by calendar age since registration.",
		reflect.TypeFor[AgeBucket]():        "The open tickets at least over old and younger than the next bucket's over.",
		reflect.TypeFor[MetricFigures]():    "One metric of one agreement over a group of tickets. A ticket counts toward compliance in the period in which its clock is decided: when it breaches, or when it stops in a resolved state.",
		reflect.TypeFor[AgreementFigures](): "An agreement's metrics over all the tickets it measured, and the credit it owes.",
		reflect.TypeFor[Credit]():           "What the provider owes for the period (SL-4).",
		reflect.TypeFor[Group]():            "The figures of one key of a breakdown.",
		reflect.TypeFor[TrendPoint]():       "The summary of one period of the trend.",
		reflect.TypeFor[MetricPoint]():      "One agreement metric's compliance in a trend period.",
		reflect.TypeFor[Requests]():         "The figures of the orders placed from the catalogue in the period; each agreement for requests is in agreements, each supplier's tasks in its group of suppliers.",
		reflect.TypeFor[RequestGroup]():     "The figures of one type of order or one item.",
		reflect.TypeFor[RequestFigures]():   "The orders placed, fulfilled, closed, declined and cancelled in the period, and their lead and approval times in working time.",
		reflect.TypeFor[Times]():            "Working times of some orders; mean, median and p90 (nearest rank) are null when count is 0.",
		reflect.TypeFor[Problems]():         "The figures of problems, known errors and incidents resolved by a workaround in the period (PM-1, PM-2), in total and per organisation.",
		reflect.TypeFor[ProblemGroup]():     "The problem figures of one organisation, the desk or a supplier.",
		reflect.TypeFor[ProblemFigures]():   "Problems opened, resolved and open, known errors without a permanent fix, and incidents resolved by a workaround.",
	}
	fieldDocs = map[reflect.Type]map[string]string{
		reflect.TypeFor[Report](): {
			"Period":     "The period reported.",
			"Total":      "Every ticket of the delivery.",
			"Agreements": "One entry per agreement measured, in the order they were given.",
			"Priorities": "Total broken down by priority.",
			"Suppliers":  "Total broken down by supplier: the tickets each held, with only its own agreements' metrics.",
			"Categories": "Total broken down by category.",
			"Groups":     "Total broken down by the groups of the organisations the report was asked to break down (its reader's own, and a desk's suppliers'): the tickets each held, with only its organisation's agreements' metrics. Absent when no such group held a ticket.",
			"Trend":      "The previous periods, oldest first, then this one.",
			"Requests":   "The figures of the orders placed from the catalogue; absent when no order mattered to the period.",
			"Problems":   "The figures of problems, known errors and incidents resolved by a workaround; absent when the report was not asked for them.",
			"Zone":       "The IANA name of the time zone of the period's calendar, such as Europe/Stockholm; the times are in it. Absent for a fixed offset.",
			"Partial":    "Present and true when the period had not ended when the report was made: the figures are those at as_of, and will change.",
			"AsOf":       "When a partial report was measured; absent otherwise.",
		},
		reflect.TypeFor[Figures](): {
			"Registered":       "Tickets registered in the period.",
			"Resolved":         "Tickets that entered a resolved state in the period (the last time, for one that did more than once).",
			"Closed":           "Tickets closed in the period.",
			"Cancelled":        "Tickets cancelled in the period.",
			"FirstContact":     "Of the tickets resolved in the period, those the desk resolved without delegating (SD-3).",
			"FirstContactRate": "first_contact / resolved, a fraction, and null when none was resolved: no ticket, no figure.",
			"Reassignments":    "Delegations after the first, of the tickets resolved in the period.",
			"PingPong":         "Delegations to an organisation that had held the ticket before (SD-7), of the tickets resolved in the period.",
			"Moves":            "Changes from one group to another inside the holding organisation, of the tickets resolved in the period: not re-assignments, which are between organisations.",
			"Reopened":         "Tickets resolved in the period that were reopened at least once.",
			"ReopenRate":       "reopened / resolved, a fraction, and null when none was resolved.",
			"Metrics":          "One entry per agreement metric that measured a ticket of the group.",
		},
		reflect.TypeFor[AgeBucket](): {
			"Over":  "The bucket's lower bound in calendar time.",
			"Count": "Open tickets in the bucket.",
		},
		reflect.TypeFor[MetricFigures](): {
			"Agreement":  "The agreement's name.",
			"Provider":   "The organisation that provides the agreement.",
			"Metric":     "What the target measures, such as response, resolution or update.",
			"Met":        "Tickets whose clock was decided as met in the period.",
			"Breached":   "Tickets whose clock was decided as breached in the period.",
			"Compliance": "met / (met + breached), and null when none was decided: no ticket, no figure.",
			"Objective":  "The share of tickets that must meet the target, such as 0.95.",
			"Shortfall":  "objective - compliance when positive, else 0 (also when compliance is null).",
			"Stopped":    "Clocks that stopped in the period, met or breached; mean, median and p90 describe them.",
			"Mean":       "Mean working time of the clocks that stopped, and null when none stopped.",
			"Median":     "Median working time of the clocks that stopped, and null when none stopped.",
			"P90":        "90th percentile of the working time of the clocks that stopped, and null when none stopped.",
			"Missed":     "For an update metric, the update intervals that overran in the period.",
		},
		reflect.TypeFor[AgreementFigures](): {
			"Agreement":    "The agreement's name.",
			"Provider":     "The desk for an SLA, the supplier for a UC or OLA.",
			"Consumer":     "The customer for an SLA, the desk for a UC or OLA.",
			"ProviderName": "The provider's display name; absent when the report was given none.",
			"ConsumerName": "The consumer's display name; absent when the report was given none.",
			"Objective":    "The share of tickets that must meet each target, such as 0.95.",
			"Credit":       "Present when the agreement has a credit rule.",
		},
		reflect.TypeFor[Credit](): {
			"Percent":  "Percentage of the monthly fee credited, after the cap.",
			"Amount":   "The credit in minor units of the currency (cents, öre), so that money is never a float.",
			"Currency": "ISO 4217 code, such as SEK.",
		},
		reflect.TypeFor[Group](): {
			"Key":          "A priority (P2), a supplier's ID, a category (empty for none), or a group's ID.",
			"Name":         "The display name of the key, when it has one.",
			"Organisation": "The organisation of a group of groups; absent in the other breakdowns.",
		},
		reflect.TypeFor[Requests](): {
			"Calendar": "The name of the calendar whose working time the lead and approval times are; absent when they are calendar time.",
			"Types":    "By type of order (A, B, C), in that order.",
			"Items":    "By item ordered, by name.",
		},
		reflect.TypeFor[RequestGroup](): {
			"Key":  "The type of order, or the item's ID.",
			"Name": "The item's name, when it has one.",
		},
		reflect.TypeFor[RequestFigures](): {
			"LeadTime":     "From placing to fulfilment, of the orders fulfilled in the period.",
			"ApprovalTime": "From placing to the approvers' decision (approved, declined or expired), of the approvals decided in the period.",
		},
		reflect.TypeFor[Problems](): {
			"Organisations": "Per organisation with a figure: first the suppliers in the order of suppliers, then the others by name.",
		},
		reflect.TypeFor[ProblemGroup](): {
			"Organisation": "The organisation's ID.",
			"Name":         "Its display name, when the report was given one.",
		},
		reflect.TypeFor[ProblemFigures](): {
			"Opened":             "Problems opened in the period; for an organisation, those whose investigation it held before the period's end.",
			"Resolved":           "Problems resolved in the period; for an organisation, those it held just before their resolution.",
			"Open":               "Problems open at the end of the period; for an organisation, those it held then.",
			"KnownErrorsUnfixed": "Known errors created before the end of the period whose permanent fix was not released and that were not retired by then; for an organisation, those it recorded.",
			"IncidentsResolved":  "Incidents resolved in the period; for an organisation, those it held when it resolved them.",
			"ByWorkaround":       "Of incidents_resolved, those resolved by a workaround.",
			"WorkaroundShare":    "by_workaround / incidents_resolved, a fraction, and null when no incident was resolved.",
		},
		reflect.TypeFor[MetricPoint](): {
			"Compliance": "met / (met + breached), and null when none was decided.",
		},
		reflect.TypeFor[TrendPoint](): {
			"Registered": "Tickets registered in the period.",
			"Resolved":   "Tickets resolved in the period.",
			"Backlog":    "Tickets open at the end of the period.",
		},
	}
)

// describeNullable moves the description of a nullable property, which the
// reflector puts on the first of its oneOf schemas (the value's), up to the
// property, where readers and tools look for it.
func describeNullable(root *jsonschema.Schema) {
	for _, def := range root.Definitions {
		if def.Properties == nil {
			continue
		}
		for p := def.Properties.Oldest(); p != nil; p = p.Next() {
			if s := p.Value; len(s.OneOf) > 0 && s.Description == "" {
				s.Description, s.OneOf[0].Description = s.OneOf[0].Description, ""
			}
		}
	}
}

// kindField describes a field of type sla.Kind, wherever it stands.
func kindField(t reflect.Type, field string) string {
	if f, ok := t.FieldByName(field); ok && f.Type == kindType {
		return "Which link of the support chain the agreement covers (SL-1): SLA (desk to customer), OLA (internal unit) or UC (external supplier)."
	}
	return ""
}
