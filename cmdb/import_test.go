package cmdb_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
)

// serverColumns maps a Swedish inventory's headers to a server's fields.
var serverColumns = map[string]string{
	"Namn": "name", "Värdnamn": "host_name", "Serienummer": "serial_number", "Minne (GB)": "memory_gb",
	"CPU": "cpus", "Status": "state",
}

// importWorld is a world whose customer, City, may also read reports.
func importWorld(t testing.TB, store itsm.Store) *world {
	w := newWorld(t, store)
	w.perms.Grant(cityID, itsm.DomainCMDB, itsm.AccessReport)
	return w
}

// csv joins rows into a UTF-8 CSV file with sep between cells.
func csv(sep string, rows ...[]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, sep))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// start runs a dry run of data, a file of servers, by actor for Host,
// mapping the columns of serverColumns its header names.
func (w *world) start(actor itsm.Actor, data []byte) (*cmdb.Import, error) {
	header, _, _ := bytes.Cut(data, []byte("\n"))
	cols := map[string]string{}
	for h, f := range serverColumns {
		if bytes.Contains(header, []byte(h)) {
			cols[h] = f
		}
	}
	return w.svc.StartImport(w.ctx, actor, cmdb.ImportSpec{Desk: deskID, Supplier: hostID, Class: "server",
		Columns: cols, FileName: "servrar.csv"}, bytes.NewReader(data))
}

// report reads an import's whole report, three discrepancies a page, so
// that the cursors are crossed.
func (w *world) report(actor itsm.Actor, id itsm.ID) []cmdb.Discrepancy {
	w.t.Helper()
	var out []cmdb.Discrepancy
	var cursor itsm.Cursor
	for {
		p, err := w.svc.ImportReport(w.ctx, actor, id, cursor, 3)
		w.ok(err)
		out = append(out, p.Discrepancies...)
		if p.Next == "" {
			return out
		}
		cursor = p.Next
	}
}

// hostServer creates a server of Host's with attrs besides its host name.
func (w *world) hostServer(host string, attrs map[string]string) *cmdb.Item {
	w.t.Helper()
	a := map[string]string{"host_name": host}
	for k, v := range attrs {
		a[k] = v
	}
	it, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "server",
		ItemEdit: cmdb.ItemEdit{Name: host, Supplier: hostID, Attributes: a}})
	w.ok(err)
	return it
}

// itemPrint is a digest of the item records and of the item events: what
// an apply writes.
func (w *world) itemPrint() string {
	w.t.Helper()
	h := sha256.New()
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(w.ctx, tx, itsm.Query{Kind: cmdb.KindItem, Limit: itsm.MaxLimit}, func(hit itsm.Hit) error {
			es, err := itsm.AllEventsOf(tx, cmdb.KindItem, hit.Record.ID)
			fmt.Fprintf(h, "%s %d %s %d\n", hit.Record.ID, hit.Record.Version, hit.Record.Body, len(es))
			return err
		})
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// countRecords counts the records of kind.
func (w *world) countRecords(kind string) int {
	w.t.Helper()
	n := 0
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(w.ctx, tx, itsm.Query{Kind: kind, Limit: itsm.MaxLimit}, func(itsm.Hit) error { n++; return nil })
	}))
	return n
}

// noImportLeft checks that no import, chunk or report page is stored.
func (w *world) noImportLeft() {
	w.t.Helper()
	for _, k := range []string{cmdb.KindImport, cmdb.KindImportChunk, cmdb.KindImportReport} {
		if n := w.countRecords(k); n != 0 {
			w.t.Fatalf("%d records of %s left behind", n, k)
		}
	}
}

// byRow indexes a report's row discrepancies by row, and lists the
// missing ones.
func byRow(ds []cmdb.Discrepancy) (map[int]cmdb.Discrepancy, []cmdb.Discrepancy) {
	rows := map[int]cmdb.Discrepancy{}
	var missing []cmdb.Discrepancy
	for _, d := range ds {
		if d.Kind == cmdb.DiscrepancyMissing {
			missing = append(missing, d)
		} else {
			rows[d.Row] = d
		}
	}
	return rows, missing
}

