package cmdb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// estate is a small CMDB: servers A and B in a cluster that the
// application Ekonomi runs on, the application Lön on server A alone, both
// used by the service Ekonomitjänst (Skola 300 users, Vård 50); and mail:
// server M, the application E-post on it and the service E-posttjänst
// (Skola 1000).
type estate struct {
	a, b, cl, eko, lon, ekoSvc, m, mail, mailSvc *cmdb.Item
}

func (w *world) estate() *estate {
	w.t.Helper()
	e := &estate{}
	e.a, e.b, e.cl = w.pair()
	e.m = w.server("m")
	e.eko = w.item("application", "Ekonomi", nil, rel("runs_on", e.cl))
	e.lon = w.item("application", "Lön", nil, rel("runs_on", e.a))
	e.mail = w.item("application", "E-post", nil, rel("runs_on", e.m))
	e.ekoSvc = w.businessService("Ekonomitjänst", []cmdb.Consumer{{Unit: "Skola", Users: 300}, {Unit: "Vård", Users: 50}}, e.eko, e.lon)
	e.mailSvc = w.businessService("E-posttjänst", []cmdb.Consumer{{Unit: "Skola", Users: 1000}}, e.mail)
	w.ok(w.svc.Sync(w.ctx))
	return e
}

// pair creates servers a and b and the cluster Kluster of the two,
// which needs one of them.
func (w *world) pair() (a, b, cl *cmdb.Item) {
	w.t.Helper()
	a, b = w.server("a"), w.server("b")
	cl = w.item("cluster", "Kluster", nil)
	for _, s := range []*cmdb.Item{a, b} {
		_, err := w.svc.Relate(w.ctx, w.deskAgent, s.ID, rel("member_of", cl))
		w.ok(err)
	}
	return a, b, cl
}

// businessService creates a business service of the desk depending on apps.
func (w *world) businessService(name string, consumers []cmdb.Consumer, apps ...*cmdb.Item) *cmdb.Item {
	w.t.Helper()
	var rs []cmdb.Relation
	for _, a := range apps {
		rs = append(rs, rel("depends_on", a))
	}
	it, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "business_service", Relations: rs,
		ItemEdit: cmdb.ItemEdit{Name: name, Consumers: consumers}})
	w.ok(err)
	return it
}

// window is a window in Stockholm, as wall-clock times.
func window(start, end string) cmdb.LocalWindow { return cmdb.LocalWindow{Start: start, End: end} }

