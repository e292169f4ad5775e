package pgstore

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// TestPlansSurviveGrowthWithoutAnalyze is issue 20's slow-down: on a server
// without autovacuum, a connection that used the store's statements while
// its tables were small kept the plans it made then (PostgreSQL caches a
// generic plan for a prepared statement after five executions) and, as the
// tables grew with nobody running ANALYZE, scanned them whole on every
// command. The store runs on one connection here, uses every statement a
// command or a query runs ten times on small tables, the tables then grow
// from a page to thousands without ANALYZE (autovacuum is off for them,
// whatever the server's setting), and EXPLAIN ANALYZE EXECUTE of each of
// the same prepared statements on that connection, in a transaction begun
// as the store begins one, must show no node reading more than a hundred
// rows, and no JIT compilation. The same check on the statements before the
// fix found an entry insert that hashed the whole entries table.
//
// It runs twice: on tables never analysed, whose size the planner takes
// from their pages (ten at least), and on tables analysed while they held a
// few rows, as when autovacuum analysed a new database once and was then
// turned off: statistics that make every plan look as cheap as any other.
func TestPlansSurviveGrowthWithoutAnalyze(t *testing.T) {
	pgtest.DSN(t)
	t.Run("never analysed", func(t *testing.T) { testPlansSurviveGrowth(t, false) })
	t.Run("analysed when small", func(t *testing.T) { testPlansSurviveGrowth(t, true) })
}

