package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/lease"
)

// KindTurn is the kind of the one record by which the servers that start
// with --demo on one database take turns: the start that holds it seeds the
// database, or issues its tokens on one seeded before, while the others
// wait. It lives beside the demo's data and means nothing to the API.
const KindTurn = "demo.turn"

// DefaultBeat is how often the start holding the turn says it is alive,
// unless Past.Beat says otherwise. A waiting start gives up on a holder it
// has not heard from for StaleBeats beats.
const DefaultBeat = 2 * time.Second

// StaleBeats is how many beats a holder may miss before the starts waiting
// for it take it for stopped.
const StaleBeats = 5

// DefaultWait is the longest a start waits for another to finish seeding,
// unless Past.Wait says otherwise: a history import takes seconds, so a
// holder alive that long is stuck.
const DefaultWait = 5 * time.Minute

// The states of the turn.
const (
	turnHeld = "held"
	turnFree = "free"
	// turnFailed is a seeding that failed half way: the database holds a
	// part of the demo, which no later start can complete.
	turnFailed = "failed"
)

// turnBody is the KindTurn record. Its version changes at every beat, which
// is how waiting starts see the holder alive without comparing clocks of
// different machines.
type turnBody struct {
	State string `json:"state"`
	// Since is when the holder took the turn, by its clock.
	Since time.Time `json:"since"`
	// Seeding is true once the holder found the database empty and began
	// to seed it.
	Seeding bool `json:"seeding,omitempty"`
	// Reason is why a seeding failed.
	Reason string `json:"reason,omitempty"`
}

// turnRecord is the one KindTurn record, where the turn is kept.
var turnRecord = lease.Record[turnBody]{Kind: KindTurn, ID: itsm.MustParseID("00000000-0000-7000-8000-00000000de70")}

// turn is a start's hold on the KindTurn record while it seeds or issues.
type turn struct {
	stop  chan struct{}
	beats sync.WaitGroup

	mu   sync.Mutex
	hold *lease.Holder[turnBody]
	// lost is why a beat failed: another start took the turn, taking this
	// one for stopped, or the store failed.
	lost error
}

// readTurn returns the KindTurn record and its version, 0 when there is
// none.
func readTurn(ctx context.Context, store itsm.Store) (body turnBody, version int64, err error) {
	err = store.Read(ctx, func(tx itsm.ReadTx) error {
		body, version, err = turnRecord.Get(tx)
		return err
	})
	return body, version, err
}

// takeTurn waits until no other start holds the turn and takes it. waited
// says that another start held it meanwhile: that start seeded the database
// or issued tokens at the same time as this one, so its tokens are no
// earlier start's. A seeding that failed, one whose server stopped
// reporting and one that outlasts past.Wait are errors that say so.
func takeTurn(ctx context.Context, past Past) (t *turn, waited bool, err error) {
	beat, wait := past.Beat, past.Wait
	if beat <= 0 {
		beat = DefaultBeat
	}
	if wait <= 0 {
		wait = DefaultWait
	}
	began := time.Now()
	// watch sees the holder beat: it is taken for stopped when the
	// record has not changed for StaleBeats beats.
	var watch lease.Watch
	for {
		body, version, err := readTurn(ctx, past.Store)
		if err != nil {
			return nil, waited, fmt.Errorf("demo: read whether another server is seeding: %w", err)
		}
		now := time.Now()
		free := version == 0 || body.State == turnFree
		if !free && body.State == turnFailed {
			return nil, waited, itsm.Errorf(itsm.CodeConflict,
				"the demo seeding that began at %s failed half way (%s); remove the database file and start again",
				body.Since.Format(time.RFC3339), body.Reason)
		}
		if !free {
			if !waited {
				waited = true
				if past.Waiting != nil {
					past.Waiting(body.Since)
				}
			}
			if now.Sub(watch.Observe(version, now)) >= StaleBeats*beat {
				if body.Seeding {
					return nil, waited, itsm.Errorf(itsm.CodeConflict,
						"the demo seeding that began at %s stopped half way: its server has not reported for %s; remove the database file and start again",
						body.Since.Format(time.RFC3339), (StaleBeats * beat).String())
				}
				// A start that was only issuing tokens on a seeded
				// database stopped: nothing is half made, and this one
				// goes on.
				free = true
			}
		}
		if free {
			hold, err := lease.Take(ctx, past.Store, turnRecord, version,
				turnBody{State: turnHeld, Since: now.UTC()}, now)
			if itsm.IsCode(err, itsm.CodeConflict) {
				// Another start took it first.
				continue
			}
			if err != nil {
				return nil, waited, fmt.Errorf("demo: take the turn to seed: %w", err)
			}
			t := &turn{stop: make(chan struct{}), hold: hold}
			t.beats.Add(1)
			go t.beat(ctx, beat)
			return t, waited, nil
		}
		if time.Since(began) >= wait {
			return nil, waited, itsm.Errorf(itsm.CodeUnavailable,
				"another server has been seeding this database since %s and has not finished within %s; start this one again when it has",
				body.Since.Format(time.RFC3339), wait.String())
		}
		select {
		case <-ctx.Done():
			return nil, waited, ctx.Err()
		case <-time.After(beat / 2):
		}
	}
}

// beat writes the turn every interval until stop is closed, so that the
// starts waiting see this one alive.
func (t *turn) beat(ctx context.Context, interval time.Duration) {
	defer t.beats.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			if err := t.update(ctx, nil); err != nil {
				return
			}
		}
	}
}

// update renews the turn, its record changed by change (nil: as it is),
// unless a beat failed.
func (t *turn) update(ctx context.Context, change func(*turnBody)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lost != nil {
		return t.lost
	}
	if err := t.hold.Renew(ctx, time.Now(), change); err != nil {
		t.lost = err
		return err
	}
	return nil
}

// seeding records that this start found the database empty and seeds it,
// so that a start waiting for it knows a part of the demo is made if it
// stops.
func (t *turn) seeding(ctx context.Context) error {
	return t.update(ctx, func(b *turnBody) { b.Seeding = true })
}

// release gives the turn back, or, when a seeding failed with err, leaves
// the database marked as half made for the starts that come after. The
// release is written even when ctx is cancelled, as after an interrupt.
func (t *turn) release(ctx context.Context, err error) error {
	close(t.stop)
	t.beats.Wait()
	ctx = context.WithoutCancel(ctx)
	werr := t.lost
	if werr == nil {
		werr = t.hold.Release(ctx, func(b *turnBody) {
			if err != nil && b.Seeding {
				b.State, b.Reason = turnFailed, err.Error()
				return
			}
			*b = turnBody{State: turnFree, Since: b.Since}
		})
	}
	if werr != nil {
		werr = fmt.Errorf("demo: give the turn to seed back: %w", werr)
	}
	return errors.Join(err, werr)
}
