package cmdb

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Get returns an item: to its desk, and to the suppliers and customers
// that work with the desk, given read access to the CMDB.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Item, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out *Item
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out, err = s.readable(tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// history reads the events of an item the actor may read.
func (s *Service) history(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Item, []itsm.Event, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, nil, err
	}
	var it *Item
	var es []itsm.Event
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if it, err = s.readable(tx, org, id); err != nil {
			return err
		}
		es, err = itsm.AllEventsOf(tx, KindItem, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return it, es, nil
}

// ItemAt returns the item as it was at the instant at, rebuilt from its
// events up to then (CM-1: what did this item look like on date D). Its
// Version is zero: versions count the record's writes, not its events.
// An item registered after at is not found.
func (s *Service) ItemAt(ctx context.Context, actor itsm.Actor, id itsm.ID, at time.Time) (*Item, error) {
	it, es, err := s.history(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	n := 0
	for n < len(es) && !es[n].Time.After(at) {
		n++
	}
	if n == 0 {
		return nil, itsm.Errorf(itsm.CodeNotFound, "item %s was registered at %s, after %s", it.Number,
			it.Created.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	return Replay(es[:n])
}

// Revision is one change of an item's history: its event, decoded.
type Revision struct {
	// Seq is the event's position in the store's log.
	Seq int64 `json:"seq"`
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Type is the event's type, such as "cmdb.item.edited".
	Type string `json:"type"`
	// By is who made the change.
	By itsm.Actor `json:"by"`
	// Payload is the event's data.
	Payload Payload `json:"payload"`
}

// History returns every change of an item, oldest first, to whoever
// reads the item.
func (s *Service) History(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]Revision, error) {
	_, es, err := s.history(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out := make([]Revision, 0, len(es))
	for _, e := range es {
		p, err := itemCodec.Decode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, Revision{Seq: e.Seq, Time: e.Time.UTC(), Type: e.Type, By: p.Actor(), Payload: p})
	}
	return out, nil
}

// Filter selects the items List returns, all of one desk's CMDB. Every
// field set must match.
type Filter struct {
	// Desk is the desk whose items are listed: zero means the actor's
	// own, for a desk's agent; a supplier or customer names a desk it
	// works with.
	Desk     itsm.ID
	Class    string
	State    State
	Supplier itsm.ID // the organisation responsible: the desk for its own items
	// Name selects the items whose name begins with it, case aside; the
	// list is then in the order of names.
	Name string
	// Key, with Class, selects the item whose values of one of the
	// class's keys are these: {"serial_number": "X123"}.
	Key map[string]string
	// Limit is the page size (0 means itsm.DefaultLimit); After
	// continues from an earlier page's Next.
	Limit int
	After itsm.Cursor
}

// Page is one page of a list.
type Page struct {
	Items []*Item `json:"items"`
	// Next continues the list; "" when it is complete.
	Next itsm.Cursor `json:"next,omitempty"`
}

// List returns one page of a desk's items that match f, to whoever reads
// them.
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	switch {
	case f.Desk.IsZero() && org.Role == itsm.OrgDesk:
		f.Desk = org.ID
	case f.Desk.IsZero():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "list items: a %s names the desk whose items it lists", org.Role)
	case !s.reads(org, f.Desk):
		return Page{}, itsm.Errorf(itsm.CodeForbidden, "list items: %s %s does not work with desk %s", org.Role, org.ID, f.Desk)
	case f.State != "" && !f.State.Valid():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "state %q is not planned, production, maintenance or retired", f.State)
	}
	limit, err := itsm.ValidateLimit(f.Limit)
	if err != nil {
		return Page{}, err
	}
	q := itsm.Query{Kind: KindItem, Index: IndexDesk, Match: itsm.MatchEqual, Value: f.Desk.String(), Limit: limit, After: f.After}
	var class Class
	if f.Class != "" {
		if class, err = s.cfg.Model.class(f.Class); err != nil {
			return Page{}, err
		}
	}
	switch {
	case len(f.Key) > 0:
		if f.Class == "" {
			return Page{}, itsm.Errorf(itsm.CodeInvalid, "list items: a key is looked up in a class")
		}
		i := slices.IndexFunc(class.Keys, func(k []string) bool { return len(k) == len(f.Key) && allIn(k, f.Key) })
		if i < 0 {
			return Page{}, itsm.Errorf(itsm.CodeInvalid, "list items: class %s has no key of exactly the attributes given", f.Class)
		}
		attrs, err := canonicalKey(class, f.Key)
		if err != nil {
			return Page{}, err
		}
		v := keyValue(f.Desk, keyValues(class.Keys[i], attrs))
		if v == "" {
			return Page{}, itsm.Errorf(itsm.CodeInvalid, "list items: a key value is blank")
		}
		q.Index, q.Value = keyIndex(f.Class, class.Keys[i]), v
	case f.Name != "":
		q.Index, q.Match, q.Value = IndexName, itsm.MatchPrefix, nameValue(f.Desk, f.Name)
	case f.Class != "":
		q.Index, q.Value = IndexClass, deskValue(f.Desk, f.Class)
	case !f.Supplier.IsZero():
		q.Index, q.Value = IndexSupplier, deskValue(f.Desk, f.Supplier.String())
	case f.State != "":
		q.Index, q.Value = IndexState, deskValue(f.Desk, string(f.State))
	}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out.Items, out.Next, err = itsm.LoadPage(tx, q, loadItem, func(it *Item) bool {
			return it.Desk == f.Desk && (f.Class == "" || it.Class == f.Class) && (f.State == "" || it.State == f.State) &&
				(f.Supplier.IsZero() || it.Responsible() == f.Supplier) &&
				(f.Name == "" || strings.HasPrefix(strings.ToLower(it.Name), strings.ToLower(f.Name)))
		})
		return err
	})
	if err != nil {
		return Page{}, err
	}
	return out, nil
}