// planned is a planned change of the items, with an effect and texts.
func planned(title string, win cmdb.LocalWindow, effect cmdb.ChangeEffect, items ...*cmdb.Item) cmdb.NewChange {
	ids := make([]itsm.ID, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return cmdb.NewChange{ChangeEdit: cmdb.ChangeEdit{Title: title, Window: win, Items: ids, Effect: effect,
		Texts: cmdb.Texts{SV: "Tjänsten är inte tillgänglig under arbetet.", EN: "The service is unavailable during the work."}}}
}

// change creates a change, which must succeed.
func (w *world) change(actor itsm.Actor, n cmdb.NewChange) *cmdb.Change {
	w.t.Helper()
	ch, err := w.svc.CreateChange(w.ctx, actor, n)
	w.ok(err)
	return ch
}

// allFootprint is footprint with every change record too.
func (w *world) allFootprint() string {
	w.t.Helper()
	h := sha256.New()
	fmt.Fprintln(h, w.footprint())
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(w.ctx, tx, itsm.Query{Kind: cmdb.KindChange, Limit: itsm.MaxLimit}, func(hit itsm.Hit) error {
			fmt.Fprintf(h, "%s %d %s\n", hit.Record.ID, hit.Record.Version, hit.Record.Body)
			return nil
		})
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// refuseChange runs cmd, which must fail with code c and write nothing,
// and returns its error.
func (w *world) refuseChange(c itsm.Code, cmd func() error) error {
	w.t.Helper()
	before := w.allFootprint()
	err := cmd()
	w.code(err, c)
	if after := w.allFootprint(); after != before {
		w.t.Fatalf("a refused command (%v) wrote", err)
	}
	return err
}

// changeReplayed checks that the change stored is the fold of its events.
func (w *world) changeReplayed(id itsm.ID) {
	w.t.Helper()
	checkReplay(w, cmdb.KindChange, id, cmdb.ReplayChange, w.svc.GetChange,
		func(c *cmdb.Change) (*int64, itsm.Number) { return &c.Version, c.Number })
}

func stockholm(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestChangeLifecycle: a planned change is registered as a draft,
// edited, approved naming the object owner, started and completed, on
// every backend; each step is one event with its actor, the record is
// the fold of its events, and the suppliers and the customer read it.
func TestChangeLifecycle(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			n := planned(" Byte av disk ", window("2026-12-08T22:00", "2026-12-09 01:30"), cmdb.ChangeEffectOutage, e.lon, e.a)
			n.Supplier = hostID
			ch := w.change(w.deskAgent, n)
			loc := stockholm(t)
			want := cmdb.Window{Start: time.Date(2026, 12, 8, 21, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 9, 0, 30, 0, 0, time.UTC), Zone: "Europe/Stockholm"}
			if ch.Number.String() != "CHG0000001" || ch.State != cmdb.ChangeStateDraft || ch.Kind != cmdb.ChangePlanned || ch.Title != "Byte av disk" ||
				ch.Desk != deskID || ch.Supplier != hostID || ch.Version != 1 || !ch.Window.Start.Equal(want.Start) || !ch.Window.End.Equal(want.End) ||
				ch.Window.Zone != want.Zone || ch.Responsible() != hostID {
				t.Fatalf("created %+v", ch)
			}
			if !slices.IsSortedFunc(ch.Items, func(a, b itsm.ID) int { return strings.Compare(a.String(), b.String()) }) || len(ch.Items) != 2 {
				t.Fatalf("items %v not in ID order", ch.Items)
			}
			if got := ch.Window.Local(); got.Start != "2026-12-08T22:00:00+01:00" || got.End != "2026-12-09T01:30:00+01:00" {
				t.Fatalf("local window %+v", got)
			}
			w.clock.Advance(time.Hour)
			edit := cmdb.ChangeEdit{Title: "Byte av disk i server A", Supplier: hostID, Window: ch.Window.Local(),
				Items: ch.Items, Effect: cmdb.ChangeEffectOutage, Texts: cmdb.Texts{SV: "Lön är stängt i natt.", NB: "Lønn er stengt i natt."}}
			ch, err := w.svc.EditChange(w.ctx, w.hostAgent, ch.ID, edit)
			w.ok(err)
			if ch.Version != 2 || ch.Title != "Byte av disk i server A" || ch.Texts.EN != "" || ch.Texts.In(cmdb.Nynorsk) != "Lønn er stengt i natt." {
				t.Fatalf("edited %+v", ch)
			}
			// The same edit again writes nothing.
			before := w.allFootprint()
			ch, err = w.svc.EditChange(w.ctx, w.hostAgent, ch.ID, edit)
			w.ok(err)
			if ch.Version != 2 || w.allFootprint() != before {
				t.Fatalf("an edit that changes nothing wrote: version %d", ch.Version)
			}
			owner := time.Date(2026, 12, 7, 8, 0, 0, 0, loc)
			ch, err = w.svc.ApproveChange(w.ctx, w.hostAgent, ch.ID, " Olle Ägare ", owner)
			w.ok(err)
			if ch.State != cmdb.ChangeStateApproved || ch.Approval == nil || ch.Approval.ObjectOwner != "Olle Ägare" ||
				!ch.Approval.At.Equal(owner) || ch.Approval.By.Person != "hugo" {
				t.Fatalf("approved %+v %+v", ch, ch.Approval)
			}
			w.clock.Set(time.Date(2026, 12, 8, 22, 1, 0, 0, loc))
			ch, err = w.svc.StartChange(w.ctx, w.deskAgent, ch.ID)
			w.ok(err)
			if ch.State != cmdb.ChangeStateInProgress || !ch.Started.Equal(w.clock.Now()) {
				t.Fatalf("started %+v", ch)
			}
			w.clock.Advance(time.Hour)
			ch, err = w.svc.CompleteChange(w.ctx, w.hostAgent, ch.ID, " Klart. ")
			w.ok(err)
			if ch.State != cmdb.ChangeStateCompleted || ch.Note != "Klart." || !ch.Completed.Equal(w.clock.Now()) || ch.Approval == nil {
				t.Fatalf("completed %+v", ch)
			}
			w.changeReplayed(ch.ID)
			hist, err := w.svc.ChangeHistory(w.ctx, w.cityAgent, ch.ID)
			w.ok(err)
			var types, by []string
			for _, h := range hist {
				types, by = append(types, h.Type), append(by, h.By.Person)
			}
			if !slices.Equal(types, []string{"cmdb.change.created", "cmdb.change.edited", "cmdb.change.approved", "cmdb.change.started", "cmdb.change.completed"}) ||
				!slices.Equal(by, []string{"axel", "hugo", "hugo", "axel", "hugo"}) {
				t.Fatalf("history %v by %v", types, by)
			}
			if ed := hist[1].Payload.(cmdb.ChangeEdited); !slices.Equal(ed.Changed, []string{"title", "texts"}) || ed.Unapproved {
				t.Fatalf("edit event %+v", ed)
			}
			for _, a := range []itsm.Actor{w.telAgent, w.cityAgent, w.deskUser} {
				if _, err := w.svc.GetChange(w.ctx, a, ch.ID); err != nil {
					t.Errorf("%s does not read the change: %v", a.Person, err)
				}
			}
			_, err = w.svc.GetChange(w.ctx, w.desk2Agent, ch.ID)
			w.code(err, itsm.CodeNotFound)
			_, err = w.svc.ChangeHistory(w.ctx, w.loneAgent, ch.ID)
			w.code(err, itsm.CodeNotFound)
		})
	}
}

