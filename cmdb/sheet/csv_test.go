package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
)

// inventoryHeader and inventoryRows are what every inventory fixture
// holds, whatever its format: row 4 is blank in each.
var (
	inventoryHeader = []string{"Serienummer", "Modell", "Plats", "Ägare", "Pris", "Anteckning"}
	inventoryRows   = []Row{
		{Number: 2, Cells: []string{"SN-0001", "Dell Latitude 7440", "Växjö", "Åsa Öberg", "12\u00a0499,00 €", "Byttes 2026-03-01;\nny disk"}},
		{Number: 3, Cells: []string{"SN-0002", `HP EliteBook 840 "G10"`, "Göteborg", "Kalle Anka", "9 990 €", ""}},
		{Number: 5, Cells: []string{"SN-0003", "Lenovo ThinkPad T14", "Malmö", "Örjan Ås", "-12", "Hylla 3; rum 4"}},
	}
)

// readAll reads every row, stopping at io.EOF or the first error.
func readAll(t *testing.T, r *Reader) ([]Row, error) {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

// expectTable reads every row of r and compares the header and rows.
func expectTable(t *testing.T, r *Reader, header []string, rows []Row) {
	t.Helper()
	if diff := cmp.Diff(header, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func open(t *testing.T, data []byte, opt Options) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestCSVFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, encoding string
	}{
		{"inventory-cp1252.csv", "windows-1252"}, // semicolons, CRLF, åäö, € and a non-breaking space
		{"inventory-bom.csv", "utf-8"},           // BOM, trailing empty cells (header too), a padded name
		{"inventory-comma.csv", "utf-8"},         // commas, LF, an empty line
		{"inventory-tab.txt", "utf-8"},           // tabs
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := open(t, data, Options{})
			if got := r.Encoding(); got != tc.encoding {
				t.Errorf("Encoding = %q, want %q", got, tc.encoding)
			}
			expectTable(t, r, inventoryHeader, inventoryRows)
		})
	}
}

func TestCSVRowNumbersAreExcels(t *testing.T) {
	// Excel shows: 1 header, 2 empty, 3 the two-line record, 4 and 5
	// empty, 6 the last.
	r := open(t, []byte("a;b\r\n\r\n1;\"x\r\ny\"\r\n\r\n;\r\n2;z\r\n"), Options{})
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Number: 3, Cells: []string{"1", "x\ny"}}, {Number: 6, Cells: []string{"2", "z"}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// The header need not be on line 1.
	r = open(t, []byte("\n\n;;\nx;y\n1;2\n"), Options{})
	rows, err = readAll(t, r)
	if err != nil || len(rows) != 1 || rows[0].Number != 5 {
		t.Errorf("rows = %+v, %v; want one, row 5", rows, err)
	}
}

func TestCSVDelimiter(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opt        Options
		want       []string
	}{
		{"semicolon", "a;b;c\n1;2;3\n", Options{}, []string{"1", "2", "3"}},
		{"comma", "a,b,c\n1,2,3\n", Options{}, []string{"1", "2", "3"}},
		{"tab", "a\tb\tc\n1\t2\t3\n", Options{}, []string{"1", "2", "3"}},
		{"quoted semicolons do not count", "\"a;b;c\",d,e\n1,2,3\n", Options{}, []string{"1", "2", "3"}},
		{"a quoted line break does not end the header", "\"a\nb;c;d\",e,f\n1,2,3\n", Options{}, []string{"1", "2", "3"}},
		{"a tie is Swedish", "a;b,c\n1;2,3\n", Options{}, []string{"1", "2,3"}},
		{"one column", "Serienummer\nSN-1,2\n", Options{}, []string{"SN-1,2"}},
		{"given", "a|b|c\n1|2|3\n", Options{Comma: '|'}, []string{"1", "2", "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, []byte(tc.data), tc.opt)
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !cmp.Equal(rows[0].Cells, tc.want) {
				t.Errorf("rows = %+v, want one of %q", rows, tc.want)
			}
		})
	}
}

