package storetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// What the two-process test writes: one counter record that both children
// increment, a number and an event per increment.
const (
	hProcKind   = "counter"
	hProcEvent  = "counter.incremented"
	hProcPrefix = "TP"
	// hProcK is the number of increments each child commits.
	hProcK = 200
	// hProcTimeout bounds a child's whole run; a healthy store needs a few
	// seconds even under the race detector.
	hProcTimeout = 60 * time.Second
)

// hProcID is the counter both children increment.
var hProcID = itsm.MustParseID("0190f1c2-5a00-7000-8000-00000000c0de")

// hProcData is the counter's body (Count only) and the data of each
// increment's event.
type hProcData struct {
	Child  int    `json:"child"`
	Count  int64  `json:"count"`
	Number uint64 `json:"number,omitempty"`
}

// Processes is the two-process test: two child processes increment one record
// with optimistic retries and take numbers; no update lost, numbers gapless.
//
// Each child commits 200 transactions that read the counter record,
// increment it, put it back with the version read, take a number and append
// an event, retrying on CodeConflict and on CodeUnavailable (after a short
// backoff). The parent then checks that the counter holds every increment,
// that the numbers the children took are exactly 1..400, and that the event
// log has one event per increment in commit order, with the count, the number
// and the Seq of each commit all equal. Retries are logged.
//
// Call Processes from its own test function, with no other work in it: the
// child processes run that test function too.
func Processes(t *testing.T, newTarget func(t *testing.T) string, open Opener) {
	if role := hChildRole(); role != "" {
		if role == hRoleProcesses {
			hProcessesChild(t, open)
		}
		return
	}
	hSkipNoExec(t)
	target := newTarget(t)
	// Create the store before the children open it, so that they do not
	// race to create the schema: that is not what this test is about.
	if err := open(t, target).Close(); err != nil {
		t.Fatalf("close after creating the store: %v", err)
	}

	// How the children are known to overlap: each prints "ready" once its
	// store is open and then blocks on stdin; the parent writes "go" to both
	// only when both are ready, so both loops start at the same moment. And
	// after its first commit each child waits until the counter shows the
	// other child's first commit too, so the two commit sequences interleave
	// however the processes are scheduled; a store that serialised whole
	// processes (a lock held from open to close) fails that wait instead of
	// passing quietly. The interleaving is checked below.
	var kids [2]*hChild
	for k := range kids {
		kids[k] = hStartChild(t, fmt.Sprintf("child %d", k), hRoleProcesses, target, fmt.Sprintf("%d %d", k, hProcK))
	}
	for _, c := range kids {
		if _, ok := c.waitFor(hIsReady, 60*time.Second); !ok {
			_ = c.cmd.Process.Kill()
			_, err := c.finish(5 * time.Second)
			t.Fatalf("%s was not ready (store open) within 60s (exit: %v)\n%s", c.name, err, c.diagnostics(hIsProcLine))
		}
	}
	for _, c := range kids {
		if _, err := fmt.Fprintln(c.stdin, "go"); err != nil {
			t.Fatalf("%s: write go: %v", c.name, err)
		}
	}

	// A child that fails leaves the other waiting for it (see above), so
	// it is killed at once rather than after hProcTimeout.
	exited := make(chan int, len(kids))
	for k, c := range kids {
		go func() {
			_ = c.wait()
			exited <- k
		}()
	}
	timeout := time.After(hProcTimeout + 10*time.Second)
	for range kids {
		select {
		case k := <-exited:
			if kids[k].wait() != nil {
				for _, c := range kids {
					_ = c.cmd.Process.Kill()
				}
			}
		case <-timeout:
			for _, c := range kids {
				_ = c.cmd.Process.Kill()
			}
		}
	}

	owner := map[uint64]int{} // number -> child that took it
	var dup []uint64
	for k, c := range kids {
		lines, err := c.finish(time.Minute)
		if err != nil {
			t.Errorf("%s failed: %v\n%s", c.name, err, c.diagnostics(hIsProcLine))
			continue
		}
		took, retries, done := 0, int64(0), false
		for _, l := range lines {
			if v, ok := hParse(l, "took", 1); ok {
				num := uint64(v[0])
				if _, seen := owner[num]; seen {
					dup = append(dup, num)
				}
				owner[num] = k
				took++
			} else if v, ok := hParse(l, "done", 1); ok {
				retries, done = v[0], true
			}
		}
		if !done || took != hProcK {
			t.Errorf("%s committed %d increments, want %d (done line seen: %v)\n%s", c.name, took, hProcK, done, c.diagnostics(hIsProcLine))
		}
		t.Logf("%s: %d increments, %d retries (conflict or unavailable), ran %v", c.name, took, retries, time.Since(c.start).Round(time.Millisecond))
	}
	if t.Failed() {
		return
	}
	if len(dup) > 0 {
		t.Errorf("numbers taken twice: %v", dup)
	}
	const total = 2 * hProcK
	switches := 0
	for n := uint64(1); n <= total; n++ {
		k, ok := owner[n]
		if !ok {
			t.Errorf("number %d was taken by neither child: numbers have a gap", n)
			continue
		}
		if n > 1 && k != owner[n-1] {
			switches++
		}
	}
	if len(owner) != total {
		t.Errorf("the children took %d distinct numbers, want %d", len(owner), total)
	}
	// With the rendezvous after the first commit, commits of a correct store
	// alternate at least twice: A, B, ..., A, ... .
	if switches < 2 {
		t.Errorf("commits alternated between the children only %d times: the processes did not run side by side", switches)
	}
	t.Logf("commits alternated between the children %d times in %d commits", switches, total)

	s := open(t, target)
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	hProcCheck(t, s, owner, total)
}

