package knowledge_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
)

// hits is what actor finds for text, by number.
func hits(w *world, svc *knowledge.Service, actor itsm.Actor, text string) []string {
	w.t.Helper()
	r, err := svc.Search(w.ctx, actor, knowledge.Query{Text: text, Limit: 100})
	w.ok(err)
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Number.String())
	}
	slices.Sort(out)
	return out
}

// A second Service on the same SQLite file, as another process would be,
// finds the first's edits once it follows the log; and an index rebuilt
// from the records finds what the followed one finds.
func TestIndexFollowsAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.db")
	w := newWorld(t, backendtest.SQLite(t, path, sqlitestore.Options{}))
	other := newWorld(t, backendtest.SQLite(t, path, sqlitestore.Options{}))
	a := w.published("VPN ansluter inte", "Starta om VPN-klienten.", knowledge.AudiencePublic)
	if got := hits(other, other.svc, other.cityUser, "vpn"); len(got) != 0 {
		t.Fatalf("found %v before following", got)
	}
	w.ok(other.svc.Sync(w.ctx))
	if got := hits(other, other.svc, other.cityUser, "vpn"); !slices.Equal(got, []string{a.Number.String()}) {
		t.Fatalf("other process finds %v", got)
	}
	// A chain-only edit and a retirement are followed too.
	_, err := w.svc.Edit(w.ctx, w.deskAgent, a.ID, content("VPN ansluter inte", "Intern rutin.", knowledge.AudienceChain))
	w.ok(err)
	_, err = w.svc.Submit(w.ctx, w.deskAgent, a.ID)
	w.ok(err)
	_, err = w.svc.Publish(w.ctx, w.deskAgent, a.ID, knowledge.Publishing{Note: "Bara för kedjan."})
	w.ok(err)
	w.published("Skrivaren på plan 3", "Byt toner.", knowledge.AudienceUsers)
	w.ok(other.svc.Sync(w.ctx))
	if got := hits(other, other.svc, other.cityUser, "vpn"); len(got) != 0 {
		t.Fatalf("the city finds a chain-only article: %v", got)
	}
	rebuilt := other.service()
	for _, q := range []string{"vpn", "skrivare", "toner", "rutin"} {
		for _, who := range []itsm.Actor{w.cityUser, w.deskAgent, w.townUser} {
			if x, y := hits(other, other.svc, who, q), hits(other, rebuilt, who, q); !slices.Equal(x, y) {
				t.Errorf("%q for %s: followed %v, rebuilt %v", q, who.Person, x, y)
			}
		}
	}
	if x, y := other.svc.IndexStatus(), rebuilt.IndexStatus(); x.Documents != 2 || y.Documents != 2 || x.Position != y.Position {
		t.Errorf("followed %+v, rebuilt %+v", x, y)
	}
}

// A published known error becomes a known-error article once, however
// often and by however many services the log is followed; revising it
// publishes a new version, retiring it retires the article.
func TestKnownErrorBecomesArticleOnce(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			second := w.service()
			wa, err := w.prb.RecordWorkaround(w.ctx, w.deskAgent, problem.WorkaroundDraft{Desk: deskID, Title: "Starta om e-postklienten",
				Steps: "Stäng och öppna Outlook.", Risk: problem.RiskLow, Applier: []problem.Applier{problem.ApplierUser}})
			w.ok(err)
			k, err := w.prb.RecordKnownError(w.ctx, w.deskAgent, problem.KnownErrorDraft{Title: "E-post kommer inte fram",
				Symptom: "Nya mejl syns inte.", RootCause: "Reläts certifikat gick ut.", ErrorCodes: []string{"SMTP 454"},
				Services: []string{"e-post"}, Workarounds: []itsm.ID{wa.ID}})
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			if got := hits(w, w.svc, w.cityUser, "mejl"); len(got) != 0 {
				t.Fatalf("an unpublished known error is found: %v", got)
			}
			_, err = w.prb.PublishKnownError(w.ctx, w.deskAgent, k.ID)
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			w.ok(second.Sync(w.ctx))
			before := w.seq()
			w.ok(w.svc.Sync(w.ctx))
			w.ok(second.Sync(w.ctx))
			if after := w.seq(); after != before {
				t.Fatalf("following again wrote events %d to %d", before+1, after)
			}
			got := hits(w, w.svc, w.cityUser, "mejl")
			if len(got) != 1 {
				t.Fatalf("found %v", got)
			}
			page, err := w.svc.List(w.ctx, w.deskAgent, knowledge.Filter{Kind: knowledge.KindKnownError})
			w.ok(err)
			if len(page.Articles) != 1 || page.Articles[0].KnownError != k.ID || page.Articles[0].Current != 1 {
				t.Fatalf("articles %+v", page.Articles)
			}
			art := page.Articles[0]
			w.refuse(itsm.CodeConflict, func() error {
				_, err := w.svc.Edit(w.ctx, w.deskAgent, art.ID, content("x", "y", knowledge.AudiencePublic))
				return err
			})
			d := problem.KnownErrorDraft{Title: "E-post kommer inte fram", Symptom: "Nya mejl syns inte i inkorgen.",
				RootCause: "Reläts certifikat gick ut.", Fix: problem.Fix{Status: problem.FixPlanned}}
			_, err = w.prb.ReviseKnownError(w.ctx, w.deskAgent, k.ID, d)
			w.ok(err)
			w.ok(second.Sync(w.ctx))
			w.ok(w.svc.Sync(w.ctx))
			vs, err := w.svc.Versions(w.ctx, w.cityUser, art.ID)
			w.ok(err)
			if len(vs) != 2 || vs[1].Note == "" {
				t.Fatalf("versions %+v", vs)
			}
			_, err = w.prb.RetireKnownError(w.ctx, w.deskAgent, k.ID, "Rättat.")
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			r, err := w.svc.Get(w.ctx, w.cityUser, art.ID)
			w.ok(err)
			if r.State != knowledge.StateRetired {
				t.Fatalf("article %+v", r)
			}
			w.replayed(art.ID)
		})
	}
}