func TestCSVEncoding(t *testing.T) {
	ascii := strings.Repeat("SN-1;Stockholm\r\n", 5000) // 80 KB: past the sample
	for _, tc := range []struct {
		name, data, encoding string
		want                 []string // the last row's cells
	}{
		{"plain ASCII", "a;b\n1;2\n", "utf-8", []string{"1", "2"}},
		{"UTF-8", "a;b\n1;Växjö\n", "utf-8", []string{"1", "Växjö"}},
		{"Windows-1252", "a;b\n1;V\xe4xj\xf6 \x80\n", "windows-1252", []string{"1", "Växjö €"}},
		// Decided at the first byte outside ASCII, however far into the
		// file: the rows before read alike in both encodings.
		{"Windows-1252 after 64 KiB of ASCII", "a;b\r\n" + ascii + "2;V\xe4xj\xf6\r\n", "windows-1252", []string{"2", "Växjö"}},
		{"UTF-8 after 64 KiB of ASCII", "a;b\r\n" + ascii + "2;Växjö\r\n", "utf-8", []string{"2", "Växjö"}},
		// The sample cuts a character at its end: still UTF-8.
		{"UTF-8 cut by the sample", "a;b\n1;" + strings.Repeat("å", sampleSize/2) + "\n", "utf-8", []string{"1", strings.Repeat("å", sampleSize/2)}},
		{"BOM", "\xef\xbb\xbfa;b\n1;2\n", "utf-8", []string{"1", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, []byte(tc.data), Options{MaxCell: 1 << 20})
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tc.encoding {
				t.Errorf("Encoding = %q, want %q", got, tc.encoding)
			}
			if len(rows) == 0 || !cmp.Equal(rows[len(rows)-1].Cells, tc.want) {
				t.Errorf("last row = %+v, want %q", rows[len(rows)-1:], tc.want)
			}
			if got := r.Header(); !cmp.Equal(got, []string{"a", "b"}) {
				t.Errorf("header = %q", got)
			}
		})
	}
}

