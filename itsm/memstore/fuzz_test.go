package memstore_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// FuzzCommands checks memstore against the reference model of storetest on
// programs the fuzzer makes up; testdata/fuzz/FuzzCommands holds seeds with
// queries that follow cursors, conflicts and rolled-back transactions.
func FuzzCommands(f *testing.F) {
	f.Fuzz(func(t *testing.T, program []byte) {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		storetest.Commands(t, s, program)
	})
}
