package cmdb

import (
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Model is what a deployment declares its CMDB to hold (CM-1): the classes
// of configuration items, with their attributes, unique keys and the
// relations their items may have, and the relation types with the way a
// failure travels along each. It is data, not code: Config.Model, or
// LoadModel from a JSON file.
type Model struct {
	Classes       []Class        `json:"classes"`
	RelationTypes []RelationType `json:"relation_types"`
}

// Class is a class of configuration items, such as server.
type Class struct {
	// Name identifies the class: a lower-case letter, then up to 63
	// lower-case letters, digits and '_'.
	Name string `json:"name"`
	// Label is what people read, such as "Server".
	Label string `json:"label"`
	// Attributes are the values its items carry beyond the common fields.
	Attributes []Attribute `json:"attributes,omitempty"`
	// Keys are its unique keys: each a list of attribute names whose
	// values together identify an item of the class within its desk, such
	// as [["serial_number"], ["host_name", "domain"]]. A key applies to an
	// item that has a value for each of its attributes.
	Keys [][]string `json:"keys,omitempty"`
	// Service marks business services: their items carry consumers and
	// impact analysis reports them as the services affected.
	Service bool `json:"service,omitempty"`
	// Group marks redundancy groups, such as a cluster: their items carry
	// Redundancy, how many of their members must be up.
	Group bool `json:"group,omitempty"`
	// Relations are the relation types its items may have as their
	// source, and to which classes.
	Relations []Allowed `json:"relations,omitempty"`
}

// Allowed is a relation type items of a class may have, and the classes
// of its targets; none listed means any class.
type Allowed struct {
	Type string   `json:"type"`
	To   []string `json:"to,omitempty"`
}

// AttributeType is the type of an attribute's values.
type AttributeType string

// The attribute types.
const (
	TypeText    AttributeType = "text"    // one line, at most itsm.MaxLabel bytes
	TypeInteger AttributeType = "integer" // a 64-bit integer
	TypeDecimal AttributeType = "decimal" // a decimal number, exact
	TypeBoolean AttributeType = "boolean" // true or false
	TypeDate    AttributeType = "date"    // a calendar date, 2026-12-07
	TypeEnum    AttributeType = "enum"    // one of Values
	TypeIP      AttributeType = "ip"      // an IPv4 or IPv6 address
)

// Valid reports whether t is one of the AttributeType constants.
func (t AttributeType) Valid() bool {
	switch t {
	case TypeText, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeEnum, TypeIP:
		return true
	}
	return false
}

// Attribute is one value items of a class carry.
type Attribute struct {
	Name     string        `json:"name"`
	Label    string        `json:"label,omitempty"`
	Type     AttributeType `json:"type"`
	Required bool          `json:"required,omitempty"`
	// Values are the values of an enum, in the order they are offered.
	Values []string `json:"values,omitempty"`
}

// Propagation is the way a failure travels along a relation.
type Propagation string

// The propagations.
const (
	// PropagateNone: a failure does not travel along the relation.
	PropagateNone Propagation = "none"
	// ToSource: the target's failure reaches the source, as an
	// application that depends on a database fails with it.
	ToSource Propagation = "to_source"
	// ToTarget: the source's failure reaches the target, as a member's
	// failure reaches its group.
	ToTarget Propagation = "to_target"
	// Both: a failure of either reaches the other.
	Both Propagation = "both"
)

// Valid reports whether p is one of the Propagation constants.
func (p Propagation) Valid() bool {
	switch p {
	case PropagateNone, ToSource, ToTarget, Both:
		return true
	}
	return false
}

// Effect is what a failure does when it travels along a relation.
type Effect string

// The effects.
const (
	// EffectFull: what the failure reaches is as bad as its cause.
	EffectFull Effect = "full"
	// EffectWeaken: an outage arrives as degraded service, as a phone
	// whose subscription is down can still call over Wi-Fi.
	EffectWeaken Effect = "weaken"
)

// RelationType is a kind of relation between items, read from its source
// (Label) and from its target (Inverse).
type RelationType struct {
	Name        string      `json:"name"`
	Label       string      `json:"label"`
	Inverse     string      `json:"inverse"`
	Propagation Propagation `json:"propagation"`
	// Effect is EffectFull when empty.
	Effect Effect `json:"effect,omitempty"`
}

// Limits of a model and of its items.
const (
	MaxClasses       = 200
	MaxRelationTypes = 100
	MaxAttributes    = 100
	MaxKeys          = 8
	MaxEnumValues    = 200
	// MaxRelations is the most relations one item has as their source:
	// each target is an index value of the item's record (Related finds
	// the incoming ones by it), and a record has at most
	// itsm.MaxIndexValues. Fan-out beyond it is modelled from the other
	// end, as servers that run on a site rather than a site that
	// contains them.
	MaxRelations = 200
	// MaxConsumers is the most consumers one service names.
	MaxConsumers = 200
	// MaxText is the longest reason, in bytes.
	MaxText = 4000
)

// validName reports whether s is a name of a class, attribute or relation
// type: a lower-case letter, then up to 63 lower-case letters, digits
// and '_'.
func validName(s string) bool {
	ok := len(s) >= 1 && len(s) <= 64 && 'a' <= s[0] && s[0] <= 'z'
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	return ok
}

// Class returns the class named name.
func (m Model) Class(name string) (Class, bool) {
	i := slices.IndexFunc(m.Classes, func(c Class) bool { return c.Name == name })
	if i < 0 {
		return Class{}, false
	}
	return m.Classes[i], true
}

// RelationType returns the relation type named name.
func (m Model) RelationType(name string) (RelationType, bool) {
	i := slices.IndexFunc(m.RelationTypes, func(t RelationType) bool { return t.Name == name })
	if i < 0 {
		return RelationType{}, false
	}
	return m.RelationTypes[i], true
}

// Attribute returns the attribute of c named name.
func (c Class) Attribute(name string) (Attribute, bool) {
	i := slices.IndexFunc(c.Attributes, func(a Attribute) bool { return a.Name == name })
	if i < 0 {
		return Attribute{}, false
	}
	return c.Attributes[i], true
}

// Allows reports whether items of c may have a relation of type typ to an
// item of class to.
func (c Class) Allows(typ, to string) bool {
	i := slices.IndexFunc(c.Relations, func(a Allowed) bool { return a.Type == typ })
	return i >= 0 && (len(c.Relations[i].To) == 0 || slices.Contains(c.Relations[i].To, to))
}

// Validate reports the first thing wrong with m as an *itsm.Error with
// CodeInvalid naming the class, attribute or relation type at fault.
func (m Model) Validate() error {
	switch {
	case len(m.Classes) == 0:
		return itsm.Errorf(itsm.CodeInvalid, "model: no classes")
	case len(m.Classes) > MaxClasses:
		return itsm.Errorf(itsm.CodeInvalid, "model: %d classes, more than %d", len(m.Classes), MaxClasses)
	case len(m.RelationTypes) > MaxRelationTypes:
		return itsm.Errorf(itsm.CodeInvalid, "model: %d relation types, more than %d", len(m.RelationTypes), MaxRelationTypes)
	}
	for i, t := range m.RelationTypes {
		if err := t.validate(); err != nil {
			return err
		}
		if slices.ContainsFunc(m.RelationTypes[:i], func(o RelationType) bool { return o.Name == t.Name }) {
			return itsm.Errorf(itsm.CodeInvalid, "model: relation type %s is declared twice", t.Name)
		}
	}
	for i, c := range m.Classes {
		if !validName(c.Name) {
			return itsm.Errorf(itsm.CodeInvalid, "model: class name %q is not a-z followed by up to 63 of a-z, 0-9 and _", c.Name)
		}
		if slices.ContainsFunc(m.Classes[:i], func(o Class) bool { return o.Name == c.Name }) {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s is declared twice", c.Name)
		}
	}
	// Every name first, so that a class misnamed is reported as such
	// rather than as a missing target of another's relations.
	for _, c := range m.Classes {
		if err := m.validateClass(c); err != nil {
			return err
		}
	}
	return nil
}

func (t RelationType) validate() error {
	if !validName(t.Name) {
		return itsm.Errorf(itsm.CodeInvalid, "model: relation type name %q is not a-z followed by up to 63 of a-z, 0-9 and _", t.Name)
	}
	if err := itsm.CheckLabel("relation type "+t.Name+": label", t.Label); err != nil {
		return err
	}
	if err := itsm.CheckLabel("relation type "+t.Name+": inverse", t.Inverse); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(t.Label) == "":
		return itsm.Errorf(itsm.CodeInvalid, "model: relation type %s has no label", t.Name)
	case strings.TrimSpace(t.Inverse) == "":
		return itsm.Errorf(itsm.CodeInvalid, "model: relation type %s has no inverse, its label read from the target", t.Name)
	case !t.Propagation.Valid():
		return itsm.Errorf(itsm.CodeInvalid, "model: relation type %s: propagation %q is not none, to_source, to_target or both", t.Name, t.Propagation)
	case t.Effect != "" && t.Effect != EffectFull && t.Effect != EffectWeaken:
		return itsm.Errorf(itsm.CodeInvalid, "model: relation type %s: effect %q is not full or weaken", t.Name, t.Effect)
	}
	return nil
}