// expectError reads data to its first error and checks it: an *Error
// wrapped in an *itsm.Error with CodeInvalid, matching is, with the
// message msg when it is not empty, and fatal or not.
func expectError(t *testing.T, data []byte, opt Options, is error, msg string, fatal bool) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), opt)
	if err == nil {
		defer r.Close()
		_, err = readAll(t, r)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is no *Error", err, err)
	}
	if !errors.Is(err, is) {
		t.Errorf("error %q is not %q", err, is)
	}
	if msg != "" && err.Error() != msg {
		t.Errorf("message\n got %q\nwant %q", err.Error(), msg)
	}
	if e.Fatal != fatal {
		t.Errorf("Fatal = %v, want %v", e.Fatal, fatal)
	}
	if code := itsm.ErrorCode(err); code != itsm.CodeInvalid {
		t.Errorf("code %q, want invalid", code)
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opt        Options
		is         error
		msg        string // the whole message
		fatal      bool
	}{
		{name: "fewer cells", data: "a;b;c\r\n1;2\r\n", is: ErrRagged,
			msg: "invalid: row 2: not as many cells as the header has columns: 2 cells, the header has 3 columns"},
		{name: "a value beyond the header", data: "a;b\r\n1;2;;3\r\n", is: ErrRagged,
			msg: "invalid: row 2, column 4: not as many cells as the header has columns: a value in a column the header does not name (it names 2)"},
		{name: "long cell", data: "a;Serienummer\r\n1;  SN-123456789  \r\n", opt: Options{MaxCell: 11}, is: ErrTooLong,
			msg: "invalid: row 2, column 2 (Serienummer): too long: 12 bytes, at most 11"},
		{name: "NUL", data: "a;Modell\r\n1;x\x00y\r\n", is: ErrControl,
			msg: "invalid: row 2, column 2 (Modell): a control character (U+0000) at byte 2"},
		{name: "carriage return", data: "a;Modell\r\n1;\"x\ry\"\r\n", is: ErrControl,
			msg: "invalid: row 2, column 2 (Modell): a control character (U+000D) at byte 2"},
		{name: "C1 control", data: "a;Modell\r\n1;x\u0085y\r\n", is: ErrControl,
			msg: "invalid: row 2, column 2 (Modell): a control character (U+0085) at byte 2"},
		{name: "equals", data: "a;Namn\r\n1;\"=HYPERLINK(\"\"http://x\"\")\"\r\n", is: ErrFormula,
			msg: `invalid: row 2, column 2 (Namn): a formula, not a value: "=HYPERLINK(\"http://x\")" starts as a formula does; if it is text, start it with another character`},
		{name: "at", data: "a;Namn\r\n1;@SUM(A1)\r\n", is: ErrFormula},
		{name: "plus a reference", data: "a;Namn\r\n1;+A1\r\n", is: ErrFormula},
		{name: "minus then a command", data: "a;Namn\r\n1;-2+3+cmd|' /C calc'!A0\r\n", is: ErrFormula},
		{name: "a formula after spaces", data: "a;Namn\r\n1;  =1+1\r\n", is: ErrFormula},
		{name: "a long formula is shortened", data: "a;Namn\r\n1;=" + strings.Repeat("A", 100) + "\r\n", is: ErrFormula,
			msg: `invalid: row 2, column 2 (Namn): a formula, not a value: "=` + strings.Repeat("A", 39) + `"... starts as a formula does; if it is text, start it with another character`},
		{name: "Excel error", data: "a;Pris\r\n1;#N/A\r\n", is: ErrExcelError,
			msg: "invalid: row 2, column 2 (Pris): an Excel error value, not a value: #N/A"},
		{name: "bare quote", data: "a;Modell\r\n1;Skärm 24\" Dell\r\n", is: csv.ErrBareQuote,
			msg: `invalid: row 2: bare " in non-quoted-field (line 2, character 12 of the file); a cell holding a quote must be quoted, its quotes doubled`},
		{name: "quote never closed", data: "a;b\r\n1;\"abc\r\n2;3\r\n", is: csv.ErrQuote},
		{name: "quote never closed, long file", data: "a;b\r\n1;\"abc\r\n" + strings.Repeat("2;3\r\n", 20000), opt: Options{MaxCell: 10}, is: ErrTooLong, fatal: true,
			msg: "invalid: row 2: too long: the row is over 304 bytes, more than its cells may hold; a quote that is never closed makes the rest of the file one cell"},
		{name: "not UTF-8 64 KiB after UTF-8", data: "a;Plats\r\n1;Växjö\r\n" + strings.Repeat("SN-1;Stockholm\r\n", 5000) + "2;V\xe4xj\xf6\r\n", is: ErrEncoding,
			msg: "invalid: row 5003, column 2 (Plats): not readable text: byte 0xE4 at byte 2 is not UTF-8, though the file was read as UTF-8 from its first non-ASCII text on; save the whole file in one encoding"},
		{name: "unassigned Windows-1252 byte", data: "a;Plats\r\n1;V\xe4xj\xf6\r\n2;\x81\r\n", is: ErrEncoding},
		{name: "UTF-16", data: "\xff\xfea\x00;\x00b\x00", is: ErrEncoding, fatal: true,
			msg: `invalid: not readable text: the file is UTF-16 (Excel's "Unicode text"); save it as "CSV UTF-8" or "CSV (semicolon delimited)"`},
		{name: "xls", data: "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", is: ErrEncoding, fatal: true},
		{name: "duplicate names", data: "Namn;Plats;namn\r\n", is: ErrHeader, fatal: true,
			msg: "invalid: row 1, column 3 (namn): not a usable header: column 1 (Namn) has the same name"},
		{name: "unnamed column", data: "a;;b\r\n1;2;3\r\n", is: ErrHeader, fatal: true,
			msg: "invalid: row 1, column 2: not a usable header: the column has no name"},
		{name: "too many columns", data: "a;b;c\r\n", opt: Options{MaxColumns: 2}, is: ErrHeader, fatal: true,
			msg: "invalid: row 1, column 3: not a usable header: it names 3 columns, at most 2 are read"},
		{name: "a long name", data: "a;bbbbbb\r\n", opt: Options{MaxCell: 5}, is: ErrTooLong, fatal: true},
		{name: "empty", data: "", is: ErrHeader, fatal: true,
			msg: "invalid: not a usable header: the file is empty; its first row must name the columns"},
		{name: "blank", data: ";;\r\n\r\n", is: ErrHeader, fatal: true},
		{name: "bad format", data: "a\n", opt: Options{Format: "ods"}, is: ErrFormat, fatal: true},
		{name: "bad comma", data: "a\n", opt: Options{Comma: '"'}, is: ErrFormat, fatal: true},
		{name: "negative limit", data: "a\n", opt: Options{MaxCell: -1}, is: ErrFormat, fatal: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, []byte(tc.data), tc.opt, tc.is, tc.msg, tc.fatal)
		})
	}
}

