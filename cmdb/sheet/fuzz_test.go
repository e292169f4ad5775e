package sheet

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/xuri/excelize/v2"
)

// checkRead reads everything NewReader and Next give for data and checks
// what every file must give, whatever its bytes: rows or *Error, never a
// panic; names and values that are valid UTF-8, trimmed, without control
// characters or formulas, within the limits; rows in ascending order
// below the header.
func checkRead(t *testing.T, data []byte, opt Options) {
	r, err := NewReader(bytes.NewReader(data), opt)
	if err != nil {
		checkError(t, err)
		return
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	maxCell := opt.MaxCell
	if maxCell == 0 {
		maxCell = DefaultMaxCell
	}
	header := r.Header()
	if len(header) == 0 {
		t.Fatal("no header")
	}
	seen := map[string]bool{}
	for _, name := range header {
		checkValue(t, name, maxCell)
		if name == "" || seen[strings.ToLower(name)] {
			t.Fatalf("header %q: an empty or repeated name", header)
		}
		seen[strings.ToLower(name)] = true
	}
	last := 0
	// Every call reads at least a line (CSV) or a row element (XLSX).
	for range len(data) + 2 {
		row, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			e := checkError(t, err)
			if e.Row <= last {
				t.Fatalf("error %v: row %d after row %d", err, e.Row, last)
			}
			if e.Fatal {
				if _, again := r.Next(); again != err {
					t.Fatalf("a fatal error, then %v", again)
				}
				return
			}
			last = e.Row
			continue
		}
		if row.Number <= last || row.Number < 2 {
			t.Fatalf("row %d after %d", row.Number, last)
		}
		last = row.Number
		if len(row.Cells) != len(header) {
			t.Fatalf("row %d: %d cells, %d columns", row.Number, len(row.Cells), len(header))
		}
		blank := true
		for _, c := range row.Cells {
			checkValue(t, c, maxCell)
			if c != "" && isFormula(c) {
				t.Fatalf("row %d: a formula %q", row.Number, c)
			}
			blank = blank && c == ""
		}
		if blank {
			t.Fatalf("row %d is blank", row.Number)
		}
	}
	t.Fatal("Next never ends")
}

func checkValue(t *testing.T, v string, maxCell int) {
	t.Helper()
	if !utf8.ValidString(v) || strings.TrimSpace(v) != v || len(v) > maxCell {
		t.Fatalf("value %q: invalid UTF-8, untrimmed or too long", v)
	}
	for _, c := range v {
		if isControl(c) {
			t.Fatalf("value %q: a control character", v)
		}
	}
}

func checkError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is no *Error", err, err)
	}
	if itsm.ErrorCode(err) != itsm.CodeInvalid {
		t.Fatalf("%v: code %q", err, itsm.ErrorCode(err))
	}
	if e.Row < 0 || e.Column < 0 || !utf8.ValidString(err.Error()) {
		t.Fatalf("%q: a bad place or message", err)
	}
	return e
}

// FuzzCSV reads any bytes as CSV, with a delimiter given or detected and
// small limits or the defaults.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"Serienummer;Modell\r\nSN-1;Dell\r\n",
		"a;b\r\n1;\"x\r\ny\"\r\n\r\n2;V\xe4xj\xf6 \x80\r\n",
		"\xef\xbb\xbfa,b\n1,=1+1\n2,-12\n3,\"unclosed\n",
		"a\tb\n1\t2\t\t\n\x00\n",
		"a;A\n", "\xff\xfea\x00", "a;b\n1;Skärm 24\" Dell\n2;#N/A\n",
	} {
		f.Add([]byte(s), byte(0), uint8(0))
		f.Add([]byte(s), byte(';'), uint8(8))
	}
	f.Fuzz(func(t *testing.T, data []byte, comma byte, limit uint8) {
		opt := Options{Format: CSV, Comma: rune(comma), MaxCell: int(limit), MaxColumns: int(limit)}
		if opt.validate() != nil {
			opt.Comma = 0
		}
		checkRead(t, data, opt)
	})
}

var (
	baseOnce sync.Once
	base     []byte
)

// baseWorkbook is an empty workbook whose sheet FuzzXLSX replaces.
func baseWorkbook(t *testing.T) []byte {
	baseOnce.Do(func() { base = workbook(t, func(*excelize.File) {}) })
	return base
}

// FuzzXLSX reads any bytes as a workbook (mutated zip archives), and any
// text as the XML of a sheet's rows after a header row (odd, huge or
// broken cells, formulas, references).
func FuzzXLSX(f *testing.F) {
	f.Add(writeInventory(f), "", uint8(0))
	f.Add([]byte{}, `<row r="2"><c r="A2" t="inlineStr"><is><t>SN-1</t></is></c><c r="B2"><f>A1</f></c></row>`, uint8(1))
	f.Add([]byte{}, `<row><c t="e"><v>#REF!</v></c><c r="XFD2"><v>1</v></c></row><row r="1048577"/>`, uint8(1))
	f.Add([]byte{}, `<row r="3"><c r="A3" t="inlineStr"><is><t>`+strings.Repeat("x", 5000)+`</t></is></c><c r="B3" t="s"><v>99</v></c></row>`, uint8(9))
	f.Add([]byte{}, `<row r="2"><c r="A2" t="inlineStr"><is><t>_x0000_=1+1</t></is></c><!-- <c> --><![CDATA[</row>]]></row>`, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, rows string, limit uint8) {
		if limit%2 == 1 {
			data = replacePart(t, baseWorkbook(t), "xl/worksheets/sheet1.xml", sheetXML(
				`<row r="1"><c r="A1" t="inlineStr"><is><t>Serienummer</t></is></c><c r="B1" t="inlineStr"><is><t>Modell</t></is></c></row>`+rows))
		}
		checkRead(t, data, Options{Format: XLSX, MaxCell: int(limit) * 100})
	})
}
