package memstore

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// entry is a record as the store keeps it. go-memdb shares inserted objects
// between every snapshot that sees them, so an entry is never changed after
// it is inserted: an update inserts a new entry.
//
// Index keys are bytes that sort as the contract orders query results:
//
//	id:     kind 0x00 id
//	values: kind 0x00 name 0x00 value 0x00 id   (every Unique and Index value)
//
// where id is the record ID as appendIDKey writes it, 32 bytes that sort as
// the ID's 16 do. Kinds, names and values cannot contain NUL
// (backend.ValidateRecord refuses it), so a NUL ends each part: a value that is
// a prefix of another sorts first, as it does bytewise, and equal values are
// ordered by ID bytes. The keys are computed once in Put and kept, because
// go-memdb asks for the old entry's keys again on every update and delete.
//
// Unique values share the values index rather than having one of their
// own: a third index tree cost every Put about 15%, and the keys of a
// value less the ID are a prefix that finds its holder as well.
type entry struct {
	kind    string
	id      itsm.ID
	version int64
	body    []byte
	// vals holds the record's index values as backend.Entries returns
	// them: sorted, so that valuesOf can search them.
	vals    []backend.IndexEntry
	idKey   []byte
	valKeys [][]byte
}

// newEntry builds the entry of a valid record r at version. It copies
// everything it keeps out of r, so the caller may change r afterwards.
func newEntry(r *itsm.Record, version int64) *entry {
	vals := backend.Entries(*r)

	// The body and all keys share one allocation: at about 300-byte
	// records, allocation is a large part of Put.
	size := len(r.Body) + len(r.Kind) + 1 + idKeyLen
	for _, v := range vals {
		size += len(r.Kind) + len(v.Name) + len(v.Value) + 3 + idKeyLen
	}
	buf := append(make([]byte, 0, size), r.Body...)
	e := &entry{kind: r.Kind, id: r.ID, version: version, body: buf[:len(buf):len(buf)], vals: vals}
	buf = buf[len(buf):]
	buf = append(buf, r.Kind...)
	buf = append(buf, 0)
	buf = appendIDKey(buf, r.ID)
	e.idKey = buf[:len(buf):len(buf)]
	if len(vals) > 0 {
		e.valKeys = make([][]byte, len(vals))
		for i, v := range vals {
			e.valKeys[i], buf = appendValueKey(buf, r.Kind, v.Name, v.Value, r.ID)
		}
	}
	return e
}

// appendValueKey appends the values index key of a value to buf, and
// returns the key as a slice of buf capped at its length, and buf.
func appendValueKey(buf []byte, kind, name, v string, id itsm.ID) (key, rest []byte) {
	start := len(buf)
	buf = append(buf, kind...)
	buf = append(buf, 0)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = append(buf, v...)
	buf = append(buf, 0)
	buf = appendIDKey(buf, id)
	return buf[start:len(buf):len(buf)], buf
}

// idKey returns the id index key of a record.
func idKey(kind string, id itsm.ID) []byte {
	k := make([]byte, 0, len(kind)+1+idKeyLen)
	k = append(k, kind...)
	k = append(k, 0)
	return appendIDKey(k, id)
}

// idKeyLen is the length of an ID in a key.
const idKeyLen = 2 * len(itsm.ID{})

// appendIDKey appends id to a key as one byte per 4 bits, high half first.
// The order of keys is that of the ID bytes either way, but a tree node
// that branches on a whole ID byte can have 256 children, and go-memdb's
// radix tree copies every node on the path of an insert with all its
// children: with IDs that grow with time, every insert copied such a node.
// Half bytes keep nodes at 16 children at most. Measured interleaved with
// whole bytes, a single-record Put went from about 25 to 19 µs and 27 to
// 17 KB allocated (BenchmarkStore/Put). The paths are deeper, though: a
// 100-record Write, which copies each wide node once, got about 7% slower
// (PutBatch), and Get a few percent slower.
func appendIDKey(buf []byte, id itsm.ID) []byte {
	for _, b := range id {
		buf = append(buf, b>>4, b&0x0f)
	}
	return buf
}

// valuesOf returns e's values of name, sorted.
func (e *entry) valuesOf(name string) []backend.IndexEntry {
	i, _ := slices.BinarySearchFunc(e.vals, name, func(v backend.IndexEntry, name string) int { return strings.Compare(v.Name, name) })
	j := i
	for j < len(e.vals) && e.vals[j].Name == name {
		j++
	}
	return e.vals[i:j]
}

