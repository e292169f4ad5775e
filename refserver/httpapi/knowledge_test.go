package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// library is the server as it runs (httpapi.Build) with the rights of the
// knowledge base: the desk and supplier A read, write and report; supplier
// B reads only; the city reads, writes and reports, with an agent (cia)
// who writes for its users and a user (carl) who reads; supplier C has no
// rights in knowledge at all.
type library struct {
	*clinic
	cia *client.ClientWithResponses
}

func newLibrary(t *testing.T, store itsm.Store) *library {
	t.Helper()
	l := &library{clinic: newClinic(t, store)}
	rwr := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	for id, acc := range map[itsm.ID][]api.Access{l.desk: rwr, l.supA: rwr, l.supB: {api.AccessRead}, l.city: rwr} {
		if r, err := l.admin.GrantPermissionsWithResponse(l.ctx, id, api.Rights{Domain: itsm.DomainKnowledge, Access: acc}); err != nil || r.JSON200 == nil {
			t.Fatalf("grant knowledge rights: %v %s", err, body(r))
		}
	}
	l.cia = l.token(itsm.Actor{Organisation: l.city, Person: "cia", Roles: []itsm.Role{itsm.RoleAgent}})
	return l
}

// article writes an article as cl and returns it with its ETag.
func (l *library) article(cl *client.ClientWithResponses, d api.ArticleDraft) (*knowledge.Article, string) {
	l.t.Helper()
	r, err := cl.CreateArticleWithResponse(l.ctx, d)
	want(l.t, "create "+d.Title, r, err, http.StatusCreated)
	if r.Headers201.Location != "/v1/articles/"+r.JSON201.ID.String() {
		l.t.Errorf("create: Location %q", r.Headers201.Location)
	}
	return r.JSON201, r.Headers201.ETag
}

// publish submits an article as submitter and publishes it as publisher.
func (l *library) publish(submitter, publisher *client.ClientWithResponses, id itsm.ID, note string) *knowledge.Article {
	l.t.Helper()
	s, err := submitter.SubmitArticleWithResponse(l.ctx, id, nil)
	want(l.t, "submit", s, err, http.StatusOK)
	p, err := publisher.PublishArticleWithResponse(l.ctx, id, nil, api.ArticlePublishing{Note: note})
	return want(l.t, "publish", p, err, http.StatusOK).JSON200
}

// search searches as cl.
func (l *library) search(cl *client.ClientWithResponses, p api.SearchKnowledgeParams) knowledge.Result {
	l.t.Helper()
	r, err := cl.SearchKnowledgeWithResponse(l.ctx, &p, dropZeros)
	return *want(l.t, "search "+p.Q, r, err, http.StatusOK).JSON200
}

// found reports whether the result holds the article.
func found(r knowledge.Result, id itsm.ID) bool {
	return slices.ContainsFunc(r.Hits, func(h knowledge.Hit) bool { return h.ID == id })
}

const passwordGuide = `Så byter du lösenordet till ditt konto i kommunen.

## Byt lösenord

1. Tryck Ctrl+Alt+Delete och välj **Byt lösenord**.
2. Skriv det gamla lösenordet och sedan det nya två gånger.
`

// TestArticleLifecycleOverHTTP takes an article through its life over
// HTTP with the generated client on every backend: written by the desk,
// refused to readers as a draft, edited under If-Match (a stale tag 412),
// submitted, sent back with a reason, published, read by a customer's
// user with its HTML, found by an inflected form without diacritics,
// translated into Norwegian, edited into a second version readers do not
// see until it is published with a note, its versions read, marked
// helpful and unhelpful (which leave its ETag alone), used for an
// incident once, its review confirmed, handed over, reported, retired yet
// readable, and its history read by its editors only. Every knowledge
// operation of the contract answers at least once, each answer checked
// against the contract.
func TestArticleLifecycleOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_knowledge") {
		t.Run(name, func(t *testing.T) { articleLifecycle(t, newLibrary(t, open(t))) })
	}
}

