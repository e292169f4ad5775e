package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
)

// Format is the kind of file a Reader reads.
type Format string

// The formats NewReader reads.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// The defaults of Options' limits.
const (
	// DefaultMaxCell is Excel's own limit on a cell (32,767 characters),
	// rounded up: a longer value did not come from a spreadsheet.
	DefaultMaxCell = 32 << 10
	// DefaultMaxColumns is far beyond any inventory's columns, and low
	// enough that a file which is not a table (one value per "column")
	// is told so at its header.
	DefaultMaxColumns = 256
)

// Options say how to read a file. The zero value detects everything.
type Options struct {
	// Format is the file's format; "" detects it from the first bytes
	// (a zip archive is XLSX, anything else CSV).
	Format Format
	// Sheet is the XLSX sheet to read, by its name as Excel's tab shows it
	// (letter case aside); "" is the first worksheet. CSV files ignore it.
	Sheet string
	// Comma is the CSV delimiter; 0 detects ';', ',' or tab from the
	// header line. XLSX files ignore it.
	Comma rune
	// MaxCell is the longest cell in bytes of UTF-8, after trimming;
	// 0 is DefaultMaxCell.
	MaxCell int
	// MaxColumns is the most columns the header may name; 0 is
	// DefaultMaxColumns.
	MaxColumns int
}

// Row is one row of the file below the header.
type Row struct {
	// Number is the row's number as Excel shows it: the header is
	// usually row 1, and blank rows count though Next skips them. A CSV
	// record whose quoted cells hold line breaks is one row however many
	// lines of the file it spans.
	Number int
	// Cells are the row's values, one per header column, trimmed of
	// surrounding white space; an empty string is an empty cell. The
	// slice is the caller's.
	Cells []string
}

// Error is a problem with the file, placed where a person looking at it
// in Excel finds it. Errors from this package are *Error wrapped in an
// *itsm.Error with CodeInvalid (the file is at fault) or, when reading the
// file itself failed, CodeUnavailable; errors.As finds the *Error.
type Error struct {
	// Row is the row number as in Row.Number; 0 is the file as a whole.
	Row int
	// Column is the 1-based column (A is 1); 0 is the whole row.
	Column int
	// Name is the column's header, "" for a column beyond the header.
	Name string
	// Err is what is wrong; it wraps one of the package's Err values
	// where one applies, or the reading error.
	Err error
	// Fatal says that reading stopped here: Next returns this error
	// again. A row error (Fatal false) refuses only its row, and the next
	// call of Next reads the rows after it.
	Fatal bool
}

