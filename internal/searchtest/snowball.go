package searchtest

import (
	"context"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/no"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/spoc-itsm/spoc/knowledge/search"
)

// snowballAnalyzers maps a document language to bleve's stock analyser
// for it: Unicode tokens, lower case, the language's stop words and its
// Snowball stemmer. Nynorsk has none of its own, so it gets Norwegian's.
var snowballAnalyzers = map[string]string{
	"sv": sv.AnalyzerName,
	"nb": no.AnalyzerName,
	"nn": no.AnalyzerName,
	"en": en.AnalyzerName,
}

// Field weights shared by both baselines and chosen as the real engine's
// contract asks (title and keywords above body), so that the comparison
// is one of analysis, not of weighting.
const (
	titleBoost    = 2
	keywordsBoost = 2
	bodyBoost     = 1
)

// Snowball is the "plain Snowball" baseline: an in-memory bleve index in
// which each document's title, keywords and body are analysed by bleve's
// stock analyser of the document's language, searched with a match query
// (any word, analysed by each field's own analyser) over those fields of
// every language, and filtered by the viewer's tokens. It has no folding,
// no compound splitting, no fuzziness, no prefixes and no language
// preference: what a search engine gives out of the box.
type Snowball struct {
	index bleve.Index
}

// NewSnowball returns an empty Snowball baseline.
func NewSnowball() (*Snowball, error) {
	dm := bleve.NewDocumentStaticMapping()
	for _, analyzer := range snowballAnalyzers {
		for _, f := range []string{"title", "keywords", "body"} {
			fm := bleve.NewTextFieldMapping()
			fm.Analyzer = analyzer
			fm.Store = false
			fm.IncludeInAll = false
			fm.IncludeTermVectors = false
			dm.AddFieldMappingsAt(f+"_"+analyzer, fm)
		}
	}
	vis := bleve.NewKeywordFieldMapping()
	vis.Analyzer = keyword.Name
	vis.Store = false
	vis.IncludeInAll = false
	dm.AddFieldMappingsAt("visible", vis)
	im := bleve.NewIndexMapping()
	im.DefaultMapping = dm
	ix, err := bleve.NewMemOnly(im)
	if err != nil {
		return nil, err
	}
	return &Snowball{index: ix}, nil
}

// Put adds or replaces documents.
func (s *Snowball) Put(docs ...search.Document) error {
	b := s.index.NewBatch()
	for _, d := range docs {
		suffix, ok := snowballAnalyzers[d.Language]
		if !ok {
			return fmt.Errorf("snowball: document %s: no analyser for language %q", d.ID, d.Language)
		}
		err := b.Index(d.ID, map[string]any{
			"title_" + suffix:    d.Title,
			"keywords_" + suffix: strings.Join(d.Keywords, " ; "),
			"body_" + suffix:     d.Body,
			"visible":            d.Visible,
		})
		if err != nil {
			return err
		}
	}
	return s.index.Batch(b)
}

// Search runs q's text as a match query and returns one page of hits.
func (s *Snowball) Search(ctx context.Context, q search.Query) (search.Result, error) {
	var text []query.Query
	for _, analyzer := range []string{sv.AnalyzerName, no.AnalyzerName, en.AnalyzerName} {
		for _, f := range []struct {
			name  string
			boost float64
		}{{"title", titleBoost}, {"keywords", keywordsBoost}, {"body", bodyBoost}} {
			m := bleve.NewMatchQuery(q.Text)
			m.SetField(f.name + "_" + analyzer)
			m.SetBoost(f.boost)
			text = append(text, m)
		}
	}
	var viewer []query.Query
	for _, t := range q.Viewer {
		tq := bleve.NewTermQuery(t)
		tq.SetField("visible")
		viewer = append(viewer, tq)
	}
	if len(viewer) == 0 {
		return search.Result{}, nil
	}
	req := bleve.NewSearchRequestOptions(
		bleve.NewConjunctionQuery(bleve.NewDisjunctionQuery(text...), bleve.NewDisjunctionQuery(viewer...)),
		pageSize(q), q.Offset, false)
	res, err := s.index.SearchInContext(ctx, req)
	if err != nil {
		return search.Result{}, err
	}
	out := search.Result{Total: int(res.Total)}
	for _, h := range res.Hits {
		out.Hits = append(out.Hits, search.Hit{ID: h.ID, Score: h.Score})
	}
	return out, nil
}

// Close releases the index.
func (s *Snowball) Close() error { return s.index.Close() }

func pageSize(q search.Query) int {
	if q.Limit == 0 {
		return search.DefaultLimit
	}
	return q.Limit
}
