package cmdb

import (
	"maps"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// ImportPayload is the data of one event of an import (CM-3): its dry run,
// then what became of it. The import record is the fold of its events
// (ReplayImport), as an item is of its own.
type ImportPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(imp *Import, at time.Time)
}

// ImportSubject names the import an event is about and those it concerns,
// in every import event, so that a subscriber routes the event to the
// desk, the supplier and the desk's customers without reading the import.
type ImportSubject struct {
	Number   itsm.Number `json:"number"`
	Desk     itsm.ID     `json:"desk"`
	Supplier itsm.ID     `json:"supplier,omitzero"`
	Class    string      `json:"class"`
}

// ImportDryRun: a file was read and reconciled with the CMDB without
// changing it; its discrepancy report is ready. It is the first event of
// every import.
type ImportDryRun struct {
	By
	ImportSubject
	FileName string            `json:"file_name,omitempty"`
	Columns  map[string]string `json:"columns"`
	Options  ImportOptions     `json:"options"`
	Format   string            `json:"format"`
	Encoding string            `json:"encoding"`
	Size     int64             `json:"size"`
	Digest   string            `json:"digest"`
	Chunks   int               `json:"chunks"`
	Rows     int               `json:"rows"`
	Counts   Counts            `json:"counts"`
	Pages    int               `json:"pages"`
	Position int64             `json:"position"`
}

// ImportApplied: the dry run's changes were made, all in one transaction,
// the CMDB having given the same outcome again.
type ImportApplied struct {
	By
	ImportSubject
	Counts Counts `json:"counts"`
	Pages  int    `json:"pages"`
}

// ImportWentStale: an apply found that the CMDB no longer gives the dry
// run's outcome, and changed nothing; the file is to be dry-run again.
type ImportWentStale struct {
	By
	ImportSubject
	// Row is the first row whose outcome differs; 0 when the difference
	// is an item the file does not list.
	Row    int    `json:"row,omitempty"`
	Reason string `json:"reason"`
}

// ImportDiscarded: the import will not be applied.
type ImportDiscarded struct {
	By
	ImportSubject
	Reason string `json:"reason,omitempty"`
}

// Type returns "cmdb.import.dry_run".
func (ImportDryRun) Type() string { return "cmdb.import.dry_run" }

// Type returns "cmdb.import.applied".
func (ImportApplied) Type() string { return "cmdb.import.applied" }

// Type returns "cmdb.import.stale".
func (ImportWentStale) Type() string { return "cmdb.import.stale" }

// Type returns "cmdb.import.discarded".
func (ImportDiscarded) Type() string { return "cmdb.import.discarded" }

func (e ImportDryRun) apply(imp *Import, at time.Time) {
	imp.Number, imp.Desk, imp.Supplier, imp.Class = e.Number, e.Desk, e.Supplier, e.Class
	imp.FileName, imp.Columns, imp.Options = e.FileName, maps.Clone(e.Columns), e.Options
	imp.Format, imp.Encoding, imp.Size, imp.Digest, imp.Chunks = e.Format, e.Encoding, e.Size, e.Digest, e.Chunks
	imp.Rows, imp.Counts, imp.Pages, imp.Position = e.Rows, e.Counts, e.Pages, e.Position
	imp.State, imp.By, imp.Created, imp.Updated = ImportStateDryRun, e.By.By, at, at
}

func (e ImportApplied) apply(imp *Import, at time.Time) {
	imp.State, imp.Counts, imp.Pages, imp.Updated = ImportStateApplied, e.Counts, e.Pages, at
	by := e.By.By
	imp.AppliedBy, imp.Applied = &by, at
}

func (e ImportWentStale) apply(imp *Import, at time.Time) {
	imp.State, imp.Reason, imp.Updated = ImportStateStale, e.Reason, at
}

func (e ImportDiscarded) apply(imp *Import, at time.Time) {
	imp.State, imp.Reason, imp.Updated = ImportStateDiscarded, e.Reason, at
}

// importCodec is the codec of import events.
var importCodec = itsm.NewCodec[ImportPayload](KindImport, "an import",
	ImportDryRun{}, ImportApplied{}, ImportWentStale{}, ImportDiscarded{})

// ImportPayloads returns one of each import payload type, for schemas and
// documentation.
func ImportPayloads() []ImportPayload { return importCodec.Payloads() }

// DecodeImport returns the payload of an import event.
func DecodeImport(e itsm.Event) (ImportPayload, error) { return importCodec.Decode(e) }

// ReplayImport rebuilds an import record from its events, in log order:
// everything but Version, the store's. The first must be
// cmdb.import.dry_run, and only the first.
func ReplayImport(events []itsm.Event) (*Import, error) {
	imp := new(Import)
	return itsm.Replay(importCodec, events, ImportDryRun{}.Type(), imp, &imp.ID, func(p ImportPayload, imp *Import, at time.Time) {
		p.apply(imp, at.UTC())
	})
}

// subject is what every event of imp names.
func (imp *Import) subject() ImportSubject {
	return ImportSubject{Number: imp.Number, Desk: imp.Desk, Supplier: imp.Supplier, Class: imp.Class}
}

// importEvent applies p to imp and records its event.
func (c change) importEvent(imp *Import, p ImportPayload) error {
	c.Touch(imp, imp.ID, &imp.Version)
	return itsm.Apply(c.Batch, importCodec, imp.ID, imp, ImportPayload.apply, p)
}
