package itsm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Store is where spoc keeps its records, its event log and its ticket
// counters. It is deliberately small so that another database can be plugged
// in: a backend implements three methods and passes the conformance suite in
// package storetest. spoc ships memstore (go-memdb), sqlitestore (SQLite) and
// pgstore (PostgreSQL).
//
// All work happens in transactions. Read runs fn against a consistent
// snapshot; Write runs fn in an atomic write transaction that commits only
// when fn returns nil and every write inside it succeeded, and leaves nothing
// behind otherwise. Neither retries fn: a conflict is reported, and the
// caller decides whether to reload and try again.
//
// Writes are checked, not locked: Put and Delete compare the version the
// caller read with the stored one, so a change decided on a stale read fails
// with CodeConflict instead of overwriting someone else's. Reads inside a
// write transaction see its own writes; whether they also see what other
// transactions commit meanwhile is up to the backend (memstore and
// sqlitestore run one writer at a time; pgstore runs at PostgreSQL's READ
// COMMITTED). A decision that depends on a record the transaction does not
// write is therefore not protected against a concurrent change of that
// record; put the record back with its version if it must be.
//
// The transaction passed to fn is valid only until fn returns, and must not
// be used from several goroutines at once. Its methods honour the context
// given to Read or Write: once it is cancelled they fail and Write commits
// nothing.
//
// A Store is safe for concurrent use by many goroutines.
type Store interface {
	// Read runs fn in a read-only transaction that sees one consistent
	// snapshot of the store. It returns fn's error unchanged.
	Read(ctx context.Context, fn func(ReadTx) error) error
	// Write runs fn in a write transaction. It commits when fn returns nil
	// and no write method of the transaction failed; otherwise it rolls back
	// and returns fn's error, or the first failed write's error when fn
	// swallowed it. Commit errors have CodeUnavailable or CodeConflict.
	Write(ctx context.Context, fn func(WriteTx) error) error
	// Close releases the store's resources. Transactions must have ended.
	Close() error
}

// ReadTx reads records and events. Every error it returns is an *Error or
// wraps the context's error.
type ReadTx interface {
	// Get returns the record of kind with id, or an error with CodeNotFound.
	Get(kind string, id ID) (Record, error)
	// Query returns the records matching q in index order; see Query.
	Query(q Query) (Page, error)
	// Events returns up to limit events whose Seq is greater than after, in
	// Seq order. limit 0 means DefaultLimit; more than MaxLimit is invalid.
	Events(after int64, limit int) ([]Event, error)
}

// WriteTx reads and writes. Reads see the transaction's own writes. Once a
// write method fails the transaction is spoiled: Write rolls it back whatever
// fn returns.
type WriteTx interface {
	ReadTx
	// Put stores r and returns its new version. r.Version is the version the
	// caller read: 0 creates a record that must not exist yet, n updates the
	// record only if its version is still n. A stale version, an existing
	// record on create, or a Unique value another record of the kind already
	// holds fail with CodeConflict; an invalid record with CodeInvalid.
	Put(r Record) (version int64, err error)
	// Delete removes the record of kind with id if its version is still
	// version. A missing record fails with CodeNotFound, a stale version
	// with CodeConflict. Its index values go with it; its events stay.
	Delete(kind string, id ID, version int64) error
	// Append adds e to the event log and returns it as stored: with the
	// next global Seq (1, 2, 3, ... with no gap, in commit order), an ID
	// (a new one if e.ID is zero) and Time in UTC.
	Append(e Event) (Event, error)
	// NextNumber returns the next master ticket number for prefix: Seq 1
	// for the first, then one more than the last committed, with no gap and
	// no duplicate however many writers run, because a rolled-back
	// transaction gives its number back. Counters serialise the
	// transactions that use them until they end, so take numbers before
	// appending events: a backend with row locks (pgstore) may otherwise
	// find two transactions waiting for each other and fail one with
	// CodeConflict.
	NextNumber(prefix string) (Number, error)
}