func articleLifecycle(t *testing.T, l *library) {
	ctx := l.ctx
	draft, tag := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Title: "Byt lösenord", Body: passwordGuide, Service: "Konton", Keywords: []string{"lösenord", "konto"},
		Audience: knowledge.AudiencePublic})
	if draft.State != knowledge.StateDraft || draft.Owner != l.desk || draft.Desk != l.desk || draft.OwnerPerson != "dana" ||
		!strings.HasPrefix(draft.Number.String(), knowledge.PrefixArticle) || draft.Family != draft.ID {
		t.Fatalf("created %+v", draft)
	}
	id := draft.ID
	byNumber, err := l.agent.GetArticleWithResponse(ctx, draft.Number.String())
	if want(t, "get by number", byNumber, err, http.StatusOK); byNumber.JSON200.ID != id || byNumber.Headers200.ETag != tag {
		t.Errorf("by number: %s %s, want %s %s", byNumber.JSON200.ID, byNumber.Headers200.ETag, id, tag)
	}
	// A draft is its editors' alone.
	hidden, err := l.carl.GetArticleWithResponse(ctx, id.String())
	want(t, "the user reads a draft", hidden, err, http.StatusNotFound)

	// Edited under the tag read; the same tag again is stale.
	content := api.ArticleContent{Title: "Byt lösenord", Body: passwordGuide + "\nDet nya lösenordet gäller genast.\n",
		Service: "Konton", Keywords: []string{"lösenord", "konto"}, Audience: knowledge.AudiencePublic}
	ed, err := l.agent.EditArticleWithResponse(ctx, id, &api.EditArticleParams{IfMatch: tag}, content)
	edited := want(t, "edit", ed, err, http.StatusOK)
	if edited.Headers200.ETag == tag {
		t.Errorf("the ETag %s did not change with the edit", tag)
	}
	stale, err := l.agent.SubmitArticleWithResponse(ctx, id, &api.SubmitArticleParams{IfMatch: tag})
	if want(t, "submit with a stale tag", stale, err, http.StatusPreconditionFailed); stale.ApplicationProblemJSON412.Code != api.ErrorCodeConflict {
		t.Errorf("a stale tag: %s", body(stale))
	}
	sub, err := l.agent.SubmitArticleWithResponse(ctx, id, &api.SubmitArticleParams{IfMatch: edited.Headers200.ETag})
	if want(t, "submit", sub, err, http.StatusOK).JSON200.State != knowledge.StateReview {
		t.Errorf("submitted: %s", sub.JSON200.State)
	}
	back, err := l.agent.SendBackArticleWithResponse(ctx, id, nil, api.Reason{Reason: "Nämn att lösenordet gäller genast."})
	if b := want(t, "send back", back, err, http.StatusOK).JSON200; b.State != knowledge.StateDraft || b.SentBack == "" {
		t.Errorf("sent back: %s %q", b.State, b.SentBack)
	}
	v1 := l.publish(l.agent, l.agent, id, "")
	if v1.State != knowledge.StatePublished || v1.Current != 1 || v1.Published == nil || v1.Published.ApprovedBy.Person != "dana" ||
		v1.ReviewBy.Before(time.Now().Add(360*24*time.Hour)) {
		t.Fatalf("published: %+v", v1)
	}

	// The customer's user reads the current version with its HTML, without
	// who keeps it, and finds it typing without diacritics.
	read, err := l.carl.GetArticleWithResponse(ctx, id.String())
	r := want(t, "the user reads it", read, err, http.StatusOK).JSON200
	if r.OwnerPerson != "" || r.Published == nil || !strings.Contains(r.Published.HTML, `id="byt-lösenord"`) || strings.Contains(r.Published.HTML, "**") {
		t.Errorf("the user's view: owner person %q, HTML %q", r.OwnerPerson, r.Published.HTML)
	}
	res := l.search(l.carl, api.SearchKnowledgeParams{Q: "losenordet", Language: knowledge.Swedish})
	if !found(res, id) || !strings.Contains(res.Hits[0].Title+res.Hits[0].Snippet, "<mark>") {
		t.Errorf("losenordet: %+v", res)
	}

	// Translated into Norwegian, kept with it.
	tr, err := l.agent.TranslateArticleWithResponse(ctx, id, api.ArticleTranslation{Language: knowledge.Bokmal, Title: "Bytt passord",
		Body: "Trykk Ctrl+Alt+Delete og velg **Bytt passord**.", Audience: knowledge.AudiencePublic})
	nb := want(t, "translate", tr, err, http.StatusCreated).JSON201
	if nb.Family != id || nb.Language != knowledge.Bokmal || tr.Headers201.Location != "/v1/articles/"+nb.ID.String() {
		t.Errorf("the translation: %+v %+v", nb, tr.Headers201)
	}
	l.publish(l.agent, l.agent, nb.ID, "")
	fam, err := l.carl.ListArticleTranslationsWithResponse(ctx, nb.ID)
	if items := want(t, "translations", fam, err, http.StatusOK).JSON200.Items; len(items) != 2 || items[0].ID != id || items[1].ID != nb.ID {
		t.Errorf("the family: %s", body(fam))
	}

	// A second version: readers see the first until it is published, which
	// needs a note.
	content.Title = "Byt lösenord i kommunens konto"
	ed2, err := l.agent.EditArticleWithResponse(ctx, id, nil, content)
	want(t, "edit the published article", ed2, err, http.StatusOK)
	if still := want(t, "the user reads it", mustResp(l.carl.GetArticleWithResponse(ctx, id.String())), nil, http.StatusOK).JSON200; still.Draft.Title != "Byt lösenord" || still.State != knowledge.StatePublished {
		t.Errorf("a reader sees the new draft: %q %s", still.Draft.Title, still.State)
	}
	sub2, err := l.agent.SubmitArticleWithResponse(ctx, id, nil)
	want(t, "submit v2", sub2, err, http.StatusOK)
	noNote, err := l.agent.PublishArticleWithResponse(ctx, id, nil, api.ArticlePublishing{})
	want(t, "publish v2 without a note", noNote, err, http.StatusBadRequest)
	pub2, err := l.agent.PublishArticleWithResponse(ctx, id, nil, api.ArticlePublishing{Note: "Tydligare rubrik."})
	if v2 := want(t, "publish v2", pub2, err, http.StatusOK).JSON200; v2.Current != 2 {
		t.Errorf("v2: current %d", v2.Current)
	}
	vs, err := l.carl.ListArticleVersionsWithResponse(ctx, id)
	if items := want(t, "versions", vs, err, http.StatusOK).JSON200.Items; len(items) != 2 || items[0].Title != "Byt lösenord" ||
		items[1].Note != "Tydligare rubrik." || items[1].HTML == "" {
		t.Errorf("the versions: %s", body(vs))
	}
	one, err := l.carl.GetArticleVersionWithResponse(ctx, id, 1)
	if v := want(t, "version 1", one, err, http.StatusOK).JSON200; v.Number != 1 || v.Title != "Byt lösenord" {
		t.Errorf("version 1: %+v", v)
	}
	none, err := l.carl.GetArticleVersionWithResponse(ctx, id, 3)
	want(t, "version 3", none, err, http.StatusNotFound)

	// Marks are the reader's, one each, and leave the editors' tag alone.
	tagNow := pub2.Headers200.ETag
	for i, m := range []struct {
		helpful            bool
		helpfuls, unhelpfs int
	}{{true, 1, 0}, {true, 1, 0}, {false, 0, 1}} {
		mr, err := l.carl.MarkArticleWithResponse(ctx, id, api.ArticleMark{Helpful: m.helpful})
		if st := want(t, "mark", mr, err, http.StatusOK).JSON200; st.Helpful != m.helpfuls || st.Unhelpful != m.unhelpfs {
			t.Errorf("mark %d: %+v", i, st)
		}
	}
	mb, err := l.bob.MarkArticleWithResponse(ctx, id, api.ArticleMark{Helpful: true})
	want(t, "supplier B marks", mb, err, http.StatusOK)
	if g := mustResp(l.agent.GetArticleWithResponse(ctx, id.String())); g.Headers200.ETag != tagNow || g.JSON200.Stats.Helpful != 1 {
		t.Errorf("after the marks: ETag %s (want %s), stats %+v", g.Headers200.ETag, tagNow, g.JSON200.Stats)
	}

	// Used once for an incident.
	inc := l.incident("Kan inte byta lösenord")
	use, err := l.agent.RecordArticleUseWithResponse(ctx, id, api.ArticleUse{Incident: inc.ID})
	if st := want(t, "use", use, err, http.StatusOK).JSON200; st.Uses != 1 || st.LastUsed.IsZero() {
		t.Errorf("used: %+v", st)
	}
	again, err := l.agent.RecordArticleUseWithResponse(ctx, id, api.ArticleUse{Incident: inc.ID})
	want(t, "the use again", again, err, http.StatusConflict)

	// Kept current: its review confirmed, handed over.
	next := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	cr, err := l.agent.ConfirmArticleReviewWithResponse(ctx, id, &api.ConfirmArticleReviewParams{IfMatch: tagNow}, api.ReviewConfirmation{ReviewBy: next})
	if c := want(t, "confirm the review", cr, err, http.StatusOK).JSON200; !c.ReviewBy.Equal(next) || c.PastReview {
		t.Errorf("confirmed: review by %s, want %s", c.ReviewBy, next)
	}
	ho, err := l.agent.HandOverArticleWithResponse(ctx, id, nil, api.ArticleHandover{Person: "hugo"})
	if h := want(t, "hand over", ho, err, http.StatusOK).JSON200; h.OwnerPerson != "hugo" {
		t.Errorf("handed over to %q", h.OwnerPerson)
	}

	// The reports.
	mu, err := l.agent.ReportMostUsedArticlesWithResponse(ctx, nil)
	if items := want(t, "most used", mu, err, http.StatusOK).JSON200.Items; len(items) == 0 || items[0].Article != id || items[0].Uses != 1 {
		t.Errorf("most used: %s", body(mu))
	}
	lh, err := l.agent.ReportLeastHelpfulArticlesWithResponse(ctx, &api.ReportLeastHelpfulArticlesParams{Limit: 5})
	if items := want(t, "least helpful", lh, err, http.StatusOK).JSON200.Items; len(items) != 1 || items[0].Unhelpful != 1 {
		t.Errorf("least helpful: %s", body(lh))
	}
	pr, err := l.agent.ReportArticlesPastReviewWithResponse(ctx, nil)
	if items := want(t, "past review", pr, err, http.StatusOK).JSON200.Items; len(items) != 0 {
		t.Errorf("past review: %s", body(pr))
	}
	pl, err := l.agent.ListArticlesWithResponse(ctx, &api.ListArticlesParams{PastReview: true}, dropZeros)
	if items := want(t, "list past review", pl, err, http.StatusOK).JSON200.Items; len(items) != 0 {
		t.Errorf("listed past review: %s", body(pl))
	}
	// The gap list counts what found nothing, whoever searched.
	if res := l.search(l.carl, api.SearchKnowledgeParams{Q: "Qwertzuiop flygande", Language: knowledge.Swedish}); res.Total != 0 {
		t.Errorf("nonsense found %+v", res)
	}
	gaps, err := l.agent.ReportKnowledgeGapsWithResponse(ctx, nil)
	if items := want(t, "gaps", gaps, err, http.StatusOK).JSON200.Items; !slices.ContainsFunc(items, func(g knowledge.Gap) bool {
		return g.Query == "qwertzuiop flygande" && g.Language == knowledge.Swedish && g.Count == 1
	}) {
		t.Errorf("the gap list: %s", body(gaps))
	}

	// Retired, it stays readable and findable, shown as retired.
	ret, err := l.agent.RetireArticleWithResponse(ctx, nb.ID, nil, api.Reason{Reason: "Ersatt av den svenska."})
	want(t, "retire", ret, err, http.StatusOK)
	if g := want(t, "read retired", mustResp(l.carl.GetArticleWithResponse(ctx, nb.ID.String())), nil, http.StatusOK).JSON200; g.State != knowledge.StateRetired {
		t.Errorf("the retired article reads %s", g.State)
	}
	if res := l.search(l.carl, api.SearchKnowledgeParams{Q: "passord", Language: knowledge.Bokmal}); !found(res, nb.ID) ||
		!res.Hits[slices.IndexFunc(res.Hits, func(h knowledge.Hit) bool { return h.ID == nb.ID })].Retired {
		t.Errorf("passord after retiring: %+v", res)
	}

	// The list, as each sees it.
	all, err := l.agent.ListArticlesWithResponse(ctx, &api.ListArticlesParams{Language: knowledge.Swedish}, dropZeros)
	if items := want(t, "list", all, err, http.StatusOK).JSON200.Items; len(items) != 1 || items[0].ID != id {
		t.Errorf("the desk's Swedish articles: %s", body(all))
	}
	pubs, err := l.carl.ListArticlesWithResponse(ctx, &api.ListArticlesParams{State: knowledge.StatePublished}, dropZeros)
	if items := want(t, "the user's list", pubs, err, http.StatusOK).JSON200.Items; len(items) != 1 || items[0].ID != id {
		t.Errorf("the user's published articles: %s", body(pubs))
	}

	// Its history, to its editors only.
	evs, err := l.agent.ListArticleEventsWithResponse(ctx, id)
	var types []string
	for _, e := range want(t, "events", evs, err, http.StatusOK).JSON200.Items {
		types = append(types, e.Type)
	}
	if len(types) != 11 || types[0] != "knowledge.created" || types[10] != "knowledge.handed_over" {
		t.Errorf("the history: %v", types)
	}
	rev, err := l.carl.ListArticleEventsWithResponse(ctx, id)
	want(t, "a reader's history", rev, err, http.StatusForbidden)

	// Every knowledge operation answered, and its answers matched the
	// contract (the client's transport checked each).
	seen := l.check.Operations()
	for _, o := range contractOps(t) {
		if (strings.Contains(o, " /v1/articles") || strings.Contains(o, " /v1/knowledge/")) && seen[o] == 0 {
			t.Errorf("%s was not called", o)
		}
	}
}

