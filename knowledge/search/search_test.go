package search

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

var public = []string{"public"}

func newIndex(t testing.TB, docs ...Document) *Index {
	t.Helper()
	ix, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Put(docs...); err != nil {
		t.Fatal(err)
	}
	return ix
}

func doc(id, lang, title, body string) Document {
	return Document{ID: id, Language: lang, Title: title, Body: body, Visible: public}
}

func search(t testing.TB, ix *Index, q Query) Result {
	t.Helper()
	if q.Viewer == nil {
		q.Viewer = public
	}
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	return res
}

func ids(res Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

// collection is a small desk's articles, enough for every rule to have a
// document that must and one that must not come first.
func collection() []Document {
	return []Document{
		doc("pw-sv", "sv", "Byta lösenord", "Så byter du lösenordet till ditt konto i kommunen. Lösenordsbyte krävs var 90:e dag."),
		doc("pw-nb", "nb", "Bytte passord", "Slik bytter du passordet til kontoen din. Passordet må være minst 12 tegn."),
		doc("printer-sv", "sv", "Nätverksskrivaren skriver inte ut", "Om skrivaren inte fungerar: kontrollera kön och starta om skrivaren."),
		doc("printer-nb", "nb", "Skriveren skriver ikke ut", "Start skriveren på nytt og sjekk køen."),
		doc("vpn-sv", "sv", "Ansluta till VPN hemifrån", "Starta VPN-klienten och logga in med ditt konto och engångskod."),
		doc("mail-sv", "sv", "E-post i mobilen", "Lägg till din e-postadress i mobilens e-postapp."),
		doc("slow-sv", "sv", "Datorn är långsam", "En långsam dator blir ofta snabbare efter en omstart och uppdatering."),
		doc("tromso", "nb", "Kontoret i Tromsø", "Trådløst nett på kontoret i Tromsø: koble til nettverket «Kommune»."),
		doc("school-sv", "sv", "Skolplattformen för vårdnadshavare", "Logga in på skolplattformen med BankID."),
	}
}

func TestInflectionCompoundFoldingTypoPrefixFind(t *testing.T) {
	ix := newIndex(t, collection()...)
	for _, c := range []struct{ text, want string }{
		{"lösenordet", "pw-sv"},
		{"lösenorden", "pw-sv"},
		{"losenord", "pw-sv"},
		{"lösenordsbyte", "pw-sv"},
		{"byte lösenord", "pw-sv"},
		{"passordene", "pw-nb"},
		{"skrivarna", "printer-sv"},
		{"nätverk skrivare", "printer-sv"},
		{"natverksskrivaren", "printer-sv"},
		{"skrivre", "printer-sv"},
		{"tromso", "tromso"},
		{"trådlost nett tromsø", "tromso"},
		{"lösen", "pw-sv"},
		{"skolplatt", "school-sv"},
		{"plattform", "school-sv"},
		{"vpn", "vpn-sv"},
		{"epost mobil", "mail-sv"},
		{"datorn är seg", "slow-sv"},
		{"skrivaren funkar inte", "printer-sv"},
	} {
		res := search(t, ix, Query{Text: c.text, Language: "sv"})
		if len(res.Hits) == 0 || res.Hits[0].ID != c.want {
			t.Errorf("%q: %v, want %s first", c.text, ids(res), c.want)
		}
	}
}

func TestExactMatchRanksAboveTypo(t *testing.T) {
	ix := newIndex(t,
		doc("printer", "sv", "Skrivare", "Om skrivare."),
		doc("vpn", "sv", "VPN", "Om vpn."),
	)
	// skrivre is one letter off skrivare, vpn exact: both found, vpn first.
	if got := ids(search(t, ix, Query{Text: "skrivre vpn"})); fmt.Sprint(got) != "[vpn printer]" {
		t.Errorf("skrivre vpn: %v, want [vpn printer]", got)
	}
	// Two letters off in a long word still finds.
	if got := ids(search(t, ix, Query{Text: "skirvare"})); fmt.Sprint(got) != "[printer]" {
		t.Errorf("skirvare: %v", got)
	}
	// A word that is in the index is taken as meant, not as a misspelling.
	if got := ids(search(t, ix, Query{Text: "vpn"})); fmt.Sprint(got) != "[vpn]" {
		t.Errorf("vpn: %v", got)
	}
}

func TestTitleAndKeywordsRankAboveBody(t *testing.T) {
	ix := newIndex(t,
		doc("body", "sv", "Allmänt om kontor", "Här står något om skrivaren i en lång text om mycket annat också."),
		doc("title", "sv", "Skrivaren", "Allmänt om kontor och annat."),
		Document{ID: "keyword", Language: "sv", Title: "Allmänt om utskrift", Keywords: []string{"skrivare"}, Body: "Allmänt om kontor och annat.", Visible: public},
	)
	got := ids(search(t, ix, Query{Text: "skrivare"}))
	if len(got) != 3 || got[2] != "body" {
		t.Errorf("skrivare: %v, want the body match last", got)
	}
}

func TestRetiredAndUnhelpfulRankBelowCurrent(t *testing.T) {
	a := doc("a", "sv", "Byta lösenord", "Så byter du lösenord.")
	b := a
	b.ID = "b"
	b.Retired = true
	if got := ids(search(t, newIndex(t, b, a), Query{Text: "lösenord"})); len(got) != 2 || got[0] != "a" {
		t.Errorf("retired: %v, want the current one first", got)
	}
	c := a
	c.ID, c.Unhelpful = "c", 40
	d := a
	d.ID, d.Helpful = "d", 40
	if got := ids(search(t, newIndex(t, c, a, d), Query{Text: "lösenord"})); fmt.Sprint(got) != "[d a c]" {
		t.Errorf("helpfulness: %v, want [d a c]", got)
	}
}

func TestReadersLanguageFirst(t *testing.T) {
	ix := newIndex(t,
		doc("sv", "sv", "VPN", "VPN hemifrån."),
		doc("nb", "nb", "VPN", "VPN hjemmefra."),
	)
	for _, lang := range []string{"sv", "nb"} {
		got := ids(search(t, ix, Query{Text: "vpn", Language: lang}))
		if len(got) != 2 || got[0] != lang {
			t.Errorf("language %s: %v", lang, got)
		}
	}
}

func TestVisibilityIsAFilter(t *testing.T) {
	secret := Document{ID: "secret", Language: "sv", Title: "Lösenord för servern", Body: "Hemligt lösenord: hunter2", Visible: []string{"chain:desk"}}
	users := Document{ID: "users", Language: "sv", Title: "Lösenord", Body: "lösenord", Visible: []string{"users:c1"}}
	ix := newIndex(t, secret, users, doc("pub", "sv", "Om lösenord", "Allmänt."))
	for _, c := range []struct {
		viewer []string
		want   string
	}{
		{[]string{"public"}, "[pub]"},
		{[]string{"public", "users:c1"}, "[users pub]"},
		{[]string{"chain:desk"}, "[secret]"},
		{[]string{"users:c2"}, "[]"},
		{[]string{}, "[]"},
	} {
		q := Query{Text: "lösenord hunter2", Viewer: c.viewer}
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ids(res)); got != c.want || res.Total != len(res.Hits) {
			t.Errorf("viewer %v: %v (total %d), want %s", c.viewer, got, res.Total, c.want)
		}
		for _, h := range res.Hits {
			if h.ID != "secret" && strings.Contains(h.Snippet+h.Title, "hunter2") {
				t.Errorf("viewer %v sees the secret in %+v", c.viewer, h)
			}
		}
	}
}

