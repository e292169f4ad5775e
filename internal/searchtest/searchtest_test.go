package searchtest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/searchtest"
	"github.com/spoc-itsm/spoc/knowledge/search"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestMetrics checks ReciprocalRank and Recall against values computed
// by hand from their definitions in docs/validation.md.
func TestMetrics(t *testing.T) {
	ids := func(prefix string, n int) []string {
		var s []string
		for i := 1; i <= n; i++ {
			s = append(s, fmt.Sprintf("%s%d", prefix, i))
		}
		return s
	}
	twelve := ids("r", 12)
	for _, c := range []struct {
		name           string
		hits, relevant []string
		rr, recall     float64
	}{
		{"first hit relevant", []string{"a", "b"}, []string{"a"}, 1, 1},
		{"third hit relevant", []string{"a", "b", "c", "d"}, []string{"c"}, 1.0 / 3, 1},
		{"one of two found at rank 2", []string{"b", "a", "c"}, []string{"a", "z"}, 0.5, 0.5},
		{"two of three, first at rank 3", []string{"x", "y", "a", "q", "b"}, []string{"a", "b", "c"}, 1.0 / 3, 2.0 / 3},
		{"nothing relevant", []string{"a", "b"}, []string{"z"}, 0, 0},
		{"no hits", nil, []string{"z"}, 0, 0},
		{"relevant only at rank 11", append(ids("x", 10), "a"), []string{"a"}, 0, 0},
		{"relevant at rank 10", append(ids("x", 9), "a"), []string{"a"}, 0.1, 1},
		// Twelve relevant: a page of ten holding ten of them is perfect.
		{"more relevant than fit", twelve, twelve, 1, 1},
		{"ten of twelve from rank 2", append([]string{"x"}, twelve...), twelve, 0.5, 0.9},
		// A duplicated hit counts once.
		{"duplicate hit", []string{"a", "a"}, []string{"a", "b"}, 1, 0.5},
		{"no relevant ids", []string{"a"}, nil, 0, 0},
	} {
		if got := searchtest.ReciprocalRank(c.hits, c.relevant); !near(got, c.rr) {
			t.Errorf("%s: ReciprocalRank = %v, want %v", c.name, got, c.rr)
		}
		if got := searchtest.Recall(c.hits, c.relevant); !near(got, c.recall) {
			t.Errorf("%s: Recall = %v, want %v", c.name, got, c.recall)
		}
	}
}

// fixed answers each query text with fixed hit IDs.
type fixed struct {
	put     []search.Document
	answers map[string][]string
}

func (f *fixed) Put(docs ...search.Document) error { f.put = append(f.put, docs...); return nil }

func (f *fixed) Search(_ context.Context, q search.Query) (search.Result, error) {
	var r search.Result
	for _, id := range f.answers[q.Text] {
		r.Hits = append(r.Hits, search.Hit{ID: id})
	}
	r.Total = len(r.Hits)
	return r, nil
}

func article(id string, aud searchtest.Audience) searchtest.Article {
	return searchtest.Article{ID: id, Language: id[:2], Kind: "faq", Service: "s", Category: "c", Audience: aud,
		Title: "Titel " + id, Keywords: []string{"ord"}, Body: strings.Repeat("ord ", 70)}
}

