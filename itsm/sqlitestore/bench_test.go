package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// plainTable is the baseline's table: what an application would write by
// hand, a rowid table with the ID as its primary key.
const plainTable = `CREATE TABLE raw (id BLOB PRIMARY KEY, body BLOB NOT NULL)`

// compactTable is a stricter baseline: clustered on the ID like the records
// table, so one B-tree instead of two.
const compactTable = `CREATE TABLE raw (id BLOB PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID`

// BenchmarkStore runs the common store benchmarks at DurabilityFull against
// the plain baseline with the same pragmas.
func BenchmarkStore(b *testing.B) { benchStore(b, Options{}, plainTable) }

// BenchmarkStoreNormal is BenchmarkStore at DurabilityNormal, against a
// baseline with the same synchronous setting.
func BenchmarkStoreNormal(b *testing.B) {
	benchStore(b, Options{Durability: DurabilityNormal}, plainTable)
}

// BenchmarkStoreCompact is BenchmarkStore against the compact baseline.
func BenchmarkStoreCompact(b *testing.B) { benchStore(b, Options{}, compactTable) }

// BenchmarkEventsOf reads one record's history among 100,000 events,
// against a scan of the whole log.
func BenchmarkEventsOf(b *testing.B) {
	storetest.BenchmarkEventsOf(b, func(b *testing.B) itsm.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "spoc.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

func benchStore(b *testing.B, o Options, table string) {
	storetest.Benchmark(b,
		func(b *testing.B) itsm.Store {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "spoc.db"), o)
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		func(b *testing.B) storetest.Baseline { return rawBaseline(b, o, table) })
}

// rawBaseline runs on the same driver with the same DSN as the store (so the
// same pragmas), on a table made by table: single inserts in autocommit, a
// batch in one transaction, point reads with a prepared statement outside an
// explicit transaction, through database/sql as an application would.
func rawBaseline(b *testing.B, o Options, table string) storetest.Baseline {
	b.Helper()
	if o.Readers == 0 {
		o.Readers = DefaultReaders()
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	path := filepath.Join(b.TempDir(), "raw.db")
	w, err := sql.Open("sqlite", dsn(path, o, true))
	if err != nil {
		b.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(table); err != nil {
		b.Fatal(err)
	}
	r, err := sql.Open("sqlite", dsn(path, o, false))
	if err != nil {
		b.Fatal(err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	ins, err := w.Prepare(`INSERT INTO raw (id, body) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	sel, err := r.Prepare(`SELECT body FROM raw WHERE id = ?`)
	if err != nil {
		b.Fatal(err)
	}
	return storetest.Baseline{
		Write: func(ctx context.Context, rec itsm.Record) error {
			_, err := ins.ExecContext(ctx, rec.ID[:], []byte(rec.Body))
			return err
		},
		WriteBatch: func(ctx context.Context, recs []itsm.Record) error {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			st := tx.StmtContext(ctx, ins)
			for _, rec := range recs {
				if _, err := st.ExecContext(ctx, rec.ID[:], []byte(rec.Body)); err != nil {
					return err
				}
			}
			return tx.Commit()
		},
		Read: func(ctx context.Context, kind string, id itsm.ID) error {
			var body []byte
			return sel.QueryRowContext(ctx, id[:]).Scan(&body)
		},
		Close: func() error {
			ins.Close()
			sel.Close()
			r.Close()
			return w.Close()
		},
	}
}