func TestFiltersKindServiceCategory(t *testing.T) {
	mk := func(id, kind, service, category string) Document {
		d := doc(id, "sv", "Skrivare", "Skrivare.")
		d.Kind, d.Service, d.Category = kind, service, category
		return d
	}
	ix := newIndex(t, mk("1", "faq", "print", "hw"), mk("2", "guide", "print", "hw"), mk("3", "faq", "mail", "sw"), mk("4", "", "", ""))
	for _, c := range []struct {
		q    Query
		want string
	}{
		{Query{Text: "skrivare", Kind: "faq"}, "[1 3]"},
		{Query{Text: "skrivare", Service: "print"}, "[1 2]"},
		{Query{Text: "skrivare", Category: "sw"}, "[3]"},
		{Query{Text: "skrivare", Kind: "faq", Service: "print"}, "[1]"},
		{Query{Text: "skrivare", Kind: "known_error"}, "[]"},
		{Query{Text: "skrivare"}, "[1 2 3 4]"},
	} {
		if got := fmt.Sprint(ids(search(t, ix, c.q))); got != c.want {
			t.Errorf("%+v: %s, want %s", c.q, got, c.want)
		}
	}
}

func TestPaging(t *testing.T) {
	var docs []Document
	for i := range 25 {
		d := doc(fmt.Sprintf("d%02d", i), "sv", "Skrivare", strings.Repeat("skrivare ", i+1))
		docs = append(docs, d)
	}
	ix := newIndex(t, docs...)
	all := search(t, ix, Query{Text: "skrivare", Limit: 100})
	if all.Total != 25 || len(all.Hits) != 25 {
		t.Fatalf("total %d, %d hits", all.Total, len(all.Hits))
	}
	if got := search(t, ix, Query{Text: "skrivare"}); len(got.Hits) != DefaultLimit || got.Total != 25 {
		t.Errorf("limit 0: %d hits, total %d", len(got.Hits), got.Total)
	}
	var paged []string
	for off := 0; off < 25; off += 7 {
		paged = append(paged, ids(search(t, ix, Query{Text: "skrivare", Offset: off, Limit: 7}))...)
	}
	if fmt.Sprint(paged) != fmt.Sprint(ids(all)) {
		t.Errorf("pages %v\nwhole %v", paged, ids(all))
	}
	if got := search(t, ix, Query{Text: "skrivare", Offset: 30}); len(got.Hits) != 0 || got.Total != 25 {
		t.Errorf("past the end: %+v", got)
	}
}

