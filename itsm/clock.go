package itsm

import (
	"sync"
	"time"
)

// Clock tells the time. Domain decisions take "now" from a Clock instead of
// calling time.Now, so that tests and simulations can replay service levels
// across weekends, holidays and DST changes without waiting.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock. Its times are in UTC and carry no monotonic
// reading: service levels are measured on the wall clock, and times without a
// monotonic reading compare with == and survive a store round trip unchanged.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time {
	// UTC drops the monotonic reading as well as setting the location.
	return time.Now().UTC()
}

// ClockFunc lets an ordinary function serve as a Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// ManualClock is a Clock that moves only when told to, for tests. It is safe
// for concurrent use, so a test can advance it while the code under test
// reads it from other goroutines. The zero value reads the zero time.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a ManualClock that reads t until it is moved.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t, backwards as well as forwards, so that tests can
// also cover a wall clock that is corrected.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d and returns the new time, so that concurrent
// callers each learn the time their own step produced.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
