package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// inventoryOf is a supplier's inventory of n servers as Swedish Excel
// saves it (semicolons, decimal commas, Windows-1252), their host names
// starting with prefix.
func inventoryOf(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("V\xe4rdnamn;Serienummer;Minne (GB);Namn\r\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%06d;SN-%s-%06d;%d,5;Server %d i Datacenter Norr\r\n", prefix, i, prefix, i, 4+i%60, i)
	}
	return b.Bytes()
}

// BenchmarkImportOverHTTP uploads an inventory of 100,000 servers (2,000
// under -short) to a server on SQLite and applies it, against the same
// dry run and apply through the library (cmdb.Service) of a second server
// on its own SQLite file, the two in turns: the metrics are the rows a
// second each way and x_library, the HTTP path's rate over the
// library's, which says what the upload costs beyond the import itself
// (the body streamed into the dry run, the answers).
func BenchmarkImportOverHTTP(b *testing.B) {
	rows := 100_000
	if testing.Short() {
		rows = 2_000
	}
	open := func(name string) *cms {
		store := backendtest.SQLite(b, filepath.Join(b.TempDir(), name+".db"), sqlitestore.Options{})
		return newCMS(b, store)
	}
	overHTTP, library := open("http"), open("library")
	columns := map[string]string{"Värdnamn": "host_name", "Serienummer": "serial_number", "Minne (GB)": "memory_gb", "Namn": "name"}
	desk := itsm.Actor{Organisation: library.desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	var httpTime, libTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		file := inventoryOf(fmt.Sprintf("h%d", i), rows)
		start := time.Now()
		r := overHTTP.upload(overHTTP.agent, api.StartImportParams{Class: "server", Column: importColumns}, "text/csv", file)
		imp := want(b, "upload", r, nil, http.StatusCreated).JSON201
		ap, err := overHTTP.agent.ApplyImportWithResponse(overHTTP.ctx, imp.ID, nil)
		if a := want(b, "apply", ap, err, http.StatusOK).JSON200; a.Counts.Created != rows {
			b.Fatalf("applied %+v", a.Counts)
		}
		httpTime += time.Since(start)
		// Each side's graph takes in its items before the other side is
		// timed, so that neither is timed beside the other's projection.
		settle(b, overHTTP)

		start = time.Now()
		svc := library.stack.CMDB
		li, err := svc.StartImport(library.ctx, desk, cmdb.ImportSpec{Class: "server", Columns: columns}, bytes.NewReader(inventoryOf(fmt.Sprintf("l%d", i), rows)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.ApplyImport(library.ctx, desk, li.ID); err != nil {
			b.Fatal(err)
		}
		libTime += time.Since(start)
		settle(b, library)
	}
	b.StopTimer()
	httpRate := float64(rows*b.N) / httpTime.Seconds()
	libRate := float64(rows*b.N) / libTime.Seconds()
	b.ReportMetric(httpRate, "rows/s")
	b.ReportMetric(libRate, "library_rows/s")
	b.ReportMetric(httpRate/libRate, "x_library")
}

// settle waits until the server's impact graph has followed the log to
// its end.
func settle(b *testing.B, c *cms) {
	b.Helper()
	b.StopTimer()
	if err := c.stack.CMDB.Sync(c.ctx); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}
