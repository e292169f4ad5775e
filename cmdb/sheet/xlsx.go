package sheet

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The bounds of a workbook. A zip archive's sizes are declared in its
// directory, and archive/zip fails an entry that unzips to more than it
// declared, so checking the declarations bounds what unzipping costs.
const (
	// maxWorkbook is the most bytes a workbook file may have.
	maxWorkbook = 256 << 20
	// maxUnzipped is the most its parts may have together, unzipped:
	// excelize writes big worksheets to temporary files, so this bounds
	// the disk a workbook takes.
	maxUnzipped = 1 << 30
	// maxPart is the most bytes a part excelize keeps in memory (all but
	// worksheets and the shared strings) may have unzipped.
	maxPart = 16 << 20
	// maxParts bounds the zip's entries (excelize maps them all).
	maxParts = 10_000
	// inMemoryXML is the size above which excelize moves a worksheet or
	// the shared strings to a temporary file rather than keep it in
	// memory (its UnzipXMLSizeLimit; its default is 16 MiB).
	inMemoryXML = 1 << 20
)

// xlsxSource reads rows with excelize's streaming iterator from a copy of
// the workbook in a temporary file, and a formulaScan of the same sheet
// beside it for what the iterator does not tell (a formula without a
// computed value).
type xlsxSource struct {
	tmp      *os.File
	f        *excelize.File
	rows     *excelize.Rows
	scan     *formulaScan
	date1904 bool // the workbook counts days from 1904 (old Macs)
	row      int  // the rows the iterator has given: Excel's row number
}

func newXLSX(r io.Reader, opt Options) (src source, err error) {
	tmp, err := os.CreateTemp("", "spoc-sheet-*.xlsx")
	if err != nil {
		return nil, &Error{Err: readError{err}, Fatal: true}
	}
	s := &xlsxSource{tmp: tmp}
	defer func() {
		if p := recover(); p != nil {
			err = unreadable(0, p)
		}
		if err != nil {
			_ = s.close()
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(r, maxWorkbook+1))
	if err != nil {
		return nil, &Error{Err: readError{err}, Fatal: true}
	}
	if n > maxWorkbook {
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: the workbook is over %d MiB", ErrTooLong, maxWorkbook>>20)}
	}
	zr, err := zip.NewReader(tmp, n)
	if err != nil {
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: not an XLSX workbook (%v)", ErrFormat, err)}
	}
	if err := preflight(zr); err != nil {
		return nil, err
	}
	name, part, date1904, err := findSheet(zr, opt.Sheet)
	if err != nil {
		return nil, err
	}
	s.date1904 = date1904
	s.f, err = excelize.OpenFile(tmp.Name(), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: inMemoryXML})
	if err != nil {
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: not an XLSX workbook (%v)", ErrFormat, err)}
	}
	kinds := normaliseFormats(s.f)
	s.rows, err = s.f.Rows(name)
	if err != nil {
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: the sheet %q cannot be read (%v)", ErrFormat, name, err)}
	}
	if s.scan, err = newFormulaScan(part, kinds); err != nil {
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: the sheet %q cannot be read (%v)", ErrFormat, name, err)}
	}
	return s, nil
}

// unreadable turns a panic of excelize on a malformed workbook into an
// error: the file is someone's upload, and one bad file must not take the
// server with it.
func unreadable(row int, p any) *Error {
	return &Error{Row: row, Fatal: true, Err: fmt.Errorf("%w: the workbook is malformed (%v)", ErrFormat, p)}
}

func (s *xlsxSource) encoding() string { return encXLSX }

func (s *xlsxSource) columns(int) {}

