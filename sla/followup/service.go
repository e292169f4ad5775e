package followup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Service runs the follow-up commands against a store: each command is one
// write transaction that loads the follow-up, decides by the rules below,
// saves the result with an optimistic version check and appends one event.
// A Service is safe for concurrent use.
//
// Who may do what:
//   - Draft and Correct: an agent (itsm.RoleAgent) of a desk whose
//     organisation has read, write and report access to
//     itsm.DomainServiceLevel, for a customer the desk provides an SLA to
//     (Config.Provides). Each desk drafts its own follow-up of a customer's
//     month (Key names the desk), so another desk's never stands in its way.
//   - Approve and Reject: a person with itsm.RoleApprover of the follow-up's
//     customer, whose organisation has read and write access.
//   - Get and List: the follow-up's desk and customer, with read access.
//     Suppliers see no follow-up; their own reports reach them otherwise.
//     Another desk's follow-up does not exist for a desk: it is not found,
//     and no refusal names it or its desk.
type Service struct {
	cfg   Config
	clock itsm.Clock
}

// New checks the configuration and returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	return s, nil
}

const (
	// MaxText is the longest comment or reason in bytes.
	MaxText = 64 << 10
)

// Draft computes the report of customer's month with Config.Compute and
// stores it as the draft of the actor's desk's follow-up of the month (state
// drafted). The desk must provide the customer an SLA (Config.Provides). The
// first draft creates the follow-up at version 1. Drafting again while the
// follow-up is drafted or rejected computes the report anew and replaces the
// draft within the same version, since nobody has approved it; once the
// version is approved it is frozen, and Draft is refused: use Correct.
//
// period must be one calendar month (report.Month) that has ended by the
// service's clock.
func (s *Service) Draft(ctx context.Context, actor itsm.Actor, customer itsm.ID, period report.Period) (*FollowUp, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessAll)
	if err != nil {
		return nil, err
	}
	month, err := monthOf(period)
	if err != nil {
		return nil, err
	}
	if org.Role != itsm.OrgDesk || !actor.HasRole(itsm.RoleAgent) {
		return nil, itsm.Errorf(itsm.CodeForbidden, "cannot draft the %s follow-up of customer %s as %q of %s %s: only the agents of a desk draft follow-ups",
			month, customer, actor.Person, org.Role, org.ID)
	}
	if err := s.checkCustomer(ctx, customer); err != nil {
		return nil, err
	}
	if err := s.provides(ctx, "draft", month, actor, org, customer); err != nil {
		return nil, err
	}
	if now := s.clock.Now(); period.To.After(now) {
		return nil, itsm.Errorf(itsm.CodeInvalid, "cannot draft the %s follow-up of customer %s: the month ends at %s, after now (%s)",
			month, customer, period.To.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	key := keyOf(org.ID, customer, month)
	decide := func(f *FollowUp, digest string) (Payload, error) {
		if f == nil {
			return Drafted{By: By{By: actor}, Version: 1, Customer: customer, Desk: org.ID, Month: month,
				Period: period, Zone: period.From.Location().String(), Digest: digest}, nil
		}
		if err := mayDraft(f, actor, org, customer, period); err != nil {
			return nil, err
		}
		return Redrafted{By: By{By: actor}, Version: f.Current().Number, Digest: digest}, nil
	}
	// Look first, so that a frozen month is refused before its report is
	// computed; the write decides again on what it reads.
	existing, err := s.peek(ctx, key)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if _, err := decide(existing, ""); err != nil {
			return nil, err
		}
	}
	body, err := s.compute(ctx, org.ID, customer, period, month)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, org, key, true, body, func(f *FollowUp) (Payload, error) { return decide(f, Digest(body)) })
}

// mayDraft checks a draft of an existing follow-up.
func mayDraft(f *FollowUp, a itsm.Actor, org itsm.Organisation, customer itsm.ID, period report.Period) error {
	switch {
	case f.Desk != org.ID || f.Customer != customer:
		// The key names desk and customer, so only a corrupt store gets
		// here; the caller sees the server's fixed sentence, not this.
		return itsm.Errorf(itsm.CodeInternal, "follow-up %s is stored for desk %s and customer %s, not desk %s and customer %s",
			f.ID, f.Desk, f.Customer, org.ID, customer)
	case !samePeriod(f.Period, period):
		return refuse(itsm.CodeInvalid, "draft", f, a, org, "it covers %s, not %s", periodText(f.Period), periodText(period))
	case f.State == StateApproved:
		return refuse(itsm.CodeConflict, "draft", f, a, org, "approved reports are frozen; use Correct")
	}
	return nil
}

