// Package seqtest holds what the random command-sequence tests of the
// domain packages (incident, request, problem) share beyond their own
// commands: whether the race detector is on, which makes them run fewer
// sequences, and the committed seed files of their fuzz targets, each a
// seed script of the package encoded as the fuzzer's corpus file.
package seqtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
)

// Race reports whether the test binary has the race detector, from its
// build settings, so that no build-tagged file is needed.
func Race() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}

// Seed checks that testdata/fuzz/<target>/<name> is program encoded as a
// corpus file of the fuzz target ("go test fuzz v1" and the bytes); with
// update it first writes it, as -update-fuzz-seeds asks.
func Seed(t testing.TB, target, name string, program []byte, update bool) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	file := filepath.Join(dir, name)
	want := Corpus(program)
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update-fuzz-seeds to write it)", err)
	}
	if string(got) != want {
		t.Errorf("%s is not the encoded script (run with -update-fuzz-seeds):\n%s\nwant\n%s", file, got, want)
	}
}

// Corpus is program as a corpus file of a fuzz target taking one []byte,
// which a failing sequence's report quotes so that it can be added to the
// corpus.
func Corpus(program []byte) string { return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", program) }
