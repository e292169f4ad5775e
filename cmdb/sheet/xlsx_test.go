package sheet

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/inventory.xlsx")

// workbook builds an XLSX file with excelize; build fills it (its first
// sheet is "Sheet1").
func workbook(t testing.TB, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// must fails the test on an excelize error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// style makes a cell style with a number format, built-in (id) or custom.
func style(t testing.TB, f *excelize.File, id int, custom string) int {
	t.Helper()
	s := &excelize.Style{NumFmt: id}
	if custom != "" {
		s.CustomNumFmt = &custom
	}
	n, err := f.NewStyle(s)
	must(t, err)
	return n
}

// pricesHeader and pricesRow are the "Priser" sheet of the fixture: what
// a supplier types, and what the reader gives for it.
var (
	pricesHeader = []string{"Serienummer", "Antal", "Pris", "Andel", "Inköpt", "Garanti till", "Senast sedd", "Tid", "Nummer", "Aktiv", "Summa", "IMEI", "Kod"}
	pricesRow    = []string{"00123", "3", "1234.5", "0.25", "2026-12-07", "2029-12-31", "2026-12-07 14:30:05", "08:15:00", "00042", "TRUE", "3703.5", "356938035643809", "0042"}
)

// writeInventory writes the fixture testdata/inventory.xlsx: a notes
// sheet first, then the inventory of the CSV fixtures, then typed values.
func writeInventory(t testing.TB) []byte {
	return workbook(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Läs mig"))
		must(t, f.SetSheetRow("Läs mig", "A1", &[]any{"Leverantör", "Datum"}))
		must(t, f.SetSheetRow("Läs mig", "A2", &[]any{"Exempel AB", "december"}))

		_, err := f.NewSheet("Inventarie")
		must(t, err)
		must(t, f.SetSheetRow("Inventarie", "A1", &[]any{"Serienummer", "Modell", "Plats", "Ägare", "Pris", "Anteckning"}))
		for _, r := range inventoryRows {
			row := make([]any, len(r.Cells))
			for i, c := range r.Cells {
				row[i] = c
			}
			cell, err := excelize.CoordinatesToCellName(1, r.Number)
			must(t, err)
			must(t, f.SetSheetRow("Inventarie", cell, &row))
		}

		_, err = f.NewSheet("Priser")
		must(t, err)
		must(t, f.SetSheetRow("Priser", "A1", &[]any{"Serienummer", "Antal", "Pris", "Andel", "Inköpt", "Garanti till", "Senast sedd", "Tid", "Nummer", "Aktiv", "Summa", "IMEI", "Kod"}))
		must(t, f.SetSheetRow("Priser", "A2", &[]any{"00123", 3, 1234.5, 0.25,
			time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 7, 14, 30, 5, 0, time.UTC), 8.25 / 24, 42, true, 3703.5, 356938035643809, "0042"}))
		must(t, f.SetCellStyle("Priser", "C2", "C2", style(t, f, 0, `#,##0.00\ "kr"`)))
		must(t, f.SetCellStyle("Priser", "D2", "D2", style(t, f, 9, "")))
		must(t, f.SetCellStyle("Priser", "E2", "E2", style(t, f, 14, "")))
		must(t, f.SetCellStyle("Priser", "F2", "F2", style(t, f, 0, "[$-41D]d mmmm yyyy")))
		must(t, f.SetCellStyle("Priser", "G2", "G2", style(t, f, 22, "")))
		must(t, f.SetCellStyle("Priser", "H2", "H2", style(t, f, 0, "h:mm AM/PM")))
		must(t, f.SetCellStyle("Priser", "I2", "I2", style(t, f, 0, "00000")))
		must(t, f.SetCellStyle("Priser", "M2", "M2", style(t, f, 49, "")))
		// A formula with the value Excel computed: set the value first,
		// since excelize drops a formula when a value is set.
		must(t, f.SetCellFormula("Priser", "K2", "C2*B2"))
	})
}

