package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/spoc-itsm/spoc/itsm"
)

// Limits of what a document and a query may hold. They bound the work of
// one call, not what real articles need.
const (
	// MaxLimit is the most hits one page may ask for.
	MaxLimit = 100
	// DefaultLimit is the page size of a query whose Limit is 0.
	DefaultLimit = 10
	// MaxOffset is the deepest a query may page: ranking beyond it would
	// cost more than anyone reads.
	MaxOffset = 10_000
	// MaxQueryText is the longest query text, in characters.
	MaxQueryText = 500
	// MaxQueryWords is the most words of a query that are searched; the
	// rest are ignored (type-ahead never reaches it).
	MaxQueryWords = 32
	// MaxIDLength bounds a document ID and every token and filter value.
	MaxIDLength = 200
	// MaxTitle, MaxBody and MaxKeywords bound a document's text.
	MaxTitle    = 1_000
	MaxBody     = 1 << 20
	MaxKeywords = 100
)

// Languages are the languages a document may be written in.
var Languages = []string{"sv", "nb", "nn", "en"}

// Document is what the index holds of one article in one language.
type Document struct {
	ID       string   // the article's ID; Put replaces an earlier document with this ID
	Language string   // "sv", "nb", "nn" or "en"
	Title    string   // required
	Keywords []string // searched as strongly as the title
	Body     string   // plain text (the knowledge package strips Markdown)
	Kind     string   // "faq", "guide", "known_error" (optional filter)
	Service  string   // optional filter
	Category string   // optional filter
	// Visible lists who may find the document: opaque tokens such as
	// "public", "users:<customer id>", "chain:<desk id>". A query finds the
	// document only if its Viewer holds at least one of them; never shown,
	// not even as a snippet, otherwise. At least one is required.
	Visible   []string
	Retired   bool // ranked below current documents
	Helpful   int  // readers' marks: ranked by helpfulness
	Unhelpful int
}

// Query is one search.
type Query struct {
	// Text is what the user typed: any form, compounds, no diacritics,
	// typos; the last word is also a prefix (type-ahead) unless the text
	// ends in a space or punctuation.
	Text string
	// Language is the reader's language: its documents rank first; not a
	// filter. Empty means no preference.
	Language string
	// Viewer lists the tokens the reader holds; empty finds nothing.
	Viewer []string
	// Kind, Service and Category are optional exact filters.
	Kind, Service, Category string
	// Offset and Limit page the hits; Limit 0 means DefaultLimit, more
	// than MaxLimit is an error.
	Offset, Limit int
}

// Hit is one found document.
type Hit struct {
	ID       string
	Language string
	Score    float64
	Title    string // HTML-escaped, matched words in <mark>…</mark>
	Snippet  string // HTML-escaped fragment of the body, matched words in <mark>…</mark>
}

// Result is a page of hits, best first, and how many matched in all.
type Result struct {
	Total int
	Hits  []Hit
}

// meta is what ranking needs of a document beyond its text score, kept
// beside the bleve index so that ranking reads no stored field.
type meta struct {
	language  string
	title     string
	keywords  []string
	body      string // for the snippet, and to count the document's terms out of terms
	retired   bool
	helpful   int
	unhelpful int
	// The filters, kept so that compaction can index the document again.
	kind, service, category string
	visible                 []string
}

// document returns the Document m was made of.
func (m meta) document(id string) Document {
	return Document{
		ID: id, Language: m.language, Title: m.title, Keywords: m.keywords, Body: m.body,
		Kind: m.kind, Service: m.service, Category: m.category, Visible: m.visible,
		Retired: m.retired, Helpful: m.helpful, Unhelpful: m.unhelpful,
	}
}

// Index is an in-memory full-text index of documents. It is safe for
// concurrent use: searches run while another goroutine puts or deletes,
// and see each Put or Delete whole or not at all... per document (bleve
// applies a batch as one segment).
type Index struct {
	// mu guards every field but wg. A search holds it for reading while
	// it asks bleve, so compaction swaps bleve under the write lock and
	// closes the old index once no search can be using it.
	mu    sync.RWMutex
	bleve bleve.Index
	meta  map[string]meta
	// terms counts the documents that hold each term in a text field, so
	// that a query can ask what the index holds without reading it (see
	// vocabulary). It changes with meta, under mu.
	terms map[string]int

	// Compaction (compact.go): building is true while a fresh index is
	// built in the background; touched holds the IDs put or deleted
	// since its build began, replayed into it before the swap.
	maxSegments int
	building    bool
	touched     map[string]bool
	compactions int
	// lastBuild is how long the last compaction took to build (the hook
	// excluded), lastCompaction when it ended: see restFactor.
	lastBuild      time.Duration
	lastCompaction time.Time
	closed         bool
	wg             sync.WaitGroup
	beforeSwap     func() // a test's hook, run between a compaction's build and its swap
}

