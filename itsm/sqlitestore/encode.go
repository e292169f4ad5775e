package sqlitestore

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// entry is one stored index value of a record.
type entry struct {
	name, value string
	unique      bool
}

func compareEntries(a, b entry) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.value, b.value)
}

// entriesOf returns the index values of r as the store keeps them: without
// empty values or duplicates, sorted by name then value.
func entriesOf(r itsm.Record) []entry {
	n := len(r.Unique)
	for _, vs := range r.Index {
		n += len(vs)
	}
	es := make([]entry, 0, n)
	for name, v := range r.Unique {
		if v != "" {
			es = append(es, entry{name, v, true})
		}
	}
	for name, vs := range r.Index {
		for _, v := range vs {
			if v != "" {
				es = append(es, entry{name, v, false})
			}
		}
	}
	slices.SortFunc(es, compareEntries)
	// A name is either unique or not within one record (ValidateRecord), so
	// equal name and value means the same entry.
	return slices.CompactFunc(es, func(a, b entry) bool { return a.name == b.name && a.value == b.value })
}

// Encoding of a record's entries in records.idx, in entry order:
//
//	version byte (1)
//	per entry: flags byte (1 = unique), uvarint len(name), name,
//	           uvarint len(value), value
//
// A record without entries stores NULL. The format is private to this
// package; a new format takes a new version byte.
const idxFormat = 1

func encodeEntries(es []entry) []byte {
	if len(es) == 0 {
		return nil
	}
	n := 1
	for _, e := range es {
		n += 1 + 2*binary.MaxVarintLen16 + len(e.name) + len(e.value)
	}
	b := make([]byte, 1, n)
	b[0] = idxFormat
	for _, e := range es {
		var flags byte
		if e.unique {
			flags = 1
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, uint64(len(e.name)))
		b = append(b, e.name...)
		b = binary.AppendUvarint(b, uint64(len(e.value)))
		b = append(b, e.value...)
	}
	return b
}

var errBadIdx = errors.New("malformed index column")

func decodeEntries(b []byte) ([]entry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != idxFormat {
		return nil, errBadIdx
	}
	b = b[1:]
	var es []entry
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	for len(b) > 0 {
		flags := b[0]
		b = b[1:]
		name, ok1 := str()
		value, ok2 := str()
		if !ok1 || !ok2 || flags > 1 {
			return nil, errBadIdx
		}
		es = append(es, entry{name, value, flags == 1})
	}
	return es, nil
}

// setIndexes fills r.Unique and r.Index from es, which are in entry order, so
// that each name's values come out sorted. Both maps stay nil when empty.
func setIndexes(r *itsm.Record, es []entry) {
	for i := 0; i < len(es); {
		e := es[i]
		if e.unique {
			if r.Unique == nil {
				r.Unique = make(map[string]string)
			}
			r.Unique[e.name] = e.value
			i++
			continue
		}
		j := i + 1
		for j < len(es) && es[j].name == e.name {
			j++
		}
		vs := make([]string, j-i)
		for k := range vs {
			vs[k] = es[i+k].value
		}
		if r.Index == nil {
			r.Index = make(map[string][]string)
		}
		r.Index[e.name] = vs
		i = j
	}
}
