package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func (s *Service) create(ctx context.Context, actor itsm.Actor, d Draft) (*Article, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if d.Desk, err = s.deskFor(ctx, actor, org, d.Desk); err != nil {
		return nil, err
	}
	switch {
	case !d.Kind.Valid():
		return nil, itsm.Errorf(itsm.CodeInvalid, "kind %q is not faq, guide or known_error", d.Kind)
	case !d.Language.Valid():
		return nil, itsm.Errorf(itsm.CodeInvalid, "language %q is not sv, nb, nn or en", d.Language)
	}
	if d.OwnerPerson == "" {
		d.OwnerPerson = actor.Person
	}
	if err := checkLabel("owner person", &d.OwnerPerson, true); err != nil {
		return nil, err
	}
	if err := s.checkContent(ctx, org, &d.Content); err != nil {
		return nil, err
	}
	var out *Article
	err = s.write(ctx, func(c change) error {
		n, err := c.Tx().NextNumber(PrefixArticle)
		if err != nil {
			return err
		}
		a := &Article{ID: itsm.NewID()}
		out = a
		return c.article(a, Created{By: By{By: actor}, Number: n, Family: a.ID, Language: d.Language, Kind: d.Kind,
			Desk: d.Desk, Owner: org.ID, OwnerPerson: d.OwnerPerson, Content: d.Content})
	})
	if err != nil {
		return nil, err
	}
	return s.view(out, org, actor, Stats{}), nil
}

func (s *Service) translate(ctx context.Context, actor itsm.Actor, of itsm.ID, lang Language, content Content) (*Article, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if !lang.Valid() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "language %q is not sv, nb, nn or en", lang)
	}
	if err := s.checkContent(ctx, org, &content); err != nil {
		return nil, err
	}
	var out *Article
	err = s.write(ctx, func(c change) error {
		src, err := loadArticle(c.Tx(), of)
		if err != nil {
			return err
		}
		if !edits(actor, org, src) && !s.reads(org, src) {
			return notFound("article", of)
		}
		if _, err := s.deskFor(ctx, actor, org, src.Desk); err != nil {
			return err
		}
		if other, err := s.inFamily(c.Tx(), src.Family, lang); err != nil {
			return err
		} else if other != nil {
			return itsm.Errorf(itsm.CodeConflict, "translate %s: its family has %s in %s already", src.Number, other.Number, lang)
		}
		n, err := c.Tx().NextNumber(PrefixArticle)
		if err != nil {
			return err
		}
		a := &Article{ID: itsm.NewID()}
		out = a
		return c.article(a, Created{By: By{By: actor}, Number: n, Family: src.Family, Language: lang, Kind: src.Kind,
			Desk: src.Desk, Owner: org.ID, OwnerPerson: actor.Person, Content: content})
	})
	if err != nil {
		return nil, err
	}
	return s.view(out, org, actor, Stats{}), nil
}

// inFamily returns the article of family in lang, or nil.
func (s *Service) inFamily(tx itsm.ReadTx, family itsm.ID, lang Language) (*Article, error) {
	page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexFamilyLanguage, Match: itsm.MatchEqual,
		Value: family.String() + " " + string(lang), Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return nil, err
	}
	return loadArticle(tx, page.Matches[0].Record.ID)
}

