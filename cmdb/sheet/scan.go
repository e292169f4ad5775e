package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// formulaScan reads a worksheet's XML beside excelize's iterator, row for
// row, for what the iterator hides: a formula cell without a value Excel
// computed (files written by programs that cannot compute, such as
// excelize or openpyxl, before Excel opened them), which the iterator
// gives as an empty cell; and which cells hold numbers in a date or time
// style. It looks only at tags: the cells (<c>) inside <sheetData>, their
// formulas (<f>) and values (<v>). It costs one more unzipping of the
// sheet and a byte scan, and memory for one tag.
type formulaScan struct {
	rc    io.ReadCloser
	br    *bufio.Reader
	kinds []formatKind // by cell style index

	inData, done bool
	lastRow      int     // the last row started, as excelize numbers rows without r
	pending      rowScan // a row read ahead of the iterator, number 0 none
	tag          []byte
	textLen      int // bytes of text before the last tag
}

// rowScan is what the scan found in one row.
type rowScan struct {
	number     int
	uncomputed []int       // columns of formulas without a computed value
	times      []timedCell // numbers in a date or time style
}

// timedCell is a number in a date or time style: the cell (1-based
// column) and how to write it.
type timedCell struct {
	column int
	kind   formatKind
}

// maxTag bounds the bytes of a tag kept: names and the attributes read
// (r, s, t) come first, and nothing this scan reads is long.
const maxTag = 4096

func newFormulaScan(part *zip.File, kinds []formatKind) (*formulaScan, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	return &formulaScan{rc: rc, br: bufio.NewReaderSize(rc, 64<<10), kinds: kinds}, nil
}

func (fs *formulaScan) close() error {
	if fs.rc == nil {
		return nil
	}
	err := fs.rc.Close()
	fs.rc = nil
	return err
}

// row returns what the scan found in row n. Rows are asked for in
// ascending order, as the iterator goes.
func (fs *formulaScan) row(n int) (rowScan, error) {
	for {
		if fs.pending.number > 0 {
			if fs.pending.number > n {
				return rowScan{}, nil
			}
			r := fs.pending
			fs.pending = rowScan{}
			if r.number == n {
				return r, nil
			}
		}
		if fs.done {
			return rowScan{}, nil
		}
		r, err := fs.scanRow()
		if err != nil {
			return rowScan{}, err
		}
		if r.number == 0 {
			fs.done = true
			continue
		}
		fs.pending = r
	}
}

// scanRow reads the next <row> element (number 0 at the end of the
// sheet's data).
func (fs *formulaScan) scanRow() (rowScan, error) {
	var (
		r                  rowScan
		col, style         int
		inRow, inCell      bool
		hasF, hasV, emptyV bool
		cellType           string
	)
	for {
		name, self, err := fs.nextTag()
		if err == io.EOF {
			return rowScan{}, nil
		}
		if err != nil {
			return rowScan{}, err
		}
		switch name {
		case "sheetData":
			fs.inData = !self
			if self {
				return rowScan{}, nil
			}
			continue
		case "/sheetData":
			return rowScan{}, nil
		}
		if !fs.inData {
			continue
		}
		switch name {
		case "row":
			fs.lastRow++
			if v, ok := fs.attr("r"); ok {
				if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
					fs.lastRow = n
				}
			}
			col, r, inRow = 0, rowScan{number: fs.lastRow}, true
			if self {
				return r, nil
			}
		case "/row":
			if inRow {
				return r, nil
			}
		case "c":
			col++
			if v, ok := fs.attr("r"); ok {
				if c := columnNumber(v); c > 0 {
					col = c
				}
			}
			t, _ := fs.attr("t")
			cellType = string(t)
			style = 0
			if v, ok := fs.attr("s"); ok {
				style, _ = strconv.Atoi(string(v))
			}
			hasF, hasV, emptyV, inCell = false, false, false, !self
		case "f":
			hasF = hasF || inCell
		case "v":
			if inCell {
				hasV, emptyV = true, self
			}
		case "/v":
			if inCell {
				emptyV = fs.textLen == 0
			}
		case "/c":
			if !inCell {
				continue
			}
			// A formula whose result is the empty string has t="str" and
			// an empty value; any other empty value was never computed.
			if hasF && (!hasV || emptyV && cellType != "str") {
				r.uncomputed = append(r.uncomputed, col)
			}
			// A number (no type, or "n") in a date or time style.
			if hasV && !emptyV && (cellType == "" || cellType == "n") && style > 0 && style < len(fs.kinds) && fs.kinds[style] >= date {
				r.times = append(r.times, timedCell{column: col, kind: fs.kinds[style]})
			}
			inCell = false
		}
	}
}