// TestChangeAccess: the desk writes all its changes; a supplier with
// write access creates changes it carries out, and writes only those;
// customers, persons without the agent role, suppliers without rights or
// not working with the desk, and other desks write none. Every refusal
// writes nothing.
func TestChangeAccess(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			win := window("2026-12-10T20:00", "2026-12-10T22:00")
			n := planned("Byte av switch", win, cmdb.ChangeEffectDegraded, e.m)
			n.Desk = deskID
			tel := w.change(w.telAgent, n)
			if tel.Supplier != telcoID || tel.Desk != deskID {
				t.Fatalf("a supplier's change: %+v", tel)
			}
			desk := w.change(w.deskAgent, planned("Patchning", win, cmdb.ChangeEffectNone, e.a))
			other := n
			other.Supplier = hostID
			w.refuseChange(itsm.CodeForbidden, func() error { _, err := w.svc.CreateChange(w.ctx, w.telAgent, other); return err })
			noDesk := planned("Byte", win, cmdb.ChangeEffectNone, e.m)
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.CreateChange(w.ctx, w.telAgent, noDesk); return err })
			for _, a := range []itsm.Actor{w.cityAgent, w.deskUser, w.bareAgent, w.loneAgent} {
				w.refuseChange(itsm.CodeForbidden, func() error { _, err := w.svc.CreateChange(w.ctx, a, n); return err })
			}
			alien := n
			alien.Desk = desk2ID
			w.refuseChange(itsm.CodeForbidden, func() error { _, err := w.svc.CreateChange(w.ctx, w.deskAgent, alien); return err })
			// Desk 2's agent registers in their own CMDB, where the desk's
			// items are not.
			alien.Desk = itsm.ID{}
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.CreateChange(w.ctx, w.desk2Agent, alien); return err })

			cancel := func(a itsm.Actor, id itsm.ID) func() error {
				return func() error { _, err := w.svc.CancelChange(w.ctx, a, id, "Behövs inte."); return err }
			}
			w.refuseChange(itsm.CodeForbidden, cancel(w.hostAgent, tel.ID))
			w.refuseChange(itsm.CodeForbidden, cancel(w.telAgent, desk.ID))
			w.refuseChange(itsm.CodeForbidden, cancel(w.cityAgent, tel.ID))
			w.refuseChange(itsm.CodeNotFound, cancel(w.desk2Agent, tel.ID))
			w.refuseChange(itsm.CodeNotFound, cancel(w.deskAgent, itsm.NewID()))
			// A supplier does not hand its change to another; the desk does.
			hand := cmdb.ChangeEdit{Title: tel.Title, Supplier: hostID, Window: tel.Window.Local(), Items: tel.Items, Effect: tel.Effect, Texts: tel.Texts}
			w.refuseChange(itsm.CodeForbidden, func() error { _, err := w.svc.EditChange(w.ctx, w.telAgent, tel.ID, hand); return err })
			handed, err := w.svc.EditChange(w.ctx, w.deskAgent, tel.ID, hand)
			w.ok(err)
			if handed.Supplier != hostID {
				t.Fatalf("handed over: %+v", handed)
			}
			w.refuseChange(itsm.CodeForbidden, cancel(w.telAgent, tel.ID))
			_, err = w.svc.ApproveChange(w.ctx, w.hostAgent, tel.ID, "Olle", time.Time{})
			w.ok(err)
			_, err = w.svc.CancelChange(w.ctx, w.deskAgent, desk.ID, "Behövs inte.")
			w.ok(err)
			// The desk hands a change to a supplier that works with it only.
			hand.Supplier = loneID
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.EditChange(w.ctx, w.deskAgent, tel.ID, hand); return err })
			hand.Supplier = cityID
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.EditChange(w.ctx, w.deskAgent, tel.ID, hand); return err })
			// Readers: the suppliers and the customer of the desk; not a
			// supplier without rights, nor one that does not work with it.
			for _, a := range []itsm.Actor{w.bareAgent} {
				_, err := w.svc.GetChange(w.ctx, a, tel.ID)
				w.code(err, itsm.CodeForbidden)
			}
			// A stale version is a conflict.
			w.refuseChange(itsm.CodeConflict, func() error {
				_, err := w.svc.IfVersion(1).StartChange(w.ctx, w.deskAgent, tel.ID)
				return err
			})
			cur, err := w.svc.GetChange(w.ctx, w.deskAgent, tel.ID)
			w.ok(err)
			_, err = w.svc.IfVersion(cur.Version).StartChange(w.ctx, w.deskAgent, tel.ID)
			w.ok(err)
		})
	}
}