// contractOps returns "METHOD /path" of every operation of the contract.
func contractOps(t *testing.T) []string {
	t.Helper()
	var out []string
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	for p, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			out = append(out, m+" "+p)
		}
	}
	return out
}

// TestKnowledgeAudienceOverHTTP: an article for the support chain only is
// read, listed and found by the desk and the suppliers, and by no
// customer - not by ID, number, list, versions, translations, a mark nor a
// search, not even as a snippet of a word it shares with a public article
// - while an article for the users is; searches page with their totals.
func TestKnowledgeAudienceOverHTTP(t *testing.T) {
	l := newLibrary(t, memstoreFor(t))
	ctx := l.ctx
	chain, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Title: "Nätverksskrivare: återställ skrivarkön på servern", Body: "Logga in på utskriftsservern PRN01 med adminkontot och starta om spoolern.",
		Audience: knowledge.AudienceChain})
	l.publish(l.agent, l.agent, chain.ID, "")
	users, _ := l.article(l.cia, api.ArticleDraft{Desk: l.desk, Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
		Title: "Skrivaren skriver inte ut", Body: "Kontrollera att skrivaren är på och att papper finns i facket.",
		Audience: knowledge.AudienceUsers})
	if users.Draft.Audience != knowledge.AudienceUsers || !slices.Equal(users.Draft.Customers, []itsm.ID{l.city}) {
		t.Errorf("the city's article names %v", users.Draft.Customers)
	}
	// The customer writes, the desk publishes (SD-4).
	sub, err := l.cia.SubmitArticleWithResponse(ctx, users.ID, nil)
	want(t, "the city submits", sub, err, http.StatusOK)
	refused, err := l.cia.PublishArticleWithResponse(ctx, users.ID, nil, api.ArticlePublishing{})
	want(t, "the city publishes", refused, err, http.StatusForbidden)
	pub, err := l.agent.PublishArticleWithResponse(ctx, users.ID, nil, api.ArticlePublishing{})
	want(t, "the desk publishes the city's", pub, err, http.StatusOK)

	for who, cl := range map[string]*client.ClientWithResponses{"the desk": l.agent, "supplier A": l.alice, "supplier B": l.bob} {
		if g := mustResp(cl.GetArticleWithResponse(ctx, chain.ID.String())); status(g) != http.StatusOK {
			t.Errorf("%s reads the chain's article: %s", who, body(g))
		}
		if res := l.search(cl, api.SearchKnowledgeParams{Q: "skrivarkö"}); !found(res, chain.ID) {
			t.Errorf("%s does not find the chain's article: %+v", who, res)
		}
	}
	for who, cl := range map[string]*client.ClientWithResponses{"the city's user": l.carl, "the city's agent": l.cia} {
		for what, r := range map[string]any{
			"get":           mustResp(cl.GetArticleWithResponse(ctx, chain.ID.String())),
			"get by number": mustResp(cl.GetArticleWithResponse(ctx, chain.Number.String())),
			"versions":      mustResp(cl.ListArticleVersionsWithResponse(ctx, chain.ID)),
			"version 1":     mustResp(cl.GetArticleVersionWithResponse(ctx, chain.ID, 1)),
			"translations":  mustResp(cl.ListArticleTranslationsWithResponse(ctx, chain.ID)),
			"mark":          mustResp(cl.MarkArticleWithResponse(ctx, chain.ID, api.ArticleMark{Helpful: true})),
			"events":        mustResp(cl.ListArticleEventsWithResponse(ctx, chain.ID)),
		} {
			if status(r) != http.StatusNotFound {
				t.Errorf("%s: %s of the chain's article: %s, want 404", who, what, body(r))
			}
		}
		list := want(t, "list", mustResp(cl.ListArticlesWithResponse(ctx, nil)), nil, http.StatusOK)
		if len(list.JSON200.Items) != 1 || list.JSON200.Items[0].ID != users.ID {
			t.Errorf("%s lists %s", who, body(list))
		}
		// "skrivare" is in both; only the users' article is found, and no
		// snippet shows the chain's words.
		for _, q := range []string{"skrivare", "skrivarkö", "spoolern", "PRN01", "nätverksskrivare"} {
			res := l.search(cl, api.SearchKnowledgeParams{Q: q})
			if found(res, chain.ID) || res.Total > 1 {
				t.Errorf("%s searching %q finds %+v", who, q, res)
			}
			for _, h := range res.Hits {
				if strings.Contains(h.Snippet+h.Title, "PRN01") || strings.Contains(h.Snippet+h.Title, "spooler") {
					t.Errorf("%s searching %q sees the chain's words in %+v", who, q, h)
				}
			}
		}
	}
	if res := l.search(l.carl, api.SearchKnowledgeParams{Q: "skrivaren"}); !found(res, users.ID) {
		t.Errorf("the city's user does not find its article: %+v", res)
	}

	// Paging: twelve printer guides, five a page.
	for i := range 12 {
		a, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
			Title: fmt.Sprintf("Skrivare på våning %d", i+1), Body: fmt.Sprintf("Skrivaren på våning %d heter PR-%d.", i+1, i+1),
			Audience: knowledge.AudiencePublic})
		l.publish(l.agent, l.agent, a.ID, "")
	}
	seen := map[itsm.ID]bool{}
	for page, n := range []int{5, 5, 3} {
		res := l.search(l.carl, api.SearchKnowledgeParams{Q: "skrivare", Offset: page * 5, Limit: 5})
		if res.Total != 13 || len(res.Hits) != n {
			t.Fatalf("page %d: total %d, %d hits, want 13 and %d", page, res.Total, len(res.Hits), n)
		}
		for _, h := range res.Hits {
			if seen[h.ID] || h.ID == chain.ID {
				t.Errorf("page %d: %s again or the chain's", page, h.Number)
			}
			seen[h.ID] = true
			if !strings.Contains(h.Title+h.Snippet, "<mark>") {
				t.Errorf("page %d: %s has no highlight: %q %q", page, h.Number, h.Title, h.Snippet)
			}
		}
	}
}