// Field names in the bleve index.
const (
	fHead     = "head" // the title and the keywords, weighed alike
	fBody     = "body"
	fKind     = "kind"
	fService  = "service"
	fCategory = "category"
	fVisible  = "visible"
)

func indexMapping() mapping.IndexMapping {
	// Nothing is stored and no positions are kept: ranking reads meta,
	// and highlighting analyses the text kept there (highlight.go).
	text := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fHead, text())
	doc.AddFieldMappingsAt(fBody, text())
	for _, f := range []string{fKind, fService, fCategory, fVisible} {
		doc.AddFieldMappingsAt(f, kw())
	}
	m := mapping.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzerName
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	return m
}

// New returns an empty index.
func New() (*Index, error) {
	// scorch kept in memory (no path): see docs/decisions.md for the
	// measurements against upsidedown, bleve's NewMemOnly default.
	return newIndexUsing(scorch.Name)
}

// newIndexUsing builds the index on one of bleve's index types, kept in
// memory: scorch, or upsidedown over gtreap (what bleve.NewMemOnly uses),
// which the benchmarks compare.
func newIndexUsing(engine string) (*Index, error) {
	var b bleve.Index
	var err error
	switch engine {
	case scorch.Name:
		b, err = bleve.NewUsing("", indexMapping(), scorch.Name, scorch.Name, nil)
	default:
		b, err = bleve.NewMemOnly(indexMapping())
	}
	if err != nil {
		return nil, fmt.Errorf("search: creating the index: %w", err)
	}
	return &Index{bleve: b, meta: map[string]meta{}, terms: map[string]int{}, maxSegments: maxSegments}, nil
}

// Put adds documents or replaces those with the same IDs. Every document
// is validated first: if one is invalid, Put returns an itsm.CodeInvalid
// error naming it and indexes none.
func (ix *Index) Put(docs ...Document) error {
	seen := make(map[string]bool, len(docs))
	for i, d := range docs {
		if err := d.validate(); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "search: document %d (%q): %v", i, d.ID, err)
		}
		if seen[d.ID] {
			return itsm.Errorf(itsm.CodeInvalid, "search: document %d: ID %q twice in one Put", i, d.ID)
		}
		seen[d.ID] = true
	}
	if len(docs) == 0 {
		return nil
	}
	newTerms := make([][]string, len(docs))
	for i, d := range docs {
		newTerms[i] = docTerms(d.Title, d.Keywords, d.Body)
	}
	// Hold the lock across the batch so that meta and the index change
	// together for every reader that locks: a search reads meta for the
	// hits bleve found, and a hit without meta is skipped.
	ix.mu.Lock()
	defer ix.mu.Unlock()
	batch := ix.bleve.NewBatch()
	for _, d := range docs {
		if err := indexDoc(batch, d); err != nil {
			return err
		}
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return fmt.Errorf("search: indexing: %w", err)
	}
	for i, d := range docs {
		if old, ok := ix.meta[d.ID]; ok {
			ix.count(docTerms(old.title, old.keywords, old.body), -1)
		}
		ix.count(newTerms[i], +1)
		ix.meta[d.ID] = meta{
			language:  d.Language,
			title:     d.Title,
			keywords:  slices.Clone(d.Keywords),
			body:      d.Body,
			retired:   d.Retired,
			helpful:   d.Helpful,
			unhelpful: d.Unhelpful,
			kind:      d.Kind,
			service:   d.Service,
			category:  d.Category,
			visible:   slices.Clone(d.Visible),
		}
		ix.touch(d.ID)
	}
	ix.compactIfDue()
	return nil
}

// indexDoc adds a document to a bleve batch.
func indexDoc(batch *bleve.Batch, d Document) error {
	if err := batch.Index(d.ID, map[string]any{
		fHead:     append([]string{d.Title}, d.Keywords...),
		fBody:     d.Body,
		fKind:     d.Kind,
		fService:  d.Service,
		fCategory: d.Category,
		fVisible:  d.Visible,
	}); err != nil {
		return fmt.Errorf("search: indexing %q: %w", d.ID, err)
	}
	return nil
}

