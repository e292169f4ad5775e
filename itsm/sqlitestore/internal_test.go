package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// openT opens a store in a new file with opts and closes it when t ends.
func openT(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	path := newTarget(t)
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// rawDB opens path without the store, for what a test does behind its back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// plan returns the lines of EXPLAIN QUERY PLAN for q; the arguments only
// have to be of the right number.
func plan(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	args := make([]any, strings.Count(q, "?"))
	for i := range args {
		args[i] = "x"
	}
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return lines
}

// TestQueryPlans checks that every statement seeks in a B-tree rather than
// scanning a table or sorting, and that a cursor is part of the seek (so that
// a later page does not scan the pages before it).
func TestQueryPlans(t *testing.T) {
	s, _ := openT(t, Options{})
	check := func(q string, mustSeek string) {
		t.Helper()
		lines := plan(t, s.w, q)
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN") || strings.Contains(l, "TEMP B-TREE") {
				t.Errorf("%s\nplan %q: scans or sorts", q, lines)
			}
		}
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "SEARCH") && strings.Contains(l, mustSeek) }) {
			t.Errorf("%s\nplan %q: no SEARCH constrained by %s", q, lines, mustSeek)
		}
	}
	check(sqlGet, "PRIMARY KEY (kind=? AND id=?)")
	check(sqlHead, "PRIMARY KEY (kind=? AND id=?)")
	check(sqlUpdateRecord, "PRIMARY KEY (kind=? AND id=?)")
	check(sqlDeleteRecord, "PRIMARY KEY (kind=? AND id=?)")
	check(sqlEvents, "rowid>?")
	check(sqlEventsOf, "events_subject (kind=? AND subject=? AND rowid>?)")
	check(sqlHolder, "entries_unique")
	check(sqlDeleteEntry, "PRIMARY KEY (kind=? AND name=? AND value=? AND id=?)")
	// MAX(seq) reads the last row of the rowid B-tree: SQLite shows it as a
	// SEARCH with no constraint.
	check(sqlAppendEvent, "SEARCH events")
	for _, k := range queryKeys() {
		seek := "(kind=? AND name=?"
		switch {
		case k.byID && k.cursor && !k.reverse:
			seek = "id>?"
		case k.byID && k.cursor:
			seek = "id<?"
		case k.byID:
			seek = "(kind=?)"
		case k.equal && k.cursor && !k.reverse:
			seek = "value=? AND id>?"
		case k.equal && k.cursor:
			seek = "value=? AND id<?"
		case k.equal:
			seek = "value=?"
		case k.lower == boundRow:
			seek = "(value,id)>"
		case k.upper == boundRow:
			seek = "(value,id)<"
		}
		check(querySQL(k), seek)
	}
}

