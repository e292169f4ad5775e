package cmdb_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// importStep is the sequences' import (opImport): a file of one to three
// servers whose host names are the sequences' own, so that rows update,
// create and are refused alike, of the desk's own items or Telco's, by
// the command's actor; then, by the argument, the import is applied,
// discarded, or made stale by a server of its supplier registered between
// the dry run and the apply. Its error is StartImport's, which leaves
// nothing behind, as any refused command; what happens after the dry run
// is checked here.
func (d *driver) importStep(c command, a itsm.Actor) (itsm.ID, error) {
	w := d.w
	var file strings.Builder
	file.WriteString("Värdnamn;Minne (GB);Status\n")
	for i := range 1 + int(c.arg%3) {
		mem := fmt.Sprintf("%d,5", (int(c.arg)+i)%4)
		if (int(c.arg)+i)%9 == 0 {
			mem = "mycket"
		}
		state := []string{"", "maintenance", "production", "retired"}[(int(c.arg)/3+i)%4]
		fmt.Fprintf(&file, "%s;%s;%s\n", seqHosts[(int(c.target)+i)%len(seqHosts)], mem, state)
	}
	spec := cmdb.ImportSpec{Desk: deskID, Class: "server",
		Columns: map[string]string{"Värdnamn": "host_name", "Minne (GB)": "memory_gb", "Status": "state"}}
	if c.target%3 == 1 {
		spec.Supplier = telcoID
	}
	parts := func() int {
		return w.countRecords(cmdb.KindImport) + w.countRecords(cmdb.KindImportChunk) + w.countRecords(cmdb.KindImportReport)
	}
	before := parts()
	imp, err := w.svc.StartImport(w.ctx, a, spec, strings.NewReader(file.String()))
	if err != nil {
		if parts() != before {
			d.fail("a refused import left records behind: %v", err)
		}
		return itsm.ID{}, err
	}
	switch c.arg / 3 % 3 {
	case 0:
		if _, err := w.svc.ApplyImport(w.ctx, a, imp.ID); err != nil {
			d.fail("apply of %s right after its dry run: %v", imp.Number, err)
			return imp.ID, nil
		}
		report, err := w.svc.ImportReport(w.ctx, w.deskAgent, imp.ID, "", 0)
		if err != nil {
			d.fail("report of %s: %v", imp.Number, err)
		}
		for _, x := range report.Discrepancies {
			if x.Kind == cmdb.DiscrepancyCreated {
				if x.Item.IsZero() {
					d.fail("report of %s applied: row %d created no item", imp.Number, x.Row)
				}
				d.items = append(d.items, x.Item)
			}
		}
	case 1:
		if _, err := w.svc.DiscardImport(w.ctx, a, imp.ID, "Fel fil"); err != nil {
			d.fail("discard of %s: %v", imp.Number, err)
		}
	case 2:
		extra, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{
			Name: "extra", Supplier: imp.Supplier, Attributes: map[string]string{"host_name": fmt.Sprintf("extra-%s", imp.Number)}}})
		if err != nil {
			d.fail("a server between the dry run and the apply of %s: %v", imp.Number, err)
			return imp.ID, nil
		}
		d.items = append(d.items, extra.ID)
		items := w.itemPrint()
		_, err = w.svc.ApplyImport(w.ctx, a, imp.ID)
		if !itsm.IsCode(err, itsm.CodeConflict) || !errors.Is(err, itsm.ErrStale) {
			d.fail("apply of %s after a new item of its supplier: %v, want stale", imp.Number, err)
		}
		if w.itemPrint() != items {
			d.fail("a stale apply of %s wrote items", imp.Number)
		}
	}
	return imp.ID, nil
}
