package request_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

// The environment of the child process of TestTypeAFulfilledOnceThroughACrash:
// the point at which it kills itself, and the database and item it works on.
const (
	envCrashPoint = "SPOC_REQUEST_CRASH_POINT"
	envCrashDB    = "SPOC_REQUEST_CRASH_DB"
	envCrashItem  = "SPOC_REQUEST_CRASH_ITEM"
)

// The points at which the child dies: after the order is recorded and
// before any claim; after the claim, as the fulfiller is asked and before it
// acts; after the fulfiller acted and made its side effect durable, before
// the outcome is recorded; and after the outcome is recorded.
var crashPoints = []string{"placed", "claimed", "acted", "recorded"}

// durableFulfiller adds people to e-mail lists, the side effect being a
// line with the fulfilment's key appended to a file and synced; it acts once
// per key, however often it is asked, by reading that file first. It also
// writes down every time it is asked. A child process sets die, to kill
// itself at that point.
type durableFulfiller struct {
	dir string
	die string
}

func (f *durableFulfiller) asks() string    { return filepath.Join(f.dir, "asked") }
func (f *durableFulfiller) effects() string { return filepath.Join(f.dir, "effects") }

func (f *durableFulfiller) Fulfil(_ context.Context, ff request.Fulfilment) (request.Outcome, error) {
	if err := appendSynced(f.asks(), ff.Key); err != nil {
		return request.Outcome{}, err
	}
	f.reach("claimed")
	done, err := lines(f.effects())
	if err != nil {
		return request.Outcome{}, err
	}
	if slices.Contains(done, ff.Key) {
		return request.Outcome{Note: ff.Requester + " is on the list already"}, nil
	}
	if err := appendSynced(f.effects(), ff.Key); err != nil {
		return request.Outcome{}, err
	}
	f.reach("acted")
	return request.Outcome{Note: "Added " + ff.Requester}, nil
}

// reach kills the process, at once and without any clean-up, when it has
// reached the point it is to die at, after saying so on stdout.
func (f *durableFulfiller) reach(point string) {
	if f.die != point {
		return
	}
	fmt.Printf("reached %s\n", point)
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Kill()
	}
	fmt.Printf("cannot kill myself: %v\n", err)
	os.Exit(2)
}

// appendSynced appends line to the file at path and syncs it to disk.
func appendSynced(path, line string) error {
	fl, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fl.WriteString(line + "\n")
	if err == nil {
		err = fl.Sync()
	}
	return errors.Join(err, fl.Close())
}

// lines reads the lines of the file at path; a missing file has none.
func lines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

