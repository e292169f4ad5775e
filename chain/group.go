package chain

import (
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kind is the record and event kind of groups in an itsm.Store.
const Kind = "group"

// IndexName is the unique index of group records: the organisation's ID, a
// space and the group's name folded (nameKey). It makes a name unique within
// its organisation, however its letters are cased, and lists an
// organisation's groups in name order with one prefix query.
const IndexName = "name"

// Limits on a group, so that its record stays small and a name fits an
// index value.
const (
	// MaxMembers is the most members a group has.
	MaxMembers = 1000
	// MaxEmail is the longest e-mail address of a group, in bytes (RFC 5321
	// allows 254 in a path).
	MaxEmail = 254
)

// Group is a team of one organisation of the support chain that holds
// tickets: the desk's first line, a supplier's network team. Tickets refer
// to a group by ID, so renaming it changes no history.
type Group struct {
	ID itsm.ID `json:"id"`
	// Organisation is the desk or supplier whose group it is; it never
	// changes.
	Organisation itsm.ID `json:"organisation"`
	// Name is unique within the organisation, compared without regard to
	// case: one line, at most itsm.MaxLabel bytes, trimmed.
	Name string `json:"name"`
	// Members are the people of the group, by the stable identity that
	// itsm.Actor.Person carries, sorted and each once.
	Members []string `json:"members"`
	// Active is false once the group was deactivated: it keeps its history
	// but takes no new tickets.
	Active bool `json:"active"`
	// Email is where notifications to the group go, if anywhere: a bare
	// address such as network@nordnat.example.
	Email   string    `json:"email,omitempty"`
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
	// Version is the store's version of the record, which commands check
	// (IfVersion); it is not part of the group's JSON, and servers carry it
	// in an ETag.
	Version int64 `json:"-"`
}

// Clone returns a deep copy of g.
func (g *Group) Clone() *Group {
	c := *g
	c.Members = slices.Clone(g.Members)
	return &c
}

// HasMember reports whether person is a member of g.
func (g *Group) HasMember(person string) bool {
	_, ok := slices.BinarySearch(g.Members, person)
	return ok
}

// Holder is who holds a ticket: an organisation of the support chain, one
// of its groups, and one person of that group. Group and Assignee are
// optional, but an assignee needs a group: a person holds a ticket as a
// member of one of the organisation's groups.
type Holder struct {
	Organisation itsm.ID `json:"organisation"`
	Group        itsm.ID `json:"group,omitzero"`
	Assignee     string  `json:"assignee,omitempty"`
}

// Validate checks what can be checked of h without the register: the
// organisation is set, and an assignee comes with a group. Groups.Check
// checks the group and the assignee against the register.
func (h Holder) Validate() error {
	switch {
	case h.Organisation.IsZero():
		return itsm.Errorf(itsm.CodeInvalid, "holder: organisation is zero")
	case h.Assignee != "" && h.Group.IsZero():
		return itsm.Errorf(itsm.CodeInvalid, "holder: assignee %q without a group; a person holds a ticket as a member of a group", h.Assignee)
	case h.Assignee != "" && strings.TrimSpace(h.Assignee) != h.Assignee:
		return itsm.Errorf(itsm.CodeInvalid, "holder: assignee %q has spaces around it", h.Assignee)
	}
	return itsm.CheckLabel("holder: assignee", h.Assignee)
}

// CheckHolder checks h against the register as tx sees it: the group, if
// any, is one of the organisation's and active, and the assignee, if any,
// is one of its members. A ticket command calls it inside its own write
// transaction, so that the check and the change see one register. A group
// of another organisation is reported as one the organisation does not
// have, whether it exists or not, so that a holder cannot probe for other
// organisations' groups.
func CheckHolder(tx itsm.ReadTx, h Holder) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.Group.IsZero() {
		return nil
	}
	g, err := load(tx, h.Group)
	switch {
	case itsm.IsCode(err, itsm.CodeNotFound) || err == nil && g.Organisation != h.Organisation:
		return itsm.Errorf(itsm.CodeInvalid, "holder: organisation %s has no group %s", h.Organisation, h.Group)
	case err != nil:
		return err
	case !g.Active:
		return itsm.Errorf(itsm.CodeConflict, "holder: group %q (%s) is inactive and takes no tickets", g.Name, g.ID)
	case h.Assignee != "" && !g.HasMember(h.Assignee):
		return itsm.Errorf(itsm.CodeInvalid, "holder: %q is not a member of group %q (%s)", h.Assignee, g.Name, g.ID)
	}
	return nil
}

// cleanName trims a group's name and checks it.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", itsm.Errorf(itsm.CodeInvalid, "group name is empty")
	}
	return name, itsm.CheckLabel("group name", name)
}

// nameKey folds name so that two names that strings.EqualFold finds equal
// get one key: each rune becomes the smallest rune of its Unicode simple
// case-folding orbit ('K', 'k' and the Kelvin sign all become 'K'). The
// smallest rune is never longer in UTF-8, so the key is no longer than the
// name.
func nameKey(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// uniqueName is the IndexName value of a group of org named name.
func uniqueName(org itsm.ID, name string) string { return org.String() + " " + nameKey(name) }

// cleanMembers trims, checks, sorts and deduplicates the members of a group.
func cleanMembers(members []string) ([]string, error) {
	out := make([]string, 0, len(members))
	for i, m := range members {
		m = strings.TrimSpace(m)
		if m == "" {
			return nil, itsm.Errorf(itsm.CodeInvalid, "group member %d is empty", i)
		}
		if err := itsm.CheckLabel("group member", m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxMembers {
		return nil, itsm.Errorf(itsm.CodeInvalid, "group has %d members, more than %d", len(out), MaxMembers)
	}
	return out, nil
}

// cleanEmail trims a group's e-mail address and checks that it is one bare
// address; "" means none. A display name ("Network <net@example.org>") is
// refused rather than dropped, so that what is stored is what was sent.
func cleanEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	if len(email) > MaxEmail || !utf8.ValidString(email) {
		return "", itsm.Errorf(itsm.CodeInvalid, "group e-mail is not an address of at most %d bytes of UTF-8", MaxEmail)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return "", itsm.Errorf(itsm.CodeInvalid, "group e-mail %q is not one bare address such as team@example.org", itsm.Printable(email, 100))
	}
	return email, nil
}

// record is the store record of g.
func record(g *Group) (itsm.Record, error) {
	body, err := json.Marshal(g)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode group %s", g.ID)
	}
	return itsm.Record{Kind: Kind, ID: g.ID, Version: g.Version, Body: body,
		Unique: map[string]string{IndexName: uniqueName(g.Organisation, g.Name)}}, nil
}

func decodeRecord(r itsm.Record) (*Group, error) {
	g, err := itsm.DecodeRecord[Group](r, "group")
	if err == nil {
		g.Version = r.Version
	}
	return g, err
}

func notFound(id itsm.ID) error { return itsm.Errorf(itsm.CodeNotFound, "group %s not found", id) }

// load reads a group, or fails with CodeNotFound.
func load(tx itsm.ReadTx, id itsm.ID) (*Group, error) {
	r, err := tx.Get(Kind, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(r)
}
