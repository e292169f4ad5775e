package cmdb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
)

// The fields a column of an import fills.
type fieldKind uint8

const (
	fieldNone fieldKind = iota // a column the import ignores
	fieldName
	fieldState
	fieldOwner
	fieldAttribute
)

// field is what one column of an import's file fills.
type field struct {
	kind fieldKind
	attr Attribute // fieldAttribute
}

// The fields an import maps columns to, besides the class's attributes.
const (
	FieldName        = "name"
	FieldState       = "state"
	FieldObjectOwner = "object_owner"
	// FieldAttributePrefix names an attribute explicitly, as in
	// "attributes.host_name", for a class with an attribute called name,
	// state or object_owner; the attribute's name alone serves otherwise.
	FieldAttributePrefix = "attributes."
)

// importField resolves the name of a field an import fills from a column.
func (c Class) importField(name string) (field, error) {
	switch name {
	case FieldName:
		return field{kind: fieldName}, nil
	case FieldState:
		return field{kind: fieldState}, nil
	case FieldObjectOwner:
		return field{kind: fieldOwner}, nil
	}
	if a, ok := c.Attribute(strings.TrimPrefix(name, FieldAttributePrefix)); ok {
		return field{kind: fieldAttribute, attr: a}, nil
	}
	return field{}, itsm.Errorf(itsm.CodeInvalid, "import: %q is not a field of class %s: name, state, object_owner or one of its attributes",
		itsm.Printable(name, 64), c.Name)
}

// label is the name the field goes by in a discrepancy: as ItemEdited's
// Changed names it.
func (f field) label() string {
	switch f.kind {
	case fieldName:
		return FieldName
	case fieldState:
		return FieldState
	case fieldOwner:
		return FieldObjectOwner
	}
	return FieldAttributePrefix + f.attr.Name
}

// reconciler compares the rows of one import's file with the CMDB, row
// after row, in the dry run and again in the apply: the same code on the
// same bytes, so that an unchanged CMDB gives the same discrepancies.
//
// A row's outcome must not depend on what the rows before it change, or
// an apply, which sees its own writes, would differ from the dry run,
// which writes nothing. So each row claims the item it identifies and
// every key value it creates, gives up or takes, and a later row that
// names a claimed item or value is refused as a duplicate (in both runs
// alike) instead of being compared with the earlier row's outcome.
//
// The claims are the only state that grows with the file: an entry of a
// 16-byte key and a 4-byte row in a Go map, some 40 bytes with the map's
// overhead, per row that identifies an item, per key of a row that
// creates one, and per key value a row changes (two: the old and the
// new). A re-import of 100,000 unchanged servers holds some 4 MB.
type reconciler struct {
	s     *Service
	imp   *Import
	class Class
	// cols is the field of each column of the file's header.
	cols []field
	// header is the file's header, to name columns in discrepancies.
	header []string
	// attrCol is the 1-based column of each attribute mapped.
	attrCol map[string]int
	// items are the items identified so far, by the row that did.
	items map[itsm.ID]int32
	// values are the key values claimed so far, as claim digests, by the
	// row that did.
	values map[[16]byte]int32
}

// newReconciler prepares the reconciliation of imp's rows, whose file has
// header: every column imp maps must be in it (by its name, exactly, or
// else letter case aside).
func (s *Service) newReconciler(imp *Import, header []string) (*reconciler, error) {
	class, err := s.cfg.Model.class(imp.Class)
	if err != nil {
		return nil, err
	}
	r := &reconciler{s: s, imp: imp, class: class, cols: make([]field, len(header)), header: header,
		attrCol: map[string]int{}, items: map[itsm.ID]int32{}, values: map[[16]byte]int32{}}
	for _, h := range sortedKeys(imp.Columns) {
		i := slices.Index(header, h)
		if i < 0 {
			i = slices.IndexFunc(header, func(x string) bool { return strings.EqualFold(x, h) })
		}
		if i < 0 {
			return nil, itsm.Errorf(itsm.CodeInvalid, "import: the file has no column %q; its header names %s",
				itsm.Printable(h, 64), itsm.Printable(strings.Join(header, ", "), 400))
		}
		f, err := class.importField(imp.Columns[h])
		if err != nil {
			return nil, err
		}
		r.cols[i] = f
		if f.kind == fieldAttribute {
			r.attrCol[f.attr.Name] = i + 1
		}
	}
	return r, nil
}