// TestChangeValidation: every input is checked, with an error that names
// it, and a refused change writes nothing.
func TestChangeValidation(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			retired := w.server("gammal")
			_, err := w.svc.SetState(w.ctx, w.deskAgent, retired.ID, cmdb.StateRetired, "")
			w.ok(err)
			elsewhere, err := w.svc.Create(w.ctx, w.desk2Agent, cmdb.NewItem{Class: "server",
				ItemEdit: cmdb.ItemEdit{Name: "x", Attributes: map[string]string{"host_name": "x"}}})
			w.ok(err)
			good := func() cmdb.NewChange {
				return planned("Byte", window("2026-12-10T20:00", "2026-12-10T22:00"), cmdb.ChangeEffectOutage, e.a)
			}
			long := strings.Repeat("å", cmdb.MaxUserText/2)
			for _, c := range []struct {
				name, want string
				edit       func(n *cmdb.NewChange)
			}{
				{"no title", "change title is empty", func(n *cmdb.NewChange) { n.Title = "  " }},
				{"title with a line feed", "change title contains U+000A", func(n *cmdb.NewChange) { n.Title = "a\nb" }},
				{"no items", "at least one item", func(n *cmdb.NewChange) { n.Items = nil }},
				{"an item twice", "given twice", func(n *cmdb.NewChange) { n.Items = append(n.Items, e.a.ID) }},
				{"a zero item", "item ID is zero", func(n *cmdb.NewChange) { n.Items = append(n.Items, itsm.ID{}) }},
				{"an unknown item", "is not in the CMDB", func(n *cmdb.NewChange) { n.Items = append(n.Items, itsm.NewID()) }},
				{"another desk's item", "is not in the CMDB of desk", func(n *cmdb.NewChange) { n.Items = append(n.Items, elsewhere.ID) }},
				{"a retired item", "is retired", func(n *cmdb.NewChange) { n.Items = append(n.Items, retired.ID) }},
				{"too many items", "more than 200", func(n *cmdb.NewChange) { n.Items = make([]itsm.ID, cmdb.MaxChangeItems+1) }},
				{"no effect", "effect is required", func(n *cmdb.NewChange) { n.Effect = "" }},
				{"an unknown effect", `"down" is not none`, func(n *cmdb.NewChange) { n.Effect = "down" }},
				{"no Swedish", "in Swedish (sv) is empty", func(n *cmdb.NewChange) { n.Texts.SV = " " }},
				{"English too long", "in English (en) is", func(n *cmdb.NewChange) { n.Texts.EN = long + "x" }},
				{"Bokmål with a bidi override", "U+202E", func(n *cmdb.NewChange) { n.Texts.NB = "a\u202eb" }},
				{"an unknown zone", `zone "Europe/Göteborg"`, func(n *cmdb.NewChange) { n.Window.Zone = "Europe/Göteborg" }},
				{"the machine's zone", `zone "Local"`, func(n *cmdb.NewChange) { n.Window.Zone = "Local" }},
				{"no start", "window start is empty", func(n *cmdb.NewChange) { n.Window.Start = "" }},
				{"a malformed start", "is not a local date and time", func(n *cmdb.NewChange) { n.Window.Start = "10/12/2026 20:00" }},
				{"a date without a time", "is not a local date and time", func(n *cmdb.NewChange) { n.Window.End = "2026-12-10" }},
				{"the end before the start", "is not after its start", func(n *cmdb.NewChange) { n.Window.End = "2026-12-10T19:59" }},
				{"an empty window", "is not after its start", func(n *cmdb.NewChange) { n.Window.End = n.Window.Start }},
				{"a window too long", "longer than 92 days", func(n *cmdb.NewChange) { n.Window.End = "2027-03-13T20:00" }},
				{"a window that has ended", "which has passed", func(n *cmdb.NewChange) {
					n.Window = window("2026-12-06T20:00", "2026-12-07T09:00")
				}},
				{"a window too far ahead", "days ahead", func(n *cmdb.NewChange) { n.Window = window("2028-12-10T20:00", "2028-12-10T22:00") }},
				{"an offset not the zone's", "is not at offset +02:00", func(n *cmdb.NewChange) { n.Window.Start = "2026-12-10T20:00+02:00" }},
				{"an unknown kind", `kind "emergency"`, func(n *cmdb.NewChange) { n.Kind = "emergency" }},
				{"a planned change naming an incident", "names no incident", func(n *cmdb.NewChange) { n.Incident = itsm.NewID() }},
				{"an unplanned outage without incident", "names the major incident", func(n *cmdb.NewChange) { n.Kind = cmdb.ChangeUnplanned }},
				{"an unknown supplier", "is unknown", func(n *cmdb.NewChange) { n.Supplier = itsm.NewID() }},
				{"a customer as supplier", "not a supplier", func(n *cmdb.NewChange) { n.Supplier = cityID }},
				{"a supplier not working with the desk", "does not work with desk", func(n *cmdb.NewChange) { n.Supplier = loneID }},
			} {
				n := good()
				c.edit(&n)
				err := w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.CreateChange(w.ctx, w.deskAgent, n); return err })
				if !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %v, want it to say %q", c.name, err, c.want)
				}
			}
			// The longest texts pass; an unplanned outage names its incident.
			n := good()
			n.Kind, n.Incident, n.Texts.EN = cmdb.ChangeUnplanned, itsm.NewID(), long
			n.Window = window("2026-12-07T08:00", "2026-12-07T12:00")
			ch := w.change(w.deskAgent, n)
			if ch.Kind != cmdb.ChangeUnplanned || ch.Incident != n.Incident || ch.Texts.EN != long {
				t.Fatalf("unplanned outage %+v", ch)
			}
			// Bad arguments of the other commands.
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.ApproveChange(w.ctx, w.deskAgent, ch.ID, " ", time.Time{}); return err })
			w.refuseChange(itsm.CodeInvalid, func() error {
				_, err := w.svc.ApproveChange(w.ctx, w.deskAgent, ch.ID, "Olle", w.clock.Now().AddDate(-2, 0, 0))
				return err
			})
			w.refuseChange(itsm.CodeInvalid, func() error { _, err := w.svc.CancelChange(w.ctx, w.deskAgent, ch.ID, " "); return err })
			w.refuseChange(itsm.CodeInvalid, func() error {
				_, err := w.svc.CompleteChange(w.ctx, w.deskAgent, ch.ID, strings.Repeat("x", cmdb.MaxText+1))
				return err
			})
		})
	}
}

