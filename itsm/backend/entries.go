package backend

import (
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// IndexEntry is one index value of a record as a store keeps it: a Unique or
// Index value with its name.
type IndexEntry struct {
	Name   string
	Value  string
	Unique bool
}

// CompareIndexEntries orders entries by name, then by value, bytewise: the
// order of Entries.
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
func Entries(r itsm.Record) []IndexEntry {
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
func SetEntries(r *itsm.Record, es []IndexEntry) {
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