func TestHighlightIsEscaped(t *testing.T) {
	ix := newIndex(t, doc("x", "sv", "<b>Lösenord</b> & skrivare", "Skriv <script>alert(1)</script> ditt lösenord här."))
	res := search(t, ix, Query{Text: "lösenordet"})
	if len(res.Hits) != 1 {
		t.Fatal(ids(res))
	}
	h := res.Hits[0]
	if h.Title != "&lt;b&gt;<mark>Lösenord</mark>&lt;/b&gt; &amp; skrivare" {
		t.Errorf("title %q", h.Title)
	}
	if strings.Contains(h.Snippet, "<script>") || !strings.Contains(h.Snippet, "<mark>lösenord</mark>") {
		t.Errorf("snippet %q", h.Snippet)
	}
	// A document found by its title only still shows the start of its body.
	ix = newIndex(t, doc("y", "sv", "VPN", "Starta klienten <först>."))
	if h := search(t, ix, Query{Text: "vpn"}).Hits[0]; h.Snippet != "Starta klienten &lt;först&gt;." {
		t.Errorf("snippet %q", h.Snippet)
	}
}

func TestPutReplacesAndDeleteRemoves(t *testing.T) {
	ix := newIndex(t, doc("a", "sv", "Skrivare", "Skrivare."))
	if err := ix.Put(doc("a", "sv", "Lösenord", "Lösenord.")); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 1 || len(search(t, ix, Query{Text: "skrivare"}).Hits) != 0 || len(search(t, ix, Query{Text: "lösenord"}).Hits) != 1 {
		t.Error("Put did not replace")
	}
	if err := ix.Delete("a", "absent"); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 0 || len(search(t, ix, Query{Text: "lösenord"}).Hits) != 0 {
		t.Error("Delete did not remove")
	}
}