// nextTag reads up to the next tag and returns its name without a
// namespace prefix ("/c" for an end tag) and whether it closes itself;
// comments, CDATA, processing instructions and declarations are skipped.
func (fs *formulaScan) nextTag() (string, bool, error) {
	for {
		fs.textLen = 0
		for {
			b, err := fs.br.ReadSlice('<')
			fs.textLen += len(b)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err == io.EOF {
					return "", false, io.EOF
				}
				return "", false, err
			}
			fs.textLen-- // the '<'
			break
		}
		next, err := fs.br.Peek(1)
		if err != nil {
			return "", false, eof(err)
		}
		switch next[0] {
		case '!':
			if err := fs.skipSpecial(); err != nil {
				return "", false, err
			}
			continue
		case '?':
			if err := fs.skipTo([]byte("?>")); err != nil {
				return "", false, err
			}
			continue
		}
		if err := fs.readTag(); err != nil {
			return "", false, err
		}
		t := fs.tag
		self := len(t) > 0 && t[len(t)-1] == '/'
		end := bytes.IndexAny(t, " \t\r\n/>")
		if end < 0 {
			end = len(t)
		}
		if end == 0 && len(t) > 0 && t[0] == '/' {
			// An end tag: "/" then the name.
			rest := t[1:]
			e := bytes.IndexAny(rest, " \t\r\n>")
			if e < 0 {
				e = len(rest)
			}
			return "/" + string(localName(rest[:e])), false, nil
		}
		return string(localName(t[:end])), self, nil
	}
}

// readTag reads a tag's bytes after '<' up to its '>' (outside quoted
// attribute values) into fs.tag, keeping at most maxTag of them.
func (fs *formulaScan) readTag() error {
	fs.tag = fs.tag[:0]
	var quote byte
	for {
		c, err := fs.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return nil
		}
		if len(fs.tag) < maxTag {
			fs.tag = append(fs.tag, c)
		}
	}
}

// skipSpecial skips what starts "<!": a comment, a CDATA section or a
// declaration.
func (fs *formulaScan) skipSpecial() error {
	head, _ := fs.br.Peek(8)
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		return fs.skipTo([]byte("-->"))
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		return fs.skipTo([]byte("]]>"))
	}
	return fs.skipTo([]byte(">"))
}

// skipTo reads past the next occurrence of end.
func (fs *formulaScan) skipTo(end []byte) error {
	last := end[len(end)-1]
	var tail []byte
	for {
		c, err := fs.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		tail = append(tail, c)
		if len(tail) > len(end) {
			tail = tail[len(tail)-len(end):]
		}
		if c == last && bytes.Equal(tail, end) {
			return nil
		}
	}
}

// eof turns an end of file inside a tag into an error: the sheet's XML is
// cut short.
func eof(err error) error {
	if err == io.EOF {
		return errors.New("the sheet's XML ends inside a tag")
	}
	return err
}

// attr returns the value of the last tag's attribute whose local name is
// name.
func (fs *formulaScan) attr(name string) ([]byte, bool) {
	t := fs.tag
	// Skip the element's name.
	i := bytes.IndexAny(t, " \t\r\n")
	if i < 0 {
		return nil, false
	}
	t = t[i:]
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		eq := bytes.IndexByte(t, '=')
		if eq < 0 {
			return nil, false
		}
		key := bytes.TrimSpace(t[:eq])
		t = bytes.TrimLeft(t[eq+1:], " \t\r\n")
		if len(t) == 0 || (t[0] != '"' && t[0] != '\'') {
			return nil, false
		}
		q := t[0]
		end := bytes.IndexByte(t[1:], q)
		if end < 0 {
			return nil, false
		}
		value := t[1 : 1+end]
		t = t[end+2:]
		if string(localName(key)) == name {
			return value, true
		}
	}
}

// localName strips a namespace prefix: "x:c" is "c".
func localName(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// columnNumber reads the column of a cell reference ("AB12" is 28), 0
// when it is not one.
func columnNumber(ref []byte) int {
	n := 0
	for i, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			n = n*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			n = n*26 + int(c-'a'+1)
		case c >= '0' && c <= '9' && i > 0:
			return n
		default:
			return 0
		}
		if n > 16384 {
			return 0
		}
	}
	return 0
}
