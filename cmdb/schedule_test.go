package cmdb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// numbers lists the numbers of changes.
func numbers(chs []*cmdb.Change) []string {
	var out []string
	for _, ch := range chs {
		out = append(out, ch.Number.String())
	}
	return out
}

// weekNumbers is each week of a schedule as "2026-W50: CHG0000001 ...".
func weekNumbers(fs *cmdb.ForwardSchedule) []string {
	var out []string
	for _, wk := range fs.Weeks {
		var chs []*cmdb.Change
		for _, c := range wk.Changes {
			chs = append(chs, c.Change)
		}
		out = append(out, fmt.Sprintf("%d-W%d: %s", wk.Year, wk.Week, strings.Join(numbers(chs), " ")))
	}
	return out
}

// scheduled finds a change in a schedule.
func scheduled(fs *cmdb.ForwardSchedule, id itsm.ID) *cmdb.ScheduledChange {
	for _, wk := range fs.Weeks {
		for i := range wk.Changes {
			if wk.Changes[i].Change.ID == id {
				return &wk.Changes[i]
			}
		}
	}
	return nil
}

// TestChangeImpact: a change's impact is its items' with the health its
// effect gives them, computed when read: an outage of server A takes down
// Lön and the service over it; a degraded application degrades its
// service; a change without effect hurts nothing; a service added later
// is in the impact too.
func TestChangeImpact(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			win := window("2026-12-08T22:00", "2026-12-08T23:00")
			down := w.change(w.deskAgent, planned("Disk", win, cmdb.ChangeEffectOutage, e.a))
			slow := w.change(w.deskAgent, planned("Uppdatering", win, cmdb.ChangeEffectDegraded, e.eko))
			none := w.change(w.deskAgent, planned("Inget", win, cmdb.ChangeEffectNone, e.a))
			im, err := w.svc.ChangeImpact(w.ctx, w.cityAgent, down.ID)
			w.ok(err)
			if len(im.Services) != 1 || im.Services[0].Item != e.ekoSvc.ID || im.Services[0].Health != "down" || im.Users != 350 || len(im.Items) != 4 {
				t.Fatalf("impact of an outage of A: %+v", im)
			}
			if p := im.Services[0].Path; len(p) != 3 || p[0] != e.a.ID || p[1] != e.lon.ID {
				t.Fatalf("path %v", p)
			}
			im, err = w.svc.ChangeImpact(w.ctx, w.deskAgent, slow.ID)
			w.ok(err)
			if len(im.Services) != 1 || im.Services[0].Health != "degraded" || im.Items[0].Item != e.eko.ID {
				t.Fatalf("impact of a degraded Ekonomi: %+v", im)
			}
			im, err = w.svc.ChangeImpact(w.ctx, w.deskAgent, none.ID)
			w.ok(err)
			if len(im.Services)+len(im.Items)+len(im.Consumers)+im.Users != 0 {
				t.Fatalf("impact of a change without effect: %+v", im)
			}
			later := w.businessService("Lönetjänst", []cmdb.Consumer{{Unit: "HR", Users: 20}}, e.lon)
			w.ok(w.svc.Sync(w.ctx))
			im, err = w.svc.ChangeImpact(w.ctx, w.deskAgent, down.ID)
			w.ok(err)
			if len(im.Services) != 2 || im.Users != 370 || !slices.ContainsFunc(im.Services, func(a cmdb.Affected) bool { return a.Item == later.ID }) {
				t.Fatalf("impact after a new service: %+v", im)
			}
			// Its items retired, a change hurts nothing.
			_, err = w.svc.SetState(w.ctx, w.deskAgent, e.eko.ID, cmdb.StateRetired, "")
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			im, err = w.svc.ChangeImpact(w.ctx, w.deskAgent, slow.ID)
			w.ok(err)
			if len(im.Services)+len(im.Items) != 0 {
				t.Fatalf("impact of a change of a retired item: %+v", im)
			}
			_, err = w.svc.ChangeImpact(w.ctx, w.loneAgent, down.ID)
			w.code(err, itsm.CodeNotFound)
		})
	}
}

