package backendtest_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// TestEveryBackendIsOffered: the three backends, by the names the tests'
// subtests carry.
func TestEveryBackendIsOffered(t *testing.T) {
	for _, got := range [][]string{slices.Sorted(maps.Keys(backendtest.Databases("x_"))), slices.Sorted(maps.Keys(backendtest.Open("x_")))} {
		if want := []string{"memstore", "pgstore", "sqlitestore"}; !slices.Equal(got, want) {
			t.Errorf("backends %v, want %v", got, want)
		}
	}
}

// TestDatabaseOpensTheSameDataAgain: what one store of a Database wrote,
// another store of it reads, as a second process would; a new Database
// starts empty.
func TestDatabaseOpensTheSameDataAgain(t *testing.T) {
	ctx := context.Background()
	rec := storetest.SampleRecord(0)
	for name, makeDB := range backendtest.Databases("spoc_backendtest_") {
		t.Run(name, func(t *testing.T) {
			db := makeDB(t)
			if err := db(t).Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(rec); return err }); err != nil {
				t.Fatal(err)
			}
			if err := db(t).Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get(rec.Kind, rec.ID); return err }); err != nil {
				t.Errorf("a second store of the database: %v", err)
			}
			err := makeDB(t)(t).Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get(rec.Kind, rec.ID); return err })
			if !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("a new database: %v, want not found", err)
			}
		})
	}
}