// TestImportEveryDiscrepancy: a file of Host's servers reconciled with the
// CMDB gives every kind of discrepancy, each refusal with its reason and
// column; applied, it creates and updates exactly what the report said,
// each item event naming the import, and a re-import of the same file
// finds everything unchanged, with no duplicate; on every backend.
func TestImportEveryDiscrepancy(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := importWorld(t, open(t))
			app01 := w.hostServer("app01", map[string]string{"serial_number": "S1", "memory_gb": "8"})
			app02 := w.hostServer("app02", map[string]string{"cpus": "4"})
			app03 := w.hostServer("app03", nil)
			old := w.hostServer("old01", nil)
			_, err := w.svc.SetState(w.ctx, w.deskAgent, old.ID, cmdb.StateRetired, "")
			w.ok(err)
			tel, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "server",
				ItemEdit: cmdb.ItemEdit{Name: "tel01", Supplier: telcoID, Attributes: map[string]string{"host_name": "tel01"}}})
			w.ok(err)
			own := w.server("desk01") // the desk's own: not Host's, so not missing from Host's file
			a5 := w.hostServer("app05", map[string]string{"serial_number": "S5"})
			w.hostServer("app06", map[string]string{"serial_number": "S6"})
			file := csv(",",
				[]string{"Namn", "Värdnamn", "Serienummer", "Minne (GB)", "CPU", "Status", "Anteckning"},
				[]string{"", "app01", "S1", "16", "", "maintenance", "updated"},   // row 2
				[]string{"app02", "app02", "", "", "4", "", "unchanged"},          // 3
				[]string{"Ny server", "new01", "N1", `"3,5"`, "2", "", "created"}, // 4
				[]string{"", "", "", "4", "", "", "no key"},                       // 5
				[]string{"", "", "S1", "", "", "", "duplicate item"},              // 6: S1 is app01's
				[]string{"", "new01", "", "", "", "", "duplicate key"},            // 7
				[]string{"", "bad01", "", "", "many", "", "invalid"},              // 8
				[]string{"", "old01", "", "", "", "", "replaces a retired one"},   // 9
				[]string{"", "tel01", "", "", "", "", "supplier"},                 // 10
				[]string{"", "app05", "S6", "", "", "", "conflict"},               // 11
				[]string{"", "", "S7", "", "", "", "required"},                    // 12
				[]string{"", "desk01", "", "", "", "", "supplier (the desk)"},     // 13
				[]string{"", "app01", "", "", "", "", "duplicate item"},           // 14
				[]string{"", "new02", "", "", "", "retired", "state retired"},     // 15
			)
			imp, err := w.start(w.hostAgent, file)
			w.ok(err)
			if imp.State != cmdb.ImportStateDryRun || imp.Number.String() != "IMP0000001" || imp.Rows != 14 || imp.Encoding != "utf-8" || imp.Format != "csv" {
				t.Fatalf("import %+v", imp)
			}
			want := cmdb.Counts{Created: 2, Updated: 1, Unchanged: 1, Refused: 10, Missing: 1}
			if imp.Counts != want {
				t.Fatalf("counts %+v, want %+v", imp.Counts, want)
			}
			ds := w.report(w.hostAgent, imp.ID)
			rows, missing := byRow(ds)
			if len(ds) != 15 {
				t.Fatalf("%d discrepancies: %+v", len(ds), ds)
			}
			if d := rows[2]; d.Kind != cmdb.DiscrepancyUpdated || d.Item != app01.ID || !slices.Equal(d.Changes, []cmdb.FieldChange{
				{Field: "attributes.memory_gb", Old: "8", New: "16"}, {Field: "state", Old: "production", New: "maintenance"}}) {
				t.Fatalf("row 2: %+v", d)
			}
			if d := rows[3]; d.Kind != cmdb.DiscrepancyUnchanged || d.Item != app02.ID || d.Key != "host_name=app02" || len(d.Changes) != 0 {
				t.Fatalf("row 3: %+v", d)
			}
			if d := rows[4]; d.Kind != cmdb.DiscrepancyCreated || !d.Item.IsZero() || d.Name != "Ny server" || !slices.Equal(d.Changes, []cmdb.FieldChange{
				{Field: "name", New: "Ny server"}, {Field: "state", New: "production"}, {Field: "attributes.cpus", New: "2"},
				{Field: "attributes.host_name", New: "new01"}, {Field: "attributes.memory_gb", New: "3.5"}, {Field: "attributes.serial_number", New: "N1"}}) {
				t.Fatalf("row 4: %+v", d)
			}
			refusals := map[int]struct {
				why    cmdb.Refusal
				column int
				header string
			}{
				5: {cmdb.RefusedNoKey, 2, "Värdnamn"}, 6: {cmdb.RefusedDuplicate, 0, ""}, 7: {cmdb.RefusedDuplicate, 2, "Värdnamn"},
				8: {cmdb.RefusedInvalid, 5, "CPU"}, 10: {cmdb.RefusedSupplier, 0, ""},
				11: {cmdb.RefusedConflict, 3, "Serienummer"}, 12: {cmdb.RefusedRequired, 2, "Värdnamn"}, 13: {cmdb.RefusedSupplier, 0, ""},
				14: {cmdb.RefusedDuplicate, 0, ""}, 15: {cmdb.RefusedInvalid, 6, "Status"},
			}
			for row, r := range refusals {
				d := rows[row]
				if d.Kind != cmdb.DiscrepancyRefused || d.Reason != r.why || d.Column != r.column || d.Header != r.header || d.Message == "" {
					t.Errorf("row %d: %+v, want %v in column %d", row, d, r.why, r.column)
				}
			}
			// The retired server let go of its host name: the row makes
			// the server that replaces it.
			if d := rows[9]; d.Kind != cmdb.DiscrepancyCreated || d.Key != "host_name=old01" {
				t.Errorf("row 9: %+v", d)
			}
			if d := rows[10]; d.Item != tel.ID {
				t.Errorf("row 10 names %s", d.Item)
			}
			if d := rows[11]; !strings.Contains(d.Message, a5.Number.String()) {
				t.Errorf("row 11: %s", d.Message)
			}
			if d := rows[13]; d.Item != own.ID {
				t.Errorf("row 13 names %s", d.Item)
			}
			if len(missing) != 1 || missing[0].Item != app03.ID || missing[0].Key != "host_name=app03" {
				t.Fatalf("missing %+v", missing)
			}
			if n := w.countRecords(cmdb.KindItem); n != 8 {
				t.Fatalf("a dry run wrote items: %d", n)
			}

			// Everyone concerned reads the report; others do not see it.
			for _, a := range []itsm.Actor{w.deskAgent, w.cityAgent} {
				_, err := w.svc.GetImport(w.ctx, a, imp.ID)
				w.ok(err)
			}
			for _, a := range []itsm.Actor{w.telAgent, w.desk2Agent, w.loneAgent} {
				_, err := w.svc.ImportReport(w.ctx, a, imp.ID, "", 0)
				w.code(err, itsm.CodeNotFound)
			}
			w.refuse(itsm.CodeNotFound, func() error { _, err := w.svc.ApplyImport(w.ctx, w.telAgent, imp.ID); return err })
			w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.ApplyImport(w.ctx, w.cityAgent, imp.ID); return err })

			applied, err := w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
			w.ok(err)
			if applied.State != cmdb.ImportStateApplied || applied.Counts != want || applied.AppliedBy == nil || applied.AppliedBy.Person != "hugo" {
				t.Fatalf("applied %+v", applied)
			}
			after := w.report(w.deskAgent, imp.ID)
			created := after[2]
			if created.Kind != cmdb.DiscrepancyCreated || created.Item.IsZero() || created.Number.IsZero() {
				t.Fatalf("the report does not name the created item: %+v", created)
			}
			it, err := w.svc.Get(w.ctx, w.deskAgent, created.Item)
			w.ok(err)
			if it.Name != "Ny server" || it.Supplier != hostID || it.Attributes["memory_gb"] != "3.5" || it.State != cmdb.StateProduction {
				t.Fatalf("created %+v", it)
			}
			up, err := w.svc.Get(w.ctx, w.deskAgent, app01.ID)
			w.ok(err)
			if up.Attributes["memory_gb"] != "16" || up.Attributes["serial_number"] != "S1" || up.State != cmdb.StateMaintenance || up.Name != "app01" {
				t.Fatalf("updated %+v", up)
			}
			hist, err := w.svc.History(w.ctx, w.deskAgent, app01.ID)
			w.ok(err)
			if len(hist) != 3 || hist[1].Payload.(cmdb.ItemEdited).Import != imp.ID || hist[2].Payload.(cmdb.ItemStateChanged).Import != imp.ID {
				t.Fatalf("history of the updated item %+v", hist)
			}
			hist, err = w.svc.History(w.ctx, w.deskAgent, it.ID)
			w.ok(err)
			if hist[0].Payload.(cmdb.ItemCreated).Import != imp.ID {
				t.Fatalf("the created item's event does not name the import")
			}
			w.replayed(it.ID)
			w.replayed(app01.ID)
			if n := w.countRecords(cmdb.KindItem); n != 10 {
				t.Fatalf("%d items after the apply, want 10", n)
			}
			w.refuse(itsm.CodeConflict, func() error { _, err := w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID); return err })
			w.importReplayed(imp.ID)

			// The same file again: nothing to create or change.
			again, err := w.start(w.hostAgent, file)
			w.ok(err)
			if again.Counts != (cmdb.Counts{Unchanged: 4, Refused: 10, Missing: 1}) || again.Number.String() != "IMP0000002" {
				t.Fatalf("re-import %+v", again.Counts)
			}
			before := w.itemPrint()
			_, err = w.svc.ApplyImport(w.ctx, w.deskAgent, again.ID)
			w.ok(err)
			if w.itemPrint() != before {
				t.Fatal("applying an import of nothing new changed items")
			}
			w.ok(w.svc.Sync(w.ctx))
		})
	}
}