// TestSchedule: the forward schedule lists the changes overlapping the
// period, cancelled ones aside, in the order of their start, by ISO week
// in Stockholm (a change at 00:30 on a Monday is in that week, though it
// is still Sunday in UTC); each with its impact; and flags the changes
// whose windows overlap and that touch or hurt a common item or service.
func TestSchedule(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			loc := stockholm(t)
			mk := func(title, start, end string, eff cmdb.ChangeEffect, it *cmdb.Item) *cmdb.Change {
				return w.change(w.deskAgent, planned(title, window(start, end), eff, it))
			}
			c1 := mk("Disk A", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectOutage, e.a)
			c2 := mk("Ekonomi", "2026-12-08T22:30", "2026-12-08T23:30", cmdb.ChangeEffectDegraded, e.eko)
			c3 := mk("E-post", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectOutage, e.m)
			c4 := mk("Firmware A", "2026-12-08T23:00", "2026-12-08T23:30", cmdb.ChangeEffectNone, e.a)
			c5 := mk("Måndag", "2026-12-14T00:30", "2026-12-14T01:00", cmdb.ChangeEffectNone, e.m)
			c6 := mk("Inställd", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectOutage, e.a)
			c7 := mk("Söndag", "2026-12-20T10:00", "2026-12-20T11:00", cmdb.ChangeEffectNone, e.m)
			mk("Januari", "2027-01-20T10:00", "2027-01-20T11:00", cmdb.ChangeEffectNone, e.m)
			c9 := mk("Natten", "2026-12-06T23:00", "2026-12-07T10:00", cmdb.ChangeEffectDegraded, e.lon)
			_, err := w.svc.CancelChange(w.ctx, w.deskAgent, c6.ID, "Flyttad.")
			w.ok(err)
			_, err = w.svc.ApproveChange(w.ctx, w.deskAgent, c1.ID, "Olle", time.Time{})
			w.ok(err)
			from, to := time.Date(2026, 12, 7, 0, 0, 0, 0, loc), time.Date(2026, 12, 21, 0, 0, 0, 0, loc)
			fs, err := w.svc.Schedule(w.ctx, w.deskAgent, itsm.ID{}, from, to)
			w.ok(err)
			want := []string{"2026-W49: " + c9.Number.String(),
				fmt.Sprintf("2026-W50: %s %s %s %s", c1.Number, c3.Number, c2.Number, c4.Number),
				fmt.Sprintf("2026-W51: %s %s", c5.Number, c7.Number)}
			if got := weekNumbers(fs); !slices.Equal(got, want) {
				t.Fatalf("schedule\n%v\nwant\n%v", got, want)
			}
			if fs.Zone != "Europe/Stockholm" || fs.Desk != deskID || !fs.Weeks[1].Monday.Equal(from) || !fs.Weeks[2].Monday.Equal(from.AddDate(0, 0, 7)) ||
				!fs.Weeks[0].Monday.Equal(from.AddDate(0, 0, -7)) {
				t.Fatalf("schedule %s %s, Mondays %v %v %v", fs.Zone, fs.Desk, fs.Weeks[0].Monday, fs.Weeks[1].Monday, fs.Weeks[2].Monday)
			}
			s1 := scheduled(fs, c1.ID)
			if s1.Change.State != cmdb.ChangeStateApproved || len(s1.Impact.Services) != 1 || s1.Impact.Services[0].Name != "Ekonomitjänst" ||
				s1.Impact.Services[0].Health != "down" || s1.Impact.Users != 350 || s1.Impact.Items != 4 {
				t.Fatalf("c1 in the schedule: %+v", s1)
			}
			// c1 and c2 overlap and both hurt Ekonomi and its service; c9
			// hurts Lön and the service, but is over by then. c3 overlaps
			// them but touches only mail; c4 touches A as c1 does, but
			// starts as c1 ends.
			shared := []itsm.ID{e.eko.ID, e.ekoSvc.ID}
			slices.SortFunc(shared, func(a, b itsm.ID) int { return strings.Compare(a.String(), b.String()) })
			if c := s1.Collisions; len(c) != 1 || c[0].Change != c2.ID || c[0].Number != c2.Number || !slices.Equal(c[0].Shared, shared) {
				t.Fatalf("collisions of c1: %+v", c)
			}
			if c := scheduled(fs, c2.ID).Collisions; len(c) != 1 || c[0].Change != c1.ID || !slices.Equal(c[0].Shared, shared) {
				t.Fatalf("collisions of c2: %+v", c)
			}
			for _, ch := range []*cmdb.Change{c3, c4, c5, c7, c9} {
				if c := scheduled(fs, ch.ID).Collisions; len(c) != 0 {
					t.Errorf("%s collides with %+v", ch.Title, c)
				}
			}
			// A period that holds only part of a window lists the change.
			fs, err = w.svc.Schedule(w.ctx, w.cityAgent, deskID, time.Date(2026, 12, 8, 23, 15, 0, 0, loc), time.Date(2026, 12, 8, 23, 20, 0, 0, loc))
			w.ok(err)
			if got := weekNumbers(fs); !slices.Equal(got, []string{fmt.Sprintf("2026-W50: %s %s", c2.Number, c4.Number)}) {
				t.Fatalf("schedule of 23:15 to 23:20: %v", got)
			}
			// An empty period has no weeks.
			fs, err = w.svc.Schedule(w.ctx, w.telAgent, deskID, time.Date(2027, 2, 1, 0, 0, 0, 0, loc), time.Date(2027, 3, 1, 0, 0, 0, 0, loc))
			w.ok(err)
			if len(fs.Weeks) != 0 || fs.Weeks == nil {
				t.Fatalf("schedule of February: %+v", fs.Weeks)
			}
			for _, c := range []struct {
				actor    itsm.Actor
				desk     itsm.ID
				from, to time.Time
				code     itsm.Code
			}{
				{w.deskAgent, deskID, to, from, itsm.CodeInvalid},
				{w.deskAgent, deskID, from, from, itsm.CodeInvalid},
				{w.deskAgent, deskID, time.Time{}, to, itsm.CodeInvalid},
				{w.deskAgent, deskID, from, from.Add(cmdb.MaxPeriod + time.Second), itsm.CodeInvalid},
				{w.deskAgent, deskID, time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1800, 2, 1, 0, 0, 0, 0, time.UTC), itsm.CodeInvalid},
				{w.cityAgent, itsm.ID{}, from, to, itsm.CodeInvalid},
				{w.desk2Agent, deskID, from, to, itsm.CodeForbidden},
				{w.loneAgent, deskID, from, to, itsm.CodeForbidden},
				{w.bareAgent, deskID, from, to, itsm.CodeForbidden},
			} {
				_, err := w.svc.Schedule(w.ctx, c.actor, c.desk, c.from, c.to)
				if !itsm.IsCode(err, c.code) {
					t.Errorf("schedule by %s of %s from %v to %v: %v, want %s", c.actor.Person, c.desk, c.from, c.to, err, c.code)
				}
			}
		})
	}
}

