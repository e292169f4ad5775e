package authority_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
)

// Any sequence of events, also ones the register would refuse (endings
// that lengthen a grant or reach into the past, absences that overlap,
// several changes at one instant), gives an index that answers as the
// naive reading of the same events does. Each three bytes are one event:
// what, and two numbers that pick its person, scope, days and how far
// the clock moves (by hours, across the change to summer time).
func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 9, 3, 1, 0, 5})
	f.Add([]byte{0, 0, 0, 2, 1, 4, 1, 0, 0, 1, 0, 200, 0, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 90 {
			return
		}
		zone := stockholm(t)
		store := memstore.New()
		defer store.Close()
		now := time.Date(2026, 3, 28, 12, 0, 0, 0, zone)
		n := &naive{zone: zone}
		at := []time.Time{now}
		by := itsm.Actor{Organisation: cityID, Person: "ada"}
		err := store.Write(t.Context(), func(tx itsm.WriteTx) error {
			for i := 0; i+2 < len(data); i += 3 {
				op, a, b := data[i]%3, int(data[i+1]), int(data[i+2])
				now = now.Add(time.Duration(b%8) * 3 * time.Hour)
				today := sla.DateOf(now.In(zone))
				at = append(at, now, now.Add(-1))
				var e itsm.Event
				var p any
				switch {
				case op == 0 || len(n.grants) == 0:
					g := &authority.Grant{ID: itsm.NewID(), Customer: cityID, Person: people[a%4], Role: []authority.Role{authority.RoleRequester, authority.RoleApprover}[a/4%2],
						From: today.AddDays(a/8%4 - 1), Granted: now.UTC(), GrantedBy: by}
					if a/32%2 == 0 {
						g.Item = laptop
					} else {
						g.Service = "Laptops"
					}
					if b/8%3 > 0 {
						g.Until = g.From.AddDays(b / 24 % 4)
					}
					n.grants = append(n.grants, g)
					e, p = itsm.Event{Type: "authority.granted", Kind: authority.GrantKind, Subject: g.ID}, authority.Granted{Grant: *g}
				case op == 1:
					g := n.grants[a%len(n.grants)]
					end := authority.Ending{At: now.UTC(), By: by, Until: today.AddDays(b/8%6 - 2), Previous: g.Until}
					g.Ended, g.Until = append(g.Ended, end), end.Until
					e, p = itsm.Event{Type: "authority.ended", Kind: authority.GrantKind, Subject: g.ID}, authority.Ended{Ending: end}
				default:
					ab := &authority.Absence{ID: itsm.NewID(), Customer: cityID, Person: people[a%4], StandIn: people[(a%4+1+a/4%3)%4],
						From: today.AddDays(a / 16 % 3), Recorded: now.UTC(), RecordedBy: by}
					ab.Until = ab.From.AddDays(b / 8 % 3)
					n.absences = append(n.absences, ab)
					e, p = itsm.Event{Type: "authority.absent", Kind: authority.AbsenceKind, Subject: ab.ID}, authority.Absent{Absence: *ab}
				}
				e.Time = now
				e.Data, _ = json.Marshal(p)
				if _, err := tx.Append(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for d := sla.DateOf(at[0].In(zone)).AddDays(-2); d.String() <= sla.DateOf(now.In(zone)).AddDays(6).String(); d = d.AddDays(1) {
			m := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, zone)
			at = append(at, m, m.Add(-1), m.Add(3*time.Hour))
		}
		x := authority.NewIndex(zone)
		if err := x.Build(t.Context(), store); err != nil {
			t.Fatal(err)
		}
		compare(t, x, n, at)
	})
}
