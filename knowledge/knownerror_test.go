package knowledge_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
)

// A known-error article tells how far the fix has come in the article's
// language (Config.KnownErrorLanguage), whatever that is; a fix not begun
// says nothing.
func TestKnownErrorFixInItsLanguage(t *testing.T) {
	for _, c := range []struct {
		lang                 knowledge.Language
		heading, say, others string
	}{
		{knowledge.Swedish, "## Rättning", "En permanent rättning är planerad.", "är på gång"},
		{knowledge.Bokmal, "## Retting", "En permanent retting er planlagt.", "er under arbeid"},
		{knowledge.Nynorsk, "## Retting", "Ei permanent retting er planlagd.", "er under arbeid"},
		{knowledge.English, "## Fix", "A permanent fix is planned.", "is under way"},
	} {
		t.Run(string(c.lang), func(t *testing.T) {
			w := newWorldWith(t, backends()["memstore"](t), func(cfg *knowledge.Config) { cfg.KnownErrorLanguage = c.lang })
			d := problem.KnownErrorDraft{Title: "E-post kommer inte fram", Symptom: "Nya mejl syns inte.",
				RootCause: "Reläts certifikat gick ut.", Services: []string{"e-post"}}
			k, err := w.prb.RecordKnownError(w.ctx, w.deskAgent, d)
			w.ok(err)
			_, err = w.prb.PublishKnownError(w.ctx, w.deskAgent, k.ID)
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			art := knownErrorArticle(w, k.ID)
			if art.Language != c.lang || strings.Contains(art.Published.Body, "##") {
				t.Fatalf("a fix not begun: %s %q", art.Language, art.Published.Body)
			}
			for _, step := range []struct {
				status problem.FixStatus
				want   string
			}{{problem.FixPlanned, c.say}, {problem.FixInProgress, c.others}} {
				d.Fix = problem.Fix{Status: step.status}
				_, err = w.prb.ReviseKnownError(w.ctx, w.deskAgent, k.ID, d)
				w.ok(err)
				w.ok(w.svc.Sync(w.ctx))
				body := knownErrorArticle(w, k.ID).Published.Body
				if !strings.Contains(body, c.heading+"\n") || !strings.Contains(body, step.want) {
					t.Errorf("%s: body %q lacks %q and %q", step.status, body, c.heading, step.want)
				}
				if c.lang != knowledge.Swedish && strings.Contains(body, "Rättning") {
					t.Errorf("%s: Swedish in a %s article: %q", step.status, c.lang, body)
				}
			}
		})
	}
}

// knownErrorArticle is the article made from known error k, as the desk
// sees it.
func knownErrorArticle(w *world, k itsm.ID) *knowledge.Article {
	w.t.Helper()
	page, err := w.svc.List(w.ctx, w.deskAgent, knowledge.Filter{Kind: knowledge.KindKnownError})
	w.ok(err)
	for _, a := range page.Articles {
		if a.KnownError == k {
			return a
		}
	}
	w.t.Fatalf("no article of known error %s", k)
	return nil
}
