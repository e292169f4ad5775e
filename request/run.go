package request

import (
	"context"
	"errors"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Run fulfils orders of type A in code and chases approvals until ctx
// ends: it takes the due fulfilments at once when an order is placed
// through this service, and looks for due work every poll interval (a
// second when zero), so that orders placed through another process are
// found too. It returns ctx's error.
func (s *Service) Run(ctx context.Context, poll time.Duration) error {
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		// A failing store is reported by the next round's attempt; the
		// runner itself must not stop for it.
		_, _ = s.FulfilDue(ctx)
		_, _ = s.Chase(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-s.wake:
		}
	}
}

// nudge wakes Run without waiting.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// FulfilDue runs the fulfiller once for each order of type A whose
// fulfilment is due, one after the other, and records each outcome. It
// returns how many it ran.
//
// Each run is claimed first: a write that records the attempt and holds
// the order for Config.Lease, so that two runners (two processes on one
// database) never run one order's fulfilment at once. A runner that dies
// after the fulfiller acted and before the outcome was recorded leaves
// the claim to expire; the next runner runs the fulfiller again with the
// same Fulfilment.Key, which is how the fulfiller knows it has acted
// already. An outcome whose claim another runner has since taken over is
// not recorded.
func (s *Service) FulfilDue(ctx context.Context) (int, error) {
	if s.cfg.Fulfiller == nil {
		return 0, nil
	}
	return s.eachDue(ctx, IndexFulfil, func(id itsm.ID) (bool, error) { return s.fulfil(ctx, id) })
}

// eachDue runs do, one after the other, for the orders whose value of
// index (a time) is due now, and counts those it reports done. It takes
// one page of them: what is left is due again at the next round.
func (s *Service) eachDue(ctx context.Context, index string, do func(itsm.ID) (bool, error)) (int, error) {
	now := s.clock.Now()
	var due []itsm.ID
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: KindOrder, Index: index, Match: itsm.MatchRange,
			From: "", To: itsm.IndexTime(now) + "~", Limit: itsm.MaxLimit})
		for _, h := range page.Matches {
			due = append(due, h.Record.ID)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range due {
		ok, err := do(id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// fulfil claims, runs and records one order's fulfilment.
func (s *Service) fulfil(ctx context.Context, id itsm.ID) (bool, error) {
	var (
		o       *Order
		attempt int
	)
	err := s.write(ctx, func(c change) error {
		o = nil
		cur, err := loadOrder(c.Tx(), id)
		if err != nil {
			return err
		}
		f := cur.Fulfilment
		if cur.State != StateInProgress || f == nil || f.Done || c.At().Before(f.Next) || c.At().Before(f.Claimed) {
			return nil // done, cancelled, or another runner has it
		}
		attempt = f.Attempts + 1
		o = cur
		return c.order(o, Claimed{By: By{By: system(o)}, Attempt: attempt, Until: c.At().Add(s.cfg.Lease)})
	})
	if err != nil || o == nil {
		return false, err
	}
	out, ferr := s.cfg.Fulfiller.Fulfil(ctx, Fulfilment{Key: "order:" + o.ID.String(), Order: o.ID, Number: o.Number.String(),
		Item: o.Item, Version: o.ItemVersion, Fulfiller: o.Fulfiller, Customer: o.Customer, Requester: o.Requester, Answers: o.Answers})
	if ferr == nil {
		ferr = checkText("outcome note", out.Note, false)
	}
	if ctx.Err() != nil {
		// The process is stopping: the claim expires and another run
		// takes the order over with the same key.
		return true, ctx.Err()
	}
	err = s.write(ctx, func(c change) error {
		cur, err := loadOrder(c.Tx(), id)
		if err != nil {
			return err
		}
		f := cur.Fulfilment
		if cur.State != StateInProgress || f == nil || f.Done || f.Attempts != attempt {
			return nil // cancelled meanwhile, or taken over after the claim expired
		}
		by := By{By: system(cur)}
		if ferr == nil {
			return c.order(cur, Fulfilled{By: by, Note: out.Note, Code: true})
		}
		failed := FulfilmentFailed{By: by, Error: ferr.Error()}
		if !permanent(ferr) && attempt < s.cfg.Attempts {
			failed.Retry = c.At().Add(retryAfter(attempt))
		}
		return c.order(cur, failed)
	})
	return true, err
}

// system is the desk's own system acting on o.
func system(o *Order) itsm.Actor { return itsm.Actor{Organisation: o.Desk, Person: System} }

// permanent reports whether a fulfiller's error says that trying again
// cannot help: the request itself is wrong or not allowed.
func permanent(err error) bool {
	var e *itsm.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case itsm.CodeInvalid, itsm.CodeForbidden, itsm.CodeNotFound, itsm.CodeUnsupported:
		return true
	}
	return false
}

// retryAfter is the wait before attempt+1: a minute doubled per attempt,
// at most an hour.
func retryAfter(attempt int) time.Duration {
	d := time.Minute << min(attempt-1, 6)
	return min(d, time.Hour)
}