func (m Model) validateClass(c Class) error {
	if err := itsm.CheckLabel("class "+c.Name+": label", c.Label); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(c.Label) == "":
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s has no label", c.Name)
	case c.Service && c.Group:
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s is both a service and a redundancy group", c.Name)
	case len(c.Attributes) > MaxAttributes:
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s has %d attributes, more than %d", c.Name, len(c.Attributes), MaxAttributes)
	case len(c.Keys) > MaxKeys:
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s has %d keys, more than %d", c.Name, len(c.Keys), MaxKeys)
	case len(c.Relations) > MaxRelationTypes:
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s allows %d relation types, more than %d", c.Name, len(c.Relations), MaxRelationTypes)
	}
	for i, a := range c.Attributes {
		if err := a.validate(c.Name); err != nil {
			return err
		}
		if slices.ContainsFunc(c.Attributes[:i], func(o Attribute) bool { return o.Name == a.Name }) {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s: attribute %s is declared twice", c.Name, a.Name)
		}
	}
	for i, k := range c.Keys {
		if len(k) == 0 {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s: key %d names no attribute", c.Name, i+1)
		}
		for j, name := range k {
			if _, ok := c.Attribute(name); !ok {
				return itsm.Errorf(itsm.CodeInvalid, "model: class %s: key %d names attribute %q, which the class does not have", c.Name, i+1, name)
			}
			if slices.Contains(k[:j], name) {
				return itsm.Errorf(itsm.CodeInvalid, "model: class %s: key %d names attribute %s twice", c.Name, i+1, name)
			}
		}
		for _, o := range c.Keys[:i] {
			if sameSet(o, k) {
				return itsm.Errorf(itsm.CodeInvalid, "model: class %s: key %d repeats key %s", c.Name, i+1, strings.Join(o, "+"))
			}
		}
	}
	for i, r := range c.Relations {
		if _, ok := m.RelationType(r.Type); !ok {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s allows relation type %q, which the model does not declare", c.Name, r.Type)
		}
		if slices.ContainsFunc(c.Relations[:i], func(o Allowed) bool { return o.Type == r.Type }) {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s allows relation type %s twice", c.Name, r.Type)
		}
		// A group counts every item whose failure reaches it as a member
		// (decision 196): a relation of its own that let a failure in
		// would make what it depends on count toward its quorum.
		if t, _ := m.RelationType(r.Type); c.Group && (t.Propagation == ToSource || t.Propagation == Both) {
			return itsm.Errorf(itsm.CodeInvalid, "model: class %s is a redundancy group, whose failures come from its members only, "+
				"but allows relation type %s, which carries a failure to its source: relate the members to what they depend on", c.Name, r.Type)
		}
		for j, to := range r.To {
			if _, ok := m.Class(to); !ok {
				return itsm.Errorf(itsm.CodeInvalid, "model: class %s: relation %s to class %q, which the model does not declare", c.Name, r.Type, to)
			}
			if slices.Contains(r.To[:j], to) {
				return itsm.Errorf(itsm.CodeInvalid, "model: class %s: relation %s names class %s twice", c.Name, r.Type, to)
			}
		}
	}
	return nil
}