func hIsReady(line string) bool {
	_, ok := hParse(line, "ready", 0)
	return ok
}

func hIsProcLine(line string) bool {
	if _, ok := hParse(line, "took", 1); ok {
		return true
	}
	_, ok := hParse(line, "done", 1)
	return ok || hIsReady(line)
}

// hProcCheck checks what the children left in s against the numbers they
// reported.
func hProcCheck(t testing.TB, s itsm.Store, owner map[uint64]int, total int64) {
	t.Helper()
	var counter itsm.Record
	var events []itsm.Event
	err := s.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		if counter, err = tx.Get(hProcKind, hProcID); err != nil {
			return fmt.Errorf("get the counter: %w", err)
		}
		events, err = readEvents(tx)
		return err
	})
	if err != nil {
		t.Fatalf("reading the store after the children: %v", err)
	}
	var body hProcData
	if err := json.Unmarshal(counter.Body, &body); err != nil {
		t.Fatalf("counter body %q: %v", counter.Body, err)
	}
	if body.Count != total {
		t.Errorf("counter is %d after %d increments: %d updates lost", body.Count, total, total-body.Count)
	}
	if counter.Version != total {
		t.Errorf("counter version is %d after %d puts", counter.Version, total)
	}
	if int64(len(events)) != total {
		t.Errorf("%d events after %d increments", len(events), total)
	}
	// Commit k of the serialised history read count k-1, so it wrote count
	// k, took number k (one more than the last committed) and appended event
	// Seq k (the next in commit order).
	for i, e := range events {
		var d hProcData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Errorf("event %d: data %q: %v", e.Seq, e.Data, err)
			continue
		}
		want := int64(i + 1)
		switch {
		case e.Seq != want:
			t.Errorf("event %d of the log has Seq %d: the log has a gap or is out of order", want, e.Seq)
		case e.Type != hProcEvent || e.Kind != hProcKind || e.Subject != hProcID:
			t.Errorf("event %d is %s about %s %s, want %s about the counter", e.Seq, e.Type, e.Kind, e.Subject, hProcEvent)
		case d.Count != want || d.Number != uint64(want):
			t.Errorf("event %d: commit wrote count %d and took number %d, want both %d: commits were not serialised", e.Seq, d.Count, d.Number, want)
		case owner[d.Number] != d.Child:
			t.Errorf("event %d: number %d was reported by child %d but the event says child %d", e.Seq, d.Number, owner[d.Number], d.Child)
		}
		if t.Failed() && i > 20 {
			break // the first few are enough to see what went wrong
		}
	}
	hProbeNextNumber(t, s, hProcPrefix, uint64(total+1), fmt.Sprintf("%d increments", total))
}

