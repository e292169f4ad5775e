package memstore_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// The model test drives a store with random transactions and checks every
// answer against a model that answers queries by brute force. It is aimed at
// what the conformance suite covers only by example: records with several
// values under one name, values that are prefixes of each other, every
// match in both directions with pages of every size, and reads inside write
// transactions after many writes.

type modelKey struct {
	kind string
	id   itsm.ID
}

// model maps records to what the store should return for them.
type model map[modelKey]itsm.Record

// modelValues are index values chosen so that many are prefixes of others
// and that byte order differs from what a human would expect.
var modelValues = []string{"x", "xy", "xyz", "xz", "y", "B", "é", "日本", "x y", "~"}

var errRollback = errors.New("model test: rollback")

func TestModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	committed := model{}
	ids := make([]itsm.ID, 24)
	for i := range ids {
		ids[i] = itsm.NewID()
	}
	kinds := []string{"t", "tt"}

	for round := range 300 {
		local := maps.Clone(committed)
		var wantErr itsm.Code
		rollback := rng.IntN(5) == 0
		err := s.Write(ctx, func(tx itsm.WriteTx) error {
			for range 1 + rng.IntN(6) {
				if rng.IntN(3) == 0 {
					checkQuery(t, fmt.Sprintf("round %d in write", round), tx, local, randomQuery(rng, kinds))
				}
				k := modelKey{kinds[rng.IntN(len(kinds))], ids[rng.IntN(len(ids))]}
				old, exists := local[k]
				if exists && rng.IntN(4) == 0 {
					version := old.Version
					if rng.IntN(6) == 0 {
						version++ // stale
					}
					err := tx.Delete(k.kind, k.id, version)
					if version != old.Version {
						wantErr = itsm.CodeConflict
						return checkCode(t, err, wantErr)
					}
					if err != nil {
						t.Fatalf("round %d: Delete: %v", round, err)
					}
					delete(local, k)
					continue
				}
				r := randomRecord(rng, k)
				switch {
				case exists && rng.IntN(8) != 0:
					r.Version = old.Version
				case !exists && rng.IntN(8) == 0:
					r.Version = 3 // a record that is not there
				}
				conflict := exists != (r.Version != 0) || exists && r.Version != old.Version
				if u := r.Unique["u"]; u != "" {
					for ok, o := range local {
						if ok.kind == k.kind && ok.id != k.id && o.Unique["u"] == u {
							conflict = true
						}
					}
				}
				v, err := tx.Put(r)
				if conflict {
					wantErr = itsm.CodeConflict
					return checkCode(t, err, wantErr)
				}
				if err != nil {
					t.Fatalf("round %d: Put: %v", round, err)
				}
				if v != r.Version+1 {
					t.Fatalf("round %d: Put returned version %d, want %d", round, v, r.Version+1)
				}
				local[k] = normalised(r, v)
				// The caller's record is its own after Put.
				r.Body[0] = ' '
				if len(r.Index["a"]) > 0 {
					r.Index["a"][0] = "changed"
				}
				if rng.IntN(3) == 0 {
					got, err := tx.Get(k.kind, k.id)
					if err != nil {
						t.Fatalf("round %d: Get after Put: %v", round, err)
					}
					if d := diffRecords(local[k], got); d != "" {
						t.Fatalf("round %d: Get after Put in the transaction (-want +got):\n%s", round, d)
					}
				}
			}
			if rollback {
				return errRollback
			}
			return nil
		})
		switch {
		case wantErr != "":
			if itsm.ErrorCode(err) != wantErr {
				t.Fatalf("round %d: Write = %v, want code %s", round, err, wantErr)
			}
		case rollback:
			if !errors.Is(err, errRollback) {
				t.Fatalf("round %d: Write = %v, want the rollback", round, err)
			}
		case err != nil:
			t.Fatalf("round %d: Write: %v", round, err)
		default:
			committed = local
		}
		err = s.Read(ctx, func(tx itsm.ReadTx) error {
			for range 4 {
				checkQuery(t, fmt.Sprintf("round %d", round), tx, committed, randomQuery(rng, kinds))
			}
			for k, want := range committed {
				got, err := tx.Get(k.kind, k.id)
				if err != nil {
					return err
				}
				if d := diffRecords(want, got); d != "" {
					t.Fatalf("round %d: Get (-want +got):\n%s", round, d)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: Read: %v", round, err)
		}
	}
}

func checkCode(t *testing.T, err error, code itsm.Code) error {
	t.Helper()
	if itsm.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	return err
}

func randomRecord(rng *rand.Rand, k modelKey) itsm.Record {
	r := itsm.Record{Kind: k.kind, ID: k.id, Body: fmt.Appendf(nil, `{"n":%d}`, rng.IntN(1000))}
	pick := func() string {
		if rng.IntN(6) == 0 {
			return ""
		}
		return modelValues[rng.IntN(len(modelValues))]
	}
	if rng.IntN(2) == 0 {
		r.Unique = map[string]string{"u": pick()}
	}
	r.Index = map[string][]string{}
	for _, name := range []string{"a", "b"} {
		for range rng.IntN(4) {
			r.Index[name] = append(r.Index[name], pick())
		}
	}
	return r
}

// normalised is what the store returns for r at version v.
func normalised(r itsm.Record, v int64) itsm.Record {
	r.Version = v
	r.Body = slices.Clone(r.Body)
	var u map[string]string
	for name, val := range r.Unique {
		if val != "" {
			if u == nil {
				u = map[string]string{}
			}
			u[name] = val
		}
	}
	r.Unique = u
	var idx map[string][]string
	for name, vals := range r.Index {
		vals = slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return v == "" })
		if len(vals) == 0 {
			continue
		}
		slices.Sort(vals)
		if idx == nil {
			idx = map[string][]string{}
		}
		idx[name] = slices.Compact(vals)
	}
	r.Index = idx
	return r
}

