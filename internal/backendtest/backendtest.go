// Package backendtest opens a fresh store of every backend, for the tests
// of domain packages whose rules must hold on each of them: memstore, SQLite
// in a file of the test's own, and PostgreSQL in a schema of the test's own
// when SPOC_TEST_POSTGRES names a server (otherwise that backend's tests
// skip, saying how to run them).
package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

// EnvPostgres names the environment variable holding the DSN of the
// PostgreSQL server the tests may use.
const EnvPostgres = "SPOC_TEST_POSTGRES"

// Open returns a function per backend, by name, that opens a new empty
// store closed (and, on PostgreSQL, dropped) when the test ends. prefix
// begins the PostgreSQL schema names, so that a leftover schema says which
// package's tests made it.
func Open(prefix string) map[string]func(t testing.TB) itsm.Store {
	return map[string]func(t testing.TB) itsm.Store{
		"memstore": func(t testing.TB) itsm.Store {
			s := memstore.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
		"sqlitestore": func(t testing.TB) itsm.Store {
			s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "spoc.db"), sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"pgstore": func(t testing.TB) itsm.Store { return Postgres(t, prefix, pgstore.Options{}) },
	}
}

// Postgres opens a store on a new schema, named prefix and random hex, of
// the server EnvPostgres names, with opts otherwise; the test skips when
// the variable is unset. The store is closed and its schema dropped when
// the test ends.
func Postgres(t testing.TB, prefix string, opts pgstore.Options) itsm.Store {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skip(EnvPostgres + " is not set; skipping PostgreSQL (set it to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	opts.Schema = prefix + hex.EncodeToString(b[:])
	s, err := pgstore.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pgstore.DropSchema(ctx, dsn, opts.Schema); err != nil {
			t.Errorf("drop schema %s: %v", opts.Schema, err)
		}
	})
	return s
}