// importReplayed checks that the import record is the fold of its events.
func (w *world) importReplayed(id itsm.ID) {
	w.t.Helper()
	checkReplay(w, cmdb.KindImport, id, cmdb.ReplayImport, w.svc.GetImport,
		func(i *cmdb.Import) (*int64, itsm.Number) { return &i.Version, i.Number })
}

// TestImportWindows1252: Swedish Excel's CSV, semicolons in Windows-1252,
// with å, ä and ö in headers and values, and a decimal comma.
func TestImportWindows1252(t *testing.T) {
	w := importWorld(t, backends()["memstore"](t))
	text := "Namn;Värdnamn;Minne (GB);Placering\r\nVäxel Åby;växel-åby;2,5;Källaren\r\nSkrivarserver Öst;skrivare-öst;1;Förrådet\r\n"
	data, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	w.ok(err)
	if bytes.Equal(data, []byte(text)) {
		t.Fatal("the file is not Windows-1252")
	}
	imp, err := w.svc.StartImport(w.ctx, w.deskAgent, cmdb.ImportSpec{Supplier: hostID, Class: "server",
		Columns: map[string]string{"Namn": "name", "Värdnamn": "host_name", "Minne (GB)": "memory_gb"}}, bytes.NewReader(data))
	w.ok(err)
	if imp.Encoding != "windows-1252" || imp.Counts != (cmdb.Counts{Created: 2}) || imp.Size != int64(len(data)) {
		t.Fatalf("import %+v", imp)
	}
	_, err = w.svc.ApplyImport(w.ctx, w.deskAgent, imp.ID)
	w.ok(err)
	page, err := w.svc.List(w.ctx, w.deskAgent, cmdb.Filter{Class: "server", Key: map[string]string{"host_name": "växel-åby"}})
	w.ok(err)
	if len(page.Items) != 1 || page.Items[0].Name != "Växel Åby" || page.Items[0].Attributes["memory_gb"] != "2.5" {
		t.Fatalf("items %+v", page.Items)
	}
}

