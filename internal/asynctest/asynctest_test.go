package asynctest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fatalRecorder keeps what Fatalf says and ends the goroutine, as Fatalf
// does, without failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestEventuallyWaitsForTheCondition: Eventually returns on the check that
// first sees the condition hold, having waited between checks.
func TestEventuallyWaitsForTheCondition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		checks := 0
		Eventually(t, "the third check", func() bool { checks++; return checks == 3 })
		if checks != 3 || time.Since(start) != 2*poll {
			t.Errorf("returned after %d checks and %s, want 3 and %s", checks, time.Since(start), 2*poll)
		}
	})
}

// TestEventuallyGivesUpAfterTheFailsafe: a condition that never holds fails
// the test at Failsafe, naming what it waited for (the bubble's clock makes
// the minute pass at once).
func TestEventuallyGivesUpAfterTheFailsafe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fatalRecorder{TB: t}
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			Eventually(r, "the moon", func() bool { return false })
		}()
		<-done
		if want := "still waiting after 1m0s for the moon"; r.msg != want {
			t.Errorf("Fatalf %q, want %q", r.msg, want)
		}
		if d := time.Since(start); d < Failsafe || d > Failsafe+poll {
			t.Errorf("gave up after %s, want %s", d, Failsafe)
		}
	})
}

// TestBufferTakesWhatWasWritten reads a Buffer while goroutines write it;
// run with -race it checks the locking too.
func TestBufferTakesWhatWasWritten(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprint(&b, "x")
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.Take(); got != strings.Repeat("x", 400) {
		t.Errorf("Take: %d bytes, want 400 x", len(got))
	}
	fmt.Fprint(&b, "after")
	if got := b.Take(); got != "after" {
		t.Errorf("the second Take: %q, want only what came after the first", got)
	}
}

// TestFirstErrKeepsTheFirst: nil is no error, and later errors do not
// replace the first.
func TestFirstErrKeepsTheFirst(t *testing.T) {
	var e FirstErr
	if e.Err() != nil {
		t.Fatal("the zero FirstErr has an error")
	}
	first, second := errors.New("first"), errors.New("second")
	e.Set(nil)
	e.Set(first)
	e.Set(nil)
	e.Set(second)
	if e.Err() != first {
		t.Errorf("Err() = %v, want %v", e.Err(), first)
	}
}
