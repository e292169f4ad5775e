package pgstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// tripCounter counts what connections send: every query and every batch is
// one round trip.
type tripCounter struct{ trips, statements atomic.Int64 }

func (c *tripCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.trips.Add(1)
	c.statements.Add(1)
	return ctx
}

func (c *tripCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *tripCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	c.statements.Add(int64(d.Batch.Len()))
	return ctx
}

func (c *tripCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *tripCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestRoundTrips counts the round trips of the transactions a command runs:
// BEGIN travels with the first statement, a Put of a record the transaction
// read is one round trip with all its entry changes, and COMMIT is one
// more. A Put of a record the transaction did not read first reads the row
// its entries are listed in.
func TestRoundTrips(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	counter := &tripCounter{}
	cfg.ConnConfig.Tracer = counter
	// One connection, which the pool does not ping between transactions
	// this close together.
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := New(ctx, pool, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rec := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`),
		Unique: map[string]string{"number": "T1"}, Index: map[string][]string{"state": {"new"}, "due": {"1", "2"}}}
	changes := 0
	change := func(tx itsm.WriteTx) error {
		r, err := tx.Get("ticket", rec.ID)
		if err != nil {
			return err
		}
		changes++
		r.Index = map[string][]string{"state": {fmt.Sprint("s", changes)}, "due": {"1", "2"}}
		if rec.Version, err = tx.Put(r); err != nil {
			return err
		}
		_, err = tx.Append(itsm.Event{Type: "ticket.changed", Time: now, Kind: "ticket", Subject: rec.ID})
		return err
	}
	cases := []struct {
		name              string
		fn                func(tx itsm.WriteTx) error
		trips, statements int64
	}{
		// BEGIN, planSettings, the number; the record and its entries;
		// the event; COMMIT.
		{"register: number, create, event", func(tx itsm.WriteTx) error {
			if _, err := tx.NextNumber("TKT"); err != nil {
				return err
			}
			rec.ID, rec.Version = itsm.NewID(), 0
			rec.Unique["number"] += "0"
			var err error
			if rec.Version, err = tx.Put(rec); err != nil {
				return err
			}
			_, err = tx.Append(itsm.Event{Type: "ticket.created", Time: now, Kind: "ticket", Subject: rec.ID})
			return err
		}, 4, 6},
		// BEGIN, planSettings, the record; its update, a value's delete,
		// the new value's insert; the event; COMMIT.
		{"command: get, put, event", change, 4, 8},
		// BEGIN, planSettings, the row; its update, with no entry to
		// change; COMMIT.
		{"put without get", func(tx itsm.WriteTx) error {
			var err error
			rec.Version, err = tx.Put(rec)
			return err
		}, 3, 5},
	}
	for _, c := range cases {
		// The first run prepares the statements on the connection.
		for range 2 {
			counter.trips.Store(0)
			counter.statements.Store(0)
			if err := s.Write(ctx, c.fn); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if got := counter.trips.Load(); got != c.trips {
			t.Errorf("%s: %d round trips, want %d", c.name, got, c.trips)
		}
		if got := counter.statements.Load(); got != c.statements {
			t.Errorf("%s: %d statements, want %d", c.name, got, c.statements)
		}
	}
}

// TestEntryChangesByPairs: Put deletes and flips the values that changed by
// names and values among them, whose combinations include values the record
// keeps; exactly the changed ones go or flip, which queries and a second
// record's unique value show.
func TestEntryChangesByPairs(t *testing.T) {
	s := openTest(t)
	id := itsm.NewID()
	put(t, s, itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{}`),
		Unique: map[string]string{"code": "x"},
		Index:  map[string][]string{"a": {"x", "y"}, "b": {"x", "y"}}})
	write(t, s, func(tx itsm.WriteTx) error {
		r, err := tx.Get("ticket", id)
		if err != nil {
			return err
		}
		// (a, x) and (b, y) go, (a, y) and (b, x) stay; code moves from
		// Unique to Index.
		r.Unique = nil
		r.Index = map[string][]string{"a": {"y"}, "b": {"x"}, "code": {"x"}}
		_, err = tx.Put(r)
		return err
	})
	read(t, s, func(tx itsm.ReadTx) error {
		for _, c := range []struct {
			name, value string
			want        int
		}{{"a", "x", 0}, {"a", "y", 1}, {"b", "x", 1}, {"b", "y", 0}, {"code", "x", 1}} {
			page, err := tx.Query(itsm.Query{Kind: "ticket", Index: c.name, Match: itsm.MatchEqual, Value: c.value})
			if err != nil {
				return err
			}
			if len(page.Matches) != c.want {
				t.Errorf("%s = %s: %d matches, want %d", c.name, c.value, len(page.Matches), c.want)
			}
		}
		return nil
	})
	// code x is no longer unique: another record may hold it.
	put(t, s, itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`), Unique: map[string]string{"code": "x"}})
}

// TestPutAfterReplacement: a record deleted and created again since a
// transaction read it is at the same version 1, but it is not the record
// that was read. A Put from the read fails with CodeConflict, as any change
// since the read makes it, and the new record keeps its index values.
func TestPutAfterReplacement(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	id := itsm.NewID()
	put(t, s, itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{}`), Index: map[string][]string{"tag": {"first"}}})
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		r, err := tx.Get("ticket", id)
		if err != nil {
			return err
		}
		// Another writer replaces the record meanwhile.
		write(t, s, func(other itsm.WriteTx) error {
			if err := other.Delete("ticket", id, 1); err != nil {
				return err
			}
			_, err := other.Put(itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{"again":true}`), Index: map[string][]string{"tag": {"second"}}})
			return err
		})
		r.Index = map[string][]string{"tag": {"third"}}
		_, err = tx.Put(r)
		return err
	})
	wantCode(t, err, itsm.CodeConflict)
	got := get(t, s, "ticket", id)
	if string(got.Body) != `{"again":true}` || got.Version != 1 {
		t.Errorf("the replacement became %s at version %d", got.Body, got.Version)
	}
	read(t, s, func(tx itsm.ReadTx) error {
		for tag, want := range map[string]int{"first": 0, "second": 1, "third": 0} {
			page, err := tx.Query(itsm.Query{Kind: "ticket", Index: "tag", Match: itsm.MatchEqual, Value: tag})
			if err != nil {
				return err
			}
			if len(page.Matches) != want {
				t.Errorf("tag %s: %d matches, want %d", tag, len(page.Matches), want)
			}
		}
		return nil
	})
}