// changeArticle runs one command of an editor on an article: an agent of
// its owner or desk, with read and write access.
func (s *Service) changeArticle(ctx context.Context, actor itsm.Actor, id itsm.ID, what string,
	decide func(c change, org itsm.Organisation, a *Article) error) (*Article, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *Article
	var st *statsRecord
	err = s.write(ctx, func(c change) error {
		out = nil
		a, err := loadArticle(c.Tx(), id)
		if err != nil {
			return err
		}
		if !edits(actor, org, a) {
			if s.reads(org, a) {
				return itsm.Errorf(itsm.CodeForbidden, "cannot %s %s: only agents of its owner %s and its desk %s may", what, a.Number, a.Owner, a.Desk)
			}
			return notFound("article", id)
		}
		if err := itsm.CheckVersion("article", a.Number.String(), a.Version, s.expect); err != nil {
			return err
		}
		if err := decide(c, org, a); err != nil {
			return err
		}
		if st, err = loadStats(c.Tx(), a.ID); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(out, org, actor, st.Stats), nil
}

// byHand refuses a change by hand to an article made from a known error,
// which changes only through its known error.
func byHand(what string, a *Article) error {
	if !a.KnownError.IsZero() {
		return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: it is made from known error %s; revise the known error instead", what, a.Number, a.KnownError)
	}
	return nil
}

func (s *Service) edit(ctx context.Context, actor itsm.Actor, id itsm.ID, content Content) (*Article, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if err := s.checkContent(ctx, org, &content); err != nil {
		return nil, err
	}
	return s.changeArticle(ctx, actor, id, "edit", func(c change, org itsm.Organisation, a *Article) error {
		if err := byHand("edit", a); err != nil {
			return err
		}
		if a.State == StateReview {
			return itsm.Errorf(itsm.CodeConflict, "cannot edit %s: it is in review; send it back to draft first", a.Number)
		}
		return c.article(a, Edited{By: By{By: actor}, Content: content})
	})
}

func (s *Service) submit(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Article, error) {
	return s.changeArticle(ctx, actor, id, "submit", func(c change, org itsm.Organisation, a *Article) error {
		if err := byHand("submit", a); err != nil {
			return err
		}
		if a.State != StateDraft {
			return itsm.Errorf(itsm.CodeConflict, "cannot submit %s: it is %s, not a draft", a.Number, a.State)
		}
		return c.article(a, Submitted{By{By: actor}})
	})
}

func (s *Service) sendBack(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Article, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeArticle(ctx, actor, id, "send back", func(c change, org itsm.Organisation, a *Article) error {
		if a.State != StateReview {
			return itsm.Errorf(itsm.CodeConflict, "cannot send back %s: it is %s, not in review", a.Number, a.State)
		}
		return c.article(a, SentBack{By: By{By: actor}, Reason: reason})
	})
}

// publishes reports why an agent of org may not approve a: the desk
// publishes; a supplier only its own articles for the chain (SD-4).
func publishes(org itsm.Organisation, a *Article) error {
	switch {
	case org.ID == a.Desk:
		return nil
	case org.ID == a.Owner && org.Role == itsm.OrgSupplier && a.Draft.Audience == AudienceChain:
		return nil
	}
	return itsm.Errorf(itsm.CodeForbidden, "cannot publish %s: desk %s publishes what users read (SD-4); its owner %s publishes only for the support chain", a.Number, a.Desk, a.Owner)
}

func (s *Service) publish(ctx context.Context, actor itsm.Actor, id itsm.ID, p Publishing) (*Article, error) {
	if err := checkText("note", &p.Note, false); err != nil {
		return nil, err
	}
	return s.changeArticle(ctx, actor, id, "publish", func(c change, org itsm.Organisation, a *Article) error {
		if err := byHand("publish", a); err != nil {
			return err
		}
		if err := publishes(org, a); err != nil {
			return err
		}
		if a.State != StateReview {
			return itsm.Errorf(itsm.CodeConflict, "cannot publish %s: it is %s, not in review", a.Number, a.State)
		}
		if a.Current > 0 && p.Note == "" {
			return itsm.Errorf(itsm.CodeInvalid, "publish %s: a note saying what changed since version %d is required", a.Number, a.Current)
		}
		due, err := s.reviewDate(c.At(), p.ReviewBy)
		if err != nil {
			return err
		}
		return s.publishVersion(c, actor, a, p.Note, due)
	})
}

// publishVersion publishes a's working copy as its next version.
func (s *Service) publishVersion(c change, actor itsm.Actor, a *Article, note string, due time.Time) error {
	if err := c.article(a, Published{By: By{By: actor}, Version: a.Current + 1, Note: note, ReviewBy: due}); err != nil {
		return err
	}
	c.Touch(versionRecord{a.Published}, versionID(a.ID, a.Current), nil)
	return nil
}

// reviewDate is the review date given, which must be after now, or the
// review period from now.
func (s *Service) reviewDate(now, given time.Time) (time.Time, error) {
	if given.IsZero() {
		return now.Add(s.cfg.ReviewPeriod), nil
	}
	if !given.After(now) {
		return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "review date %s is not in the future", given.Format(time.DateOnly))
	}
	return given.UTC(), nil
}

func (s *Service) retire(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Article, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeArticle(ctx, actor, id, "retire", func(c change, org itsm.Organisation, a *Article) error {
		if err := byHand("retire", a); err != nil {
			return err
		}
		if a.State == StateRetired {
			return itsm.Errorf(itsm.CodeConflict, "article %s is retired already", a.Number)
		}
		return c.article(a, Retired{By: By{By: actor}, Reason: reason})
	})
}

func (s *Service) confirmReview(ctx context.Context, actor itsm.Actor, id itsm.ID, next time.Time) (*Article, error) {
	return s.changeArticle(ctx, actor, id, "confirm the review of", func(c change, org itsm.Organisation, a *Article) error {
		if !a.Live() {
			return itsm.Errorf(itsm.CodeConflict, "cannot confirm the review of %s: it is not published", a.Number)
		}
		due, err := s.reviewDate(c.At(), next)
		if err != nil {
			return err
		}
		return c.article(a, ReviewConfirmed{By: By{By: actor}, ReviewBy: due})
	})
}

func (s *Service) handOver(ctx context.Context, actor itsm.Actor, id itsm.ID, person string) (*Article, error) {
	if err := checkLabel("person", &person, true); err != nil {
		return nil, err
	}
	return s.changeArticle(ctx, actor, id, "hand over", func(c change, org itsm.Organisation, a *Article) error {
		if person == a.OwnerPerson {
			return itsm.Errorf(itsm.CodeConflict, "%q keeps %s already", person, a.Number)
		}
		return c.article(a, HandedOver{By: By{By: actor}, Person: person})
	})
}

// readerDigest names a reader in a mark without naming the person.
func readerDigest(a itsm.Actor) string {
	h := sha256.Sum256([]byte(a.Organisation.String() + "\x00" + a.Person))
	return hex.EncodeToString(h[:16])
}

func (s *Service) mark(ctx context.Context, actor itsm.Actor, id itsm.ID, helpful bool) (Stats, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Stats{}, err
	}
	reader := readerDigest(actor)
	var out Stats
	err = s.write(ctx, func(c change) error {
		a, err := loadArticle(c.Tx(), id)
		if err != nil {
			return err
		}
		if !s.reads(org, a) {
			return notFound("article", id)
		}
		st, err := loadStats(c.Tx(), id)
		if err != nil {
			return err
		}
		m, v, err := itsm.LoadRecord[markRecord](c.Tx(), KindMark, derive("mark", id.String(), reader), "mark")
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
			m = &markRecord{ID: derive("mark", id.String(), reader), Article: id}
		case err != nil:
			return err
		default:
			m.version = v
		}
		out = st.Stats
		if m.Mark == markOf(helpful) {
			return nil // the reader's mark stands: nothing to write
		}
		e := Marked{Organisation: org.ID, Reader: reader, Helpful: helpful, Was: m.Mark}
		m.Mark = markOf(helpful)
		c.Touch(m, m.ID, &m.version)
		if err := c.stats(st, e); err != nil {
			return err
		}
		out = st.Stats
		return nil
	})
	return out, err
}

