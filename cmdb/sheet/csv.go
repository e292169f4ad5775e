package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// sampleSize is how much text decides the encoding and holds the header
// line the delimiter is detected from.
const sampleSize = 64 << 10

// The names Encoding reports.
const (
	encUTF8    = "utf-8"
	encCP1252  = "windows-1252"
	encXLSX    = "xlsx"
	unassigned = ""
)

// errRowTooLong is what the guard says when a record outgrows what its
// cells may hold.
var errRowTooLong = errors.New("row too long")

// csvSource reads records with encoding/csv from the decoded text. The
// layers, from the file up: the caller's reader, a buffer the encoding is
// decided on, the decoder, the guard bounding a record, and a buffer
// encoding/csv reads lines from (the delimiter is detected on it first).
type csvSource struct {
	dec *decoder
	g   *guard
	cr  *csv.Reader

	maxCell, maxColumns int
	budget              int64 // bytes one record may take
	// lastRow and lastLine are the row number of the last record and the
	// file line it ended on: the lines between two records are blank
	// rows, which encoding/csv skips but Excel counts.
	lastRow, lastLine int
}

func newCSV(br *bufio.Reader, opt Options) (source, error) {
	dec := &decoder{br: br}
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, &Error{Err: readError{err}, Fatal: true}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		dec.mode = encUTF8
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, &Error{Fatal: true, Err: fmt.Errorf("%w: the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or \"CSV (semicolon delimited)\"", ErrEncoding)}
	}
	s := &csvSource{dec: dec, maxCell: opt.MaxCell, maxColumns: opt.MaxColumns}
	s.g = &guard{r: dec}
	s.columns(opt.MaxColumns)
	s.g.limit = s.budget + sampleSize
	lines := bufio.NewReaderSize(s.g, sampleSize)
	comma := opt.Comma
	if comma == 0 {
		comma = detectComma(lines)
	}
	s.cr = csv.NewReader(lines) // reads from lines itself: it is big enough
	s.cr.Comma = comma
	s.cr.FieldsPerRecord = -1
	s.cr.ReuseRecord = true
	return s, nil
}

// columns bounds the records after the header by its width: every cell at
// its longest with every character a doubled quote, the delimiters, and
// as many empty cells beyond the header as a header may have columns.
func (s *csvSource) columns(n int) {
	s.budget = int64(n)*(2*int64(s.maxCell)+3) + int64(s.maxColumns) + 2
}

func (s *csvSource) encoding() string {
	if s.dec.mode == unassigned {
		return encUTF8
	}
	return s.dec.mode
}

func (s *csvSource) close() error { return nil }

func (s *csvSource) next() (record, error) {
	// The buffer below encoding/csv reads ahead of the record at most its
	// size.
	s.g.limit = s.cr.InputOffset() + s.budget + sampleSize
	rec, err := s.cr.Read()
	if err == io.EOF {
		return record{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			number := s.lastRow + 1 + max(0, pe.StartLine-s.lastLine-1)
			s.lastRow, s.lastLine = number, pe.Line
			return record{}, &Error{Row: number,
				Err: fmt.Errorf("%w (line %d, character %d of the file); a cell holding a quote must be quoted, its quotes doubled", pe.Err, pe.Line, pe.Column)}
		}
		number := s.lastRow + 1
		if errors.Is(err, errRowTooLong) {
			return record{}, &Error{Row: number, Fatal: true,
				Err: fmt.Errorf("%w: the row is over %d bytes, more than its cells may hold; a quote that is never closed makes the rest of the file one cell", ErrTooLong, s.budget)}
		}
		return record{}, &Error{Row: number, Err: err, Fatal: true}
	}
	start, _ := s.cr.FieldPos(0)
	end, _ := s.cr.FieldPos(len(rec) - 1)
	end += strings.Count(rec[len(rec)-1], "\n")
	number := s.lastRow + 1 + max(0, start-s.lastLine-1)
	s.lastRow, s.lastLine = number, end
	return record{number: number, cells: rec}, nil
}

// detectComma counts ';', tab and ',' outside quotes on the header line
// and picks the most frequent, ';' on a tie (Swedish Excel's), and ';'
// when there is none (a single column).
func detectComma(br *bufio.Reader) rune {
	var line []byte
	for n := 512; ; n *= 2 {
		n = min(n, sampleSize)
		b, err := br.Peek(n)
		line = b
		if end := lineEnd(b); end >= 0 {
			line = b[:end]
			break
		}
		if err != nil || n == sampleSize {
			break
		}
	}
	counts := map[byte]int{}
	quoted := false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ';' || c == '\t' || c == ','):
			counts[c]++
		}
	}
	best := byte(';')
	for _, c := range []byte{'\t', ','} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// lineEnd is the index of the first line feed outside quotes, or -1.
func lineEnd(b []byte) int {
	quoted := false
	for i, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return i
		}
	}
	return -1
}

// decoder turns the file's bytes into UTF-8. It passes ASCII through
// undecided, since both encodings read it alike, and decides at the first
// byte outside ASCII: UTF-8 when the sampleSize bytes from there are
// valid UTF-8 (but for a character the sample cuts), Windows-1252
// otherwise. A byte order mark decides UTF-8 before anything is read.
// Invalid UTF-8 after a UTF-8 decision passes through, for the cell
// check to refuse with its row and column.
type decoder struct {
	br   *bufio.Reader // at least sampleSize big
	mode string
	t    io.Reader // the Windows-1252 decoder, once decided
}

func (d *decoder) Read(p []byte) (int, error) {
	n, err := d.read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

func (d *decoder) read(p []byte) (int, error) {
	switch d.mode {
	case encUTF8:
		return d.br.Read(p)
	case encCP1252:
		return d.t.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := d.br.Peek(min(d.br.Buffered(), len(p)))
	ascii := 0
	for ascii < len(buf) && buf[ascii] < utf8.RuneSelf {
		ascii++
	}
	if ascii > 0 {
		n := copy(p, buf[:ascii])
		_, _ = d.br.Discard(n)
		return n, nil
	}
	sample, err := d.br.Peek(sampleSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, err
	}
	if validUTF8(sample, err == io.EOF) {
		d.mode = encUTF8
	} else {
		d.mode = encCP1252
		d.t = transform.NewReader(d.br, charmap.Windows1252.NewDecoder())
	}
	return d.read(p)
}

// validUTF8 reports whether b is UTF-8, allowing an incomplete character
// at its end unless b is the end of the file.
func validUTF8(b []byte, atEOF bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if atEOF {
		return false
	}
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return utf8.Valid(b[:len(b)-k])
			}
			break
		}
	}
	return false
}

// guard fails a read that would take the record encoding/csv is reading
// beyond limit: encoding/csv holds a whole record in memory, and an
// unclosed quote would otherwise make the rest of the file one record.
type guard struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
}

func (g *guard) Read(p []byte) (int, error) {
	if g.n >= g.limit {
		return 0, errRowTooLong
	}
	if int64(len(p)) > g.limit-g.n {
		p = p[:g.limit-g.n]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}
