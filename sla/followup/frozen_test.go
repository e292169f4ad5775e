package followup_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// tickets is a ticket source that a test can add to while the service reads
// it, as a running system's store changes after a month is reported.
type tickets struct {
	mu sync.Mutex
	ts []report.Ticket
}

func (s *tickets) add(t report.Ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ts = append(s.ts, t)
}

func (s *tickets) all() []report.Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]report.Ticket(nil), s.ts...)
}

// resolvedTicket is a P2 ticket of the city, registered at start and
// resolved by the desk after took.
func resolvedTicket(w *world, number string, start time.Time, took time.Duration) report.Ticket {
	return report.Ticket{ID: itsm.NewID(), Number: number, Desk: w.desk.ID, Customer: w.city.ID, Registered: start,
		Timeline: itsm.Timeline{
			{Start: start, State: "in_progress", Holder: w.desk.ID, Priority: 2},
			{Start: start.Add(took), State: "resolved", Holder: w.desk.ID, Priority: 2},
		}}
}

// The frozen rule, with the real report.Compute: once the city approved
// November, a ticket that turns up later changes what November computes to,
// but not the approved version. Get returns the approved bytes unchanged,
// Draft is refused, and the approved event's digest is still the digest of
// the stored report. Only Correct brings the new figures, as version 2, and
// the credit settled on version 1 stays in force until version 2 is approved.
func TestApprovedReportIsFrozen(t *testing.T) {
	w := newWorld(t)
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: stockholm, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	citySLA := &sla.Agreement{Name: "city SLA", Kind: sla.KindSLA, Provider: w.desk.ID, Consumer: w.city.ID, Objective: 0.75,
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour, Calendar: always,
			Stop: []itsm.State{"resolved", "closed"}}},
		Credits: &sla.Credits{MonthlyFee: 10_000_00, Currency: "SEK", Steps: []sla.CreditStep{{Above: 0, Percent: 5}}, Cap: 20}}
	src := &tickets{}
	nov := func(day, hour int) time.Time { return time.Date(2026, time.November, day, hour, 0, 0, 0, stockholm) }
	src.add(resolvedTicket(w, "INC0000001", nov(3, 9), 2*time.Hour))
	src.add(resolvedTicket(w, "INC0000002", nov(10, 9), 3*time.Hour))
	src.add(resolvedTicket(w, "INC0000003", nov(17, 9), 12*time.Hour)) // breached
	src.add(resolvedTicket(w, "INC0000004", nov(24, 9), time.Hour))
	w.use(func(_ context.Context, _, customer itsm.ID, p report.Period) (*report.Report, error) {
		return report.Compute(report.Spec{Period: p, Agreements: []*sla.Agreement{citySLA}}, report.Tickets(src.all()))
	})
	figures := func(v *followup.Version) (resolved int, compliance float64, credit *report.Credit) {
		t.Helper()
		r, err := v.Decode()
		if err != nil {
			t.Fatal(err)
		}
		return r.Total.Resolved, *r.Agreements[0].Metrics[0].Compliance, r.Agreements[0].Credit
	}

	f := w.draft(w.city.ID, w.nov)
	f = w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", "three of four in time; no credit"))
	approved := bytes.Clone(f.Versions[0].Report)
	if n, c, credit := figures(&f.Versions[0]); n != 4 || c != 0.75 || credit == nil || credit.Amount != 0 {
		t.Fatalf("approved November: %d resolved, compliance %v, credit %+v; want 4, 0.75, none", n, c, credit)
	}

	// A ticket of November registered late: November now computes to 5
	// resolved, 3 of them in time, below the objective.
	src.add(resolvedTicket(w, "INC0000005", nov(28, 9), 20*time.Hour))
	fresh, err := report.Compute(report.Spec{Period: w.nov, Agreements: []*sla.Agreement{citySLA}}, report.Tickets(src.all()))
	if err != nil || fresh.Total.Resolved != 5 || fresh.Agreements[0].Credit.Amount == 0 {
		t.Fatalf("the late ticket does not change November: %+v %v", fresh, err)
	}

	got, err := w.svc.Get(w.ctx, w.approver, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Versions[0].Report, approved) {
		t.Fatal("Get returns other bytes than were approved")
	}
	_, err = w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
	wantErr(t, err, itsm.CodeConflict, "approved reports are frozen; use Correct")

	f = w.must(w.svc.Correct(w.ctx, w.agent, f.ID, "INC0000005 was registered late"))
	if !bytes.Equal(f.Versions[0].Report, approved) || f.Versions[0].State != followup.StateApproved {
		t.Fatal("the correction changed version 1")
	}
	if n, _, credit := figures(&f.Versions[1]); n != 5 || credit.Amount != fresh.Agreements[0].Credit.Amount {
		t.Fatalf("version 2: %d resolved, credit %+v; want 5 and %+v", n, credit, fresh.Agreements[0].Credit)
	}
	if _, _, credit := figures(f.InForce()); f.InForce().Number != 1 || credit.Amount != 0 {
		t.Fatalf("in force before version 2 is approved: version %d, credit %+v", f.InForce().Number, credit)
	}
	f = w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", "credit accepted"))
	if f.InForce().Number != 2 || !bytes.Equal(f.Versions[0].Report, approved) {
		t.Fatal("approving version 2 changed version 1 or did not put version 2 in force")
	}

	// The log proves what was approved: the approved event of version 1
	// names the digest of the bytes still stored.
	var approvals []map[string]any
	for _, e := range w.events(f.ID) {
		if e.Type == "followup.approved" {
			approvals = append(approvals, payload(t, e))
		}
	}
	if len(approvals) != 2 || approvals[0]["digest"] != followup.Digest(approved) || approvals[0]["version"] != float64(1) {
		t.Fatalf("approvals %v; want the first with digest %s", approvals, followup.Digest(approved))
	}
	if approvals[1]["digest"] != followup.Digest(f.Versions[1].Report) {
		t.Errorf("second approval digest %v, want %s", approvals[1]["digest"], followup.Digest(f.Versions[1].Report))
	}
	if err := followup.Verify(f, w.events(f.ID)); err != nil {
		t.Error(err)
	}
}

// A correction computes the month in the zone it was drafted in, though
// the record keeps only offsets: the compute function sees Europe/Stockholm
// again, so that trend months before it fall on the same boundaries.
func TestCorrectionComputesInTheDraftedZone(t *testing.T) {
	w := newWorld(t)
	var seen []string
	base := w.calc.compute()
	w.use(func(ctx context.Context, d, c itsm.ID, p report.Period) (*report.Report, error) {
		seen = append(seen, p.From.Location().String())
		return base(ctx, d, c, p)
	})
	f := w.draft(w.city.ID, w.nov)
	w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", ""))
	w.must(w.svc.Correct(w.ctx, w.agent, f.ID, "recount"))
	if len(seen) != 2 || seen[1] != "Europe/Stockholm" {
		t.Errorf("compute saw zones %v, want Europe/Stockholm twice", seen)
	}
}
