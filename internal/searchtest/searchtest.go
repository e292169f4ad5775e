// Package searchtest measures the relevance of knowledge search. It holds
// a test collection written for the purpose (articles of a municipal
// service desk in Swedish, Norwegian and a little English, and queries
// typed as users type them, each judged by reading the articles), the
// metrics MRR@10 and recall@10 defined in docs/validation.md, and two
// baseline engines to compare the real one with: bleve's stock Snowball
// analysers (Snowball) and case-insensitive substring matching
// (Substring).
//
// The collection is the yardstick, so it never adapts to an engine: its
// judgments say which articles answer a user's need, whatever any engine
// finds.
package searchtest

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/knowledge/search"
)

// Engine is what the relevance test drives: *search.Index fits it, and
// so do the baselines of this package.
type Engine interface {
	Put(docs ...search.Document) error
	Search(ctx context.Context, q search.Query) (search.Result, error)
}

// Audience is who may read an article.
type Audience string

// The audiences of the collection's articles, and of its queries' viewers.
const (
	Public Audience = "public" // anyone, signed in or not
	Users  Audience = "users"  // the customer's users (and the chain that serves them)
	Chain  Audience = "chain"  // the support chain only
)

// The visibility tokens of the collection: one customer, one desk.
const (
	TokenPublic = "public"
	TokenUsers  = "users:kommun"
	TokenChain  = "chain:servicedesk"
)

// Visible is the search.Document.Visible of an article of audience a.
func (a Audience) Visible() []string {
	switch a {
	case Public:
		return []string{TokenPublic}
	case Users:
		return []string{TokenUsers}
	case Chain:
		return []string{TokenChain}
	}
	return nil
}

// Viewer is the search.Query.Viewer of a reader of audience a: a user
// reads public and user articles, the chain reads all three.
func (a Audience) Viewer() []string {
	switch a {
	case Public:
		return []string{TokenPublic}
	case Users:
		return []string{TokenPublic, TokenUsers}
	case Chain:
		return []string{TokenPublic, TokenUsers, TokenChain}
	}
	return nil
}

// Sees reports whether a reader of audience a may read an article of
// audience b.
func (a Audience) Sees(b Audience) bool {
	return slices.ContainsFunc(b.Visible(), func(t string) bool { return slices.Contains(a.Viewer(), t) })
}

// QueryKind is the main difficulty a query puts to an engine.
type QueryKind string

// The kinds of query of ISSUE 17's targets.
const (
	Inflection QueryKind = "inflection" // another inflected form than the article's: skrivaren, passordet
	Compound   QueryKind = "compound"   // a compound against its parts, or back: lösenordsbyte, nettverksskriver
	Folding    QueryKind = "folding"    // no diacritics, as on a foreign keyboard: losenord, tromso, natverket
	Typo       QueryKind = "typo"       // one or two letters wrong: skrivre, pasord
	Prefix     QueryKind = "prefix"     // the last word cut short, as in type-ahead: lösen, skriv
	Colloquial QueryKind = "colloquial" // everyday wording: funkar inte, skrivarn, PC-en er treg
)

// Kinds lists every QueryKind in the order reports show them.
var Kinds = []QueryKind{Inflection, Compound, Folding, Typo, Prefix, Colloquial}

// Article is one article of the collection.
type Article struct {
	ID          string   `json:"id"`
	Language    string   `json:"language"`
	Translation string   `json:"translation,omitempty"` // the same article in another language
	Kind        string   `json:"kind"`
	Service     string   `json:"service"`
	Category    string   `json:"category"`
	Audience    Audience `json:"audience"`
	Title       string   `json:"title"`
	Keywords    []string `json:"keywords"`
	Body        string   `json:"body"` // Markdown
}

// Document is the article as the knowledge package hands it to the index:
// the body as plain text, the audience as visibility tokens.
func (a Article) Document() search.Document {
	return search.Document{
		ID:       a.ID,
		Language: a.Language,
		Title:    a.Title,
		Keywords: slices.Clone(a.Keywords),
		Body:     PlainText(a.Body),
		Kind:     a.Kind,
		Service:  a.Service,
		Category: a.Category,
		Visible:  a.Audience.Visible(),
	}
}

// Query is one query of the collection with its judgment.
type Query struct {
	Text     string    `json:"text"`
	Language string    `json:"language"` // the user's language
	Viewer   Audience  `json:"viewer"`
	Kind     QueryKind `json:"kind"`
	// Relevant lists the articles that answer the user's need, in the
	// user's written language (Bokmål and Nynorsk count as one), among
	// those the viewer may read.
	Relevant []string `json:"relevant"`
}