func (d Document) validate() error {
	if err := checkToken("ID", d.ID); err != nil {
		return err
	}
	if !slices.Contains(Languages, d.Language) {
		return fmt.Errorf("language %q is not one of %v", d.Language, Languages)
	}
	if strings.TrimSpace(d.Title) == "" {
		return errors.New("title is empty")
	}
	if len(d.Title) > MaxTitle {
		return fmt.Errorf("title is %d bytes, more than %d", len(d.Title), MaxTitle)
	}
	if len(d.Body) > MaxBody {
		return fmt.Errorf("body is %d bytes, more than %d", len(d.Body), MaxBody)
	}
	if len(d.Keywords) > MaxKeywords {
		return fmt.Errorf("%d keywords, more than %d", len(d.Keywords), MaxKeywords)
	}
	for _, k := range d.Keywords {
		if len(k) > MaxTitle {
			return fmt.Errorf("keyword of %d bytes, more than %d", len(k), MaxTitle)
		}
	}
	for _, s := range []string{d.Title, d.Body} {
		if !utf8.ValidString(s) {
			return errors.New("text is not valid UTF-8")
		}
	}
	for name, v := range map[string]string{"kind": d.Kind, "service": d.Service, "category": d.Category} {
		if v == "" {
			continue
		}
		if err := checkToken(name, v); err != nil {
			return err
		}
	}
	if len(d.Visible) == 0 {
		return errors.New("visible is empty: nobody could find the document")
	}
	for _, v := range d.Visible {
		if err := checkToken("visible token", v); err != nil {
			return err
		}
	}
	if d.Helpful < 0 || d.Unhelpful < 0 {
		return fmt.Errorf("helpful %d and unhelpful %d must not be negative", d.Helpful, d.Unhelpful)
	}
	return nil
}

// checkToken validates an ID, a filter value or a visibility token: not
// empty, bounded, printable.
func checkToken(name, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", name)
	}
	if len(v) > MaxIDLength {
		return fmt.Errorf("%s is %d bytes, more than %d", name, len(v), MaxIDLength)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s %q holds a control character", name, v)
		}
	}
	return nil
}

// Delete removes the documents with these IDs; an absent ID is not an error.
func (ix *Index) Delete(ids ...string) error {
	for _, id := range ids {
		if err := checkToken("ID", id); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "search: delete: %v", err)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	batch := ix.bleve.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return fmt.Errorf("search: deleting: %w", err)
	}
	for _, id := range ids {
		if old, ok := ix.meta[id]; ok {
			ix.count(docTerms(old.title, old.keywords, old.body), -1)
			delete(ix.meta, id)
		}
		ix.touch(id)
	}
	ix.compactIfDue()
	return nil
}

