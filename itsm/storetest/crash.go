package storetest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Opener opens the store at target (a file path, a DSN, whatever the
// backend's test chose), creating it if needed; used by the parent and by
// child processes. The harness closes every store it opens.
type Opener func(tb testing.TB, target string) itsm.Store

// What the crash child writes: one record, one event and one number per
// transaction, so that any of the three without the others is a torn commit.
const (
	hCrashKind   = "crash"
	hCrashEvent  = "crash.committed"
	hCrashPrefix = "CR"
	// hCrashCycles kills the same store several times, so that recovery of
	// a store that was itself recovered from a kill is tested too.
	hCrashCycles = 3
)

// hCrashBody is the body of a crash record and, without Number, the data of
// its event.
type hCrashBody struct {
	I      int64  `json:"i"`
	Number uint64 `json:"number,omitempty"`
}

// errHarnessProbe rolls back the transaction that peeks at the next number.
var errHarnessProbe = errors.New("storetest: probe rolled back on purpose")

// Crash is the SIGKILL crash test. newTarget is called only in the parent
// process.
//
// A child process (the test binary, re-executed to run only t's test) commits
// one transaction after another, each putting a record, appending an event
// and taking a number, and prints an ack once Write has returned nil. The
// parent kills it with SIGKILL at a random moment, reopens the store and
// checks that every acknowledged transaction survived whole, that no
// transaction survived in part, and that record, event and number sequences
// have no gap. It does this three times on the same target. The random delays
// come from a seed that is logged; set SPOC_STORETEST_SEED to replay them.
//
// Call Crash from its own test function, with no other work in it: the child
// process runs that test function too.
func Crash(t *testing.T, newTarget func(t *testing.T) string, open Opener) {
	if role := hChildRole(); role != "" {
		if role == hRoleCrash {
			hCrashChild(t, open)
		}
		return
	}
	hSkipNoExec(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(hEnvSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("storetest: %s=%q is not a seed", hEnvSeed, s)
		}
		seed = v
	}
	t.Logf("crash: seed %d (set %s=%d to replay the same kill delays)", seed, hEnvSeed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>32^0x9e3779b97f4a7c15))

	target := newTarget(t)
	var acked []hAck // over all cycles: an ack must survive later kills too
	n := int64(0)    // transactions committed so far
	for cycle := 1; cycle <= hCrashCycles && !t.Failed(); cycle++ {
		delay := time.Duration(50+rng.IntN(351)) * time.Millisecond
		c := hStartChild(t, fmt.Sprintf("crash child %d", cycle), hRoleCrash, target, strconv.FormatInt(n+1, 10))
		if _, ok := c.waitFor(hIsAck, 30*time.Second); !ok {
			_ = c.cmd.Process.Kill()
			_, err := c.finish(5 * time.Second)
			t.Fatalf("crash cycle %d: the child made no commit in 30s (exit: %v)\n%s", cycle, err, c.diagnostics(hIsAck))
		}
		time.Sleep(delay)
		// A child that closed its stdout before the kill has stopped
		// committing on its own: that is a failure in the child, not a crash.
		select {
		case <-c.eof:
			_, err := c.finish(5 * time.Second)
			t.Fatalf("crash cycle %d: the child ended before it was killed (exit: %v)\n%s", cycle, err, c.diagnostics(hIsAck))
		default:
		}
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatalf("crash cycle %d: kill: %v", cycle, err)
		}
		lines, _ := c.finish(10 * time.Second)
		cycleAcks, bad := hCrashAcks(lines)
		for _, l := range bad {
			t.Errorf("crash cycle %d: malformed ack line %q", cycle, l)
		}
		acked = append(acked, cycleAcks...)
		last := cycleAcks[len(cycleAcks)-1].i

		s := open(t, target)
		got := hCrashCheck(t, s, acked)
		if err := s.Close(); err != nil {
			t.Errorf("crash cycle %d: close: %v", cycle, err)
		}
		switch {
		case got < n:
			t.Errorf("crash cycle %d: %d transactions in the store, fewer than the %d of the cycle before", cycle, got, n)
		case got > last+1:
			t.Errorf("crash cycle %d: %d transactions in the store, but the last ack was %d: at most one commit can be in flight", cycle, got, last)
		}
		t.Logf("crash cycle %d: killed %v after the first ack; %d acks this cycle (last %d), %d transactions in the store",
			cycle, delay, len(cycleAcks), last, got)
		n = got
	}
}

// hAck is one "ack <i> <number>" line: transaction i committed and took
// number.
type hAck struct {
	i      int64
	number uint64
}

func hIsAck(line string) bool {
	_, ok := hParse(line, "ack", 2)
	return ok
}

// hCrashAcks returns the acks among lines in order, and the lines that start
// like an ack but are malformed. A line cut short by the kill cannot happen:
// each ack is one write to a pipe, which is atomic at this size.
func hCrashAcks(lines []string) (acks []hAck, bad []string) {
	for _, l := range lines {
		if v, ok := hParse(l, "ack", 2); ok {
			acks = append(acks, hAck{i: v[0], number: uint64(v[1])})
		} else if strings.HasPrefix(l, "ack") {
			bad = append(bad, l)
		}
	}
	return acks, bad
}

