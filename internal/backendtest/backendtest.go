// Package backendtest opens stores of every backend the same way for every
// package's tests: memstore, SQLite in a file of the test's own, and
// PostgreSQL in a schema of the test's own when SPOC_TEST_POSTGRES names a
// server (otherwise that backend's tests skip, with the one message of
// internal/pgtest, whose Main a package's TestMain calls to sum them up).
package backendtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

// A Database opens a store on one database each time it is called, as one
// more process would; each store is closed when the test given to that call
// ends.
type Database func(t testing.TB) itsm.Store

// Databases returns a function per backend, by name, that makes a new empty
// database, removed (on PostgreSQL, its schema dropped) when the test given
// to it ends. memstore, which lives in its process, hands every opener the
// same store. prefix begins the PostgreSQL schema names, so that a leftover
// schema says which package's tests made it.
func Databases(prefix string) map[string]func(t testing.TB) Database {
	return map[string]func(t testing.TB) Database{
		"memstore": func(t testing.TB) Database {
			t.Helper()
			s := memstore.New()
			t.Cleanup(func() { s.Close() })
			return func(testing.TB) itsm.Store { return s }
		},
		"sqlitestore": func(t testing.TB) Database {
			t.Helper()
			path := filepath.Join(t.TempDir(), "spoc.db")
			return func(t testing.TB) itsm.Store {
				t.Helper()
				return SQLite(t, path, sqlitestore.Options{})
			}
		},
		"pgstore": func(t testing.TB) Database {
			t.Helper()
			return PostgresDatabase(t, prefix, pgstore.Options{})
		},
	}
}

// Open returns a function per backend, by name, that opens a new empty
// store closed (and, on PostgreSQL, dropped) when the test ends: one store
// of each of Databases.
func Open(prefix string) map[string]func(t testing.TB) itsm.Store {
	open := map[string]func(t testing.TB) itsm.Store{}
	for name, db := range Databases(prefix) {
		open[name] = func(t testing.TB) itsm.Store {
			t.Helper()
			return db(t)(t)
		}
	}
	return open
}

// SQLite opens the SQLite store at path, with opts, closed when t ends.
func SQLite(t testing.TB, path string, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Postgres opens a store on a new schema, named prefix and random hex, of
// the server pgtest.Env names, with opts otherwise; the test skips when
// the variable is unset. The store is closed and its schema dropped when
// the test ends.
func Postgres(t testing.TB, prefix string, opts pgstore.Options) itsm.Store {
	t.Helper()
	return PostgresDatabase(t, prefix, opts)(t)
}

// PostgresDatabase makes a new schema, as Postgres does, and returns what
// opens stores on it; the test skips when pgtest.Env is unset. The schema
// is dropped when t ends.
func PostgresDatabase(t testing.TB, prefix string, opts pgstore.Options) Database {
	t.Helper()
	dsn := pgtest.DSN(t)
	opts.Schema = pgtest.Schema(prefix)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pgstore.DropSchema(ctx, dsn, opts.Schema); err != nil {
			t.Errorf("drop schema %s: %v", opts.Schema, err)
		}
	})
	return func(t testing.TB) itsm.Store {
		t.Helper()
		s, err := pgstore.Open(context.Background(), dsn, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}
