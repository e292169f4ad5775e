package cmdb

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
)

// Record kinds of imports and the prefix of their numbers.
const (
	// KindImport is the kind of import records and of their events.
	KindImport = "cmdb.import"
	// KindImportChunk is the kind of the records that keep an import's
	// file, a chunk each, so that its apply reads the very bytes its dry
	// run read.
	KindImportChunk = "cmdb.import.chunk"
	// KindImportReport is the kind of the records that keep an import's
	// discrepancy report, a page each.
	KindImportReport = "cmdb.import.report"
	// ImportNumberPrefix begins every import's number, as in IMP0000007.
	ImportNumberPrefix = "IMP"
)

// Limits of an import.
const (
	// MaxImportSize is the largest file an import reads, in bytes: some
	// two million rows of a typical inventory.
	MaxImportSize = 256 << 20
	// MaxImportRows is the most rows below the header an import reads,
	// which bounds what a reconciliation holds (see reconciler).
	MaxImportRows = 2_000_000
	// MaxImportColumns is the most columns an import maps.
	MaxImportColumns = 256
)

// ImportSpec says how to read a supplier's inventory into the CMDB
// (CM-3): which desk's items of which class, whose inventory it is, and
// which column of the file fills which field.
type ImportSpec struct {
	// Desk is the desk whose CMDB the inventory goes into: zero for a
	// desk's agent (their own); a supplier's agent names a desk it works
	// with.
	Desk itsm.ID
	// Supplier is the organisation whose inventory the file is: its
	// items are those the file is compared with, and those it creates
	// name it as their supplier. Zero means the actor's organisation for
	// a supplier's agent, and the desk's own items (no supplier) for a
	// desk's agent, who may name any supplier working with the desk. A
	// supplier imports only its own inventory.
	Supplier itsm.ID
	// Class is the class of every item of the file.
	Class string
	// Columns maps a column of the file, by its header, to the field it
	// fills: FieldName, FieldState, FieldObjectOwner or an attribute of
	// the class (by its name, or as "attributes.<name>"). Columns not
	// listed are ignored. The columns must hold every attribute of one of
	// the class's keys, and every required attribute.
	Columns map[string]string
	// Options say how to read the file; the zero value detects its
	// format, encoding and delimiter.
	Options sheet.Options
	// FileName is the file's name as the supplier sent it, for people.
	FileName string
}

// ImportOptions are the sheet.Options of an import, as it keeps them.
type ImportOptions struct {
	Format     sheet.Format `json:"format,omitempty"`
	Sheet      string       `json:"sheet,omitempty"`
	Comma      string       `json:"comma,omitempty"`
	MaxCell    int          `json:"max_cell,omitempty"`
	MaxColumns int          `json:"max_columns,omitempty"`
}

func importOptions(o sheet.Options) ImportOptions {
	out := ImportOptions{Format: o.Format, Sheet: o.Sheet, MaxCell: o.MaxCell, MaxColumns: o.MaxColumns}
	if o.Comma != 0 {
		out.Comma = string(o.Comma)
	}
	return out
}

func (o ImportOptions) sheet() sheet.Options {
	out := sheet.Options{Format: o.Format, Sheet: o.Sheet, MaxCell: o.MaxCell, MaxColumns: o.MaxColumns}
	if o.Comma != "" {
		out.Comma, _ = utf8.DecodeRuneInString(o.Comma)
	}
	return out
}

// ImportState is where an import is.
type ImportState string

// The states of an import: a dry run, then applied, stale or discarded,
// each final.
const (
	// ImportStateDryRun: the report is ready and nothing is changed yet.
	ImportStateDryRun ImportState = "dry_run"
	// ImportStateApplied: the changes were made.
	ImportStateApplied ImportState = "applied"
	// ImportStateStale: an apply found that the CMDB changed since the
	// dry run in a way that changes its outcome, and made no change.
	ImportStateStale ImportState = "stale"
	// ImportStateDiscarded: it will not be applied.
	ImportStateDiscarded ImportState = "discarded"
)

// Counts are how many discrepancies of each kind a report holds.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Refused   int `json:"refused"`
	Missing   int `json:"missing"`
}

func (c *Counts) add(k DiscrepancyKind) {
	switch k {
	case DiscrepancyCreated:
		c.Created++
	case DiscrepancyUpdated:
		c.Updated++
	case DiscrepancyUnchanged:
		c.Unchanged++
	case DiscrepancyRefused:
		c.Refused++
	case DiscrepancyMissing:
		c.Missing++
	}
}