// xlsx writes rows as the first sheet of a workbook, numbers as numbers.
func xlsx(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImportXLSX: a workbook with numbers and text; its apply reads the
// workbook kept, and a re-import finds it all unchanged.
func TestImportXLSX(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := importWorld(t, open(t))
			w.hostServer("db01", map[string]string{"cpus": "8"})
			data := xlsx(t, []any{"Värdnamn", "CPU", "Minne (GB)", "Serienummer"},
				[]any{"db01", 16, 64.5, "SN-1"}, []any{"db02", 4, 8, "SN-2"})
			spec := cmdb.ImportSpec{Desk: deskID, Class: "server", FileName: "servrar.xlsx",
				Columns: map[string]string{"Värdnamn": "host_name", "CPU": "cpus", "Minne (GB)": "memory_gb", "Serienummer": "serial_number"}}
			imp, err := w.svc.StartImport(w.ctx, w.hostAgent, spec, bytes.NewReader(data))
			w.ok(err)
			if imp.Format != "xlsx" || imp.Counts != (cmdb.Counts{Created: 1, Updated: 1}) {
				t.Fatalf("import %+v", imp)
			}
			rows, _ := byRow(w.report(w.deskAgent, imp.ID))
			if d := rows[2]; !slices.Contains(d.Changes, cmdb.FieldChange{Field: "attributes.cpus", Old: "8", New: "16"}) {
				t.Fatalf("row 2 %+v", d)
			}
			_, err = w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
			w.ok(err)
			again, err := w.svc.StartImport(w.ctx, w.hostAgent, spec, bytes.NewReader(data))
			w.ok(err)
			if again.Counts != (cmdb.Counts{Unchanged: 2}) {
				t.Fatalf("re-import %+v", again.Counts)
			}
		})
	}
}

