package pgstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestMigrateConcurrently opens one new schema from several goroutines at
// once, each with its own pool as separate processes would: all must succeed
// (without the advisory lock, CREATE TABLE would fail in all but one) and
// the schema must end at the current version.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	const n = 6
	var wg sync.WaitGroup
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(ctx, dsn, Options{Schema: schema, MaxConns: 1})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	var version, rows int
	err := stores[0].pool.QueryRow(ctx, `SELECT max(version), count(*) FROM `+pgx.Identifier{schema}.Sanitize()+`.schema_version`).Scan(&version, &rows)
	if err != nil || version != len(migrations) || rows != 1 {
		t.Fatalf("schema_version: version %d in %d rows (err %v), want %d in 1", version, rows, err, len(migrations))
	}
	// Every store works on the one schema.
	for _, s := range stores {
		write(t, s, func(tx itsm.WriteTx) error { _, err := tx.NextNumber("MIG"); return err })
	}
	var num itsm.Number
	write(t, stores[0], func(tx itsm.WriteTx) (err error) { num, err = tx.NextNumber("MIG"); return err })
	if num.Seq != n+1 {
		t.Errorf("number after %d stores took one each: %s", n, num)
	}
}

// TestMigrateRefusesNewer checks that a schema from a newer spoc is refused,
// and that reopening a current schema changes nothing.
func TestMigrateRefusesNewer(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	s, err := Open(ctx, dsn, testOptions(schema))
	if err != nil {
		t.Fatal(err)
	}
	id := itsm.NewID()
	put(t, s, itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{}`)})
	s.Close()

	s, err = Open(ctx, dsn, testOptions(schema))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	get(t, s, "ticket", id)
	if _, err := s.pool.Exec(ctx, `UPDATE `+pgx.Identifier{schema}.Sanitize()+`.schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = Open(ctx, dsn, testOptions(schema))
	wantCode(t, err, itsm.CodeInternal)
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}

// TestOpenErrors needs no server except for its last cases.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, schema := range []string{"Spoc", "1spoc", `a"b`, "a b", "spöc", strings.Repeat("s", 64)} {
		_, err := Open(ctx, "postgres://127.0.0.1/x", Options{Schema: schema})
		wantCode(t, err, itsm.CodeInvalid)
	}
	_, err := Open(ctx, "postgres://127.0.0.1/x", Options{MaxConns: -1})
	wantCode(t, err, itsm.CodeInvalid)
	_, err = Open(ctx, "postgres://user:secret@127.0.0.1:5432/x?sslmode=nonsense", Options{})
	wantCode(t, err, itsm.CodeInvalid)
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
	if _, err := New(ctx, nil, Options{}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("New(nil pool): %v", err)
	}

	dsn := pgtest.DSN(t)
	// Nothing listens on port 1.
	_, err = Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", Options{})
	wantCode(t, err, itsm.CodeUnavailable)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Open(cctx, dsn, Options{})
	if !errors.Is(err, context.Canceled) || !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
}

// TestNew checks a store on a pool the host owns: Close leaves it open.
func TestNew(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := New(ctx, pool, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema() != schema {
		t.Errorf("Schema() = %q", s.Schema())
	}
	put(t, s, itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Errorf("the host's pool after Close: %v", err)
	}
}

// TestMigrateAddsEventsSubject opens a schema made by a build that knew only
// version 1, with events in it: the store must add events_subject on open,
// and EventsOf must find the events written before the upgrade.
func TestMigrateAddsEventsSubject(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	ctx := context.Background()
	saved := migrations
	migrations = saved[:1]
	s, err := Open(ctx, dsn, testOptions(schema))
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	subject, other := itsm.NewID(), itsm.NewID()
	write(t, s, func(tx itsm.WriteTx) error {
		for i, id := range []itsm.ID{subject, other, subject, {}} {
			e := itsm.Event{Type: "ticket.noted", Kind: "ticket", Subject: id, Time: time.Unix(int64(i), 0)}
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	state := func(s *Store) (version int, index bool) {
		t.Helper()
		q := pgx.Identifier{schema}.Sanitize()
		err := s.pool.QueryRow(ctx, `SELECT version, to_regclass($1) IS NOT NULL FROM `+q+`.schema_version`, q+".events_subject").Scan(&version, &index)
		if err != nil {
			t.Fatal(err)
		}
		return version, index
	}
	if v, ok := state(s); v != 1 || ok {
		t.Fatalf("the old build's schema: version %d, events_subject %v", v, ok)
	}
	s.Close()

	s, err = Open(ctx, dsn, testOptions(schema))
	if err != nil {
		t.Fatalf("Open of a version 1 schema: %v", err)
	}
	defer s.Close()
	if v, ok := state(s); v != len(migrations) || !ok {
		t.Fatalf("after the upgrade: version %d, events_subject %v; want %d, true", v, ok, len(migrations))
	}
	var es []itsm.Event
	read(t, s, func(tx itsm.ReadTx) (err error) { es, err = tx.EventsOf("ticket", subject, 0, 0); return err })
	if len(es) != 2 || es[0].Seq != 1 || es[1].Seq != 3 {
		t.Fatalf("EventsOf after the upgrade: %+v; want the events 1 and 3", es)
	}
}
