package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// The model check runs a program of transactions against a store and against
// mModel, a reference written to be obviously right rather than fast: maps,
// brute-force filtering and sorting. Every answer of the store is compared
// with the model's, and the whole state at the end.
//
// A program is a sequence of choices, each a number below a small bound, so
// that the same driver runs random programs (testRandomCommands) and programs
// decoded from arbitrary bytes (Commands, for fuzzing). The random driver
// records its choices as bytes, so a failure prints a program that replays it
// exactly through Commands.
//
// The alphabets are tiny on purpose: two kinds, a dozen IDs, eight values,
// so that unique values clash, versions go stale, queries tie on a value and
// cursors land on records that have since changed.

// mEnvSeed replaces the time-based seed of testRandomCommands, to replay a run.
const mEnvSeed = "SPOC_STORETEST_MODEL_SEED"

// mMaxCommandsTx bounds the transactions of one Commands program, so that a
// long fuzz input costs a bounded time.
const mMaxCommandsTx = 200

// mCheckEvery is how many transactions pass between two checks of the whole
// state, which narrow down where a store went wrong.
const mCheckEvery = 50

var (
	mKinds = []string{"t", "tt"}
	// mValues holds "" (never stored), a value that is a prefix of
	// another, upper case (which sorts before lower case byte-wise) and
	// multi-byte UTF-8, including é in both NFC and NFD, which a store that
	// collates instead of comparing bytes would mix up.
	mValues   = []string{"", "B", "a", "ab", "b", "e\u0301", "Å", "é"}
	mPrefixes = []string{"IN", "INC", "REQ"}
	mTypes    = []string{"ticket.created", "ticket.noted", "sla.breached"}
	// mIDs are fixed, so that programs replay, and sorted, so that their
	// labels (#0 to #11) read in index order. They include the extremes
	// and neighbours that differ in the last byte or the first bit.
	mIDs = []itsm.ID{
		itsm.MustParseID("00000000-0000-0000-0000-000000000001"),
		itsm.MustParseID("00000000-0000-0000-0000-000000000002"),
		itsm.MustParseID("00000000-0000-0000-0000-000000000100"),
		itsm.MustParseID("0190f3a2-7c41-7d2e-9a51-3b8c0e6f1d24"),
		itsm.MustParseID("0190f3a2-7c41-7d2e-9a51-3b8c0e6f1d25"),
		itsm.MustParseID("0190f3a2-7c42-7000-8000-000000000000"),
		itsm.MustParseID("7fffffff-ffff-ffff-ffff-ffffffffffff"),
		itsm.MustParseID("80000000-0000-0000-0000-000000000000"),
		itsm.MustParseID("a0000000-0000-4000-8000-00000000000a"),
		itsm.MustParseID("f0000000-0000-0000-0000-000000000000"),
		itsm.MustParseID("ffffffff-ffff-ffff-ffff-fffffffffffe"),
		itsm.MustParseID("ffffffff-ffff-ffff-ffff-ffffffffffff"),
	}
	mZones = []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("NST", -(3*3600 + 30*60))}
)

var (
	errModelRollback = errors.New("storetest: the model check rolls back on purpose")
	errModelMismatch = errors.New("storetest: the store disagrees with the model")
)

// mKey identifies a record in the model.
type mKey struct {
	kind string
	id   itsm.ID
}

// mModel is the reference store: what every store must hold after the same
// commands. Its records are stored as the store must return them (see
// stored) and never changed in place, so a clone need only copy the maps.
type mModel struct {
	recs    map[mKey]itsm.Record
	events  []itsm.Event
	numbers map[string]uint64 // last number taken per prefix
}

func newModel() *mModel {
	return &mModel{recs: map[mKey]itsm.Record{}, numbers: map[string]uint64{}}
}

// clone returns the state a write transaction starts from: committing is
// keeping the clone, rolling back is dropping it.
func (m *mModel) clone() *mModel {
	return &mModel{recs: maps.Clone(m.recs), events: slices.Clone(m.events), numbers: maps.Clone(m.numbers)}
}

// The methods below return the code the store must fail with, or "".

func (m *mModel) get(kind string, id itsm.ID) (itsm.Record, itsm.Code) {
	r, ok := m.recs[mKey{kind, id}]
	if !ok {
		return itsm.Record{}, itsm.CodeNotFound
	}
	return r, ""
}

func (m *mModel) put(r itsm.Record) (int64, itsm.Code) {
	if backend.ValidateRecord(r) != nil {
		return 0, itsm.CodeInvalid
	}
	k := mKey{r.Kind, r.ID}
	old, exists := m.recs[k]
	if exists && r.Version != old.Version || !exists && r.Version != 0 {
		return 0, itsm.CodeConflict
	}
	for name, v := range r.Unique {
		if v == "" {
			continue
		}
		for ok, o := range m.recs {
			if ok.kind == k.kind && ok.id != k.id && o.Unique[name] == v {
				return 0, itsm.CodeConflict
			}
		}
	}
	m.recs[k] = Stored(r, r.Version+1)
	return r.Version + 1, ""
}

func (m *mModel) delete(kind string, id itsm.ID, version int64) itsm.Code {
	k := mKey{kind, id}
	old, ok := m.recs[k]
	switch {
	case !ok:
		return itsm.CodeNotFound
	case old.Version != version:
		return itsm.CodeConflict
	}
	delete(m.recs, k)
	return ""
}