// TestImportStale: an edit or a new item between the dry run and the apply
// that changes the outcome makes the apply refuse, writing no item, and
// the import stale; a change that does not alter the outcome does not.
func TestImportStale(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := importWorld(t, open(t))
			app01 := w.hostServer("app01", map[string]string{"memory_gb": "8"})
			file := csv(";", []string{"Värdnamn", "Minne (GB)"}, []string{"app01", "16"}, []string{"app02", "4"})

			// An edit of what the row changes.
			imp, err := w.start(w.hostAgent, file)
			w.ok(err)
			_, err = w.svc.Edit(w.ctx, w.hostAgent, app01.ID, cmdb.ItemEdit{Name: "app01", Supplier: hostID,
				Attributes: map[string]string{"host_name": "app01", "memory_gb": "12"}})
			w.ok(err)
			before := w.itemPrint()
			_, err = w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
			w.code(err, itsm.CodeConflict)
			if !errors.Is(err, itsm.ErrStale) || !strings.Contains(err.Error(), "row 2") {
				t.Fatalf("stale apply: %v", err)
			}
			if w.itemPrint() != before {
				t.Fatal("a stale apply wrote items")
			}
			got, err := w.svc.GetImport(w.ctx, w.deskAgent, imp.ID)
			w.ok(err)
			if got.State != cmdb.ImportStateStale || !strings.Contains(got.Reason, "row 2") {
				t.Fatalf("import %+v", got)
			}
			w.importReplayed(imp.ID)
			w.refuse(itsm.CodeConflict, func() error { _, err := w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID); return err })

			// A new item of Host's: the file no longer lists every one.
			imp, err = w.start(w.hostAgent, file)
			w.ok(err)
			w.hostServer("app09", nil)
			before = w.itemPrint()
			_, err = w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
			w.code(err, itsm.CodeConflict)
			if w.itemPrint() != before || !strings.Contains(err.Error(), "missing") {
				t.Fatalf("stale apply: %v", err)
			}

			// An edit the file does not see: the apply goes ahead.
			imp, err = w.start(w.hostAgent, file)
			w.ok(err)
			_, err = w.svc.Edit(w.ctx, w.hostAgent, app01.ID, cmdb.ItemEdit{Name: "app01", Supplier: hostID, ObjectOwner: "Olle",
				Attributes: map[string]string{"host_name": "app01", "memory_gb": "12"}})
			w.ok(err)
			_, err = w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
			w.ok(err)
			it, err := w.svc.Get(w.ctx, w.deskAgent, app01.ID)
			w.ok(err)
			if it.Attributes["memory_gb"] != "16" || it.ObjectOwner != "Olle" {
				t.Fatalf("item %+v", it)
			}
		})
	}
}