// Search is the search.Query of q: its first page of ten.
func (q Query) Search() search.Query {
	return search.Query{Text: q.Text, Language: q.Language, Viewer: q.Viewer.Viewer(), Limit: 10}
}

// Collection is the test collection.
type Collection struct {
	Articles []Article
	Queries  []Query
	byID     map[string]*Article
}

// Article returns the article with the given ID.
func (c *Collection) Article(id string) (Article, bool) {
	if c.byID == nil {
		// A collection built in code rather than loaded: index it now.
		c.byID = make(map[string]*Article, len(c.Articles))
		for i := range c.Articles {
			c.byID[c.Articles[i].ID] = &c.Articles[i]
		}
	}
	a, ok := c.byID[id]
	if !ok {
		return Article{}, false
	}
	return *a, true
}

// Documents returns every article as a search.Document.
func (c *Collection) Documents() []search.Document {
	docs := make([]search.Document, len(c.Articles))
	for i, a := range c.Articles {
		docs[i] = a.Document()
	}
	return docs
}

// Minimum sizes of the collection, from ISSUE 17 and the brief.
const (
	MinArticles      = 150
	MinQueries       = 300
	MinQueriesOfKind = 40
	MinChainArticles = 15
	MinBodyWords     = 60
	MaxBodyWords     = 250
)

//go:embed testdata/*.json
var testdata embed.FS

// Load reads the collection committed under testdata and checks it.
func Load() (*Collection, error) { return LoadFS(testdata, "testdata") }

