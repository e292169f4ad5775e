package memstore

import (
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// Query returns one page of the records matching q.
func (t *readTx) Query(q itsm.Query) (itsm.Page, error) {
	if err := t.check(); err != nil {
		return itsm.Page{}, err
	}
	limit, err := backend.ValidateQuery(q)
	if err != nil {
		return itsm.Page{}, err
	}
	var cur *position
	if q.After != "" {
		// ValidateQuery has checked the cursor.
		v, id, _ := backend.ParseCursor(q.After)
		cur = &position{value: v, id: id}
	}
	if q.Index == "" {
		return t.queryByID(q, limit, cur)
	}
	return t.queryValues(q, limit, cur)
}

// position is where a cursor says a page ends.
type position struct {
	value string
	id    itsm.ID
}

// queryByID lists the records of q.Kind in ID order on the id index.
func (t *readTx) queryByID(q itsm.Query, limit int, cur *position) (itsm.Page, error) {
	prefix := q.Kind + "\x00"
	seek := prefix
	if q.Reverse {
		// Greater than every key of the kind: kinds hold no control bytes.
		seek = q.Kind + "\x01"
	}
	if cur != nil {
		seek = string(appendIDKey([]byte(prefix), cur.id))
	}
	it, err := t.seek(indexID, seek, q.Reverse)
	if err != nil {
		return itsm.Page{}, err
	}
	var p itsm.Page
	for {
		raw := it.Next()
		if raw == nil {
			break
		}
		e := raw.(*entry)
		if e.kind != q.Kind {
			break
		}
		if cur != nil && e.id == cur.id {
			continue // the seek includes the cursor's own key
		}
		if len(p.Matches) == limit {
			last := p.Matches[limit-1]
			p.Next = backend.NewCursor(last.Value, last.Record.ID)
			break
		}
		p.Matches = append(p.Matches, itsm.Hit{Value: e.id.String(), Record: e.record()})
	}
	return p, nil
}

// queryValues walks the values index of q.Kind and q.Index.
//
// go-memdb's iterators return objects, not keys, and a record sits in the
// index once per value; so the value each hit stands for is worked out from
// the record. Keys come in strictly increasing order (decreasing when
// Reverse), so the key a record is returned at is its first key past the
// previous one: with its values sorted, a binary search finds it. A record
// with no such key is one returned from beyond the walked range, which
// therefore has no key left: the walk ends there.
func (t *readTx) queryValues(q itsm.Query, limit int, cur *position) (itsm.Page, error) {
	prefix := q.Kind + "\x00" + q.Index + "\x00"
	// bound is the key suffix (after prefix) that the walk starts from,
	// excluding it when strict. Keys of real values never equal a bound
	// that is not strict, so the flag matters only for cursor positions.
	var bound string
	var strict bool
	if !q.Reverse {
		switch q.Match {
		case itsm.MatchEqual, itsm.MatchPrefix:
			bound = q.Value
		case itsm.MatchRange:
			bound = q.From
		}
		if cur != nil {
			if c := cur.value + "\x00" + string(cur.id[:]); c >= bound {
				bound, strict = c, true
			}
		}
	} else {
		// Values are UTF-8, which never holds 0xff, so "\xff" is past every
		// value; Value+"\x01" is past every key of Value and before every
		// longer value starting with Value.
		bound = "\xff"
		switch q.Match {
		case itsm.MatchEqual:
			bound = q.Value + "\x01"
		case itsm.MatchPrefix:
			if end, ok := itsm.PrefixEnd(q.Value); ok {
				bound = end
			}
		case itsm.MatchRange:
			if q.To != "" {
				bound = q.To
			}
		}
		if cur != nil {
			if c := cur.value + "\x00" + string(cur.id[:]); c <= bound {
				bound, strict = c, true
			}
		}
	}
	// Keys hold IDs as appendIDKey writes them, which orders them as
	// their bytes do: only the seek key of a cursor's position, the one
	// bound holding an ID, needs them so.
	seek := prefix + bound
	if strict {
		seek = string(appendIDKey([]byte(prefix+cur.value+"\x00"), cur.id))
	}
	it, err := t.seek(indexValues, seek, q.Reverse)
	if err != nil {
		return itsm.Page{}, err
	}
	// The seek includes its key, so a strict bound (a cursor's position)
	// may come back first; every later key is past the one before.
	atSeek := strict
	var p itsm.Page
	for {
		raw := it.Next()
		if raw == nil {
			break
		}
		e := raw.(*entry)
		if e.kind != q.Kind {
			break
		}
		id := string(e.id[:])
		vals := e.valuesOf(q.Index)
		if atSeek {
			atSeek = false
			if hasKey(vals, id, bound) {
				continue
			}
		}
		v, ok := keyPast(vals, id, bound, strict, q.Reverse)
		if !ok || !inRange(q, v) {
			break
		}
		if len(p.Matches) == limit {
			last := p.Matches[limit-1]
			p.Next = backend.NewCursor(last.Value, last.Record.ID)
			break
		}
		p.Matches = append(p.Matches, itsm.Hit{Value: v, Record: e.record()})
		bound, strict = v+"\x00"+id, true
	}
	return p, nil
}

// seek returns an iterator from key on, upwards or downwards.
func (t *readTx) seek(index, key string, reverse bool) (memdb.ResultIterator, error) {
	var it memdb.ResultIterator
	var err error
	if reverse {
		it, err = t.txn.ReverseLowerBound(tableRecords, index, key)
	} else {
		it, err = t.txn.LowerBound(tableRecords, index, key)
	}
	if err != nil {
		return nil, internal(err)
	}
	return it, nil
}

// keyPast returns the value among vals (sorted, of one record with id)
// whose key suffix value+NUL+id comes first after bound in walking order,
// or false if there is none.
func keyPast(vals []backend.IndexEntry, id, bound string, strict, reverse bool) (string, bool) {
	// i is the first value whose key is above bound (at or above it when
	// walking up from a bound that is not strict, or down from one that is);
	// walking down, the one before it is the answer.
	i := sort.Search(len(vals), func(i int) bool {
		c := cmpConcat(bound, vals[i].Value, "\x00", id)
		return c > 0 || c == 0 && strict == reverse
	})
	if reverse {
		i--
		if i < 0 {
			return "", false
		}
	} else if i == len(vals) {
		return "", false
	}
	return vals[i].Value, true
}

// hasKey reports whether one of vals (sorted, of one record with id) has
// the key suffix bound.
func hasKey(vals []backend.IndexEntry, id, bound string) bool {
	i := sort.Search(len(vals), func(i int) bool { return cmpConcat(bound, vals[i].Value, "\x00", id) >= 0 })
	return i < len(vals) && cmpConcat(bound, vals[i].Value, "\x00", id) == 0
}

// inRange reports whether v can still match q; called on values in walking
// order, the first false ends the walk.
func inRange(q itsm.Query, v string) bool {
	switch q.Match {
	case itsm.MatchEqual:
		return v == q.Value
	case itsm.MatchPrefix:
		return strings.HasPrefix(v, q.Value)
	case itsm.MatchRange:
		if q.Reverse {
			return v >= q.From
		}
		return q.To == "" || v < q.To
	}
	return true
}
