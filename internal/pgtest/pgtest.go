// Package pgtest is how tests reach the PostgreSQL server they may use: its
// DSN in SPOC_TEST_POSTGRES, one skip message when that is unset, a schema
// name per test, and the line a package's TestMain prints when its
// PostgreSQL tests skipped. It imports no part of spoc, so that the tests
// inside itsm/pgstore, which internal/backendtest would cycle with, use it
// too.
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
)

// Env names the environment variable holding the DSN of the PostgreSQL
// server the tests may use.
const Env = "SPOC_TEST_POSTGRES"

// ExampleDSN is the DSN of the server CI and the README use.
const ExampleDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// unset is why a test skips without a server; the one wording every
// package's PostgreSQL tests and their TestMain use.
const unset = Env + " is not set (set it to a DSN such as " + ExampleDSN + ")"

// skipped counts the tests of this binary that DSN skipped.
var skipped atomic.Int64

// DSN returns the DSN Env holds, or skips tb when it is unset.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		skipped.Add(1)
		tb.Skip("skipping PostgreSQL: " + unset)
	}
	return dsn
}

// Schema returns prefix followed by 16 random hex digits: a schema (or
// database) name no other test or run uses, whose prefix says which
// package's tests made it if it is ever left behind.
func Schema(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Main runs the tests of a package that has PostgreSQL tests and exits with
// their status, first printing one line when some of them skipped for want
// of a server. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// The line goes to standard output, where go test -v, -json and the output
// of a failing package show it; go test without -v discards everything a
// passing package prints.
func Main(m *testing.M) {
	code := m.Run()
	report(os.Stdout, pkgPath(), skipped.Load())
	os.Exit(code)
}

// report writes the line Main prints for pkg when n of its tests skipped
// for want of a server, and nothing when none did.
func report(w io.Writer, pkg string, n int64) {
	if n == 0 {
		return
	}
	tests := "tests"
	if n == 1 {
		tests = "test"
	}
	fmt.Fprintf(w, "%s: %d PostgreSQL %s skipped: %s\n", pkg, n, tests, unset)
}

// pkgPath returns the import path of the package under test, which go test
// builds into the binary as that path followed by ".test", without the
// module's prefix.
func pkgPath() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "spoc"
	}
	p := strings.TrimSuffix(info.Path, ".test")
	if rel, ok := strings.CutPrefix(p, info.Main.Path+"/"); ok {
		return rel
	}
	return p
}