// LoadFS reads the collection from dir of fsys: every articles_*.json
// holds an array of articles and every queries_*.json an array of
// queries. Unknown fields are errors, so that a misspelt field cannot
// silently drop a judgment.
func LoadFS(fsys fs.FS, dir string) (*Collection, error) {
	c := &Collection{}
	for _, set := range []struct {
		glob string
		into func(*json.Decoder) error
	}{
		{"articles_*.json", func(d *json.Decoder) error {
			var as []Article
			err := d.Decode(&as)
			c.Articles = append(c.Articles, as...)
			return err
		}},
		{"queries_*.json", func(d *json.Decoder) error {
			var qs []Query
			err := d.Decode(&qs)
			c.Queries = append(c.Queries, qs...)
			return err
		}},
	} {
		files, err := fs.Glob(fsys, path.Join(dir, set.glob))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			d := json.NewDecoder(bytes.NewReader(b))
			d.DisallowUnknownFields()
			if err := set.into(d); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	articleID    = regexp.MustCompile(`^(sv|nb|nn|en)-[a-z0-9]+(-[a-z0-9]+)*$`)
	languages    = []string{"sv", "nb", "nn", "en"}
	articleKinds = []string{"faq", "guide", "known_error"}
	audiences    = []Audience{Public, Users, Chain}
)

// sameLanguage reports whether a reader of language q reads articles of
// language a as their own: Bokmål and Nynorsk are the two written
// standards of one language, and every Norwegian reads both.
func sameLanguage(q, a string) bool {
	norwegian := func(l string) bool { return l == "nb" || l == "nn" }
	return q == a || norwegian(q) && norwegian(a)
}

// Validate checks the collection's schema and sizes and reports every
// fault it finds, so that a broken judgment fails the test instead of
// quietly measuring something else.
func (c *Collection) Validate() error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	c.byID = make(map[string]*Article, len(c.Articles))
	chain := 0
	for i := range c.Articles {
		a := &c.Articles[i]
		if !articleID.MatchString(a.ID) {
			fail("article %d: id %q is not <language>-<words>", i, a.ID)
		} else if !strings.HasPrefix(a.ID, a.Language+"-") {
			fail("article %s: language %q does not match its id", a.ID, a.Language)
		}
		if _, dup := c.byID[a.ID]; dup {
			fail("article %s: duplicate id", a.ID)
		}
		c.byID[a.ID] = a
		if !slices.Contains(languages, a.Language) {
			fail("article %s: language %q is not one of %v", a.ID, a.Language, languages)
		}
		if !slices.Contains(articleKinds, a.Kind) {
			fail("article %s: kind %q is not one of %v", a.ID, a.Kind, articleKinds)
		}
		if !slices.Contains(audiences, a.Audience) {
			fail("article %s: audience %q is not one of %v", a.ID, a.Audience, audiences)
		}
		if a.Audience == Chain {
			chain++
		}
		if strings.TrimSpace(a.Title) == "" || a.Service == "" || a.Category == "" || len(a.Keywords) == 0 {
			fail("article %s: title, service, category and keywords are required", a.ID)
		}
		if n := len(strings.Fields(PlainText(a.Body))); n < MinBodyWords || n > MaxBodyWords {
			fail("article %s: body of %d words, want %d to %d", a.ID, n, MinBodyWords, MaxBodyWords)
		}
	}
	for _, a := range c.Articles {
		if a.Translation == "" {
			continue
		}
		t, ok := c.byID[a.Translation]
		switch {
		case !ok:
			fail("article %s: translation %q does not exist", a.ID, a.Translation)
		case t.Language == a.Language:
			fail("article %s: translation %s is in the same language", a.ID, t.ID)
		case t.Translation != a.ID:
			fail("article %s: translation %s does not name it back", a.ID, t.ID)
		}
	}

	type key struct {
		text, language string
		viewer         Audience
	}
	seen := map[key]bool{}
	kinds := map[QueryKind]int{}
	for i, q := range c.Queries {
		where := fmt.Sprintf("query %d %q", i, q.Text)
		if strings.TrimSpace(q.Text) == "" {
			fail("%s: empty text", where)
		}
		k := key{strings.ToLower(q.Text), q.Language, q.Viewer}
		if seen[k] {
			fail("%s: duplicate of an earlier query", where)
		}
		seen[k] = true
		if !slices.Contains(languages, q.Language) {
			fail("%s: language %q is not one of %v", where, q.Language, languages)
		}
		if !slices.Contains(audiences, q.Viewer) {
			fail("%s: viewer %q is not one of %v", where, q.Viewer, audiences)
		}
		if !slices.Contains(Kinds, q.Kind) {
			fail("%s: kind %q is not one of %v", where, q.Kind, Kinds)
		}
		kinds[q.Kind]++
		if len(q.Relevant) == 0 {
			fail("%s: no relevant article", where)
		}
		for j, id := range q.Relevant {
			a, ok := c.byID[id]
			switch {
			case !ok:
				fail("%s: relevant article %q does not exist", where, id)
			case slices.Contains(q.Relevant[:j], id):
				fail("%s: relevant article %s listed twice", where, id)
			case !q.Viewer.Sees(a.Audience):
				fail("%s: relevant article %s is %s, which a %s viewer may not read", where, id, a.Audience, q.Viewer)
			case !sameLanguage(q.Language, a.Language):
				fail("%s: relevant article %s is in %s, not the user's %s", where, id, a.Language, q.Language)
			}
		}
	}

	if len(c.Articles) < MinArticles {
		fail("%d articles, want at least %d", len(c.Articles), MinArticles)
	}
	if chain < MinChainArticles {
		fail("%d chain-only articles, want at least %d", chain, MinChainArticles)
	}
	if len(c.Queries) < MinQueries {
		fail("%d queries, want at least %d", len(c.Queries), MinQueries)
	}
	for _, k := range Kinds {
		if kinds[k] < MinQueriesOfKind {
			fail("%d queries of kind %s, want at least %d", kinds[k], k, MinQueriesOfKind)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("searchtest: the collection is invalid:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

var (
	mdHeading  = regexp.MustCompile(`(?m)^#+\s*`)
	mdListItem = regexp.MustCompile(`(?m)^[ \t]*(?:[-*+]|\d+\.)[ \t]+`)
	mdEmphasis = regexp.MustCompile("[*`]+")
)

// PlainText strips the Markdown the collection's bodies use (headings,
// lists, emphasis, code) to the text a reader sees, as the knowledge
// package does before it indexes an article.
func PlainText(markdown string) string {
	s := mdHeading.ReplaceAllString(markdown, "")
	s = mdListItem.ReplaceAllString(s, "")
	return mdEmphasis.ReplaceAllString(s, "")
}

// Stats counts the collection's articles by language and audience and its
// queries by kind and language, for the report in docs/validation.md.
type Stats struct {
	ArticlesByLanguage map[string]int
	ArticlesByAudience map[Audience]int
	Translated         int // articles that have a translation in the collection
	QueriesByKind      map[QueryKind]map[string]int
	QueriesByViewer    map[Audience]int
}

// Stats returns the collection's counts.
func (c *Collection) Stats() Stats {
	s := Stats{
		ArticlesByLanguage: map[string]int{},
		ArticlesByAudience: map[Audience]int{},
		QueriesByKind:      map[QueryKind]map[string]int{},
		QueriesByViewer:    map[Audience]int{},
	}
	for _, a := range c.Articles {
		s.ArticlesByLanguage[a.Language]++
		s.ArticlesByAudience[a.Audience]++
		if a.Translation != "" {
			s.Translated++
		}
	}
	for _, q := range c.Queries {
		if s.QueriesByKind[q.Kind] == nil {
			s.QueriesByKind[q.Kind] = map[string]int{}
		}
		s.QueriesByKind[q.Kind][q.Language]++
		s.QueriesByViewer[q.Viewer]++
	}
	return s
}