// allIn reports whether every name is a key of m.
func allIn(names []string, m map[string]string) bool {
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return false
		}
	}
	return true
}

// canonicalKey canonicalises the values of a key looked up.
func canonicalKey(class Class, key map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(key))
	for name, v := range key {
		a, _ := class.Attribute(name)
		c, err := a.Canonical(v)
		if err != nil {
			return nil, itsm.Wrap(itsm.CodeInvalid, err, "class %s", class.Name)
		}
		out[name] = c
	}
	return out, nil
}

// Summary is what a link or an impact shows of an item.
type Summary struct {
	ID       itsm.ID     `json:"id"`
	Number   itsm.Number `json:"number"`
	Class    string      `json:"class"`
	Name     string      `json:"name"`
	State    State       `json:"state"`
	Supplier itsm.ID     `json:"supplier,omitzero"`
}

func (it *Item) summary() Summary {
	return Summary{ID: it.ID, Number: it.Number, Class: it.Class, Name: it.Name, State: it.State, Supplier: it.Supplier}
}

// Link is one relation of an item, read from the item: one it has
// (Outgoing, read by the type's label) or one another item has to it
// (read by the type's inverse).
type Link struct {
	Type     string  `json:"type"`
	Label    string  `json:"label"`
	Outgoing bool    `json:"outgoing"`
	Item     Summary `json:"item"`
}

// Related returns the relations of an item in both directions: those it
// has, then those other items have to it, each in the order of type and
// number. Retired items are listed, with their state.
func (s *Service) Related(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]Link, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out []Link
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		it, err := s.readable(tx, org, id)
		if err != nil {
			return err
		}
		var in []Link
		for _, r := range it.Relations {
			to, err := loadItem(tx, r.To)
			if err != nil {
				return err
			}
			out = append(out, Link{Type: r.Type, Label: s.label(r.Type, true), Outgoing: true, Item: to.summary()})
		}
		err = itsm.Scan(ctx, tx, itsm.Query{Kind: KindItem, Index: IndexTarget, Match: itsm.MatchEqual, Value: id.String(), Limit: itsm.MaxLimit},
			func(h itsm.Hit) error {
				from, err := itsm.DecodeRecord[Item](h.Record, "item")
				if err != nil {
					return err
				}
				if from.Desk != it.Desk {
					return nil
				}
				for _, r := range from.Relations {
					if r.To == id {
						in = append(in, Link{Type: r.Type, Label: s.label(r.Type, false), Item: from.summary()})
					}
				}
				return nil
			})
		if err != nil {
			return err
		}
		byTypeNumber := func(a, b Link) int {
			if c := strings.Compare(a.Type, b.Type); c != 0 {
				return c
			}
			return cmp.Compare(a.Item.Number.Seq, b.Item.Number.Seq)
		}
		slices.SortFunc(out, byTypeNumber)
		slices.SortFunc(in, byTypeNumber)
		out = append(out, in...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// label is how a relation of type typ reads from its source (outgoing) or
// its target; the type's name when the model no longer has it.
func (s *Service) label(typ string, outgoing bool) string {
	t, ok := s.cfg.Model.RelationType(typ)
	switch {
	case !ok:
		return typ
	case outgoing:
		return t.Label
	}
	return t.Inverse
}