// Approve approves the drafted version of the follow-up for its customer,
// with an optional comment. The version's report is frozen from then on: its
// stored bytes never change again.
func (s *Service) Approve(ctx context.Context, actor itsm.Actor, key itsm.ID, digest, comment string) (*FollowUp, error) {
	comment = strings.TrimSpace(comment)
	if err := checkText("approval comment", comment, false); err != nil {
		return nil, err
	}
	return s.review(ctx, actor, key, "approve", digest, func(f *FollowUp) Payload {
		v := f.Current()
		return Approved{By: By{By: actor}, Version: v.Number, Digest: v.Digest, Comment: comment}
	})
}

// Reject sends the drafted version of the follow-up back to the desk with a
// comment saying what is wrong (state rejected); the desk redrafts it.
func (s *Service) Reject(ctx context.Context, actor itsm.Actor, key itsm.ID, digest, comment string) (*FollowUp, error) {
	comment = strings.TrimSpace(comment)
	if err := checkText("rejection comment", comment, true); err != nil {
		return nil, err
	}
	return s.review(ctx, actor, key, "reject", digest, func(f *FollowUp) Payload {
		v := f.Current()
		return Rejected{By: By{By: actor}, Version: v.Number, Digest: v.Digest, Comment: comment}
	})
}

// review decides on the drafted version. A digest other than the current
// draft's is refused: the customer would approve figures it has not seen.
// staleDigest says why it differs.
func (s *Service) review(ctx context.Context, actor itsm.Actor, key itsm.ID, cmd, digest string, payload func(*FollowUp) Payload) (*FollowUp, error) {
	org, err := s.viewer(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, org, key, false, nil, func(f *FollowUp) (Payload, error) {
		switch {
		case org.Role != itsm.OrgCustomer:
			return nil, refuse(itsm.CodeForbidden, cmd, f, actor, org, "only the customer may %s its follow-up", cmd)
		case !actor.HasRole(itsm.RoleApprover):
			return nil, refuse(itsm.CodeForbidden, cmd, f, actor, org, "the person is not an approver")
		case f.State != StateDrafted:
			return nil, refuse(itsm.CodeConflict, cmd, f, actor, org, "only a drafted version may be approved or rejected")
		case digest != "" && digest != f.Current().Digest:
			return nil, refuse(itsm.CodeConflict, cmd, f, actor, org, "%s (%w)", staleDigest(f, digest), itsm.ErrStale)
		}
		return payload(f), nil
	})
}

// staleDigest says what a digest other than the current draft's is: the
// digest of an earlier draft of this version (the desk redrafted since the
// customer read it), of an earlier version (corrected since), or of no
// draft of the follow-up at all, which nobody redrafted: the client hashed
// something else, such as another format of the report.
func staleDigest(f *FollowUp, digest string) string {
	cur := f.Current()
	for i := len(f.Versions) - 1; i >= 0; i-- {
		v := &f.Versions[i]
		for j := len(v.Drafts) - 1; j >= 0; j-- {
			d := v.Drafts[j]
			if d.Digest != digest {
				continue
			}
			if v.Number == cur.Number {
				last := v.Drafts[len(v.Drafts)-1]
				return fmt.Sprintf("the draft changed since it was read: digest %s is of the draft of %s, which %q redrafted at %s; "+
					"read the report again (digest %s) and decide on that",
					digest, d.At.UTC().Format(time.RFC3339), last.By.Person, last.At.UTC().Format(time.RFC3339), cur.Digest)
			}
			return fmt.Sprintf("digest %s is of version %d, which was corrected since: version %d is under review (digest %s); read it and decide on that",
				digest, v.Number, cur.Number, cur.Digest)
		}
	}
	return fmt.Sprintf("digest %s does not match this draft (digest %s), nor any earlier draft of the follow-up: "+
		"send the digest of the report's JSON, which its ETag carries", digest, cur.Digest)
}

// Correct starts version n+1 of an approved follow-up, computed now for the
// reason given, as a new draft that the customer must approve again. The
// approved version n stays exactly as it was approved, and stays in force
// (FollowUp.InForce) until the correction is approved.
func (s *Service) Correct(ctx context.Context, actor itsm.Actor, key itsm.ID, reason string) (*FollowUp, error) {
	reason = strings.TrimSpace(reason)
	if err := checkText("correction reason", reason, true); err != nil {
		return nil, err
	}
	org, err := s.viewer(ctx, actor, itsm.AccessAll)
	if err != nil {
		return nil, err
	}
	decide := func(f *FollowUp, digest string) (Payload, error) {
		switch {
		case org.Role != itsm.OrgDesk || !actor.HasRole(itsm.RoleAgent):
			return nil, refuse(itsm.CodeForbidden, "correct", f, actor, org, "only the agents of the desk correct follow-ups")
		case f.State != StateApproved:
			return nil, refuse(itsm.CodeConflict, "correct", f, actor, org, "only an approved version is corrected; a draft is redrafted")
		}
		return Corrected{By: By{By: actor}, Version: f.Current().Number + 1, Reason: reason, Digest: digest}, nil
	}
	f, err := s.peek(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case f == nil || !visible(f, org):
		return nil, notFound(key)
	}
	if _, err := decide(f, ""); err != nil {
		return nil, err
	}
	if err := s.provides(ctx, "correct", f.Month, actor, org, f.Customer); err != nil {
		return nil, err
	}
	period := periodIn(f)
	body, err := s.compute(ctx, f.Desk, f.Customer, period, f.Month)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, org, key, false, body, func(f *FollowUp) (Payload, error) { return decide(f, Digest(body)) })
}

