package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

func TestDirectoryOrganisations(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			w := newWorld(t, open(t))
			ctx := w.ctx

			got, err := w.dir.Organisation(ctx, w.supplier.ID)
			if err != nil || got != w.supplier || got.Name != "Network Supplier" || got.Role != itsm.OrgSupplier {
				t.Fatalf("organisation %+v %v", got, err)
			}
			if _, err := w.dir.Organisation(ctx, itsm.NewID()); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("unknown: %v", err)
			}

			// Validation, and names unique regardless of case.
			for _, c := range []struct {
				why  string
				o    itsm.Organisation
				code itsm.Code
			}{
				{"no name", itsm.Organisation{Role: itsm.OrgSupplier}, itsm.CodeInvalid},
				{"a blank name", itsm.Organisation{Name: " \t", Role: itsm.OrgSupplier}, itsm.CodeInvalid},
				{"a name of two lines", itsm.Organisation{Name: "a\nb", Role: itsm.OrgSupplier}, itsm.CodeInvalid},
				{"a long name", itsm.Organisation{Name: strings.Repeat("x", auth.MaxName+1), Role: itsm.OrgSupplier}, itsm.CodeInvalid},
				{"a name not UTF-8", itsm.Organisation{Name: "\xff", Role: itsm.OrgSupplier}, itsm.CodeInvalid},
				{"no role", itsm.Organisation{Name: "New"}, itsm.CodeInvalid},
				{"an unknown role", itsm.Organisation{Name: "New", Role: "vendor"}, itsm.CodeInvalid},
				{"a taken name", itsm.Organisation{Name: "network supplier", Role: itsm.OrgSupplier}, itsm.CodeConflict},
				{"a taken ID", itsm.Organisation{ID: w.desk.ID, Name: "Other", Role: itsm.OrgDesk}, itsm.CodeConflict},
			} {
				if _, err := w.dir.Create(ctx, w.admin, c.o); !itsm.IsCode(err, c.code) {
					t.Errorf("create with %s: %v, want %s", c.why, err, c.code)
				}
			}
			// A given ID is kept; names are trimmed.
			id := itsm.NewID()
			storage, err := w.dir.Create(ctx, w.admin, itsm.Organisation{ID: id, Name: "  Storage Supplier ", Role: itsm.OrgSupplier})
			if err != nil || storage.ID != id || storage.Name != "Storage Supplier" {
				t.Fatalf("create %+v %v", storage, err)
			}

			// Update: name and role; a taken name is refused.
			renamed, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: id, Name: "Storage & Backup", Role: itsm.OrgSupplier})
			if err != nil || renamed.Name != "Storage & Backup" {
				t.Fatalf("update %+v %v", renamed, err)
			}
			if _, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: id, Name: "CITY SERVICE DESK", Role: itsm.OrgSupplier}); !itsm.IsCode(err, itsm.CodeConflict) {
				t.Errorf("rename to a taken name: %v", err)
			}
			if _, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: itsm.NewID(), Name: "X", Role: itsm.OrgSupplier}); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("update unknown: %v", err)
			}
			if _, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: auth.AdminOrganisation, Name: "Admins", Role: itsm.OrgSupplier}); !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Errorf("the administration organisation made a supplier: %v", err)
			}
			if _, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: auth.AdminOrganisation, Name: "Admins", Role: itsm.OrgDesk}); err != nil {
				t.Errorf("rename the administration organisation: %v", err)
			}

			// Remove: gone for lookups and listings, ID taken, name free.
			if err := w.dir.Remove(ctx, w.admin, id); err != nil {
				t.Fatal(err)
			}
			if _, err := w.dir.Organisation(ctx, id); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("removed: %v", err)
			}
			if err := w.dir.Remove(ctx, w.admin, id); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("remove twice: %v", err)
			}
			if _, err := w.dir.Update(ctx, w.admin, itsm.Organisation{ID: id, Name: "Back", Role: itsm.OrgSupplier}); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("update removed: %v", err)
			}
			if _, err := w.dir.Create(ctx, w.admin, itsm.Organisation{ID: id, Name: "Back", Role: itsm.OrgSupplier}); !itsm.IsCode(err, itsm.CodeConflict) {
				t.Errorf("the ID of a removed organisation again: %v", err)
			}
			if _, err := w.dir.Create(ctx, w.admin, itsm.Organisation{Name: "storage & backup", Role: itsm.OrgSupplier}); err != nil {
				t.Errorf("the name of a removed organisation again: %v", err)
			}
			if err := w.dir.Remove(ctx, w.admin, auth.AdminOrganisation); !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Errorf("remove the administration organisation: %v", err)
			}
			// Only the platform administration changes the register: not a
			// desk's administrator, not a supplier's.
			for _, a := range []itsm.Actor{w.deskAgent, {Organisation: w.supplier.ID, Person: "sam", Roles: []itsm.Role{itsm.RoleAdmin}},
				{Organisation: w.desk.ID, Person: "dora", Roles: []itsm.Role{itsm.RoleAdmin}}} {
				if _, err := w.dir.Create(ctx, a, itsm.Organisation{Name: "Sneaky", Role: itsm.OrgDesk}); !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s creates: %v", a.Person, err)
				}
				if _, err := w.dir.Update(ctx, a, itsm.Organisation{ID: w.supplier.ID, Name: "Sneaky", Role: itsm.OrgDesk}); !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s updates: %v", a.Person, err)
				}
				if err := w.dir.Remove(ctx, a, w.customer.ID); !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s removes: %v", a.Person, err)
				}
				if _, err := w.dir.Grant(ctx, a, a.Organisation, itsm.DomainIncident, itsm.AccessAll); !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s grants: %v", a.Person, err)
				}
				if _, err := w.dir.Revoke(ctx, a, w.desk.ID, itsm.DomainIncident, itsm.AccessAll); !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s revokes: %v", a.Person, err)
				}
			}

			// A second process reads the same register.
			dir2, err := auth.NewDirectory(ctx, open(t), w.clock)
			if err != nil {
				t.Fatal(err)
			}
			list, err := dir2.List(ctx, w.admin)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range list {
				names = append(names, e.Organisation.Name+"/"+string(e.Organisation.Role))
			}
			want := []string{"Admins/desk", "City of Example/customer", "City Service Desk/desk", "Network Supplier/supplier", "storage & backup/supplier"}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}

			// Every change is in the log, with its administrator.
			var types []string
			for _, e := range events(t, w.store) {
				if e.Kind == auth.KindOrganisation && e.Subject == id {
					types = append(types, e.Type)
				}
			}
			if diff := cmp.Diff([]string{"organisation.created", "organisation.updated", "organisation.removed"}, types); diff != "" {
				t.Errorf("events of %s (-want +got):\n%s", id, diff)
			}
		})
	}
}

