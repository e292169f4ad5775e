package search

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/spoc-itsm/spoc/internal/seqtest"
)

// varied is collection() with filters and audiences, so that compaction
// must keep what is not text too.
func varied() []Document {
	docs := collection()
	for i := range docs {
		docs[i].Kind = []string{"faq", "guide", "known_error"}[i%3]
		docs[i].Service = fmt.Sprintf("svc%d", i%2)
		if i%4 == 0 {
			docs[i].Visible = []string{"chain:desk"}
		}
		docs[i].Keywords = []string{fmt.Sprintf("ärende %d", i)}
		docs[i].Helpful = i
		docs[i].Retired = i%5 == 4
	}
	return docs
}

var compactQueries = []Query{
	{Text: "lösenord"},
	{Text: "losenordet", Language: "sv"},
	{Text: "skrivre", Language: "sv"},
	{Text: "nätverk skrivare", Language: "nb"},
	{Text: "vpn kontot", Viewer: []string{"chain:desk"}},
	{Text: "skrivaren funkar inte", Viewer: []string{"public", "chain:desk"}},
	{Text: "lösen"},
	{Text: "ärende", Viewer: []string{"public", "chain:desk"}, Kind: "faq", Limit: 3, Offset: 1},
	{Text: "ärende", Service: "svc1", Viewer: []string{"public", "chain:desk"}},
}

func TestSegmentsStayBoundedAfterManyPuts(t *testing.T) {
	ix := newIndex(t)
	var docs []Document
	for i := range 3 * maxSegments {
		docs = append(docs, versioned(fmt.Sprint(i), 0))
	}
	puts := 20 * maxSegments
	if seqtest.Race() {
		puts = 4 * maxSegments
	}
	for i := range puts {
		d := docs[i%len(docs)]
		d.Helpful = i // a helpfulness mark re-indexes the article
		if err := ix.Put(d); err != nil {
			t.Fatal(err)
		}
	}
	// Compactions rest between them (restFactor): once the rest is over,
	// the next Put compacts whatever piled up meanwhile.
	ix.wg.Wait()
	ix.mu.RLock()
	rest := time.Until(ix.lastCompaction.Add(restFactor * ix.lastBuild))
	ix.mu.RUnlock()
	time.Sleep(rest)
	if err := ix.Put(docs[0]); err != nil {
		t.Fatal(err)
	}
	ix.wg.Wait()
	ix.mu.RLock()
	n, c := ix.segmentCount(), ix.compactions
	ix.mu.RUnlock()
	if n > maxSegments || c == 0 {
		t.Fatalf("after %d puts: %d segments, %d compactions; want at most %d segments, at least one compaction", puts, n, c, maxSegments)
	}
	if got := ix.Len(); got != len(docs) {
		t.Fatalf("Len %d, want %d", got, len(docs))
	}
}

func TestCompactionKeepsResults(t *testing.T) {
	ix := newIndex(t)
	ix.maxSegments = 0 // compact only when told
	for _, d := range varied() {
		if err := ix.Put(d); err != nil { // one segment each
			t.Fatal(err)
		}
	}
	if err := ix.Delete("pw-nb"); err != nil {
		t.Fatal(err)
	}
	before := make([]Result, len(compactQueries))
	for i, q := range compactQueries {
		if q.Viewer == nil {
			compactQueries[i].Viewer = []string{"public", "chain:desk"}
		}
		before[i] = search(t, ix, compactQueries[i])
	}
	ix.mu.RLock()
	segs := ix.segmentCount()
	ix.mu.RUnlock()
	if err := ix.compact(); err != nil {
		t.Fatal(err)
	}
	ix.mu.RLock()
	after := ix.segmentCount()
	ix.mu.RUnlock()
	if after != 1 || segs < 5 {
		t.Fatalf("segments %d before compaction, %d after; want several, then 1", segs, after)
	}
	for i, q := range compactQueries {
		got := search(t, ix, q)
		want := before[i]
		if got.Total != want.Total || len(got.Hits) != len(want.Hits) {
			t.Fatalf("%+v: after compaction %d hits of %d, before %d of %d", q, len(got.Hits), got.Total, len(want.Hits), want.Total)
		}
		if len(want.Hits) == 0 {
			t.Fatalf("%+v finds nothing: a useless check", q)
		}
		for j := range got.Hits {
			g, w := got.Hits[j], want.Hits[j]
			if g.ID != w.ID || g.Title != w.Title || g.Snippet != w.Snippet || math.Abs(g.Score-w.Score) > 1e-9*w.Score {
				t.Fatalf("%+v hit %d: after compaction %+v, before %+v", q, j, g, w)
			}
		}
	}
}