func TestXLSXFixture(t *testing.T) {
	name := filepath.Join("testdata", "inventory.xlsx")
	if *update {
		if err := os.WriteFile(name, writeInventory(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("first worksheet", func(t *testing.T) {
		r := open(t, data, Options{})
		if got := r.Encoding(); got != "xlsx" {
			t.Errorf("Encoding = %q", got)
		}
		rows, err := readAll(t, r)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(r.Header(), []string{"Leverantör", "Datum"}) || len(rows) != 1 || !cmp.Equal(rows[0], Row{Number: 2, Cells: []string{"Exempel AB", "december"}}) {
			t.Errorf("header %q, rows %+v", r.Header(), rows)
		}
	})
	t.Run("the inventory, by name", func(t *testing.T) {
		expectTable(t, open(t, data, Options{Sheet: "INVENTARIE"}), inventoryHeader, inventoryRows)
	})
	t.Run("numbers and dates", func(t *testing.T) {
		expectTable(t, open(t, data, Options{Sheet: "Priser"}), pricesHeader, []Row{{Number: 2, Cells: pricesRow}})
	})
}

// The fixture is what writeInventory writes today: reading a fresh one
// gives the same (excelize's own output, not only the committed file).
func TestXLSXFresh(t *testing.T) {
	r := open(t, writeInventory(t), Options{Sheet: "Priser"})
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !cmp.Equal(rows[0].Cells, pricesRow) {
		t.Errorf("rows %+v", rows)
	}
}

func TestXLSXNumberFormats(t *testing.T) {
	for _, tc := range []struct {
		code string
		want formatKind
	}{
		{"yyyy-mm-dd", date}, {"d/m/yy", date}, {`[$-41D]d\ mmmm\ yyyy;@`, date}, {"mmm", date},
		{"yyyy-mm-dd hh:mm", dateTime}, {"h:mm AM/PM", timeOfDay}, {"mm:ss", timeOfDay},
		{"[h]:mm:ss", keepFormat}, {"00000", keepFormat}, {"@", general}, {`"SN"@`, general},
		{`#,##0.00\ "kr"`, general}, {"0%", general}, {"0.00E+00", general}, {`#,##0;[Red]-#,##0`, general},
		{`"days" 0`, general}, {"General", general}, {`0_);\(0\)`, general}, {"*-0", general},
	} {
		if got := classify(tc.code); got != tc.want {
			t.Errorf("classify(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

// replacePart returns the zip data with one part's content replaced.
func replacePart(t testing.TB, data []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			_, err = io.WriteString(w, content)
		} else {
			var rc io.ReadCloser
			if rc, err = f.Open(); err == nil {
				_, err = io.Copy(w, rc)
				rc.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sheetXML is a worksheet part whose sheetData is data.
func sheetXML(data string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + data + `</sheetData></worksheet>`
}

func TestXLSXErrors(t *testing.T) {
	header := func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Serienummer", "Modell", "Pris"}))
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		opt   Options
		is    error
		msg   string
		fatal bool
	}{
		{name: "a formula never computed", data: workbook(t, func(f *excelize.File) {
			header(f)
			must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"SN-1", "Dell", 10}))
			must(t, f.SetCellFormula("Sheet1", "C3", "C2*2"))
			must(t, f.SetCellValue("Sheet1", "A3", "SN-2"))
		}), is: ErrFormula,
			msg: "invalid: row 3, column 3 (Pris): a formula, not a value: Excel has not computed it; open the file in Excel and save it again"},
		{name: "a formula with an empty value, as openpyxl writes", data: replacePart(t, workbook(t, header), "xl/worksheets/sheet1.xml", sheetXML(
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Serienummer</t></is></c><c r="B1" t="inlineStr"><is><t>Modell</t></is></c><c r="C1" t="inlineStr"><is><t>Pris</t></is></c></row>`+
				`<row r="2"><c r="A2" t="inlineStr"><is><t>SN-1</t></is></c><c r="B2"><f>A1</f><v></v></c></row>`)),
			is: ErrFormula, msg: "invalid: row 2, column 2 (Modell): a formula, not a value: Excel has not computed it; open the file in Excel and save it again"},
		{name: "a formula's cached error", data: replacePart(t, workbook(t, header), "xl/worksheets/sheet1.xml", sheetXML(
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Serienummer</t></is></c><c r="B1" t="inlineStr"><is><t>Pris</t></is></c></row>`+
				`<row r="2"><c r="A2" t="inlineStr"><is><t>SN-1</t></is></c><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>`)),
			is: ErrExcelError, msg: "invalid: row 2, column 2 (Pris): an Excel error value, not a value: #DIV/0!"},
		{name: "text that is a formula", data: workbook(t, func(f *excelize.File) {
			header(f)
			must(t, f.SetSheetRow("Sheet1", "A7", &[]any{"SN-1", "=HYPERLINK(\"http://x\")"}))
		}), is: ErrFormula},
		{name: "a value beyond the header", data: workbook(t, func(f *excelize.File) {
			header(f)
			must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"SN-1", "Dell", 10, nil, "x"}))
		}), is: ErrRagged, msg: "invalid: row 2, column 5: not as many cells as the header has columns: a value in a column the header does not name (it names 3)"},
		{name: "a long cell", data: workbook(t, func(f *excelize.File) {
			header(f)
			must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"SN-1", strings.Repeat("å", 20)}))
		}), opt: Options{MaxCell: 30}, is: ErrTooLong, msg: "invalid: row 2, column 2 (Modell): too long: 40 bytes, at most 30"},
		// Excel writes a control character as _x0001_; excelize reads it back.
		{name: "a control character", data: replacePart(t, workbook(t, header), "xl/worksheets/sheet1.xml", sheetXML(
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Modell</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Del_x0001_l</t></is></c></row>`)),
			is: ErrControl, msg: "invalid: row 2, column 1 (Modell): a control character (U+0001) at byte 4"},
		{name: "duplicate header", data: workbook(t, func(f *excelize.File) {
			must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Namn", "NAMN"}))
		}), is: ErrHeader, fatal: true, msg: "invalid: row 1, column 2 (NAMN): not a usable header: column 1 (Namn) has the same name"},
		{name: "no such sheet", data: workbook(t, header), opt: Options{Sheet: "Servrar"}, is: ErrFormat, fatal: true,
			msg: `invalid: not a readable file: the workbook has no sheet "Servrar"; its sheets are "Sheet1"`},
		{name: "an empty sheet", data: workbook(t, func(*excelize.File) {}), is: ErrHeader, fatal: true},
		{name: "not a zip", data: []byte("Serienummer;Modell\n"), opt: Options{Format: XLSX}, is: ErrFormat, fatal: true},
		{name: "a cut zip", data: workbook(t, header)[:2000], is: ErrFormat, fatal: true},
		{name: "a zip of something else", data: func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("readme.txt")
			_, _ = io.WriteString(w, "hello")
			_ = zw.Close()
			return buf.Bytes()
		}(), is: ErrFormat, fatal: true, msg: "invalid: not a readable file: not an XLSX workbook (no part _rels/.rels)"},
		{name: "a zip bomb", data: replacePart(t, workbook(t, header), "xl/styles.xml", strings.Repeat(" ", maxPart+1)),
			is: ErrTooLong, fatal: true, msg: "invalid: too long: its part xl/styles.xml is over 16 MiB unzipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, tc.data, tc.opt, tc.is, tc.msg, tc.fatal)
		})
	}
}

func TestXLSXRows(t *testing.T) {
	// Row 3 is the header; 6 holds a formula whose value is the empty
	// string, which is an empty cell.
	data := replacePart(t, workbook(t, func(*excelize.File) {}), "xl/worksheets/sheet1.xml", sheetXML(
		`<row r="3"><c r="A3" t="inlineStr"><is><t>Namn</t></is></c><c r="B3" t="inlineStr"><is><t>Plats</t></is></c></row>`+
			`<row r="5"><c r="A5" t="inlineStr"><is><t>a</t></is></c><c r="B5" t="inlineStr"><is><t>  b  </t></is></c></row>`+
			`<row r="6"><c r="A6" t="str"><f>""</f><v></v></c></row>`+
			`<row r="9"><c r="B9" t="inlineStr"><is><t>c</t></is></c></row>`+
			// No r: excelize and the scan count on from the row before.
			`<row><c t="str"><f>"d"</f><v>d</v></c><c t="str"><f>""</f><v/></c></row>`+
			`<!-- a comment <row r="99"> --><row r="12"><c><f>1+1</f><v>2</v></c><c><v>3</v></c></row>`))
	r := open(t, data, Options{})
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Number: 5, Cells: []string{"a", "b"}},
		{Number: 9, Cells: []string{"", "c"}},
		{Number: 10, Cells: []string{"d", ""}},
		{Number: 12, Cells: []string{"2", "3"}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestFormulaScan(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		want      map[int][]int
	}{
		{"prefixes", `<x:worksheet xmlns:x="m"><x:sheetData><x:row r="2"><x:c r="C2"><x:f>1</x:f></x:c></x:row></x:sheetData></x:worksheet>`,
			map[int][]int{2: {3}}},
		{"no references", `<sheetData><row><c><f>1</f></c><c/><c><f>2</f><v>2</v></c><c><f>3</f></c></row></sheetData>`,
			map[int][]int{1: {1, 4}}},
		{"shared formulas", `<sheetData><row r="1"><c r="A1"><f t="shared" si="0" ref="A1:A2">B1</f><v>1</v></c></row><row r="2"><c r="A2"><f t="shared" si="0"/></c></row></sheetData>`,
			map[int][]int{2: {1}}},
		{"empty values", `<sheetData><row r="1"><c r="A1" t="str"><f>""</f><v></v></c><c r="B1"><f>1</f><v/></c><c r="C1" t="n"><f>1</f><v></v></c></row></sheetData>`,
			map[int][]int{1: {2, 3}}},
		{"outside the data", `<worksheet><f>1</f><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><extLst><x14:f>Sheet1!A1</x14:f></extLst></worksheet>`,
			nil},
		{"CDATA and quotes", `<sheetData><row r="1" x="a>b"><c r='B1'><![CDATA[<c r="Z1"><f>1</f></c>]]><f>1</f></c></row></sheetData>`,
			map[int][]int{1: {2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("sheet.xml")
			_, _ = io.WriteString(w, tc.xml)
			_ = zw.Close()
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := newFormulaScan(zr.File[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.close()
			got := map[int][]int{}
			for n := 1; n <= 5; n++ {
				r, err := fs.row(n)
				if err != nil {
					t.Fatal(err)
				}
				if r.uncomputed != nil {
					got[n] = r.uncomputed
				}
			}
			if len(tc.want) == 0 && len(got) == 0 {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("uncomputed (-want +got):\n%s", diff)
			}
		})
	}
}

// Close removes the temporary files, a worksheet big enough for excelize
// to unzip to one included.
func TestXLSXTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	data := workbook(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		must(t, err)
		must(t, sw.SetRow("A1", []any{"Serienummer", "Modell"}))
		// Inline strings: 6,000 rows are over a megabyte of sheet.
		long := "Dell Latitude 7440, " + strings.Repeat("med dockningsstation och två skärmar, ", 4)
		for i := 2; i <= 6000; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i)
			must(t, sw.SetRow(cell, []any{"SN-" + cell, long}))
		}
		must(t, sw.Flush())
	})
	r, err := NewReader(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, r)
	if err != nil || len(rows) != 5999 || rows[len(rows)-1].Number != 6000 {
		t.Errorf("%d rows, %v", len(rows), err)
	}
	if left, _ := os.ReadDir(dir); len(left) < 2 {
		t.Errorf("while reading, the temporary directory holds %d files; want the copy and the unzipped sheet", len(left))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("after Close: %v", left)
	}
	// A refused workbook leaves nothing either.
	if _, err := NewReader(bytes.NewReader(data[:len(data)/2]), Options{Format: XLSX}); err == nil {
		t.Error("a cut workbook was read")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("after a refusal: %v", left)
	}
}

func TestExcelTime(t *testing.T) {
	for _, tc := range []struct {
		v        string
		kind     formatKind
		date1904 bool
		want     string
	}{
		{"46363", date, false, "2026-12-07"},
		{"46363.60422453703", dateTime, false, "2026-12-07 14:30:05"},
		{"46363.60422453703", date, false, "2026-12-07"},
		{"0.34375", timeOfDay, false, "08:15:00"},
		{"0.999999999", timeOfDay, false, "00:00:00"}, // rounds to the next second, midnight
		{"1", date, false, "1900-01-01"},
		{"59", date, false, "1900-02-28"},
		{"61", date, false, "1900-03-01"}, // 60 is Excel's 29 February 1900
		{"0", date, true, "1904-01-01"},
		{"44901", date, true, "2026-12-07"},
		{"2958465", date, false, "9999-12-31"},
		{"2958466", date, false, "2958466"}, // beyond Excel's dates: as it is
		{"-1", date, false, "-1"},
		{"x", date, false, "x"},
	} {
		if got := excelTime(tc.v, tc.kind, tc.date1904); got != tc.want {
			t.Errorf("excelTime(%q, %d, %v) = %q, want %q", tc.v, tc.kind, tc.date1904, got, tc.want)
		}
	}
}

func TestXLSXDate1904(t *testing.T) {
	data := workbook(t, func(f *excelize.File) {
		yes := true
		must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Inköpt", "Text i datumformat"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), "45000"}))
		must(t, f.SetCellStyle("Sheet1", "A2", "B2", style(t, f, 14, "")))
	})
	rows, err := readAll(t, open(t, data, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	// Text in a date style stays text.
	if want := []Row{{Number: 2, Cells: []string{"2026-12-07", "45000"}}}; !cmp.Equal(rows, want) {
		t.Errorf("rows %+v, want %+v", rows, want)
	}
}
