package chain_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// FuzzCommands runs a sequence of commands, chosen by the input, by actors
// allowed and not, on a few groups of two organisations, and checks after
// each that the register's invariants hold: a name is unique within its
// organisation however cased; members are sorted, each once; only allowed
// actors changed anything; and every stored group is the fold of its events.
func FuzzCommands(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{0, 0, 0, 16, 32, 48, 1, 17, 33, 2, 18, 5, 6, 7, 70, 90})
	f.Add([]byte("renaming every group to every name, twice over"))
	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > 64 {
			input = input[:64]
		}
		w := newWorld(t)
		actors := []itsm.Actor{w.netAdmin, w.telAdmin, w.platform, w.netAgent, w.deskAdmin}
		names := []string{"Network", "NETWORK", "Telephony", " network ", "Kärnnät", "\u212aärnnät", ""}
		people := []string{"nora", "nils", " nora", "tove", ""}
		orgs := []itsm.ID{netID, telID, cityID}
		var ids []itsm.ID
		for i := 0; i+1 < len(input); i += 2 {
			op, arg := input[i], int(input[i+1])
			a := actors[int(op>>4)%len(actors)]
			pick := func() itsm.ID {
				if len(ids) == 0 {
					return itsm.NewID()
				}
				return ids[arg%len(ids)]
			}
			before := w.stored()
			var g *chain.Group
			var err error
			switch op % 8 {
			case 0:
				g, err = w.svc.Create(w.ctx, a, orgs[arg%len(orgs)], chain.Definition{Name: names[arg%len(names)], Members: []string{people[arg%len(people)]}})
				if err == nil {
					ids = append(ids, g.ID)
				}
			case 1:
				g, err = w.svc.Rename(w.ctx, a, pick(), names[arg%len(names)])
			case 2:
				g, err = w.svc.AddMember(w.ctx, a, pick(), people[arg%len(people)])
			case 3:
				g, err = w.svc.RemoveMember(w.ctx, a, pick(), people[arg%len(people)])
			case 4:
				g, err = w.svc.SetMembers(w.ctx, a, pick(), people[:arg%len(people)])
			case 5:
				g, err = w.svc.SetEmail(w.ctx, a, pick(), []string{"", "team@example.org", "not mail"}[arg%3])
			case 6:
				g, err = w.svc.Deactivate(w.ctx, a, pick())
			case 7:
				g, err = w.svc.IfVersion(int64(1+arg%3)).Activate(w.ctx, a, pick())
			}
			after := w.stored()
			if err != nil {
				if itsm.ErrorCode(err) == itsm.CodeInternal || itsm.ErrorCode(err) == itsm.CodeUnavailable {
					t.Fatalf("command %d: %v", op%8, err)
				}
				if !reflect.DeepEqual(after, before) {
					t.Fatalf("command %d refused (%v) but changed the register", op%8, err)
				}
				continue
			}
			if changed := !reflect.DeepEqual(after, before); changed && a.Organisation != adminID && (!a.HasRole(itsm.RoleAdmin) || g.Organisation != a.Organisation) {
				t.Fatalf("%s of %s changed group %s of %s", a.Person, a.Organisation, g.ID, g.Organisation)
			}
			seen := map[string]itsm.ID{}
			for _, s := range after {
				key := s.Organisation.String() + " " + strings.ToLower(strings.ReplaceAll(s.Name, "\u212a", "k"))
				if other, dup := seen[key]; dup {
					t.Fatalf("groups %s and %s of %s are both named %q", other, s.ID, s.Organisation, s.Name)
				}
				seen[key] = s.ID
				if !slices.IsSorted(s.Members) || len(slices.Compact(slices.Clone(s.Members))) != len(s.Members) || slices.Contains(s.Members, "") {
					t.Fatalf("members %q", s.Members)
				}
				if s.Name != strings.TrimSpace(s.Name) || s.Name == "" {
					t.Fatalf("name %q", s.Name)
				}
			}
		}
		w.checkReplay()
	})
}