// TestChangeStates: the state machine, draft -> approved -> in progress
// -> completed, or cancelled before it starts; every other move is a
// conflict that writes nothing. An edit of what users are told makes an
// approved change a draft again; of the title, it stays approved; a
// change in progress stays so.
func TestChangeStates(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			ch := w.change(w.deskAgent, planned("Uppgradering", window("2026-12-10T20:00", "2026-12-10T22:00"), cmdb.ChangeEffectOutage, e.m))
			id := ch.ID
			start := func() error { _, err := w.svc.StartChange(w.ctx, w.deskAgent, id); return err }
			complete := func() error { _, err := w.svc.CompleteChange(w.ctx, w.deskAgent, id, ""); return err }
			approve := func() error { _, err := w.svc.ApproveChange(w.ctx, w.deskAgent, id, "Olle", time.Time{}); return err }
			cancel := func() error { _, err := w.svc.CancelChange(w.ctx, w.deskAgent, id, "Inställt."); return err }
			edit := func(f func(e *cmdb.ChangeEdit)) (*cmdb.Change, error) {
				cur, err := w.svc.GetChange(w.ctx, w.deskAgent, id)
				w.ok(err)
				e := cmdb.ChangeEdit{Title: cur.Title, Supplier: cur.Supplier, Window: cur.Window.Local(), Items: cur.Items, Effect: cur.Effect, Texts: cur.Texts}
				f(&e)
				return w.svc.EditChange(w.ctx, w.deskAgent, id, e)
			}
			w.refuseChange(itsm.CodeConflict, start)
			w.refuseChange(itsm.CodeConflict, complete)
			w.refuseChange(itsm.CodeInvalid, func() error {
				_, err := w.svc.ApproveChange(w.ctx, w.deskAgent, id, "Olle", w.clock.Now().Add(time.Minute))
				return err
			})
			w.ok(approve())
			w.refuseChange(itsm.CodeConflict, approve)
			w.refuseChange(itsm.CodeConflict, complete)
			// The title and the supplier are the chain's: the change stays
			// approved.
			ch, err := edit(func(e *cmdb.ChangeEdit) { e.Title, e.Supplier = "Uppgradering av e-post", telcoID })
			w.ok(err)
			if ch.State != cmdb.ChangeStateApproved || ch.Approval == nil || ch.Supplier != telcoID {
				t.Fatalf("after a new title and supplier: %s", ch.State)
			}
			// The texts are the users': a draft again, to be approved again.
			ch, err = edit(func(e *cmdb.ChangeEdit) { e.Texts.SV = "E-posten är stängd i kväll." })
			w.ok(err)
			if ch.State != cmdb.ChangeStateDraft || ch.Approval != nil {
				t.Fatalf("after new texts: %s %+v", ch.State, ch.Approval)
			}
			hist, err := w.svc.ChangeHistory(w.ctx, w.deskAgent, id)
			w.ok(err)
			if ed := hist[len(hist)-1].Payload.(cmdb.ChangeEdited); !ed.Unapproved || !slices.Equal(ed.Changed, []string{"texts"}) {
				t.Fatalf("edit event %+v", ed)
			}
			w.ok(approve())
			w.ok(start())
			w.refuseChange(itsm.CodeConflict, start)
			w.refuseChange(itsm.CodeConflict, approve)
			w.refuseChange(itsm.CodeConflict, cancel)
			// Running over: the window stretches, the change stays in
			// progress.
			w.clock.Set(time.Date(2026, 12, 10, 22, 30, 0, 0, stockholm(t)))
			ch, err = edit(func(e *cmdb.ChangeEdit) { e.Window.End = "2026-12-10T23:30" })
			w.ok(err)
			if ch.State != cmdb.ChangeStateInProgress || ch.Approval == nil {
				t.Fatalf("after a longer window: %s", ch.State)
			}
			// A window set now may not have ended.
			w.refuseChange(itsm.CodeInvalid, func() error {
				_, err := edit(func(e *cmdb.ChangeEdit) { e.Window.End = "2026-12-10T22:15" })
				return err
			})
			w.ok(complete())
			for _, cmd := range []func() error{start, complete, approve, cancel,
				func() error { _, err := edit(func(e *cmdb.ChangeEdit) { e.Title = "Ny" }); return err }} {
				w.refuseChange(itsm.CodeConflict, cmd)
			}
			// Cancelled from draft and from approved; final.
			for _, approved := range []bool{false, true} {
				id = w.change(w.deskAgent, planned("Flytt", window("2026-12-20T20:00", "2026-12-20T22:00"), cmdb.ChangeEffectNone, e.a)).ID
				if approved {
					w.ok(approve())
				}
				w.ok(cancel())
				ch, err := w.svc.GetChange(w.ctx, w.deskAgent, id)
				w.ok(err)
				if ch.State != cmdb.ChangeStateCancelled || ch.Reason != "Inställt." || (ch.Approval != nil) != approved {
					t.Fatalf("cancelled %+v", ch)
				}
				for _, cmd := range []func() error{start, complete, approve, cancel} {
					w.refuseChange(itsm.CodeConflict, cmd)
				}
				w.changeReplayed(id)
			}
			// A draft whose window ended is no longer approved.
			id = w.change(w.deskAgent, planned("Sent", window("2026-12-11T00:00", "2026-12-11T01:00"), cmdb.ChangeEffectNone, e.a)).ID
			w.clock.Set(time.Date(2026, 12, 11, 1, 0, 0, 0, stockholm(t)))
			w.refuseChange(itsm.CodeConflict, approve)
			// An item retired since stays on the change; edits that keep it
			// pass, one that adds a retired item does not.
			_, err = w.svc.SetState(w.ctx, w.deskAgent, e.b.ID, cmdb.StateRetired, "")
			w.ok(err)
			id = w.change(w.deskAgent, planned("Med A", window("2026-12-12T00:00", "2026-12-12T01:00"), cmdb.ChangeEffectNone, e.a)).ID
			w.refuseChange(itsm.CodeInvalid, func() error {
				_, err := edit(func(e2 *cmdb.ChangeEdit) { e2.Items = append(e2.Items, e.b.ID) })
				return err
			})
			_, err = w.svc.SetState(w.ctx, w.deskAgent, e.a.ID, cmdb.StateRetired, "")
			w.ok(err)
			_, err = edit(func(e *cmdb.ChangeEdit) { e.Title = "Med A, nu pensionerad" })
			w.ok(err)
		})
	}
}

