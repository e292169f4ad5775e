package knowledge

import (
	"context"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// actorOrg checks the actor and its organisation's rights in knowledge,
// and returns the organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	return org, s.cfg.Permissions.Check(a, itsm.DomainKnowledge, access)
}

// works reports whether org works with desk, rights aside (itsm.WorksWith).
func (s *Service) works(org itsm.Organisation, desk itsm.ID) bool {
	return s.cfg.WorksWith.Allows(org, desk)
}

// sees reports whether org is in the audience of content of desk's.
func (s *Service) sees(org itsm.Organisation, desk itsm.ID, c *Content) bool {
	switch c.Audience {
	case AudiencePublic:
		return true
	case AudienceUsers:
		if org.Role == itsm.OrgCustomer {
			return s.works(org, desk) && (len(c.Customers) == 0 || slices.Contains(c.Customers, org.ID))
		}
		return s.works(org, desk)
	case AudienceChain:
		return org.Role != itsm.OrgCustomer && s.works(org, desk)
	}
	return false
}

// edits reports whether an agent of org, given write access, edits a:
// its owner and its desk do.
func edits(actor itsm.Actor, org itsm.Organisation, a *Article) bool {
	return actor.HasRole(itsm.RoleAgent) && (org.ID == a.Owner || org.ID == a.Desk)
}

// reads reports whether org reads a published version of a.
func (s *Service) reads(org itsm.Organisation, a *Article) bool {
	return a.Published != nil && s.sees(org, a.Desk, &a.Published.Content)
}

// visible is the tokens of Visible of the index's document of content of
// desk's: who may find it.
func visible(desk itsm.ID, c *Content) []string {
	switch c.Audience {
	case AudiencePublic:
		return []string{tokenPublic}
	case AudienceUsers:
		out := []string{tokenChain + desk.String()}
		if len(c.Customers) == 0 {
			return append(out, tokenCustomers+desk.String())
		}
		for _, id := range c.Customers {
			out = append(out, tokenCustomer+id.String())
		}
		return out
	}
	return []string{tokenChain + desk.String()}
}

// The tokens of the index's Visible and Viewer.
const (
	tokenPublic    = "public"
	tokenChain     = "chain:"     // the desk's chain: the desk and its suppliers
	tokenCustomers = "customers:" // the users of every customer working with the desk
	tokenCustomer  = "customer:"  // the users of one customer
)

// viewer is the tokens org holds among the desks the index knows: exactly
// those that make sees true, which the rules tests check against each
// other.
func (s *Service) viewer(org itsm.Organisation, desks []itsm.ID) []string {
	out := []string{tokenPublic}
	if org.Role == itsm.OrgCustomer {
		out = append(out, tokenCustomer+org.ID.String())
	}
	for _, d := range desks {
		if !s.works(org, d) {
			continue
		}
		if org.Role == itsm.OrgCustomer {
			out = append(out, tokenCustomers+d.String())
		} else {
			out = append(out, tokenChain+d.String())
		}
	}
	return out
}

// deskFor decides for which desk an agent of org writes an article: a
// desk's agent for their own, a supplier's or customer's for the desk it
// names, which it must work with.
func (s *Service) deskFor(ctx context.Context, actor itsm.Actor, org itsm.Organisation, desk itsm.ID) (itsm.ID, error) {
	switch {
	case !actor.HasRole(itsm.RoleAgent):
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "write article: %q of %s %s is not an agent", actor.Person, org.Role, org.ID)
	case org.Role == itsm.OrgDesk && !desk.IsZero() && desk != org.ID:
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "write article: an agent of desk %s writes for their own desk, not %s (SD-10)", org.ID, desk)
	case org.Role == itsm.OrgDesk:
		return org.ID, nil
	case desk.IsZero():
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "write article: a %s names the desk it writes for", org.Role)
	}
	d, err := s.cfg.Directory.Organisation(ctx, desk)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "write article: organisation %s is unknown", desk)
	}
	if err != nil {
		return itsm.ID{}, err
	}
	if d.Role != itsm.OrgDesk {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "write article: organisation %s is a %s, not a desk", desk, d.Role)
	}
	if !s.works(org, desk) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "write article: %s %s does not work with desk %s", org.Role, org.ID, desk)
	}
	return desk, nil
}

// checkContent checks and trims content written by an agent of org.
func (s *Service) checkContent(ctx context.Context, org itsm.Organisation, c *Content) error {
	if err := checkLabel("title", &c.Title, true); err != nil {
		return err
	}
	if strings.TrimSpace(c.Body) == "" {
		return itsm.Errorf(itsm.CodeInvalid, "body is empty")
	}
	if err := itsm.CheckText("body", c.Body, MaxBody); err != nil {
		return err
	}
	if err := checkLabel("service", &c.Service, false); err != nil {
		return err
	}
	if err := checkLabel("category", &c.Category, false); err != nil {
		return err
	}
	var err error
	if c.Keywords, err = checkLabels("keywords", c.Keywords, MaxKeywords); err != nil {
		return err
	}
	if !c.Audience.Valid() {
		return itsm.Errorf(itsm.CodeInvalid, "audience %q is not public, users or chain", c.Audience)
	}
	if c.Audience != AudienceUsers && len(c.Customers) > 0 {
		return itsm.Errorf(itsm.CodeInvalid, "customers are named only for audience users, not %s", c.Audience)
	}
	if len(c.Customers) > MaxCustomers {
		return itsm.Errorf(itsm.CodeInvalid, "%d customers, more than %d", len(c.Customers), MaxCustomers)
	}
	if org.Role == itsm.OrgCustomer {
		switch {
		case c.Audience == AudienceChain:
			return itsm.Errorf(itsm.CodeForbidden, "customer %s writes for its users or everyone, not for the support chain only", org.ID)
		case c.Audience == AudienceUsers && len(c.Customers) == 0:
			// A customer writes for its own users: naming none would
			// reach every customer of the desk.
			c.Customers = []itsm.ID{org.ID}
		}
	}
	for i, id := range c.Customers {
		if id.IsZero() || slices.Contains(c.Customers[:i], id) {
			return itsm.Errorf(itsm.CodeInvalid, "customers: %s is zero or given twice", id)
		}
		if org.Role == itsm.OrgCustomer && id != org.ID {
			return itsm.Errorf(itsm.CodeForbidden, "customer %s writes for its own users, not those of %s", org.ID, id)
		}
		o, err := s.cfg.Directory.Organisation(ctx, id)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			return itsm.Errorf(itsm.CodeInvalid, "customers: organisation %s is unknown", id)
		}
		if err != nil {
			return err
		}
		if o.Role != itsm.OrgCustomer {
			return itsm.Errorf(itsm.CodeInvalid, "customers: organisation %s is a %s, not a customer", id, o.Role)
		}
	}
	if len(c.Customers) == 0 {
		c.Customers = nil
	}
	return nil
}

// checkText checks a note or reason, trimmed of surrounding space.
func checkText(name string, v *string, required bool) error {
	return itsm.TrimText(name, v, required, MaxText)
}

// checkLabel checks a one-line text, trimmed of surrounding space.
func checkLabel(name string, v *string, required bool) error {
	return itsm.TrimLabel(name, v, required)
}

// checkLabels checks a list of labels, each trimmed, none empty, none
// twice (ignoring case), at most limit.
func checkLabels(name string, vs []string, limit int) ([]string, error) {
	if len(vs) > limit {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d %s, more than %d", len(vs), name, limit)
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if err := checkLabel(name, &v, true); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, v) }) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%s: %q is given twice", name, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
