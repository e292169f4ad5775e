package sla_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

func city() *sla.Credits {
	// 1 % of the fee below the objective, 3 % beyond two points, 6 %
	// beyond five; at most 10 % a month.
	return &sla.Credits{MonthlyFee: 250_000_00, Currency: "SEK", Cap: 10,
		Steps: []sla.CreditStep{{Above: 0, Percent: 1}, {Above: 0.02, Percent: 3}, {Above: 0.05, Percent: 6}}}
}

func TestCreditsSettle(t *testing.T) {
	for _, c := range []struct {
		name       string
		shortfalls []float64
		percent    float64
		amount     int64
	}{
		{"objective met", []float64{0, -0.03}, 0, 0},
		{"just short", []float64{0.001}, 1, 2_500_00},
		{"exactly two points is the first step", []float64{0.02}, 1, 2_500_00},
		{"beyond two points", []float64{0.021}, 3, 7_500_00},
		{"two metrics add up", []float64{0.03, 0.01}, 4, 10_000_00},
		{"the cap", []float64{0.06, 0.06}, 10, 25_000_00},
		{"no metrics", nil, 0, 0},
	} {
		p, a := city().Settle(c.shortfalls...)
		if p != c.percent || a != c.amount {
			t.Errorf("%s: %v%% %d, want %v%% %d", c.name, p, a, c.percent, c.amount)
		}
	}
	odd := &sla.Credits{MonthlyFee: 3, Currency: "NOK", Cap: 100, Steps: []sla.CreditStep{{Percent: 50}}}
	if _, a := odd.Settle(0.1); a != 2 { // 1.5 rounds half away from zero
		t.Errorf("half a minor unit credited as %d, want 2", a)
	}
}

func TestCreditsValidate(t *testing.T) {
	for name, mutate := range map[string]func(*sla.Credits){
		"negative fee":       func(c *sla.Credits) { c.MonthlyFee = -1 },
		"currency":           func(c *sla.Credits) { c.Currency = "kronor" },
		"no steps":           func(c *sla.Credits) { c.Steps = nil },
		"cap zero":           func(c *sla.Credits) { c.Cap = 0 },
		"cap above 100":      func(c *sla.Credits) { c.Cap = 101 },
		"step above one":     func(c *sla.Credits) { c.Steps[1].Above = 1 },
		"step percent zero":  func(c *sla.Credits) { c.Steps[0].Percent = 0 },
		"steps out of order": func(c *sla.Credits) { c.Steps[2].Above = 0.01 },
	} {
		c := city()
		mutate(c)
		if err := c.Validate(); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
		a := agreementWith(c)
		if err := a.Validate(); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("agreement with %s: %v, want invalid", name, err)
		}
	}
	if err := city().Validate(); err != nil {
		t.Errorf("a valid rule: %v", err)
	}
	if err := agreementWith(city()).Validate(); err != nil {
		t.Errorf("an agreement with a valid rule: %v", err)
	}
}

func agreementWith(c *sla.Credits) *sla.Agreement {
	return &sla.Agreement{Name: "city SLA", Kind: sla.KindSLA, Provider: itsm.NewID(), Consumer: itsm.NewID(),
		Objective: 0.95, Credits: c, Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 1,
			Within: 4 * time.Hour, Calendar: mustAlways(), Stop: []itsm.State{"resolved"}}}}
}

func mustAlways() *sla.Calendar {
	c, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		panic(err)
	}
	return c
}