// periodIn returns the follow-up's period in the location it was drafted in,
// so that a correction's report sees the same calendar (its trend months
// included) as the first draft. A zone that cannot be loaded here (a fixed
// offset, or no time zone database) leaves the offsets stored with it.
func periodIn(f *FollowUp) report.Period {
	loc, err := time.LoadLocation(f.Zone)
	if err != nil || f.Zone == "" {
		return f.Period
	}
	return report.Period{From: f.Period.From.In(loc), To: f.Period.To.In(loc)}
}

// actorOrg checks the actor and the rights of its organisation, and returns
// the organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	if err := s.cfg.Permissions.Check(a, itsm.DomainServiceLevel, access); err != nil {
		return org, err
	}
	return org, nil
}

// viewer is actorOrg for commands on an existing follow-up, which only a
// desk or a customer can ever see.
func (s *Service) viewer(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := s.actorOrg(ctx, a, access)
	if err != nil {
		return org, err
	}
	if org.Role != itsm.OrgDesk && org.Role != itsm.OrgCustomer {
		return org, itsm.Errorf(itsm.CodeForbidden, "%q of %s %s sees no follow-ups: they are between the desk and its customer (a supplier gets its own reports)",
			a.Person, org.Role, org.ID)
	}
	return org, nil
}

func (s *Service) checkCustomer(ctx context.Context, customer itsm.ID) error {
	if customer.IsZero() {
		return itsm.Errorf(itsm.CodeInvalid, "follow-up: customer is zero")
	}
	c, err := s.cfg.Directory.Organisation(ctx, customer)
	if err != nil {
		return itsm.Wrap(itsm.CodeInvalid, err, "follow-up: customer")
	}
	if c.Role != itsm.OrgCustomer {
		return itsm.Errorf(itsm.CodeInvalid, "follow-up: organisation %s is a %s, not a customer", c.ID, c.Role)
	}
	return nil
}

// provides refuses a desk that provides the customer no SLA. The message
// names the actor's own desk and the customer the actor named, nothing
// that another desk did.
func (s *Service) provides(ctx context.Context, cmd, month string, a itsm.Actor, org itsm.Organisation, customer itsm.ID) error {
	ok, err := s.cfg.Provides(ctx, org.ID, customer)
	if err != nil {
		return itsm.Wrap(itsm.ErrorCode(err), err, "find the agreements of desk %s with customer %s", org.ID, customer)
	}
	if !ok {
		return itsm.Errorf(itsm.CodeForbidden, "cannot %s the %s follow-up of customer %s as %q of desk %s: the desk provides the customer no SLA",
			cmd, month, customer, a.Person, org.ID)
	}
	return nil
}

// compute runs Config.Compute and returns the report's JSON, the bytes a
// version keeps.
func (s *Service) compute(ctx context.Context, desk, customer itsm.ID, period report.Period, month string) ([]byte, error) {
	r, err := s.cfg.Compute(ctx, desk, customer, period)
	if err != nil {
		return nil, itsm.Wrap(itsm.ErrorCode(err), err, "compute the %s report of customer %s", month, customer)
	}
	if r == nil {
		return nil, itsm.Errorf(itsm.CodeInternal, "compute the %s report of customer %s: no report and no error", month, customer)
	}
	if !samePeriod(r.Period, period) {
		return nil, itsm.Errorf(itsm.CodeInternal, "compute the %s report of customer %s: the report covers %s, not %s",
			month, customer, periodText(r.Period), periodText(period))
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "encode the %s report of customer %s", month, customer)
	}
	return body, nil
}

// decision is the pure part of a command: given the follow-up as stored
// (nil when it does not exist yet and the command may create it), the
// payload of what happens, or an error naming the state and the actor.
type decision func(f *FollowUp) (Payload, error)