// docTerms returns the terms of a document's text, each once, whatever
// its field.
func docTerms(title string, keywords []string, body string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(text string) {
		for _, tok := range tokenizer.Tokenize([]byte(text)) {
			for _, t := range analyzeWord(string(tok.Term)) {
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	add(title)
	for _, k := range keywords {
		add(k)
	}
	add(body)
	return out
}

// count adds delta to the document count of each term. The caller holds
// mu for writing.
func (ix *Index) count(terms []string, delta int) {
	for _, t := range terms {
		if n := ix.terms[t] + delta; n > 0 {
			ix.terms[t] = n
		} else {
			delete(ix.terms, t)
		}
	}
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.meta)
}

// Close releases the index, after a compaction under way has ended;
// later calls fail.
func (ix *Index) Close() error {
	ix.mu.Lock()
	ix.closed = true
	ix.mu.Unlock()
	ix.wg.Wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.bleve.Close()
}

// validate checks a query and fills in its default limit.
func (q *Query) validate() error {
	if q.Limit < 0 || q.Limit > MaxLimit {
		return itsm.Errorf(itsm.CodeInvalid, "search: limit %d is not between 0 and %d", q.Limit, MaxLimit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Offset < 0 || q.Offset > MaxOffset {
		return itsm.Errorf(itsm.CodeInvalid, "search: offset %d is not between 0 and %d", q.Offset, MaxOffset)
	}
	if q.Language != "" && !slices.Contains(Languages, q.Language) {
		return itsm.Errorf(itsm.CodeInvalid, "search: language %q is not one of %v", q.Language, Languages)
	}
	if !utf8.ValidString(q.Text) {
		return itsm.Errorf(itsm.CodeInvalid, "search: the text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(q.Text); n > MaxQueryText {
		return itsm.Errorf(itsm.CodeInvalid, "search: the text is %d characters, more than %d", n, MaxQueryText)
	}
	if len(q.Viewer) > MaxKeywords {
		return itsm.Errorf(itsm.CodeInvalid, "search: %d viewer tokens, more than %d", len(q.Viewer), MaxKeywords)
	}
	for _, v := range q.Viewer {
		if err := checkToken("viewer token", v); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "search: %v", err)
		}
	}
	for name, v := range map[string]string{"kind": q.Kind, "service": q.Service, "category": q.Category} {
		if v == "" {
			continue
		}
		if err := checkToken(name, v); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "search: %v", err)
		}
	}
	return nil
}

// candidates is how many hits by text score are ranked again by language,
// currency and helpfulness: the page asked for and this many more. 50
// ranks the relevance collection exactly as 100 did (decision 149), for
// half the hits bleve keeps in its heap and resolves to IDs.
const candidates = 50

// Search finds the documents the viewer may see that match the text, best
// first. An invalid query is an itsm.CodeInvalid error; a query whose
// text has no searchable word, or whose viewer holds no token, finds
// nothing.
func (ix *Index) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if len(q.Viewer) == 0 {
		return Result{Hits: []Hit{}}, nil
	}
	pq := parseQuery(q.Text)
	ix.mu.RLock()
	adv, err := ix.bleve.Advanced()
	if err != nil {
		ix.mu.RUnlock()
		return Result{}, fmt.Errorf("search: %w", err)
	}
	reader, err := adv.Reader()
	if err != nil {
		ix.mu.RUnlock()
		return Result{}, fmt.Errorf("search: %w", err)
	}
	size := q.Offset + q.Limit + candidates
	bq, terms := pq.bleveQuery(vocabulary{r: reader, terms: ix.terms}, size)
	reader.Close()
	if bq == nil {
		ix.mu.RUnlock()
		return Result{Hits: []Hit{}}, nil
	}
	bq.AddFilter(ix.filter(q))

	req := bleve.NewSearchRequestOptions(bq, size, 0, false)
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		ix.mu.RUnlock()
		return Result{}, fmt.Errorf("search: %w", err)
	}
	hits := make([]ranked, 0, len(res.Hits))
	for _, h := range res.Hits {
		m, ok := ix.meta[h.ID]
		if !ok {
			continue
		}
		hits = append(hits, ranked{id: h.ID, score: h.Score * rankFactor(m, q.Language), m: m})
	}
	ix.mu.RUnlock()
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].id < hits[j].id
	})
	out := Result{Total: int(res.Total), Hits: []Hit{}}
	if q.Offset >= len(hits) {
		return out, nil
	}
	mk := newMarker(terms)
	for _, r := range hits[q.Offset:min(len(hits), q.Offset+q.Limit)] {
		out.Hits = append(out.Hits, Hit{
			ID:       r.id,
			Language: r.m.language,
			Score:    r.score,
			Title:    mk.highlight(r.m.title),
			Snippet:  mk.snippet(r.m.body),
		})
	}
	return out, nil
}

// filter is the query's absolute part: the viewer may see the document
// and it is of the kind, service and category asked for. It does not
// score.
func (ix *Index) filter(q Query) query.Query {
	vis := make([]query.Query, 0, len(q.Viewer))
	for _, v := range q.Viewer {
		vis = append(vis, termQuery(fVisible, v, 1))
	}
	conj := []query.Query{bleve.NewDisjunctionQuery(vis...)}
	for f, v := range map[string]string{fKind: q.Kind, fService: q.Service, fCategory: q.Category} {
		if v != "" {
			conj = append(conj, termQuery(f, v, 1))
		}
	}
	if len(conj) == 1 {
		return conj[0]
	}
	return bleve.NewConjunctionQuery(conj...)
}

// rankFactor multiplies a document's text score by what ranks it beside
// its text: the reader's language, whether it is current, and what
// readers said of it. The helpfulness factor is smoothed (one helpful and
// one unhelpful mark assumed), so a few marks move it little and many
// move it between 0.75 and 1.25.
func rankFactor(m meta, lang string) float64 {
	f := 1.0
	if lang != "" && m.language == lang {
		f *= languageBoost
	}
	if m.retired {
		f *= retiredFactor
	}
	ratio := float64(m.helpful+1) / float64(m.helpful+m.unhelpful+2)
	f *= 0.75 + 0.5*ratio
	return f
}

const (
	languageBoost = 1.5
	retiredFactor = 0.3
)

// ranked is a candidate hit with its final score.
type ranked struct {
	id    string
	score float64
	m     meta
}

// lead returns the start of a text, cut at a word boundary after at most
// n bytes, with an ellipsis when cut.
func lead(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexFunc(s[:n], unicode.IsSpace)
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimSpace(s[:cut]) + "…"
}