func (a Attribute) validate(class string) error {
	where := "class " + class + ": attribute " + a.Name
	if !validName(a.Name) {
		return itsm.Errorf(itsm.CodeInvalid, "model: class %s: attribute name %q is not a-z followed by up to 63 of a-z, 0-9 and _", class, a.Name)
	}
	if err := itsm.CheckLabel(where+": label", a.Label); err != nil {
		return err
	}
	switch {
	case !a.Type.Valid():
		return itsm.Errorf(itsm.CodeInvalid, "model: %s: type %q is not text, integer, decimal, boolean, date, enum or ip", where, a.Type)
	case a.Type == TypeEnum && len(a.Values) == 0:
		return itsm.Errorf(itsm.CodeInvalid, "model: %s: an enum lists its values", where)
	case a.Type != TypeEnum && len(a.Values) > 0:
		return itsm.Errorf(itsm.CodeInvalid, "model: %s: only an enum lists values, not a %s", where, a.Type)
	case len(a.Values) > MaxEnumValues:
		return itsm.Errorf(itsm.CodeInvalid, "model: %s: %d values, more than %d", where, len(a.Values), MaxEnumValues)
	}
	for i, v := range a.Values {
		if strings.TrimSpace(v) != v || v == "" {
			return itsm.Errorf(itsm.CodeInvalid, "model: %s: value %q is empty or has surrounding space", where, v)
		}
		if err := itsm.CheckLabel(where+": value", v); err != nil {
			return err
		}
		if slices.ContainsFunc(a.Values[:i], func(o string) bool { return strings.EqualFold(o, v) }) {
			return itsm.Errorf(itsm.CodeInvalid, "model: %s: value %q is listed twice (case aside)", where, v)
		}
	}
	return nil
}