// TestImportRefusedFile: a file that does not read as a table refuses the
// whole import, naming its row and column, and leaves nothing behind:
// no item, no import, no chunk, no page.
func TestImportRefusedFile(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := importWorld(t, open(t))
			w.hostServer("app01", nil)
			// Enough rows that the stash and the report have written
			// chunks and pages before the bad row is read.
			var big strings.Builder
			big.WriteString("Värdnamn,Minne (GB)\n")
			n := 1500
			if testing.Short() {
				n = 1100
			}
			for i := range n {
				fmt.Fprintf(&big, "host%05d,%d%s\n", i, i, strings.Repeat(" ", 1300))
			}
			for _, c := range []struct {
				name      string
				data      []byte
				row, col  int
				wantError error
			}{
				{"encoding", append([]byte(big.String()), "bad\xff,1\n"...), n + 2, 1, sheet.ErrEncoding},
				{"ragged", []byte(big.String() + "host-x,1,2\n"), n + 2, 3, sheet.ErrRagged},
				{"formula", []byte(big.String() + "=SUM(A1:A2),1\n"), n + 2, 1, sheet.ErrFormula},
				{"huge cell", []byte(big.String() + strings.Repeat("x", 40<<10) + ",1\n"), n + 2, 1, sheet.ErrTooLong},
			} {
				before := w.footprint()
				_, err := w.start(w.hostAgent, c.data)
				w.code(err, itsm.CodeInvalid)
				var se *sheet.Error
				if !errors.As(err, &se) || se.Row != c.row || se.Column != c.col || !errors.Is(err, c.wantError) {
					t.Errorf("%s: %v (%+v)", c.name, err, se)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("row %d", c.row)) {
					t.Errorf("%s: %v does not name the row", c.name, err)
				}
				if w.footprint() != before {
					t.Fatalf("%s: a refused import wrote", c.name)
				}
				w.noImportLeft()
			}
		})
	}
}

