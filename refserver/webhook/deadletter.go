package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// DeadLetter is an event that a subscription's receiver did not take after
// Options.MaxAttempts attempts. Delivery moved on past it; the owner can see
// why (Status and Error of the last attempt), send it again with
// Service.Retry or drop it with Service.Discard.
type DeadLetter struct {
	Subscription itsm.ID `json:"subscription"`
	// Seq and Event identify the event in the log; Retry sends it from
	// there, so a dead letter does not copy the event's data.
	Seq   int64   `json:"seq"`
	Event itsm.ID `json:"event"`
	Type  string  `json:"type"`
	// Attempts counts every failed attempt, those of Retry included.
	Attempts int `json:"attempts"`
	// Status is the HTTP status of the last answer, 0 when none came.
	Status int `json:"status,omitempty"`
	// Error is what the owner may know of the last failure, as
	// Delivery.LastError.
	Error string `json:"error"`
	// Dead is when delivery gave up; LastAttempt is when the event was last
	// tried, by the Dispatcher or by Retry.
	Dead        time.Time `json:"dead"`
	LastAttempt time.Time `json:"last_attempt"`
	// ID and Version are the record's in the store.
	ID      itsm.ID `json:"-"`
	Version int64   `json:"-"`
}

// position is the unique index value of the dead letter of seq in
// subscription sub: dead letters list in Seq order and an event is a dead
// letter of a subscription at most once, even if two processes give up on
// it at the same time.
func position(sub itsm.ID, seq int64) string {
	return sub.String() + " " + itsm.IndexInt(seq)
}

func deadLetterRecord(dl *DeadLetter) (itsm.Record, error) {
	body, err := json.Marshal(dl)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "webhook: encode dead letter %d of %s", dl.Seq, dl.Subscription)
	}
	return itsm.Record{Kind: KindDeadLetter, ID: dl.ID, Version: dl.Version, Body: body,
		Unique: map[string]string{indexPosition: position(dl.Subscription, dl.Seq)}}, nil
}

func decodeDeadLetter(r itsm.Record) (*DeadLetter, error) {
	dl := new(DeadLetter)
	if err := json.Unmarshal(r.Body, dl); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "webhook: decode dead letter %s", r.ID)
	}
	dl.ID, dl.Version = r.ID, r.Version
	return dl, nil
}

// findDeadLetter returns the dead letter of seq in sub, or an error with
// CodeNotFound.
func findDeadLetter(tx itsm.ReadTx, sub itsm.ID, seq int64) (*DeadLetter, error) {
	page, err := tx.Query(itsm.Query{Kind: KindDeadLetter, Index: indexPosition, Match: itsm.MatchEqual,
		Value: position(sub, seq), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Matches) == 0 {
		return nil, itsm.Errorf(itsm.CodeNotFound, "webhook subscription %s has no dead letter with seq %d", sub, seq)
	}
	return decodeDeadLetter(page.Matches[0].Record)
}

// DeadLetters returns a page of the subscription's dead letters in Seq order
// and the cursor of the next page. o.Owner is ignored.
func (s *Service) DeadLetters(ctx context.Context, actor itsm.Actor, sub itsm.ID, o ListOptions) ([]DeadLetter, itsm.Cursor, error) {
	var page itsm.Page
	err := s.store.Read(ctx, func(tx itsm.ReadTx) error {
		if _, err := s.readable(tx, actor, sub); err != nil {
			return err
		}
		var err error
		page, err = tx.Query(itsm.Query{Kind: KindDeadLetter, Index: indexPosition, Match: itsm.MatchPrefix,
			Value: sub.String() + " ", Limit: o.Limit, After: o.After})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]DeadLetter, 0, len(page.Matches))
	for _, h := range page.Matches {
		dl, err := decodeDeadLetter(h.Record)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *dl)
	}
	return out, page.Next, nil
}

// RetryOutcome is what Retry did.
type RetryOutcome struct {
	// Delivered reports that the receiver took the event; the dead letter
	// is then deleted.
	Delivered bool
	// DeadLetter is the dead letter with this attempt counted: as it now
	// stands, or as it stood when it was deleted.
	DeadLetter DeadLetter
}

// Retry sends a dead letter once, now, to the subscription's URL (paused or
// not), checking again that the owner may see the event, and sending it as
// the owner may see it (Config.Visible). Delivery succeeds or fails in the
// outcome; the error is for what stopped the attempt (an unknown
// subscription or dead letter, an event the owner may no longer see:
// CodeForbidden, the store). Retry does not rewind or hold up the
// subscription, so the event arrives after events with a higher Seq; see
// the package documentation.
func (s *Service) Retry(ctx context.Context, actor itsm.Actor, sub itsm.ID, seq int64) (RetryOutcome, error) {
	var (
		st *stored
		ev itsm.Event
	)
	err := s.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		if st, err = s.readable(tx, actor, sub); err != nil {
			return err
		}
		if _, err = findDeadLetter(tx, sub, seq); err != nil {
			return err
		}
		es, err := tx.Events(seq-1, 1)
		if err != nil {
			return err
		}
		if len(es) == 0 || es[0].Seq != seq {
			return itsm.Errorf(itsm.CodeInternal, "webhook: event %d of dead letter is missing from the log", seq)
		}
		ev = es[0]
		return nil
	})
	if err != nil {
		return RetryOutcome{}, err
	}
	ev, ok, err := s.visible(ctx, st.Owner, ev)
	if err != nil {
		return RetryOutcome{}, err
	}
	if !ok {
		return RetryOutcome{}, itsm.Errorf(itsm.CodeForbidden,
			"webhook: event %d is no longer visible to organisation %s; it is not sent", seq, st.Owner)
	}
	start := time.Now()
	f := s.send(ctx, st, ev)
	took := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		// The answer may have come; nothing is recorded, as if the
		// attempt had not been made.
		return RetryOutcome{}, err
	}
	at := s.clock.Now().UTC()
	var out RetryOutcome
	err = s.store.Write(ctx, func(tx itsm.WriteTx) error {
		dl, err := findDeadLetter(tx, sub, seq)
		if err != nil {
			return err
		}
		dl.LastAttempt = at
		if f == nil {
			out = RetryOutcome{Delivered: true, DeadLetter: *dl}
			return tx.Delete(KindDeadLetter, dl.ID, dl.Version)
		}
		dl.Attempts++
		dl.Status, dl.Error = f.status, f.public
		rec, err := deadLetterRecord(dl)
		if err != nil {
			return err
		}
		dl.Version, err = tx.Put(rec)
		out = RetryOutcome{DeadLetter: *dl}
		return err
	})
	a := Attempt{Subscription: sub, Owner: st.Owner, Seq: seq, Event: ev.ID, Type: ev.Type,
		Duration: took, Outcome: OutcomeDelivered, Retry: true}
	if f != nil {
		a.Status, a.Err, a.Outcome = f.status, f.err, OutcomeFailed
	}
	s.count(a)
	if err != nil {
		return RetryOutcome{}, err
	}
	return out, nil
}

// Discard deletes a dead letter without sending it.
func (s *Service) Discard(ctx context.Context, actor itsm.Actor, sub itsm.ID, seq int64) error {
	return s.store.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := s.readable(tx, actor, sub); err != nil {
			return err
		}
		dl, err := findDeadLetter(tx, sub, seq)
		if err != nil {
			return err
		}
		return tx.Delete(KindDeadLetter, dl.ID, dl.Version)
	})
}