// Rights are stored: a new Directory on the same database has them, and a
// Directory sees another's change the next time it looks the organisation
// up, or at Reload.
func TestRightsPersisted(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			w := newWorld(t, open(t))
			ctx := w.ctx
			perms := w.dir.Permissions()
			sup := w.supplier.ID

			a, err := w.dir.Grant(ctx, w.admin, sup, itsm.DomainIncident, itsm.AccessRead|itsm.AccessReport)
			if err != nil || a != itsm.AccessRead|itsm.AccessReport {
				t.Fatalf("grant: %s %v", a, err)
			}
			if _, err := w.dir.Grant(ctx, w.admin, w.customer.ID, itsm.DomainServiceLevel, itsm.AccessRead); err != nil {
				t.Fatal(err)
			}
			// Granting what it has already changes nothing, and writes nothing.
			before := len(events(t, w.store))
			if a, err := w.dir.Grant(ctx, w.admin, sup, itsm.DomainIncident, itsm.AccessRead); err != nil || a != itsm.AccessRead|itsm.AccessReport {
				t.Errorf("grant again: %s %v", a, err)
			}
			if after := len(events(t, w.store)); after != before {
				t.Errorf("a grant that changed nothing wrote %d events", after-before)
			}
			// The same *Permissions changed in place, at once.
			if !perms.Allows(sup, itsm.DomainIncident, itsm.AccessRead|itsm.AccessReport) || perms.Allows(sup, itsm.DomainIncident, itsm.AccessWrite) {
				t.Errorf("in-process rights: %s", perms.Granted(sup, itsm.DomainIncident))
			}

			// A second process (a restart) loads them.
			dir2, err := auth.NewDirectory(ctx, open(t), w.clock)
			if err != nil {
				t.Fatal(err)
			}
			p2 := dir2.Permissions()
			if got := p2.Granted(sup, itsm.DomainIncident); got != itsm.AccessRead|itsm.AccessReport {
				t.Errorf("after reload: %s", got)
			}
			if got := p2.Granted(w.customer.ID, itsm.DomainServiceLevel); got != itsm.AccessRead {
				t.Errorf("customer after reload: %s", got)
			}

			// A change in one process: at once there, in the other after a lookup.
			if a, err := w.dir.Revoke(ctx, w.admin, sup, itsm.DomainIncident, itsm.AccessReport); err != nil || a != itsm.AccessRead {
				t.Fatalf("revoke: %s %v", a, err)
			}
			if got := perms.Granted(sup, itsm.DomainIncident); got != itsm.AccessRead {
				t.Errorf("in-process after revoke: %s", got)
			}
			if got := p2.Granted(sup, itsm.DomainIncident); got != itsm.AccessRead|itsm.AccessReport {
				t.Fatalf("the other process changed without looking: %s", got)
			}
			if _, err := dir2.Organisation(ctx, sup); err != nil {
				t.Fatal(err)
			}
			if got := p2.Granted(sup, itsm.DomainIncident); got != itsm.AccessRead {
				t.Errorf("the other process after a lookup: %s", got)
			}

			// Removal takes every right, here at once and there at Reload.
			if err := w.dir.Remove(ctx, w.admin, w.customer.ID); err != nil {
				t.Fatal(err)
			}
			if got := perms.Granted(w.customer.ID, itsm.DomainServiceLevel); got != 0 {
				t.Errorf("removed customer keeps %s", got)
			}
			if err := dir2.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if got := p2.Granted(w.customer.ID, itsm.DomainServiceLevel); got != 0 {
				t.Errorf("removed customer keeps %s in the other process", got)
			}

			// The owner's own listing shows its rights; a desk agent's shows
			// none but its own; the administrator's shows all.
			list, err := dir2.List(ctx, w.supplierAgent)
			if err != nil || len(list) != 1 || list[0].Organisation.ID != sup || list[0].Rights[itsm.DomainIncident] != itsm.AccessRead {
				t.Errorf("supplier's list %+v %v", list, err)
			}
			list, err = dir2.List(ctx, w.deskAgent)
			if err != nil || len(list) != 3 {
				t.Fatalf("desk's list %+v %v", list, err)
			}
			for _, e := range list {
				if e.Organisation.ID == sup && e.Rights != nil {
					t.Errorf("a desk agent sees the supplier's rights: %+v", e)
				}
			}
			list, err = dir2.List(ctx, w.admin)
			if err != nil {
				t.Fatal(err)
			}
			var seen bool
			for _, e := range list {
				seen = seen || e.Organisation.ID == sup && e.Rights[itsm.DomainIncident] == itsm.AccessRead
			}
			if !seen {
				t.Errorf("the administrator does not see the supplier's rights: %+v", list)
			}
			if _, err := dir2.List(ctx, itsm.Actor{Organisation: w.customer.ID, Person: "removed"}); !itsm.IsCode(err, itsm.CodeForbidden) {
				t.Errorf("list as a removed organisation: %v", err)
			}
		})
	}
}