// TestImportRefusedSpec: what the spec gets wrong, or the actor may not
// do, is refused before the file is read, or at its header, writing
// nothing.
func TestImportRefusedSpec(t *testing.T) {
	w := importWorld(t, backends()["memstore"](t))
	file := csv(",", []string{"Värdnamn", "Minne (GB)"}, []string{"app01", "1"})
	spec := func(f func(s *cmdb.ImportSpec)) cmdb.ImportSpec {
		s := cmdb.ImportSpec{Desk: deskID, Class: "server", Columns: map[string]string{"Värdnamn": "host_name", "Minne (GB)": "memory_gb"}}
		f(&s)
		return s
	}
	for _, c := range []struct {
		name  string
		actor itsm.Actor
		spec  cmdb.ImportSpec
		code  itsm.Code
	}{
		{"no column of the file", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Columns["Saknas"] = "cpus" }), itsm.CodeInvalid},
		{"no field of the class", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Columns["Minne (GB)"] = "ram" }), itsm.CodeInvalid},
		{"a field twice", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Columns["Minne (GB)"] = "host_name" }), itsm.CodeInvalid},
		{"no key whole", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Class = "workstation"; s.Columns = map[string]string{"Värdnamn": "user"} }), itsm.CodeInvalid},
		{"a required attribute", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Columns = map[string]string{"Värdnamn": "serial_number"} }), itsm.CodeInvalid},
		{"a group", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Class = "cluster"; s.Columns = map[string]string{"Värdnamn": "host_name"} }), itsm.CodeInvalid},
		{"an unknown class", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Class = "toaster" }), itsm.CodeInvalid},
		{"another's inventory", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Supplier = telcoID }), itsm.CodeForbidden},
		{"no desk", w.hostAgent, spec(func(s *cmdb.ImportSpec) { s.Desk = itsm.ID{} }), itsm.CodeInvalid},
		{"another desk", w.deskAgent, spec(func(s *cmdb.ImportSpec) { s.Desk = desk2ID }), itsm.CodeForbidden},
		{"a supplier not working with the desk", w.deskAgent, spec(func(s *cmdb.ImportSpec) { s.Supplier = loneID }), itsm.CodeInvalid},
		{"a customer", w.cityAgent, spec(func(*cmdb.ImportSpec) {}), itsm.CodeForbidden},
		{"a supplier without rights", w.bareAgent, spec(func(*cmdb.ImportSpec) {}), itsm.CodeForbidden},
		{"not an agent", w.deskUser, spec(func(*cmdb.ImportSpec) {}), itsm.CodeForbidden},
		{"a supplier not working with the desk imports", w.loneAgent, spec(func(*cmdb.ImportSpec) {}), itsm.CodeForbidden},
	} {
		err := w.refuse(c.code, func() error {
			_, err := w.svc.StartImport(w.ctx, c.actor, c.spec, bytes.NewReader(file))
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		w.noImportLeft()
	}
}

// TestImportDiscard: an import discarded is not applied; only a dry run
// is discarded.
func TestImportDiscard(t *testing.T) {
	w := importWorld(t, backends()["memstore"](t))
	imp, err := w.start(w.deskAgent, csv(",", []string{"Värdnamn"}, []string{"app01"}))
	w.ok(err)
	w.refuse(itsm.CodeNotFound, func() error { _, err := w.svc.DiscardImport(w.ctx, w.telAgent, imp.ID, ""); return err })
	err = w.refuse(itsm.CodeConflict, func() error {
		_, err := w.svc.IfVersion(imp.Version+1).ApplyImport(w.ctx, w.deskAgent, imp.ID)
		return err
	})
	if !errors.Is(err, itsm.ErrStale) {
		t.Fatalf("IfVersion: %v", err)
	}
	got, err := w.svc.DiscardImport(w.ctx, w.hostAgent, imp.ID, " Fel fil ")
	w.ok(err)
	if got.State != cmdb.ImportStateDiscarded || got.Reason != "Fel fil" {
		t.Fatalf("discarded %+v", got)
	}
	w.refuse(itsm.CodeConflict, func() error { _, err := w.svc.ApplyImport(w.ctx, w.deskAgent, imp.ID); return err })
	w.refuse(itsm.CodeConflict, func() error { _, err := w.svc.DiscardImport(w.ctx, w.deskAgent, imp.ID, ""); return err })
	w.importReplayed(imp.ID)
	list, err := w.svc.Imports(w.ctx, w.hostAgent, cmdb.ImportFilter{Desk: deskID})
	w.ok(err)
	if len(list.Imports) != 1 || list.Imports[0].ID != imp.ID {
		t.Fatalf("list %+v", list)
	}
	list, err = w.svc.Imports(w.ctx, w.telAgent, cmdb.ImportFilter{Desk: deskID})
	w.ok(err)
	if len(list.Imports) != 0 {
		t.Fatalf("Telco lists Host's imports: %+v", list)
	}

	// Its events reach the desk, Host and the city, which may report,
	// and no one else.
	var events []itsm.Event
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		events, err = itsm.AllEventsOf(tx, cmdb.KindImport, imp.ID)
		return err
	}))
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	for _, c := range []struct {
		who  itsm.Actor
		sees bool
	}{{w.deskAgent, true}, {w.hostAgent, true}, {w.cityAgent, true}, {w.telAgent, false}, {w.desk2Agent, false},
		{w.loneAgent, false}, {w.bareAgent, false}} {
		for _, e := range events {
			sees, err := w.svc.ImportEventVisible(w.ctx, c.who, e)
			w.ok(err)
			if sees != c.sees {
				t.Errorf("%s of %s sees %s: %v", c.who.Person, c.who.Organisation, e.Type, sees)
			}
		}
	}
	w.perms.Revoke(cityID, itsm.DomainCMDB, itsm.AccessReport)
	if sees, err := w.svc.ImportEventVisible(w.ctx, w.cityAgent, events[0]); err != nil || sees {
		t.Errorf("the city without the right to report sees the import: %v %v", sees, err)
	}
}