// TestKnowledgeRefusals checks that each rule of the knowledge base maps to
// its status and code over HTTP, and that no refusal changed the article.
func TestKnowledgeRefusals(t *testing.T) {
	l := newLibrary(t, memstoreFor(t))
	ctx := l.ctx
	desk, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindGuide, Language: knowledge.Swedish, Title: "VPN",
		Body: "Starta VPN-klienten.", Audience: knowledge.AudiencePublic})
	pub := l.publish(l.agent, l.agent, desk.ID, "")
	own, _ := l.article(l.alice, api.ArticleDraft{Desk: l.desk, Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Title: "Brandväggens regler", Body: "Bara för kedjan.", Audience: knowledge.AudiencePublic})
	sub, err := l.alice.SubmitArticleWithResponse(ctx, own.ID, nil)
	want(t, "supplier A submits", sub, err, http.StatusOK)
	draft, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish, Title: "Utkast",
		Body: "Ännu inte klart.", Audience: knowledge.AudiencePublic})
	inc := l.incident("VPN fungerar inte")
	before := mustResp(l.agent.GetArticleWithResponse(ctx, desk.ID.String())).Headers200.ETag
	content := api.ArticleContent{Title: "VPN", Body: "Ny text.", Audience: knowledge.AudiencePublic}
	for _, tc := range []struct {
		what   string
		status int
		code   api.ErrorCode
		call   func() (any, error)
	}{
		{"supplier B, reading only, writes", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.bob.CreateArticleWithResponse(ctx, api.ArticleDraft{Desk: l.desk, Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Title: "x", Body: "x", Audience: knowledge.AudiencePublic})
		}},
		{"supplier C, without rights, searches", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.carol.SearchKnowledgeWithResponse(ctx, &api.SearchKnowledgeParams{Q: "vpn"}, dropZeros)
		}},
		{"supplier C reads", 403, api.ErrorCodeForbidden, func() (any, error) { return l.carol.GetArticleWithResponse(ctx, desk.ID.String()) }},
		{"the city's agent writes for the chain only", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.cia.CreateArticleWithResponse(ctx, api.ArticleDraft{Desk: l.desk, Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Title: "x", Body: "x", Audience: knowledge.AudienceChain})
		}},
		{"the city's user, no agent, writes", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.carl.CreateArticleWithResponse(ctx, api.ArticleDraft{Desk: l.desk, Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Title: "x", Body: "x", Audience: knowledge.AudiencePublic})
		}},
		{"a supplier names no desk", 400, api.ErrorCodeInvalid, func() (any, error) {
			return l.alice.CreateArticleWithResponse(ctx, api.ArticleDraft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Title: "x", Body: "x", Audience: knowledge.AudiencePublic})
		}},
		{"an article without a title", 400, api.ErrorCodeInvalid, func() (any, error) {
			return l.agent.CreateArticleWithResponse(ctx, api.ArticleDraft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Body: "x", Audience: knowledge.AudiencePublic})
		}},
		{"a language the base does not keep", 400, api.ErrorCodeInvalid, func() (any, error) {
			return l.agent.CreateArticleWithBodyWithResponse(ctx, "application/json", strings.NewReader(
				`{"kind":"faq","language":"de","title":"x","body":"x","audience":"public"}`))
		}},
		{"supplier A publishes its own for users", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.alice.PublishArticleWithResponse(ctx, own.ID, nil, api.ArticlePublishing{})
		}},
		{"supplier B edits the desk's article", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.bob.EditArticleWithResponse(ctx, desk.ID, nil, content)
		}},
		{"the city's user reads a draft", 404, api.ErrorCodeNotFound, func() (any, error) {
			return l.carl.GetArticleWithResponse(ctx, draft.ID.String())
		}},
		{"the desk publishes a draft", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.PublishArticleWithResponse(ctx, draft.ID, nil, api.ArticlePublishing{})
		}},
		{"the desk edits an article in review", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.EditArticleWithResponse(ctx, own.ID, nil, content)
		}},
		{"the desk submits a published article", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.SubmitArticleWithResponse(ctx, desk.ID, nil)
		}},
		{"a second Swedish article in the family", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.TranslateArticleWithResponse(ctx, desk.ID, api.ArticleTranslation{Language: knowledge.Swedish, Title: "VPN",
				Body: "x", Audience: knowledge.AudiencePublic})
		}},
		{"a review date in the past", 400, api.ErrorCodeInvalid, func() (any, error) {
			return l.agent.ConfirmArticleReviewWithResponse(ctx, desk.ID, nil, api.ReviewConfirmation{ReviewBy: time.Now().Add(-time.Hour)})
		}},
		{"the review of a draft", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.ConfirmArticleReviewWithResponse(ctx, draft.ID, nil, api.ReviewConfirmation{})
		}},
		{"a hand-over to the one who keeps it", 409, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.HandOverArticleWithResponse(ctx, desk.ID, nil, api.ArticleHandover{Person: "dana"})
		}},
		{"an unknown article", 404, api.ErrorCodeNotFound, func() (any, error) { return l.agent.GetArticleWithResponse(ctx, itsm.NewID().String()) }},
		{"an unknown number", 404, api.ErrorCodeNotFound, func() (any, error) { return l.agent.GetArticleWithResponse(ctx, "KB0009999") }},
		{"the city's user records a use", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.carl.RecordArticleUseWithResponse(ctx, desk.ID, api.ArticleUse{Incident: inc.ID})
		}},
		{"a use of an unknown incident", 404, api.ErrorCodeNotFound, func() (any, error) {
			return l.agent.RecordArticleUseWithResponse(ctx, desk.ID, api.ArticleUse{Incident: itsm.NewID()})
		}},
		{"the city's user reads the gap list", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.carl.ReportKnowledgeGapsWithResponse(ctx, nil)
		}},
		{"supplier B, without report access, reports", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.bob.ReportMostUsedArticlesWithResponse(ctx, nil)
		}},
		{"a reader reads the history", 403, api.ErrorCodeForbidden, func() (any, error) {
			return l.carl.ListArticleEventsWithResponse(ctx, desk.ID)
		}},
		{"a page beyond the search's limit", 400, api.ErrorCodeInvalid, func() (any, error) {
			return l.carl.SearchKnowledgeWithResponse(ctx, &api.SearchKnowledgeParams{Q: "vpn", Limit: 101}, dropZeros)
		}},
		{"an If-Match that names no version", 412, api.ErrorCodeConflict, func() (any, error) {
			return l.agent.EditArticleWithResponse(ctx, desk.ID, &api.EditArticleParams{IfMatch: `"v1"`}, content)
		}},
	} {
		r, err := tc.call()
		code, p := problemOf(t, r)
		if err != nil || code != tc.status || p.Code != tc.code {
			t.Errorf("%s: %v %s, want %d %s", tc.what, err, body(r), tc.status, tc.code)
		}
	}
	after := mustResp(l.agent.GetArticleWithResponse(ctx, desk.ID.String()))
	if after.Headers200.ETag != before || after.JSON200.Current != pub.Current || after.JSON200.Stats.Uses != 0 {
		t.Errorf("after the refusals: ETag %s (want %s), %+v", after.Headers200.ETag, before, after.JSON200)
	}

	// A server without the knowledge base answers 501 unsupported.
	w := newWorld(t)
	code, p := problemOf(t, mustResp(w.admin.SearchKnowledgeWithResponse(w.ctx, &api.SearchKnowledgeParams{Q: "vpn"}, dropZeros)))
	if code != http.StatusNotImplemented || p.Code != api.ErrorCode(itsm.CodeUnsupported) {
		t.Errorf("a server without the knowledge base: %d %+v, want 501", code, p)
	}
}