// TestChangeWindowDST: a window is given on Stockholm's wall clocks and
// kept as instants. Across the night the clocks go back (25 October
// 2026, 03:00 summer time becomes 02:00 winter time), 01:00 to 04:00 is
// four hours; a time of the hour shown twice needs its offset, and one of
// the hour skipped in spring does not exist. Other zones are kept, and
// the local form round-trips.
func TestChangeWindowDST(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	e := w.estate()
	loc := stockholm(t)
	w.clock.Set(time.Date(2026, 10, 1, 9, 0, 0, 0, loc))
	create := func(win cmdb.LocalWindow) (*cmdb.Change, error) {
		return w.svc.CreateChange(w.ctx, w.deskAgent, planned("Nattarbete", win, cmdb.ChangeEffectOutage, e.m))
	}
	ch, err := create(window("2026-10-25T01:00", "2026-10-25T04:00"))
	w.ok(err)
	if d := ch.Window.End.Sub(ch.Window.Start); d != 4*time.Hour {
		t.Fatalf("window across the change to winter time is %s, want 4h", d)
	}
	if !ch.Window.Start.Equal(time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC)) || !ch.Window.End.Equal(time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("window %v to %v", ch.Window.Start, ch.Window.End)
	}
	if l := ch.Window.Local(); l.Start != "2026-10-25T01:00:00+02:00" || l.End != "2026-10-25T04:00:00+01:00" {
		t.Fatalf("local %+v", l)
	}
	err = w.refuseChange(itsm.CodeInvalid, func() error { _, err := create(window("2026-10-25T02:30", "2026-10-25T04:00")); return err })
	if !strings.Contains(err.Error(), "happens twice") || !strings.Contains(err.Error(), "2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00") {
		t.Fatalf("ambiguous start: %v", err)
	}
	summer, err := create(window("2026-10-25T02:30+02:00", "2026-10-25T04:00"))
	w.ok(err)
	winter, err := create(window("2026-10-25T02:30:00+01:00", "2026-10-25T04:00"))
	w.ok(err)
	if d := winter.Window.Start.Sub(summer.Window.Start); d != time.Hour {
		t.Fatalf("the two 02:30s are %s apart", d)
	}
	if summer.Window.End.Sub(summer.Window.Start) != 2*time.Hour+30*time.Minute {
		t.Fatalf("from the first 02:30 to 04:00: %s", summer.Window.End.Sub(summer.Window.Start))
	}
	// Round trip: the local form of a window in the hour shown twice
	// edits nothing.
	before := w.allFootprint()
	same, err := w.svc.EditChange(w.ctx, w.deskAgent, winter.ID, cmdb.ChangeEdit{Title: winter.Title, Window: winter.Window.Local(),
		Items: winter.Items, Effect: winter.Effect, Texts: winter.Texts})
	w.ok(err)
	if same.Version != winter.Version || w.allFootprint() != before {
		t.Fatalf("the local form of the window moved it: %+v", same.Window)
	}
	// Spring: 02:00 to 03:00 on 29 March 2026 does not exist... and the
	// clock is set before it.
	w.clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, loc))
	err = w.refuseChange(itsm.CodeInvalid, func() error { _, err := create(window("2026-03-29T01:00", "2026-03-29T02:30")); return err })
	if !strings.Contains(err.Error(), "window end 2026-03-29T02:30 does not exist in Europe/Stockholm") {
		t.Fatalf("skipped time: %v", err)
	}
	spring, err := create(window("2026-03-29T01:00", "2026-03-29T04:00"))
	w.ok(err)
	if d := spring.Window.End.Sub(spring.Window.Start); d != 2*time.Hour {
		t.Fatalf("window across the change to summer time is %s, want 2h", d)
	}
	// Another zone is kept as given.
	ny, err := create(cmdb.LocalWindow{Start: "2026-11-01T01:30-04:00", End: "2026-11-01T03:00", Zone: "America/New_York"})
	w.ok(err)
	if ny.Window.Zone != "America/New_York" || ny.Window.End.Sub(ny.Window.Start) != 2*time.Hour+30*time.Minute {
		t.Fatalf("New York window %+v", ny.Window)
	}
}

// TestTextsIn: readers get their language, a Norwegian the other
// Norwegian, and everyone else Swedish.
func TestTextsIn(t *testing.T) {
	all := cmdb.Texts{SV: "sv", EN: "en", NB: "nb", NN: "nn"}
	only := cmdb.Texts{SV: "sv"}
	nb := cmdb.Texts{SV: "sv", NB: "nb"}
	nn := cmdb.Texts{SV: "sv", NN: "nn"}
	for _, c := range []struct {
		t    cmdb.Texts
		l    cmdb.Language
		want string
	}{
		{all, cmdb.Swedish, "sv"}, {all, cmdb.English, "en"}, {all, cmdb.Bokmal, "nb"}, {all, cmdb.Nynorsk, "nn"},
		{only, cmdb.English, "sv"}, {only, cmdb.Bokmal, "sv"}, {only, "de", "sv"},
		{nb, cmdb.Nynorsk, "nb"}, {nn, cmdb.Bokmal, "nn"}, {nb, cmdb.English, "sv"},
	} {
		if got := c.t.In(c.l); got != c.want {
			t.Errorf("%+v in %s: %s, want %s", c.t, c.l, got, c.want)
		}
	}
}