// change runs one command on one follow-up. body, if not nil, becomes the
// report of the current version after the payload is applied.
func (s *Service) change(ctx context.Context, org itsm.Organisation, key itsm.ID, create bool, body []byte, decide decision) (*FollowUp, error) {
	var (
		out     *FollowUp
		err     error
		refused bool // the rules said no: retrying cannot help
	)
	for attempt := 1; ; attempt++ {
		refused = false
		err = s.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
			f, err := load(tx, key)
			switch {
			case itsm.IsCode(err, itsm.CodeNotFound) && create:
				f = nil
			case err != nil:
				return err
			case !create && !visible(f, org):
				return notFound(key)
			}
			p, err := decide(f)
			if err != nil {
				refused = true
				return err
			}
			out, err = s.commit(tx, key, f, p, body)
			return err
		})
		// A conflict from the store means another command changed or
		// created the follow-up since it was read: decide again on it.
		if refused || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// commit applies p to a copy of f (a new follow-up when f is nil), checks the
// frozen rule, saves it and appends the event.
func (s *Service) commit(tx itsm.WriteTx, key itsm.ID, f *FollowUp, p Payload, body []byte) (*FollowUp, error) {
	next, revision := &FollowUp{ID: key}, int64(0)
	if f != nil {
		next, revision = f.Clone(), f.Revision
	}
	at := s.now(f)
	p.apply(next, at)
	if body != nil {
		next.Current().Report = body
	}
	if err := consistent(f, next); err != nil {
		return nil, err
	}
	rec, err := record(next)
	if err != nil {
		return nil, err
	}
	rec.Version = revision
	v, err := tx.Put(rec)
	if err != nil {
		return nil, err
	}
	next.Revision = v
	e, err := event(next, p, at)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Append(e); err != nil {
		return nil, err
	}
	return next, nil
}

// consistent checks what no command may break, whatever its rules say: every
// version's report has the digest it records, and every version approved
// before the change is byte for byte as it was (the frozen rule).
func consistent(before, after *FollowUp) error {
	for _, v := range after.Versions {
		if Digest(v.Report) != v.Digest {
			return itsm.Errorf(itsm.CodeInternal, "follow-up %s version %d: report and digest %s disagree", after.ID, v.Number, v.Digest)
		}
	}
	if before == nil {
		return nil
	}
	for i, v := range before.Versions {
		if v.State != StateApproved {
			continue
		}
		if i >= len(after.Versions) || after.Versions[i].State != StateApproved || !bytes.Equal(after.Versions[i].Report, v.Report) {
			return itsm.Errorf(itsm.CodeInternal, "follow-up %s: approved version %d would change; approved reports are frozen", after.ID, v.Number)
		}
	}
	return nil
}

// now returns the service's time in UTC, but never before the follow-up's
// last change, so that a clock stepping back cannot reorder its history.
func (s *Service) now(f *FollowUp) time.Time {
	t := s.clock.Now().UTC()
	if f != nil && t.Before(f.Changed) {
		return f.Changed
	}
	return t
}

// peek reads the follow-up outside a write, or nil when there is none.
func (s *Service) peek(ctx context.Context, key itsm.ID) (*FollowUp, error) {
	var f *FollowUp
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		f, err = load(tx, key)
		return err
	})
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, nil
	}
	return f, err
}

func notFound(key itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "follow-up %s not found", key)
}

func load(tx itsm.ReadTx, key itsm.ID) (*FollowUp, error) {
	r, err := tx.Get(Kind, key)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(key)
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(r)
}

func decodeRecord(r itsm.Record) (*FollowUp, error) {
	f := new(FollowUp)
	if err := json.Unmarshal(r.Body, f); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "decode follow-up %s", r.ID)
	}
	if len(f.Versions) == 0 {
		return nil, itsm.Errorf(itsm.CodeInternal, "decode follow-up %s: no version", r.ID)
	}
	f.Revision = r.Version
	return f, nil
}

// visible reports whether org may see f: its desk and its customer.
func visible(f *FollowUp, org itsm.Organisation) bool {
	switch org.Role {
	case itsm.OrgDesk:
		return f.Desk == org.ID
	case itsm.OrgCustomer:
		return f.Customer == org.ID
	}
	return false
}

// refuse builds the error of a command the rules forbid, naming the
// follow-up's version and state and the actor.
func refuse(code itsm.Code, cmd string, f *FollowUp, a itsm.Actor, org itsm.Organisation, why string, args ...any) error {
	// The reason may wrap a cause (%w), such as itsm.ErrStale.
	return itsm.Errorf(code, "cannot %s the %s follow-up of customer %s (version %d, state %s) as %q of %s %s: %w",
		cmd, f.Month, f.Customer, f.Current().Number, f.State, a.Person, org.Role, org.ID, fmt.Errorf(why, args...))
}

// checkText accepts text of several lines (itsm.CheckText) of at most
// MaxText bytes; required refuses an empty one.
func checkText(name, v string, required bool) error {
	if required && v == "" {
		return itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	}
	return itsm.CheckText(name, v, MaxText)
}