// versioned is document id's version v: its Visible tokens name both, so
// a term query proves which version bleve holds.
func versioned(id string, v int) Document {
	return Document{
		ID: id, Language: "sv", Title: "Byta lösenord " + id,
		Body:    "Så byter du lösenordet till ditt konto.",
		Visible: []string{"public", fmt.Sprintf("v:%s:%d", id, v)},
	}
}

// checkHolds fails unless bleve and the Index hold exactly want (the
// version of each ID).
func checkHolds(t *testing.T, ix *Index, want map[string]int) {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n, err := ix.bleve.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != len(want) || len(ix.meta) != len(want) {
		t.Fatalf("bleve holds %d documents, meta %d; want %d", n, len(ix.meta), len(want))
	}
	for id, v := range want {
		q := termQuery(fVisible, fmt.Sprintf("v:%s:%d", id, v), 1)
		res, err := ix.bleve.Search(bleve.NewSearchRequest(q))
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || res.Hits[0].ID != id {
			t.Fatalf("%s version %d: %d hits", id, v, res.Total)
		}
		if got := ix.meta[id].visible[1]; got != fmt.Sprintf("v:%s:%d", id, v) {
			t.Fatalf("%s: meta holds %s, want version %d", id, got, v)
		}
	}
}

func TestChangesDuringACompactionBuildAreReplayed(t *testing.T) {
	ix := newIndex(t)
	ix.maxSegments = 0
	want := map[string]int{}
	for i := range 10 {
		id := fmt.Sprintf("d%d", i)
		if err := ix.Put(versioned(id, 0)); err != nil {
			t.Fatal(err)
		}
		want[id] = 0
	}
	// Between the build and the swap: an edit, a delete, a new document,
	// and one put then deleted, then put again.
	ix.beforeSwap = func() {
		ix.beforeSwap = nil
		must := func(err error) {
			if err != nil {
				t.Error(err)
			}
		}
		must(ix.Put(versioned("d1", 1)))
		must(ix.Delete("d2"))
		must(ix.Put(versioned("new", 1)))
		must(ix.Put(versioned("again", 1)))
		must(ix.Delete("again"))
		must(ix.Put(versioned("again", 2)))
		// A search meanwhile is not blocked by the build.
		if res := search(t, ix, Query{Text: "lösenord"}); res.Total != 11 {
			t.Errorf("a search during the build found %d, want 11", res.Total)
		}
	}
	want["d1"] = 1
	delete(want, "d2")
	want["new"] = 1
	want["again"] = 2
	if err := ix.compact(); err != nil {
		t.Fatal(err)
	}
	checkHolds(t, ix, want)
	if res := search(t, ix, Query{Text: "lösenord"}); res.Total != len(want) {
		t.Fatalf("search found %d, want %d", res.Total, len(want))
	}
}

func TestConcurrentChangesAndSearchesDuringCompactions(t *testing.T) {
	ix := newIndex(t)
	ix.maxSegments = 2 // compact all the time
	workers, rounds := 4, 60
	if seqtest.Race() {
		rounds = 20
	}
	wants := make([]map[string]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wants[w] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := wants[w]
			for r := range rounds {
				id := fmt.Sprintf("w%d-%d", w, r%7)
				var err error
				if r%5 == 3 {
					err = ix.Delete(id)
					delete(want, id)
				} else {
					err = ix.Put(versioned(id, r))
					want[id] = r
				}
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := ix.Search(context.Background(), Query{Text: "lösenordet", Viewer: public}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ix.wg.Wait()
	if ix.compactions == 0 {
		t.Fatal("no compaction ran")
	}
	all := map[string]int{}
	for _, w := range wants {
		for id, v := range w {
			all[id] = v
		}
	}
	checkHolds(t, ix, all)
}

func TestCloseWaitsForCompaction(t *testing.T) {
	ix, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ix.maxSegments = 1
	for i := range 5 {
		if err := ix.Put(versioned(fmt.Sprint(i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(context.Background(), Query{Text: "lösenord", Viewer: public}); err == nil {
		t.Fatal("a search after Close succeeded")
	}
}