// TestKnowledgeWebhooks subscribes the desk, supplier A, the city and
// supplier C, and publishes an article for everyone and one for the chain
// only, which a reader marks and the desk uses: the desk, their editor,
// receives every event of both; supplier A, a reader, only the
// publications of both; the city only the public article's publication,
// nothing of the chain's; supplier C, without rights, nothing; and the
// marks and the use reach the desk alone (decision 137).
func TestKnowledgeWebhooks(t *testing.T) {
	l := newLibrary(t, memstoreFor(t))
	ctx := l.ctx
	subscribe := func(cl *client.ClientWithResponses) *receiver {
		rc := newReceiver(t)
		r, err := cl.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL, Types: []api.EventFilter{"knowledge."}})
		rc.setSecret(want(t, "subscribe", r, err, http.StatusCreated).JSON201.Secret)
		return rc
	}
	desk, a, city, carol := subscribe(l.agent), subscribe(l.alice), subscribe(l.cadm), subscribe(l.carol)
	public, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish, Title: "E-post i mobilen",
		Body: "Lägg till kontot i Outlook-appen.", Audience: knowledge.AudiencePublic})
	l.publish(l.agent, l.agent, public.ID, "")
	chain, _ := l.article(l.agent, api.ArticleDraft{Kind: knowledge.KindGuide, Language: knowledge.Swedish, Title: "Postfilter på servern",
		Body: "Ändra spamfiltrets regler i konsolen.", Audience: knowledge.AudienceChain})
	l.publish(l.agent, l.agent, chain.ID, "")
	mark, err := l.carl.MarkArticleWithResponse(ctx, public.ID, api.ArticleMark{Helpful: true})
	want(t, "mark", mark, err, http.StatusOK)
	use, err := l.agent.RecordArticleUseWithResponse(ctx, chain.ID, api.ArticleUse{Incident: l.incident("Skräppost").ID})
	want(t, "use", use, err, http.StatusOK)

	got := func(rc *receiver, subject itsm.ID) []string {
		var out []string
		for _, p := range rc.payloads() {
			if p.Subject != nil && *p.Subject == subject {
				out = append(out, p.Type)
			}
		}
		return out
	}
	wait := func(rc *receiver, subject itsm.ID, typ string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if slices.Contains(got(rc, subject), typ) {
				return
			}
		}
		t.Fatalf("%s of %s not delivered; got %v", typ, subject, rc.types())
	}
	wait(desk, chain.ID, "knowledge.used")
	wait(desk, public.ID, "knowledge.marked")
	wait(a, chain.ID, "knowledge.published")
	wait(city, public.ID, "knowledge.published")
	// By now every earlier event has been offered to every subscription.
	wait(a, public.ID, "knowledge.published")
	expect := func(who string, rc *receiver, subject itsm.ID, types ...string) {
		t.Helper()
		if g := got(rc, subject); !slices.Equal(g, types) {
			t.Errorf("%s received %v, want %v", who, g, types)
		}
	}
	expect("the desk", desk, public.ID, "knowledge.created", "knowledge.submitted", "knowledge.published", "knowledge.marked")
	expect("the desk", desk, chain.ID, "knowledge.created", "knowledge.submitted", "knowledge.published", "knowledge.used")
	expect("supplier A", a, public.ID, "knowledge.published")
	expect("supplier A", a, chain.ID, "knowledge.published")
	expect("the city", city, public.ID, "knowledge.published")
	expect("the city", city, chain.ID)
	if g := carol.types(); len(g) != 0 {
		t.Errorf("supplier C without rights received %v", g)
	}
	// The feed shows the same.
	feed, err := l.cia.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000}, dropZeros)
	for _, e := range want(t, "the feed", feed, err, http.StatusOK).JSON200.Items {
		if e.Subject != nil && *e.Subject == chain.ID {
			t.Errorf("the city's feed shows the chain's %s", e.Type)
		}
	}
}
