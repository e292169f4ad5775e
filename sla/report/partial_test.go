package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestPartialPeriodIsMeasuredAtNow: the report of a month that has not
// ended measures its clocks at Spec.Now, so that an incident registered
// six minutes ago has breached nothing and is young in the backlog, and the
// report says it is partial; the same month measured after its end is
// complete and decides the clocks that ran out.
func TestPartialPeriodIsMeasuredAtNow(t *testing.T) {
	slaA, _, _ := goldenAgreements(t)
	loc := gStockholm(t)
	march := report.Month(2026, time.March, loc)
	// P3: respond within 4h, resolve within 72h, around the clock.
	tk := goldenTicket(t, "INC1", gCustomer, "", gStep{"03-10 11:54", sRegistered, gDesk, 3, false})
	compute := func(now time.Time) *report.Report {
		t.Helper()
		r, err := report.Compute(report.Spec{Period: march, Agreements: []*sla.Agreement{slaA}, Now: now},
			report.Tickets([]report.Ticket{tk}))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	now := time.Date(2026, 3, 10, 12, 0, 0, 0, loc)
	r := compute(now)
	if !r.Partial || !r.AsOf.Equal(now) {
		t.Errorf("partial %t as of %v, want partial as of %v", r.Partial, r.AsOf, now)
	}
	for _, m := range r.Total.Metrics {
		if m.Breached != 0 || m.Met != 0 {
			t.Errorf("%s: %d met, %d breached six minutes after registration; want nothing decided", m.Metric, m.Met, m.Breached)
		}
	}
	if b := r.Total.Backlog; b.Open != 1 || b.Ageing[0].Count != 1 {
		t.Errorf("backlog %+v, want one ticket younger than a day", b)
	}
	if last := r.Trend[len(r.Trend)-1]; last.Backlog != 1 {
		t.Errorf("trend point %+v, want the backlog as of now", last)
	}

	after := compute(time.Date(2026, 4, 2, 9, 0, 0, 0, loc))
	if after.Partial || !after.AsOf.IsZero() {
		t.Errorf("a month that has ended is partial %t as of %v", after.Partial, after.AsOf)
	}
	if b := after.Total.Backlog; b.Ageing[3].Count != 1 {
		t.Errorf("at the end of March the ticket is 7 to 30 days old: %+v", b)
	}
	for _, m := range after.Total.Metrics {
		if m.Breached != 1 {
			t.Errorf("%s: %d breached at the end of March, want 1", m.Metric, m.Breached)
		}
	}
}

// TestPartialDefaultsToTheSystemClock: a Spec without Now is measured at
// time.Now, so a library user gets a partial report of the current period
// too.
func TestPartialDefaultsToTheSystemClock(t *testing.T) {
	now := time.Now()
	p := report.Period{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
	r, err := report.Compute(report.Spec{Period: p}, report.Tickets(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Partial || r.AsOf.Before(now) || r.AsOf.After(time.Now()) {
		t.Errorf("partial %t as of %v, want partial as of about %v", r.Partial, r.AsOf, now)
	}
}

// TestPeriodBounds: a period must have begun, and it and its trend must lie
// where calendars have working time (1970 through 2199, decision 3); what
// does not is refused as invalid, saying why, instead of failing later
// (a year before 0 cannot even be written as JSON).
func TestPeriodBounds(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	utc := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		p        report.Period
		previous int
		now      time.Time
		want     string
	}{
		{"a century and 36 before", report.Period{From: utc(1990), To: utc(2090)}, 36, now, "1970"},
		{"before 1970", report.Period{From: utc(1969), To: utc(1971)}, 0, now, "1970"},
		{"trend before 1970", report.Month(1970, time.February, time.UTC), 2, now, "1970"},
		{"after 2199", report.Period{From: utc(2199), To: utc(2201)}, 0, utc(2200), "2199"},
		{"not begun", report.Month(2027, time.January, time.UTC), 0, now, "has not begun"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.Compute(report.Spec{Period: tc.p, Previous: tc.previous, Now: tc.now}, report.Tickets(nil))
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an invalid error with %q", err, tc.want)
			}
		})
	}
	for _, p := range []report.Period{report.Month(1970, time.January, time.UTC), {From: utc(2199), To: utc(2200)}} {
		if _, err := report.Compute(report.Spec{Period: p, Now: utc(2200)}, report.Tickets(nil)); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
}
