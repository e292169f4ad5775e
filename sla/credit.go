package sla

import (
	"math"

	"github.com/spoc-itsm/spoc/itsm"
)

// Credits are what a provider pays back for a period in which it fell short
// of an agreement's objective (SL-4): a stepped percentage of the monthly
// fee, capped.
//
// Each metric of the agreement is judged on its own: its shortfall is the
// objective minus its compliance, in the same fractions (0.95 - 0.91 = 0.04).
// The highest step whose Above the shortfall exceeds gives that metric's
// percentage; the percentages of all metrics add up, and Cap limits the sum.
type Credits struct {
	// MonthlyFee is the fee the percentages apply to, in minor units of
	// Currency (öre, øre, cent), so that money is never a float.
	MonthlyFee int64
	// Currency is the ISO 4217 code, such as "SEK".
	Currency string
	// Steps in increasing order of Above.
	Steps []CreditStep
	// Cap is the highest percentage of the fee credited for one period.
	Cap float64
}

// CreditStep is one step of a credit rule: a shortfall beyond Above (a
// fraction, 0.02 for two percentage points) credits Percent of the fee.
type CreditStep struct {
	Above   float64
	Percent float64
}

// Validate reports the first thing wrong with the rule.
func (c *Credits) Validate() error {
	switch {
	case c.MonthlyFee < 0:
		return itsm.Errorf(itsm.CodeInvalid, "credits: monthly fee %d is negative", c.MonthlyFee)
	case len(c.Currency) != 3:
		return itsm.Errorf(itsm.CodeInvalid, "credits: currency %q is not an ISO 4217 code", c.Currency)
	case len(c.Steps) == 0:
		return itsm.Errorf(itsm.CodeInvalid, "credits: no steps")
	case !(c.Cap > 0 && c.Cap <= 100):
		return itsm.Errorf(itsm.CodeInvalid, "credits: cap %v is not in (0, 100]", c.Cap)
	}
	for i, s := range c.Steps {
		switch {
		case !(s.Above >= 0 && s.Above < 1):
			return itsm.Errorf(itsm.CodeInvalid, "credits: step %d: above %v is not in [0, 1)", i, s.Above)
		case !(s.Percent > 0 && s.Percent <= 100):
			return itsm.Errorf(itsm.CodeInvalid, "credits: step %d: percent %v is not in (0, 100]", i, s.Percent)
		case i > 0 && s.Above <= c.Steps[i-1].Above:
			return itsm.Errorf(itsm.CodeInvalid, "credits: steps must increase in above; step %d does not", i)
		}
	}
	return nil
}

// Percent returns the percentage of the fee that one metric's shortfall
// credits, before the cap: that of the highest step it exceeds, or zero.
func (c *Credits) Percent(shortfall float64) float64 {
	p := 0.0
	for _, s := range c.Steps {
		if shortfall > s.Above {
			p = s.Percent
		}
	}
	return p
}

// Settle returns the credit for a period in which the agreement's metrics
// fell short by the given shortfalls (one per metric; a metric that met its
// objective has none or a shortfall of zero or less): the summed step
// percentages capped at Cap, and that share of the monthly fee rounded to the
// nearest minor unit.
func (c *Credits) Settle(shortfalls ...float64) (percent float64, amount int64) {
	for _, s := range shortfalls {
		percent += c.Percent(s)
	}
	percent = math.Min(percent, c.Cap)
	return percent, int64(math.Round(float64(c.MonthlyFee) * percent / 100))
}
