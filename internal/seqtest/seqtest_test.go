package seqtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/seqtest"
)

// Seed writes the corpus file it is asked to, and then finds it as
// written; Corpus is the fuzzer's own format.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	prog := []byte{0, 1, 'a', 0xff}
	seqtest.Seed(t, "FuzzX", "one", prog, true)
	b, err := os.ReadFile(filepath.Join(dir, "testdata", "fuzz", "FuzzX", "one"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "go test fuzz v1\n[]byte(\"\\x00\\x01a\\xff\")\n"; string(b) != want {
		t.Fatalf("corpus file %q, want %q", b, want)
	}
	seqtest.Seed(t, "FuzzX", "one", prog, false)
}

// A plan runs the fixed seed alone on the slower backends and, on
// memstore, a new seed besides unless the flags name one.
func TestPlan(t *testing.T) {
	p := seqtest.Plan{Fixed: 7, Memstore: 300, Quick: 50, Others: 10}
	if n, seeds := p.For("sqlite"); n != 10 || len(seeds) != 1 || seeds[0] != 7 {
		t.Errorf("on sqlite: %d of %v, want 10 of [7]", n, seeds)
	}
	if n, seeds := p.For("memstore"); (n != 300 && n != 50) || len(seeds) != 2 || seeds[0] != 7 {
		t.Errorf("on memstore: %d of %v, want 300 (or 50) of 7 and a new seed", n, seeds)
	}
	p.N, p.Seed = 3, 9
	if n, seeds := p.For("memstore"); n != 3 || len(seeds) != 1 || seeds[0] != 9 {
		t.Errorf("with the flags: %d of %v, want 3 of [9]", n, seeds)
	}
}

// Counts add up, total, and name what the sequences never reached.
func TestCounts(t *testing.T) {
	var total seqtest.Counts
	c := seqtest.NewCounts(3)
	c.Sequences, c.Commands = 1, 4
	c.OK[0], c.Refused[0], c.OK[1], c.OK[2] = 1, 1, 1, 1
	total.Add(&c)
	total.Add(&c)
	if ok, refused := total.Totals(); total.Sequences != 2 || total.Commands != 8 || ok != 6 || refused != 2 {
		t.Fatalf("totals %+v: %d ok, %d refused", total, ok, refused)
	}
	rec := &recorder{TB: t}
	total.Uncovered(rec, func(o int) string { return fmt.Sprint("op", o) }, func(o int) bool { return o == 1 })
	if len(rec.errors) != 1 || !strings.HasPrefix(rec.errors[0], "op2 succeeded 2 times and was refused 0 times") {
		t.Errorf("Uncovered reported %q, want op2 alone", rec.errors)
	}
}

// recorder keeps the errors reported to it.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