func TestGrantRefusesBadInput(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	for _, c := range []struct {
		why  string
		org  itsm.ID
		dom  itsm.Domain
		a    itsm.Access
		code itsm.Code
	}{
		{"an unknown domain", w.supplier.ID, "tickets", itsm.AccessRead, itsm.CodeInvalid},
		{"no access", w.supplier.ID, itsm.DomainIncident, 0, itsm.CodeInvalid},
		{"an unknown access", w.supplier.ID, itsm.DomainIncident, 8, itsm.CodeInvalid},
		{"an unknown organisation", itsm.NewID(), itsm.DomainIncident, itsm.AccessRead, itsm.CodeNotFound},
	} {
		if _, err := w.dir.Grant(w.ctx, w.admin, c.org, c.dom, c.a); !itsm.IsCode(err, c.code) {
			t.Errorf("grant with %s: %v, want %s", c.why, err, c.code)
		}
		if _, err := w.dir.Revoke(w.ctx, w.admin, c.org, c.dom, c.a); !itsm.IsCode(err, c.code) {
			t.Errorf("revoke with %s: %v, want %s", c.why, err, c.code)
		}
	}
}

// Grants and revokes racing in two processes on one database, with checks
// running meanwhile: every change commits (lost races are retried), and
// after a Reload each process's Permissions holds what the store does.
func TestConcurrentRightsChanges(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			w := newWorld(t, open(t))
			dir2, err := auth.NewDirectory(w.ctx, open(t), w.clock)
			if err != nil {
				t.Fatal(err)
			}
			dirs := []*auth.Directory{w.dir, dir2}
			sup := w.supplier.ID
			rights := []itsm.Access{itsm.AccessRead, itsm.AccessWrite, itsm.AccessReport}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for g := range 6 {
				wg.Go(func() {
					d := dirs[g%2]
					for i := range 8 {
						a := rights[(g+i)%3]
						var err error
						if (g+i)%2 == 0 {
							_, err = d.Grant(w.ctx, w.admin, sup, itsm.DomainIncident, a)
						} else {
							_, err = d.Revoke(w.ctx, w.admin, sup, itsm.DomainIncident, a)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			// Checks run meanwhile, as requests would.
			stop := make(chan struct{})
			var checks sync.WaitGroup
			checks.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						_ = w.dir.Permissions().Allows(sup, itsm.DomainIncident, itsm.AccessRead)
					}
				}
			})
			wg.Wait()
			close(stop)
			checks.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			fresh, err := auth.NewDirectory(w.ctx, w.store, w.clock)
			if err != nil {
				t.Fatal(err)
			}
			stored := fresh.Permissions().Granted(sup, itsm.DomainIncident)
			for i, d := range dirs {
				if err := d.Reload(w.ctx); err != nil {
					t.Fatal(err)
				}
				if got := d.Permissions().Granted(sup, itsm.DomainIncident); got != stored {
					t.Errorf("process %d holds %s, the store %s", i+1, got, stored)
				}
			}
		})
	}
}