// query answers q by collecting every hit, sorting them all and dropping
// those up to the cursor's position.
func (m *mModel) query(q itsm.Query) (itsm.Page, itsm.Code) {
	limit, err := backend.ValidateQuery(q)
	if err != nil {
		return itsm.Page{}, itsm.CodeInvalid
	}
	var hits []itsm.Hit
	for k, r := range m.recs {
		if k.kind != q.Kind {
			continue
		}
		if q.Index == "" {
			hits = append(hits, itsm.Hit{Value: k.id.String(), Record: r})
			continue
		}
		vals := r.Index[q.Index]
		if v, ok := r.Unique[q.Index]; ok {
			vals = []string{v}
		}
		for _, v := range vals {
			if mMatches(q, v) {
				hits = append(hits, itsm.Hit{Value: v, Record: r})
			}
		}
	}
	slices.SortFunc(hits, hitLess)
	if q.Reverse {
		slices.Reverse(hits)
	}
	if q.After != "" {
		v, id, _ := backend.ParseCursor(q.After)
		at := itsm.Hit{Value: v, Record: itsm.Record{ID: id}}
		hits = slices.DeleteFunc(hits, func(h itsm.Hit) bool {
			if q.Reverse {
				return hitLess(h, at) >= 0
			}
			return hitLess(h, at) <= 0
		})
	}
	var p itsm.Page
	if len(hits) > limit {
		hits = hits[:limit]
		last := hits[limit-1]
		p.Next = backend.NewCursor(last.Value, last.Record.ID)
	}
	p.Matches = hits
	return p, ""
}

func mMatches(q itsm.Query, v string) bool {
	switch q.Match {
	case itsm.MatchEqual:
		return v == q.Value
	case itsm.MatchPrefix:
		return strings.HasPrefix(v, q.Value)
	case itsm.MatchRange:
		return q.From <= v && (q.To == "" || v < q.To)
	}
	return true
}

func (m *mModel) eventsAfter(after int64, limit int) ([]itsm.Event, itsm.Code) {
	limit, err := itsm.ValidateLimit(limit)
	if err != nil {
		return nil, itsm.CodeInvalid
	}
	var out []itsm.Event
	for _, e := range m.events {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, ""
}

// eventsOf answers EventsOf by filtering the whole log.
func (m *mModel) eventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, itsm.Code) {
	limit, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, itsm.CodeInvalid
	}
	var out []itsm.Event
	for _, e := range m.events {
		if e.Kind == kind && e.Subject == subject && e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, ""
}

// appendEvent appends e as the store must keep it. id is the ID the store
// chose when e.ID is zero: the model cannot predict a random ID, so the
// driver checks it separately.
func (m *mModel) appendEvent(e itsm.Event, id itsm.ID) (itsm.Event, itsm.Code) {
	if backend.ValidateEvent(e) != nil {
		return itsm.Event{}, itsm.CodeInvalid
	}
	e.Seq = int64(len(m.events)) + 1
	if e.ID.IsZero() {
		e.ID = id
	}
	e.Time = e.Time.UTC()
	if len(e.Data) == 0 {
		e.Data = nil
	} else {
		e.Data = slices.Clone(e.Data)
	}
	m.events = append(m.events, e)
	return e, ""
}

func (m *mModel) nextNumber(prefix string) (itsm.Number, itsm.Code) {
	if itsm.ValidateNumberPrefix(prefix) != nil {
		return itsm.Number{}, itsm.CodeInvalid
	}
	m.numbers[prefix]++
	return itsm.Number{Prefix: prefix, Seq: m.numbers[prefix]}, ""
}

// mProgram is the source of a run's choices: a random generator, or bytes
// to decode. Either way it records the choices it made as bytes (each below
// its bound), which replay the same run.
type mProgram struct {
	rng *rand.Rand
	in  []byte
	pos int
	rec []byte
}

// more reports whether the program has choices left; a random one always
// has.
func (p *mProgram) more() bool { return p.rng != nil || p.pos < len(p.in) }

// pick returns a choice in [0, n), n at most 256. Bytes are taken modulo n,
// so every byte string is a program; once they run out every choice is 0.
func (p *mProgram) pick(n int) int {
	if n > 256 {
		panic(fmt.Sprintf("storetest: choice among %d, more than a byte holds", n))
	}
	if n <= 1 {
		return 0
	}
	var c int
	switch {
	case p.rng != nil:
		c = p.rng.IntN(n)
	case p.pos < len(p.in):
		c = int(p.in[p.pos]) % n
		p.pos++
	}
	p.rec = append(p.rec, byte(c))
	return c
}

func mPick[T any](p *mProgram, xs []T) T { return xs[p.pick(len(xs))] }

// mStats counts how transactions ended, so that a change to the choices
// that stops most transactions from committing shows in the log.
type mStats struct {
	committed, rolledBack, reads int
	spoiled                      map[itsm.Code]int
}

func (s mStats) String() string {
	codes := slices.Sorted(maps.Keys(s.spoiled))
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, ", %d spoiled by %s", s.spoiled[c], c)
	}
	return fmt.Sprintf("%d read, %d committed, %d rolled back by fn%s", s.reads, s.committed, s.rolledBack, b.String())
}

// mDriver runs a program against a store and the model side by side.
type mDriver struct {
	tb  testing.TB
	s   itsm.Store
	ctx context.Context
	p   *mProgram
	m   *mModel // the committed state
	// how says how to reproduce a failure, before the program itself.
	how string
	// log is the transcript: every command with the model's answer.
	log []string
	tx  int
	// appends and puts number the events and bodies the driver makes, so
	// that event IDs never repeat and a body mixed up with another shows.
	appends, puts int
	// saved are earlier queries with the cursor of their last page, which
	// later transactions resume after the records have changed.
	saved []itsm.Query
	// failure is the first disagreement. It is reported after the store's
	// transaction has ended, since Fatalf inside fn would unwind the store
	// mid-transaction.
	failure string
	stats   mStats
}

