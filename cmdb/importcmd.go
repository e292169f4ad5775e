package cmdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/follow"
)

// The rules of who runs and reads imports (CM-3), with the rights of
// itsm.DomainCMDB:
//
//   - an agent of the desk, with write access, imports any inventory of
//     its desk: its own items or a supplier's;
//   - an agent of a supplier working with the desk, with write access,
//     imports its own inventory: the items it is responsible for;
//   - whoever may run an import applies or discards it;
//   - the report, and the import itself, are read with the right to
//     report by the desk, by the supplier whose inventory it is, and by
//     the desk's customers that work with it, so that discrepancies reach
//     the customer and the responsible supplier;
//   - to anyone else an import does not exist.

// runsImport reports whether an agent of org, given write access, runs an
// import of supplier's inventory (zero: the desk's own) in desk's CMDB.
func (s *Service) runsImport(org itsm.Organisation, desk, supplier itsm.ID) bool {
	return org.ID == desk || org.Role == itsm.OrgSupplier && !supplier.IsZero() && org.ID == supplier && s.reads(org, desk)
}

// readsImport reports whether org, given the right to report, reads an
// import and its report.
func (s *Service) readsImport(org itsm.Organisation, sub ImportSubject) bool {
	switch {
	case org.ID == sub.Desk:
		return true
	case org.Role == itsm.OrgSupplier:
		return !sub.Supplier.IsZero() && org.ID == sub.Supplier && s.reads(org, sub.Desk)
	case org.Role == itsm.OrgCustomer:
		return s.reads(org, sub.Desk)
	}
	return false
}

// ImportEventVisible reports whether an agent of actor's organisation may
// receive event e of an import, by webhook or in a feed: as it may read
// the import's report (the right to report in the CMDB, and the import's
// desk, supplier or a customer working with the desk). Events of other
// kinds are not its to judge: false.
func (s *Service) ImportEventVisible(ctx context.Context, actor itsm.Actor, e itsm.Event) (bool, error) {
	if e.Kind != KindImport {
		return false, nil
	}
	p, err := importCodec.Decode(e)
	if err != nil {
		return false, err
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessReport)
	if itsm.IsCode(err, itsm.CodeForbidden) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.readsImport(org, subjectOf(p)), nil
}

// subjectOf is the ImportSubject every import payload embeds.
func subjectOf(p ImportPayload) ImportSubject {
	switch p := p.(type) {
	case ImportDryRun:
		return p.ImportSubject
	case ImportApplied:
		return p.ImportSubject
	case ImportWentStale:
		return p.ImportSubject
	case ImportDiscarded:
		return p.ImportSubject
	}
	return ImportSubject{}
}