// TestScheduleLimit: a schedule lists at most MaxScheduled changes and
// says to ask for a shorter period.
func TestScheduleLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("registers a thousand changes; the limit is the same at any size")
	}
	w := newWorld(t, backends()["memstore"](t))
	m := w.server("m")
	loc := stockholm(t)
	for i := range cmdb.MaxScheduled + 1 {
		start := time.Date(2026, 12, 8, 0, 0, 0, 0, loc).Add(time.Duration(i) * time.Minute)
		w.change(w.deskAgent, planned("Byte", window(start.Format("2006-01-02T15:04"), start.Add(time.Hour).Format("2006-01-02T15:04")), cmdb.ChangeEffectNone, m))
	}
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, loc)
	_, err := w.svc.Schedule(w.ctx, w.deskAgent, deskID, from, from.AddDate(0, 0, 7))
	w.code(err, itsm.CodeInvalid)
	if !strings.Contains(err.Error(), "more than 1000 changes") {
		t.Fatalf("%v", err)
	}
	fs, err := w.svc.Schedule(w.ctx, w.deskAgent, deskID, from, time.Date(2026, 12, 8, 16, 0, 0, 0, loc))
	w.ok(err)
	if n := len(fs.Weeks[0].Changes); n != 16*60 {
		t.Fatalf("%d changes start by 16:00", n)
	}
}