func newDriver(tb testing.TB, s itsm.Store, p *mProgram, how string) *mDriver {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return &mDriver{tb: tb, s: s, ctx: c, p: p, m: newModel(), how: how, stats: mStats{spoiled: map[itsm.Code]int{}}}
}

func (d *mDriver) logf(format string, args ...any) {
	d.log = append(d.log, fmt.Sprintf("tx %d: ", d.tx)+fmt.Sprintf(format, args...))
}

// mismatch records the first disagreement.
func (d *mDriver) mismatch(format string, args ...any) {
	if d.failure == "" {
		d.failure = fmt.Sprintf("transaction %d: ", d.tx) + fmt.Sprintf(format, args...)
	}
}

// mTranscriptLines is how much of the transcript a failure prints: the
// failing transaction and enough before it to see how the state came about.
const mTranscriptLines = 300

// stopIfFailed fails the test with the disagreement, the transcript and the
// program that reproduces it.
func (d *mDriver) stopIfFailed() {
	d.tb.Helper()
	if d.failure == "" {
		return
	}
	lines := d.log
	if len(lines) > mTranscriptLines {
		lines = lines[len(lines)-mTranscriptLines:]
	}
	d.tb.Fatalf("%s\n\ntranscript with the model's answers (last %d of %d lines):\n%s\n\n%s\nreplay with storetest.Commands(t, newStore(), program), or save as a fuzz corpus file:\ngo test fuzz v1\n[]byte(%q)",
		d.failure, len(lines), len(d.log), strings.Join(lines, "\n"), d.how, d.p.rec)
}

// run runs up to n more transactions while the program lasts.
func (d *mDriver) run(n int) {
	d.tb.Helper()
	for range n {
		if !d.p.more() {
			return
		}
		d.tx++
		if d.p.pick(4) == 0 {
			d.readTx()
		} else {
			d.writeTx()
		}
		d.stopIfFailed()
		if d.tx%mCheckEvery == 0 {
			d.checkState(false)
		}
	}
}

func (d *mDriver) readTx() {
	d.stats.reads++
	n := 1 + d.p.pick(4)
	fail := d.p.pick(6) == 0
	d.logf("Read of %d commands, fn fails: %v", n, fail)
	err := d.s.Read(d.ctx, func(tx itsm.ReadTx) error {
		for range n {
			switch d.p.pick(6) {
			case 0, 1:
				d.get(tx, d.m)
			case 2, 3, 4:
				d.query(tx, d.m)
			default:
				d.events(tx, d.m)
			}
			if d.failure != "" {
				return errModelMismatch
			}
		}
		if fail {
			return errModelRollback
		}
		return nil
	})
	switch {
	case d.failure != "":
	case fail && err != errModelRollback: // unchanged, not merely wrapping it
		d.mismatch("Read = %v, want fn's error unchanged", err)
	case !fail && err != nil:
		d.mismatch("Read = %v, want nil", err)
	}
}

func (d *mDriver) writeTx() {
	n := 1 + d.p.pick(6)
	d.logf("Write of up to %d commands", n)
	local := d.m.clone()
	var spoiled itsm.Code // code of the write that failed, as the model expected
	fnFailed := false
	err := d.s.Write(d.ctx, func(tx itsm.WriteTx) error {
		for range n {
			err := d.writeCmd(tx, local)
			if d.failure != "" {
				return errModelMismatch
			}
			if err == nil {
				continue
			}
			// Nothing more may run in a spoiled transaction (PostgreSQL
			// refuses it), so fn ends in one of the three ways it can.
			spoiled = itsm.ErrorCode(err)
			switch d.p.pick(3) {
			case 0:
				d.logf("fn returns the error")
				return err
			case 1:
				d.logf("fn returns nil")
				return nil
			}
			d.logf("fn returns its own error")
			fnFailed = true
			return errModelRollback
		}
		if d.p.pick(6) == 0 {
			d.logf("fn returns its own error")
			fnFailed = true
			return errModelRollback
		}
		return nil
	})
	switch {
	case d.failure != "":
	case fnFailed:
		d.stats.rolledBack++
		if !errors.Is(err, errModelRollback) {
			d.mismatch("Write = %v, want fn's own error", err)
		}
	case spoiled != "":
		d.stats.spoiled[spoiled]++
		if c := itsm.ErrorCode(err); c != spoiled {
			d.mismatch("Write of a spoiled transaction = %v (code %q), want code %s", err, c, spoiled)
		}
	case err != nil:
		d.mismatch("Write = %v, want nil (commit)", err)
	default:
		d.stats.committed++
		d.m = local
	}
}

// writeCmd runs one command of a write transaction against tx and m. It
// returns the error of a write method that failed as the model says it must,
// which spoils the transaction.
func (d *mDriver) writeCmd(tx itsm.WriteTx, m *mModel) error {
	switch c := d.p.pick(20); {
	case c < 6:
		return d.put(tx, m, d.record(m))
	case c < 7:
		return d.moveUnique(tx, m)
	case c < 9:
		return d.delete(tx, m)
	case c < 11:
		d.get(tx, m)
	case c < 14:
		d.query(tx, m)
	case c < 15:
		d.events(tx, m)
	case c < 17:
		return d.append(tx, m)
	default:
		return d.nextNumber(tx, m)
	}
	return nil
}

