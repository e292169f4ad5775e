package sqlitestore

import (
	"encoding/binary"
	"errors"

	"github.com/spoc-itsm/spoc/itsm/backend"
)

// Encoding of a record's entries in records.idx, in the order of
// backend.Entries:
//
//	version byte (1)
//	per entry: flags byte (1 = unique), uvarint len(name), name,
//	           uvarint len(value), value
//
// A record without entries stores NULL. The format is private to this
// package; a new format takes a new version byte.
const idxFormat = 1

func encodeEntries(es []backend.IndexEntry) []byte {
	if len(es) == 0 {
		return nil
	}
	n := 1
	for _, e := range es {
		n += 1 + 2*binary.MaxVarintLen16 + len(e.Name) + len(e.Value)
	}
	b := make([]byte, 1, n)
	b[0] = idxFormat
	for _, e := range es {
		var flags byte
		if e.Unique {
			flags = 1
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, uint64(len(e.Name)))
		b = append(b, e.Name...)
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		b = append(b, e.Value...)
	}
	return b
}

var errBadIdx = errors.New("malformed index column")

func decodeEntries(b []byte) ([]backend.IndexEntry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != idxFormat {
		return nil, errBadIdx
	}
	b = b[1:]
	var es []backend.IndexEntry
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
		es = append(es, backend.IndexEntry{Name: name, Value: value, Unique: flags == 1})
	}
	return es, nil
}
