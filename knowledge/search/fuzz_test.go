package search

import (
	"context"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	fuzzOnce sync.Once
	fuzzIx   *Index
	fuzzErr  error
)

// fuzzIndex is shared by every input: building an index per input would
// make the fuzzer measure bleve's setup instead of our analysis.
func fuzzIndex() (*Index, error) {
	fuzzOnce.Do(func() {
		fuzzIx, fuzzErr = New()
		if fuzzErr != nil {
			return
		}
		docs := collection()
		for i := range docs {
			docs[i].Visible = []string{"public"}
		}
		hidden := Document{ID: "hidden", Language: "sv", Title: "Hemligt lösenord skrivare nätverk",
			Body: "hemligt lösenord till servern skrivare vpn konto e-post", Keywords: []string{"lösenord", "vpn"}, Visible: []string{"chain:secret"}}
		fuzzErr = fuzzIx.Put(append(docs, hidden)...)
	})
	return fuzzIx, fuzzErr
}

// FuzzSearch runs any text through the analyser and the query path: no
// panic, every term the analyser gives is non-empty, and a viewer without
// the hidden document's token never finds it, whatever the text.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"lösenordsbyte", "natverksskrivre", "datorn är seg", "lösen", "Tromsø ", "aerlig", "PC:n", "e-post", "ä\u0308", "", "kommer inte in", "a:b:c", "1234", "ﬁle"} {
		f.Add(s, "sv")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		for _, tok := range (nordicAnalyzer{}).Analyze([]byte(text)) {
			if len(tok.Term) == 0 || tok.Start < 0 || tok.End > len(text) || tok.Start > tok.End {
				t.Fatalf("%q: bad token %v", text, tok)
			}
		}
		ix, err := fuzzIndex()
		if err != nil {
			t.Fatal(err)
		}
		if lang != "" && !strings.Contains("sv nb nn en", lang) {
			lang = ""
		}
		res, err := ix.Search(context.Background(), Query{Text: text, Language: lang, Viewer: []string{"public"}, Limit: MaxLimit})
		if err != nil {
			if utf8.ValidString(text) && utf8.RuneCountInString(text) <= MaxQueryText && (lang == "" || len(lang) == 2) {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		for _, h := range res.Hits {
			if h.ID == "hidden" || strings.Contains(h.Snippet, "hemligt") {
				t.Fatalf("%q: the hidden document leaked: %+v", text, h)
			}
		}
	})
}