// Marks count one a reader and change; uses count once an incident;
// searches that find nothing are counted in the gap list without who
// searched; the reports need report access.
func TestUsefulnessAndReports(t *testing.T) {
	w := newWorld(t, backends()["sqlitestore"](t))
	a := w.published("Byt lösenord", "Gå till portalen.", knowledge.AudiencePublic)
	st, err := w.svc.Mark(w.ctx, w.cityUser, a.ID, true)
	w.ok(err)
	before := w.seq()
	st, err = w.svc.Mark(w.ctx, w.cityUser, a.ID, true)
	w.ok(err)
	if w.seq() != before || st.Helpful != 1 {
		t.Fatalf("the same mark again wrote or counted: %+v", st)
	}
	st, err = w.svc.Mark(w.ctx, w.cityUser, a.ID, false)
	w.ok(err)
	st, err = w.svc.Mark(w.ctx, w.townUser, a.ID, false)
	w.ok(err)
	if st.Helpful != 0 || st.Unhelpful != 2 {
		t.Fatalf("stats %+v", st)
	}
	inc := w.incident()
	st, err = w.svc.RecordUse(w.ctx, w.deskAgent, a.ID, inc)
	w.ok(err)
	w.refuse(itsm.CodeConflict, func() error { _, err := w.svc.RecordUse(w.ctx, w.deskAgent, a.ID, inc); return err })
	w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.RecordUse(w.ctx, w.cityUser, a.ID, inc); return err })
	w.refuse(itsm.CodeNotFound, func() error { _, err := w.svc.RecordUse(w.ctx, w.deskAgent, a.ID, itsm.NewID()); return err })
	if st.Uses != 1 {
		t.Fatalf("stats %+v", st)
	}
	for range 3 {
		r, err := w.svc.Search(w.ctx, w.cityUser, knowledge.Query{Text: "  Zyxwv   Qwerty!", Language: knowledge.Swedish})
		w.ok(err)
		if r.Total != 0 {
			t.Fatalf("found %+v", r)
		}
	}
	w.ok(w.svc.Sync(w.ctx))
	gaps, err := w.svc.Gaps(w.ctx, w.deskAgent, 10)
	w.ok(err)
	if len(gaps) != 1 || gaps[0].Query != "zyxwv qwerty" || gaps[0].Count != 3 || gaps[0].Language != knowledge.Swedish {
		t.Fatalf("gaps %+v", gaps)
	}
	used, err := w.svc.MostUsed(w.ctx, w.deskAgent, 0)
	w.ok(err)
	least, err := w.svc.LeastHelpful(w.ctx, w.telAgent, 0)
	w.ok(err)
	if len(used) != 1 || used[0].Uses != 1 || len(least) != 1 || least[0].Unhelpful != 2 {
		t.Fatalf("most used %+v, least helpful %+v", used, least)
	}
	w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.Gaps(w.ctx, w.cityAgent, 0); return err })
	w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.MostUsed(w.ctx, w.cityAgent, 0); return err })
	// The index ranks by the marks it follows.
	w.ok(w.svc.Sync(w.ctx))
}