func schemaVersions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	latest := migrations[len(migrations)-1].version
	path := newTarget(t)

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := itsm.NewID()
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if got := schemaVersions(t, db); len(got) != len(migrations) || got[len(got)-1] != latest {
		t.Fatalf("fresh file: versions %v, want 1..%d", got, latest)
	}

	t.Run("reopen", func(t *testing.T) {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := schemaVersions(t, db); len(got) != len(migrations) {
			t.Fatalf("reopening applied migrations again: versions %v", got)
		}
		if err := s.Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get("ticket", id); return err }); err != nil {
			t.Fatalf("record written before reopening: %v", err)
		}
	})

	t.Run("failing migration", func(t *testing.T) {
		saved := migrations
		t.Cleanup(func() { migrations = saved })
		migrations = append(slices.Clip(saved), migration{
			version: latest + 1,
			name:    "half right",
			stmts:   []string{`CREATE TABLE extra (x)`, `CREATE TABLE broken (`},
		})
		_, err := Open(ctx, path, Options{})
		if err == nil || !strings.Contains(err.Error(), "migration") {
			t.Fatalf("Open with a failing migration: err = %v", err)
		}
		if got := schemaVersions(t, db); got[len(got)-1] != latest {
			t.Fatalf("after a failing migration: versions %v, want the last still %d", got, latest)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'extra'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the failing migration's first step stayed: %d tables named extra, err %v", n, err)
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		path := newTarget(t)
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		saved := migrations
		migrations = append(slices.Clip(saved), migration{
			version: latest + 1,
			name:    "one more table",
			stmts:   []string{`CREATE TABLE extra (x)`},
		})
		s, err = Open(ctx, path, Options{})
		migrations = saved
		if err != nil {
			t.Fatalf("Open with one more migration: %v", err)
		}
		s.Close()
		db := rawDB(t, path)
		if got := schemaVersions(t, db); got[len(got)-1] != latest+1 {
			t.Fatalf("after the upgrade: versions %v, want the last %d", got, latest+1)
		}
		if _, err := db.Exec(`INSERT INTO extra VALUES (1)`); err != nil {
			t.Fatalf("the new migration's table: %v", err)
		}
		// The build that does not know the step refuses the file now.
		if _, err := Open(ctx, path, Options{}); itsm.ErrorCode(err) != itsm.CodeInvalid {
			t.Fatalf("Open of the upgraded file by the older build: err = %v, want invalid", err)
		}
	})

	t.Run("newer file refused", func(t *testing.T) {
		newer := latest + 7
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')`, newer); err != nil {
			t.Fatal(err)
		}
		defer db.Exec(`DELETE FROM schema_migrations WHERE version = ?`, newer)
		_, err := Open(ctx, path, Options{})
		if itsm.ErrorCode(err) != itsm.CodeInvalid || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open of a newer file: err = %v, want invalid naming the newer version", err)
		}
	})
}

// TestMigrationEventsSubject opens a file made by a build that knew only
// schema version 1, with events in it: the store must add events_subject
// on open, and EventsOf must find the events written before the upgrade.
func TestMigrationEventsSubject(t *testing.T) {
	ctx := context.Background()
	path := newTarget(t)
	saved := migrations
	migrations = saved[:1]
	s, err := Open(ctx, path, Options{})
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	subject, other := itsm.NewID(), itsm.NewID()
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		for i, id := range []itsm.ID{subject, other, subject, {}} {
			e := itsm.Event{Type: "ticket.noted", Kind: "ticket", Subject: id, Time: time.Unix(int64(i), 0)}
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	index := func() int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'events_subject'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := schemaVersions(t, db); !slices.Equal(got, []int{1}) || index() != 0 {
		t.Fatalf("the old build's file: versions %v, %d events_subject indexes", got, index())
	}

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open of a version 1 file: %v", err)
	}
	defer s.Close()
	if got := schemaVersions(t, db); got[len(got)-1] != 2 || index() != 1 {
		t.Fatalf("after the upgrade: versions %v, %d events_subject indexes", got, index())
	}
	var es []itsm.Event
	err = s.Read(ctx, func(tx itsm.ReadTx) (err error) { es, err = tx.EventsOf("ticket", subject, 0, 0); return err })
	if err != nil || len(es) != 2 || es[0].Seq != 1 || es[1].Seq != 3 {
		t.Fatalf("EventsOf after the upgrade: %+v, %v; want the events 1 and 3", es, err)
	}
}

