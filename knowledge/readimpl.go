package knowledge

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge/markdown"
)

// view returns a as an agent or reader of org sees it, with its stats: an
// editor whole; anyone else its current version only, without the working
// copy, the reviewer's reasons or the person who keeps it. a itself is
// never changed. A nil result means org may not see a at all.
func (s *Service) view(a *Article, org itsm.Organisation, actor itsm.Actor, st Stats) *Article {
	c := *a
	c.Stats = st
	c.PastReview = a.Live() && s.clock.Now().After(a.ReviewBy)
	if a.Published != nil {
		v := *a.Published
		v.HTML = markdown.HTML(v.Body)
		c.Published = &v
	}
	if edits(actor, org, a) {
		return &c
	}
	if !s.reads(org, a) {
		return nil
	}
	c.Draft = c.Published.Content.clone()
	if c.State != StateRetired {
		c.State = StatePublished
	}
	c.SentBack, c.OwnerPerson = "", ""
	return &c
}

// readArticle reads an article as the actor may see it.
func (s *Service) readArticle(ctx context.Context, actor itsm.Actor, find func(tx itsm.ReadTx) (*Article, error)) (*Article, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out *Article
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		a, err := find(tx)
		if err != nil {
			return err
		}
		st, err := loadStats(tx, a.ID)
		if err != nil {
			return err
		}
		if out = s.view(a, org, actor, st.Stats); out == nil {
			return notFound("article", a.ID)
		}
		return nil
	})
	return out, err
}

func (s *Service) get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Article, error) {
	return s.readArticle(ctx, actor, func(tx itsm.ReadTx) (*Article, error) { return loadArticle(tx, id) })
}

func (s *Service) getByNumber(ctx context.Context, actor itsm.Actor, n itsm.Number) (*Article, error) {
	return s.readArticle(ctx, actor, func(tx itsm.ReadTx) (*Article, error) {
		page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexNumber, Match: itsm.MatchEqual, Value: n.String(), Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Matches) == 0 {
			return nil, itsm.Errorf(itsm.CodeNotFound, "article %s not found", n)
		}
		return loadArticle(tx, page.Matches[0].Record.ID)
	})
}

func (s *Service) list(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	switch {
	case f.State != "" && !f.State.Valid():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "state %q is not draft, review, published or retired", f.State)
	case f.Kind != "" && !f.Kind.Valid():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "kind %q is not faq, guide or known_error", f.Kind)
	case f.Language != "" && !f.Language.Valid():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "language %q is not sv, nb, nn or en", f.Language)
	}
	q := itsm.Query{Kind: Kind, Index: IndexNumber, Match: itsm.MatchAll, Limit: f.Limit, After: f.After}
	now := s.clock.Now()
	switch {
	case f.PastReview:
		q.Index, q.Match, q.From, q.To = IndexReview, itsm.MatchRange, "", itsm.IndexTime(now)
	case !f.Owner.IsZero():
		q.Index, q.Match, q.Value = IndexOwner, itsm.MatchEqual, f.Owner.String()
	case f.State != "":
		q.Index, q.Match, q.Value = IndexState, itsm.MatchEqual, string(f.State)
	case org.Role == itsm.OrgDesk:
		q.Index, q.Match, q.Value = IndexDesk, itsm.MatchEqual, org.ID.String()
	}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var as []*Article
		as, out.Next, err = itsm.LoadPage(tx, q, loadArticle, func(a *Article) bool {
			return (f.Owner.IsZero() || a.Owner == f.Owner) && (f.Kind == "" || a.Kind == f.Kind) &&
				(f.Language == "" || a.Language == f.Language) && (!f.PastReview || a.Live() && now.After(a.ReviewBy))
		})
		if err != nil {
			return err
		}
		for _, a := range as {
			st, err := loadStats(tx, a.ID)
			if err != nil {
				return err
			}
			// The state filters what the actor sees: a reader's view of
			// an article being edited is published.
			if v := s.view(a, org, actor, st.Stats); v != nil && (f.State == "" || v.State == f.State) {
				out.Articles = append(out.Articles, v)
			}
		}
		return nil
	})
	return out, err
}

func (s *Service) translations(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*Article, error) {
	a, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out []*Article
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(ctx, tx, itsm.Query{Kind: Kind, Index: IndexFamily, Match: itsm.MatchEqual, Value: a.Family.String()}, func(h itsm.Hit) error {
			b, err := loadArticle(tx, h.Record.ID)
			if err != nil {
				return err
			}
			st, err := loadStats(tx, b.ID)
			if err != nil {
				return err
			}
			if v := s.view(b, org, actor, st.Stats); v != nil {
				out = append(out, v)
			}
			return nil
		})
	})
	order := map[Language]int{Swedish: 0, Bokmal: 1, Nynorsk: 2, English: 3}
	slices.SortFunc(out, func(x, y *Article) int { return order[x.Language] - order[y.Language] })
	return out, err
}

func (s *Service) versions(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*Version, error) {
	a, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out := make([]*Version, 0, a.Current)
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		for n := 1; n <= a.Current; n++ {
			v, err := loadVersion(tx, id, n)
			if err != nil {
				return err
			}
			v.HTML = markdown.HTML(v.Body)
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

func (s *Service) version(ctx context.Context, actor itsm.Actor, id itsm.ID, n int) (*Version, error) {
	a, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > a.Current {
		return nil, itsm.Errorf(itsm.CodeNotFound, "version %d of article %s not found: it has %d", n, a.Number, a.Current)
	}
	var v *Version
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		v, err = loadVersion(tx, id, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	v.HTML = markdown.HTML(v.Body)
	return v, nil
}

func (s *Service) events(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]itsm.Event, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out []itsm.Event
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		a, err := loadArticle(tx, id)
		if err != nil {
			return err
		}
		if !edits(actor, org, a) {
			if s.reads(org, a) {
				return itsm.Errorf(itsm.CodeForbidden, "the history of %s is its editors' only", a.Number)
			}
			return notFound("article", id)
		}
		out, err = itsm.AllEventsOf(tx, Kind, id)
		return err
	})
	return out, err
}
