package knowledge

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/itsm"
)

// reporter checks that the actor's organisation has report access.
func (s *Service) reporter(ctx context.Context, actor itsm.Actor, limit int) (itsm.Organisation, int, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessReport)
	if err != nil {
		return org, 0, err
	}
	switch {
	case limit == 0:
		limit = 20
	case limit < 0 || limit > MaxLimit:
		return org, 0, itsm.Errorf(itsm.CodeInvalid, "limit %d is outside 0 to %d", limit, MaxLimit)
	}
	return org, limit, nil
}

// usages returns the usage of every published article org reads.
func (s *Service) usages(ctx context.Context, org itsm.Organisation) ([]Usage, error) {
	var out []Usage
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(ctx, tx, itsm.Query{Kind: Kind, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
			a, err := itsm.DecodeRecord[Article](h.Record, "article")
			if err != nil {
				return err
			}
			if !s.reads(org, a) {
				return nil
			}
			st, err := loadStats(tx, a.ID)
			if err != nil {
				return err
			}
			out = append(out, Usage{Article: a.ID, Number: a.Number, Title: a.Published.Title, Language: a.Language, Owner: a.Owner, Stats: st.Stats})
			return nil
		})
	})
	return out, err
}

func (s *Service) mostUsed(ctx context.Context, actor itsm.Actor, limit int) ([]Usage, error) {
	org, limit, err := s.reporter(ctx, actor, limit)
	if err != nil {
		return nil, err
	}
	us, err := s.usages(ctx, org)
	if err != nil {
		return nil, err
	}
	us = slices.DeleteFunc(us, func(u Usage) bool { return u.Uses == 0 && u.Helpful == 0 })
	slices.SortStableFunc(us, func(a, b Usage) int {
		if a.Uses != b.Uses {
			return b.Uses - a.Uses
		}
		return b.Helpful - a.Helpful
	})
	return us[:min(limit, len(us))], nil
}

func (s *Service) leastHelpful(ctx context.Context, actor itsm.Actor, limit int) ([]Usage, error) {
	org, limit, err := s.reporter(ctx, actor, limit)
	if err != nil {
		return nil, err
	}
	us, err := s.usages(ctx, org)
	if err != nil {
		return nil, err
	}
	us = slices.DeleteFunc(us, func(u Usage) bool { return u.Unhelpful == 0 })
	// By the share of unhelpful marks, compared without division; then
	// by how many.
	slices.SortStableFunc(us, func(a, b Usage) int {
		if x, y := b.Unhelpful*(a.Helpful+a.Unhelpful), a.Unhelpful*(b.Helpful+b.Unhelpful); x != y {
			return x - y
		}
		return b.Unhelpful - a.Unhelpful
	})
	return us[:min(limit, len(us))], nil
}

func (s *Service) pastReview(ctx context.Context, actor itsm.Actor, limit int) ([]*Article, error) {
	org, limit, err := s.reporter(ctx, actor, limit)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []*Article
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: Kind, Index: IndexReview, Match: itsm.MatchRange, To: itsm.IndexTime(now), Limit: itsm.MaxLimit}
		return itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
			if len(out) >= limit {
				return errEnough
			}
			a, err := loadArticle(tx, h.Record.ID)
			if err != nil {
				return err
			}
			if !a.Live() || !now.After(a.ReviewBy) || !(org.ID == a.Owner || org.ID == a.Desk) {
				return nil
			}
			st, err := loadStats(tx, a.ID)
			if err != nil {
				return err
			}
			if v := s.view(a, org, actor, st.Stats); v != nil {
				out = append(out, v)
			}
			return nil
		})
	})
	if err == errEnough {
		err = nil
	}
	return out, err
}

// errEnough stops a scan that has found what it needs.
var errEnough = itsm.Errorf(itsm.CodeInternal, "enough")

func (s *Service) gaps(ctx context.Context, actor itsm.Actor, limit int) ([]Gap, error) {
	org, limit, err := s.reporter(ctx, actor, limit)
	if err != nil {
		return nil, err
	}
	if !actor.HasRole(itsm.RoleAgent) {
		return nil, itsm.Errorf(itsm.CodeForbidden, "the gap list is for agents; %q of %s is not one", actor.Person, org.ID)
	}
	var out []Gap
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: KindGap, Index: IndexCount, Match: itsm.MatchAll, Reverse: true, Limit: limit})
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			g, err := itsm.DecodeRecord[gapRecord](h.Record, "gap")
			if err != nil {
				return err
			}
			out = append(out, g.Gap)
		}
		return nil
	})
	return out, err
}