// Error says where, then what: "row 12, column 3 (Serienummer): ...".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Row > 0 {
		b.WriteString("row ")
		b.WriteString(strconv.Itoa(e.Row))
		if e.Column > 0 {
			b.WriteString(", column ")
			b.WriteString(strconv.Itoa(e.Column))
			if e.Name != "" {
				b.WriteString(" (")
				b.WriteString(e.Name)
				b.WriteString(")")
			}
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// The kinds of problem an Error wraps, for errors.Is.
var (
	// ErrEncoding: the bytes are not text in the encoding the file was
	// read in (see the package documentation), or in none this package
	// reads (UTF-16, a legacy .xls workbook).
	ErrEncoding = errors.New("not readable text")
	// ErrHeader: the header row names a column twice, leaves one
	// unnamed, or names too many.
	ErrHeader = errors.New("not a usable header")
	// ErrRagged: a row has another number of cells than the header.
	ErrRagged = errors.New("not as many cells as the header has columns")
	// ErrTooLong: a cell is longer than Options.MaxCell, or a CSV row
	// longer than its columns' cells can be.
	ErrTooLong = errors.New("too long")
	// ErrControl: a cell holds a control character other than tab and
	// line feed (NUL, a bare carriage return, ...).
	ErrControl = errors.New("a control character")
	// ErrFormula: a cell looks like a spreadsheet formula (CSV injection)
	// or is an XLSX formula Excel never computed.
	ErrFormula = errors.New("a formula, not a value")
	// ErrExcelError: a cell is one of Excel's error values (#N/A, #REF!,
	// ...), the result of a formula that failed.
	ErrExcelError = errors.New("an Excel error value, not a value")
	// ErrFormat: the file is not a CSV or XLSX file this package reads,
	// or the options ask for what it cannot do.
	ErrFormat = errors.New("not a readable file")
)

// Reader reads a table: a header row naming the columns, then rows of
// values. It is not safe for concurrent use.
type Reader struct {
	src     source
	header  []string
	maxCell int
	err     error // a fatal error, returned again by Next
	closed  bool
}

// record is one row as a source gives it, before the common checks.
type record struct {
	number int
	cells  []string
	// uncomputed are the 1-based columns of XLSX formulas without a
	// value Excel computed.
	uncomputed []int
	// short says that cells missing at the end are empty cells: an XLSX
	// row ends at its last value, a CSV record at its last delimiter.
	short bool
}

// source is a format's reader of records.
type source interface {
	// next returns the next record (blank ones included), io.EOF at the
	// end, or an *Error.
	next() (record, error)
	// columns tells the source the header's width, which bounds a row.
	columns(n int)
	encoding() string
	close() error
}

// NewReader reads the header row of r and returns a Reader of the rows
// below it. CSV is read from r as Next asks for rows; an XLSX workbook is
// copied to a temporary file first (a zip archive is read from its end),
// which Close removes. When NewReader fails it leaves nothing to close.
func NewReader(r io.Reader, opt Options) (*Reader, error) {
	if err := opt.validate(); err != nil {
		return nil, wrap(&Error{Err: err, Fatal: true})
	}
	if opt.MaxCell == 0 {
		opt.MaxCell = DefaultMaxCell
	}
	if opt.MaxColumns == 0 {
		opt.MaxColumns = DefaultMaxColumns
	}
	br := bufio.NewReaderSize(r, sampleSize+utf8.UTFMax)
	format := opt.Format
	if format == "" {
		head, err := br.Peek(len(zipMagic))
		if err != nil && err != io.EOF {
			return nil, wrap(&Error{Err: readError{err}, Fatal: true})
		}
		format = CSV
		if bytes.Equal(head, zipMagic) {
			format = XLSX
		}
	}
	if head, _ := br.Peek(len(oleMagic)); bytes.Equal(head, oleMagic) {
		return nil, wrap(&Error{Err: fmt.Errorf("%w: an Excel 97-2003 workbook (.xls) or a password-protected one; save it as an Excel workbook (.xlsx) or as CSV, without a password", ErrEncoding), Fatal: true})
	}
	var src source
	var err error
	switch format {
	case CSV:
		src, err = newCSV(br, opt)
	case XLSX:
		src, err = newXLSX(br, opt)
	}
	if err != nil {
		return nil, wrap(err)
	}
	rd := &Reader{src: src, maxCell: opt.MaxCell}
	if err := rd.readHeader(opt.MaxColumns); err != nil {
		_ = src.close()
		return nil, wrap(err)
	}
	return rd, nil
}

// zipMagic starts every zip archive with entries (XLSX is one); oleMagic
// starts OLE2 compound files: legacy .xls workbooks and encrypted .xlsx.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

func (o Options) validate() error {
	switch o.Format {
	case "", CSV, XLSX:
	default:
		return fmt.Errorf("%w: the format %q is neither %q nor %q", ErrFormat, o.Format, CSV, XLSX)
	}
	if o.Comma != 0 && (o.Comma == '"' || o.Comma == '\r' || o.Comma == '\n' || o.Comma == utf8.RuneError || !utf8.ValidRune(o.Comma)) {
		return fmt.Errorf("%w: %q cannot separate CSV cells", ErrFormat, o.Comma)
	}
	if o.MaxCell < 0 || o.MaxColumns < 0 {
		return fmt.Errorf("%w: MaxCell and MaxColumns cannot be negative", ErrFormat)
	}
	return nil
}

// wrap gives err the code callers over HTTP answer with: the file's
// fault is CodeInvalid (400); failing to read it at all, CodeUnavailable.
func wrap(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Err: err, Fatal: true}
	}
	if isReadError(e.Err) {
		return itsm.Wrap(itsm.CodeUnavailable, e, "")
	}
	return itsm.Wrap(itsm.CodeInvalid, e, "")
}

// readError marks an error of the underlying reader or of the temporary
// file: not the file's content, so not the sender's fault.
type readError struct{ err error }

