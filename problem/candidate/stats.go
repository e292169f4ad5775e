package candidate

import "math"

// logUpperTail returns the natural logarithm of P(X >= k) for X binomial
// with n trials and success probability p: the one-sided p-value of the
// conditional test that compares two Poisson rates (see the package
// documentation). It sums the probabilities in log space from the far side
// of the mode inward, stopping once a term no longer changes the sum, so
// that tails far below the smallest float64 still order correctly.
func logUpperTail(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 0
	case k > n || p <= 0:
		return math.Inf(-1)
	case p >= 1:
		return 0
	}
	lp, lq := math.Log(p), math.Log1p(-p)
	lnf, _ := math.Lgamma(float64(n + 1))
	term := func(j int) float64 {
		a, _ := math.Lgamma(float64(j + 1))
		b, _ := math.Lgamma(float64(n - j + 1))
		return lnf - a - b + float64(j)*lp + float64(n-j)*lq
	}
	mode := int(float64(n+1) * p)
	if k > mode {
		// Beyond the mode the terms fall: sum k, k+1, ... until they vanish.
		s := term(k)
		for j := k + 1; j <= n; j++ {
			t := term(j)
			if t < s-40 {
				break
			}
			s = logAdd(s, t)
		}
		return s
	}
	// At or below the mode the tail is large: one minus the lower tail,
	// summed from k-1 downward.
	s := term(k - 1)
	for j := k - 2; j >= 0; j-- {
		t := term(j)
		if t < s-40 {
			break
		}
		s = logAdd(s, t)
	}
	if s >= 0 {
		return math.Inf(-1)
	}
	return math.Log1p(-math.Exp(s))
}

// logAdd returns log(exp(a) + exp(b)).
func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}