// hProcessesChild is one of the two incrementing processes.
func hProcessesChild(t *testing.T, open Opener) {
	var child, k int
	if n, err := fmt.Sscanf(os.Getenv(hEnvArg), "%d %d", &child, &k); n != 2 || err != nil {
		t.Fatalf("storetest processes child: %s=%q is not \"<child> <K>\"", hEnvArg, os.Getenv(hEnvArg))
	}
	s := open(t, os.Getenv(hEnvTarget))
	defer func() { _ = s.Close() }()
	in := bufio.NewReader(os.Stdin)
	hPrintf("ready")
	if line, err := in.ReadString('\n'); line != "go\n" {
		t.Fatalf("storetest processes child %d: read %q, %v from the parent, want go", child, line, err)
	}
	hExitOnStdinEOF(in)

	ctx, cancel := context.WithTimeout(context.Background(), hProcTimeout)
	defer cancel()
	retries := 0
	for j := range k {
		for attempt := 0; ; attempt++ {
			num, err := hIncrement(ctx, s, child)
			if err == nil {
				hPrintf("took %d", num)
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("storetest processes child %d: increment %d not done in %v: %v", child, j+1, hProcTimeout, err)
			}
			switch itsm.ErrorCode(err) {
			case itsm.CodeConflict:
				// The other child committed in between: reread and retry.
			case itsm.CodeUnavailable:
				// Busy: back off a little, more after each failure, with
				// jitter so that the two children do not collide in step.
				time.Sleep(time.Duration(1+rand.IntN(1<<min(attempt, 5))) * time.Millisecond)
			default:
				t.Fatalf("storetest processes child %d: increment %d: %v", child, j+1, err)
			}
			retries++
		}
		if j == 0 {
			hAwaitOther(ctx, t, s, child)
		}
	}
	hPrintf("done %d", retries)
}

// hAwaitOther waits until the counter holds at least two increments, that is,
// until the other child has committed too.
func hAwaitOther(ctx context.Context, t *testing.T, s itsm.Store, child int) {
	for {
		var count int64
		err := s.Read(ctx, func(tx itsm.ReadTx) error {
			rec, err := tx.Get(hProcKind, hProcID)
			if err != nil {
				return err
			}
			var d hProcData
			if err := json.Unmarshal(rec.Body, &d); err != nil {
				return err
			}
			count = d.Count
			return nil
		})
		switch {
		case err == nil && count >= 2:
			return
		case ctx.Err() != nil:
			t.Fatalf("storetest processes child %d: the other child made no commit within %v (last read: %v): is the store locked by one process?", child, hProcTimeout, err)
		case err != nil && !slices.Contains([]itsm.Code{itsm.CodeUnavailable, itsm.CodeConflict}, itsm.ErrorCode(err)):
			t.Fatalf("storetest processes child %d: read the counter: %v", child, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// hIncrement commits one increment of the counter and returns the number it
// took.
func hIncrement(ctx context.Context, s itsm.Store, child int) (uint64, error) {
	var num itsm.Number
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		rec, err := tx.Get(hProcKind, hProcID)
		var d hProcData
		switch {
		case itsm.ErrorCode(err) == itsm.CodeNotFound:
			// The first increment creates the counter; if the other child
			// creates it first, Put or the commit fails with a conflict.
			rec = itsm.Record{Kind: hProcKind, ID: hProcID}
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(rec.Body, &d); err != nil {
				return itsm.Errorf(itsm.CodeInternal, "counter body %q: %w", rec.Body, err)
			}
		}
		d.Count++
		rec.Body, _ = json.Marshal(hProcData{Count: d.Count})
		if _, err := tx.Put(rec); err != nil {
			return err
		}
		if num, err = tx.NextNumber(hProcPrefix); err != nil {
			return err
		}
		data, _ := json.Marshal(hProcData{Child: child, Count: d.Count, Number: num.Seq})
		_, err = tx.Append(itsm.Event{Type: hProcEvent, Kind: hProcKind, Subject: hProcID, Time: time.Now(), Data: data})
		return err
	})
	return num.Seq, err
}