func (e readError) Error() string { return "reading the file: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

func isReadError(err error) bool {
	var re readError
	return errors.As(err, &re)
}

// readHeader reads the first non-blank row as the header. Trailing empty
// header cells are not columns: Excel writes them when a row below is
// wider, and the rows' empty cells beyond the header are tolerated too.
func (r *Reader) readHeader(maxColumns int) error {
	for {
		rec, err := r.src.next()
		if err == io.EOF {
			return &Error{Err: fmt.Errorf("%w: the file is empty; its first row must name the columns", ErrHeader), Fatal: true}
		}
		if err != nil {
			return asFatal(err)
		}
		cells := rec.cells
		for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) == 0 {
			continue
		}
		if len(cells) > maxColumns {
			return &Error{Row: rec.number, Column: maxColumns + 1, Fatal: true,
				Err: fmt.Errorf("%w: it names %d columns, at most %d are read", ErrHeader, len(cells), maxColumns)}
		}
		header := make([]string, len(cells))
		seen := make(map[string]int, len(cells))
		for i, c := range cells {
			name, err := r.checkCell(c, false)
			if err != nil {
				return &Error{Row: rec.number, Column: i + 1, Err: err, Fatal: true}
			}
			if name == "" {
				return &Error{Row: rec.number, Column: i + 1, Fatal: true,
					Err: fmt.Errorf("%w: the column has no name", ErrHeader)}
			}
			key := strings.ToLower(name)
			if j, dup := seen[key]; dup {
				return &Error{Row: rec.number, Column: i + 1, Name: name, Fatal: true,
					Err: fmt.Errorf("%w: column %d (%s) has the same name", ErrHeader, j+1, header[j])}
			}
			seen[key] = i
			header[i] = name
		}
		r.header = header
		r.src.columns(len(header))
		return nil
	}
}

// asFatal marks err, an *Error or not, as one that ends the reading.
func asFatal(err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Fatal = true
		return e
	}
	return &Error{Err: err, Fatal: true}
}

// Header returns the column names, trimmed, in the file's order.
func (r *Reader) Header() []string { return append([]string(nil), r.header...) }

// Encoding names how the file's bytes were read: "utf-8" or
// "windows-1252" for CSV, "xlsx" for a workbook. A CSV file is decided at
// its first byte outside ASCII; until then (and for a file of ASCII only,
// which both encodings read alike) it is "utf-8".
func (r *Reader) Encoding() string { return r.src.encoding() }

// Next returns the next non-blank row, io.EOF after the last. An error is
// an *Error (wrapped, see Error): when it is not Fatal, only that row is
// refused and Next may be called again for the rows after it.
func (r *Reader) Next() (Row, error) {
	if r.closed {
		return Row{}, wrap(&Error{Err: fmt.Errorf("the reader is closed: %w", fs.ErrClosed), Fatal: true})
	}
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		rec, err := r.src.next()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			return Row{}, r.fail(err)
		}
		row, blank, err := r.row(rec)
		if err != nil {
			return Row{}, r.fail(err)
		}
		if !blank {
			return row, nil
		}
	}
}

// fail returns err wrapped, remembering it when it ends the reading.
func (r *Reader) fail(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Err: err, Fatal: true}
	}
	werr := wrap(e)
	if e.Fatal {
		r.err = werr
	}
	return werr
}

// row checks a record's cells against the header and the rules of the
// package documentation; blank reports a row without values.
func (r *Reader) row(rec record) (row Row, blank bool, err error) {
	blank = len(rec.uncomputed) == 0
	for _, c := range rec.cells {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return Row{}, true, nil
	}
	n := len(r.header)
	for i := n; i < len(rec.cells); i++ {
		if strings.TrimSpace(rec.cells[i]) != "" {
			return Row{}, false, &Error{Row: rec.number, Column: i + 1,
				Err: fmt.Errorf("%w: a value in a column the header does not name (it names %d)", ErrRagged, n)}
		}
	}
	if len(rec.cells) < n && !rec.short {
		return Row{}, false, &Error{Row: rec.number,
			Err: fmt.Errorf("%w: %d cells, the header has %d columns", ErrRagged, len(rec.cells), n)}
	}
	if len(rec.uncomputed) > 0 {
		c := rec.uncomputed[0]
		return Row{}, false, &Error{Row: rec.number, Column: c, Name: r.name(c),
			Err: fmt.Errorf("%w: Excel has not computed it; open the file in Excel and save it again", ErrFormula)}
	}
	cells := make([]string, n)
	for i := 0; i < n && i < len(rec.cells); i++ {
		v, err := r.checkCell(rec.cells[i], true)
		if err != nil {
			return Row{}, false, &Error{Row: rec.number, Column: i + 1, Name: r.header[i], Err: err}
		}
		cells[i] = v
	}
	return Row{Number: rec.number, Cells: cells}, false, nil
}