func TestCSVValuesThatAreNotFormulas(t *testing.T) {
	values := []string{"-12", "+46 8 123 45 67", "-", "+", "+46 (0)8-123 45 67", "-12,5", "-1.5", "--", "a=b", "x@y.se", "1+1"}
	data := "Värde\r\n" + strings.Join(values, "\r\n") + "\r\n"
	rows, err := readAll(t, open(t, []byte(data), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Cells[0])
	}
	if diff := cmp.Diff(values, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestCSVGoesOnAfterARowError(t *testing.T) {
	data := "a;b\r\n1;=1+1\r\n2;Skärm 24\" Dell\r\n3;x\x00\r\n4;5;6\r\n5;ok\r\n"
	r := open(t, []byte(data), Options{})
	var got []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *Error
		if errors.As(err, &e) {
			if e.Fatal {
				t.Fatalf("fatal: %v", err)
			}
			got = append(got, e.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(row.Cells, "|"))
	}
	if len(got) != 5 || got[4] != "5|ok" || !strings.HasPrefix(got[0], "row 2, column 2 (b)") ||
		!strings.HasPrefix(got[1], "row 3:") || !strings.HasPrefix(got[2], "row 4, column 2") || !strings.HasPrefix(got[3], "row 5, column 3") {
		t.Errorf("got %q", got)
	}
}

func TestCSVFatalErrorsStay(t *testing.T) {
	data := "a;b\r\n1;\"" + strings.Repeat("x", 100_000) + "\r\n"
	r := open(t, []byte(data), Options{MaxCell: 10})
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("Next: %v, then %v; want the same error twice", err1, err2)
	}
}

func TestCSVReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	src := io.MultiReader(strings.NewReader("a;b\r\n1;2\r\n"), iotest.ErrReader(boom))
	r, err := NewReader(src, Options{})
	if err == nil {
		_, err = readAll(t, r)
	}
	if !errors.Is(err, boom) || itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Errorf("error %v (code %q), want the read error with code unavailable", err, itsm.ErrorCode(err))
	}
	var e *Error
	if !errors.As(err, &e) || !e.Fatal {
		t.Errorf("error %v: no fatal *Error", err)
	}
}

func TestClosed(t *testing.T) {
	r := open(t, []byte("a\n1\n"), Options{})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Next(); err == nil {
		t.Error("Next after Close: no error")
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Row: 12, Column: 3, Name: "Serienummer", Err: ErrFormula}, "row 12, column 3 (Serienummer): a formula, not a value"},
		{Error{Row: 12, Column: 3, Err: ErrRagged}, "row 12, column 3: not as many cells as the header has columns"},
		{Error{Row: 12, Err: ErrRagged}, "row 12: not as many cells as the header has columns"},
		{Error{Err: ErrFormat}, "not a readable file"},
		{Error{Row: 1}, "row 1: invalid"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestReadErrorAtTheStart(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := NewReader(iotest.ErrReader(boom), Options{})
	if !errors.Is(err, boom) || itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Errorf("error %v (code %q), want the read error with code unavailable", err, itsm.ErrorCode(err))
	}
	_, err = NewReader(iotest.ErrReader(boom), Options{Format: XLSX})
	if !errors.Is(err, boom) || itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Errorf("XLSX: error %v (code %q), want the read error with code unavailable", err, itsm.ErrorCode(err))
	}
}