// Within one process, the last committed change wins in Permissions even
// when the writers race, with no Reload.
func TestInProcessRightsFollowCommits(t *testing.T) {
	w := newWorld(t, backends()["sqlitestore"](t)(t))
	sup := w.supplier.ID
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				var err error
				if (g+i)%2 == 0 {
					_, err = w.dir.Grant(w.ctx, w.admin, sup, itsm.DomainProblem, itsm.AccessWrite)
				} else {
					_, err = w.dir.Revoke(w.ctx, w.admin, sup, itsm.DomainProblem, itsm.AccessWrite)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fresh, err := auth.NewDirectory(w.ctx, w.store, w.clock)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.dir.Permissions().Granted(sup, itsm.DomainProblem), fresh.Permissions().Granted(sup, itsm.DomainProblem); got != want {
		t.Errorf("in process %s, stored %s", got, want)
	}
}

// The incident service, configured with the Directory and its Permissions,
// follows grants and revocations as they happen.
func TestServiceFollowsRights(t *testing.T) {
	w := newWorld(t, backends()["sqlitestore"](t)(t))
	svc, err := incident.New(incident.Config{Store: w.store, Directory: w.dir, Permissions: w.dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	register := func() error {
		_, err := svc.Register(context.Background(), w.deskAgent, incident.Registration{
			Customer: w.customer.ID, Caller: incident.Caller{Person: "u1"}, Channel: incident.ChannelPhone,
			Summary: "printer on fire", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow})
		return err
	}
	if err := register(); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Fatalf("without rights: %v", err)
	}
	if _, err := w.dir.Grant(w.ctx, w.admin, w.desk.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if err := register(); err != nil {
		t.Fatalf("after the grant: %v", err)
	}
	if _, err := w.dir.Revoke(w.ctx, w.admin, w.desk.ID, itsm.DomainIncident, itsm.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if err := register(); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Fatalf("after the revocation: %v", err)
	}
	// The customer removed: registering for it is refused.
	if _, err := w.dir.Grant(w.ctx, w.admin, w.desk.ID, itsm.DomainIncident, itsm.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if err := w.dir.Remove(w.ctx, w.admin, w.customer.ID); err != nil {
		t.Fatal(err)
	}
	if err := register(); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Fatalf("for a removed customer: %v", err)
	}
}
