package cmdb

import (
	"maps"
	"reflect"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// eventDoc is the title and description of an item or import event's
// schema.
func eventDoc(eventType string) (title, description string, ok bool) {
	if title, description, ok = importEventDocs.Of(eventType); ok {
		return title, description, ok
	}
	return eventDocs.Of(eventType)
}

// eventFieldDocs describes the fields of item and import events.
func eventFieldDocs() map[reflect.Type]map[string]string {
	out := maps.Clone(fieldDocs)
	maps.Copy(out, importFieldDocs)
	return out
}

var importEventDocs = schema.EventDocs{
	"cmdb.import.dry_run": {"Import dry-run",
		"An agent of the desk, or of the supplier whose inventory it is, sent a file of items of one class; it was kept as it came and " +
			"reconciled with the desk's CMDB without changing it: the discrepancy report (created, updated, unchanged, refused rows and " +
			"missing items, counted here) is ready for the desk, the supplier and the desk's customers (CM-3). It is the first event of every import."},
	"cmdb.import.applied": {"Import applied",
		"The import's changes were made in one transaction, the CMDB having given the dry run's outcome again; each item event names the import. " +
			"Missing items were left as they are."},
	"cmdb.import.stale": {"Import went stale",
		"An apply found the CMDB changed since the dry run in a way that changes its outcome, and changed nothing; the file is to be dry-run again."},
	"cmdb.import.discarded": {"Import discarded",
		"The import will not be applied."},
}

var subjectDocs = map[string]string{
	"Number":   "The import's number.",
	"Desk":     "The desk whose CMDB the import is of.",
	"Supplier": "The supplier whose inventory the file is; absent for the desk's own items.",
	"Class":    "The class of the file's items.",
}

var countsDocs = "How many discrepancies of each kind the report holds."

var importFieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[ImportSubject](): subjectDocs,
	reflect.TypeFor[ImportDryRun](): {
		"FileName": "The file's name as it was sent.",
		"Columns":  "Which field each column of the file fills, by the column's header: name, state, object_owner or attributes.<name>.",
		"Options":  "How the file was to be read.",
		"Format":   "What the file was read as.",
		"Encoding": "The text encoding the file was read in: utf-8, windows-1252, or xlsx for a workbook.",
		"Size":     "The file's length in bytes.",
		"Digest":   "The file's SHA-256, as sha256: and hex.",
		"Chunks":   "How many records keep the file.",
		"Rows":     "How many rows below the header the file has, blank ones aside.",
		"Counts":   countsDocs,
		"Pages":    "How many records keep the report.",
		"Position": "The event log's last sequence number when the dry run began.",
	},
	reflect.TypeFor[ImportApplied](): {"Counts": countsDocs, "Pages": "How many records keep the report."},
	reflect.TypeFor[ImportWentStale](): {
		"Row":    "The first row whose outcome differs; absent when it is an item the file does not list.",
		"Reason": "What differs.",
	},
	reflect.TypeFor[ImportDiscarded](): {"Reason": "Why, if the actor said."},
	reflect.TypeFor[ImportOptions](): {
		"Format":     "The file's format, if the sender said; otherwise detected.",
		"Sheet":      "The workbook's sheet read; the first when absent.",
		"Comma":      "The CSV delimiter, if the sender said; otherwise detected.",
		"MaxCell":    "The longest cell read, in bytes, if not the default.",
		"MaxColumns": "The most columns read, if not the default.",
	},
	reflect.TypeFor[Counts](): {
		"Created":   "Rows that create an item.",
		"Updated":   "Rows that change an item.",
		"Unchanged": "Rows whose item is as they say.",
		"Refused":   "Rows that cannot be applied.",
		"Missing":   "Items of the class, desk and supplier the file does not list.",
	},
}
