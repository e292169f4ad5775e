package demo_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
)

// TestSeedKnowledge checks the demo's knowledge base as the desk and the
// customer's user find it over HTTP: some twenty articles, Swedish and
// Norwegian, found the way people type (losenord finds the password guide,
// passord its Norwegian translation, skrivre the printer articles); the
// chain's guide found by the desk and never by the user; the retired
// article shown so; the known error of the demo's problem an article; and
// the guide of fourteen months ago past its review date.
func TestSeedKnowledge(t *testing.T) {
	ctx := context.Background()
	srv, cast := startWithPast(t)
	as := func(env string) *client.ClientWithResponses {
		c, err := client.New(srv.URL, cast.Token(env).Secret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	desk, user := as(demo.EnvDesk), as(demo.EnvCustomer)
	search := func(cl *client.ClientWithResponses, q string, lang knowledge.Language) knowledge.Result {
		t.Helper()
		r, err := client.Check(cl.SearchKnowledgeWithResponse(ctx, &api.SearchKnowledgeParams{Q: q, Language: lang, Limit: 20}))
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		return *r.JSON200
	}
	titled := func(r knowledge.Result, title string) int {
		return slices.IndexFunc(r.Hits, func(h knowledge.Hit) bool {
			return strings.ReplaceAll(strings.ReplaceAll(h.Title, "<mark>", ""), "</mark>", "") == title
		})
	}

	var all []api.Article
	for cursor := ""; ; {
		l, err := client.Check(desk.ListArticlesWithResponse(ctx, &api.ListArticlesParams{Cursor: cursor}))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, l.JSON200.Items...)
		if cursor = l.JSON200.Next; cursor == "" {
			break
		}
	}
	langs := map[knowledge.Language]int{}
	var knownError, retired, pastReview bool
	for _, a := range all {
		langs[a.Language]++
		knownError = knownError || a.Kind == knowledge.KindKnownError && !a.KnownError.IsZero() && a.State == knowledge.StatePublished
		retired = retired || a.Draft.Title == demo.RetiredTitle && a.State == knowledge.StateRetired
		pastReview = pastReview || a.Draft.Title == demo.PastReviewTitle && a.PastReview
	}
	if len(all) < 18 || len(all) > 26 || langs[knowledge.Swedish] < 12 || langs[knowledge.Bokmal] < 4 || !knownError || !retired || !pastReview {
		t.Errorf("the desk's %d articles: %v; a known error's %t, retired %t, past review %t", len(all), langs, knownError, retired, pastReview)
	}

	for _, c := range []struct {
		q     string
		lang  knowledge.Language
		title string
	}{
		{"losenord", knowledge.Swedish, demo.PasswordTitle},
		{"lösenordet", knowledge.Swedish, demo.PasswordTitle},
		{"passord", knowledge.Bokmal, demo.PasswordTitleNB},
		{"skrivre", knowledge.Swedish, "Skrivaren skriver inte ut"},
		{"vpn hemifran", knowledge.Swedish, "Anslut till VPN hemifrån"},
		{"skoleplattform", knowledge.Bokmal, "Elever får ikke logget inn på skoleplattformen"},
	} {
		if r := search(user, c.q, c.lang); titled(r, c.title) < 0 {
			t.Errorf("the user searching %q does not find %q: %+v", c.q, c.title, r.Hits)
		}
	}
	if i := titled(search(user, "losenord", knowledge.Swedish), demo.PasswordTitle); i > 1 {
		t.Errorf("losenord ranks %q %d", demo.PasswordTitle, i+1)
	}
	if r := search(desk, "brandvagg certifikat", ""); titled(r, demo.ChainTitle) < 0 {
		t.Errorf("the desk does not find the chain's guide: %+v", r.Hits)
	}
	for _, q := range []string{"brandvagg certifikat", "brandväggens konsol", "Device Certificates"} {
		if r := search(user, q, ""); titled(r, demo.ChainTitle) >= 0 || strings.Contains(strings.Join(hitTexts(r), " "), "konsol") {
			t.Errorf("the user searching %q finds the chain's guide: %+v", q, r.Hits)
		}
	}
	r := search(user, "outlook web access", "")
	if i := titled(r, demo.RetiredTitle); i < 0 || !r.Hits[i].Retired {
		t.Errorf("the retired article: %+v", r.Hits)
	}
	if r := search(user, "citrix utskrift", ""); !slices.ContainsFunc(r.Hits, func(h knowledge.Hit) bool { return h.Kind == knowledge.KindKnownError }) {
		t.Errorf("the known error's article is not found: %+v", r.Hits)
	}
}

// hitTexts returns the titles and snippets of a result.
func hitTexts(r knowledge.Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Title, h.Snippet)
	}
	return out
}

// TestServerDocKnowledgeWalkthrough runs the shell block of
// docs/server.md's "Try it: knowledge", as written, with bash and curl
// against an in-process server seeded with the demo and its history: the
// password guide ends at version 2 with the new title, marked helpful
// once, and the search that found nothing is on the gap list.
func TestServerDocKnowledgeWalkthrough(t *testing.T) {
	blocks := shellBlocks(t, "Try it: knowledge", 1, "bash", "curl", "sed", "tr")
	ctx := context.Background()
	srv, cast := startWithPast(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(blocks[0][1])+"echo \"KB=$KB TAG=$TAG\"\n")
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"CUSTOMER_TOKEN="+cast.Token(demo.EnvCustomer).Secret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`KB=([0-9a-f-]{36}) TAG=("\d+")`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the walkthrough found no article or ETag:\n%s", out)
	}
	desk, err := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	if err != nil {
		t.Fatal(err)
	}
	a, err := client.Check(desk.GetArticleWithResponse(ctx, string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	if ar := a.JSON200; ar.Current != 2 || ar.Draft.Title != "Byt lösenord till kommunkontot" || ar.Stats.Helpful != 1 ||
		ar.Published.Note == "" || a.Headers200.ETag == string(m[2]) {
		t.Errorf("after the walkthrough the article is %+v\n%s", ar, out)
	}
	if !strings.Contains(string(out), demo.PastReviewTitle) || strings.Contains(string(out), demo.ChainTitle) {
		t.Errorf("the walkthrough's lists: the past review guide shown %t, the chain's guide shown %t:\n%s",
			strings.Contains(string(out), demo.PastReviewTitle), strings.Contains(string(out), demo.ChainTitle), out)
	}
	gaps, err := client.Check(desk.ReportKnowledgeGapsWithResponse(ctx, nil))
	if err != nil || !slices.ContainsFunc(gaps.JSON200.Items, func(g knowledge.Gap) bool { return g.Query == "kvantdator" }) {
		t.Errorf("the gap list: %v %v", gaps, err)
	}
}