// TestEvaluate checks the means over queries and kinds, and that a hit a
// viewer may not read is counted, on a hand-made collection.
func TestEvaluate(t *testing.T) {
	c := &searchtest.Collection{
		Articles: []searchtest.Article{article("sv-a", searchtest.Public), article("sv-b", searchtest.Users), article("sv-c", searchtest.Chain)},
		Queries: []searchtest.Query{
			{Text: "q1", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Inflection, Relevant: []string{"sv-b"}},
			{Text: "q2", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Typo, Relevant: []string{"sv-a", "sv-b"}},
			{Text: "q3", Language: "sv", Viewer: searchtest.Public, Kind: searchtest.Typo, Relevant: []string{"sv-a"}},
		},
	}
	engine := &fixed{answers: map[string][]string{
		"q1": {"sv-c", "sv-b"}, // a chain article shown to a user: a leak, and rank 2
		"q2": {"sv-a"},         // half the relevant
		"q3": {"sv-b"},         // a user article shown to the public: a leak, nothing relevant
	}}
	r, err := searchtest.Evaluate(context.Background(), "fixed", engine, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(engine.put) != 3 || engine.put[1].Visible[0] != searchtest.TokenUsers {
		t.Errorf("put %+v, want the three articles as documents", engine.put)
	}
	want := searchtest.Scores{Queries: 3, MRR: (0.5 + 1 + 0) / 3, Recall: (1 + 0.5 + 0) / 3}
	if got := r.Overall; got.Queries != want.Queries || !near(got.MRR, want.MRR) || !near(got.Recall, want.Recall) {
		t.Errorf("overall %+v, want %+v", got, want)
	}
	if got := r.ByKind[searchtest.Typo]; got.Queries != 2 || !near(got.MRR, 0.5) || !near(got.Recall, 0.25) {
		t.Errorf("typo %+v, want 2 queries, MRR 0.5, recall 0.25", got)
	}
	if got := r.ByKind[searchtest.Inflection]; got.Queries != 1 || !near(got.MRR, 0.5) || !near(got.Recall, 1) {
		t.Errorf("inflection %+v, want 1 query, MRR 0.5, recall 1", got)
	}
	if r.Outside != 2 || !slices.Equal(r.Outcomes[0].Outside, []string{"sv-c"}) || !slices.Equal(r.Outcomes[2].Outside, []string{"sv-b"}) {
		t.Errorf("outside %d %v %v, want sv-c for the user and sv-b for the public", r.Outside, r.Outcomes[0].Outside, r.Outcomes[2].Outside)
	}
	table := searchtest.Table(r)
	for _, s := range []string{"| all (3) | 0.500 | 0.500 |", "| typo (2) | 0.500 | 0.250 |", "| hits outside the audience | 2 |"} {
		if !strings.Contains(table, s) {
			t.Errorf("table lacks %q:\n%s", s, table)
		}
	}

	engine.answers["q2"] = []string{"sv-zz"}
	if _, err := searchtest.Evaluate(context.Background(), "fixed", engine, c); err == nil || !strings.Contains(err.Error(), "sv-zz") {
		t.Errorf("a hit outside the collection: err %v", err)
	}
	failing := &failingEngine{}
	if _, err := searchtest.Evaluate(context.Background(), "failing", failing, c); !errors.Is(err, errBroken) {
		t.Errorf("a failing engine: err %v", err)
	}
}

var errBroken = errors.New("broken")

type failingEngine struct{ fixed }

func (failingEngine) Search(context.Context, search.Query) (search.Result, error) {
	return search.Result{}, errBroken
}

// TestCollection loads the committed collection, which Load checks
// whole, and logs its sizes.
func TestCollection(t *testing.T) {
	c, err := searchtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	t.Logf("articles by language %v, by audience %v, %d with a translation", s.ArticlesByLanguage, s.ArticlesByAudience, s.Translated)
	for _, k := range searchtest.Kinds {
		t.Logf("%s queries by language: %v", k, s.QueriesByKind[k])
		// Both languages of the issue in every kind.
		if s.QueriesByKind[k]["sv"] < 15 || s.QueriesByKind[k]["nb"] < 15 {
			t.Errorf("%s: %v queries; want at least 15 Swedish and 15 Norwegian", k, s.QueriesByKind[k])
		}
	}
	if s.ArticlesByLanguage["sv"] < 75 || s.ArticlesByLanguage["nb"] < 60 || s.ArticlesByLanguage["nn"] == 0 {
		t.Errorf("articles by language %v; want about 80 Swedish, 70 Norwegian and some Nynorsk", s.ArticlesByLanguage)
	}
	// Audience cases: readers who must not see the chain's articles.
	if s.QueriesByViewer[searchtest.Public] < 30 || s.QueriesByViewer[searchtest.Chain] < 10 {
		t.Errorf("queries by viewer %v; want public and chain viewers too", s.QueriesByViewer)
	}
}

// TestValidate checks that every kind of fault in a collection is
// reported, so that a typo in a judgment cannot go unnoticed.
func TestValidate(t *testing.T) {
	good := article("sv-good", searchtest.Users)
	good.Translation = "nb-good"
	nb := article("nb-good", searchtest.Users)
	nb.Translation = "sv-other"
	short := article("sv-short", searchtest.Public)
	short.Body = "för kort"
	bad := article("sv-bad", "staff")
	bad.Kind, bad.Language = "howto", "nb"
	chain := article("sv-chain", searchtest.Chain)
	c := &searchtest.Collection{
		Articles: []searchtest.Article{good, nb, short, bad, chain, article("sv-good", searchtest.Public), article("Bad id", searchtest.Public)},
		Queries: []searchtest.Query{
			{Text: "a", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Typo, Relevant: []string{"sv-chain"}},
			{Text: "b", Language: "sv", Viewer: searchtest.Users, Kind: "spelling", Relevant: []string{"sv-missing", "sv-good", "sv-good"}},
			{Text: "c", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Typo, Relevant: []string{"nb-good"}},
			{Text: "A", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Typo, Relevant: []string{"sv-good"}},
			{Text: " ", Language: "fi", Viewer: "anyone", Kind: searchtest.Prefix},
		},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken collection")
	}
	for _, want := range []string{
		`id "Bad id"`,
		"sv-good: duplicate id",
		"sv-bad: language \"nb\" does not match its id",
		`sv-bad: kind "howto"`,
		`sv-bad: audience "staff"`,
		"sv-short: body of 2 words",
		"nb-good: translation \"sv-other\" does not exist",
		`query 0 "a": relevant article sv-chain is chain, which a users viewer may not read`,
		`query 1 "b": kind "spelling"`,
		`query 1 "b": relevant article "sv-missing" does not exist`,
		`query 1 "b": relevant article sv-good listed twice`,
		`query 2 "c": relevant article nb-good is in nb, not the user's sv`,
		`query 3 "A": duplicate`,
		`query 4 " ": empty text`,
		`query 4 " ": language "fi"`,
		`query 4 " ": viewer "anyone"`,
		`query 4 " ": no relevant article`,
		"7 articles, want at least 150",
		"1 chain-only articles",
		"5 queries, want at least 300",
		"0 queries of kind inflection",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's error lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(err)
	}
}

func TestAudience(t *testing.T) {
	for _, c := range []struct {
		reader, article searchtest.Audience
		sees            bool
	}{
		{searchtest.Public, searchtest.Public, true},
		{searchtest.Public, searchtest.Users, false},
		{searchtest.Public, searchtest.Chain, false},
		{searchtest.Users, searchtest.Public, true},
		{searchtest.Users, searchtest.Users, true},
		{searchtest.Users, searchtest.Chain, false},
		{searchtest.Chain, searchtest.Public, true},
		{searchtest.Chain, searchtest.Users, true},
		{searchtest.Chain, searchtest.Chain, true},
	} {
		if got := c.reader.Sees(c.article); got != c.sees {
			t.Errorf("%s sees %s: %v, want %v", c.reader, c.article, got, c.sees)
		}
	}
}

func TestPlainText(t *testing.T) {
	got := searchtest.PlainText("## Rubrik\n\n1. Tryck **Ctrl+Alt+Delete**.\n- Välj *Ändra* i `menyn`.\nMappen Återläst_123 finns.")
	want := "Rubrik\n\nTryck Ctrl+Alt+Delete.\nVälj Ändra i menyn.\nMappen Återläst_123 finns."
	if got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}

// docs are a few documents on which both baselines are checked.
var docs = []search.Document{
	{ID: "sv-print", Language: "sv", Title: "Skrivaren skriver inte ut", Keywords: []string{"utskrift"},
		Body: "Kontrollera nätverksskrivaren och utskriftskön.", Visible: []string{searchtest.TokenUsers}},
	{ID: "sv-pw", Language: "sv", Title: "Byta lösenord", Keywords: []string{"lösenord"},
		Body: "Du byter lösenordet på självservicesidan.", Visible: []string{searchtest.TokenPublic}},
	{ID: "sv-chain", Language: "sv", Title: "Starta om skrivarservern", Keywords: []string{"skrivare"},
		Body: "Skrivarna i kön skriver inte ut.", Visible: []string{searchtest.TokenChain}},
	{ID: "nb-print", Language: "nb", Title: "Skriveren skriver ikke ut", Keywords: []string{"utskrift"},
		Body: "Sjekk skriverne og utskriftskøen.", Visible: []string{searchtest.TokenUsers}},
}

func ids(r search.Result) []string {
	var s []string
	for _, h := range r.Hits {
		s = append(s, h.ID)
	}
	return s
}

func TestSnowball(t *testing.T) {
	s, err := searchtest.NewSnowball()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(docs...); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		text   string
		viewer searchtest.Audience
		want   []string
	}{
		// The Swedish stemmer joins these forms...
		{"skrivarna", searchtest.Users, []string{"sv-print"}},
		{"skrivarna", searchtest.Chain, []string{"sv-chain", "sv-print"}},
		// ...and the Norwegian one these.
		{"skriverne", searchtest.Users, []string{"nb-print"}},
		// What the stock analysers lack: folding, compounds, fuzziness.
		{"losenord", searchtest.Users, nil},
		{"nätverk", searchtest.Users, nil},
		{"skirvaren", searchtest.Users, nil},
		// The audience filter.
		{"skrivarna", searchtest.Public, nil},
		{"lösenord", searchtest.Public, []string{"sv-pw"}},
	} {
		r, err := s.Search(ctx, search.Query{Text: c.text, Viewer: c.viewer.Viewer()})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(r)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q as %s: %v, want %v", c.text, c.viewer, got, c.want)
		}
	}
	if err := s.Put(search.Document{ID: "x", Language: "fi"}); err == nil {
		t.Error("Put accepted a language it has no analyser for")
	}
}

