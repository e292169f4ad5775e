package followup_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The whole workflow: the desk drafts, the customer rejects with a comment,
// the desk redrafts within version 1, the customer approves; later the desk
// corrects, which starts version 2 as a draft that the customer approves
// again, while version 1 stays as approved.
func TestLifecycle(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	key, err := followup.Key(w.desk.ID, w.city.ID, w.nov)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != key || f.Customer != w.city.ID || f.Desk != w.desk.ID || f.Month != "2026-11" || f.Zone != "Europe/Stockholm" {
		t.Fatalf("drafted %+v, want key %s, city, desk, 2026-11, Europe/Stockholm", f, key)
	}
	if f.State != followup.StateDrafted || len(f.Versions) != 1 || f.Current().Number != 1 || f.InForce() != nil {
		t.Fatalf("after draft: state %s, %d versions, in force %v", f.State, len(f.Versions), f.InForce())
	}
	first := f.Current().Digest
	if first != followup.Digest(f.Current().Report) || resolvedOf(t, f.Current()) != 40 {
		t.Fatalf("digest %s of report with %d resolved", first, resolvedOf(t, f.Current()))
	}

	f = w.must(w.svc.Reject(w.ctx, w.approver, key, "", "  The P1 outage on the 12th is missing.  "))
	if f.State != followup.StateRejected || f.Current().State != followup.StateRejected {
		t.Fatalf("after reject: %s / %s", f.State, f.Current().State)
	}
	if rj := f.Current().Rejections; len(rj) != 1 || rj[0].Comment != "The P1 outage on the 12th is missing." || rj[0].Digest != first || rj[0].By.Person != "carl" {
		t.Fatalf("rejections %+v", rj)
	}

	w.calc.set(41) // the desk fixed the data; the month computes anew
	f = w.draft(w.city.ID, w.nov)
	v := f.Current()
	if f.State != followup.StateDrafted || len(f.Versions) != 1 || v.Number != 1 || len(v.Drafts) != 2 {
		t.Fatalf("after redraft: state %s, %d versions, version %d with %d drafts", f.State, len(f.Versions), v.Number, len(v.Drafts))
	}
	second := v.Digest
	if second == first || resolvedOf(t, v) != 41 || v.Drafts[1].Digest != second || v.Drafts[0].Digest != first {
		t.Fatalf("redraft kept the old report: digests %s, %s; drafts %+v", first, second, v.Drafts)
	}

	// The customer read the first draft; the desk has redrafted since.
	if _, err := w.svc.Approve(w.ctx, w.approver, key, first, "Agreed"); !itsm.IsCode(err, itsm.CodeConflict) || !errors.Is(err, itsm.ErrStale) ||
		!strings.Contains(err.Error(), "the draft changed since it was read: digest "+first) || !strings.Contains(err.Error(), `"dana" redrafted`) {
		t.Fatalf("approving the draft read before the redraft: %v, want a stale conflict saying the desk redrafted", err)
	}
	f = w.must(w.svc.Approve(w.ctx, w.approver, key, second, "Agreed; credit to be settled."))
	v1 := f.Versions[0]
	if f.State != followup.StateApproved || v1.Approval == nil || v1.Approval.Digest != second || v1.Approval.Comment != "Agreed; credit to be settled." {
		t.Fatalf("after approve: %s, approval %+v", f.State, v1.Approval)
	}
	if f.InForce() == nil || f.InForce().Number != 1 {
		t.Fatalf("in force: %+v", f.InForce())
	}
	approvedBytes := bytes.Clone(v1.Report)

	w.calc.set(39) // a late ticket changes the figures of an approved month
	f = w.must(w.svc.Correct(w.ctx, w.agent, key, "INC0000123 was closed late and belongs to November"))
	if f.State != followup.StateDrafted || len(f.Versions) != 2 {
		t.Fatalf("after correct: %s with %d versions", f.State, len(f.Versions))
	}
	v1, v2 := f.Versions[0], f.Versions[1]
	if v2.Number != 2 || v2.State != followup.StateDrafted || v2.Reason != "INC0000123 was closed late and belongs to November" || resolvedOf(t, &v2) != 39 {
		t.Fatalf("version 2: %+v", v2)
	}
	if v1.State != followup.StateApproved || !bytes.Equal(v1.Report, approvedBytes) || f.InForce().Number != 1 {
		t.Fatalf("version 1 changed by the correction: %s, in force %d", v1.State, f.InForce().Number)
	}

	// The digest of version 1, read before the correction, is not that of
	// the draft under review: it says so, not that anyone redrafted.
	if _, err := w.svc.Approve(w.ctx, w.approver, key, second, ""); !errors.Is(err, itsm.ErrStale) ||
		!strings.Contains(err.Error(), "digest "+second+" is of version 1, which was corrected since: version 2 is under review") {
		t.Fatalf("approving version 2 with version 1's digest: %v", err)
	}
	f = w.must(w.svc.Approve(w.ctx, w.approver, key, "", ""))
	if f.State != followup.StateApproved || f.InForce().Number != 2 || f.Versions[1].Approval.Comment != "" {
		t.Fatalf("after approving version 2: %s, in force %d", f.State, f.InForce().Number)
	}

	events := w.events(key)
	want := []string{"followup.drafted", "followup.rejected", "followup.redrafted", "followup.approved", "followup.corrected", "followup.approved"}
	if got := types(events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// Each event names its actor, its version and the digest it concerns.
	wantEvents := []struct {
		person  string
		version float64
		digest  string
	}{{"dana", 1, first}, {"carl", 1, first}, {"dana", 1, second}, {"carl", 1, second}, {"dana", 2, v2.Digest}, {"carl", 2, v2.Digest}}
	for i, e := range events {
		p := payload(t, e)
		by, _ := p["by"].(map[string]any)
		if by["person"] != wantEvents[i].person || p["version"] != wantEvents[i].version || p["digest"] != wantEvents[i].digest {
			t.Errorf("event %d %s: by %v, version %v, digest %v; want %+v", i, e.Type, by["person"], p["version"], p["digest"], wantEvents[i])
		}
		if e.Kind != followup.Kind || e.Subject != key {
			t.Errorf("event %d: kind %q subject %s", i, e.Kind, e.Subject)
		}
	}
	stored, err := w.svc.Get(w.ctx, w.agent, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := followup.Verify(stored, events); err != nil {
		t.Fatal(err)
	}
	if stored.Revision != int64(len(events)) {
		t.Errorf("revision %d after %d events", stored.Revision, len(events))
	}
}

// Drafting the same month again finds the same follow-up: one record, a
// redrafted event, the same key; also when the month is given in another
// zone with the same instants. A period with other instants is refused.
func TestDraftSameMonthTwice(t *testing.T) {
	w := newWorld(t)
	a := w.draft(w.city.ID, w.nov)
	cet := time.FixedZone("CET", 3600)
	b := w.must(w.svc.Draft(w.ctx, w.agent, w.city.ID, report.Month(2026, time.November, cet)))
	if a.ID != b.ID || len(b.Versions) != 1 || len(b.Current().Drafts) != 2 {
		t.Fatalf("second draft: id %s (first %s), %d versions, %d drafts", b.ID, a.ID, len(b.Versions), len(b.Current().Drafts))
	}
	if b.Zone != "Europe/Stockholm" {
		t.Errorf("zone %q changed by a redraft", b.Zone)
	}
	page, err := w.svc.List(w.ctx, w.agent, followup.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.FollowUps) != 1 {
		t.Fatalf("%d follow-ups listed, want 1", len(page.FollowUps))
	}
	if got := types(w.events(a.ID)); !slices.Equal(got, []string{"followup.drafted", "followup.redrafted"}) {
		t.Fatalf("events %v", got)
	}
	_, err = w.svc.Draft(w.ctx, w.agent, w.city.ID, report.Month(2026, time.November, time.UTC))
	wantErr(t, err, itsm.CodeInvalid, "2026-11", `"dana"`, "state drafted", "2026-11-01T00:00:00+01:00", "2026-11-01T00:00:00Z")
	// Another customer's November and the city's October are other follow-ups.
	c := w.draft(w.town.ID, w.nov)
	d := w.draft(w.city.ID, w.oct)
	if c.ID == a.ID || d.ID == a.ID || c.ID == d.ID {
		t.Fatalf("keys collide: %s %s %s", a.ID, c.ID, d.ID)
	}
}

// The key is a pure function of desk, customer and month: the same in every
// zone and every run (the golden value guards stored follow-ups against a
// change of derivation), and refused for what is not one calendar month.
func TestKey(t *testing.T) {
	desk := itsm.MustParseID("0193a0c4-7b2e-7c3d-9e4f-5a6b7c8d9e01")
	city := itsm.MustParseID("0193a0c4-7b2e-7c3d-9e4f-5a6b7c8d9e0f")
	k, err := followup.Key(desk, city, report.Month(2026, time.November, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := itsm.MustParseID("63901acb-4fa7-5720-8bf9-37dca3df3cf9"); k != want {
		t.Errorf("key %s, want %s: the derivation changed, and stored follow-ups would not be found", k, want)
	}
	for _, loc := range []*time.Location{stockholm, time.FixedZone("", -11*3600)} {
		if k2, _ := followup.Key(desk, city, report.Month(2026, time.November, loc)); k2 != k {
			t.Errorf("key in %s is %s, want %s", loc, k2, k)
		}
	}
	if k3, _ := followup.Key(desk, city, report.Month(2026, time.December, time.UTC)); k3 == k {
		t.Error("November and December have one key")
	}
	if k4, _ := followup.Key(desk, itsm.NewID(), report.Month(2026, time.November, time.UTC)); k4 == k {
		t.Error("two customers have one key")
	}
	if k5, _ := followup.Key(itsm.NewID(), city, report.Month(2026, time.November, time.UTC)); k5 == k {
		t.Error("two desks have one key for a customer's month")
	}
	// A month whose first midnight does not exist (Paraguay moved its
	// clocks on at 00:00 on 1 October 2023): report.Month starts it at
	// 01:00, when the day begins; time.Date's 23:00 on 30 September is a
	// September instant and not the month.
	asuncion, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	oct23 := report.Month(2023, time.October, asuncion)
	k23, err := followup.Key(desk, city, oct23)
	if k23 != mustKey(t, desk, city, report.Month(2023, time.October, time.UTC)) || err != nil {
		t.Errorf("October 2023 in Asuncion: key %s, %v; want October's", k23, err)
	}
	naive := report.Period{From: time.Date(2023, time.October, 1, 0, 0, 0, 0, asuncion), To: oct23.To}
	if _, err := followup.Key(desk, city, naive); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("October 2023 in Asuncion from 30 September 23:00: %v, want invalid", err)
	}
	nov := report.Month(2026, time.November, time.UTC)
	bad := map[string]report.Period{
		"zero":            {},
		"no end":          {From: nov.From},
		"mid-month":       {From: nov.From.AddDate(0, 0, 1), To: nov.To.AddDate(0, 0, 1)},
		"two months":      {From: nov.From, To: nov.To.AddDate(0, 1, 0)},
		"a day short":     {From: nov.From, To: nov.To.AddDate(0, 0, -1)},
		"not at midnight": {From: nov.From.Add(time.Hour), To: nov.To.Add(time.Hour)},
		"a year":          report.Year(2026, time.UTC),
		"backwards":       {From: nov.To, To: nov.From},
		"year 10000":      report.Month(10000, time.January, time.UTC),
	}
	for name, p := range bad {
		if _, err := followup.Key(desk, city, p); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := followup.Key(desk, itsm.ID{}, nov); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("zero customer: %v", err)
	}
	if _, err := followup.Key(itsm.ID{}, city, nov); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("zero desk: %v", err)
	}
}

// A clock that steps back does not make the history run backward: the
// change is recorded at the last change's time.
func TestClockSteppingBack(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	drafted := f.Changed
	w.clock.Set(drafted.Add(-30 * time.Minute))
	f, err := w.svc.Approve(w.ctx, w.approver, f.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Current().Approval.At.Equal(drafted) || !f.Changed.Equal(drafted) {
		t.Errorf("approved at %s, drafted at %s", f.Current().Approval.At, drafted)
	}
	if err := followup.Verify(f, w.events(f.ID)); err != nil {
		t.Error(err)
	}
}

func mustKey(t *testing.T, desk, customer itsm.ID, p report.Period) itsm.ID {
	t.Helper()
	k, err := followup.Key(desk, customer, p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