// record makes a record to put: mostly a valid create or update of one of
// the fixed keys, sometimes from a wrong version, now and then invalid.
func (d *mDriver) record(m *mModel) itsm.Record {
	k := mKey{mPick(d.p, mKinds), mPick(d.p, mIDs)}
	r := itsm.Record{Kind: k.kind, ID: k.id}
	old, exists := m.recs[k]
	switch v := d.p.pick(10); {
	case exists && v < 8:
		r.Version = old.Version
	case exists && v == 8:
		r.Version = old.Version + 1 // not yet written
	case exists:
		r.Version = old.Version - 1 // stale, or a create over it
	case v == 9:
		r.Version = int64(1 + d.p.pick(3)) // an update of nothing
	}
	r.Body = d.body()
	switch d.p.pick(8) {
	case 0:
	case 1:
		r.Unique = map[string]string{}
	case 2, 3, 4, 5:
		// Keeping the value is the usual update and lets most puts
		// succeed; a new record takes a value that may be held.
		v := old.Unique["u"]
		if !exists || d.p.pick(3) == 0 {
			v = mPick(d.p, mValues)
		}
		r.Unique = map[string]string{"u": v}
	default:
		r.Unique = map[string]string{"u": mPick(d.p, mValues)}
	}
	r.Index = d.index()
	if d.p.pick(25) == 0 {
		switch d.p.pick(4) {
		case 0:
			r.Version = -1
		case 1:
			r.Body = []byte(`{"put":`)
		case 2:
			// A name both unique and not.
			r.Unique = map[string]string{"t": "a"}
			if r.Index == nil {
				r.Index = map[string][]string{}
			}
			r.Index["t"] = append(r.Index["t"], "b")
		default:
			r.Kind = "T"
		}
	}
	return r
}

// body returns a new JSON body with spacing and escapes a store must keep
// byte for byte.
func (d *mDriver) body() []byte {
	d.puts++
	switch d.p.pick(3) {
	case 0:
		return fmt.Appendf(nil, `{"put":%d}`, d.puts)
	case 1:
		return fmt.Appendf(nil, ` { "put" : %d , "s" : "\u00c5é" } `, d.puts)
	}
	return fmt.Appendf(nil, `[%d,"Å",null]`, d.puts)
}

// index returns Index values with the cases normalisation must handle: a
// nil map, names with no or only empty values, duplicates.
func (d *mDriver) index() map[string][]string {
	if d.p.pick(4) == 0 {
		return nil
	}
	idx := map[string][]string{}
	for _, name := range []string{"t", "w"} {
		n := d.p.pick(4)
		if n == 0 && d.p.pick(2) == 0 {
			continue
		}
		vals := make([]string, n)
		for i := range vals {
			vals[i] = mPick(d.p, mValues)
		}
		idx[name] = vals
	}
	return idx
}

// moveUnique hands a unique value from one record to another within the
// transaction: the holder lets go of it (takes another value, drops it, or
// is deleted), then a second record takes it.
func (d *mDriver) moveUnique(tx itsm.WriteTx, m *mModel) error {
	kind := mPick(d.p, mKinds)
	var holders []itsm.Record
	for k, r := range m.recs {
		if k.kind == kind && r.Unique["u"] != "" {
			holders = append(holders, r)
		}
	}
	if len(holders) == 0 {
		return d.put(tx, m, d.record(m))
	}
	slices.SortFunc(holders, func(a, b itsm.Record) int { return idLess(a.ID, b.ID) })
	from := mPick(d.p, holders)
	v := from.Unique["u"]
	d.logf("move unique u=%+q from %s", v, mIDName(from.ID))
	switch d.p.pick(3) {
	case 0:
		if err := d.delete1(tx, m, kind, from.ID, from.Version); err != nil {
			return err
		}
	default:
		r := itsm.Record{Kind: kind, ID: from.ID, Version: from.Version, Body: d.body(), Index: mCloneIndex(from.Index)}
		if d.p.pick(2) == 0 {
			r.Unique = map[string]string{"u": mPick(d.p, mValues)}
		}
		if err := d.put(tx, m, r); err != nil {
			return err
		}
	}
	to := mPick(d.p, mIDs)
	r := itsm.Record{Kind: kind, ID: to, Body: d.body(), Unique: map[string]string{"u": v}, Index: d.index()}
	if old, ok := m.recs[mKey{kind, to}]; ok {
		r.Version = old.Version
	}
	return d.put(tx, m, r)
}