// TestPragmas reads back what the DSN asked of each connection.
func TestPragmas(t *testing.T) {
	for _, c := range []struct {
		d    Durability
		want int // PRAGMA synchronous reports 1 for NORMAL, 2 for FULL
	}{{DurabilityFull, 2}, {DurabilityNormal, 1}} {
		t.Run(c.d.String(), func(t *testing.T) {
			s, _ := openT(t, Options{Durability: c.d, BusyTimeout: 1234 * time.Millisecond})
			for _, db := range []*sql.DB{s.w, s.r} {
				var sync, busy int
				var mode string
				if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
					t.Fatal(err)
				}
				if sync != c.want || busy != 1234 || mode != "wal" {
					t.Errorf("synchronous %d busy_timeout %d journal_mode %s; want %d, 1234, wal", sync, busy, mode, c.want)
				}
			}
			var qo int
			if err := s.r.QueryRow(`PRAGMA query_only`).Scan(&qo); err != nil || qo != 1 {
				t.Errorf("readers: query_only %d, err %v; want 1", qo, err)
			}
			var temp int
			if err := s.w.QueryRow(`PRAGMA temp_store`).Scan(&temp); err != nil || temp != 2 {
				t.Errorf("writer: temp_store %d, err %v; want 2 (memory)", temp, err)
			}
		})
	}
}

func TestOpenOptions(t *testing.T) {
	for _, o := range []Options{{Durability: 7}, {Readers: -1}, {BusyTimeout: -time.Second}} {
		if _, err := Open(context.Background(), newTarget(t), o); itsm.ErrorCode(err) != itsm.CodeInvalid {
			t.Errorf("Open with %+v: err = %v, want invalid", o, err)
		}
	}
}

// TestBusy holds the write lock from another connection, as another process
// would: writes wait for the busy timeout and fail as unavailable, and reads
// go on.
func TestBusy(t *testing.T) {
	s, path := openT(t, Options{BusyTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	conn, err := rawDB(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	id := itsm.NewID()
	start := time.Now()
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{Kind: "ticket", ID: id, Body: []byte(`{}`)})
		return err
	})
	if itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Fatalf("Write while another connection holds the lock: err = %v, want unavailable", err)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Errorf("Write gave up after %v, before the busy timeout", waited)
	}
	if err := s.Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get("ticket", id); return err }); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("Read while another connection holds the lock: err = %v, want not_found", err)
	}
}

// TestMessages checks that errors name what they are about.
func TestMessages(t *testing.T) {
	s, _ := openT(t, Options{})
	ctx := context.Background()
	a, b := itsm.NewID(), itsm.NewID()
	put := func(id itsm.ID, version int64, number string) error {
		return s.Write(ctx, func(tx itsm.WriteTx) error {
			_, err := tx.Put(itsm.Record{Kind: "ticket", ID: id, Version: version, Body: []byte(`{}`), Unique: map[string]string{"number": number}})
			return err
		})
	}
	if err := put(a, 0, "INC0000001"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		code itsm.Code
		want []string
	}{
		{put(b, 0, "INC0000001"), itsm.CodeConflict, []string{"ticket", b.String(), "number", "INC0000001", a.String()}},
		{put(a, 5, "INC0000001"), itsm.CodeConflict, []string{"ticket", a.String(), "version 5", "version 1"}},
		{put(b, 3, "INC0000003"), itsm.CodeConflict, []string{"ticket", b.String(), "does not exist"}},
		{s.Read(ctx, func(tx itsm.ReadTx) error { _, err := tx.Get("ticket", b); return err }), itsm.CodeNotFound, []string{"ticket", b.String()}},
		{s.Write(ctx, func(tx itsm.WriteTx) error { return tx.Delete("ticket", b, 1) }), itsm.CodeNotFound, []string{"ticket", b.String()}},
		{s.Write(ctx, func(tx itsm.WriteTx) error { return tx.Delete("ticket", a, 4) }), itsm.CodeConflict, []string{"ticket", a.String(), "version 4"}},
	} {
		if itsm.ErrorCode(c.err) != c.code {
			t.Errorf("err = %v, want code %s", c.err, c.code)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("err = %v, does not name %q", c.err, w)
			}
		}
	}
}

