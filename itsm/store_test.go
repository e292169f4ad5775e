package itsm_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		prefix, end string
		ok          bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"Ø", "Ù", true}, // C3 98 -> C3 99
	} {
		end, ok := itsm.PrefixEnd(c.prefix)
		if end != c.end || ok != c.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", c.prefix, end, ok, c.end, c.ok)
		}
	}
	// Every string with the prefix sorts below the end, and the end itself
	// does not have the prefix.
	rng := rand.New(rand.NewPCG(1, 1))
	for range 10000 {
		p := randBytes(rng, 3)
		end, ok := itsm.PrefixEnd(p)
		if !ok {
			continue
		}
		s := p + randBytes(rng, 4)
		if !(s < end) || strings.HasPrefix(end, p) {
			t.Fatalf("PrefixEnd(%q) = %q, but %q has the prefix and is not below it", p, end, s)
		}
	}
}

func randBytes(rng *rand.Rand, n int) string {
	b := make([]byte, rng.IntN(n+1))
	for i := range b {
		b[i] = []byte{0x00, 0x41, 0x7f, 0xfe, 0xff}[rng.IntN(5)]
	}
	return string(b)
}

func TestIndexIntSortsNumerically(t *testing.T) {
	ns := []int64{math.MinInt64, math.MinInt64 + 1, -1000, -1, 0, 1, 9, 10, 1000, math.MaxInt64 - 1, math.MaxInt64}
	var vs []string
	for _, n := range ns {
		v := itsm.IndexInt(n)
		if len(v) != 20 {
			t.Fatalf("IndexInt(%d) = %q, want 20 digits", n, v)
		}
		vs = append(vs, v)
	}
	if !slices.IsSorted(vs) {
		t.Fatalf("IndexInt values out of order: %v", vs)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for range 10000 {
		a, b := int64(rng.Uint64()), int64(rng.Uint64())
		if (a < b) != (itsm.IndexInt(a) < itsm.IndexInt(b)) {
			t.Fatalf("IndexInt order differs for %d and %d", a, b)
		}
	}
}

func TestIndexTimeSortsChronologically(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Skip(err)
	}
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, oslo)
	var prev string
	for i := range 2000 {
		tm := base.Add(time.Duration(i) * 997 * time.Millisecond * 13)
		v := itsm.IndexTime(tm)
		if v <= prev {
			t.Fatalf("IndexTime(%v) = %q, not after %q", tm, v, prev)
		}
		back, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !back.Equal(tm) {
			t.Fatalf("IndexTime(%v) = %q parses back as %v, %v", tm, v, back, err)
		}
		prev = v
	}
	if itsm.IndexTime(time.Time{}) != "" {
		t.Fatal("the zero time must not be indexed")
	}
}