// Record is one stored domain object: a JSON body the store does not
// interpret, and the index values the domain package declares so that it can
// find records without reading every body.
type Record struct {
	// Kind names the type of record, such as "incident": a lower-case
	// letter, then up to 63 lower-case letters, digits, '_', '.' or '-'.
	Kind string
	// ID identifies the record within its kind; it must not be zero.
	ID ID
	// Version counts the record's writes: 1 after the first Put. Put
	// compares it with the stored version; see WriteTx.Put.
	Version int64
	// Body is the record itself: valid JSON of at most MaxBodySize bytes,
	// returned byte for byte as it was put.
	Body json.RawMessage
	// Unique holds values that identify the record within its kind, such as
	// {"number": "INC0000042"}: no two records of a kind share a value of
	// the same name. Empty values are not stored.
	Unique map[string]string
	// Index holds values to look the record up by, several per name
	// allowed, such as {"state": {"delegated"}, "held_by": {org1, org2}}.
	// Duplicates within a name count once; empty values are not stored.
	// A name must not appear in both Unique and Index.
	Index map[string][]string
}

// IndexEntry is one index value of a record as a store keeps it: a Unique or
// Index value with its name.
type IndexEntry struct {
	Name   string
	Value  string
	Unique bool
}

// CompareIndexEntries orders entries by name, then by value, bytewise: the
// order of Record.Entries.
func CompareIndexEntries(a, b IndexEntry) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// Entries returns r's index values the way every store keeps them: empty
// values dropped, duplicates within a name counted once, sorted by
// CompareIndexEntries; nil when there are none. Backends store these and
// rebuild the maps with SetEntries, so that all of them return the same
// normalised record.
func (r Record) Entries() []IndexEntry {
	n := len(r.Unique)
	for _, vs := range r.Index {
		n += len(vs)
	}
	if n == 0 {
		return nil
	}
	es := make([]IndexEntry, 0, n)
	for name, v := range r.Unique {
		if v != "" {
			es = append(es, IndexEntry{Name: name, Value: v, Unique: true})
		}
	}
	for name, vs := range r.Index {
		for _, v := range vs {
			if v != "" {
				es = append(es, IndexEntry{Name: name, Value: v})
			}
		}
	}
	slices.SortFunc(es, CompareIndexEntries)
	// A valid record never has a name in both maps, so equal name and value
	// is a duplicate Index value.
	es = slices.CompactFunc(es, func(a, b IndexEntry) bool { return a.Name == b.Name && a.Value == b.Value })
	if len(es) == 0 {
		return nil
	}
	return es
}

// SetEntries replaces r.Unique and r.Index with the maps that es, sorted as
// Entries returns them, describe: each name's Index values in order, and nil
// maps when there is nothing to put in them.
func (r *Record) SetEntries(es []IndexEntry) {
	r.Unique, r.Index = nil, nil
	// One backing array for all Index values and maps sized up front: a
	// store calls this for every record it returns.
	var unique, names, values int
	for i, e := range es {
		switch {
		case e.Unique:
			unique++
		case i == 0 || es[i-1].Name != e.Name || es[i-1].Unique:
			names++
			values++
		default:
			values++
		}
	}
	if unique > 0 {
		r.Unique = make(map[string]string, unique)
	}
	if names == 0 {
		for _, e := range es {
			r.Unique[e.Name] = e.Value
		}
		return
	}
	r.Index = make(map[string][]string, names)
	all := make([]string, 0, values)
	for i := 0; i < len(es); {
		e := es[i]
		if e.Unique {
			r.Unique[e.Name] = e.Value
			i++
			continue
		}
		start := len(all)
		for ; i < len(es) && es[i].Name == e.Name && !es[i].Unique; i++ {
			all = append(all, es[i].Value)
		}
		// Capped, so that a caller appending to one name's values cannot
		// overwrite the next name's.
		r.Index[e.Name] = all[start:len(all):len(all)]
	}
}

