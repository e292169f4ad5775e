package report

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// SchemaURL is the $id of the JSON Schema of a Report. An $id names the
// schema rather than saying where it is served, so it stays the same
// whichever server publishes the file.
const SchemaURL = "https://spoc-itsm.github.io/schemas/report.json"

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
	if err := checkSchemaDocs(); err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		// The root is the Report object itself rather than a $ref to it, and
		// its $id is SchemaURL rather than one derived from the Go package.
		ExpandedStruct: true,
		Anonymous:      true,
		Mapper:         schemaOfType,
		LookupComment:  schemaComment,
	}
	s := r.Reflect(&Report{})
	s.ID = jsonschema.ID(SchemaURL)
	s.Title = "Service-level report"
	s.Description = "How the support chain and each supplier met their agreements in a period (SL-2, SL-4, SL-6): " +
		"counts, compliance against the objective, working-time durations, backlog, trend and the service credits owed."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "schema of the report")
	}
	return append(b, '\n'), nil
}

// Patterns of the types that encode as strings of a fixed grammar. Schema
// patterns are ECMA-262 regular expressions; these use only what RE2 (Go's
// regexp) shares with it, so Go code can check them too.
const (
	// idPattern is what itsm.ParseID accepts: the hyphenated form, hex
	// digits in either case (itsm.ID writes lower case).
	idPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
	// durationPattern is what time.ParseDuration accepts, such as "1h30m",
	// "26h30m0s" (what Duration.String writes), "1.5h" or "300ms".
	durationPattern = `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
)

var (
	idType       = reflect.TypeFor[itsm.ID]()
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[Duration]()
	kindType     = reflect.TypeFor[sla.Kind]()
)

// schemaOfType gives the schema of the types whose JSON is not what their Go
// kind suggests: an itsm.ID is a [16]byte and a Duration an int64, and both
// encode as strings. The reflector changes the schema it is given (it sets
// descriptions), so each call returns a new one.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case idType:
		return &jsonschema.Schema{Type: "string", Format: "uuid", Pattern: idPattern}
	case timeType:
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	case durationType:
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern}
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
	}
	fieldDocs = map[reflect.Type]map[string]string{
		reflect.TypeFor[Report](): {
			"Period":     "The period reported.",
			"Total":      "Every ticket of the delivery.",
			"Agreements": "One entry per agreement measured, in the order they were given.",
			"Priorities": "Total broken down by priority.",
			"Suppliers":  "Total broken down by supplier: the tickets each held, with only its own agreements' metrics.",
			"Categories": "Total broken down by category.",
			"Trend":      "The previous periods, oldest first, then this one.",
		},
		reflect.TypeFor[Figures](): {
			"Registered":       "Tickets registered in the period.",
			"Resolved":         "Tickets that entered a resolved state in the period (the last time, for one that did more than once).",
			"Closed":           "Tickets closed in the period.",
			"Cancelled":        "Tickets cancelled in the period.",
			"FirstContact":     "Of the tickets resolved in the period, those the desk resolved without delegating (SD-3).",
			"FirstContactRate": "first_contact / resolved, a fraction.",
			"Reassignments":    "Delegations after the first, of the tickets resolved in the period.",
			"PingPong":         "Delegations to an organisation that had held the ticket before (SD-7), of the tickets resolved in the period.",
			"Reopened":         "Tickets resolved in the period that were reopened at least once.",
			"ReopenRate":       "reopened / resolved, a fraction.",
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
			"Compliance": "met / (met + breached), and 1 when none was decided.",
			"Objective":  "The share of tickets that must meet the target, such as 0.95.",
			"Shortfall":  "objective - compliance when positive, else 0.",
			"Stopped":    "Clocks that stopped in the period, met or breached; mean, median and p90 describe them.",
			"Mean":       "Mean working time of the clocks that stopped.",
			"Median":     "Median working time of the clocks that stopped.",
			"P90":        "90th percentile of the working time of the clocks that stopped.",
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
			"Key":  "A priority (P2), a supplier's ID, or a category (empty for none).",
			"Name": "The display name of the key, when it has one.",
		},
		reflect.TypeFor[TrendPoint](): {
			"Registered": "Tickets registered in the period.",
			"Resolved":   "Tickets resolved in the period.",
			"Backlog":    "Tickets open at the end of the period.",
		},
	}
)

// schemaComment looks up the description of a type or of one of its fields.
func schemaComment(t reflect.Type, field string) string {
	if field == "" {
		return typeDocs[t]
	}
	if d := fieldDocs[t][field]; d != "" {
		return d
	}
	if f, ok := t.FieldByName(field); ok && f.Type == kindType {
		return "Which link of the support chain the agreement covers (SL-1): SLA (desk to customer), OLA (internal unit) or UC (external supplier)."
	}
	return ""
}

// checkSchemaDocs reports a fieldDocs entry that names no field, so that a
// renamed field cannot silently lose its description.
func checkSchemaDocs() error {
	for t, fields := range fieldDocs {
		for name := range fields {
			if _, ok := t.FieldByName(name); !ok {
				return itsm.Errorf(itsm.CodeInternal, "schema description of %s.%s: no such field", t.Name(), name)
			}
		}
	}
	return nil
}
