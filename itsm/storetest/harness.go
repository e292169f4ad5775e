package storetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The environment a child process is started with. A test binary that sees
// hEnvChild runs the child side of Crash or Processes instead of the parent
// side, so the same test function serves both.
const (
	hEnvChild  = "SPOC_STORETEST_CHILD"  // the role: hRoleCrash or hRoleProcesses
	hEnvTarget = "SPOC_STORETEST_TARGET" // what newTarget returned in the parent
	hEnvArg    = "SPOC_STORETEST_ARG"    // role-specific parameters
	hEnvSeed   = "SPOC_STORETEST_SEED"   // set by a developer to replay a Crash run
)

const (
	hRoleCrash     = "crash"
	hRoleProcesses = "processes"
)

// hChildRole returns the role this process was started for, or "" in the
// parent. A test that calls both Crash and Processes would otherwise run the
// wrong child side first, so each caller compares the role with its own.
func hChildRole() string { return os.Getenv(hEnvChild) }

// hSkipNoExec skips on platforms where a test cannot start a copy of itself.
func hSkipNoExec(t *testing.T) {
	t.Helper()
	switch runtime.GOOS {
	case "js", "wasip1", "ios", "android":
		t.Skipf("storetest: %s cannot re-execute the test binary", runtime.GOOS)
	}
}

// hRunPattern returns the -test.run pattern that selects exactly the test
// named name and none of its siblings: the testing package matches a pattern
// element by element at each '/', so every element is quoted and anchored on
// its own.
func hRunPattern(name string) string {
	elems := strings.Split(name, "/")
	for i, e := range elems {
		elems[i] = "^" + regexp.QuoteMeta(e) + "$"
	}
	return strings.Join(elems, "/")
}

// hParse reads a protocol line "verb n1 n2 ...": it returns the n
// non-negative integers when line has exactly that form. Anything else on the
// child's stdout (test framework output, a backend's logging) is not protocol
// and is kept only for diagnostics.
func hParse(line, verb string, n int) ([]int64, bool) {
	f := strings.Split(line, " ")
	if len(f) != n+1 || f[0] != verb {
		return nil, false
	}
	out := make([]int64, n)
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || strconv.FormatInt(v, 10) != s {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// hPrintf writes one protocol line to stdout. os.Stdout is unbuffered, so the
// line is in the pipe when this returns: an ack printed is an ack the parent
// will read even if the child is killed the next instant.
func hPrintf(format string, args ...any) {
	if _, err := fmt.Fprintf(os.Stdout, format+"\n", args...); err != nil {
		// The parent has gone; nobody is left to report to.
		os.Exit(3)
	}
}

// hExitOnStdinEOF makes the child exit when its stdin closes, which happens
// when the parent dies: a child that loops until it is killed must not
// outlive a parent that can no longer kill it.
func hExitOnStdinEOF(r *bufio.Reader) {
	go func() {
		_, _ = io.Copy(io.Discard, r)
		os.Exit(4)
	}()
}

// hBuffer is a bytes.Buffer that os/exec's copying goroutine and the test
// goroutine can share.
type hBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *hBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *hBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hChild is one running copy of the test binary and the lines it printed.
type hChild struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr hBuffer
	start  time.Time

	mu    sync.Mutex
	lines []string
	poke  chan struct{} // receives a value whenever lines grows
	eof   chan struct{} // closed when stdout reaches EOF

	reap sync.Once
	err  error // from cmd.Wait, set within reap
}

// hStartChild starts the test binary again, running only t's test, in role,
// with target and arg in its environment. Whatever happens to t, the child
// is killed and reaped when t ends.
func hStartChild(t *testing.T, name, role, target, arg string) *hChild {
	t.Helper()
	args := []string{
		"-test.run=" + hRunPattern(t.Name()),
		"-test.count=1",
		"-test.bench=^$",
		// A backstop: the child also exits when its stdin closes.
		"-test.timeout=5m",
	}
	// Forward the coverage directory so that children's coverage counts.
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
		args = append(args, "-test.gocoverdir="+f.Value.String())
	}
	// os.Executable survives a test that changed directory, where a
	// relative os.Args[0] would not.
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), hEnvChild+"="+role, hEnvTarget+"="+target, hEnvArg+"="+arg)
	c := &hChild{name: name, cmd: cmd, poke: make(chan struct{}, 1), eof: make(chan struct{})}
	cmd.Stderr = &c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatalf("storetest: %s: stdin pipe: %v", name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("storetest: %s: stdout pipe: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("storetest: %s: start %s: %v", name, exe, err)
	}
	c.start = time.Now()
	// Whatever happens to the test, no child is left running. Kill after
	// Wait is a harmless no-op: os.Process knows the child is gone.
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.wait()
	})
	go c.read(stdout)
	return c
}

