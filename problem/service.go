package problem

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Config is what a Service needs. Store, Directory and Permissions are
// required; Incidents is required to link incidents.
type Config struct {
	Store       itsm.Store
	Directory   chain.Organisations
	Permissions *itsm.Permissions
	// Incidents is the incident service over the same store: linking,
	// communicating a workaround and resolving linked incidents change
	// incidents in the problem command's own transaction.
	Incidents *incident.Service
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// WorksWith, if set, says whether the supplier or customer org works
	// with desk, and so may read (and, a supplier, write) its problems,
	// known errors and workarounds given the rights in itsm.DomainProblem
	// (decision 97). Nil means every supplier and customer works with
	// every desk, as in a delivery with one desk.
	WorksWith itsm.WorksWith
	// Items is the configuration management database (CM-2), which
	// package cmdb's Service implements: the configuration items that a
	// recording, Relate, or a known error's recording or revision adds
	// must be items of the desk's CMDB in use, checked in the command's
	// write transaction; those a record keeps are not checked again. Nil
	// relates problems and known errors to item IDs unchecked, as before
	// the CMDB.
	Items itsm.ConfigItems
}

// Service runs problems, known errors and workarounds over a store. It is
// safe for concurrent use.
type Service struct {
	cfg   Config
	clock itsm.Clock
	// expect is the version a command requires its record to have; zero
	// requires none. See IfVersion.
	expect int64
	// agreements are the ones a problem's clocks are measured against,
	// shared by the copies IfVersion makes.
	agreements *atomic.Pointer[[]*sla.Agreement]
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "problem: config has no store")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "problem: config has no directory")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "problem: config has no permissions")
	}
	s := &Service{cfg: cfg, clock: cfg.Clock, agreements: new(atomic.Pointer[[]*sla.Agreement])}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	s.agreements.Store(&[]*sla.Agreement{})
	return s, nil
}

// IfVersion returns a copy of s whose commands change a problem, known
// error or workaround only if its version is still v (HTTP's If-Match): a
// command decided on what its client read fails with CodeConflict
// wrapping itsm.ErrStale when someone changed the record since. The copy
// shares s's agreements.
func (s *Service) IfVersion(v int64) *Service {
	c := *s
	c.expect = v
	return &c
}

// SetAgreements replaces the agreements problems' clocks are measured
// against; only those scoped to problems (sla.ScopeProblems) measure them.
func (s *Service) SetAgreements(as []*sla.Agreement) error {
	for _, a := range as {
		if a == nil {
			return itsm.Errorf(itsm.CodeInvalid, "agreements: an agreement is nil")
		}
		if err := a.Validate(); err != nil {
			return err
		}
	}
	as = slices.DeleteFunc(slices.Clone(as), func(a *sla.Agreement) bool { return a.Scope != sla.ScopeProblems })
	s.agreements.Store(&as)
	return nil
}

// Clocks measures the clocks of a problem at at: the desk's SLA on its
// problems end to end, and the UC or OLA of each supplier and group that
// held its investigation, along the chain exactly as an incident's
// (chain.Measured). A problem serves no customer in particular.
func (s *Service) Clocks(p *Problem, at time.Time) ([]chain.Clock, error) {
	m := chain.Measured{Desk: p.Desk, Custody: &p.Custody, Timeline: p.Timeline}
	return m.Clocks(*s.agreements.Load(), at)
}

// Limits on the texts of commands, so that a record stays well within the
// store's record size however long it lives.
const (
	// MaxText is the longest description, note, reason, symptom, root
	// cause or workaround's steps, in bytes.
	MaxText = 64 << 10
	// MaxSummary is the longest summary or title: a label.
	MaxSummary = itsm.MaxLabel
	// MaxList is the most CIs, changes, error codes, services, workarounds
	// or appliers one record names.
	MaxList = 50
	// MaxPriority is the lowest priority a problem may have: 1 is the
	// highest.
	MaxPriority = 5
)

// checkText checks a command's text, trimmed of surrounding space.
func checkText(name string, v *string, required bool) error {
	return itsm.TrimText(name, v, required, MaxText)
}

// checkLabel checks a one-line text, trimmed of surrounding space.
func checkLabel(name string, v *string, required bool) error {
	return itsm.TrimLabel(name, v, required)
}

// checkLabels checks a list of labels, each trimmed, none empty, none
// twice, at most MaxList.
func checkLabels(name string, vs []string) ([]string, error) {
	if len(vs) > MaxList {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d %s, more than %d", len(vs), name, MaxList)
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if err := checkLabel(name, &v, true); err != nil {
			return nil, err
		}
		if slices.Contains(out, v) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%s: %q is given twice", name, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkIDs checks a list of IDs: none zero, none twice, at most MaxList.
func checkIDs(name string, ids []itsm.ID) ([]itsm.ID, error) {
	if len(ids) > MaxList {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d %s, more than %d", len(ids), name, MaxList)
	}
	for i, id := range ids {
		if id.IsZero() {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%s: one is zero", name)
		}
		if slices.Contains(ids[:i], id) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%s: %s is given twice", name, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return slices.Clone(ids), nil
}

// actorOrg checks the actor and its organisation's rights in the problem
// domain, and returns the organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	return org, s.cfg.Permissions.Check(a, itsm.DomainProblem, access)
}

// reads reports whether org may see the problems, known errors and
// workarounds of desk, rights aside (decision 97): the desk its own, a
// supplier or customer those of the desks it works with; another desk
// never.
func (s *Service) reads(org itsm.Organisation, desk itsm.ID) bool {
	return s.cfg.WorksWith.Allows(org, desk)
}

// deskFor decides for which desk an agent of org records a problem, known
// error or workaround: a desk's agent for their own desk (naming none or
// it), a supplier's agent for the desk it names, which must be a desk it
// works with. A customer records none: its people report incidents.
func (s *Service) deskFor(ctx context.Context, what string, actor itsm.Actor, org itsm.Organisation, desk itsm.ID) (itsm.ID, error) {
	switch {
	case org.Role == itsm.OrgCustomer:
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: a customer does not record %ss; its users report incidents to the desk", what, noun(what))
	case !actor.HasRole(itsm.RoleAgent):
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: %q of %s %s is not an agent", what, actor.Person, org.Role, org.ID)
	case org.Role == itsm.OrgDesk && !desk.IsZero() && desk != org.ID:
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: an agent of desk %s records for their own desk, not %s (SD-10)", what, org.ID, desk)
	case org.Role == itsm.OrgDesk:
		return org.ID, nil
	case desk.IsZero():
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: a supplier names the desk it records for", what)
	}
	d, err := s.cfg.Directory.Organisation(ctx, desk)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: organisation %s is unknown", what, desk)
	}
	if err != nil {
		return itsm.ID{}, err
	}
	if d.Role != itsm.OrgDesk {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: organisation %s is a %s, not a desk", what, desk, d.Role)
	}
	if !s.reads(org, desk) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: supplier %s does not work with desk %s", what, org.ID, desk)
	}
	return desk, nil
}

// noun is what the command what records, for its refusals.
func noun(what string) string {
	switch what {
	case "record known error":
		return "known error"
	case "record workaround":
		return "workaround"
	}
	return "problem"
}
