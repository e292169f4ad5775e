package cmdb_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// FuzzImport: any file given to StartImport is either refused whole, with
// an *itsm.Error that names the row and column when the table is at fault
// and nothing left behind, or reconciled into a report of one discrepancy
// a row plus the missing items, each refusal with its reason; its apply
// then creates exactly the items reported created, and the same file
// again creates and changes nothing but what rows refused for naming
// what another row names may. The seeds (testdata/fuzz/FuzzImport)
// are CSV in both encodings and delimiters, a workbook, and files with
// each fault of a table.
func FuzzImport(f *testing.F) {
	f.Add([]byte("Värdnamn,Serienummer,CPU,Namn,Status\r\napp01,S1,4,App,maintenance\r\nnew01,N1,2,,\r\n,S2,x,,\r\n"))
	f.Add([]byte("Värdnamn;Serienummer;CPU\napp02;S1;1\napp02;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := importWorld(t, memstore.New())
		w.hostServer("app01", map[string]string{"serial_number": "S1"})
		w.hostServer("app02", map[string]string{"cpus": "8"})
		before := w.itemPrint()
		spec := cmdb.ImportSpec{Desk: deskID, Class: "server", FileName: "fuzz",
			Columns: map[string]string{"Värdnamn": "host_name", "Serienummer": "serial_number", "CPU": "cpus", "Namn": "name", "Status": "state"}}
		imp, err := w.svc.StartImport(w.ctx, w.hostAgent, spec, bytes.NewReader(data))
		if err != nil {
			var e *itsm.Error
			if !errors.As(err, &e) || itsm.ErrorCode(err) != itsm.CodeInvalid || e.Text() == "" {
				t.Fatalf("a refusal that is not an invalid *itsm.Error: %#v", err)
			}
			var se *sheet.Error
			if errors.As(err, &se) && se.Row > 0 && !strings.Contains(err.Error(), fmt.Sprintf("row %d", se.Row)) {
				t.Fatalf("%v does not name row %d", err, se.Row)
			}
			if w.itemPrint() != before {
				t.Fatal("a refused import wrote items")
			}
			w.noImportLeft()
			return
		}
		if w.itemPrint() != before {
			t.Fatal("a dry run wrote items")
		}
		ds := w.report(w.deskAgent, imp.ID)
		c := imp.Counts
		if len(ds) != imp.Rows+c.Missing || c.Created+c.Updated+c.Unchanged+c.Refused != imp.Rows {
			t.Fatalf("%d discrepancies for %d rows, counts %+v", len(ds), imp.Rows, c)
		}
		// Only a row refused for naming what another row names may come
		// out otherwise once the other row is applied (a key value one
		// row frees is another's from the next import on).
		entangled := 0
		for _, d := range ds {
			if d.Kind == cmdb.DiscrepancyRefused && (d.Reason == "" || d.Message == "" || d.Row < 2) {
				t.Fatalf("refusal without a reason or row: %+v", d)
			}
			if d.Reason == cmdb.RefusedDuplicate || d.Reason == cmdb.RefusedConflict {
				entangled++
			}
		}
		items := w.countRecords(cmdb.KindItem)
		_, err = w.svc.ApplyImport(w.ctx, w.hostAgent, imp.ID)
		w.ok(err)
		if n := w.countRecords(cmdb.KindItem); n != items+c.Created {
			t.Fatalf("%d items after applying %d created, from %d", n, c.Created, items)
		}
		again, err := w.svc.StartImport(w.ctx, w.hostAgent, spec, bytes.NewReader(data))
		w.ok(err)
		if again.Counts.Created+again.Counts.Updated > entangled || again.Counts.Refused > c.Refused {
			t.Fatalf("the same file again: %+v after %+v", again.Counts, c)
		}
	})
}
