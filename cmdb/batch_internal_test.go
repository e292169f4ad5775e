package cmdb

import (
	"context"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// The write helpers the package's other commands (imports, planned
// changes) run many of in one transaction see what the transaction did
// before them: an item created earlier in it is a relation's target, its
// keys are taken, and a key an item let go of in it is free.
func TestOneBatchManyItems(t *testing.T) {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	dir, err := incident.NewOrganisations(desk)
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	s, err := New(ctx, Config{Store: store, Directory: dir, Permissions: itsm.NewPermissions().Grant(desk.ID, itsm.DomainCMDB, itsm.AccessAll)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent := itsm.Actor{Organisation: desk.ID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}}
	org, err := s.writer(ctx, agent, "import")
	if err != nil {
		t.Fatal(err)
	}
	server := func(host string, rs ...Relation) NewItem {
		n := NewItem{Class: "server", Relations: rs, ItemEdit: ItemEdit{Name: host, Attributes: map[string]string{"host_name": host}}}
		if _, err := s.prepareNew(ctx, org, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var a, b *Item
	err = s.write(ctx, func(c change) error {
		var err error
		if a, err = c.createItem(agent, server("a")); err != nil {
			return err
		}
		b, err = c.createItem(agent, server("b", Relation{Type: "runs_on", To: a.ID}))
		return err
	})
	if err != nil {
		t.Fatalf("an item related to one made earlier in the batch: %v", err)
	}
	err = s.write(ctx, func(c change) error {
		if _, err := c.createItem(agent, server("c")); err != nil {
			return err
		}
		_, err := c.createItem(agent, server("c"))
		return err
	})
	if !itsm.IsCode(err, itsm.CodeConflict) {
		t.Fatalf("two items of one key in a batch: %v", err)
	}
	err = s.write(ctx, func(c change) error {
		it, err := c.load(a.ID)
		if err != nil {
			return err
		}
		if err := c.setState(agent, it, StateRetired, "Ersatt"); err != nil {
			return err
		}
		_, err = c.createItem(agent, server("a"))
		return err
	})
	if err != nil {
		t.Fatalf("a key let go of in the batch: %v", err)
	}
	err = s.write(ctx, func(c change) error {
		it, err := c.load(b.ID)
		if err != nil {
			return err
		}
		e := ItemEdit{Name: "b", Attributes: map[string]string{"host_name": "b2"}}
		if _, err := c.editItem(agent, it, e); err != nil {
			return err
		}
		_, err = c.createItem(agent, server("b"))
		return err
	})
	if err != nil {
		t.Fatalf("a key an edit in the batch let go of: %v", err)
	}
	var n int
	err = store.Read(ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(ctx, tx, itsm.Query{Kind: KindItem}, func(itsm.Hit) error { n++; return nil })
	})
	if err != nil || n != 4 {
		t.Fatalf("%d items stored (%v), want a, b, the new a and the new b", n, err)
	}
}
