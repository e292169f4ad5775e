package pgtest

import (
	"bytes"
	"regexp"
	"testing"
)

// TestDSNSkipsAndCounts: without the variable a test skips, and Main will
// count it.
func TestDSNSkipsAndCounts(t *testing.T) {
	before := skipped.Load()
	var ran bool
	t.Run("unset", func(t *testing.T) {
		t.Setenv(Env, "")
		DSN(t)
		ran = true
	})
	if ran {
		t.Fatal("DSN did not skip with the variable unset")
	}
	if n := skipped.Load() - before; n != 1 {
		t.Errorf("%d skips counted, want 1", n)
	}
	t.Run("set", func(t *testing.T) {
		t.Setenv(Env, ExampleDSN)
		if got := DSN(t); got != ExampleDSN {
			t.Errorf("DSN = %q, want %q", got, ExampleDSN)
		}
	})
	if n := skipped.Load() - before; n != 1 {
		t.Errorf("%d skips counted after a test that had a server, want 1", n)
	}
}

// TestReportSaysWhatSkippedAndHowToRunIt: one line naming the package, the
// count and the variable to set; nothing when nothing skipped.
func TestReportSaysWhatSkippedAndHowToRunIt(t *testing.T) {
	var b bytes.Buffer
	report(&b, "incident", 0)
	if b.Len() != 0 {
		t.Errorf("nothing skipped, yet printed %q", b.String())
	}
	report(&b, "incident", 12)
	want := "incident: 12 PostgreSQL tests skipped: SPOC_TEST_POSTGRES is not set (set it to a DSN such as " + ExampleDSN + ")\n"
	if b.String() != want {
		t.Errorf("printed\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	report(&b, "chain", 1)
	if want := "chain: 1 PostgreSQL test skipped: "; !bytes.HasPrefix(b.Bytes(), []byte(want)) {
		t.Errorf("printed %q, want it to begin %q", b.String(), want)
	}
}

// TestPkgPathNamesThePackageUnderTest reads the test binary's build
// information.
func TestPkgPathNamesThePackageUnderTest(t *testing.T) {
	if got := pkgPath(); got != "internal/pgtest" {
		t.Errorf("pkgPath() = %q, want internal/pgtest", got)
	}
}

// TestSchemaIsFreshAndValid: a new name each call, of the characters
// pgstore accepts.
func TestSchemaIsFreshAndValid(t *testing.T) {
	a, b := Schema("spoc_x_"), Schema("spoc_x_")
	if a == b {
		t.Errorf("two calls gave %s", a)
	}
	if !regexp.MustCompile(`^spoc_x_[0-9a-f]{16}$`).MatchString(a) {
		t.Errorf("Schema = %q", a)
	}
}
