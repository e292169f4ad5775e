// Package asynctest helps the tests of work done in other goroutines: wait
// until it has happened (Eventually), read what it writes while it writes
// (Buffer), and keep the first error of many workers (FirstErr).
//
// Eventually is for what must happen; a test that something does not
// happen runs in a testing/synctest bubble instead, where synctest.Wait
// says when every goroutine is stuck, rather than sleeping and hoping.
package asynctest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Failsafe bounds every wait of Eventually. It only turns a broken feature
// into a failure instead of a hung test: passing waits take milliseconds,
// and a slow machine must not fail a working one.
const Failsafe = time.Minute

// poll is how long Eventually sleeps between two checks of its condition.
const poll = 2 * time.Millisecond

// Eventually returns once cond holds, checking it every few milliseconds,
// and fails tb, naming what it waited for, when it still does not hold
// after Failsafe. Call it from the test's goroutine.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Failsafe)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("still waiting after %s for %s", Failsafe, what)
		}
		time.Sleep(poll)
	}
}

// Buffer is a bytes.Buffer that one goroutine, such as a server's logger,
// may write while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Take returns what was written since the last Take and forgets it.
func (b *Buffer) Take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	b.b.Reset()
	return s
}

// FirstErr keeps the first non-nil error that any goroutine sets. Its zero
// value is ready to use.
type FirstErr struct {
	mu  sync.Mutex
	err error
}

// Set keeps err if it is the first non-nil one.
func (e *FirstErr) Set(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
	}
}

// Err returns the first error set, or nil.
func (e *FirstErr) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