// hCrashChild commits transactions until it is killed, starting at the i the
// parent passed (one more than what is in the store).
func hCrashChild(t *testing.T, open Opener) {
	i, err := strconv.ParseInt(os.Getenv(hEnvArg), 10, 64)
	if err != nil || i < 1 {
		t.Fatalf("storetest crash child: %s=%q is not a start index", hEnvArg, os.Getenv(hEnvArg))
	}
	hExitOnStdinEOF(bufio.NewReader(os.Stdin))
	s := open(t, os.Getenv(hEnvTarget))
	defer func() { _ = s.Close() }()
	ctx := context.Background()
	// The parent kills within a second; a child still running after this
	// long has lost its parent.
	deadline := time.Now().Add(2 * time.Minute)
	for ; time.Now().Before(deadline); i++ {
		var num itsm.Number
		err := s.Write(ctx, func(tx itsm.WriteTx) error {
			var err error
			if num, err = tx.NextNumber(hCrashPrefix); err != nil {
				return err
			}
			id := itsm.NewID()
			body, _ := json.Marshal(hCrashBody{I: i, Number: num.Seq})
			rec := itsm.Record{Kind: hCrashKind, ID: id, Body: body, Unique: map[string]string{"n": strconv.FormatInt(i, 10)}}
			if _, err := tx.Put(rec); err != nil {
				return err
			}
			data, _ := json.Marshal(hCrashBody{I: i})
			_, err = tx.Append(itsm.Event{Type: hCrashEvent, Kind: hCrashKind, Subject: id, Time: time.Now(), Data: data})
			return err
		})
		if err != nil {
			t.Fatalf("storetest crash child: transaction %d: %v", i, err)
		}
		hPrintf("ack %d %d", i, num.Seq)
	}
	t.Fatalf("storetest crash child: not killed within 2 minutes")
}

// hCrashCheck reads everything the crash children left in s, reports every
// inconsistency, and returns how many whole transactions it found.
func hCrashCheck(t testing.TB, s itsm.Store, acked []hAck) int64 {
	t.Helper()
	type rec struct {
		id     itsm.ID
		number uint64
	}
	recs := map[int64]rec{}
	var events []itsm.Event
	err := s.Read(context.Background(), func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: hCrashKind, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return fmt.Errorf("list %s records: %w", hCrashKind, err)
			}
			for _, h := range page.Matches {
				var b hCrashBody
				if err := json.Unmarshal(h.Record.Body, &b); err != nil {
					t.Errorf("crash record %s: body %q: %v", h.Record.ID, h.Record.Body, err)
					continue
				}
				if u := h.Record.Unique["n"]; u != strconv.FormatInt(b.I, 10) {
					t.Errorf("crash record %s of transaction %d has unique n %q", h.Record.ID, b.I, u)
				}
				if _, dup := recs[b.I]; dup {
					t.Errorf("transaction %d has two crash records", b.I)
				}
				recs[b.I] = rec{id: h.Record.ID, number: b.Number}
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		var err error
		events, err = readEvents(tx)
		return err
	})
	if err != nil {
		t.Fatalf("reading the store after the kill: %v", err)
	}

	// One writer at a time, each commit after the one before: transaction i
	// is the i'th commit, so it took number i and appended event Seq i.
	n := int64(len(recs))
	for i := int64(1); i <= n; i++ {
		r, ok := recs[i]
		switch {
		case !ok:
			t.Errorf("transaction %d is missing but %d records are there: a gap", i, n)
		case r.number != uint64(i):
			t.Errorf("transaction %d took number %d, want %d", i, r.number, i)
		}
	}
	if len(events) != len(recs) {
		t.Errorf("%d events but %d records: a transaction was committed in part", len(events), len(recs))
	}
	for k, e := range events {
		var d hCrashBody
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Errorf("event %d: data %q: %v", e.Seq, e.Data, err)
			continue
		}
		want := int64(k + 1)
		switch {
		case e.Seq != want:
			t.Errorf("event %d of the log has Seq %d: the log has a gap or is out of order", want, e.Seq)
		case e.Type != hCrashEvent || e.Kind != hCrashKind:
			t.Errorf("event %d is %s about %s, want %s about %s", e.Seq, e.Type, e.Kind, hCrashEvent, hCrashKind)
		case d.I != want:
			t.Errorf("event %d is of transaction %d: events are not in commit order", e.Seq, d.I)
		case recs[d.I].id != e.Subject:
			t.Errorf("event %d of transaction %d is about %s, but the record is %s", e.Seq, d.I, e.Subject, recs[d.I].id)
		}
	}
	for _, a := range acked {
		r, ok := recs[a.i]
		switch {
		case !ok:
			t.Errorf("transaction %d was acknowledged but is not in the store", a.i)
		case r.number != a.number:
			t.Errorf("transaction %d was acknowledged with number %d but the store has %d", a.i, a.number, r.number)
		}
	}

	// A counter that moved without its record would make the next number
	// skip; take one and roll back so the next child still gets it.
	hProbeNextNumber(t, s, hCrashPrefix, uint64(n+1), fmt.Sprintf("%d committed transactions", n))
	return n
}
