package searchtest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/spoc-itsm/spoc/internal/searchtest"
)

// Evaluate puts a collection into an engine, runs its queries and scores
// the first page of each; here a two-article collection built in code
// and the substring baseline.
func ExampleEvaluate() {
	body := strings.Repeat("Text om skrivare och lösenord. ", 12)
	c := &searchtest.Collection{
		Articles: []searchtest.Article{
			{ID: "sv-printer", Language: "sv", Kind: "faq", Service: "printing", Category: "printer", Audience: searchtest.Users,
				Title: "Skrivaren skriver inte ut", Keywords: []string{"utskrift"}, Body: body},
			{ID: "sv-password", Language: "sv", Kind: "guide", Service: "accounts", Category: "password", Audience: searchtest.Chain,
				Title: "Återställa lösenord åt en användare", Keywords: []string{"lösenord"}, Body: body},
		},
		Queries: []searchtest.Query{
			{Text: "skrivaren", Language: "sv", Viewer: searchtest.Users, Kind: searchtest.Inflection, Relevant: []string{"sv-printer"}},
			{Text: "losenord", Language: "sv", Viewer: searchtest.Chain, Kind: searchtest.Folding, Relevant: []string{"sv-password"}},
		},
	}
	r, err := searchtest.Evaluate(context.Background(), "substring", searchtest.NewSubstring(), c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("MRR@10 %.2f, recall@10 %.2f, folding MRR@10 %.2f, outside the audience %d\n",
		r.Overall.MRR, r.Overall.Recall, r.ByKind[searchtest.Folding].MRR, r.Outside)
	// Output: MRR@10 0.50, recall@10 0.50, folding MRR@10 0.00, outside the audience 0
}