// Event is one entry of the append-only event log: the audit trail, the
// source of timelines, the outbox of webhooks and the feed of reports.
type Event struct {
	// Seq is the event's position in the log, set by Append: the first
	// event is 1 and every committed event is one more than the one before.
	Seq int64
	// ID identifies the event everywhere it is delivered, so that a
	// receiver can drop duplicates; Append sets a new one when it is zero.
	ID ID
	// Type names what happened, such as "incident.delegated": dot-separated
	// words of lower-case letters, digits and '_', at most 128 bytes.
	Type string
	// Kind and Subject name the record the event is about; both are
	// optional, but Subject needs Kind.
	Kind    string
	Subject ID
	// Time is when it happened, as the domain's clock says; it must not be
	// zero and is stored in UTC with nanoseconds.
	Time time.Time
	// Data is the event's payload: valid JSON of at most MaxBodySize bytes;
	// empty means null.
	Data json.RawMessage
}

// Match selects how Query compares index values.
type Match int

// The ways of matching index values.
const (
	// MatchAll matches every value of the index. With Index "" it lists all
	// records of the kind in ID order.
	MatchAll Match = iota
	// MatchEqual matches values equal to Query.Value.
	MatchEqual
	// MatchPrefix matches values that begin with Query.Value.
	MatchPrefix
	// MatchRange matches values v with From <= v < To; an empty To means
	// no upper bound.
	MatchRange
)

// Limits shared by every backend, so that a record valid in one store is valid
// in all of them.
const (
	// DefaultLimit is the page size when Query.Limit or the limit of Events
	// is 0.
	DefaultLimit = 100
	// MaxLimit is the largest page Query and Events return.
	MaxLimit = 1000
	// MaxBodySize is the largest Record.Body or Event.Data in bytes.
	MaxBodySize = 16 << 20
	// MaxValueSize is the largest index value in bytes.
	MaxValueSize = 512
	// MaxIndexValues is the largest number of index values of one record,
	// Unique and Index together.
	MaxIndexValues = 256
)

// Query finds records by an index. Results come in index order: by value,
// compared byte by byte, then by record ID; Reverse turns the order round. A
// record appears once for each of its values that matches.
type Query struct {
	// Kind is the kind of record to find.
	Kind string
	// Index is the name of a Unique or Index entry; "" means the record ID,
	// which allows only MatchAll.
	Index string
	// Match selects the comparison; Value applies to MatchEqual and
	// MatchPrefix, From and To to MatchRange.
	Match Match
	Value string
	From  string
	To    string
	// Reverse returns the matches in descending order.
	Reverse bool
	// Limit is the most matches to return: 0 means DefaultLimit, more than
	// MaxLimit is invalid.
	Limit int
	// After continues from the Next cursor of an earlier page of the same
	// query; "" starts at the beginning.
	After Cursor
}

// Page is one page of a query's results.
type Page struct {
	// Matches are the results in the query's order.
	Matches []Hit
	// Next continues the query after the last match; it is "" when there
	// are no more matches. Records inserted or changed after the first page
	// do not make a later page skip or repeat a match that held all along.
	Next Cursor
}

// Hit is one result of a Query: the record and the index value that matched
// (its ID in text form for Index "").
type Hit struct {
	Value  string
	Record Record
}

// Cursor is an opaque position in a query's results, safe to hand to clients
// (it is URL-safe text). It names the last value and record ID returned, so
// that the next page starts strictly after them.
type Cursor string

// NewCursor returns the cursor positioned just after value and id in index
// order. Backends use it to build Page.Next.
func NewCursor(value string, id ID) Cursor {
	b := make([]byte, 0, len(id)+len(value))
	b = append(b, id[:]...)
	b = append(b, value...)
	return Cursor(base64.RawURLEncoding.EncodeToString(b))
}

// Position returns the value and record ID that c continues after. The empty
// cursor, and one that NewCursor did not make, fail with CodeInvalid.
func (c Cursor) Position() (value string, id ID, err error) {
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil || len(b) < len(id) || len(b)-len(id) > MaxValueSize {
		return "", ID{}, Errorf(CodeInvalid, "cursor %s is not one this store returned", quote(string(c)))
	}
	copy(id[:], b)
	value = string(b[len(id):])
	if id.IsZero() || !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return "", ID{}, Errorf(CodeInvalid, "cursor %s is not one this store returned", quote(string(c)))
	}
	return value, id, nil
}

