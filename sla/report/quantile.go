package report

import (
	"math/bits"
	"time"
)

// durationStats returns the mean, median and 90th percentile of sorted, a
// sorted list of non-negative working times, and none (nil) when it is
// empty (decision 43).
//
// The percentiles are nearest-rank (see Compute): the p-th percentile of n
// values is the value at rank ceil(p n / 100), counting from 1. The mean sums
// in 128 bits, since a million clocks of a few weeks each overflow an int64
// of nanoseconds, and rounds half up to the nanosecond.
func durationStats(sorted []time.Duration) (mean, median, p90 *Duration) {
	n := uint64(len(sorted))
	if n == 0 {
		return nil, nil, nil
	}
	var hi, lo uint64
	for _, d := range sorted {
		var carry uint64
		lo, carry = bits.Add64(lo, uint64(max(d, 0)), 0)
		hi += carry
	}
	// hi < n: each value is below 2^63, so the sum is below n 2^63.
	q, r := bits.Div64(hi, lo, n)
	if r >= n-r {
		q++
	}
	return new(Duration(q)), new(Duration(sorted[nearestRank(50, len(sorted))-1])), new(Duration(sorted[nearestRank(90, len(sorted))-1]))
}

// nearestRank is ceil(p n / 100), at least 1.
func nearestRank(p, n int) int {
	return max(1, (p*n+99)/100)
}