// prepareImport checks spec as an agent of org gives it, before the file
// is read, and returns the import it describes: the desk, the supplier,
// the class and the columns' fields (each field once, one of the class's
// keys whole and every required attribute among them).
func (s *Service) prepareImport(ctx context.Context, org itsm.Organisation, spec ImportSpec) (*Import, error) {
	desk, err := s.deskFor(ctx, org, spec.Desk, "import")
	if err != nil {
		return nil, err
	}
	supplier := spec.Supplier
	switch {
	case org.Role == itsm.OrgSupplier && supplier.IsZero():
		supplier = org.ID
	case org.Role == itsm.OrgSupplier && supplier != org.ID:
		return nil, itsm.Errorf(itsm.CodeForbidden, "import: supplier %s imports its own inventory, not that of %s", org.ID, supplier)
	case org.Role == itsm.OrgDesk:
		if err := s.checkSupplier(ctx, desk, supplier); err != nil {
			return nil, err
		}
	}
	class, err := s.cfg.Model.class(spec.Class)
	if err != nil {
		return nil, err
	}
	if class.Group {
		return nil, itsm.Errorf(itsm.CodeInvalid, "import: class %s is a redundancy group, whose items say how many members must be up: they are registered one by one", class.Name)
	}
	switch {
	case len(spec.Columns) == 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "import: the columns map no column of the file to a field")
	case len(spec.Columns) > MaxImportColumns:
		return nil, itsm.Errorf(itsm.CodeInvalid, "import: %d columns mapped, more than %d", len(spec.Columns), MaxImportColumns)
	}
	cols := make(map[string]string, len(spec.Columns))
	by := map[string]string{} // field -> header
	attrs := map[string]bool{}
	for _, h := range sortedKeys(spec.Columns) {
		header := strings.TrimSpace(h)
		if header == "" {
			return nil, itsm.Errorf(itsm.CodeInvalid, "import: a column mapped has no name")
		}
		if err := itsm.CheckLabel("import: column", header); err != nil {
			return nil, err
		}
		f, err := class.importField(strings.TrimSpace(spec.Columns[h]))
		if err != nil {
			return nil, err
		}
		name := f.label()
		if other, dup := by[name]; dup {
			return nil, itsm.Errorf(itsm.CodeInvalid, "import: columns %q and %q both fill %s", other, header, name)
		}
		if _, dup := cols[header]; dup {
			return nil, itsm.Errorf(itsm.CodeInvalid, "import: column %q is mapped twice", header)
		}
		by[name], cols[header] = header, name
		if f.kind == fieldAttribute {
			attrs[f.attr.Name] = true
		}
	}
	for _, a := range class.Attributes {
		if a.Required && !attrs[a.Name] {
			return nil, itsm.Errorf(itsm.CodeInvalid, "import: class %s requires attribute %s, which no column fills", class.Name, a.Name)
		}
	}
	whole := func(k []string) bool {
		for _, a := range k {
			if !attrs[a] {
				return false
			}
		}
		return true
	}
	var keyed bool
	for _, k := range class.Keys {
		keyed = keyed || whole(k)
	}
	if !keyed {
		return nil, itsm.Errorf(itsm.CodeInvalid, "import: no key of class %s is filled whole by the columns, so no row could be told from another: map %s",
			class.Name, keyNames(class.Keys))
	}
	name := spec.FileName
	if err := itsm.TrimLabel("import: file name", &name, false); err != nil {
		return nil, err
	}
	return &Import{Desk: desk, Supplier: supplier, Class: class.Name, FileName: name, Columns: cols, Options: importOptions(spec.Options)}, nil
}

// Sizes of the dry run's steps: the rows one read transaction reconciles,
// at most, and about how many bytes of cells.
const (
	rowsPerRead  = 500
	bytesPerRead = 1 << 20
)

// StartImport reads a supplier's inventory (CM-3) and runs its dry run: it
// keeps the file as it came (in chunks of ChunkSize, so that ApplyImport
// reads the very same bytes) and compares every row with the CMDB,
// writing the discrepancy report as it goes (ImportReport), without
// changing an item. It returns the import, in state dry_run, with the
// counts of each kind of discrepancy; the event cmdb.import.dry_run tells
// the desk, the supplier and the desk's customers.
//
// Each row is identified by the class's keys (within the desk), and is
// created, updated (the fields the columns map; the others stay),
// unchanged or refused with its reason, column and message; then each
// item of the class, desk and supplier that the file does not list is
// reported missing. A file that cannot be read as a table refuses the
// whole import, naming the row and column at fault (a wrong encoding,
// a ragged row, a formula, an over-long cell: the supplier's export is
// to be fixed, not reconciled in part), and leaves nothing behind; so
// does a spec that cannot be applied: a column the file lacks, a field
// the class lacks, no key of the class mapped whole, a required
// attribute not mapped.
//
// The file is read once, streaming: memory does not grow with the file
// but for the reconciliation's claims (see reconciler), some tens of
// bytes a row.
func (s *Service) StartImport(ctx context.Context, actor itsm.Actor, spec ImportSpec, file io.Reader) (*Import, error) {
	org, err := s.writer(ctx, actor, "import")
	if err != nil {
		return nil, err
	}
	imp, err := s.prepareImport(ctx, org, spec)
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "import: no file")
	}
	imp.ID = itsm.NewID()
	out, err := s.dryRun(ctx, actor, imp, file)
	if err != nil {
		// The chunks and pages written so far go; a failure to remove
		// them leaves records no import refers to, and the first error
		// is the one to report.
		_ = s.dropParts(context.WithoutCancel(ctx), imp.ID)
		return nil, err
	}
	s.nudge()
	return out, nil
}