func TestSubstring(t *testing.T) {
	s := searchtest.NewSubstring()
	if err := s.Put(docs...); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		text   string
		viewer searchtest.Audience
		want   []string // in rank order
	}{
		// Inside a compound, in any case.
		{"SKRIVAR", searchtest.Users, []string{"sv-print"}},
		// A title match ranks above a body match; ties go to the lower ID.
		{"skrivar", searchtest.Chain, []string{"sv-chain", "sv-print"}},
		{"skriver ut", searchtest.Chain, []string{"nb-print", "sv-print", "sv-chain"}},
		// No folding: losenord is not lösenord.
		{"losenord", searchtest.Chain, nil},
		// One-letter words are ignored.
		{"i", searchtest.Chain, nil},
		{"lösen", searchtest.Public, []string{"sv-pw"}},
		{"skrivar", searchtest.Public, nil},
	} {
		r, err := s.Search(ctx, search.Query{Text: c.text, Viewer: c.viewer.Viewer()})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(r); !slices.Equal(got, c.want) || r.Total != len(c.want) {
			t.Errorf("%q as %s: %v (total %d), want %v", c.text, c.viewer, got, r.Total, c.want)
		}
	}
	r, err := s.Search(ctx, search.Query{Text: "skriver ut", Viewer: searchtest.Chain.Viewer(), Offset: 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); !slices.Equal(got, []string{"sv-print"}) || r.Total != 3 {
		t.Errorf("second page of one: %v (total %d), want [sv-print] of 3", got, r.Total)
	}
}