// PrefixEnd returns the smallest string greater than every string that begins
// with prefix, for backends that turn MatchPrefix into a range; ok is false
// when there is none (prefix is empty or all 0xff bytes).
func PrefixEnd(prefix string) (end string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// IndexTime formats t as an index value that sorts in time order: UTC with a
// fixed nine-digit fraction, such as 2026-11-23T08:00:00.000000000Z. The zero
// time gives "", which is not indexed.
func IndexTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// IndexInt formats n as an index value that sorts in numeric order, negative
// numbers included: 20 digits of n offset by 2^63, so that math.MinInt64 is
// all zeros. Non-negative numbers therefore do not read as themselves; the
// value is for ordering, not for display.
func IndexInt(n int64) string {
	var b [20]byte
	u := uint64(n) ^ 1<<63
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + u%10)
		u /= 10
	}
	return string(b[:])
}

// ValidateRecord checks r against the rules every Store enforces, and returns
// an *Error with CodeInvalid naming the first broken one. Backends call it
// before writing, so that all of them accept exactly the same records.
func ValidateRecord(r Record) error {
	if err := validateName("record kind", r.Kind); err != nil {
		return err
	}
	if r.ID.IsZero() {
		return Errorf(CodeInvalid, "%s record: id must not be zero", r.Kind)
	}
	if r.Version < 0 {
		return Errorf(CodeInvalid, "%s %s: version %d is negative", r.Kind, r.ID, r.Version)
	}
	if err := validateJSON(r.Body, false); err != nil {
		return Errorf(CodeInvalid, "%s %s: body: %s", r.Kind, r.ID, err.Error())
	}
	n := 0
	for name, v := range r.Unique {
		if err := validateName("unique index name", name); err != nil {
			return Errorf(CodeInvalid, "%s %s: %s", r.Kind, r.ID, err.(*Error).Message)
		}
		if _, both := r.Index[name]; both {
			return Errorf(CodeInvalid, "%s %s: index %s is both unique and not", r.Kind, r.ID, name)
		}
		if err := validateValue(v); err != nil {
			return Errorf(CodeInvalid, "%s %s: unique index %s: %s", r.Kind, r.ID, name, err.Error())
		}
		n++
	}
	for name, vs := range r.Index {
		if err := validateName("index name", name); err != nil {
			return Errorf(CodeInvalid, "%s %s: %s", r.Kind, r.ID, err.(*Error).Message)
		}
		for _, v := range vs {
			if err := validateValue(v); err != nil {
				return Errorf(CodeInvalid, "%s %s: index %s: %s", r.Kind, r.ID, name, err.Error())
			}
		}
		n += len(vs)
	}
	if n > MaxIndexValues {
		return Errorf(CodeInvalid, "%s %s: %d index values, more than %d", r.Kind, r.ID, n, MaxIndexValues)
	}
	return nil
}

// ValidateEvent checks e as Append receives it (Seq is ignored) and returns an
// *Error with CodeInvalid naming the first broken rule.
func ValidateEvent(e Event) error {
	if len(e.Type) > 128 || !validEventType(e.Type) {
		return Errorf(CodeInvalid, "event type %s is not dot-separated words of a-z, 0-9 and _", quote(e.Type))
	}
	if e.Kind != "" || !e.Subject.IsZero() {
		if err := validateName("event kind", e.Kind); err != nil {
			return Errorf(CodeInvalid, "event %s: %s", e.Type, err.(*Error).Message)
		}
	}
	if e.Time.IsZero() {
		return Errorf(CodeInvalid, "event %s: time must not be zero", e.Type)
	}
	if y := e.Time.UTC().Year(); y < 1 || y > 9999 {
		return Errorf(CodeInvalid, "event %s: time %s is outside years 1 to 9999", e.Type, e.Time.UTC().Format(time.RFC3339))
	}
	if err := validateJSON(e.Data, true); err != nil {
		return Errorf(CodeInvalid, "event %s: data: %s", e.Type, err.Error())
	}
	return nil
}