// record returns e as a record the caller owns: nothing in it is shared with
// the store or with another record returned. It builds the maps itself rather
// than with backend.SetEntries, which allocates a slice per Index name
// where this allocates one for all: a record with two Index names would cost
// every Get and every query hit one allocation more.
func (e *entry) record() itsm.Record {
	r := itsm.Record{Kind: e.kind, ID: e.id, Version: e.version, Body: bytes.Clone(e.body)}
	if len(e.vals) == 0 {
		return r
	}
	nuniq, names := 0, 0
	for i, v := range e.vals {
		switch {
		case v.Unique:
			nuniq++
		case i == 0 || e.vals[i-1].Name != v.Name:
			names++
		}
	}
	if nuniq > 0 {
		r.Unique = make(map[string]string, nuniq)
	}
	if names > 0 {
		r.Index = make(map[string][]string, names)
	}
	// One backing array for every Index value; each name's slice is
	// capped so that appending to one cannot overwrite the next.
	all := make([]string, 0, len(e.vals)-nuniq)
	for i := 0; i < len(e.vals); {
		v := e.vals[i]
		if v.Unique {
			r.Unique[v.Name] = v.Value
			i++
			continue
		}
		start := len(all)
		for ; i < len(e.vals) && e.vals[i].Name == v.Name; i++ {
			all = append(all, e.vals[i].Value)
		}
		r.Index[v.Name] = all[start:len(all):len(all)]
	}
	return r
}

// The indexers below read the keys an entry carries. Lookups pass keys
// that this package built, as []byte or string.

type recordIDIndexer struct{}

func (recordIDIndexer) FromObject(obj any) (bool, []byte, error) {
	return true, obj.(*entry).idKey, nil
}

func (recordIDIndexer) FromArgs(args ...any) ([]byte, error) { return keyArg(args) }

type valuesIndexer struct{}

func (valuesIndexer) FromObject(obj any) (bool, [][]byte, error) {
	e := obj.(*entry)
	return len(e.valKeys) > 0, e.valKeys, nil
}

func (valuesIndexer) FromArgs(args ...any) ([]byte, error) { return keyArg(args) }

func keyArg(args []any) ([]byte, error) {
	if len(args) == 1 {
		switch k := args[0].(type) {
		case []byte:
			return k, nil
		case string:
			return []byte(k), nil
		}
	}
	return nil, fmt.Errorf("memstore: want one key, got %d arguments", len(args))
}

// storedEvent is an event as the log keeps it; like an entry it is never
// changed after insert.
type storedEvent struct {
	key [8]byte // Seq, big-endian, so that keys sort in Seq order
	// subKey is the subject index key, kind 0x00 subject seq, with the
	// subject as appendIDKey writes it and seq as key; nil for an event
	// without a subject. A kind cannot contain NUL, so the events of kind
	// "t" do not run into those of "tt".
	subKey []byte
	ev     itsm.Event
}

// subjectPrefix returns the subject index key of an event about kind and
// subject, less its Seq: the prefix of every key of that record's events,
// with room to append a Seq without copying it.
func subjectPrefix(kind string, subject itsm.ID) []byte {
	k := make([]byte, 0, len(kind)+1+idKeyLen+8)
	k = append(k, kind...)
	k = append(k, 0)
	return appendIDKey(k, subject)
}

type eventIndexer struct{}

func (eventIndexer) FromObject(obj any) (bool, []byte, error) {
	return true, obj.(*storedEvent).key[:], nil
}

func (eventIndexer) FromArgs(args ...any) ([]byte, error) { return keyArg(args) }

type subjectIndexer struct{}

func (subjectIndexer) FromObject(obj any) (bool, []byte, error) {
	k := obj.(*storedEvent).subKey
	return k != nil, k, nil
}

func (subjectIndexer) FromArgs(args ...any) ([]byte, error) { return keyArg(args) }

// counter is the last number taken for a prefix; never changed after insert.
type counter struct {
	key []byte // the prefix
	seq uint64
}

type counterIndexer struct{}

func (counterIndexer) FromObject(obj any) (bool, []byte, error) {
	return true, obj.(*counter).key, nil
}

func (counterIndexer) FromArgs(args ...any) ([]byte, error) { return keyArg(args) }

// cmpConcat compares the concatenation of parts with s bytewise, without
// building it.
func cmpConcat(s string, parts ...string) int {
	for _, p := range parts {
		n := min(len(p), len(s))
		if c := strings.Compare(p[:n], s[:n]); c != 0 {
			return c
		}
		if n < len(p) {
			return 1
		}
		s = s[n:]
	}
	return cmp.Compare(0, len(s))
}
