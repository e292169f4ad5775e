package itsm

import (
	"context"
	"encoding/json"
	"time"
)

// Store is where spoc keeps its records, its event log and its ticket
// counters. It is deliberately small so that another database can be plugged
// in: a backend implements three methods with the helpers of package
// itsm/backend and passes the conformance suite in package itsm/storetest.
// spoc ships memstore (go-memdb), sqlitestore (SQLite) and pgstore
// (PostgreSQL).
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
	// EventsOf returns up to limit events about one record, those whose
	// Kind is kind and Subject is subject, with Seq greater than after, in
	// Seq order: the record's history, for replaying it, at the cost of
	// its own events rather than of the whole log, which Events would
	// have to read from its start (every backend keeps an index on kind,
	// subject and Seq for it). limit is as for Events; an invalid kind or
	// a zero subject is CodeInvalid, since no event could match.
	EventsOf(kind string, subject ID, after int64, limit int) ([]Event, error)
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
	// or EventsOf is 0.
	DefaultLimit = 100
	// MaxLimit is the largest page Query, Events and EventsOf return.
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

// Scan runs q in tx to its end, page after page from q.After, and hands
// fn every hit in the query's order: for a caller that reads every match,
// such as a report's source, without keeping the pages. It stops at the
// first error, fn's (returned unchanged, so that a sentinel of the
// caller's stops the scan early), the store's, or ctx's once ctx is done,
// which it checks before each hit.
func Scan(ctx context.Context, tx ReadTx, q Query, fn func(Hit) error) error {
	for {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(h); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}

// AllEventsOf returns every event about the record of kind with id, in Seq
// order, reading EventsOf page after page in tx: the input of a domain's
// replay of one record, at the cost of the record's own events.
func AllEventsOf(tx ReadTx, kind string, id ID) ([]Event, error) {
	var out []Event
	for after := int64(0); ; {
		es, err := tx.EventsOf(kind, id, after, MaxLimit)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
		if len(es) < MaxLimit {
			return out, nil
		}
		after = es[len(es)-1].Seq
	}
}

// Cursor is an opaque position in a query's results, safe to hand to clients
// (it is URL-safe text). It names the last value and record ID returned, so
// that the next page starts strictly after them. Backends make and read
// cursors with package itsm/backend; to everyone else a cursor is only
// something to pass back as Query.After.
type Cursor string

// PrefixEnd returns the smallest string greater than every string that begins
// with prefix: the To of a MatchRange that ends where the prefix ends, as
// a backend's MatchPrefix does. ok is false when there is none (prefix is
// empty or all 0xff bytes).
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

// ValidateLimit returns the effective page size for limit (DefaultLimit for
// 0), or an *Error with CodeInvalid when it is negative or above MaxLimit.
func ValidateLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, Errorf(CodeInvalid, "limit %d is outside 1 to %d", limit, MaxLimit)
	}
	return limit, nil
}

// ValidateNumberPrefix returns an *Error with CodeInvalid unless prefix can
// start a Number (2 to 8 letters A-Z).
func ValidateNumberPrefix(prefix string) error {
	if !validPrefix(prefix) {
		return Errorf(CodeInvalid, "number prefix %s is not 2 to 8 letters A-Z", quote(prefix))
	}
	return nil
}
