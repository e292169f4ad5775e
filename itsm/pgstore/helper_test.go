package pgstore

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// newSchema returns a schema name no other test or run uses, and drops that
// schema when tb ends, so that runs never see each other's data.
func newSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	schema := pgtest.Schema("spoc_test_")
	tb.Cleanup(func() { dropSchema(tb, dsn, schema) })
	return schema
}

func dropSchema(tb testing.TB, dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := DropSchema(ctx, dsn, schema); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// testOptions keeps each test's pool small: the tests of four engineers
// share one server.
func testOptions(schema string) Options { return Options{Schema: schema, MaxConns: 4} }

// openTest opens a store on a fresh schema, closed and dropped when tb ends.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	dsn := pgtest.DSN(tb)
	schema := newSchema(tb, dsn)
	s, err := Open(context.Background(), dsn, testOptions(schema))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// target is how a store's location travels to the storetest harness and its
// child processes: the schema, a space, then the DSN.
func target(schema, dsn string) string { return schema + " " + dsn }

func parseTarget(tb testing.TB, target string) (schema, dsn string) {
	schema, dsn, ok := strings.Cut(target, " ")
	if !ok {
		tb.Fatalf("target %q is not \"schema dsn\"", target)
	}
	return schema, dsn
}

// newTarget makes a fresh schema for a harness test; the parent drops it.
func newTarget(t *testing.T) string {
	dsn := pgtest.DSN(t)
	return target(newSchema(t, dsn), dsn)
}

// openTarget opens the store at a target made by newTarget, in the parent or
// in a child process. A child's sessions carry an application name, so that
// the parent, reopening after a kill, can wait for the server to finish with
// them: a COMMIT the child sent just before SIGKILL may still be running, and
// a parent that read the store first would see it land half-way through its
// checks.
func openTarget(tb testing.TB, target string) itsm.Store {
	tb.Helper()
	schema, dsn := parseTarget(tb, target)
	app := "spoc-test-child-" + schema
	if os.Getenv("SPOC_STORETEST_CHILD") != "" {
		dsn = withApplicationName(tb, dsn, app)
	} else {
		waitForSessions(tb, dsn, app)
	}
	s, err := Open(context.Background(), dsn, testOptions(schema))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// withApplicationName sets application_name in a URL or keyword/value DSN.
func withApplicationName(tb testing.TB, dsn, app string) string {
	tb.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " application_name=" + app
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("DSN: %v", err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// waitForSessions waits until the server has no session named app.
func waitForSessions(tb testing.TB, dsn, app string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), asynctest.Failsafe)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	asynctest.Eventually(tb, "the sessions of "+app+" to end", func() bool {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n)
		if err != nil {
			tb.Fatalf("sessions of %s: %v", app, err)
		}
		return n == 0
	})
}

func write(tb testing.TB, s itsm.Store, fn func(itsm.WriteTx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

func read(tb testing.TB, s itsm.Store, fn func(itsm.ReadTx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

func wantCode(tb testing.TB, err error, code itsm.Code) {
	tb.Helper()
	if !itsm.IsCode(err, code) {
		tb.Fatalf("err = %v, want code %s", err, code)
	}
}

// icuDSN creates a database whose default collation is ICU's en-US, which
// orders "a" before "B" and ignores punctuation at first, dropped when tb
// ends, and returns its DSN. It skips tb when the server or the role cannot
// create one, or when the test DSN is not a URL.
func icuDSN(tb testing.TB) string {
	tb.Helper()
	dsn := pgtest.DSN(tb)
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Skipf("%s is not a postgres:// URL; skipping the ICU database test", pgtest.Env)
	}
	db := pgtest.Schema("spoc_test_icu_")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	quoted := pgx.Identifier{db}.Sanitize()
	_, err = conn.Exec(ctx, `CREATE DATABASE `+quoted+` TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
	if err != nil {
		tb.Skipf("cannot create a database with an ICU collation: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop database %s: %v", db, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+quoted+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", db, err)
		}
	})
	u.Path = "/" + db
	return u.String()
}

// openICU opens a store in a new database with an en-US default collation.
func openICU(tb testing.TB) *Store {
	tb.Helper()
	dsn := icuDSN(tb)
	s, err := Open(context.Background(), dsn, testOptions(DefaultSchema))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// TestDropSchemaRefusesTheDefault checks that DropSchema cannot be aimed
// at a deployment's schema or a name Open would refuse; no server needed.
func TestDropSchemaRefusesTheDefault(t *testing.T) {
	for _, s := range []string{DefaultSchema, "", "pg_catalog", "Spoc", "a;drop"} {
		if err := DropSchema(context.Background(), "postgres://127.0.0.1:1/none", s); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("DropSchema(%q): %v, want invalid", s, err)
		}
	}
}