// TestTypeAFulfilledOnceThroughACrash checks the promise of fulfilment in
// code (RF-2): a type A fulfilment runs exactly once even when the process
// dies after recording the order and before recording the outcome.
//
// For each point of crashPoints, a child process (this test binary again)
// opens a SQLite file the parent prepared, places an order of type A and
// runs FulfilDue with a fulfiller whose side effect is durable, and kills
// itself with SIGKILL at that point. The parent then opens the same file,
// as a process started after the crash would, runs FulfilDue at once, after
// the lease has passed and an hour later, with the same kind of fulfiller,
// and checks that the fulfiller was asked again with the same key when the
// child had claimed the order, that its side effect happened exactly once,
// and that the order is closed with exactly one order.fulfilled event.
func TestTypeAFulfilledOnceThroughACrash(t *testing.T) {
	if point := os.Getenv(envCrashPoint); point != "" {
		crashChild(t, point)
		return
	}
	switch runtime.GOOS {
	case "js", "wasip1", "ios", "android":
		t.Skipf("%s cannot start the test binary again", runtime.GOOS)
	}
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "spoc.db")
			st, err := sqlitestore.Open(context.Background(), db, sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			w := newWorld(t, st)
			item := w.offer(list())
			w.grant(w.anna, authority.RoleRequester, item)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "-test.run=^TestTypeAFulfilledOnceThroughACrash$", "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), envCrashPoint+"="+point, envCrashDB+"="+db, envCrashItem+"="+item.String())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err == nil || !strings.Contains(string(out), "reached "+point+"\n") {
				t.Fatalf("the child did not die at %s (exit: %v)\n--- stdout:\n%s\n--- stderr:\n%s", point, err, out, stderr.String())
			}

			ful := &durableFulfiller{dir: dir}
			w = newWorld(t, backendtest.SQLite(t, db, sqlitestore.Options{}), func(c *request.Config) { c.Fulfiller = ful })
			page, err := w.svc.ListOrders(w.ctx, w.deskAgent, request.OrderList{})
			w.ok(err)
			if len(page.Orders) != 1 {
				t.Fatalf("%d orders after the crash, want the one the child placed", len(page.Orders))
			}
			o := page.Orders[0]
			key := "order:" + o.ID.String()
			// What the child left: the order as it was at the crash.
			claimed := point == "claimed" || point == "acted"
			switch {
			case point == "placed" && (o.State != request.StateInProgress || o.Fulfilment.Attempts != 0):
				t.Fatalf("after a crash before the claim: %s, %+v", o.State, o.Fulfilment)
			case claimed && (o.State != request.StateInProgress || o.Fulfilment.Attempts != 1 || !o.Fulfilment.Claimed.After(w.clock.Now())):
				t.Fatalf("after a crash inside the fulfiller: %s, %+v", o.State, o.Fulfilment)
			case point == "recorded" && o.State != request.StateClosed:
				t.Fatalf("after a crash once the outcome was recorded: %s, %+v", o.State, o.Fulfilment)
			}

			// The next process runs the due fulfilments now, once the
			// child's claim has expired, and an hour later.
			var runs []int
			for _, wait := range []time.Duration{0, 6 * time.Minute, time.Hour} {
				w.clock.Advance(wait)
				n, err := w.svc.FulfilDue(w.ctx)
				w.ok(err)
				runs = append(runs, n)
			}
			want := map[string][]int{"placed": {1, 0, 0}, "claimed": {0, 1, 0}, "acted": {0, 1, 0}, "recorded": {0, 0, 0}}[point]
			if !slices.Equal(runs, want) {
				t.Errorf("FulfilDue ran %v at once, after the lease and an hour later; want %v", runs, want)
			}

			asked, err := lines(ful.asks())
			w.ok(err)
			effects, err := lines(ful.effects())
			w.ok(err)
			wantAsked := 1
			if claimed {
				wantAsked = 2 // by the child, and again by the next process
			}
			if len(asked) != wantAsked || slices.ContainsFunc(asked, func(k string) bool { return k != key }) {
				t.Errorf("the fulfiller was asked with keys %q; want %d times %q", asked, wantAsked, key)
			}
			if !slices.Equal(effects, []string{key}) {
				t.Errorf("the side effects are %q; want %q exactly once", effects, key)
			}

			o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
			w.ok(err)
			if o.State != request.StateClosed || !o.Fulfilment.Done || o.Fulfilment.Attempts != len(asked) {
				t.Errorf("the order ends %s, %+v; want closed, done after %d attempts", o.State, o.Fulfilment, len(asked))
			}
			var fulfilled, claims int
			for _, e := range w.events()[o.ID] {
				switch e.Type {
				case "order.fulfilled":
					fulfilled++
				case "order.claimed":
					claims++
				}
			}
			if fulfilled != 1 || claims != len(asked) {
				t.Errorf("the order has %d order.fulfilled and %d order.claimed events; want 1 and %d", fulfilled, claims, len(asked))
			}
			w.replayed(o)
			t.Logf("died at %s: asked %d times, acted once; FulfilDue ran %v", point, len(asked), runs)
		})
	}
}

// crashChild is the child side: it places the order and runs its
// fulfilment, dying at point.
func crashChild(t *testing.T, point string) {
	db := os.Getenv(envCrashDB)
	item, err := itsm.ParseID(os.Getenv(envCrashItem))
	if err != nil {
		t.Fatalf("%s: %v", envCrashItem, err)
	}
	st, err := sqlitestore.Open(context.Background(), db, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ful := &durableFulfiller{dir: filepath.Dir(db), die: point}
	w := newWorld(t, st, func(c *request.Config) { c.Fulfiller = ful })
	_, err = w.place(w.anna, item, `{"list":"all-staff"}`)
	w.ok(err)
	ful.reach("placed")
	n, err := w.svc.FulfilDue(w.ctx)
	w.ok(err)
	if n != 1 {
		t.Fatalf("FulfilDue ran %d fulfilments, want 1", n)
	}
	ful.reach("recorded")
	t.Fatalf("the child was to die at %s but did not get there", point)
}