// Import is one import of a supplier's inventory (CM-3): its file, kept
// as it came, and the discrepancy report of its dry run (ImportReport).
type Import struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Desk, Supplier and Class are the spec's: the items compared are the
	// desk's items of the class whose supplier is Supplier (zero: the
	// desk's own).
	Desk     itsm.ID           `json:"desk"`
	Supplier itsm.ID           `json:"supplier,omitzero"`
	Class    string            `json:"class"`
	FileName string            `json:"file_name,omitempty"`
	Columns  map[string]string `json:"columns"`
	Options  ImportOptions     `json:"options"`
	// Format and Encoding are what the file was read as: "csv" or "xlsx";
	// "utf-8", "windows-1252" or "xlsx".
	Format   string `json:"format"`
	Encoding string `json:"encoding"`
	// Size is the file's length in bytes and Digest its SHA-256,
	// "sha256:" and hex; Chunks the records it is kept in.
	Size   int64  `json:"size"`
	Digest string `json:"digest"`
	Chunks int    `json:"chunks"`
	// Rows is how many rows below the header the file has, blank ones
	// aside: one discrepancy each in the report, before the missing.
	Rows   int    `json:"rows"`
	Counts Counts `json:"counts"`
	// Pages is how many records the report is kept in.
	Pages int `json:"pages"`
	// Position is the event log's last sequence number when the dry run
	// began: the CMDB it compared with is at least that recent.
	Position int64       `json:"position"`
	State    ImportState `json:"state"`
	// Reason says why an import went stale, or was discarded.
	Reason string `json:"reason,omitempty"`
	// By is who ran the dry run; AppliedBy who applied it, at Applied.
	By        itsm.Actor  `json:"by"`
	AppliedBy *itsm.Actor `json:"applied_by,omitempty"`
	Applied   time.Time   `json:"applied,omitzero"`
	Created   time.Time   `json:"created"`
	Updated   time.Time   `json:"updated"`
	Version   int64       `json:"version"`
}

// responsible is the organisation whose inventory imp is: its supplier,
// or the desk for its own items.
func (imp *Import) responsible() itsm.ID {
	if imp.Supplier.IsZero() {
		return imp.Desk
	}
	return imp.Supplier
}

// Index names of import records, besides IndexNumber: IndexDesk holds the
// desk and IndexSupplier "desk responsible", as items' do.
const (
	// IndexPart holds, in chunk and page records, "import seq" with the
	// sequence as itsm.IndexInt writes it, so that an import's chunks (or
	// pages) are one prefix, in order, and each is one equality read.
	IndexPart = "part"
)

func (imp *Import) record(*Model) (itsm.Record, error) {
	c := *imp
	c.Version = 0
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode import %s", imp.Number)
	}
	return itsm.Record{Kind: KindImport, ID: imp.ID, Body: body, Unique: map[string]string{IndexNumber: imp.Number.String()},
		Index: map[string][]string{
			IndexDesk:     {imp.Desk.String()},
			IndexSupplier: {deskValue(imp.Desk, imp.responsible().String())},
		}}, nil
}

func loadImport(tx itsm.ReadTx, id itsm.ID) (*Import, error) {
	imp, v, err := itsm.LoadRecord[Import](tx, KindImport, id, "import")
	if err == nil {
		imp.Version = v
	}
	return imp, err
}

// DiscrepancyKind is what reconciling a row found, or that the file lacks
// an item.
type DiscrepancyKind string

// The kinds of discrepancy.
const (
	// DiscrepancyCreated: the row names no item the CMDB has; applying
	// creates it.
	DiscrepancyCreated DiscrepancyKind = "created"
	// DiscrepancyUpdated: the row's item differs from it; applying
	// changes the fields Changes names.
	DiscrepancyUpdated DiscrepancyKind = "updated"
	// DiscrepancyUnchanged: the row's item is as the row says.
	DiscrepancyUnchanged DiscrepancyKind = "unchanged"
	// DiscrepancyRefused: the row cannot be applied (Reason, Column,
	// Message); applying leaves it out.
	DiscrepancyRefused DiscrepancyKind = "refused"
	// DiscrepancyMissing: an item of the class, desk and supplier that
	// the file does not list. Applying leaves it as it is: the supplier
	// and the customer decide whether it is gone.
	DiscrepancyMissing DiscrepancyKind = "missing"
)

// Refusal is why a row is refused.
type Refusal string