func testPlansSurviveGrowth(t *testing.T, analyse bool) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	schema := newSchema(t, dsn)
	s, err := Open(ctx, dsn, Options{Schema: schema, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := pgx.Identifier{schema}.Sanitize()
	for _, table := range []string{"records", "entries", "events", "numbers", "event_seq"} {
		if _, err := s.pool.Exec(ctx, `ALTER TABLE `+q+`.`+table+` SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`); err != nil {
			t.Fatal(err)
		}
	}

	// The statements a lifecycle's commands and the lists run, ten times
	// each on a few records.
	ticket := func(i int, state string) itsm.Record {
		return itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`),
			Unique: map[string]string{"number": fmt.Sprintf("T%06d", i)},
			Index:  map[string][]string{"state": {state}, "due": {fmt.Sprintf("2026-01-01T%02d", i%24)}}}
	}
	kept := ticket(0, "new")
	put(t, s, kept)
	kept.Version = 1
	if analyse {
		if _, err := s.pool.Exec(ctx, `ANALYZE `+q+`.records, `+q+`.entries, `+q+`.events`); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		write(t, s, func(tx itsm.WriteTx) error {
			r, err := tx.Get("ticket", kept.ID)
			if err != nil {
				return err
			}
			kept.Version = r.Version
			kept.Index["state"] = []string{fmt.Sprint("s", i)}
			// A value moving between Unique and Index flips its flag.
			if i%2 == 0 {
				kept.Unique["code"] = "C1"
				delete(kept.Index, "code")
			} else {
				kept.Index["code"] = []string{"C1"}
				delete(kept.Unique, "code")
			}
			if kept.Version, err = tx.Put(kept); err != nil {
				return err
			}
			if _, err := tx.Append(itsm.Event{Type: "ticket.changed", Time: time.Now(), Kind: "ticket", Subject: kept.ID}); err != nil {
				return err
			}
			if _, err := tx.NextNumber("TKT"); err != nil {
				return err
			}
			gone := ticket(1000+i, "new")
			if _, err := tx.Put(gone); err != nil {
				return err
			}
			return tx.Delete("ticket", gone.ID, 1)
		})
		read(t, s, func(tx itsm.ReadTx) error {
			for _, q := range planQueries() {
				if _, err := tx.Query(q); err != nil {
					return err
				}
			}
			_, err := tx.Events(0, 10)
			return err
		})
	}

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// 20,000 records with five index values each and as many events: a
	// few thousand pages, where the statements' first runs saw one.
	if _, err := conn.Exec(ctx, `
INSERT INTO `+q+`.records (kind, id, version, body, names, vals, uniqs)
SELECT 'ticket', gen_random_uuid(), 1, '\x7b7d', '{}', '{}', '{}' FROM generate_series(1, 20000);
INSERT INTO `+q+`.entries (kind, name, value, id, uniq)
SELECT kind, 'state', 's' || (random() * 9)::int, id, false FROM `+q+`.records WHERE names = '{}'
UNION ALL SELECT kind, 'due', '2026-01-01T' || i, id, false FROM `+q+`.records, generate_series(10, 13) AS i WHERE names = '{}';
INSERT INTO `+q+`.events (seq, id, type, at, at_nanos)
SELECT 1000 + i, gen_random_uuid(), 'ticket.changed', now(), 0 FROM generate_series(1, 20000) AS i;`); err != nil {
		t.Fatal(err)
	}

	names, vals, uniqs := flatten(kept)
	id := uuidArg(kept.ID)
	fresh := ticket(5000, "new")
	var xmin uint32
	if err := conn.QueryRow(ctx, `SELECT xmin FROM `+q+`.records WHERE kind = 'ticket' AND id = $1`, id).Scan(&xmin); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sql  string
		args []any
	}{
		{s.sql.get, []any{"ticket", id}},
		{s.sql.current, []any{"ticket", id}},
		{s.sql.update, []any{"ticket", id, kept.Version, []byte(`{}`), names, vals, uniqs, xmin}},
		{s.sql.dropEntries, []any{"ticket", []string{"state"}, []string{"s8", "s9"}, id, []string{"state s8"}}},
		{s.sql.flipEntries, []any{"ticket", []string{"code"}, []string{"C1"}, id, []string{"code C1"}}},
		{s.sql.addEntries, []any{"ticket", id, []string{"state"}, []string{"s10"}, []bool{false}}},
		{s.sql.del, []any{"ticket", id, kept.Version, xmin}},
		{s.sql.createIndexed, append([]any{"ticket", uuidArg(fresh.ID), []byte(`{}`)}, flattened(fresh)...)},
		{s.sql.events, []any{int64(0), 10}},
		{s.sql.appendEvent, []any{uuidArg(itsm.NewID()), "ticket.changed", "ticket", id, time.Now(), int16(0), []byte(nil)}},
		{s.sql.nextNumber, []any{"TKT"}},
	}
	for _, q := range planQueries() {
		limit, err := backend.ValidateQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		sql, args := s.sql.query(q, limit)
		cases = append(cases, struct {
			sql  string
			args []any
		}{sql, args})
	}
	// The EXPLAINs run, and so execute the statements, in a transaction
	// begun as the store begins one and rolled back.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, planSettings); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		var name string
		var generic, custom int64
		err := tx.QueryRow(ctx, `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`, c.sql).Scan(&name, &generic, &custom)
		if err != nil {
			t.Fatalf("find the prepared statement of\n%s\n: %v", c.sql, err)
		}
		params := make([]string, len(c.args))
		for i := range params {
			params[i] = fmt.Sprint("$", i+1)
		}
		// The simple protocol writes the arguments into the text as
		// literals, which EXECUTE casts to the statement's parameter types.
		rows, err := tx.Query(ctx, "EXPLAIN ANALYZE EXECUTE "+name+"("+strings.Join(params, ", ")+")",
			append([]any{pgx.QueryExecModeSimpleProtocol}, c.args...)...)
		if err != nil {
			t.Fatalf("explain: %v\n%s", err, c.sql)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("explain: %v\n%s", err, c.sql)
		}
		plan := strings.Join(lines, "\n")
		// A plan whose cost includes the penalty of a disabled node
		// (event_seq has no other) would be compiled by JIT each time.
		if strings.Contains(plan, "JIT:") {
			t.Errorf("a statement was compiled:\n%s\n%s", c.sql, plan)
		}
		// Every statement touches a row or a page of rows: a node that
		// reads thousands has scanned a table, or an index, end to end.
		for _, m := range rowCounts.FindAllStringSubmatch(plan, -1) {
			if n, _ := strconv.Atoi(m[1]); n > 100 {
				t.Errorf("after %d generic and %d custom plans, a statement reads %d rows:\n%s\n%s", generic, custom, n, c.sql, plan)
				break
			}
		}
	}
}

// rowCounts finds the rows a node of EXPLAIN ANALYZE returned or removed.
var rowCounts = regexp.MustCompile(`(?:actual time=\S+ rows=|Rows Removed by [A-Za-z ]+: )(\d+)`)

// planQueries are the shapes of query the lists use: equality, prefix and
// range, with a cursor.
func planQueries() []itsm.Query {
	cursor := backend.NewCursor("s3", itsm.NewID())
	return []itsm.Query{
		{Kind: "ticket", Index: "state", Match: itsm.MatchEqual, Value: "s3", Limit: 50},
		{Kind: "ticket", Index: "number", Match: itsm.MatchPrefix, Value: "T0001", Limit: 50},
		{Kind: "ticket", Index: "due", Match: itsm.MatchRange, From: "2026-01-01T05", To: "2026-01-01T06", Limit: 50, After: cursor},
	}
}

func flattened(r itsm.Record) []any {
	names, vals, uniqs := flatten(r)
	return []any{names, vals, uniqs}
}