func (r *Reader) name(column int) string {
	if column >= 1 && column <= len(r.header) {
		return r.header[column-1]
	}
	return ""
}

// checkCell trims a cell and refuses what is not a plain value: invalid
// UTF-8, control characters, over-long cells and, for values, formulas
// and Excel's error values.
func (r *Reader) checkCell(s string, value bool) (string, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return "", nil
	}
	for i := 0; i < len(v); {
		if b := v[i]; b < utf8.RuneSelf {
			if b < 0x20 && b != '\t' && b != '\n' || b == 0x7F {
				return "", fmt.Errorf("%w (U+%04X) at byte %d", ErrControl, b, i+1)
			}
			i++
			continue
		}
		c, size := utf8.DecodeRuneInString(v[i:])
		if c == utf8.RuneError {
			if size == 1 {
				return "", fmt.Errorf("%w: byte 0x%02X at byte %d is not UTF-8, though the file was read as UTF-8 from its first non-ASCII text on; save the whole file in one encoding", ErrEncoding, v[i], i+1)
			}
			if r.src.encoding() == encCP1252 {
				// Windows-1252 has no U+FFFD: the decoder wrote it for one
				// of the five bytes it leaves unassigned.
				return "", fmt.Errorf("%w: at byte %d, a byte (0x81, 0x8D, 0x8F, 0x90 or 0x9D) that is no character in Windows-1252, which the file was read in as it is not UTF-8", ErrEncoding, i+1)
			}
		}
		if isControl(c) {
			return "", fmt.Errorf("%w (U+%04X) at byte %d", ErrControl, c, i+1)
		}
		i += size
	}
	if len(v) > r.maxCell {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(v), r.maxCell)
	}
	if !value {
		return v, nil
	}
	if isFormula(v) {
		return "", fmt.Errorf("%w: %s starts as a formula does; if it is text, start it with another character", ErrFormula, quote(v))
	}
	if v[0] == '#' && excelErrors[v] {
		return "", fmt.Errorf("%w: %s", ErrExcelError, v)
	}
	return v, nil
}

// isControl reports the characters no inventory value holds: C0 controls
// but tab and line feed, DEL and the C1 controls.
func isControl(c rune) bool {
	switch {
	case c == '\t' || c == '\n':
		return false
	case c < 0x20:
		return true
	case c >= 0x7F && c <= 0x9F:
		return true
	}
	return false
}

// isFormula reports a value that a spreadsheet opening it as CSV would
// run as a formula: one that starts with '=' or '@', or with '+' or '-'
// followed by more than a number or phone number is ("-12", "+46 8 123
// 45 67", "-", "+46 (0)8-123" are values; "-2+3+cmd|..." and "+A1" are
// not). What a plain number may hold is narrow on purpose: no letter, no
// quote, no '!' or '|' can reach a function or another program.
func isFormula(v string) bool {
	switch v[0] {
	case '=', '@':
		return true
	case '+', '-':
		for i := 1; i < len(v); i++ {
			if !strings.ContainsRune("0123456789 .,-()/", rune(v[i])) {
				return true
			}
		}
	}
	return false
}

// excelErrors are the values Excel writes for a formula that failed,
// into an XLSX file's cache and into the CSV files it saves.
var excelErrors = map[string]bool{
	"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true, "#NUM!": true,
	"#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true, "#FIELD!": true,
	"#BLOCKED!": true, "#CONNECT!": true, "#BUSY!": true, "#UNKNOWN!": true, "#PYTHON!": true,
}

// maxQuoted bounds how much of a refused value an error repeats.
const maxQuoted = 40

func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// Close releases what the Reader holds: an XLSX workbook's temporary
// files. It does not close the io.Reader given to NewReader.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if err := r.src.close(); err != nil {
		return wrap(&Error{Err: readError{err}, Fatal: true})
	}
	return nil
}
