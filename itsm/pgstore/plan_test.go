package pgstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// TestQueryPlans checks that every shape of query walks a primary key in
// the order asked, with no Sort: that is what COLLATE "C" on the columns and
// their indexes buys whatever the database's collation is, and what keeps a
// page as cheap at the end of an index as at its start. Scans other than
// index scans and sorts are disabled so that the planner picks the index
// even on a small table whenever it can, and must sort when it cannot.
func TestQueryPlans(t *testing.T) {
	pgtest.DSN(t)
	t.Run("default", func(t *testing.T) { testQueryPlans(t, openTest(t)) })
	t.Run("icu-en-US", func(t *testing.T) { testQueryPlans(t, openICU(t)) })
}

func testQueryPlans(t *testing.T, s *Store) {
	ctx := context.Background()
	write(t, s, func(tx itsm.WriteTx) error {
		for i := range 200 {
			r := itsm.Record{Kind: "ticket", ID: itsm.NewID(), Body: []byte(`{}`),
				Unique: map[string]string{"number": fmt.Sprintf("T%04d", i)},
				Index:  map[string][]string{"state": {fmt.Sprint("s", i%7)}}}
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	cursor := backend.NewCursor("s3", itsm.NewID())
	var queries []itsm.Query
	for _, reverse := range []bool{false, true} {
		for _, after := range []itsm.Cursor{"", cursor} {
			for _, q := range []itsm.Query{
				{Index: "state"},
				{Index: "state", Match: itsm.MatchEqual, Value: "s3"},
				{Index: "number", Match: itsm.MatchPrefix, Value: "T01"},
				{Index: "state", Match: itsm.MatchRange, From: "s2", To: "s5"},
				{Index: "state", Match: itsm.MatchRange, From: "s2"},
				{},
			} {
				q.Kind, q.Reverse, q.After = "ticket", reverse, after
				queries = append(queries, q)
			}
		}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `ANALYZE `+pgx.Identifier{s.schema}.Sanitize()+`.entries; ANALYZE `+pgx.Identifier{s.schema}.Sanitize()+`.records; SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off`); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		limit, err := backend.ValidateQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		sql, args := s.sql.query(q, limit)
		rows, err := conn.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatalf("explain %+v: %v", q, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("explain %+v: %v", q, err)
		}
		plan := strings.Join(lines, "\n")
		want := "using entries_pkey on entries e"
		if q.Index == "" {
			want = "using records_pkey on records r"
		}
		if strings.Contains(plan, "Sort") || !strings.Contains(plan, want) {
			t.Errorf("query %+v: plan does not walk the index in order:\n%s", q, plan)
		}
	}
	// The statements of Put and Delete: TestPlansSurviveGrowthWithoutAnalyze.
	if _, err := conn.Exec(ctx, `RESET ALL`); err != nil {
		t.Fatal(err)
	}
}

// TestEventsOfPlan checks that EventsOf seeks events_subject and reads the
// record's events in Seq order, with no sort and no scan of the log, both
// as the planner chooses on a log it has statistics for and in the generic
// plan that a statement prepared by pgx falls back to: the partial index
// must be provably usable for a subject given as a parameter.
func TestEventsOfPlan(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	subjects := make([]itsm.ID, 150)
	for i := range subjects {
		subjects[i] = itsm.NewID()
	}
	write(t, s, func(tx itsm.WriteTx) error {
		for i := range 20 * len(subjects) {
			e := itsm.Event{Type: "ticket.noted", Kind: "ticket", Subject: subjects[i%len(subjects)], Time: time.Unix(int64(i), 0)}
			if i%10 == 0 {
				e.Subject = itsm.ID{}
			}
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `ANALYZE `+pgx.Identifier{s.schema}.Sanitize()+`.events`); err != nil {
		t.Fatal(err)
	}
	explain := func(sql string, args ...any) string {
		t.Helper()
		rows, err := conn.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		return strings.Join(lines, "\n")
	}
	check := func(what, plan string) {
		t.Helper()
		if strings.Contains(plan, "Sort") || strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index Scan using events_subject") {
			t.Errorf("%s: plan does not walk events_subject in order:\n%s", what, plan)
		}
	}
	p := explain(s.sql.eventsOf, "ticket", uuidArg(subjects[7]), int64(3), 100)
	check("custom plan", p)
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `RESET plan_cache_mode; DEALLOCATE events_of`)
	if _, err := conn.Exec(ctx, "PREPARE events_of AS "+s.sql.eventsOf); err != nil {
		t.Fatal(err)
	}
	check("generic plan", explain(`EXECUTE events_of ('ticket', '`+subjects[7].String()+`', 3, 100)`))
}
