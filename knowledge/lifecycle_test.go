package knowledge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
)

// An article goes draft, review, back to draft, review, published; an
// edit makes a new draft while readers keep the published version; the
// second publication needs a note and keeps the first version readable.
func TestLifecycleKeepsVersions(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			s, desk := w.svc, w.deskAgent
			a, err := s.Create(w.ctx, w.telAgent, knowledge.Draft{Desk: deskID, Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
				Content: content("Byt lösenord", "# Byt lösenord\n\nGå till **portalen**.", knowledge.AudiencePublic)})
			w.ok(err)
			if a.Number.String() != "KB0000001" || a.State != knowledge.StateDraft || a.Owner != telcoID || a.OwnerPerson != "tove" {
				t.Fatalf("created %+v", a)
			}
			w.refuse(itsm.CodeNotFound, func() error { _, err := s.Get(w.ctx, w.cityUser, a.ID); return err })
			w.refuse(itsm.CodeConflict, func() error { _, err := s.Publish(w.ctx, desk, a.ID, knowledge.Publishing{}); return err })
			_, err = s.Submit(w.ctx, w.telAgent, a.ID)
			w.ok(err)
			w.refuse(itsm.CodeConflict, func() error {
				_, err := s.Edit(w.ctx, w.telAgent, a.ID, content("x", "y", knowledge.AudiencePublic))
				return err
			})
			w.refuse(itsm.CodeForbidden, func() error { _, err := s.Publish(w.ctx, w.telAgent, a.ID, knowledge.Publishing{}); return err })
			a, err = s.SendBack(w.ctx, desk, a.ID, "Skriv om stycket.")
			w.ok(err)
			if a.State != knowledge.StateDraft || a.SentBack != "Skriv om stycket." {
				t.Fatalf("sent back %+v", a)
			}
			_, err = s.Submit(w.ctx, w.telAgent, a.ID)
			w.ok(err)
			a, err = s.Publish(w.ctx, desk, a.ID, knowledge.Publishing{})
			w.ok(err)
			if a.State != knowledge.StatePublished || a.Current != 1 || a.Published.ApprovedBy.Person != "axel" ||
				!a.ReviewBy.Equal(w.clock.Now().Add(knowledge.DefaultReviewPeriod)) {
				t.Fatalf("published %+v", a)
			}
			if !strings.Contains(a.Published.HTML, `<h1 id="byt-lösenord">`) {
				t.Fatalf("html %q", a.Published.HTML)
			}
			// An edit is a draft to the editors; readers keep version 1.
			_, err = s.Edit(w.ctx, w.telAgent, a.ID, content("Byt lösenord", "Ny text.", knowledge.AudiencePublic))
			w.ok(err)
			r, err := s.Get(w.ctx, w.cityUser, a.ID)
			w.ok(err)
			if r.State != knowledge.StatePublished || r.Draft.Body != "# Byt lösenord\n\nGå till **portalen**." || r.OwnerPerson != "" {
				t.Fatalf("reader sees %+v", r)
			}
			_, err = s.Submit(w.ctx, w.telAgent, a.ID)
			w.ok(err)
			w.refuse(itsm.CodeInvalid, func() error { _, err := s.Publish(w.ctx, desk, a.ID, knowledge.Publishing{}); return err })
			a, err = s.Publish(w.ctx, desk, a.ID, knowledge.Publishing{Note: "Ny text."})
			w.ok(err)
			vs, err := s.Versions(w.ctx, w.cityUser, a.ID)
			w.ok(err)
			if len(vs) != 2 || vs[0].Body != "# Byt lösenord\n\nGå till **portalen**." || vs[1].Note != "Ny text." {
				t.Fatalf("versions %+v", vs)
			}
			// Past review: flagged when read and listed to the owner.
			w.clock.Advance(knowledge.DefaultReviewPeriod + time.Hour)
			r, err = s.Get(w.ctx, w.cityUser, a.ID)
			w.ok(err)
			if !r.PastReview {
				t.Fatal("not past review")
			}
			page, err := s.List(w.ctx, w.telAgent, knowledge.Filter{PastReview: true})
			w.ok(err)
			if len(page.Articles) != 1 || page.Articles[0].ID != a.ID {
				t.Fatalf("past review %+v", page)
			}
			a, err = s.ConfirmReview(w.ctx, w.telAgent, a.ID, time.Time{})
			w.ok(err)
			if a.PastReview {
				t.Fatal("still past review")
			}
			_, err = s.Retire(w.ctx, desk, a.ID, "Inaktuell.")
			w.ok(err)
			r, err = s.Get(w.ctx, w.cityUser, a.ID)
			w.ok(err)
			if r.State != knowledge.StateRetired {
				t.Fatalf("retired %+v", r)
			}
			w.replayed(a.ID)
		})
	}
}

// The audience decides who reads and who finds: a customer never sees a
// chain-only article, not even in a search; one customer's article is not
// another's.
func TestAudienceInReadsAndSearch(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	pub := w.published("Skrivaren skriver inte ut", "Starta om skrivaren.", knowledge.AudiencePublic)
	chain := w.published("Skrivarservern startas om", "Intern rutin för skrivaren.", knowledge.AudienceChain)
	city := w.published("Skrivare i stadshuset", "Välj skrivaren i stadshuset.", knowledge.AudienceUsers, cityID)
	w.ok(w.svc.Sync(w.ctx))
	found := func(a itsm.Actor) map[itsm.ID]bool {
		r, err := w.svc.Search(w.ctx, a, knowledge.Query{Text: "skrivare", Limit: 100})
		w.ok(err)
		out := map[itsm.ID]bool{}
		for _, h := range r.Hits {
			out[h.ID] = true
		}
		return out
	}
	for _, c := range []struct {
		who  itsm.Actor
		sees map[itsm.ID]bool
	}{
		{w.deskUser, map[itsm.ID]bool{pub.ID: true, chain.ID: true, city.ID: true}},
		{w.telAgent, map[itsm.ID]bool{pub.ID: true, chain.ID: true, city.ID: true}},
		{w.cityUser, map[itsm.ID]bool{pub.ID: true, city.ID: true}},
		{w.townUser, map[itsm.ID]bool{pub.ID: true}},
		{w.desk2Agent, map[itsm.ID]bool{pub.ID: true}},
	} {
		if got := found(c.who); diff(got, c.sees) != "" {
			t.Errorf("%s finds %v, want %v", c.who.Person, got, c.sees)
		}
		for _, a := range []*knowledge.Article{pub, chain, city} {
			_, err := w.svc.Get(w.ctx, c.who, a.ID)
			if c.sees[a.ID] != (err == nil) {
				t.Errorf("%s reads %s: %v", c.who.Person, a.Draft.Title, err)
			}
		}
	}
}
