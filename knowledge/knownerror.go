package knowledge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
)

// followKnownError applies event e of a known error to its article, in
// one transaction: creates and publishes it when the known error is
// published, publishes a new version when a published known error's
// content changes, retires it when the known error is retired. The
// article remembers the last event applied, so that e followed twice,
// by this process or another on the same database, changes it once. It
// reports whether it wrote.
func (s *Service) followKnownError(ctx context.Context, e itsm.Event) (bool, error) {
	wrote := false
	err := itsm.WriteBatch(ctx, s.cfg.Store, s.now, func(r record, _ time.Time) (itsm.Record, error) { return r.record() },
		func(b *itsm.Batch[record]) error {
			wrote = false
			c := change{b}
			k, _, err := itsm.LoadRecord[problem.KnownError](c.Tx(), problem.KindKnownError, e.Subject, "known error")
			if err != nil {
				return err
			}
			a, err := s.articleOf(c.Tx(), k.ID)
			if err != nil {
				return err
			}
			if a != nil && a.KnownErrorSeq >= e.Seq {
				return nil // followed already
			}
			by := itsm.Actor{Organisation: k.Desk, Person: "knowledge"}
			if p, err := problem.DecodeKnownError(e); err == nil && p.Actor().Person != "" {
				by = p.Actor()
			}
			content, err := s.knownErrorContent(c.Tx(), k)
			if err != nil {
				return err
			}
			switch {
			case a == nil && (!k.Published || k.Retired):
				return nil // not for users, or no longer
			case a == nil:
				n, err := c.Tx().NextNumber(PrefixArticle)
				if err != nil {
					return err
				}
				a = &Article{ID: itsm.NewID()}
				if err := c.article(a, Created{By: By{By: by}, Number: n, Family: a.ID, Language: s.cfg.KnownErrorLanguage,
					Kind: KindKnownError, Desk: k.Desk, Owner: k.Desk, OwnerPerson: by.Person, KnownError: k.ID, Content: content}); err != nil {
					return err
				}
				if err := s.publishVersion(c, by, a, "", c.At().Add(s.cfg.ReviewPeriod)); err != nil {
					return err
				}
			case k.Retired && a.State != StateRetired:
				if err := c.article(a, Retired{By: By{By: by}, Reason: "known error " + k.Number.String() + " is retired"}); err != nil {
					return err
				}
			case !k.Retired && !sameContent(a.Draft, content):
				if err := c.article(a, Edited{By: By{By: by}, Content: content}); err != nil {
					return err
				}
				if err := s.publishVersion(c, by, a, "known error "+k.Number.String()+" revised", a.ReviewBy); err != nil {
					return err
				}
			}
			wrote = true
			return c.article(a, KnownErrorFollowed{By: By{By: by}, Seq: e.Seq})
		})
	return wrote, err
}

// articleOf returns the article made from known error id, or nil.
func (s *Service) articleOf(tx itsm.ReadTx, id itsm.ID) (*Article, error) {
	page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexKnownError, Match: itsm.MatchEqual, Value: id.String(), Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return nil, err
	}
	return loadArticle(tx, page.Matches[0].Record.ID)
}

// knownErrorContent is what the article of k says: the symptom, the
// workarounds users may apply themselves, and how far the fix has come.
// The root cause and the workarounds only the chain applies stay in the
// known error database.
func (s *Service) knownErrorContent(tx itsm.ReadTx, k *problem.KnownError) (Content, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", k.Symptom)
	for _, id := range k.Workarounds {
		w, _, err := itsm.LoadRecord[problem.Workaround](tx, problem.KindWorkaround, id, "workaround")
		if err != nil {
			return Content{}, err
		}
		if w.Retired || !slices.Contains(w.Applier, problem.ApplierUser) {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", w.Title, w.Steps)
	}
	if says, ok := fixPhrases[s.cfg.KnownErrorLanguage][k.Fix.Status]; ok {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", fixHeading[s.cfg.KnownErrorLanguage], says)
	}
	body := b.String()
	if len(body) > MaxBody {
		body = body[:MaxBody]
	}
	title := k.Title
	var service string
	if len(k.Services) > 0 {
		service = k.Services[0]
	}
	keywords := slices.Clone(k.ErrorCodes)
	if len(keywords) > MaxKeywords {
		keywords = keywords[:MaxKeywords]
	}
	return Content{Title: title, Body: body, Service: service, Keywords: keywords, Audience: AudienceUsers}, nil
}

// sameContent reports whether x and y say the same.
func sameContent(x, y Content) bool {
	return x.Title == y.Title && x.Body == y.Body && x.Service == y.Service && x.Category == y.Category &&
		slices.Equal(x.Keywords, y.Keywords) && x.Audience == y.Audience && slices.Equal(x.Customers, y.Customers)
}

// fixHeading is the heading of the fix's progress in each language.
var fixHeading = map[Language]string{
	Swedish: "Rättning",
	Bokmal:  "Retting",
	Nynorsk: "Retting",
	English: "Fix",
}

// fixPhrases tell users how far the fix has come, in each language of
// articles; a fix not begun or rejected says nothing, since users can do
// nothing with it.
var fixPhrases = map[Language]map[problem.FixStatus]string{
	Swedish: {
		problem.FixPlanned:    "En permanent rättning är planerad.",
		problem.FixInProgress: "En permanent rättning är på gång.",
		problem.FixReleased:   "En permanent rättning är installerad.",
	},
	Bokmal: {
		problem.FixPlanned:    "En permanent retting er planlagt.",
		problem.FixInProgress: "En permanent retting er under arbeid.",
		problem.FixReleased:   "En permanent retting er installert.",
	},
	Nynorsk: {
		problem.FixPlanned:    "Ei permanent retting er planlagd.",
		problem.FixInProgress: "Ei permanent retting er under arbeid.",
		problem.FixReleased:   "Ei permanent retting er installert.",
	},
	English: {
		problem.FixPlanned:    "A permanent fix is planned.",
		problem.FixInProgress: "A permanent fix is under way.",
		problem.FixReleased:   "A permanent fix is installed.",
	},
}
