package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// indexed puts n tickets whose "tag" values come from values(i) and returns
// the hits an ascending MatchAll query over "tag" must give.
func indexed(t *testing.T, s itsm.Store, n int, values func(i int) []string) []itsm.Hit {
	t.Helper()
	var want []itsm.Hit
	recs := make([]itsm.Record, n)
	for i, id := range ids(n) {
		r := record("ticket", id, 0, fmt.Sprint(i))
		r.Index = map[string][]string{"tag": values(i)}
		recs[i] = r
		st := Stored(r, 1)
		for _, v := range st.Index["tag"] {
			want = append(want, itsm.Hit{Value: v, Record: st})
		}
	}
	for len(recs) > 0 {
		k := min(len(recs), 200)
		put(t, s, recs[:k]...)
		recs = recs[k:]
	}
	slices.SortFunc(want, hitLess)
	return want
}

func filterHits(hs []itsm.Hit, keep func(string) bool) []itsm.Hit {
	var out []itsm.Hit
	for _, h := range hs {
		if keep(h.Value) {
			out = append(out, h)
		}
	}
	return out
}

func reversed(hs []itsm.Hit) []itsm.Hit {
	out := slices.Clone(hs)
	slices.Reverse(out)
	return out
}

func testQueryMatches(t *testing.T, s itsm.Store) {
	tags := []string{"a", "ab", "abc", "abd", "b", "ba", "c"}
	all := indexed(t, s, 40, func(i int) []string {
		// Most records have one value, some two, so a record can match twice.
		vs := []string{tags[i%len(tags)]}
		if i%5 == 0 {
			vs = append(vs, tags[(i/5)%len(tags)])
		}
		return vs
	})
	cases := []struct {
		name string
		q    itsm.Query
		keep func(string) bool
	}{
		{"all", itsm.Query{}, func(string) bool { return true }},
		{"equal", itsm.Query{Match: itsm.MatchEqual, Value: "ab"}, func(v string) bool { return v == "ab" }},
		{"equal none", itsm.Query{Match: itsm.MatchEqual, Value: "zz"}, func(string) bool { return false }},
		{"prefix", itsm.Query{Match: itsm.MatchPrefix, Value: "ab"}, func(v string) bool { return strings.HasPrefix(v, "ab") }},
		{"empty prefix", itsm.Query{Match: itsm.MatchPrefix, Value: ""}, func(string) bool { return true }},
		{"range", itsm.Query{Match: itsm.MatchRange, From: "ab", To: "b"}, func(v string) bool { return v >= "ab" && v < "b" }},
		{"range from between values", itsm.Query{Match: itsm.MatchRange, From: "abcc", To: "ba"}, func(v string) bool { return v >= "abcc" && v < "ba" }},
		{"open range", itsm.Query{Match: itsm.MatchRange, From: "b"}, func(v string) bool { return v >= "b" }},
		{"range to only", itsm.Query{Match: itsm.MatchRange, To: "abd"}, func(v string) bool { return v < "abd" }},
		{"empty range", itsm.Query{Match: itsm.MatchRange, From: "b", To: "b"}, func(string) bool { return false }},
		{"inverted range", itsm.Query{Match: itsm.MatchRange, From: "c", To: "a"}, func(string) bool { return false }},
	}
	for _, c := range cases {
		for _, rev := range []bool{false, true} {
			q := c.q
			q.Kind, q.Index, q.Reverse, q.Limit = "ticket", "tag", rev, itsm.MaxLimit
			want := filterHits(all, c.keep)
			if rev {
				want = reversed(want)
			}
			p, err := query(t, s, q)
			if err != nil {
				t.Fatalf("%s (reverse %v): %v", c.name, rev, err)
			}
			if d := diff(hitKeys(want), hitKeys(p.Matches)); d != "" {
				t.Errorf("%s (reverse %v) (-want +got):\n%s", c.name, rev, d)
			}
			if p.Next != "" {
				t.Errorf("%s (reverse %v): Next = %q after the last match, want \"\"", c.name, rev, p.Next)
			}
			for i, h := range p.Matches {
				if i < len(want) && diff(want[i].Record, h.Record) != "" {
					t.Fatalf("%s: hit %d carries the wrong record (-want +got):\n%s", c.name, i, diff(want[i].Record, h.Record))
				}
			}
		}
	}
	// Other kinds and other indexes are separate.
	other := record("problem", itsm.NewID(), 0, "")
	other.Index = map[string][]string{"tag": {"a"}, "other": {"a"}}
	put(t, s, other)
	hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Match: itsm.MatchEqual, Value: "a"})
	if d := diff(hitKeys(filterHits(all, func(v string) bool { return v == "a" })), hitKeys(hits)); d != "" {
		t.Errorf("another kind's values leaked into the query (-want +got):\n%s", d)
	}
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "other"}); len(hits) != 0 {
		t.Errorf("another kind's index answered: %v", hitKeys(hits))
	}
}