func (s *Service) recordUse(ctx context.Context, actor itsm.Actor, id, incident itsm.ID) (Stats, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Stats{}, err
	}
	switch {
	case s.cfg.Incidents == nil:
		return Stats{}, itsm.Errorf(itsm.CodeInvalid, "record use: the knowledge base has no incident service")
	case !actor.HasRole(itsm.RoleAgent) || org.Role == itsm.OrgCustomer:
		return Stats{}, itsm.Errorf(itsm.CodeForbidden, "record use: only agents of the desk and its suppliers record that an article resolved an incident")
	case incident.IsZero():
		return Stats{}, itsm.Errorf(itsm.CodeInvalid, "record use: incident is zero")
	}
	inc, err := s.cfg.Incidents.Get(ctx, actor, incident)
	if err != nil {
		return Stats{}, err
	}
	var out Stats
	err = s.write(ctx, func(c change) error {
		a, err := loadArticle(c.Tx(), id)
		if err != nil {
			return err
		}
		if !s.reads(org, a) {
			return notFound("article", id)
		}
		u := &useRecord{ID: derive("use", id.String(), incident.String()), Article: id, Incident: incident, At: c.At()}
		if _, err := c.Tx().Get(KindUse, u.ID); err == nil {
			return itsm.Errorf(itsm.CodeConflict, "article %s is recorded as resolving incident %s already", a.Number, inc.Number)
		} else if !itsm.IsCode(err, itsm.CodeNotFound) {
			return err
		}
		st, err := loadStats(c.Tx(), id)
		if err != nil {
			return err
		}
		c.Touch(u, u.ID, nil)
		if err := c.stats(st, Used{By: By{By: actor}, Incident: incident, IncidentNumber: inc.Number}); err != nil {
			return err
		}
		out = st.Stats
		return nil
	})
	return out, err
}