// The reasons a row is refused.
const (
	// RefusedInvalid: a value is not valid for its field (Column says
	// which), or the item it makes would not be.
	RefusedInvalid Refusal = "invalid"
	// RefusedRequired: a required attribute has no value.
	RefusedRequired Refusal = "required"
	// RefusedNoKey: the row has no value of any of the class's keys, so
	// it identifies no item and cannot be told from others.
	RefusedNoKey Refusal = "no_key"
	// RefusedDuplicate: an earlier row of the file names the same item or
	// key value.
	RefusedDuplicate Refusal = "duplicate"
	// RefusedConflict: the row's keys name two items, or it gives an item
	// a key value another item holds.
	RefusedConflict Refusal = "conflict"
	// RefusedSupplier: the row's item is another organisation's
	// responsibility; an import does not move an item to its supplier.
	RefusedSupplier Refusal = "supplier"
)

// Discrepancy is one line of an import's report: a row of its file and
// what applying it does, or an item the file does not list.
type Discrepancy struct {
	Kind DiscrepancyKind `json:"kind"`
	// Row is the row of the file as a spreadsheet numbers it (the header
	// is usually 1); 0 for a missing item.
	Row int `json:"row,omitempty"`
	// Key is the key that identifies the item: "host_name=app01".
	Key string `json:"key,omitempty"`
	// Item, Number and Name are the item's, when the row identifies one;
	// a created item's once the import is applied.
	Item   itsm.ID     `json:"item,omitzero"`
	Number itsm.Number `json:"number,omitzero"`
	Name   string      `json:"name,omitempty"`
	// Changes are the fields applying sets, with the values they had
	// (Old, none for a new item) and will have (New): "name", "state",
	// "object_owner", "attributes.<name>".
	Changes []FieldChange `json:"changes,omitempty"`
	// Reason, Column (1-based; 0 the whole row), Header and Message say
	// why a row is refused.
	Reason  Refusal `json:"reason,omitempty"`
	Column  int     `json:"column,omitempty"`
	Header  string  `json:"header,omitempty"`
	Message string  `json:"message,omitempty"`
}

// FieldChange is a field of an item that an import sets.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// equal reports whether d and o say the same: the apply's comparison with
// the dry run.
func (d Discrepancy) equal(o Discrepancy) bool {
	return d.Kind == o.Kind && d.Row == o.Row && d.Key == o.Key && d.Item == o.Item && d.Number == o.Number && d.Name == o.Name &&
		d.Reason == o.Reason && d.Column == o.Column && d.Header == o.Header && d.Message == o.Message && slices.Equal(d.Changes, o.Changes)
}

// size is about how many bytes d takes in a report page.
func (d *Discrepancy) size() int {
	n := 160 + len(d.Key) + len(d.Name) + len(d.Header) + len(d.Message)
	for _, c := range d.Changes {
		n += 32 + len(c.Field) + len(c.Old) + len(c.New)
	}
	return n
}

// String says what d is in a few words, for an apply that went stale.
func (d Discrepancy) String() string {
	var b strings.Builder
	b.WriteString(string(d.Kind))
	if d.Key != "" {
		b.WriteString(" ")
		b.WriteString(d.Key)
	}
	if !d.Number.IsZero() {
		b.WriteString(" (")
		b.WriteString(d.Number.String())
		b.WriteString(")")
	}
	for i, c := range d.Changes {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(c.Field)
		if d.Kind == DiscrepancyUpdated {
			b.WriteString(" ")
			b.WriteString(itsm.Printable(c.Old, 40))
			b.WriteString(" → ")
			b.WriteString(itsm.Printable(c.New, 40))
		}
	}
	if d.Message != "" {
		b.WriteString(": ")
		b.WriteString(d.Message)
	}
	return b.String()
}

// ReportPage is a page of an import's discrepancy report.
type ReportPage struct {
	Discrepancies []Discrepancy `json:"discrepancies"`
	// Next continues the report; "" at its end.
	Next itsm.Cursor `json:"next,omitempty"`
}

// ImportFilter selects the imports Imports lists, of one desk, newest
// first.
type ImportFilter struct {
	// Desk is the desk whose imports are listed: zero means the actor's
	// own, for a desk's agent; a supplier or customer names a desk it
	// works with.
	Desk itsm.ID
	// Supplier selects the imports of one supplier's inventory; a
	// supplier lists only its own.
	Supplier itsm.ID
	Limit    int
	After    itsm.Cursor
}

// ImportsPage is one page of a list of imports.
type ImportsPage struct {
	Imports []*Import   `json:"imports"`
	Next    itsm.Cursor `json:"next,omitempty"`
}

// roundTripJSON is d encoded and decoded again.
func roundTripJSON(d Discrepancy) (Discrepancy, error) {
	var out Discrepancy
	b, err := json.Marshal(d)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	return out, err
}
