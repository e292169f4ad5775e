package candidate

import (
	"math"
	"testing"
)

// TestLogUpperTail checks the binomial upper tail against sums worked out
// by hand.
func TestLogUpperTail(t *testing.T) {
	for _, c := range []struct {
		k, n int
		p    float64
		want float64
	}{
		{3, 3, 1.0 / 13, 1.0 / 2197},            // all three in the window, a window of 1/13 of the time
		{2, 4, 0.5, 11.0 / 16},                  // 1 - (1+4)/16
		{1, 4, 0.5, 15.0 / 16},                  // 1 - 1/16
		{4, 4, 0.5, 1.0 / 16},                   // 1/16
		{3, 5, 0.2, (10*16.0 + 5*4 + 1) / 3125}, // (C(5,3).4^2 + C(5,4).4 + 1) / 5^5
		{5, 10, 0.1, 0.0016349374},              // 1 - sum of j=0..4
		{0, 5, 0.3, 1},                          // nothing is always at least nothing
		{6, 5, 0.3, 0},                          // more than n never
		{4, 4, 1e-9, 1e-36},                     // p^n, far below float64 sums of 1-x
	} {
		got := math.Exp(logUpperTail(c.k, c.n, c.p))
		if math.Abs(got-c.want) > 1e-9*c.want && !(c.want == 0 && got == 0) {
			t.Errorf("P(X >= %d | n=%d, p=%v) = %.12g, want %.12g", c.k, c.n, c.p, got, c.want)
		}
	}
	// Far tails stay finite in log space: 200 of 200 at p=0.01 is 1e-400.
	if got, want := logUpperTail(200, 200, 0.01), 200*math.Log(0.01); math.Abs(got-want) > 1e-9 {
		t.Errorf("log P(X >= 200 | 200, .01) = %v, want %v", got, want)
	}
	// The tail falls as k rises, on either side of the mode.
	prev := 0.0
	for k := 0; k <= 60; k++ {
		l := logUpperTail(k, 60, 0.3)
		if l > prev+1e-12 {
			t.Fatalf("the tail rose from k=%d to k=%d: %v > %v", k-1, k, l, prev)
		}
		prev = l
	}
}
