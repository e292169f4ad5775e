package seqtest_test

import (
	"os"
	"path/filepath"
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
