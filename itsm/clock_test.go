package itsm_test

import (
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

var (
	_ itsm.Clock = itsm.SystemClock{}
	_ itsm.Clock = itsm.ClockFunc(nil)
	_ itsm.Clock = (*itsm.ManualClock)(nil)
)

func TestSystemClock(t *testing.T) {
	before := time.Now()
	now := itsm.SystemClock{}.Now()
	after := time.Now()
	if now.Location() != time.UTC {
		t.Errorf("Now().Location() = %v, want UTC", now.Location())
	}
	// A time without a monotonic reading is equal to itself after Round(0),
	// which strips the reading.
	if now != now.Round(0) {
		t.Errorf("Now() = %#v carries a monotonic reading", now)
	}
	if now.Before(before) || now.After(after) {
		t.Errorf("Now() = %v, not between %v and %v", now, before, after)
	}
}

func TestClockFunc(t *testing.T) {
	want := time.Date(2025, 3, 30, 1, 59, 0, 0, time.UTC)
	c := itsm.ClockFunc(func() time.Time { return want })
	if got := c.Now(); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
}

func TestManualClock(t *testing.T) {
	start := time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)
	c := itsm.NewManualClock(start)
	steps := []struct {
		name string
		do   func() time.Time // returns what the step itself reports, if anything
		want time.Time
	}{
		{"start", c.Now, start},
		{"advance", func() time.Time { return c.Advance(90 * time.Minute) }, start.Add(90 * time.Minute)},
		{"now after advance", c.Now, start.Add(90 * time.Minute)},
		{"advance backwards", func() time.Time { return c.Advance(-time.Hour) }, start.Add(30 * time.Minute)},
		{"set", func() time.Time { c.Set(start.AddDate(0, 1, 0)); return c.Now() }, start.AddDate(0, 1, 0)},
		{"set earlier", func() time.Time { c.Set(start); return c.Now() }, start},
	}
	for _, s := range steps {
		if got := s.do(); !got.Equal(s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
	}

	var zero itsm.ManualClock
	if got := zero.Now(); !got.IsZero() {
		t.Errorf("zero ManualClock Now() = %v, want the zero time", got)
	}
	if got := zero.Advance(time.Second); !got.Equal(time.Time{}.Add(time.Second)) {
		t.Errorf("zero ManualClock Advance(1s) = %v", got)
	}
}

func TestManualClockConcurrent(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := itsm.NewManualClock(start)
	const workers, steps = 8, 500

	var wg sync.WaitGroup
	seen := make([]map[time.Time]bool, workers)
	for w := range workers {
		seen[w] = make(map[time.Time]bool)
		wg.Go(func() {
			last := start
			for range steps {
				got := c.Advance(time.Second)
				seen[w][got] = true
				if now := c.Now(); now.Before(last) {
					t.Errorf("clock went back from %v to %v", last, now)
				}
				last = got
			}
		})
	}
	wg.Go(func() {
		for range steps {
			c.Now()
		}
	})
	wg.Wait()

	if got, want := c.Now(), start.Add(workers*steps*time.Second); !got.Equal(want) {
		t.Errorf("after %d advances of 1s: Now() = %v, want %v", workers*steps, got, want)
	}
	// Every Advance returned the time its own step produced, so no two
	// callers saw the same result.
	all := make(map[time.Time]bool)
	for _, m := range seen {
		for tm := range m {
			if all[tm] {
				t.Fatalf("two Advance calls returned %v", tm)
			}
			all[tm] = true
		}
	}
	if len(all) != workers*steps {
		t.Errorf("%d distinct Advance results, want %d", len(all), workers*steps)
	}
}