// read collects stdout lines until EOF. It never blocks on the test
// goroutine, so a child printing thousands of acks is never slowed down by a
// full pipe while the parent sleeps.
func (c *hChild) read(r io.Reader) {
	defer close(c.eof)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		c.mu.Lock()
		c.lines = append(c.lines, sc.Text())
		c.mu.Unlock()
		select {
		case c.poke <- struct{}{}:
		default:
		}
	}
	if err := sc.Err(); err != nil {
		// Keep draining: a child blocked on a full pipe would never exit.
		c.mu.Lock()
		c.lines = append(c.lines, "storetest: reading stdout: "+err.Error())
		c.mu.Unlock()
		_, _ = io.Copy(io.Discard, r)
	}
}

// waitFor waits until the child has printed a line for which match is true,
// and returns it; ok is false when stdout closed or timeout passed first.
func (c *hChild) waitFor(match func(string) bool, timeout time.Duration) (line string, ok bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	seen := 0
	for {
		c.mu.Lock()
		lines := c.lines[seen:]
		seen = len(c.lines)
		c.mu.Unlock()
		for _, l := range lines {
			if match(l) {
				return l, true
			}
		}
		select {
		case <-c.poke:
		case <-c.eof:
			// Lines read just before EOF may not have been looked at yet.
			c.mu.Lock()
			lines := c.lines[seen:]
			c.mu.Unlock()
			for _, l := range lines {
				if match(l) {
					return l, true
				}
			}
			return "", false
		case <-timer.C:
			return "", false
		}
	}
}

// finish waits for the child to exit, killing it after timeout, and returns
// every line it printed and its exit error.
func (c *hChild) finish(timeout time.Duration) ([]string, error) {
	select {
	case <-c.eof:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.eof
	}
	err := c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, err
}

// wait reaps the child once stdout is closed (os/exec requires all reads to
// be done before Wait). Concurrent callers all return after the reaping.
func (c *hChild) wait() error {
	c.reap.Do(func() {
		<-c.eof
		c.err = c.cmd.Wait()
	})
	return c.err
}

// diagnostics returns what the child printed besides the protocol (the
// child's own test failures end up there) and its stderr, shortened.
func (c *hChild) diagnostics(protocol func(string) bool) string {
	c.mu.Lock()
	var other []string
	for _, l := range c.lines {
		if !protocol(l) {
			other = append(other, l)
		}
	}
	c.mu.Unlock()
	if len(other) > 60 {
		other = append([]string{"..."}, other[len(other)-60:]...)
	}
	stderr := c.stderr.String()
	if len(stderr) > 4000 {
		stderr = "..." + stderr[len(stderr)-4000:]
	}
	return fmt.Sprintf("--- %s stdout (protocol lines left out):\n%s\n--- %s stderr:\n%s",
		c.name, strings.Join(other, "\n"), c.name, stderr)
}

// hProbeNextNumber checks that the next number of prefix is want, in a
// transaction it rolls back so that the number stays free. A counter that
// moved without its record would make the number skip.
func hProbeNextNumber(t testing.TB, s itsm.Store, prefix string, want uint64, after string) {
	t.Helper()
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
		num, err := tx.NextNumber(prefix)
		if err != nil {
			return err
		}
		if num.Seq != want {
			t.Errorf("next %s number is %d after %s, want %d", prefix, num.Seq, after, want)
		}
		return errHarnessProbe
	})
	if !errors.Is(err, errHarnessProbe) {
		t.Errorf("probing the next number: Write returned %v, want the error fn returned", err)
	}
}