func (d *mDriver) put(tx itsm.WriteTx, m *mModel, r itsm.Record) error {
	desc := mRecordString(r)
	want, code := m.put(r)
	got, err := tx.Put(r)
	d.logf("Put %s: %s", desc, mResult(want, code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("Put %s = %d, %v (code %q), want %s", desc, got, err, c, mResult(want, code))
		return nil
	}
	if code == "" && got != want {
		d.mismatch("Put %s = version %d, want %d", desc, got, want)
	}
	mScribble(r) // the caller's record is its own again
	return err
}

func (d *mDriver) delete(tx itsm.WriteTx, m *mModel) error {
	k := mKey{mPick(d.p, mKinds), mPick(d.p, mIDs)}
	version := int64(1 + d.p.pick(3))
	if old, ok := m.recs[k]; ok {
		version = old.Version
		if d.p.pick(6) == 0 {
			version += int64(d.p.pick(2)*2 - 1) // one behind or ahead
		}
	}
	return d.delete1(tx, m, k.kind, k.id, version)
}

func (d *mDriver) delete1(tx itsm.WriteTx, m *mModel, kind string, id itsm.ID, version int64) error {
	code := m.delete(kind, id, version)
	err := tx.Delete(kind, id, version)
	d.logf("Delete %s/%s v%d: %s", kind, mIDName(id), version, mResult("ok", code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("Delete %s/%s v%d = %v (code %q), want %s", kind, mIDName(id), version, err, c, mResult("ok", code))
		return nil
	}
	return err
}

func (d *mDriver) get(tx itsm.ReadTx, m *mModel) {
	kind, id := mPick(d.p, mKinds), mPick(d.p, mIDs)
	want, code := m.get(kind, id)
	got, err := tx.Get(kind, id)
	d.logf("Get %s/%s: %s", kind, mIDName(id), mResult(mRecordString(want), code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("Get %s/%s = %v (code %q), want %s", kind, mIDName(id), err, c, mResult(mRecordString(want), code))
		return
	}
	if code != "" {
		return
	}
	if !mSameRecord(want, got) {
		d.mismatch("Get %s/%s (-want +got):\n%s", kind, mIDName(id), diff(want, got))
	}
	mScribble(got)
}

// newQuery makes a query, mostly valid: a new one, or an earlier one
// resumed from its cursor.
func (d *mDriver) newQuery() itsm.Query {
	limit := mPick(d.p, []int{0, 1, 1, 2, 2, 3, 4, 7})
	if len(d.saved) > 0 && d.p.pick(5) == 0 {
		q := mPick(d.p, d.saved)
		q.Limit = limit
		return q
	}
	q := itsm.Query{Kind: mPick(d.p, mKinds), Limit: limit, Reverse: d.p.pick(2) == 1}
	q.Index = mPick(d.p, []string{"", "u", "t", "t", "w", "z"})
	if q.Index != "" {
		q.Match = itsm.Match(d.p.pick(4))
		switch q.Match {
		case itsm.MatchEqual, itsm.MatchPrefix:
			q.Value = mPick(d.p, mValues)
		case itsm.MatchRange:
			q.From, q.To = mPick(d.p, mValues), mPick(d.p, mValues)
		}
	}
	// A cursor the store did not return, positioned anywhere: the next
	// page starts after the position whether or not a hit is there.
	if d.p.pick(8) == 0 {
		id := mPick(d.p, mIDs)
		if q.Index == "" {
			q.After = backend.NewCursor(id.String(), id)
		} else {
			q.After = backend.NewCursor(mPick(d.p, mValues), id)
		}
	}
	if d.p.pick(30) == 0 {
		switch d.p.pick(4) {
		case 0:
			q.Limit = -1
		case 1:
			q.Limit = itsm.MaxLimit + 1
		case 2:
			q.After = "not a cursor!"
		default:
			q.Index, q.Match, q.Value = "", itsm.MatchEqual, "a"
		}
	}
	return q
}

// query runs a new query and follows its cursor for a few pages.
func (d *mDriver) query(tx itsm.ReadTx, m *mModel) {
	q := d.newQuery()
	pages := 1 + d.p.pick(3)
	q, more := d.pages(tx, m, q, pages)
	if more {
		d.saved = append(d.saved, q)
		if len(d.saved) > 4 {
			d.saved = d.saved[1:]
		}
	}
}

// pages runs q and follows its Next cursor for up to n pages, comparing each
// page with the model's. It returns q positioned after the last page read,
// and whether there are more pages.
func (d *mDriver) pages(tx itsm.ReadTx, m *mModel, q itsm.Query, n int) (itsm.Query, bool) {
	for range n {
		want, code := m.query(q)
		got, err := tx.Query(q)
		qs := mQueryString(q)
		d.logf("Query %s: %s", qs, mResult(mPageString(want), code))
		if c := itsm.ErrorCode(err); c != code {
			d.mismatch("Query %s = %v (code %q), want %s", qs, err, c, mResult(mPageString(want), code))
			return q, false
		}
		if code != "" {
			return q, false
		}
		if !slices.EqualFunc(want.Matches, got.Matches, mSameHit) {
			if df := diff(mHitKeys(want.Matches), mHitKeys(got.Matches)); df != "" {
				d.mismatch("Query %s: hits (-want +got):\n%s", qs, df)
			} else {
				d.mismatch("Query %s: records (-want +got):\n%s", qs, diff(want.Matches, got.Matches))
			}
			return q, false
		}
		if got.Next != want.Next {
			d.mismatch("Query %s: Next = %s, want %s", qs, mCursorString(got.Next), mCursorString(want.Next))
			return q, false
		}
		for i := range got.Matches {
			mScribble(got.Matches[i].Record)
		}
		if want.Next == "" {
			return q, false
		}
		q.After = want.Next
	}
	return q, true
}

func (d *mDriver) events(tx itsm.ReadTx, m *mModel) {
	if d.p.pick(2) == 1 {
		d.eventsOf(tx, m)
		return
	}
	var after int64
	n := len(m.events)
	switch d.p.pick(4) {
	case 0:
		after = int64(d.p.pick(3) - 1)
	case 1:
		after = int64(n - d.p.pick(4))
	case 2:
		after = int64(n + d.p.pick(2))
	default:
		after = int64(d.p.pick(256) % (n + 2))
	}
	limit := mPick(d.p, []int{0, 1, 2, 3, 5, itsm.MaxLimit})
	if d.p.pick(30) == 0 {
		limit = mPick(d.p, []int{-1, itsm.MaxLimit + 1})
	}
	d.checkEvents(tx, m, after, limit)
}

func (d *mDriver) checkEvents(tx itsm.ReadTx, m *mModel, after int64, limit int) []itsm.Event {
	want, code := m.eventsAfter(after, limit)
	got, err := tx.Events(after, limit)
	d.logf("Events(%d, %d): %s", after, limit, mResult(mEventsString(want), code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("Events(%d, %d) = %v (code %q), want %s", after, limit, err, c, mResult(mEventsString(want), code))
		return nil
	}
	if !slices.EqualFunc(want, got, mSameEvent) {
		d.mismatch("Events(%d, %d) (-want +got):\n%s", after, limit, diff(want, got))
		return nil
	}
	for _, e := range got {
		if e.Time.Location() != time.UTC {
			d.mismatch("Events(%d, %d): event %d has Time in %v, want UTC", after, limit, e.Seq, e.Time.Location())
			return nil
		}
		mScribbleBytes(e.Data)
	}
	return got
}

// eventsOf reads the events of one of the fixed records, from a cursor
// that is mostly the Seq of one of its events, as a caller paging through
// them has, and now and then with an argument that is invalid.
func (d *mDriver) eventsOf(tx itsm.ReadTx, m *mModel) {
	kind, subject := mPick(d.p, mKinds), mPick(d.p, mIDs)
	var seqs []int64
	for _, e := range m.events {
		if e.Kind == kind && e.Subject == subject {
			seqs = append(seqs, e.Seq)
		}
	}
	var after int64
	switch c := d.p.pick(4); {
	case c < 2 && len(seqs) > 0:
		after = mPick(d.p, seqs)
	case c == 2:
		after = int64(d.p.pick(256) % (len(m.events) + 2))
	}
	limit := mPick(d.p, []int{0, 1, 2, 3, itsm.MaxLimit})
	if d.p.pick(20) == 0 {
		switch d.p.pick(5) {
		case 0:
			kind = ""
		case 1:
			kind = "T"
		case 2:
			subject = itsm.ID{}
		default:
			limit = mPick(d.p, []int{-1, itsm.MaxLimit + 1})
		}
	}
	d.checkEventsOf(tx, m, kind, subject, after, limit)
}

func (d *mDriver) checkEventsOf(tx itsm.ReadTx, m *mModel, kind string, subject itsm.ID, after int64, limit int) []itsm.Event {
	want, code := m.eventsOf(kind, subject, after, limit)
	got, err := tx.EventsOf(kind, subject, after, limit)
	call := fmt.Sprintf("EventsOf(%q, %s, %d, %d)", kind, mIDName(subject), after, limit)
	d.logf("%s: %s", call, mResult(mEventsString(want), code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("%s = %v (code %q), want %s", call, err, c, mResult(mEventsString(want), code))
		return nil
	}
	if !slices.EqualFunc(want, got, mSameEvent) {
		d.mismatch("%s (-want +got):\n%s", call, diff(want, got))
		return nil
	}
	for _, e := range got {
		if e.Time.Location() != time.UTC {
			d.mismatch("%s: event %d has Time in %v, want UTC", call, e.Seq, e.Time.Location())
			return nil
		}
		mScribbleBytes(e.Data)
	}
	return got
}

// mEventID returns the n-th event ID the driver gives; it never repeats one,
// nor one of the IDs that stores make (version 7 UUIDs).
func mEventID(n int) itsm.ID {
	var id itsm.ID
	id[0] = 0xe7
	binary.BigEndian.PutUint64(id[8:], uint64(n))
	return id
}

func (d *mDriver) append(tx itsm.WriteTx, m *mModel) error {
	d.appends++
	n := d.appends
	// Nanoseconds and zones other than UTC, which the store must keep and
	// convert.
	at := time.Date(2026, 3, 29, 1, 59, 59, 999999999, time.UTC).Add(time.Duration(n) * (97*time.Minute + 1234567))
	e := itsm.Event{Type: mPick(d.p, mTypes), Time: at.In(mPick(d.p, mZones))}
	if d.p.pick(2) == 0 {
		e.ID = mEventID(n)
	}
	switch d.p.pick(3) {
	case 1:
		e.Kind = mPick(d.p, mKinds)
	case 2:
		e.Kind, e.Subject = mPick(d.p, mKinds), mPick(d.p, mIDs)
	}
	switch d.p.pick(4) {
	case 1:
		e.Data = []byte{}
	case 2:
		e.Data = fmt.Appendf(nil, `{"append":%d}`, n)
	case 3:
		e.Data = fmt.Appendf(nil, ` [ "é" , %d ] `, n)
	}
	if d.p.pick(25) == 0 {
		switch d.p.pick(3) {
		case 0:
			e.Type = "Ticket.created"
		case 1:
			e.Time = time.Time{}
		default:
			e.Subject, e.Kind = mIDs[0], ""
		}
	}
	in := e
	in.Data = slices.Clone(e.Data)
	got, err := tx.Append(in)
	mScribbleBytes(in.Data)
	if err == nil && e.ID.IsZero() {
		// The model adopts the store's new ID once it is known to be new.
		if got.ID.IsZero() {
			d.mismatch("Append %s left the event ID zero", mEventString(e))
			return nil
		}
		for _, old := range m.events {
			if old.ID == got.ID {
				d.mismatch("Append %s gave ID %s, which event %d has", mEventString(e), got.ID, old.Seq)
				return nil
			}
		}
	}
	want, code := m.appendEvent(e, got.ID)
	// The transcript leaves out IDs the store made, so that a replay gives
	// the same transcript.
	logged := want
	if e.ID.IsZero() {
		logged.ID = itsm.ID{}
	}
	d.logf("Append %s: %s", mEventString(e), mResult(mEventString(logged), code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("Append %s = %v (code %q), want %s", mEventString(e), err, c, mResult(mEventString(want), code))
		return nil
	}
	if code != "" {
		return err
	}
	if !mSameEvent(want, got) {
		d.mismatch("Append %s (-want +got):\n%s", mEventString(e), diff(want, got))
	} else if got.Time.Location() != time.UTC {
		d.mismatch("Append %s: Time in %v, want UTC", mEventString(e), got.Time.Location())
	}
	return nil
}

func (d *mDriver) nextNumber(tx itsm.WriteTx, m *mModel) error {
	prefix := mPick(d.p, mPrefixes)
	if d.p.pick(25) == 0 {
		prefix = "inc"
	}
	return d.nextNumber1(tx, m, prefix)
}

func (d *mDriver) nextNumber1(tx itsm.WriteTx, m *mModel, prefix string) error {
	want, code := m.nextNumber(prefix)
	got, err := tx.NextNumber(prefix)
	d.logf("NextNumber(%q): %s", prefix, mResult(want, code))
	if c := itsm.ErrorCode(err); c != code {
		d.mismatch("NextNumber(%q) = %v, %v (code %q), want %s", prefix, got, err, c, mResult(want, code))
		return nil
	}
	if code == "" && got != want {
		d.mismatch("NextNumber(%q) = %v, want %v", prefix, got, want)
	}
	return err
}

// checkState compares everything the store holds with the model: every
// record through every index in both directions, the whole event log, the
// events of every record, and the next number of every prefix, taken in
// transactions that roll back so that the check changes nothing. A thorough
// check also runs every Equal, Prefix and Range query from a value of the
// alphabet in both directions, which catches a wrong bound that the random
// queries reach only by luck, and reads each record's events in pages of
// two; it is left to the end of testRandomCommands, as it would slow
// fuzzing down.
func (d *mDriver) checkState(thorough bool) {
	d.tb.Helper()
	d.tx++
	d.logf("check the whole state")
	var qs []itsm.Query
	for _, kind := range mKinds {
		for _, index := range []string{"", "u", "t", "w"} {
			qs = append(qs, itsm.Query{Kind: kind, Index: index})
			if !thorough || index == "" {
				continue
			}
			for i, v := range mValues {
				qs = append(qs,
					itsm.Query{Kind: kind, Index: index, Match: itsm.MatchEqual, Value: v},
					itsm.Query{Kind: kind, Index: index, Match: itsm.MatchPrefix, Value: v},
					itsm.Query{Kind: kind, Index: index, Match: itsm.MatchRange, From: v})
				if i+1 < len(mValues) {
					// mValues is sorted: a range up to the next value
					// holds v alone, if To is exclusive.
					qs = append(qs, itsm.Query{Kind: kind, Index: index, Match: itsm.MatchRange, From: v, To: mValues[i+1]})
				}
			}
		}
	}
	err := d.s.Read(d.ctx, func(tx itsm.ReadTx) error {
		for _, q := range qs {
			for _, rev := range []bool{false, true} {
				q.Reverse, q.Limit = rev, itsm.MaxLimit
				if _, more := d.pages(tx, d.m, q, 1000); more {
					d.mismatch("Query %s does not end", mQueryString(q))
				}
				if d.failure != "" {
					return errModelMismatch
				}
			}
		}
		for after := int64(0); ; after += itsm.MaxLimit {
			es := d.checkEvents(tx, d.m, after, itsm.MaxLimit)
			if d.failure != "" {
				return errModelMismatch
			}
			if len(es) < itsm.MaxLimit {
				break
			}
		}
		// Every record's events, the thorough check in pages of two by
		// the last Seq of each, as a caller reads them.
		limit := itsm.MaxLimit
		if thorough {
			limit = 2
		}
		for _, kind := range mKinds {
			for _, id := range mIDs {
				for after := int64(0); ; {
					es := d.checkEventsOf(tx, d.m, kind, id, after, limit)
					if d.failure != "" {
						return errModelMismatch
					}
					if len(es) < limit {
						break
					}
					after = es[len(es)-1].Seq
				}
			}
		}
		return nil
	})
	if d.failure == "" && err != nil {
		d.mismatch("Read = %v, want nil", err)
	}
	d.stopIfFailed()
	// Twice: a number taken in a rolled-back transaction is given back.
	for range 2 {
		err := d.s.Write(d.ctx, func(tx itsm.WriteTx) error {
			m := d.m.clone()
			for _, prefix := range mPrefixes {
				d.nextNumber1(tx, m, prefix)
			}
			return errModelRollback
		})
		if d.failure == "" && !errors.Is(err, errModelRollback) {
			d.mismatch("Write = %v, want fn's own error", err)
		}
		d.stopIfFailed()
	}
}

// testRandomCommands runs random programs: one from a fixed seed, which
// tests the same thing every time, then one from a new seed every run,
// which explores.
func testRandomCommands(t *testing.T, s itsm.Store) {
	const txs = 300
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(mEnvSeed); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", mEnvSeed, v, err)
		}
	}
	t.Logf("seeds 1 and %d (set %s=%d to run this again)", seed, mEnvSeed, seed)
	p := &mProgram{rng: rand.New(rand.NewPCG(1, 1))}
	how := fmt.Sprintf("the first %d transactions ran from seed 1, the others from seed %d; set %s=%d to run them again",
		txs, seed, mEnvSeed, seed)
	d := newDriver(t, s, p, how)
	d.run(txs)
	p.rng = rand.New(rand.NewPCG(seed, seed))
	d.run(txs)
	d.checkState(true)
	t.Logf("%d transactions: %v", d.tx, d.stats)
}

// Commands decodes program as a sequence of transactions, runs them against
// s, which must be new and empty, and checks every answer and the final
// state against a reference model of the itsm.Store contract. Every byte
// string is a valid program (bytes choose among commands and arguments, and
// a program that runs out ends), so a backend fuzzes itself with:
//
//	func FuzzCommands(f *testing.F) {
//		f.Fuzz(func(t *testing.T, program []byte) {
//			storetest.Commands(t, newStore(t), program)
//		})
//	}
//
// A failure prints the commands with the answers the model expected, and
// the program in the fuzz corpus format. Commands runs at most 200
// transactions, however long program is; it does not close s.
func Commands(t *testing.T, s itsm.Store, program []byte) {
	t.Helper()
	commands(t, s, program)
}

func commands(tb testing.TB, s itsm.Store, program []byte) *mDriver {
	tb.Helper()
	d := newDriver(tb, s, &mProgram{in: program}, fmt.Sprintf("a program of %d bytes, of which these were used:", len(program)))
	d.run(mMaxCommandsTx)
	d.checkState(false)
	return d
}

// mSameRecord, mSameHit and mSameEvent compare as diff does (nil and empty
// alike, times by Equal), without its cost: cmp.Diff on every answer would
// take most of a fuzzer's time, and its varying paths through reflection
// would look like new coverage to it.
func mSameRecord(a, b itsm.Record) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Version == b.Version && bytes.Equal(a.Body, b.Body) &&
		maps.Equal(a.Unique, b.Unique) && maps.EqualFunc(a.Index, b.Index, slices.Equal)
}

func mSameHit(a, b itsm.Hit) bool { return a.Value == b.Value && mSameRecord(a.Record, b.Record) }

func mSameEvent(a, b itsm.Event) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.Type == b.Type && a.Kind == b.Kind && a.Subject == b.Subject &&
		a.Time.Equal(b.Time) && bytes.Equal(a.Data, b.Data)
}

// mScribble overwrites what a caller may change in a record it got from or
// gave to a store, so that a store sharing memory with its callers shows up
// in a later comparison.
func mScribble(r itsm.Record) {
	mScribbleBytes(r.Body)
	for name := range r.Unique {
		r.Unique[name] = "scribbled"
	}
	for _, vals := range r.Index {
		for i := range vals {
			vals[i] = "scribbled"
		}
	}
}

func mCloneIndex(idx map[string][]string) map[string][]string {
	if idx == nil {
		return nil
	}
	out := make(map[string][]string, len(idx))
	for name, vals := range idx {
		out[name] = slices.Clone(vals)
	}
	return out
}

func mScribbleBytes(b []byte) {
	for i := range b {
		b[i] = 'X'
	}
}

// The functions below write the transcript: short, with IDs as labels (#n
// for mIDs[n], en for the driver's n-th event) and values quoted with %+q,
// so that é and e followed by a combining accent look different.

func mIDName(id itsm.ID) string {
	if id.IsZero() {
		return "0"
	}
	if i := slices.Index(mIDs, id); i >= 0 {
		return "#" + strconv.Itoa(i)
	}
	if n := binary.BigEndian.Uint64(id[8:]); id == mEventID(int(n)) {
		return "e" + strconv.FormatUint(n, 10)
	}
	return id.String()
}

func mResult(want any, code itsm.Code) string {
	if code != "" {
		return "fails with " + string(code)
	}
	return fmt.Sprint(want)
}

func mRecordString(r itsm.Record) string {
	if r.Kind == "" {
		return "nothing"
	}
	return fmt.Sprintf("%s/%s v%d unique%+q index%+q body %s", r.Kind, mIDName(r.ID), r.Version, r.Unique, r.Index, r.Body)
}

func mQueryString(q itsm.Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %q", q.Kind, q.Index)
	switch q.Match {
	case itsm.MatchAll:
		b.WriteString(" all")
	case itsm.MatchEqual:
		fmt.Fprintf(&b, " = %+q", q.Value)
	case itsm.MatchPrefix:
		fmt.Fprintf(&b, " prefix %+q", q.Value)
	case itsm.MatchRange:
		fmt.Fprintf(&b, " in [%+q, %+q)", q.From, q.To)
	default:
		fmt.Fprintf(&b, " match %d", int(q.Match))
	}
	if q.Reverse {
		b.WriteString(" reverse")
	}
	fmt.Fprintf(&b, " limit %d", q.Limit)
	if q.After != "" {
		b.WriteString(" after " + mCursorString(q.After))
	}
	return b.String()
}

func mCursorString(c itsm.Cursor) string {
	if c == "" {
		return `""`
	}
	v, id, err := backend.ParseCursor(c)
	if err != nil {
		return strconv.Quote(string(c))
	}
	return fmt.Sprintf("(%+q %s)", v, mIDName(id))
}

func mPageString(p itsm.Page) string {
	hits := make([]string, len(p.Matches))
	for i, h := range p.Matches {
		hits[i] = fmt.Sprintf("%+q %s v%d", h.Value, mIDName(h.Record.ID), h.Record.Version)
	}
	s := "[" + strings.Join(hits, ", ") + "]"
	if p.Next != "" {
		s += " next " + mCursorString(p.Next)
	}
	return s
}

// mHitKeys reduces hits to one line each, so that a diff of the order reads
// line by line.
func mHitKeys(hs []itsm.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("%+q %s", h.Value, mIDName(h.Record.ID))
	}
	return out
}

func mEventString(e itsm.Event) string {
	var b strings.Builder
	if e.Seq != 0 {
		fmt.Fprintf(&b, "%d ", e.Seq)
	}
	b.WriteString(e.Type)
	if !e.ID.IsZero() {
		b.WriteString(" id " + mIDName(e.ID))
	}
	if e.Kind != "" || !e.Subject.IsZero() {
		fmt.Fprintf(&b, " about %s/%s", e.Kind, mIDName(e.Subject))
	}
	fmt.Fprintf(&b, " at %s data %q", e.Time.Format(time.RFC3339Nano), e.Data)
	return b.String()
}

func mEventsString(es []itsm.Event) string {
	seqs := make([]string, len(es))
	for i, e := range es {
		seqs[i] = strconv.FormatInt(e.Seq, 10)
	}
	return "[" + strings.Join(seqs, " ") + "]"
}
