package report_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/sla/report"
)

func TestMonthAndYear(t *testing.T) {
	sto, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	// Paraguay moved its clocks at midnight on 1 October 2023, so that
	// midnight did not exist and the month starts at 01:00.
	asu, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		p        report.Period
		from, to string
	}{
		{"March with a short day", report.Month(2026, time.March, sto), "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"},
		{"December into January", report.Month(2026, time.December, time.UTC), "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"a month starting without midnight", report.Month(2023, time.October, asu), "2023-10-01T01:00:00-03:00", "2023-11-01T00:00:00-03:00"},
		{"a year", report.Year(2026, sto), "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"},
	} {
		if got := c.p.From.Format(time.RFC3339); got != c.from {
			t.Errorf("%s: from %s, want %s", c.name, got, c.from)
		}
		if got := c.p.To.Format(time.RFC3339); got != c.to {
			t.Errorf("%s: to %s, want %s", c.name, got, c.to)
		}
	}
}

func TestSpanCoversTheTrend(t *testing.T) {
	sto, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	march := report.Month(2026, time.March, sto)
	for _, c := range []struct {
		previous int
		from     time.Time
	}{
		{0, march.From},
		{2, report.Month(2026, time.January, sto).From},
		{3, report.Month(2025, time.December, sto).From},
	} {
		got := report.Spec{Period: march, Previous: c.previous}.Span()
		if !got.From.Equal(c.from) || !got.To.Equal(march.To) {
			t.Errorf("span of March with %d previous: %v to %v, want %v to %v", c.previous, got.From, got.To, c.from, march.To)
		}
	}
}
