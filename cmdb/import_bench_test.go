package cmdb_test

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/benchtest"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

// inventory is a generated inventory of n servers, semicolons and a
// decimal comma as Swedish Excel writes, made as it is read so that the
// benchmark holds no file whose size grows with n. Rows from first on
// differ from an earlier inventory's (offset), as a new delivery does.
type inventory struct {
	n, row, first int
	buf           []byte
}

func newInventory(n, first int) *inventory {
	return &inventory{n: n, first: first, buf: []byte("Namn;Värdnamn;Serienummer;Minne (GB);CPU;Status\r\n")}
}

func (g *inventory) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.row < g.n {
		i := g.row
		mem := "16"
		if i >= g.first {
			mem = "32,5"
		}
		g.buf = fmt.Appendf(g.buf, "Server %d;srv%07d;SN-%07d;%s;%d;production\r\n", i, i, i, mem, 2+i%30)
		g.row++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

var inventoryColumns = map[string]string{"Namn": "name", "Värdnamn": "host_name", "Serienummer": "serial_number",
	"Minne (GB)": "memory_gb", "CPU": "cpus", "Status": "state"}

// importRun is what one import of n rows took on a fresh SQLite store:
// the dry run and the apply of n new servers, then a dry run and an apply
// of the same inventory with a tenth of the rows changed; and the peak
// heap of each, against reading the file alone.
type importRun struct {
	read, dry, apply, redry, reapply time.Duration
	readHeap, importHeap             uint64
}

func runImport(b *testing.B, n int) importRun {
	b.Helper()
	store := backendtest.SQLite(b, filepath.Join(b.TempDir(), "import.db"), sqlitestore.Options{})
	w := importWorld(b, store)
	// The impact graph, a projection of every item in memory, grows with
	// the CMDB whatever wrote the items: it stops following the log here,
	// so that the heap measured is the import's.
	w.ok(w.svc.Close())
	spec := cmdb.ImportSpec{Class: "server", Supplier: hostID, Columns: inventoryColumns, FileName: "servrar.csv"}
	var r importRun

	runtime.GC()
	stop := benchtest.SampleHeap()
	t0 := time.Now()
	rd, err := sheet.NewReader(newInventory(n, n), sheet.Options{})
	w.ok(err)
	rows := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		w.ok(err)
		rows++
	}
	w.ok(rd.Close())
	r.read = time.Since(t0)
	r.readHeap = stop()
	if rows != n {
		b.Fatalf("read %d rows of %d", rows, n)
	}

	runtime.GC()
	stop = benchtest.SampleHeap()
	t0 = time.Now()
	imp, err := w.svc.StartImport(w.ctx, w.deskAgent, spec, newInventory(n, n))
	w.ok(err)
	r.dry = time.Since(t0)
	if imp.Counts != (cmdb.Counts{Created: n}) {
		b.Fatalf("counts %+v", imp.Counts)
	}
	t0 = time.Now()
	_, err = w.svc.ApplyImport(w.ctx, w.deskAgent, imp.ID)
	w.ok(err)
	r.apply = time.Since(t0)
	r.importHeap = stop()

	t0 = time.Now()
	imp, err = w.svc.StartImport(w.ctx, w.deskAgent, spec, newInventory(n, n-n/10))
	w.ok(err)
	r.redry = time.Since(t0)
	if imp.Counts != (cmdb.Counts{Unchanged: n - n/10, Updated: n / 10}) {
		b.Fatalf("counts of the second delivery %+v", imp.Counts)
	}
	t0 = time.Now()
	_, err = w.svc.ApplyImport(w.ctx, w.deskAgent, imp.ID)
	w.ok(err)
	r.reapply = time.Since(t0)
	page, err := w.svc.List(w.ctx, w.deskAgent, cmdb.Filter{Class: "server", Key: map[string]string{"host_name": fmt.Sprintf("srv%07d", n-1)}})
	w.ok(err)
	if len(page.Items) != 1 || page.Items[0].Attributes["memory_gb"] != "32.5" {
		b.Fatalf("the last server after the second delivery: %+v", page.Items)
	}
	return r
}

// BenchmarkImport: a new inventory of 100,000 servers (10,000 with
// -short), dry run then apply on SQLite (target: under 60 s together),
// then the same inventory with a tenth changed; as seconds and as a
// multiple of reading the file alone with package sheet (x_read).
func BenchmarkImport(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	var r importRun
	for b.Loop() {
		r = runImport(b, n)
	}
	b.ReportMetric(r.dry.Seconds(), "s_dry_run")
	b.ReportMetric(r.apply.Seconds(), "s_apply")
	b.ReportMetric((r.dry + r.apply).Seconds(), "s_total")
	b.ReportMetric(float64(r.dry+r.apply)/float64(r.read), "x_read")
	b.ReportMetric(r.redry.Seconds(), "s_dry_run_again")
	b.ReportMetric(r.reapply.Seconds(), "s_apply_again")
	b.ReportMetric(float64(n)/(r.dry+r.apply).Seconds(), "rows/s")
}

// BenchmarkImportHeap: the peak heap of a dry run and apply of 10,000 and
// of 100,000 new servers on SQLite (1,000 and 10,000 with -short), each
// against reading its file alone (x_read_10k, x_read_100k), and the
// larger's peak against the smaller's (x_10k, target: flat, that is the
// claims' few MiB more; see the reconciler).
func BenchmarkImportHeap(b *testing.B) {
	small, large := 10_000, 100_000
	if testing.Short() {
		small, large = 1_000, 10_000
	}
	var s, l importRun
	for b.Loop() {
		s = runImport(b, small)
		l = runImport(b, large)
	}
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(mib(s.importHeap), "MiB_10k")
	b.ReportMetric(mib(l.importHeap), "MiB_100k")
	b.ReportMetric(float64(s.importHeap)/float64(s.readHeap), "x_read_10k")
	b.ReportMetric(float64(l.importHeap)/float64(l.readHeap), "x_read_100k")
	b.ReportMetric(float64(l.importHeap)/float64(s.importHeap), "x_10k")
}
