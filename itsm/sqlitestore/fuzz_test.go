package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// FuzzCommands checks sqlitestore against the reference model of storetest
// on programs the fuzzer makes up; testdata/fuzz/FuzzCommands holds seeds
// with queries that follow cursors, conflicts and rolled-back transactions.
// Every input gets a new file. DurabilityNormal spares the sync of every
// commit, which would cost most of the fuzzer's time and test nothing the
// model can see.
func FuzzCommands(f *testing.F) {
	f.Fuzz(func(t *testing.T, program []byte) {
		s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "spoc.db"),
			sqlitestore.Options{Durability: sqlitestore.DurabilityNormal})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		storetest.Commands(t, s, program)
	})
}