// plan is what applying a row does: create an item, or change one.
type plan struct {
	create *NewItem
	item   *Item
	edit   *ItemEdit // nil: no descriptive field changes
	state  State     // "": the state stays
}

// cells are the values of one row, checked and canonical.
type cells struct {
	name, owner string
	state       State
	// attrs holds the attributes mapped, blank ("") included, since a
	// blank cell clears the attribute.
	attrs map[string]string
	// bad is the first cell that is not a valid value of its field.
	bad *Discrepancy
}

// read checks and canonicalises the cells of row: every column mapped,
// so that the first bad cell is reported with its column and the valid
// ones still identify the item.
func (r *reconciler) read(row sheet.Row) cells {
	c := cells{attrs: make(map[string]string, len(r.attrCol))}
	for i, f := range r.cols {
		if f.kind == fieldNone || i >= len(row.Cells) {
			continue
		}
		v, err := r.cell(f, row.Cells[i])
		if err != nil {
			if c.bad == nil {
				d := r.refused(row.Number, RefusedInvalid, i+1, "%s", message(err))
				c.bad = &d
			}
			continue
		}
		switch f.kind {
		case fieldName:
			c.name = v
		case fieldState:
			c.state = State(v)
		case fieldOwner:
			c.owner = v
		case fieldAttribute:
			c.attrs[f.attr.Name] = v
		}
	}
	return c
}

// cell checks one cell of field f and returns its canonical value.
func (r *reconciler) cell(f field, v string) (string, error) {
	switch f.kind {
	case fieldName:
		return v, itsm.TrimLabel("name", &v, false)
	case fieldOwner:
		return v, itsm.TrimLabel("object owner", &v, false)
	case fieldState:
		st := State(strings.ToLower(strings.TrimSpace(v)))
		switch {
		case st == "":
			return "", nil
		case st == StateRetired:
			return "", itsm.Errorf(itsm.CodeInvalid, "an import does not retire items: the desk or the supplier retires an item the file no longer lists")
		case !st.Valid():
			return "", itsm.Errorf(itsm.CodeInvalid, "state %q is not planned, production or maintenance", itsm.Printable(v, 64))
		}
		return string(st), nil
	}
	return f.attr.Canonical(v)
}

// refused is a refusal of row because of column col (0 the whole row).
func (r *reconciler) refused(row int, why Refusal, col int, format string, args ...any) Discrepancy {
	d := Discrepancy{Kind: DiscrepancyRefused, Row: row, Reason: why, Column: col, Message: fmt.Sprintf(format, args...)}
	if col > 0 && col <= len(r.header) {
		d.Header = r.header[col-1]
	}
	return d
}

// keyColumn is the column of the first attribute of key k that the row
// lacks a value of, or of k's first attribute.
func (r *reconciler) keyColumn(k []string, attrs map[string]string) int {
	for _, a := range k {
		if attrs[a] == "" && r.attrCol[a] > 0 {
			return r.attrCol[a]
		}
	}
	return r.attrCol[k[0]]
}

// claim is the digest under which a row claims value of key k.
func (r *reconciler) claim(k []string, value string) [16]byte {
	h := sha256.Sum256([]byte(keyIndex(r.class.Name, k) + "\x00" + value))
	return [16]byte(h[:16])
}

