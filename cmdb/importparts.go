package cmdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// An import keeps its file and its report beside its record, in records of
// their own (parts), written as the dry run streams the file: a chunk of
// the file or a page of the report each, so that neither the file nor the
// report is ever whole in memory, and a record stays far below
// itsm.MaxBodySize.
const (
	// ChunkSize is the most bytes of the file one chunk record holds
	// (base64 in its JSON body: a third more).
	ChunkSize = 1 << 20
	// PageSize is the most discrepancies one report page holds.
	PageSize = 1000
	// pageBytes bounds a page by about how much JSON it takes, for rows
	// of many long values.
	pageBytes = 4 << 20
)

// part is a chunk of an import's file or a page of its report.
type part struct {
	Import        itsm.ID       `json:"import"`
	Seq           int           `json:"seq"`
	Data          []byte        `json:"data,omitempty"`
	Discrepancies []Discrepancy `json:"discrepancies,omitempty"`
}

// partValue is the IndexPart value of part seq of imp.
func partValue(imp itsm.ID, seq int) string { return imp.String() + " " + itsm.IndexInt(int64(seq)) }

// putPart stores p, a part of kind, as record id at version (0: new).
func putPart(tx itsm.WriteTx, kind string, id itsm.ID, version int64, p *part) error {
	body, err := json.Marshal(p)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode %s %d of import %s", kind, p.Seq, p.Import)
	}
	_, err = tx.Put(itsm.Record{Kind: kind, ID: id, Version: version, Body: body,
		Unique: map[string]string{IndexPart: partValue(p.Import, p.Seq)}})
	return err
}

// loadPart reads part seq of kind of imp, and its record.
func loadPart(tx itsm.ReadTx, kind string, imp itsm.ID, seq int) (*part, itsm.Record, error) {
	page, err := tx.Query(itsm.Query{Kind: kind, Index: IndexPart, Match: itsm.MatchEqual, Value: partValue(imp, seq), Limit: 1})
	if err != nil {
		return nil, itsm.Record{}, err
	}
	if len(page.Matches) == 0 {
		return nil, itsm.Record{}, itsm.Errorf(itsm.CodeInternal, "import %s: %s %d is gone", imp, kind, seq)
	}
	rec := page.Matches[0].Record
	p, err := itsm.DecodeRecord[part](rec, kind)
	return p, rec, err
}