// TestCancelWhileWaiting cancels a write that waits for the writer
// connection, which another write of this process holds.
func TestCancelWhileWaiting(t *testing.T) {
	s, _ := openT(t, Options{})
	hold, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Write(context.Background(), func(tx itsm.WriteTx) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := s.Write(ctx, func(tx itsm.WriteTx) error { return nil })
	if itsm.ErrorCode(err) != itsm.CodeUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write whose context ends while it waits: err = %v, want unavailable wrapping DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEntriesRoundTrip(t *testing.T) {
	r := itsm.Record{
		Unique: map[string]string{"number": "INC0000001", "ext": "", "z": "ünï\u2028"},
		Index:  map[string][]string{"org": {"b", "a", "b", ""}, "empty": {""}, "long": {strings.Repeat("v", itsm.MaxValueSize)}},
	}
	es, err := decodeEntries(encodeEntries(backend.Entries(r)))
	if err != nil {
		t.Fatal(err)
	}
	var got itsm.Record
	backend.SetEntries(&got, es)
	wantU := map[string]string{"number": "INC0000001", "z": "ünï\u2028"}
	if len(got.Unique) != 2 || got.Unique["number"] != wantU["number"] || got.Unique["z"] != wantU["z"] {
		t.Errorf("Unique = %q, want %q", got.Unique, wantU)
	}
	if len(got.Index) != 2 || !slices.Equal(got.Index["org"], []string{"a", "b"}) || len(got.Index["long"][0]) != itsm.MaxValueSize {
		t.Errorf("Index = %q", got.Index)
	}
	for _, bad := range [][]byte{{9}, {idxFormat, 0, 5, 'a'}, {idxFormat, 2, 1, 'a', 0}} {
		if _, err := decodeEntries(bad); err == nil {
			t.Errorf("decodeEntries(%q) = nil error", bad)
		}
	}
}

// TestCursorOutsideRange hands Query cursors that lie outside the matches,
// as a cursor of another query would: one before them all continues from the
// start, one after them all gives an empty page.
func TestCursorOutsideRange(t *testing.T) {
	s, _ := openT(t, Options{})
	ctx := context.Background()
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		for _, v := range []string{"b", "c", "c", "d"} {
			r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`), Index: map[string][]string{"state": {v}}}
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	low, high := backend.NewCursor("a", itsm.NewID()), backend.NewCursor("z", itsm.NewID())
	for _, c := range []struct {
		name string
		q    itsm.Query
		want int
	}{
		{"range after low", itsm.Query{Match: itsm.MatchRange, From: "b", To: "e", After: low}, 4},
		{"range after high", itsm.Query{Match: itsm.MatchRange, From: "b", To: "e", After: high}, 0},
		{"range reversed after high", itsm.Query{Match: itsm.MatchRange, From: "b", To: "e", After: high, Reverse: true}, 4},
		{"range reversed after low", itsm.Query{Match: itsm.MatchRange, From: "b", To: "e", After: low, Reverse: true}, 0},
		{"open range after low", itsm.Query{Match: itsm.MatchRange, From: "c", After: low}, 3},
		{"prefix after low", itsm.Query{Match: itsm.MatchPrefix, Value: "c", After: low}, 2},
		{"prefix reversed after high", itsm.Query{Match: itsm.MatchPrefix, Value: "c", After: high, Reverse: true}, 2},
		{"equal after low", itsm.Query{Match: itsm.MatchEqual, Value: "c", After: low}, 2},
		{"equal after high", itsm.Query{Match: itsm.MatchEqual, Value: "c", After: high}, 0},
		{"equal reversed after high", itsm.Query{Match: itsm.MatchEqual, Value: "c", After: high, Reverse: true}, 2},
		{"equal reversed after low", itsm.Query{Match: itsm.MatchEqual, Value: "c", After: low, Reverse: true}, 0},
	} {
		c.q.Kind, c.q.Index = "ticket", "state"
		err := s.Read(ctx, func(tx itsm.ReadTx) error {
			p, err := tx.Query(c.q)
			if err != nil {
				return err
			}
			if len(p.Matches) != c.want || p.Next != "" {
				t.Errorf("%s: %d matches, next %q; want %d and no next", c.name, len(p.Matches), p.Next, c.want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}
