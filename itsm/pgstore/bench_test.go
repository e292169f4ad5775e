package pgstore

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// BenchmarkStore runs the common store benchmarks against raw pgx on the same
// server, each on a fresh schema with a pool of the same size.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, openBench, rawBaseline)
}

// BenchmarkEventsOf reads one record's history among 100,000 events,
// against a scan of the whole log.
func BenchmarkEventsOf(b *testing.B) { storetest.BenchmarkEventsOf(b, openBench) }

func openBench(b *testing.B) itsm.Store {
	b.Helper()
	dsn := pgtest.DSN(b)
	s, err := Open(context.Background(), dsn, testOptions(newSchema(b, dsn)))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// rawBaseline is what an application would write by hand with pgx: one table
// keyed by ID, an autocommit INSERT per record, a batch of INSERTs in one
// transaction (pipelined with pgx.Batch, BEGIN included), and a point SELECT
// outside any explicit transaction.
func rawBaseline(b *testing.B) storetest.Baseline {
	b.Helper()
	dsn := pgtest.DSN(b)
	schema := pgx.Identifier{newSchema(b, dsn)}.Sanitize()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(testOptions("").MaxConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+schema+`; CREATE TABLE `+schema+`.raw (id uuid PRIMARY KEY, body bytea NOT NULL)`); err != nil {
		pool.Close()
		b.Fatal(err)
	}
	insert := `INSERT INTO ` + schema + `.raw (id, body) VALUES ($1, $2)`
	sel := `SELECT body FROM ` + schema + `.raw WHERE id = $1`
	return storetest.Baseline{
		Write: func(ctx context.Context, rec itsm.Record) error {
			_, err := pool.Exec(ctx, insert, uuidArg(rec.ID), []byte(rec.Body))
			return err
		},
		WriteBatch: func(ctx context.Context, recs []itsm.Record) error {
			batch := &pgx.Batch{}
			batch.BeginTx(pgx.TxOptions{})
			for _, rec := range recs {
				batch.Queue(insert, uuidArg(rec.ID), []byte(rec.Body))
			}
			br := pool.SendBatch(ctx, batch)
			tx := br.Tx()
			if err := br.Close(); err != nil {
				_ = tx.Rollback(ctx)
				return err
			}
			return tx.Commit(ctx)
		},
		Read: func(ctx context.Context, _ string, id itsm.ID) error {
			var body []byte
			return pool.QueryRow(ctx, sel, uuidArg(id)).Scan(&body)
		},
		Close: func() error {
			pool.Close()
			return nil
		},
	}
}
