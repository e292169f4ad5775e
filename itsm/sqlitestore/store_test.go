package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// newTarget returns the path of a new database file.
func newTarget(t *testing.T) string { return filepath.Join(t.TempDir(), "spoc.db") }

// open opens the store at path with the default options, closing it when the
// test ends unless the caller has.
func open(tb testing.TB, path string) itsm.Store {
	tb.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) itsm.Store { return open(t, newTarget(t)) })
}

func TestConformanceNormalDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite at DurabilityFull covers the same code")
	}
	storetest.Run(t, func(t *testing.T) itsm.Store {
		s, err := Open(context.Background(), newTarget(t), Options{Durability: DurabilityNormal, Readers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestCrash(t *testing.T) { storetest.Crash(t, newTarget, open) }

func TestProcesses(t *testing.T) { storetest.Processes(t, newTarget, open) }