// dryRun is StartImport's work once the spec is checked.
func (s *Service) dryRun(ctx context.Context, actor itsm.Actor, imp *Import, file io.Reader) (*Import, error) {
	st := newStash(ctx, s, imp.ID)
	src := io.TeeReader(file, st)
	fail := func(err error) error {
		if st.err != nil {
			return st.err
		}
		return fileError(imp, err)
	}
	tbl, err := sheet.NewReader(src, imp.Options.sheet())
	if err != nil {
		return nil, fail(err)
	}
	defer tbl.Close()
	r, err := s.newReconciler(imp, tbl.Header())
	if err != nil {
		return nil, err
	}
	rep := &report{ctx: ctx, s: s, imp: imp.ID}
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		imp.Position, err = follow.Head(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	rows := 0
	batch := make([]sheet.Row, 0, rowsPerRead)
	for end := false; !end; {
		batch = batch[:0]
		for size := 0; len(batch) < rowsPerRead && size < bytesPerRead; {
			row, err := tbl.Next()
			if err == io.EOF {
				end = true
				break
			}
			if err != nil {
				return nil, fail(err)
			}
			if rows++; rows > MaxImportRows {
				return nil, itsm.Errorf(itsm.CodeInvalid, "import: row %d: the file has more than %d rows", row.Number, MaxImportRows)
			}
			batch = append(batch, row)
			for _, c := range row.Cells {
				size += len(c) + 16
			}
		}
		if len(batch) == 0 {
			continue
		}
		err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
			for _, row := range batch {
				d, _, err := r.row(tx, row)
				if err != nil {
					return err
				}
				rep.add(d)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := rep.flush(false); err != nil {
			return nil, err
		}
	}
	// What follows the table (XLSX: nothing; CSV: nothing but what the
	// reader had no need of) is kept too, so that the digest is the
	// file's.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fail(err)
	}
	if err := st.flush(); err != nil {
		return nil, err
	}
	for after := itsm.Cursor(""); ; {
		err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			after, err = r.missing(tx, after, rep.add)
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := rep.flush(after == ""); err != nil {
			return nil, err
		}
		if after == "" {
			break
		}
	}
	var out *Import
	err = s.write(ctx, func(c change) error {
		num, err := c.Tx().NextNumber(ImportNumberPrefix)
		if err != nil {
			return err
		}
		out = &Import{ID: imp.ID}
		sub := ImportSubject{Number: num, Desk: imp.Desk, Supplier: imp.Supplier, Class: imp.Class}
		return c.importEvent(out, ImportDryRun{By: By{By: actor}, ImportSubject: sub, FileName: imp.FileName, Columns: imp.Columns,
			Options: imp.Options, Format: formatOf(tbl.Encoding()), Encoding: tbl.Encoding(), Size: st.size, Digest: digest(st.hash),
			Chunks: st.chunks, Rows: rows, Counts: rep.counts, Pages: rep.pages, Position: imp.Position})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// formatOf is the format of a file sheet read in encoding enc.
func formatOf(enc string) string {
	if enc == string(sheet.XLSX) {
		return string(sheet.XLSX)
	}
	return string(sheet.CSV)
}

// fileError is err, from reading imp's file, as the import's refusal: its
// code and, when sheet says, the row and column at fault.
func fileError(imp *Import, err error) error {
	what := "import"
	if imp.FileName != "" {
		what = "import of " + imp.FileName
	}
	return itsm.Errorf(itsm.ErrorCode(err), "%s: %w", what, err)
}

// staleError is an apply that found another outcome than its dry run's.
type staleError struct {
	row    int
	reason string
}

func (e *staleError) Error() string { return e.reason }

// ApplyImport applies an import's dry run (CM-3), in one transaction: it
// reads the file kept, reconciles every row with the CMDB as it is now
// and, if each discrepancy is the one the dry run reported (the report
// the people concerned read), creates and updates the items, each change
// an item event that names the import, and gives the created items'
// numbers to the report. Refused rows are left out; missing items are
// left as they are, for the supplier and the customer to decide on.
//
// When the CMDB gives another outcome (someone changed an item the file
// names, or added one of the class and supplier since the dry run),
// nothing is changed: the import goes stale and the error has
// CodeConflict, wraps itsm.ErrStale and names the first row that
// differs; the file is to be dry-run again. The desk's agents and those
// of the supplier whose inventory it is apply an import; IfVersion
// applies only the version read.
func (s *Service) ApplyImport(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Import, error) {
	org, err := s.writer(ctx, actor, "apply import")
	if err != nil {
		return nil, err
	}
	var out *Import
	var stale *staleError
	err = itsm.WriteRetrying(ctx, s.cfg.Store, func(tx itsm.WriteTx) (bool, error) {
		stale = nil
		imp, err := s.runnable(tx, org, id, "apply")
		if err != nil {
			return true, err
		}
		at := s.now()
		counts, err := s.applyRows(ctx, tx, actor, imp)
		if errors.As(err, &stale) {
			return true, err
		}
		if err != nil {
			return false, err
		}
		c := change{Batch: itsm.NewBatch(tx, at, s.recordOf), s: s, source: imp.ID}
		if err := c.importEvent(imp, ImportApplied{By: By{By: actor}, ImportSubject: imp.subject(), Counts: counts, Pages: imp.Pages}); err != nil {
			return true, err
		}
		out = imp
		return false, c.Save()
	})
	if stale != nil {
		if err := s.markStale(ctx, actor, id, stale); err != nil {
			return nil, err
		}
		return nil, itsm.Errorf(itsm.CodeConflict, "apply import: the CMDB changed since the dry run, and nothing was changed: %s; dry-run the file again: %w",
			stale.reason, itsm.ErrStale)
	}
	if err != nil {
		return nil, err
	}
	s.nudge()
	return out, nil
}

// runnable loads the import id that an agent of org applies or discards:
// one it may run, in its dry run, at the version IfVersion requires.
func (s *Service) runnable(tx itsm.ReadTx, org itsm.Organisation, id itsm.ID, what string) (*Import, error) {
	imp, err := loadImport(tx, id)
	switch {
	case itsm.IsCode(err, itsm.CodeNotFound):
		return nil, itsm.Errorf(itsm.CodeNotFound, "import %s not found", id)
	case err != nil:
		return nil, err
	case !s.runsImport(org, imp.Desk, imp.Supplier):
		if s.readsImport(org, imp.subject()) {
			return nil, itsm.Errorf(itsm.CodeForbidden, "cannot %s import %s: the desk and the supplier whose inventory it is do, not %s %s", what, imp.Number, org.Role, org.ID)
		}
		return nil, itsm.Errorf(itsm.CodeNotFound, "import %s not found", id)
	}
	if err := itsm.CheckVersion("import", imp.Number.String(), imp.Version, s.expect); err != nil {
		return nil, err
	}
	if imp.State != ImportStateDryRun {
		return nil, itsm.Errorf(itsm.CodeConflict, "cannot %s import %s: it is %s", what, imp.Number, imp.State)
	}
	return imp, nil
}

// importBatch is how many rows the apply saves at a time, in its one
// transaction: what it holds of the changes it has not saved yet.
const importBatch = 500

// applyRows reconciles imp's rows in tx, compares each discrepancy with
// the dry run's and applies it, then compares the missing items; a
// *staleError on the first difference.
func (s *Service) applyRows(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, imp *Import) (Counts, error) {
	var counts Counts
	file := newChunks(tx, imp)
	tbl, err := sheet.NewReader(file, imp.Options.sheet())
	if err != nil {
		return counts, itsm.Errorf(itsm.CodeInternal, "import %s: the file kept no longer reads: %w", imp.Number, err)
	}
	defer tbl.Close()
	r, err := s.newReconciler(imp, tbl.Header())
	if err != nil {
		return counts, err
	}
	dry := &check{tx: tx, imp: imp}
	at := s.now()
	c := change{Batch: itsm.NewBatch(tx, at, s.recordOf), s: s, source: imp.ID}
	pending := 0
	reason := "applied from import " + imp.Number.String()
	compare := func(d Discrepancy) (*Discrepancy, error) {
		counts.add(d.Kind)
		want, err := dry.next()
		if err != nil {
			return nil, err
		}
		where := "row " + fmt.Sprint(d.Row)
		if d.Row == 0 {
			where = "item " + d.Number.String()
		}
		switch {
		case want == nil:
			return nil, &staleError{row: d.Row, reason: fmt.Sprintf("%s: now %s; the dry run reported nothing more", where, d)}
		case !d.equal(*want) && !roundTrip(d).equal(*want):
			return nil, &staleError{row: d.Row, reason: fmt.Sprintf("%s: now %s; the dry run reported %s", where, d, *want)}
		}
		return want, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return counts, err
		}
		row, err := tbl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return counts, itsm.Errorf(itsm.CodeInternal, "import %s: the file kept no longer reads: %w", imp.Number, err)
		}
		d, p, err := r.row(tx, row)
		if err != nil {
			return counts, err
		}
		want, err := compare(d)
		if err != nil || p == nil {
			if err != nil {
				return counts, err
			}
			continue
		}
		switch {
		case p.create != nil:
			it, err := c.createItem(actor, *p.create)
			if err != nil {
				return counts, err
			}
			want.Item, want.Number, dry.dirty = it.ID, it.Number, true
			r.items[it.ID] = int32(row.Number)
		default:
			if p.edit != nil {
				if _, err := c.editItem(actor, p.item, *p.edit); err != nil {
					return counts, err
				}
			}
			if p.state != "" {
				if err := c.setState(actor, p.item, p.state, reason); err != nil {
					return counts, err
				}
			}
		}
		if pending++; pending == importBatch {
			if err := c.Save(); err != nil {
				return counts, err
			}
			c.Batch, pending = itsm.NewBatch(tx, at, s.recordOf), 0
		}
	}
	if err := c.Save(); err != nil {
		return counts, err
	}
	if err := file.verify(); err != nil {
		return counts, err
	}
	for after := itsm.Cursor(""); ; {
		var stale error
		after, err = r.missing(tx, after, func(d Discrepancy) {
			if stale == nil {
				_, stale = compare(d)
			}
		})
		if err == nil {
			err = stale
		}
		if err != nil {
			return counts, err
		}
		if after == "" {
			break
		}
	}
	if more, err := dry.next(); err != nil || more != nil {
		if err != nil {
			return counts, err
		}
		return counts, &staleError{row: more.Row, reason: fmt.Sprintf("the dry run reported %s, which the CMDB no longer gives", *more)}
	}
	return counts, dry.store()
}

// roundTrip is d as a report page gives it back: what JSON makes of its
// strings.
func roundTrip(d Discrepancy) Discrepancy {
	p, err := roundTripJSON(d)
	if err != nil {
		return d
	}
	return p
}

// markStale records that an apply of import id found another outcome; an
// import no longer in its dry run (applied or discarded meanwhile) stays
// as it is.
func (s *Service) markStale(ctx context.Context, actor itsm.Actor, id itsm.ID, st *staleError) error {
	return s.write(ctx, func(c change) error {
		imp, err := loadImport(c.Tx(), id)
		if err != nil || imp.State != ImportStateDryRun {
			return err
		}
		return c.importEvent(imp, ImportWentStale{By: By{By: actor}, ImportSubject: imp.subject(), Row: st.row, Reason: itsm.Printable(st.reason, MaxText)})
	})
}

// DiscardImport gives up an import in its dry run, with an optional
// reason: it will not be applied. Whoever may apply it discards it.
func (s *Service) DiscardImport(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Import, error) {
	org, err := s.writer(ctx, actor, "discard import")
	if err != nil {
		return nil, err
	}
	if err := itsm.TrimText("reason", &reason, false, MaxText); err != nil {
		return nil, err
	}
	var out *Import
	err = s.write(ctx, func(c change) error {
		imp, err := s.runnable(c.Tx(), org, id, "discard")
		if err != nil {
			return err
		}
		out = imp
		return c.importEvent(imp, ImportDiscarded{By: By{By: actor}, ImportSubject: imp.subject(), Reason: reason})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reader checks that the actor may read imports and returns its
// organisation.
func (s *Service) importReader(ctx context.Context, actor itsm.Actor) (itsm.Organisation, error) {
	return s.actorOrg(ctx, actor, itsm.AccessReport)
}

// readableImport loads an import org reads; another is not found.
func (s *Service) readableImport(tx itsm.ReadTx, org itsm.Organisation, id itsm.ID) (*Import, error) {
	imp, err := loadImport(tx, id)
	if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && !s.readsImport(org, imp.subject()) {
		return nil, itsm.Errorf(itsm.CodeNotFound, "import %s not found", id)
	}
	return imp, err
}

// GetImport returns an import to those who read its report: the desk, the
// supplier whose inventory it is and the desk's customers, given the
// right to report.
func (s *Service) GetImport(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Import, error) {
	org, err := s.importReader(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out *Import
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out, err = s.readableImport(tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportReport returns up to limit discrepancies of an import's report
// (0: itsm.DefaultLimit), in the order of the file's rows and then the
// missing items, from cursor on ("" the beginning, then the Next of the
// page before). Once the import is applied, the items it created have
// their IDs and numbers in it. GetImport says who reads it.
func (s *Service) ImportReport(ctx context.Context, actor itsm.Actor, id itsm.ID, cursor itsm.Cursor, limit int) (ReportPage, error) {
	org, err := s.importReader(ctx, actor)
	if err != nil {
		return ReportPage{}, err
	}
	if limit, err = itsm.ValidateLimit(limit); err != nil {
		return ReportPage{}, err
	}
	var out ReportPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		imp, err := s.readableImport(tx, org, id)
		if err != nil {
			return err
		}
		out, err = readReport(tx, imp, cursor, limit)
		return err
	})
	if err != nil {
		return ReportPage{}, err
	}
	return out, nil
}

// Imports lists a desk's imports, newest first, to those who read them: a
// supplier its own, the desk and its customers all of them.
func (s *Service) Imports(ctx context.Context, actor itsm.Actor, f ImportFilter) (ImportsPage, error) {
	org, err := s.importReader(ctx, actor)
	if err != nil {
		return ImportsPage{}, err
	}
	switch {
	case f.Desk.IsZero() && org.Role == itsm.OrgDesk:
		f.Desk = org.ID
	case f.Desk.IsZero():
		return ImportsPage{}, itsm.Errorf(itsm.CodeInvalid, "list imports: a %s names the desk whose imports it lists", org.Role)
	case !s.reads(org, f.Desk):
		return ImportsPage{}, itsm.Errorf(itsm.CodeForbidden, "list imports: %s %s does not work with desk %s", org.Role, org.ID, f.Desk)
	}
	if org.Role == itsm.OrgSupplier {
		if !f.Supplier.IsZero() && f.Supplier != org.ID {
			return ImportsPage{}, itsm.Errorf(itsm.CodeForbidden, "list imports: supplier %s lists its own imports, not those of %s", org.ID, f.Supplier)
		}
		f.Supplier = org.ID
	}
	limit, err := itsm.ValidateLimit(f.Limit)
	if err != nil {
		return ImportsPage{}, err
	}
	q := itsm.Query{Kind: KindImport, Index: IndexDesk, Match: itsm.MatchEqual, Value: f.Desk.String(), Reverse: true, Limit: limit, After: f.After}
	if !f.Supplier.IsZero() {
		q.Index, q.Value = IndexSupplier, deskValue(f.Desk, f.Supplier.String())
	}
	var out ImportsPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out.Imports, out.Next, err = itsm.LoadPage(tx, q, loadImport, func(imp *Import) bool {
			return imp.Desk == f.Desk && s.readsImport(org, imp.subject())
		})
		return err
	})
	if err != nil {
		return ImportsPage{}, err
	}
	return out, nil
}