func testQueryOrder(t *testing.T, s itsm.Store) {
	// Ties on the value are broken by ID; values compare by bytes, so "B" <
	// "a" < "aa" < "b" and a longer string follows its prefix.
	vals := []string{"b", "a", "B", "aa", "a", "b", "a0", "a", "~", " "}
	all := indexed(t, s, len(vals), func(i int) []string { return []string{vals[i]} })
	for _, rev := range []bool{false, true} {
		want := all
		if rev {
			want = reversed(all)
		}
		got := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Reverse: rev, Limit: 3})
		if d := diff(hitKeys(want), hitKeys(got)); d != "" {
			t.Errorf("order (reverse %v) (-want +got):\n%s", rev, d)
		}
	}
}

func testQueryByID(t *testing.T, s itsm.Store) {
	var want []itsm.Hit
	for _, id := range ids(25) {
		r := record("ticket", id, 0, "")
		put(t, s, r)
		want = append(want, itsm.Hit{Value: id.String(), Record: Stored(r, 1)})
	}
	put(t, s, record("problem", itsm.NewID(), 0, ""))
	for _, rev := range []bool{false, true} {
		w := want
		if rev {
			w = reversed(want)
		}
		got := queryAll(t, s, itsm.Query{Kind: "ticket", Reverse: rev, Limit: 4})
		if d := diff(w, got); d != "" {
			t.Errorf("records by id (reverse %v) (-want +got):\n%s", rev, d)
		}
	}
}

func testQueryLimits(t *testing.T, s itsm.Store) {
	all := indexed(t, s, itsm.DefaultLimit+itsm.DefaultLimit/2, func(i int) []string { return []string{"x"} })
	p, err := query(t, s, itsm.Query{Kind: "ticket", Index: "tag"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Matches) != itsm.DefaultLimit || p.Next == "" {
		t.Fatalf("limit 0: %d hits, Next %q; want DefaultLimit (%d) and a cursor", len(p.Matches), p.Next, itsm.DefaultLimit)
	}
	p, err = query(t, s, itsm.Query{Kind: "ticket", Index: "tag", Limit: len(all)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Matches) != len(all) || p.Next != "" {
		t.Fatalf("limit = number of matches: %d hits, Next %q; want %d and no cursor", len(p.Matches), p.Next, len(all))
	}
	p, err = query(t, s, itsm.Query{Kind: "ticket", Index: "tag", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Matches) != 1 || p.Next == "" {
		t.Fatalf("limit 1: %d hits, Next %q", len(p.Matches), p.Next)
	}
	// A cursor from one query continues another of the same index, so a
	// client can change the page size between pages.
	rest := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", After: p.Next, Limit: 17})
	if d := diff(hitKeys(all[1:]), hitKeys(rest)); d != "" {
		t.Errorf("continuing with another page size (-want +got):\n%s", d)
	}
}

func testQueryFollowsUpdates(t *testing.T, s itsm.Store) {
	r := record("ticket", itsm.NewID(), 0, "")
	r.Index = map[string][]string{"state": {"registered"}, "held": {"desk"}}
	put(t, s, r)
	r2 := record("ticket", r.ID, 1, "")
	r2.Index = map[string][]string{"state": {"delegated"}, "held": {"desk", "supplier"}}
	put(t, s, r2)
	for _, c := range []struct {
		index, value string
		want         int
	}{
		{"state", "registered", 0},
		{"state", "delegated", 1},
		{"held", "desk", 1},
		{"held", "supplier", 1},
	} {
		hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: c.index, Match: itsm.MatchEqual, Value: c.value})
		if len(hits) != c.want {
			t.Errorf("%s = %s after the update: %d hits, want %d", c.index, c.value, len(hits), c.want)
		}
		for _, h := range hits {
			if h.Record.Version != 2 {
				t.Errorf("%s = %s: hit has version %d, want 2", c.index, c.value, h.Record.Version)
			}
		}
	}
	r3 := record("ticket", r.ID, 2, "")
	put(t, s, r3)
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "held"}); len(hits) != 0 {
		t.Errorf("values dropped by an update still answer: %v", hitKeys(hits))
	}
}