// row reconciles one row of the file with the CMDB as tx sees it: its
// discrepancy, and the plan that applies it (nil for a row that changes
// nothing or is refused). Only the store's failures are errors.
func (r *reconciler) row(tx itsm.ReadTx, row sheet.Row) (Discrepancy, *plan, error) {
	imp, class := r.imp, r.class
	c := r.read(row)

	// Identify the item by every key the row has all the values of.
	var found *Item
	var key string
	var create [][16]byte
	complete := 0
	for _, k := range class.Keys {
		vals := keyValues(k, c.attrs)
		v := keyValue(imp.Desk, vals)
		if v == "" {
			continue
		}
		complete++
		label := keyLabel(k, vals)
		if key == "" {
			key = label
		}
		claim := r.claim(k, v)
		if first, dup := r.values[claim]; dup {
			d := r.refused(row.Number, RefusedDuplicate, r.attrCol[k[0]], "key %s is in row %d too", label, first)
			d.Key = label
			return d, nil, nil
		}
		create = append(create, claim)
		it := found
		if found == nil || keyValue(imp.Desk, keyValues(k, found.Attributes)) != v {
			// The item found holds its own key values: only another
			// value needs the index.
			var err error
			if it, err = lookupKey(tx, imp.Desk, class.Name, k, c.attrs, found); err != nil {
				return Discrepancy{}, nil, err
			}
		}
		switch {
		case it == nil:
		case found == nil:
			found, key = it, label
		case found.ID != it.ID:
			// The file names both, if ambiguously: neither is missing
			// from it.
			for _, id := range []itsm.ID{found.ID, it.ID} {
				if _, dup := r.items[id]; !dup {
					r.items[id] = int32(row.Number)
				}
			}
			d := r.refused(row.Number, RefusedConflict, r.attrCol[k[0]], "key %s is %s's, but key %s is %s's", key, found.Number, label, it.Number)
			d.Key = key
			return d, nil, nil
		}
	}
	if complete == 0 {
		if c.bad != nil {
			return *c.bad, nil, nil
		}
		k := class.Keys[0]
		return r.refused(row.Number, RefusedNoKey, r.keyColumn(k, c.attrs), "the row has no value of any key of class %s: %s",
			class.Name, keyNames(class.Keys)), nil, nil
	}
	if found != nil {
		if first, dup := r.items[found.ID]; dup {
			d := r.refused(row.Number, RefusedDuplicate, 0, "%s (%s) is in row %d too", found.Number, key, first)
			d.Key, d.Item, d.Number, d.Name = key, found.ID, found.Number, found.Name
			return d, nil, nil
		}
		r.items[found.ID] = int32(row.Number)
	} else {
		for _, claim := range create {
			r.values[claim] = int32(row.Number)
		}
	}
	if c.bad != nil {
		d := *c.bad
		d.Key = key
		if found != nil {
			d.Item, d.Number, d.Name = found.ID, found.Number, found.Name
		}
		return d, nil, nil
	}
	if found == nil {
		return r.created(row.Number, key, c)
	}
	return r.updated(tx, row.Number, key, found, c)
}

// lookupKey is findByKey that does not decode the item again when it is
// known, the one another key of the row found: a row's keys mostly name
// one item.
func lookupKey(tx itsm.ReadTx, desk itsm.ID, class string, key []string, attrs map[string]string, known *Item) (*Item, error) {
	v := keyValue(desk, keyValues(key, attrs))
	if v == "" {
		return nil, nil
	}
	page, err := tx.Query(itsm.Query{Kind: KindItem, Index: keyIndex(class, key), Match: itsm.MatchEqual, Value: v, Limit: 1})
	switch {
	case err != nil || len(page.Matches) == 0:
		return nil, err
	case known != nil && page.Matches[0].Record.ID == known.ID:
		return known, nil
	}
	it, err := itsm.DecodeRecord[Item](page.Matches[0].Record, "item")
	if err != nil {
		return nil, err
	}
	it.Version = page.Matches[0].Record.Version
	return it, nil
}

// created is the discrepancy and plan of a row that identifies no item.
func (r *reconciler) created(row int, key string, c cells) (Discrepancy, *plan, error) {
	n := NewItem{Desk: r.imp.Desk, Class: r.class.Name, State: c.state,
		ItemEdit: ItemEdit{Name: c.name, Supplier: r.imp.Supplier, ObjectOwner: c.owner, Attributes: c.attrs}}
	if n.Name == "" {
		n.Name = itsm.Printable(keyName(r.class.Keys, c.attrs), itsm.MaxLabel)
	}
	if n.State == "" {
		n.State = StateProduction
	}
	if d, ok := r.check(row, key, nil, &n.ItemEdit); !ok {
		return d, nil, nil
	}
	d := Discrepancy{Kind: DiscrepancyCreated, Row: row, Key: key, Name: n.Name,
		Changes: []FieldChange{{Field: FieldName, New: n.Name}, {Field: FieldState, New: string(n.State)}}}
	if n.ObjectOwner != "" {
		d.Changes = append(d.Changes, FieldChange{Field: FieldObjectOwner, New: n.ObjectOwner})
	}
	for _, a := range sortedKeys(n.Attributes) {
		d.Changes = append(d.Changes, FieldChange{Field: FieldAttributePrefix + a, New: n.Attributes[a]})
	}
	return d, &plan{create: &n}, nil
}