// TestOutages: users see the changes approved or in progress whose effect
// they notice, current (in the window, or in progress even past it) and
// upcoming within the horizon, with the texts and the services hurt;
// not drafts, cancelled or completed changes, nor changes without effect.
// Every person of an organisation working with the desk reads them,
// rights in the CMDB or not.
func TestOutages(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			loc := stockholm(t)
			approve := func(ch *cmdb.Change) {
				_, err := w.svc.ApproveChange(w.ctx, w.deskAgent, ch.ID, "Olle", time.Time{})
				w.ok(err)
			}
			mk := func(title, start, end string, eff cmdb.ChangeEffect, it *cmdb.Item, approved bool) *cmdb.Change {
				ch := w.change(w.deskAgent, planned(title, window(start, end), eff, it))
				if approved {
					approve(ch)
				}
				return ch
			}
			c1 := mk("Disk A", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectOutage, e.a, true)
			c2 := mk("Ekonomi", "2026-12-08T22:30", "2026-12-08T23:30", cmdb.ChangeEffectDegraded, e.eko, true)
			mk("Utkast", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectOutage, e.m, false)
			mk("Utan effekt", "2026-12-08T22:00", "2026-12-08T23:00", cmdb.ChangeEffectNone, e.m, true)
			c9 := mk("Natten", "2026-12-06T23:00", "2026-12-07T10:00", cmdb.ChangeEffectDegraded, e.lon, true)
			late := mk("Nästa månad", "2027-01-10T22:00", "2027-01-10T23:00", cmdb.ChangeEffectOutage, e.m, true)
			n := planned("Driftstörning e-post", window("2026-12-07T08:00", "2026-12-07T11:00"), cmdb.ChangeEffectOutage, e.m)
			n.Kind, n.Incident = cmdb.ChangeUnplanned, itsm.NewID()
			n.Texts = cmdb.Texts{SV: "E-posten fungerar inte.", EN: "E-mail is down."}
			c10 := w.change(w.deskAgent, n)
			approve(c10)
			_, err := w.svc.StartChange(w.ctx, w.deskAgent, c10.ID)
			w.ok(err)
			cityUser := person(cityID, "ulla")
			outages := func(a itsm.Actor, at time.Time, horizon time.Duration) []string {
				t.Helper()
				os, err := w.svc.Outages(w.ctx, a, deskID, at, horizon)
				w.ok(err)
				var out []string
				for _, o := range os {
					s := o.Number.String()
					if o.Current {
						s += " now"
					}
					out = append(out, s)
				}
				return out
			}
			now := w.clock.Now()
			want := []string{c9.Number.String() + " now", c10.Number.String() + " now", c1.Number.String(), c2.Number.String()}
			if got := outages(cityUser, time.Time{}, 7*24*time.Hour); !slices.Equal(got, want) {
				t.Fatalf("outages this week: %v, want %v", got, want)
			}
			if got := outages(w.bareAgent, now, 0); !slices.Equal(got, want[:2]) {
				t.Fatalf("outages now: %v, want %v", got, want[:2])
			}
			if got := outages(w.deskAgent, now, 60*24*time.Hour); !slices.Equal(got, append(want, late.Number.String())) {
				t.Fatalf("outages in two months: %v", got)
			}
			// Late in the evening of the 8th: c1 and c2 are on, and the
			// outage of mail, still in progress, has run over its window.
			evening := time.Date(2026, 12, 8, 22, 45, 0, 0, loc)
			want = []string{c10.Number.String() + " now", c1.Number.String() + " now", c2.Number.String() + " now"}
			if got := outages(w.telAgent, evening, 0); !slices.Equal(got, want) {
				t.Fatalf("outages at 22:45 on the 8th: %v, want %v", got, want)
			}
			os, err := w.svc.Outages(w.ctx, cityUser, deskID, evening, 0)
			w.ok(err)
			if o := os[0]; o.Kind != cmdb.ChangeUnplanned || o.State != cmdb.ChangeStateInProgress || o.Texts.In(cmdb.English) != "E-mail is down." ||
				len(o.Services) != 1 || o.Services[0].Name != "E-posttjänst" || o.Services[0].Health != "down" || o.Window.Zone != "Europe/Stockholm" {
				t.Fatalf("the mail outage: %+v", o)
			}
			if o := os[2]; o.Effect != cmdb.ChangeEffectDegraded || len(o.Services) != 1 || o.Services[0].Health != "degraded" {
				t.Fatalf("the degraded Ekonomi: %+v", o)
			}
			// Completed, the outage is over.
			_, err = w.svc.CompleteChange(w.ctx, w.deskAgent, c10.ID, "")
			w.ok(err)
			if got := outages(cityUser, evening, 0); !slices.Equal(got, want[1:]) {
				t.Fatalf("outages after the mail came back: %v", got)
			}
			// A change cancelled, or a draft again, is not shown.
			_, err = w.svc.CancelChange(w.ctx, w.deskAgent, c2.ID, "Skjuts upp.")
			w.ok(err)
			if got := outages(cityUser, evening, 0); !slices.Equal(got, want[1:2]) {
				t.Fatalf("outages after c2 was cancelled: %v", got)
			}
			for _, c := range []struct {
				actor   itsm.Actor
				desk    itsm.ID
				horizon time.Duration
				code    itsm.Code
			}{
				{cityUser, itsm.ID{}, 0, itsm.CodeInvalid},
				{w.deskAgent, deskID, -time.Second, itsm.CodeInvalid},
				{w.deskAgent, deskID, cmdb.MaxPeriod + time.Second, itsm.CodeInvalid},
				{w.loneAgent, deskID, 0, itsm.CodeForbidden},
				{w.desk2Agent, deskID, 0, itsm.CodeForbidden},
				{person(itsm.NewID(), "x"), deskID, 0, itsm.CodeForbidden},
			} {
				_, err := w.svc.Outages(w.ctx, c.actor, c.desk, now, c.horizon)
				if !itsm.IsCode(err, c.code) {
					t.Errorf("outages by %s of %s within %s: %v, want %s", c.actor.Person, c.desk, c.horizon, err, c.code)
				}
			}
			if _, err := w.svc.Outages(w.ctx, w.deskAgent, itsm.ID{}, now, cmdb.MaxPeriod); err != nil {
				t.Errorf("the desk's own outages within the longest horizon: %v", err)
			}
		})
	}
}