// dropParts deletes the parts of an import that did not come to be, a
// thousand in each transaction.
func (s *Service) dropParts(ctx context.Context, imp itsm.ID) error {
	for _, kind := range []string{KindImportChunk, KindImportReport} {
		for {
			n := 0
			err := s.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
				page, err := tx.Query(itsm.Query{Kind: kind, Index: IndexPart, Match: itsm.MatchPrefix, Value: imp.String() + " ", Limit: itsm.MaxLimit})
				if err != nil {
					return err
				}
				n = len(page.Matches)
				for _, h := range page.Matches {
					if err := tx.Delete(kind, h.Record.ID, h.Record.Version); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// stash keeps the file a dry run reads, as the reading goes (it is the
// writer of an io.TeeReader), in chunk records, each written in a
// transaction of its own; and measures and digests it.
type stash struct {
	ctx    context.Context
	s      *Service
	imp    itsm.ID
	buf    []byte
	chunks int
	size   int64
	hash   hash.Hash
	// err is the first failure, which the reading of the file reports
	// as its own: the file too big, or the store failing.
	err error
}

func newStash(ctx context.Context, s *Service, imp itsm.ID) *stash {
	return &stash{ctx: ctx, s: s, imp: imp, buf: make([]byte, 0, ChunkSize), hash: sha256.New()}
}

func (w *stash) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.size+int64(len(p)) > MaxImportSize {
		w.err = itsm.Errorf(itsm.CodeInvalid, "import: the file is larger than %d MiB", MaxImportSize>>20)
		return 0, w.err
	}
	w.size += int64(len(p))
	w.hash.Write(p)
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == ChunkSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush stores what the stash holds as the next chunk.
func (w *stash) flush() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	p := &part{Import: w.imp, Seq: w.chunks, Data: w.buf}
	w.err = itsm.WriteRetrying(w.ctx, w.s.cfg.Store, func(tx itsm.WriteTx) (bool, error) {
		return false, putPart(tx, KindImportChunk, itsm.NewID(), 0, p)
	})
	w.chunks++
	w.buf = w.buf[:0]
	return w.err
}

// digest is the file's digest as an Import keeps it.
func digest(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// chunks reads an import's file back from its chunk records in tx, the
// transaction of its apply, and digests it as it goes.
type chunks struct {
	tx   itsm.ReadTx
	imp  *Import
	seq  int
	buf  []byte
	size int64
	hash hash.Hash
}

func newChunks(tx itsm.ReadTx, imp *Import) *chunks {
	return &chunks{tx: tx, imp: imp, hash: sha256.New()}
}

func (r *chunks) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.seq == r.imp.Chunks {
			return 0, io.EOF
		}
		c, _, err := loadPart(r.tx, KindImportChunk, r.imp.ID, r.seq)
		if err != nil {
			return 0, err
		}
		r.seq++
		r.buf = c.Data
		r.size += int64(len(c.Data))
		r.hash.Write(c.Data)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// verify reads what the reading of the file left and checks that the
// chunks are the file the dry run read.
func (r *chunks) verify() error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if d := digest(r.hash); r.size != r.imp.Size || d != r.imp.Digest {
		return itsm.Errorf(itsm.CodeInternal, "import %s: the file kept is %d bytes of %s, not the %d bytes of %s read in its dry run",
			r.imp.Number, r.size, d, r.imp.Size, r.imp.Digest)
	}
	return nil
}

// report collects the discrepancies of a dry run and stores them a page at
// a time, each in a transaction of its own, outside the read transactions
// that find them.
type report struct {
	ctx    context.Context
	s      *Service
	imp    itsm.ID
	buf    []Discrepancy
	bytes  int
	pages  int
	counts Counts
}

func (w *report) add(d Discrepancy) {
	w.counts.add(d.Kind)
	w.buf = append(w.buf, d)
	w.bytes += d.size()
}

// flush stores every full page; all stores the rest too.
func (w *report) flush(all bool) error {
	for len(w.buf) >= PageSize || w.bytes >= pageBytes || all && len(w.buf) > 0 {
		n, size := 0, 0
		for n < len(w.buf) && n < PageSize && (n == 0 || size+w.buf[n].size() <= pageBytes) {
			size += w.buf[n].size()
			n++
		}
		p := &part{Import: w.imp, Seq: w.pages, Discrepancies: w.buf[:n]}
		err := itsm.WriteRetrying(w.ctx, w.s.cfg.Store, func(tx itsm.WriteTx) (bool, error) {
			return false, putPart(tx, KindImportReport, itsm.NewID(), 0, p)
		})
		if err != nil {
			return err
		}
		w.pages++
		w.buf = append(w.buf[:0], w.buf[n:]...)
		w.bytes -= size
	}
	return nil
}

// check reads the report of a dry run back in the transaction of its
// apply, one page at a time, for the apply to compare its own
// discrepancies with, and gives the items the apply creates their IDs and
// numbers in it.
type check struct {
	tx    itsm.WriteTx
	imp   *Import
	seq   int
	page  *part
	rec   itsm.Record
	pos   int
	dirty bool
}

// next returns the next discrepancy of the report, which the caller may
// change (then marking the page dirty), or nil at the report's end.
func (c *check) next() (*Discrepancy, error) {
	for c.page == nil || c.pos == len(c.page.Discrepancies) {
		if err := c.store(); err != nil {
			return nil, err
		}
		if c.seq == c.imp.Pages {
			return nil, nil
		}
		p, rec, err := loadPart(c.tx, KindImportReport, c.imp.ID, c.seq)
		if err != nil {
			return nil, err
		}
		c.page, c.rec, c.pos = p, rec, 0
		c.seq++
	}
	c.pos++
	return &c.page.Discrepancies[c.pos-1], nil
}

// store writes the current page back if the apply changed it.
func (c *check) store() error {
	if c.page != nil && c.dirty {
		if err := putPart(c.tx, KindImportReport, c.rec.ID, c.rec.Version, c.page); err != nil {
			return err
		}
	}
	c.page, c.dirty = nil, false
	return nil
}

// readReport returns up to limit discrepancies of imp's report from
// cursor on, read in tx.
func readReport(tx itsm.ReadTx, imp *Import, cursor itsm.Cursor, limit int) (ReportPage, error) {
	seq, pos, err := parseReportCursor(cursor)
	if err != nil {
		return ReportPage{}, err
	}
	out := ReportPage{Discrepancies: []Discrepancy{}}
	for seq < imp.Pages {
		p, _, err := loadPart(tx, KindImportReport, imp.ID, seq)
		if err != nil {
			return ReportPage{}, err
		}
		if pos > len(p.Discrepancies) {
			return ReportPage{}, itsm.Errorf(itsm.CodeInvalid, "report cursor %q is not of this report", cursor)
		}
		for ; pos < len(p.Discrepancies); pos++ {
			if len(out.Discrepancies) == limit {
				out.Next = reportCursor(seq, pos)
				return out, nil
			}
			out.Discrepancies = append(out.Discrepancies, p.Discrepancies[pos])
		}
		seq, pos = seq+1, 0
	}
	return out, nil
}

// A report cursor is "page.position".
func reportCursor(seq, pos int) itsm.Cursor {
	return itsm.Cursor(strconv.Itoa(seq) + "." + strconv.Itoa(pos))
}

func parseReportCursor(c itsm.Cursor) (seq, pos int, err error) {
	if c == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(string(c), ".")
	seq, err1 := strconv.Atoi(a)
	pos, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || seq < 0 || pos < 0 || seq > MaxImportRows || pos > PageSize {
		return 0, 0, itsm.Errorf(itsm.CodeInvalid, "report cursor %q is not one this report gave", itsm.Printable(string(c), 64))
	}
	return seq, pos, nil
}