// updated is the discrepancy and plan of a row that identifies it: the
// fields the file maps take the row's values, the others stay.
func (r *reconciler) updated(tx itsm.ReadTx, row int, key string, it *Item, c cells) (Discrepancy, *plan, error) {
	ident := func(d Discrepancy) Discrepancy {
		d.Key, d.Item, d.Number, d.Name = key, it.ID, it.Number, it.Name
		return d
	}
	// A retired item has let go of its keys: no row finds it, and one
	// that names its key values makes the item that replaces it.
	if it.Supplier != r.imp.Supplier {
		return ident(r.refused(row, RefusedSupplier, 0, "%s is the responsibility of %s, not of the import's %s; the desk hands an item to another",
			it.Number, it.Responsible(), r.imp.responsible())), nil, nil
	}
	e := ItemEdit{Name: it.Name, Supplier: it.Supplier, ObjectOwner: it.ObjectOwner, Attributes: clone(it.Attributes),
		Redundancy: it.Redundancy, Consumers: it.Consumers}
	if c.name != "" {
		e.Name = c.name
	}
	if r.mapped(fieldOwner) {
		e.ObjectOwner = c.owner
	}
	for a, v := range c.attrs {
		e.Attributes[a] = v
	}
	if d, ok := r.check(row, key, it, &e); !ok {
		return d, nil, nil
	}
	// A key value the row changes must be free: held by no other item,
	// given by no earlier row; the old value and the new are the row's.
	var claims [][16]byte
	for _, k := range r.class.Keys {
		was, now := keyValue(it.Desk, keyValues(k, it.Attributes)), keyValue(it.Desk, keyValues(k, e.Attributes))
		if was == now {
			continue
		}
		label := keyLabel(k, keyValues(k, e.Attributes))
		if now != "" {
			claim := r.claim(k, now)
			if first, dup := r.values[claim]; dup {
				return ident(r.refused(row, RefusedDuplicate, r.attrCol[k[0]], "key %s is in row %d too", label, first)), nil, nil
			}
			other, err := findByKey(tx, it.Desk, r.class.Name, k, e.Attributes)
			if err != nil {
				return Discrepancy{}, nil, err
			}
			if other != nil && other.ID != it.ID {
				return ident(r.refused(row, RefusedConflict, r.attrCol[k[0]], "key %s is %s's already", label, other.Number)), nil, nil
			}
			claims = append(claims, claim)
		}
		if was != "" {
			claims = append(claims, r.claim(k, was))
		}
	}
	for _, claim := range claims {
		r.values[claim] = int32(row)
	}
	p := &plan{item: it}
	d := ident(Discrepancy{Kind: DiscrepancyUnchanged, Row: row})
	for _, f := range edited(it, &e) {
		old, now := it.field(f), e.field(f)
		d.Changes = append(d.Changes, FieldChange{Field: f, Old: old, New: now})
		p.edit = &e
	}
	if c.state != "" && c.state != it.State {
		d.Changes = append(d.Changes, FieldChange{Field: FieldState, Old: string(it.State), New: string(c.state)})
		p.state = c.state
	}
	if len(d.Changes) == 0 {
		return d, nil, nil
	}
	d.Kind = DiscrepancyUpdated
	return d, p, nil
}