func testPagination(t *testing.T, s itsm.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := indexed(t, s, 120, func(i int) []string {
		vs := make([]string, 1+rng.IntN(3))
		for j := range vs {
			vs[j] = fmt.Sprintf("v%02d", rng.IntN(30))
		}
		return vs
	})
	for _, size := range []int{1, 7, 50, itsm.MaxLimit} {
		for _, rev := range []bool{false, true} {
			want := all
			if rev {
				want = reversed(all)
			}
			got := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Reverse: rev, Limit: size})
			if d := diff(hitKeys(want), hitKeys(got)); d != "" {
				t.Errorf("pages of %d (reverse %v) (-want +got):\n%s", size, rev, d)
			}
			// Pages of a range stop at its end.
			want = filterHits(all, func(v string) bool { return v >= "v10" && v < "v20" })
			if rev {
				want = reversed(want)
			}
			got = queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Match: itsm.MatchRange, From: "v10", To: "v20", Reverse: rev, Limit: size})
			if d := diff(hitKeys(want), hitKeys(got)); d != "" {
				t.Errorf("range in pages of %d (reverse %v) (-want +got):\n%s", size, rev, d)
			}
		}
	}
}

// testPaginationConcurrent pages through an index while another goroutine
// inserts records before and after the reader's position and deletes
// records of its own. Every record that was there all along must be seen
// exactly once, in order.
func testPaginationConcurrent(t *testing.T, s itsm.Store) {
	base := indexed(t, s, 200, func(i int) []string { return []string{fmt.Sprintf("v%03d", i*5)} })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := record("ticket", itsm.NewID(), 0, "late")
			r.Index = map[string][]string{"tag": {fmt.Sprintf("v%03d", rng.IntN(1000))}}
			err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
				if _, err := tx.Put(r); err != nil {
					return err
				}
				if i%3 == 0 {
					// Records that come and go must not disturb the others.
					return tx.Delete(r.Kind, r.ID, 1)
				}
				return nil
			})
			if err != nil {
				writeErr = err
				return
			}
		}
	})
	for _, rev := range []bool{false, true} {
		got := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Reverse: rev, Limit: 9})
		if !slices.IsSortedFunc(got, func(a, b itsm.Hit) int {
			if rev {
				return hitLess(b, a)
			}
			return hitLess(a, b)
		}) {
			t.Errorf("pages under concurrent inserts are out of order (reverse %v)", rev)
		}
		seen := map[itsm.ID]int{}
		for _, h := range got {
			seen[h.Record.ID]++
		}
		for _, h := range base {
			if seen[h.Record.ID] != 1 {
				t.Errorf("record %s (value %s) seen %d times under concurrent inserts (reverse %v), want once", h.Record.ID, h.Value, seen[h.Record.ID], rev)
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("record %s seen %d times (reverse %v)", id, n, rev)
			}
		}
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("concurrent writer: %v", writeErr)
	}
}

