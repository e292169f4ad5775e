package knowledge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/knowledge"
)

// example is a desk and a customer with a knowledge base over a memstore:
// what every example starts from.
type example struct {
	ctx         context.Context
	kb          *knowledge.Service
	agent, user itsm.Actor
}

func newExample() *example {
	ctx := context.Background()
	dir, _ := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer})
	perms := itsm.NewPermissions().
		Grant(deskID, itsm.DomainKnowledge, itsm.AccessAll).
		Grant(cityID, itsm.DomainKnowledge, itsm.AccessRead)
	kb, err := knowledge.New(ctx, knowledge.Config{Store: memstore.New(), Directory: dir, Permissions: perms,
		Clock: itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		panic(err)
	}
	return &example{ctx: ctx, kb: kb,
		agent: itsm.Actor{Organisation: deskID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}},
		user:  itsm.Actor{Organisation: cityID, Person: "clara"}}
}

// publish writes an article for everyone, sends it to review and
// publishes it.
func (e *example) publish(title, body string, keywords ...string) *knowledge.Article {
	a, err := e.kb.Create(e.ctx, e.agent, knowledge.Draft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Content: knowledge.Content{Title: title, Body: body, Keywords: keywords, Audience: knowledge.AudiencePublic}})
	if err == nil {
		_, err = e.kb.Submit(e.ctx, e.agent, a.ID)
	}
	if err == nil {
		a, err = e.kb.Publish(e.ctx, e.agent, a.ID, knowledge.Publishing{})
	}
	if err != nil {
		panic(err)
	}
	return a
}

// An agent of the desk writes a guide, which is a draft until reviewed
// and published; the published version is what readers see, with its
// body rendered to safe HTML and its review date a year on.
func ExampleService_Publish() {
	e := newExample()
	defer e.kb.Close()
	a, err := e.kb.Create(e.ctx, e.agent, knowledge.Draft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Content: knowledge.Content{Title: "Byt lösenord", Body: "# Byt lösenord\n\nGå till **portalen**.",
			Audience: knowledge.AudiencePublic}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Number, a.State)
	_, err = e.kb.Get(e.ctx, e.user, a.ID)
	fmt.Println("before publishing, the user gets:", itsm.ErrorCode(err))
	if _, err := e.kb.Submit(e.ctx, e.agent, a.ID); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := e.kb.Publish(e.ctx, e.agent, a.ID, knowledge.Publishing{}); err != nil {
		fmt.Println(err)
		return
	}
	r, err := e.kb.Get(e.ctx, e.user, a.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.State, "version", r.Current, "review by", r.ReviewBy.Format(time.DateOnly))
	fmt.Println(r.Published.HTML)
	// Output:
	// KB0000001 draft
	// before publishing, the user gets: not_found
	// published version 1 review by 2027-12-07
	// <h1 id="byt-lösenord">Byt lösenord</h1>
	// <p>Gå till <strong>portalen</strong>.</p>
}

// A user types the way they speak: an inflected form finds the article,
// the title and snippet marked.
func ExampleService_Search() {
	e := newExample()
	defer e.kb.Close()
	e.publish("Byt lösenord", "Du byter lösenordet i portalen.", "lösenord")
	e.publish("Skrivaren skriver inte ut", "Starta om skrivaren.", "skrivare")
	if err := e.kb.Sync(e.ctx); err != nil {
		fmt.Println(err)
		return
	}
	r, err := e.kb.Search(e.ctx, e.user, knowledge.Query{Text: "lösenordet", Language: knowledge.Swedish})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Total, "found")
	for _, h := range r.Hits {
		fmt.Println(h.Number, h.Title)
	}
	// Output:
	// 1 found
	// KB0000001 Byt <mark>lösenord</mark>
}

// Readers mark articles; the knowledge owners see which were least
// helpful, and which searches found nothing.
func ExampleService_LeastHelpful() {
	e := newExample()
	defer e.kb.Close()
	a := e.publish("Byt lösenord", "Gå till portalen.")
	b := e.publish("Skrivaren skriver inte ut", "Starta om skrivaren.")
	for _, m := range []struct {
		who     string
		id      itsm.ID
		helpful bool
	}{{"clara", a.ID, true}, {"carl", a.ID, false}, {"clara", b.ID, false}, {"carl", b.ID, false}} {
		if _, err := e.kb.Mark(e.ctx, itsm.Actor{Organisation: cityID, Person: m.who}, m.id, m.helpful); err != nil {
			fmt.Println(err)
			return
		}
	}
	least, err := e.kb.LeastHelpful(e.ctx, e.agent, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range least {
		fmt.Printf("%s %q: %d helpful, %d not\n", u.Number, u.Title, u.Helpful, u.Unhelpful)
	}
	if _, err := e.kb.Search(e.ctx, e.user, knowledge.Query{Text: "Zoom-möte", Language: knowledge.Swedish}); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.kb.Sync(e.ctx); err != nil {
		fmt.Println(err)
		return
	}
	gaps, err := e.kb.Gaps(e.ctx, e.agent, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range gaps {
		fmt.Printf("not found: %q (%s) %d time(s)\n", g.Query, g.Language, g.Count)
	}
	// Output:
	// KB0000002 "Skrivaren skriver inte ut": 0 helpful, 2 not
	// KB0000001 "Byt lösenord": 1 helpful, 1 not
	// not found: "zoom möte" (sv) 1 time(s)
}