// check checks the fields of the item a row makes (was nil) or changes
// as the commands check them, and reports a refusal when they fail.
func (r *reconciler) check(row int, key string, was *Item, e *ItemEdit) (Discrepancy, bool) {
	refuse := func(d Discrepancy) (Discrepancy, bool) {
		d.Key = key
		if was != nil {
			d.Item, d.Number, d.Name = was.ID, was.Number, was.Name
		}
		return d, false
	}
	for _, a := range r.class.Attributes {
		if a.Required && strings.TrimSpace(e.Attributes[a.Name]) == "" {
			return refuse(r.refused(row, RefusedRequired, r.attrCol[a.Name], "attribute %s is required", a.Name))
		}
	}
	// The supplier was checked once for the whole import: not again for
	// each row, at a look-up in the directory each.
	supplier := e.Supplier
	e.Supplier = itsm.ID{}
	err := r.s.checkFields(context.Background(), r.imp.Desk, r.class, e)
	e.Supplier = supplier
	if err != nil {
		return refuse(r.refused(row, RefusedInvalid, 0, "%s", message(err)))
	}
	return Discrepancy{}, true
}

// mapped reports whether a column fills a field of kind k.
func (r *reconciler) mapped(k fieldKind) bool {
	return slices.ContainsFunc(r.cols, func(f field) bool { return f.kind == k })
}

// missing hands fn a discrepancy for each item of the import's class,
// desk and supplier that no row identified, not retired, in the order of
// their IDs, reading one page of q's matches in tx: the caller runs it
// page after page (q.After from the returned cursor) until the cursor is
// "".
func (r *reconciler) missing(tx itsm.ReadTx, after itsm.Cursor, fn func(Discrepancy)) (itsm.Cursor, error) {
	page, err := tx.Query(itsm.Query{Kind: KindItem, Index: IndexClass, Match: itsm.MatchEqual,
		Value: deskValue(r.imp.Desk, r.class.Name), Limit: itsm.MaxLimit, After: after})
	if err != nil {
		return "", err
	}
	for _, h := range page.Matches {
		if _, listed := r.items[h.Record.ID]; listed {
			continue // most of a full inventory's items: not decoded
		}
		it, err := itsm.DecodeRecord[Item](h.Record, "item")
		if err != nil {
			return "", err
		}
		if it.State == StateRetired || it.Supplier != r.imp.Supplier || it.Desk != r.imp.Desk {
			continue
		}
		k := keyLabelOf(r.class.Keys, it.Attributes)
		fn(Discrepancy{Kind: DiscrepancyMissing, Key: k, Item: it.ID, Number: it.Number, Name: it.Name})
	}
	return page.Next, nil
}

// field returns the value of the field named as ItemEdited's Changed
// names it: name, object_owner or attributes.<name>; "" for another.
func (it *Item) field(f string) string {
	e := ItemEdit{Name: it.Name, ObjectOwner: it.ObjectOwner, Attributes: it.Attributes}
	return e.field(f)
}

func (e *ItemEdit) field(f string) string {
	switch f {
	case FieldName:
		return e.Name
	case FieldObjectOwner:
		return e.ObjectOwner
	}
	if a, ok := strings.CutPrefix(f, FieldAttributePrefix); ok {
		return e.Attributes[a]
	}
	return ""
}

// keyLabel writes a key's values for people: "host_name=app01", or
// "host_name=app01, domain=city.se" for a key of several attributes.
func keyLabel(k, vals []string) string {
	var b strings.Builder
	for i, a := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a)
		b.WriteByte('=')
		b.WriteString(vals[i])
	}
	return b.String()
}

// keyLabelOf is the label of the first of keys attrs has every value of;
// "" when none.
func keyLabelOf(keys [][]string, attrs map[string]string) string {
	for _, k := range keys {
		vals := keyValues(k, attrs)
		if !slices.Contains(vals, "") {
			return keyLabel(k, vals)
		}
	}
	return ""
}

// keyName is the name a new item gets when the file gives none: the
// values of its first complete key.
func keyName(keys [][]string, attrs map[string]string) string {
	for _, k := range keys {
		vals := keyValues(k, attrs)
		if !slices.Contains(vals, "") {
			return strings.Join(vals, " ")
		}
	}
	return ""
}

// keyNames lists a class's keys for people: "host_name; serial_number".
func keyNames(keys [][]string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = strings.Join(k, "+")
	}
	return strings.Join(names, "; ")
}

// clone copies a map of attributes, never nil.
func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// message is err's text without its code, for a discrepancy's Message.
func message(err error) string {
	var e *itsm.Error
	if errors.As(err, &e) {
		return e.Text()
	}
	return err.Error()
}
