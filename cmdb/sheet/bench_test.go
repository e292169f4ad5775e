package sheet

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/xuri/excelize/v2"
)

// genFile writes the generated inventory of n rows as XLSX into dir.
func genFile(t testing.TB, dir string, n int) string {
	t.Helper()
	name := filepath.Join(dir, "inventory.xlsx")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := genXLSX(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// The generated inventory reads back exactly, in both formats: the
// benchmarks and the memory test measure a reader that works.
func TestGeneratedInventory(t *testing.T) {
	const n = 3000
	name := genFile(t, t.TempDir(), n)
	for format, open := range map[string]func() io.Reader{
		"csv": func() io.Reader { return newGenCSV(n) },
		"xlsx": func() io.Reader {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		},
	} {
		t.Run(format, func(t *testing.T) {
			r, err := NewReader(open(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if diff := cmp.Diff(genHeader, r.Header()); diff != "" {
				t.Fatalf("header (-want +got):\n%s", diff)
			}
			for i := 0; ; i++ {
				row, err := r.Next()
				if err == io.EOF {
					if i != n {
						t.Fatalf("%d rows, want %d", i, n)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if want := (Row{Number: i + 2, Cells: genRow(i)}); !cmp.Equal(row, want) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i+2, row, want)
				}
			}
		})
	}
}

// heap reads every row of src and returns the live heap the reading took
// at its peak: sampled, after a collection, when the header has been
// read and every 1,000 rows, over the least of the heap before and after
// the reading (garbage of the set-up may be freed only during it).
func heap(t testing.TB, src io.Reader) (peak uint64, rows int) {
	t.Helper()
	live := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	r, err := NewReader(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	peak = live()
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rows++; rows%1000 == 0 {
			peak = max(peak, live())
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	base = min(base, live())
	return peak - min(peak, base), rows
}

// TestMemoryIsFlat reads 10,000 and 100,000 rows (a tenth of that with
// -short) and compares the live heap at its peak: a CSV file
// takes what one row and the buffers take, however long it is. An XLSX
// workbook is logged: excelize keeps an offset per shared string (see
// the package documentation).
func TestMemoryIsFlat(t *testing.T) {
	if seqtest.Race() {
		t.Skip("the race detector's own memory is not the reader's; the run without it measures")
	}
	small, big := 10_000, 100_000
	if testing.Short() {
		small, big = 1_000, 10_000
	}
	csvSmall, _ := heap(t, newGenCSV(small))
	csvBig, rows := heap(t, newGenCSV(big))
	if rows != big {
		t.Fatalf("%d rows", rows)
	}
	t.Logf("CSV: %d rows %d KiB, %d rows %d KiB", small, csvSmall>>10, big, csvBig>>10)
	if float64(csvBig) > 1.25*float64(csvSmall)+16<<10 {
		t.Errorf("CSV: %d rows took %d KiB at the peak, %d rows %d KiB: not flat", small, csvSmall>>10, big, csvBig>>10)
	}

	dir := t.TempDir()
	xlsx := func(n int) uint64 {
		f, err := os.Open(genFile(t, dir, n))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		peak, _ := heap(t, f)
		return peak
	}
	xSmall, xBig := xlsx(small), xlsx(big)
	t.Logf("XLSX: %d rows %d KiB, %d rows %d KiB (%.0f bytes a row more)", small, xSmall>>10, big, xBig>>10,
		float64(xBig-min(xBig, xSmall))/float64(big-small))
	// Three of the twelve columns are unique to the row: their shared
	// strings' offsets are what grows.
	if xBig > xSmall+uint64(big-small)*3*64 {
		t.Errorf("XLSX: %d rows took %d KiB at the peak, %d rows %d KiB: more than the shared strings' offsets", small, xSmall>>10, big, xBig>>10)
	}
}

// count reads every row of r and counts them.
func count(b *testing.B, r *Reader) int {
	rows := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			b.Fatal(err)
		}
		rows++
	}
}

// benchRows is the inventory the benchmarks read: 100,000 rows, as the
// CMDB import target says (docs/PERFORMANCE.md), or 2,000 with -short.
func benchRows() int {
	if testing.Short() {
		return 2_000
	}
	return 100_000
}

// BenchmarkReadCSV reads the 12-column inventory as Swedish Excel saves
// it (Windows-1252, semicolons), and the same text, decoded, with plain
// encoding/csv right after: x_encoding/csv is this reader's time over
// encoding/csv's, the price of detection, decoding, the guard and the
// checks. rows/s and MB/s are this reader's; ns/op and the allocations
// count both.
func BenchmarkReadCSV(b *testing.B) {
	n := benchRows()
	data, err := io.ReadAll(newGenCSV(n))
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), Options{})
	if err != nil {
		b.Fatal(err)
	}
	var plain bytes.Buffer // the same rows in UTF-8, for the baseline
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		plain.Write(csvLine(row.Cells))
	}
	b.ReportAllocs()
	var ours, base time.Duration
	for b.Loop() {
		t0 := time.Now()
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := count(b, r)
		t1 := time.Now()
		cr := csv.NewReader(bytes.NewReader(plain.Bytes()))
		cr.Comma, cr.ReuseRecord, cr.FieldsPerRecord = ';', true, -1
		for {
			if _, err := cr.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		ours, base = ours+t1.Sub(t0), base+time.Since(t1)
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(float64(len(data))*float64(b.N)/ours.Seconds()/1e6, "MB/s")
	b.ReportMetric(ours.Seconds()/base.Seconds(), "x_encoding/csv")
}

// BenchmarkReadXLSX reads the inventory as an Excel workbook (shared
// strings, numbers, dates), and then with excelize's own iterator alone:
// x_excelize is this reader's time over excelize's: the copy to a
// temporary file, the scan and the checks, less the formatting excelize
// no longer does (decision 168). rows/s and MB/s (of the file) are this
// reader's; ns/op and the allocations count both.
func BenchmarkReadXLSX(b *testing.B) {
	n := benchRows()
	name := genFile(b, b.TempDir(), n)
	fi, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ours, base time.Duration
	for b.Loop() {
		t0 := time.Now()
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := count(b, r)
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		t1 := time.Now()
		x, err := excelize.OpenFile(name)
		if err != nil {
			b.Fatal(err)
		}
		it, err := x.Rows("Inventarie")
		if err != nil {
			b.Fatal(err)
		}
		for it.Next() {
			if _, err := it.Columns(); err != nil {
				b.Fatal(err)
			}
		}
		_ = it.Close()
		_ = x.Close()
		ours, base = ours+t1.Sub(t0), base+time.Since(t1)
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/ours.Seconds(), "rows/s")
	b.ReportMetric(float64(fi.Size())*float64(b.N)/ours.Seconds()/1e6, "MB/s")
	b.ReportMetric(ours.Seconds()/base.Seconds(), "x_excelize")
}