func testUnicode(t *testing.T, s itsm.Store) {
	vals := []string{"Åre", "Ähtäri", "Ørsta", "Zürich", "Malmö", "日本", "😀 emoji", "Z", "e\u0301", "é", "\u00a0nbsp", "tab\tsep"}
	all := indexed(t, s, len(vals), func(i int) []string { return []string{vals[i]} })
	got := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag"})
	if d := diff(hitKeys(all), hitKeys(got)); d != "" {
		t.Errorf("Unicode values in byte order (-want +got):\n%s", d)
	}
	// A prefix ending inside the multi-byte range finds what follows it.
	got = queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Match: itsm.MatchPrefix, Value: "Ø"})
	if len(got) != 1 || got[0].Value != "Ørsta" {
		t.Errorf("prefix Ø: %v, want Ørsta", hitKeys(got))
	}
	got = queryAll(t, s, itsm.Query{Kind: "ticket", Index: "tag", Match: itsm.MatchEqual, Value: "é"})
	if len(got) != 1 || got[0].Value != "é" {
		t.Errorf("equal é matched %v: values must compare by bytes, not by Unicode normalisation", hitKeys(got))
	}
	body := `{"title":"Skrivaren på plan 3 är trasig","note":"Ærlig talt, 日本語 😀","esc":"\u00e5\n"}`
	r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(body), Unique: map[string]string{"title": "Skrivaren på plan 3"}}
	put(t, s, r)
	if d := diff(Stored(r, 1), get(t, s, "ticket", r.ID)); d != "" {
		t.Errorf("Unicode record (-want +got):\n%s", d)
	}
	e := itsm.Event{Type: "ticket.commented", Kind: "ticket", Subject: r.ID, Time: time.Unix(1, 0), Data: []byte(`{"text":"Hälsningar från Tromsø 😀"}`)}
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Append(e); return err })
	if err != nil {
		t.Fatal(err)
	}
	if es := allEvents(t, s); len(es) != 1 || string(es[0].Data) != string(e.Data) {
		t.Errorf("Unicode event data came back as %+v", es)
	}
}

func testLargeBodies(t *testing.T, s itsm.Store) {
	// The largest body allowed, and a record with as many index values as
	// allowed, each as long as allowed.
	big := `"` + strings.Repeat("é", (itsm.MaxBodySize-2)/2) + `"`
	big += strings.Repeat(" ", itsm.MaxBodySize-len(big))
	r := itsm.Record{Kind: "attachment", ID: itsm.NewID(), Body: []byte(big)}
	vals := make([]string, itsm.MaxIndexValues)
	for i := range vals {
		vals[i] = fmt.Sprintf("%03d", i) + strings.Repeat("x", itsm.MaxValueSize-3)
	}
	r.Index = map[string][]string{"part": vals}
	put(t, s, r)
	got := get(t, s, "attachment", r.ID)
	if string(got.Body) != big {
		t.Fatalf("a body of %d bytes came back as %d bytes", len(big), len(got.Body))
	}
	if len(got.Index["part"]) != len(vals) {
		t.Fatalf("%d index values came back as %d", len(vals), len(got.Index["part"]))
	}
	hits := queryAll(t, s, itsm.Query{Kind: "attachment", Index: "part", Match: itsm.MatchPrefix, Value: "255"})
	if len(hits) != 1 || hits[0].Value != vals[255] {
		t.Fatalf("lookup by a long value: %d hits", len(hits))
	}
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{Kind: "attachment", ID: itsm.NewID(), Body: []byte(big + " ")})
		return err
	})
	wantCode(t, err, itsm.CodeInvalid, "a body one byte over MaxBodySize")
	r2 := itsm.Record{Kind: "attachment", ID: itsm.NewID(), Body: []byte(`1`), Index: map[string][]string{"part": append(vals, "one more")}}
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Put(r2); return err })
	wantCode(t, err, itsm.CodeInvalid, "one index value over MaxIndexValues")
}
