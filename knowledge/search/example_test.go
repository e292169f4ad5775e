package search_test

import (
	"context"
	"fmt"

	"github.com/spoc-itsm/spoc/knowledge/search"
)

// A user types an inflected word without diacritics; the article that
// writes the compound is found, with the match marked.
func Example() {
	ix, err := search.New()
	if err != nil {
		panic(err)
	}
	defer ix.Close()
	err = ix.Put(
		search.Document{ID: "kb1", Language: "sv", Title: "Lösenordsbyte", Body: "Så byter du ditt lösenord.", Visible: []string{"public"}},
		search.Document{ID: "kb2", Language: "sv", Title: "Serverns lösenord", Body: "Endast för drift.", Visible: []string{"chain:desk"}},
	)
	if err != nil {
		panic(err)
	}
	res, err := ix.Search(context.Background(), search.Query{Text: "losenordet ", Language: "sv", Viewer: []string{"public"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Total)
	for _, h := range res.Hits {
		fmt.Println(h.ID, h.Title, "|", h.Snippet)
	}
	// Output:
	// 1
	// kb1 <mark>Lösenordsbyte</mark> | Så byter du ditt <mark>lösenord</mark>.
}