func randomQuery(rng *rand.Rand, kinds []string) itsm.Query {
	q := itsm.Query{
		Kind:    kinds[rng.IntN(len(kinds))],
		Index:   []string{"", "a", "b", "u"}[rng.IntN(4)],
		Reverse: rng.IntN(2) == 0,
		Limit:   1 + rng.IntN(5),
	}
	if q.Index == "" {
		return q
	}
	value := func() string { return modelValues[rng.IntN(len(modelValues))] }
	q.Match = itsm.Match(rng.IntN(4))
	switch q.Match {
	case itsm.MatchEqual:
		q.Value = value()
	case itsm.MatchPrefix:
		r := []rune(value())
		q.Value = string(r[:rng.IntN(len(r)+1)])
	case itsm.MatchRange:
		q.From = value()
		if rng.IntN(4) != 0 {
			q.To = value()
		}
	}
	return q
}

// oracle answers q from m by brute force.
func oracle(m model, q itsm.Query) []itsm.Hit {
	var hits []itsm.Hit
	for k, r := range m {
		if k.kind != q.Kind {
			continue
		}
		if q.Index == "" {
			hits = append(hits, itsm.Hit{Value: k.id.String(), Record: r})
			continue
		}
		vals := r.Index[q.Index]
		if u, ok := r.Unique[q.Index]; ok {
			vals = []string{u}
		}
		for _, v := range vals {
			ok := true
			switch q.Match {
			case itsm.MatchEqual:
				ok = v == q.Value
			case itsm.MatchPrefix:
				ok = strings.HasPrefix(v, q.Value)
			case itsm.MatchRange:
				ok = v >= q.From && (q.To == "" || v < q.To)
			}
			if ok {
				hits = append(hits, itsm.Hit{Value: v, Record: r})
			}
		}
	}
	slices.SortFunc(hits, func(a, b itsm.Hit) int {
		return cmp.Or(strings.Compare(a.Value, b.Value), bytes.Compare(a.Record.ID[:], b.Record.ID[:]))
	})
	if q.Reverse {
		slices.Reverse(hits)
	}
	return hits
}

// checkQuery follows q's pages to the end and compares them with the oracle.
func checkQuery(t *testing.T, where string, tx itsm.ReadTx, m model, q itsm.Query) {
	t.Helper()
	var got []itsm.Hit
	for page := 0; ; page++ {
		p, err := tx.Query(q)
		if err != nil {
			t.Fatalf("%s: Query(%+v): %v", where, q, err)
		}
		if len(p.Matches) > q.Limit {
			t.Fatalf("%s: %d matches with limit %d", where, len(p.Matches), q.Limit)
		}
		got = append(got, p.Matches...)
		if p.Next == "" {
			break
		}
		if len(p.Matches) != q.Limit {
			t.Fatalf("%s: page of %d matches with limit %d has a Next cursor", where, len(p.Matches), q.Limit)
		}
		if page > 1000 {
			t.Fatalf("%s: Query(%+v) does not end", where, q)
		}
		q.After = p.Next
	}
	if d := diffRecords(oracle(m, q), got); d != "" {
		q.After = ""
		t.Fatalf("%s: Query(%+v) (-want +got):\n%s", where, q, d)
	}
}

func diffRecords(want, got any) string { return gocmp.Diff(want, got, cmpopts.EquateEmpty()) }