func (s *xlsxSource) next() (rec record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = unreadable(s.row, p)
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return record{}, &Error{Row: s.row + 1, Fatal: true, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
		}
		return record{}, io.EOF
	}
	s.row++
	cells, err := s.rows.Columns()
	if err != nil {
		return record{}, &Error{Row: s.row, Fatal: true, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
	}
	scan, err := s.scan.row(s.row)
	if err != nil {
		return record{}, &Error{Row: s.row, Fatal: true, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
	}
	for _, tc := range scan.times {
		if i := tc.column - 1; i < len(cells) {
			cells[i] = excelTime(cells[i], tc.kind, s.date1904)
		}
	}
	return record{number: s.row, cells: cells, uncomputed: scan.uncomputed, short: true}, nil
}

func (s *xlsxSource) close() error {
	var errs []error
	if s.scan != nil {
		errs = append(errs, s.scan.close())
	}
	if s.rows != nil {
		// Close repeats the iterator's error, which next reported.
		if err := s.rows.Close(); err != nil && err != s.rows.Error() {
			errs = append(errs, err)
		}
	}
	if s.f != nil {
		errs = append(errs, s.f.Close())
	}
	if s.tmp != nil {
		errs = append(errs, s.tmp.Close(), os.Remove(s.tmp.Name()))
	}
	return errors.Join(errs...)
}

// preflight checks the zip's declared sizes before excelize unzips it.
// The parts excelize keeps in memory are the ones whose names do not
// start as worksheets' or the shared strings' do; it decides by name, and
// so does this.
func preflight(zr *zip.Reader) error {
	if len(zr.File) > maxParts {
		return &Error{Fatal: true, Err: fmt.Errorf("%w: the workbook has %d parts, at most %d are read", ErrTooLong, len(zr.File), maxParts)}
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxUnzipped {
			return &Error{Fatal: true, Err: fmt.Errorf("%w: unzipped, the workbook is over %d MiB", ErrTooLong, maxUnzipped>>20)}
		}
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		spilled := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		if !spilled && f.UncompressedSize64 > maxPart {
			return &Error{Fatal: true, Err: fmt.Errorf("%w: its part %s is over %d MiB unzipped", ErrTooLong, f.Name, maxPart>>20)}
		}
	}
	return nil
}

// The relationship types a workbook's parts are found by; strict OOXML
// names them in another namespace with the same last segment.
const (
	relOfficeDocument = "/officeDocument"
	relWorksheet      = "/worksheet"
)

type xmlRelationships struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Props struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name string `xml:"name,attr"`
		RID  string `xml:"id,attr"` // r:id, in whichever namespace
	} `xml:"sheets>sheet"`
}

// findSheet finds the sheet to read by the workbook's own description,
// as excelize does (which does not tell where a sheet's part is): the
// sheet named name (letter case aside), or the first worksheet. It also
// tells the workbook's date system.
func findSheet(zr *zip.Reader, name string) (sheet string, part *zip.File, date1904 bool, err error) {
	parts := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		parts[strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))] = f
	}
	bad := func(format string, args ...any) (string, *zip.File, bool, error) {
		return "", nil, false, &Error{Fatal: true, Err: fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)}
	}
	workbook := "xl/workbook.xml"
	var root xmlRelationships
	if err := readXML(parts, "_rels/.rels", &root); err != nil {
		return bad("not an XLSX workbook (%v)", err)
	}
	for _, rel := range root.Rels {
		if strings.HasSuffix(rel.Type, relOfficeDocument) {
			workbook = strings.TrimPrefix(path.Clean(strings.ReplaceAll(rel.Target, `\`, "/")), "/")
			break
		}
	}
	var wb xmlWorkbook
	if err := readXML(parts, workbook, &wb); err != nil {
		return bad("not an XLSX workbook (%v)", err)
	}
	date1904 = wb.Props.Date1904 == "1" || wb.Props.Date1904 == "true"
	var rels xmlRelationships
	dir := path.Dir(workbook)
	if err := readXML(parts, path.Join(dir, "_rels", path.Base(workbook)+".rels"), &rels); err != nil {
		return bad("not an XLSX workbook (%v)", err)
	}
	var names []string
	for _, sh := range wb.Sheets {
		names = append(names, fmt.Sprintf("%q", sh.Name))
		if name != "" && !strings.EqualFold(sh.Name, name) {
			continue
		}
		for _, rel := range rels.Rels {
			if rel.ID != sh.RID {
				continue
			}
			if !strings.HasSuffix(rel.Type, relWorksheet) {
				if name != "" {
					return bad("the sheet %q is not a worksheet (a chart?)", sh.Name)
				}
				break
			}
			target := strings.ReplaceAll(rel.Target, `\`, "/")
			p := strings.TrimPrefix(path.Clean(dir+"/"+target), "/")
			if strings.HasPrefix(target, "/") {
				p = strings.TrimPrefix(path.Clean(target), "/")
			}
			if f, ok := parts[strings.ToLower(p)]; ok {
				return sh.Name, f, date1904, nil
			}
			return bad("the sheet %q has no part %s", sh.Name, p)
		}
		if name != "" {
			return bad("the sheet %q has no part", sh.Name)
		}
	}
	if name != "" {
		return bad("the workbook has no sheet %q; its sheets are %s", name, strings.Join(names, ", "))
	}
	return bad("the workbook has no worksheet")
}

// readXML decodes one of the workbook's small parts (preflight bounded
// them).
func readXML(parts map[string]*zip.File, name string, v any) error {
	f, ok := parts[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("no part %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