func TestInvalidInputIsRefused(t *testing.T) {
	ix := newIndex(t, doc("keep", "sv", "Skrivare", "Skrivare."))
	good := doc("new", "sv", "Lösenord", "Lösenord.")
	for name, d := range map[string]Document{
		"no id":            {Language: "sv", Title: "x", Visible: public},
		"long id":          {ID: strings.Repeat("x", MaxIDLength+1), Language: "sv", Title: "x", Visible: public},
		"control in id":    {ID: "a\nb", Language: "sv", Title: "x", Visible: public},
		"unknown language": {ID: "x", Language: "de", Title: "x", Visible: public},
		"no title":         {ID: "x", Language: "sv", Title: " ", Visible: public},
		"long title":       {ID: "x", Language: "sv", Title: strings.Repeat("x", MaxTitle+1), Visible: public},
		"long body":        {ID: "x", Language: "sv", Title: "x", Body: strings.Repeat("x", MaxBody+1), Visible: public},
		"invisible":        {ID: "x", Language: "sv", Title: "x"},
		"empty token":      {ID: "x", Language: "sv", Title: "x", Visible: []string{""}},
		"negative marks":   {ID: "x", Language: "sv", Title: "x", Visible: public, Helpful: -1},
		"bad utf8":         {ID: "x", Language: "sv", Title: "\xff", Visible: public},
	} {
		err := ix.Put(good, d)
		if !errors.Is(err, itsm.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if err := ix.Put(good, good); !errors.Is(err, itsm.ErrInvalid) {
		t.Errorf("duplicate: %v", err)
	}
	if ix.Len() != 1 || len(search(t, ix, Query{Text: "lösenord"}).Hits) != 0 {
		t.Error("a refused Put indexed something")
	}
	for name, q := range map[string]Query{
		"negative limit":   {Text: "x", Limit: -1},
		"limit too big":    {Text: "x", Limit: MaxLimit + 1},
		"negative offset":  {Text: "x", Offset: -1},
		"offset too deep":  {Text: "x", Offset: MaxOffset + 1},
		"unknown language": {Text: "x", Language: "fi"},
		"text too long":    {Text: strings.Repeat("ä", MaxQueryText+1)},
		"bad utf8":         {Text: "\xff"},
		"bad viewer":       {Text: "x", Viewer: []string{""}},
		"bad kind":         {Text: "x", Kind: "a\x00"},
	} {
		if q.Viewer == nil {
			q.Viewer = public
		}
		if _, err := ix.Search(context.Background(), q); !errors.Is(err, itsm.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if err := ix.Delete(""); !errors.Is(err, itsm.ErrInvalid) {
		t.Errorf("delete empty id: %v", err)
	}
	// Text with nothing to search finds nothing, without error.
	for _, text := range []string{"", "  ", "och är", "!!"} {
		if res := search(t, ix, Query{Text: text}); res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("%q: %+v", text, res)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ix := newIndex(t, collection()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, Query{Text: "lösenord", Viewer: public}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// Searches while one goroutine puts and deletes: run under -race, and
// every search sees whole documents.
func TestConcurrentSearchesWhilePutting(t *testing.T) {
	ix := newIndex(t, collection()...)
	rounds := 200
	if seqtest.Race() {
		rounds = 40
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := ix.Search(context.Background(), Query{Text: "lösenord skrivare", Viewer: public, Limit: 50})
				if err != nil {
					t.Error(err)
					return
				}
				for _, h := range res.Hits {
					if h.Title == "" {
						t.Errorf("hit without title: %+v", h)
					}
					if strings.HasPrefix(h.ID, "hidden") {
						t.Errorf("hidden document found: %+v", h)
					}
				}
			}
		}()
	}
	for i := range rounds {
		d := doc(fmt.Sprintf("new%d", i%10), "sv", "Lösenord nummer "+fmt.Sprint(i), "Skrivare och lösenord.")
		h := d
		h.ID, h.Visible = fmt.Sprintf("hidden%d", i%10), []string{"chain:x"}
		if err := ix.Put(d, h); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if err := ix.Delete(d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
}

// Synonyms add hits only while the words typed match fewer documents than
// the pool ranked again; once they fill it, synonyms only rank them
// (decision 145).
func TestSynonymsOnlyRankOnceTheTypedWordsFillThePool(t *testing.T) {
	for _, n := range []int{5, candidates + DefaultLimit + 5} {
		ix, err := New()
		if err != nil {
			t.Fatal(err)
		}
		docs := []Document{{ID: "printer", Language: "sv", Title: "Printer på plan två", Body: "Printern står vid hissen.", Visible: []string{"public"}}}
		for i := range n {
			docs = append(docs, Document{ID: fmt.Sprintf("d%03d", i), Language: "sv", Title: "Skrivaren", Body: "Om skrivaren.", Visible: []string{"public"}})
		}
		if err := ix.Put(docs...); err != nil {
			t.Fatal(err)
		}
		res, err := ix.Search(context.Background(), Query{Text: "skrivare ", Viewer: []string{"public"}})
		if err != nil {
			t.Fatal(err)
		}
		want := n + 1 // the synonym's document too
		if n >= candidates+DefaultLimit {
			want = n
		}
		if res.Total != want {
			t.Errorf("%d documents with the word: Total %d, want %d", n, res.Total, want)
		}
		ix.Close()
	}
}