// ValidateQuery checks q and returns its effective limit, or an *Error with
// CodeInvalid naming the first broken rule.
func ValidateQuery(q Query) (limit int, err error) {
	if err := validateName("query kind", q.Kind); err != nil {
		return 0, err
	}
	if q.Index != "" {
		if err := validateName("query index", q.Index); err != nil {
			return 0, err
		}
	} else if q.Match != MatchAll {
		return 0, Errorf(CodeInvalid, "query of %s by id: only MatchAll is allowed", q.Kind)
	}
	switch q.Match {
	case MatchAll:
	case MatchEqual, MatchPrefix:
		if err := validateValue(q.Value); err != nil {
			return 0, Errorf(CodeInvalid, "query of %s by %s: value: %s", q.Kind, q.Index, err.Error())
		}
	case MatchRange:
		for _, v := range []string{q.From, q.To} {
			if err := validateValue(v); err != nil {
				return 0, Errorf(CodeInvalid, "query of %s by %s: range: %s", q.Kind, q.Index, err.Error())
			}
		}
	default:
		return 0, Errorf(CodeInvalid, "query of %s: unknown match %d", q.Kind, int(q.Match))
	}
	if q.After != "" {
		if _, _, err := q.After.Position(); err != nil {
			return 0, err
		}
	}
	return pageLimit(q.Limit)
}

// ValidateLimit returns the effective page size for limit (DefaultLimit for
// 0), or an *Error with CodeInvalid when it is negative or above MaxLimit.
func ValidateLimit(limit int) (int, error) { return pageLimit(limit) }

// ValidateNumberPrefix returns an *Error with CodeInvalid unless prefix can
// start a Number (2 to 8 letters A-Z).
func ValidateNumberPrefix(prefix string) error {
	if !validPrefix(prefix) {
		return Errorf(CodeInvalid, "number prefix %s is not 2 to 8 letters A-Z", quote(prefix))
	}
	return nil
}

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, Errorf(CodeInvalid, "limit %d is outside 1 to %d", limit, MaxLimit)
	}
	return limit, nil
}

// validateName accepts a lower-case letter followed by up to 63 lower-case
// letters, digits, '_', '.' or '-': safe in SQL, URLs and log lines alike.
func validateName(what, s string) error {
	ok := len(s) >= 1 && len(s) <= 64 && 'a' <= s[0] && s[0] <= 'z'
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || isDigit(c) || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return Errorf(CodeInvalid, "%s %s is not a-z followed by up to 63 of a-z, 0-9, _ . -", what, quote(s))
	}
	return nil
}

func validEventType(s string) bool {
	// Walked byte by byte rather than split into words: Append checks
	// every event.
	words, start := 0, true
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '.':
			if start {
				return false // an empty word
			}
			start = true
		case start:
			if c < 'a' || c > 'z' {
				return false
			}
			start = false
			words++
		case !('a' <= c && c <= 'z' || isDigit(c) || c == '_'):
			return false
		}
	}
	return !start && words >= 2
}

// validateValue accepts UTF-8 without NUL (PostgreSQL text cannot hold it) up
// to MaxValueSize bytes.
func validateValue(v string) error {
	switch {
	case len(v) > MaxValueSize:
		return fmt.Errorf("value of %d bytes is longer than %d", len(v), MaxValueSize)
	case !utf8.ValidString(v):
		return fmt.Errorf("value %s is not valid UTF-8", quote(v))
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("value %s contains a NUL byte", quote(v))
	}
	return nil
}

func validateJSON(b []byte, emptyOK bool) error {
	switch {
	case len(b) == 0 && emptyOK:
		return nil
	case len(b) == 0:
		return errors.New("empty, want JSON")
	case len(b) > MaxBodySize:
		return fmt.Errorf("%d bytes is more than %d", len(b), MaxBodySize)
	case !utf8.Valid(b):
		return errors.New("not valid UTF-8")
	case !json.Valid(b):
		return errors.New("not valid JSON")
	}
	return nil
}
