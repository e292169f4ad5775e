// Package pgstore is an itsm.Store on PostgreSQL (15 or later), through pgx and
// its connection pool.
//
// Everything lives in one schema ("spoc" unless Options.Schema says
// otherwise), created and migrated by Open, so that several spoc instances or
// test runs can share a database without seeing each other. Several processes
// may open and write the same schema at once: optimistic versions, unique
// values, the event sequence and ticket numbers are enforced by PostgreSQL
// itself, not by locks in this process.
//
// Write transactions run at READ COMMITTED. That is enough for the contract
// because every write checks what it depends on in the statement that makes
// it: Put and Delete name the version they expect, and the row they read it
// from, and PostgreSQL re-checks both on the newest row after waiting for a
// concurrent writer, a unique index guards Unique values, and the event and
// number counters are rows whose lock is held until commit. Read transactions run at REPEATABLE READ READ ONLY so
// that every statement of one Read sees the same snapshot.
//
// # What the server needs
//
// PostgreSQL 15 or later, with its default settings. The role needs CREATE
// on the database, or on a schema an administrator made for it.
//
// The store's speed does not depend on the server's statistics: every
// statement reaches its rows through a primary key or walks an index in
// order (but for the one-row event counter), and each transaction tells the
// planner so (SET LOCAL, which overrides the server's and the role's
// enable_* and jit settings for that transaction only), so a plan a
// connection made while the tables were small or never analysed stays the
// right one however large they grow.
// Autovacuum is still wanted, for space rather than speed: every Put
// leaves a dead row version of the record and of each index value it
// changed, and every Append one of the event counter; without autovacuum,
// or a scheduled VACUUM, the tables only grow.
//
// Durability is the server's: with synchronous_commit on (the default) a
// Write that returned nil survives a crash of the server or of the machine,
// as with sqlitestore's DurabilityFull; off, the last commits before such a
// crash may be lost, never half of one, much as with DurabilityNormal.
package pgstore

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/itsm"
)

// DefaultSchema is the schema Open uses when Options.Schema is empty.
const DefaultSchema = "spoc"

// Options configure Open and New.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables; Open
	// creates it if it does not exist. It must be a lower-case letter or
	// '_' followed by up to 62 lower-case letters, digits or '_', so that
	// it needs no quoting in psql, and must not begin with pg_, which
	// PostgreSQL reserves. "" means DefaultSchema.
	Schema string
	// MaxConns caps the connections of the pool that Open creates; 0 keeps
	// pgx's choice (pool_max_conns in the DSN, else the larger of 4 and
	// the number of CPUs). Every open transaction holds one connection, so
	// this is also the number of transactions that run at once. New
	// ignores it: the host sized its own pool.
	MaxConns int
}

// Store is an itsm.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	owned  bool // Close closes pool only if Open created it
	schema string
	sql    statements
}

var _ itsm.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at dsn (a URL such as
// postgres://user@host:5432/db or keyword=value pairs, as pgx accepts),
// creates or migrates the schema and returns the store. Several processes may
// Open the same database and schema at once; migrations run once, under an
// advisory lock.
//
// A schema migrated by a newer version of this package is refused rather
// than used by code that does not know its layout.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	schema, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, itsm.Wrap(itsm.CodeInvalid, err, "pgstore: parse dsn")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, mapError(ctx, err, "pgstore: create pool")
	}
	s, err := newStore(ctx, pool, schema)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a store on a pool the host already has, creating or migrating
// the schema as Open does. Close leaves the pool open; the host closes it
// after the store.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "pgstore: nil pool")
	}
	schema, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, pool, schema)
}

func checkOptions(opts Options) (schema string, err error) {
	schema = opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if !validSchema(schema) {
		return "", itsm.Errorf(itsm.CodeInvalid, "pgstore: schema %q is not a-z or _ followed by up to 62 of a-z, 0-9, _, and not pg_...", schema)
	}
	if opts.MaxConns < 0 || opts.MaxConns > math.MaxInt32 {
		return "", itsm.Errorf(itsm.CodeInvalid, "pgstore: MaxConns %d is out of range", opts.MaxConns)
	}
	return schema, nil
}

// validSchema keeps schema names to what psql users can type unquoted; the
// name is quoted in SQL all the same. PostgreSQL reserves the prefix pg_.
func validSchema(s string) bool {
	if len(s) == 0 || len(s) > 63 || strings.HasPrefix(s, "pg_") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func newStore(ctx context.Context, pool *pgxpool.Pool, schema string) (*Store, error) {
	quoted := pgx.Identifier{schema}.Sanitize()
	if err := migrate(ctx, pool, schema, quoted); err != nil {
		return nil, err
	}
	return &Store{pool: pool, schema: schema, sql: newStatements(quoted)}, nil
}

// Schema returns the name of the schema that holds the store's tables.
func (s *Store) Schema() string { return s.schema }

// Close closes the pool if Open created it. Transactions must have ended.
func (s *Store) Close() error {
	if s.owned {
		s.pool.Close()
	}
	return nil
}

// Read runs fn in a REPEATABLE READ READ ONLY transaction, begun lazily with
// fn's first statement so that it costs no round trip of its own.
func (s *Store) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	t, err := s.begin(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer t.release()
	err = fn(t)
	t.ended = true
	return err
}

// Write runs fn in a READ COMMITTED transaction (see the package comment for
// why that suffices) and commits it when fn returns nil and no write failed.
func (s *Store) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	t, err := s.begin(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		return err
	}
	t.writes = true
	defer t.release()
	ferr := fn(writeTxn{t})
	t.ended = true
	switch {
	case ferr != nil:
		return ferr
	case t.failed != nil:
		return t.failed
	case t.broken != nil:
		// A read failed and fn carried on: PostgreSQL has aborted the
		// transaction, so it cannot commit.
		return t.broken
	}
	return t.commit()
}

func (s *Store) begin(ctx context.Context, opts pgx.TxOptions) (*txn, error) {
	if err := ctx.Err(); err != nil {
		return nil, itsm.Errorf(itsm.CodeUnavailable, "pgstore: begin: %w", err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, mapError(ctx, err, "pgstore: acquire connection")
	}
	return &txn{s: s, ctx: ctx, conn: conn, opts: opts}, nil
}

// endTimeout bounds the rollback that release sends with a context of its
// own, so that a connection whose caller gave up can still go back to the
// pool clean, but a dead server cannot hold release for long.
const endTimeout = 5 * time.Second

// DropSchema drops schema and everything in it, as when a store opened on
// it is retired, and does nothing when there is no such schema. It is for
// stores made for one run, such as a test's; the schema must be one Open
// would take, and DefaultSchema is refused so that a slip cannot drop a
// deployment's data.
func DropSchema(ctx context.Context, dsn, schema string) error {
	if !validSchema(schema) || schema == DefaultSchema {
		return itsm.Errorf(itsm.CodeInvalid, "pgstore: will not drop schema %q", schema)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "pgstore: connect to drop schema %s", schema)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "pgstore: drop schema %s", schema)
	}
	return nil
}
