package pgstore

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// Append adds e to the event log; see itsm.WriteTx and the appendEvent
// statement for how Seq stays gapless.
func (w writeTxn) Append(e itsm.Event) (itsm.Event, error) {
	t := w.txn
	if err := t.usable(); err != nil {
		return itsm.Event{}, t.fail(err)
	}
	if err := backend.ValidateEvent(e); err != nil {
		return itsm.Event{}, t.fail(err)
	}
	if e.ID.IsZero() {
		e.ID = itsm.NewID()
	}
	e.Time = e.Time.UTC()
	if len(e.Data) == 0 {
		e.Data = nil
	} else {
		// The caller keeps its slice; the returned event must not share it.
		e.Data = append([]byte(nil), e.Data...)
	}
	at, nanos := splitTime(e.Time)
	var kind *string
	if e.Kind != "" {
		kind = &e.Kind
	}
	subject := pgtype.UUID{Bytes: e.Subject, Valid: !e.Subject.IsZero()}
	args := []any{uuidArg(e.ID), e.Type, kind, subject, at, nanos, []byte(e.Data)}
	if _, err := t.queryRow(op{"append", e.Type, itsm.ID{}}, t.s.sql.appendEvent, args, &e.Seq); err != nil {
		return itsm.Event{}, t.fail(err)
	}
	return e, nil
}

// splitTime splits t into what timestamptz holds, t to the microsecond
// rounded down, and the nanoseconds below that, 0 to 999.
func splitTime(t time.Time) (at time.Time, nanos int16) {
	// Truncate rounds down from the zero time, year 1, so it rounds down
	// for every time the contract allows.
	at = t.Truncate(time.Microsecond)
	return at, int16(t.Sub(at))
}

// Events returns up to limit events whose Seq is greater than after, in Seq
// order.
func (t *txn) Events(after int64, limit int) ([]itsm.Event, error) {
	limit, err := itsm.ValidateLimit(limit)
	if err != nil {
		return nil, err
	}
	return t.events(op{verb: "read events"}, t.s.sql.events, after, limit)
}

// EventsOf returns up to limit events about kind and subject whose Seq is
// greater than after, in Seq order, through the events_subject index.
func (t *txn) EventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, error) {
	limit, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, err
	}
	return t.events(op{"read events of", kind, subject}, t.s.sql.eventsOf, kind, uuidArg(subject), after, limit)
}

// events runs a statement that selects events and scans them.
func (t *txn) events(what op, sql string, args ...any) ([]itsm.Event, error) {
	var events []itsm.Event
	err := t.send(what, &stmt{sql: sql, args: args, each: func(rows pgx.Rows) error {
		var (
			e       itsm.Event
			id, sub pgtype.UUID
			kind    *string
			at      time.Time
			nanos   int16
			data    []byte
		)
		if err := rows.Scan(&e.Seq, &id, &e.Type, &kind, &sub, &at, &nanos, &data); err != nil {
			return err
		}
		e.ID, e.Subject = itsm.ID(id.Bytes), itsm.ID(sub.Bytes)
		if kind != nil {
			e.Kind = *kind
		}
		e.Time = at.UTC().Add(time.Duration(nanos))
		if len(data) > 0 {
			e.Data = data
		}
		events = append(events, e)
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// NextNumber returns the next master ticket number for prefix; see
// itsm.WriteTx and the nextNumber statement.
func (w writeTxn) NextNumber(prefix string) (itsm.Number, error) {
	t := w.txn
	if err := t.usable(); err != nil {
		return itsm.Number{}, t.fail(err)
	}
	if err := itsm.ValidateNumberPrefix(prefix); err != nil {
		return itsm.Number{}, t.fail(err)
	}
	var last int64
	if _, err := t.queryRow(op{"next number", prefix, itsm.ID{}}, t.s.sql.nextNumber, []any{prefix}, &last); err != nil {
		return itsm.Number{}, t.fail(err)
	}
	n, err := itsm.NewNumber(prefix, uint64(last))
	if err != nil {
		return itsm.Number{}, t.fail(itsm.Wrap(itsm.CodeInternal, err, "pgstore: next number %s", prefix))
	}
	return n, nil
}