// sameSet reports whether a and b hold the same names.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// Canonical checks v against the attribute's type and returns its
// canonical form, the one stored and compared: trimmed of surrounding
// space; an integer without sign or leading zeros to spare and without the
// spaces that group its digits ("1 000" is "1000"); a decimal with a point
// ("3,5" is "3.5") and without trailing zeros; a boolean "true" or "false"
// from yes/no in English and Swedish, true/false or 1/0; a date as
// 2026-12-07 (a spreadsheet's midnight time after it is dropped); an enum
// value as the model spells it, case aside; an IP address as net/netip
// writes it. Blank is no value: "" and no error, whether the attribute is
// required being the item's check. Imports and commands both canonicalise
// through it, so that a re-import compares like with like.
func (a Attribute) Canonical(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	bad := func(want string) error {
		return itsm.Errorf(itsm.CodeInvalid, "attribute %s: %q is not %s", a.Name, itsm.Printable(v, 64), want)
	}
	switch a.Type {
	case TypeText:
		if err := itsm.CheckLabel("attribute "+a.Name, v); err != nil {
			return "", err
		}
		return v, nil
	case TypeInteger:
		n, err := strconv.ParseInt(ungroup(v), 10, 64)
		if err != nil {
			return "", bad("an integer")
		}
		return strconv.FormatInt(n, 10), nil
	case TypeDecimal:
		d, ok := decimal(ungroup(v))
		if !ok {
			return "", bad("a decimal number")
		}
		return d, nil
	case TypeBoolean:
		switch strings.ToLower(v) {
		case "true", "yes", "ja", "sant", "1", "y", "j":
			return "true", nil
		case "false", "no", "nej", "falskt", "0", "n":
			return "false", nil
		}
		return "", bad("a boolean (yes or no)")
	case TypeDate:
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format(time.DateOnly), nil
		}
		for _, layout := range []string{time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, v); err == nil && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
				return t.Format(time.DateOnly), nil
			}
		}
		return "", bad("a date such as 2026-12-07")
	case TypeEnum:
		if i := slices.IndexFunc(a.Values, func(o string) bool { return strings.EqualFold(o, v) }); i >= 0 {
			return a.Values[i], nil
		}
		return "", bad("one of " + strings.Join(a.Values, ", "))
	case TypeIP:
		ip, err := netip.ParseAddr(v)
		if err != nil || ip.Zone() != "" {
			return "", bad("an IP address")
		}
		return ip.String(), nil
	}
	return "", itsm.Errorf(itsm.CodeInvalid, "attribute %s: type %q is unknown", a.Name, a.Type)
}

// ungroup removes the spaces that group digits, as Swedish spreadsheets
// write "1 000 000" (with a space, a no-break space or a narrow one).
func ungroup(v string) string {
	if !strings.ContainsAny(v, " \u00a0\u202f") {
		return v
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, v)
}

// decimal returns v, digits with one point or comma and a sign, in its
// canonical form; false when it is not such a number. It works on the
// digits, not through a float, so that "0.1" stays exact.
func decimal(v string) (string, bool) {
	v = strings.Replace(v, ",", ".", 1)
	if len(v) > 100 || strings.ContainsAny(v, "eE_") {
		return "", false
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok || strings.Count(v, ".") > 1 {
		return "", false
	}
	for _, c := range strings.TrimLeft(v, "+-") {
		if c != '.' && (c < '0' || c > '9') {
			return "", false
		}
	}
	frac := 0
	if i := strings.IndexByte(v, '.'); i >= 0 {
		frac = len(v) - i - 1
	}
	s := r.FloatString(frac)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s, true
}
