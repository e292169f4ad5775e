package itsm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// counter is a record of the batch tests: a count that payloads add to.
type counter struct {
	ID      itsm.ID `json:"id"`
	N       int     `json:"n"`
	Version int64   `json:"-"`
}

// counterPayload is a payload of counters' events.
type counterPayload interface {
	itsm.Typed
	apply(c *counter, at time.Time)
}

// opened creates a counter; added adds to it.
type (
	opened struct{}
	added  struct {
		By int `json:"by"`
	}
)

func (opened) Type() string                   { return "counter.opened" }
func (opened) apply(*counter, time.Time)      {}
func (added) Type() string                    { return "counter.added" }
func (a added) apply(c *counter, _ time.Time) { c.N += a.By }

var counterCodec = itsm.NewCodec[counterPayload]("counter", "a counter", opened{}, added{})

func counterRecord(c *counter, _ time.Time) (itsm.Record, error) {
	body, err := json.Marshal(c)
	return itsm.Record{Kind: "counter", ID: c.ID, Body: body}, err
}

// A batch saves each record it touched once, with the version it was
// first read at, and its events in the order they happened; a record
// changed by another command since is a conflict, decided again on fresh
// records; a refusal saves nothing.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	a, b := &counter{ID: itsm.NewID()}, &counter{ID: itsm.NewID()}
	err := itsm.WriteBatch(ctx, store, now, counterRecord, func(bt *itsm.Batch[*counter]) error {
		for _, c := range []*counter{a, b, a} {
			bt.Touch(c, c.ID, &c.Version)
			if err := itsm.Apply[*counter, *counter, counterPayload](bt, counterCodec, c.ID, c, counterPayload.apply, added{By: 1}, added{By: 2}); err != nil {
				return err
			}
		}
		var n int
		for range bt.Changed() {
			n++
		}
		if n != 2 {
			t.Errorf("%d records touched, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.N != 6 || a.Version != 1 || b.N != 3 || b.Version != 1 {
		t.Fatalf("after the first batch: a %+v, b %+v; want counts 6 and 3 at version 1", a, b)
	}
	var events []itsm.Event
	if err := store.Read(ctx, func(tx itsm.ReadTx) (err error) {
		events, err = tx.Events(0, itsm.MaxLimit)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 || events[0].Subject != a.ID || events[2].Subject != b.ID || !events[5].Time.Equal(at) {
		t.Fatalf("events %+v, want six, a's two, b's two, a's two, at %s", events, at)
	}

	// Another command changes a between the read and the save: the batch
	// loses the race and runs again on the fresh record.
	runs := 0
	err = itsm.WriteBatch(ctx, store, now, counterRecord, func(bt *itsm.Batch[*counter]) error {
		runs++
		r, err := bt.Tx().Get("counter", a.ID)
		if err != nil {
			return err
		}
		fresh := &counter{Version: r.Version}
		if err := json.Unmarshal(r.Body, fresh); err != nil {
			return err
		}
		if runs == 1 {
			fresh.Version-- // as if read before another command saved it
		}
		bt.Touch(fresh, fresh.ID, &fresh.Version)
		return itsm.Apply[*counter, *counter, counterPayload](bt, counterCodec, fresh.ID, fresh, counterPayload.apply, added{By: 10})
	})
	if err != nil || runs != 2 {
		t.Fatalf("after a lost race: %v in %d runs, want success in 2", err, runs)
	}

	// A refusal returns at once and writes nothing.
	runs = 0
	err = itsm.WriteBatch(ctx, store, now, counterRecord, func(bt *itsm.Batch[*counter]) error {
		runs++
		bt.Touch(b, b.ID, &b.Version)
		if err := itsm.Apply[*counter, *counter, counterPayload](bt, counterCodec, b.ID, b, counterPayload.apply, added{By: 1}); err != nil {
			return err
		}
		return itsm.Errorf(itsm.CodeConflict, "the state does not allow it")
	})
	wantCode(t, err, itsm.CodeConflict)
	if runs != 1 {
		t.Fatalf("a refusal ran %d times, want once", runs)
	}
	if err := store.Read(ctx, func(tx itsm.ReadTx) (err error) {
		events, err = tx.Events(0, itsm.MaxLimit)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 7 {
		t.Fatalf("%d events after the refusal, want 7", len(events))
	}
}

// Replay rebuilds a record from a history whose first event, and only
// it, creates it, all about one subject; any other history is invalid.
func TestReplay(t *testing.T) {
	id := itsm.NewID()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ev := func(subject itsm.ID, by int) itsm.Event {
		e, err := counterCodec.Encode(subject, added{By: by}, at)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := opened{}.Type()
	open, err := counterCodec.Encode(id, opened{}, at)
	if err != nil {
		t.Fatal(err)
	}
	c := new(counter)
	got, err := itsm.Replay(counterCodec, []itsm.Event{open, ev(id, 1), ev(id, 2)}, first, c, &c.ID, counterPayload.apply)
	if err != nil || got != c || c.ID != id || c.N != 3 {
		t.Fatalf("Replay = %+v, %v; want the counter %s at 3", got, err, id)
	}
	other := &counter{}
	for name, es := range map[string][]itsm.Event{
		"none":          nil,
		"two subjects":  {open, ev(itsm.NewID(), 2)},
		"not the first": {ev(id, 1)},
		"twice opened":  {open, open},
	} {
		got, err := itsm.Replay(counterCodec, es, first, other, &other.ID, counterPayload.apply)
		if got != nil || !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: Replay = %v, %v; want nil and an invalid history", name, got, err)
		}
	}
}

// LoadRecord decodes a stored record with its version, says which record
// is missing, and refuses a body that is not the type's as internal.
func TestLoadRecord(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	c, bad := &counter{ID: itsm.NewID(), N: 5}, itsm.NewID()
	if err := store.Write(ctx, func(tx itsm.WriteTx) error {
		r, err := counterRecord(c, time.Time{})
		if err != nil {
			return err
		}
		if _, err := tx.Put(r); err != nil {
			return err
		}
		_, err = tx.Put(itsm.Record{Kind: "counter", ID: bad, Body: []byte(`{"n":"five"}`)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Read(ctx, func(tx itsm.ReadTx) error {
		got, v, err := itsm.LoadRecord[counter](tx, "counter", c.ID, "counter")
		if err != nil || v != 1 || got.N != 5 {
			t.Errorf("LoadRecord = %+v at %d, %v; want 5 at version 1", got, v, err)
		}
		missing := itsm.NewID()
		_, _, err = itsm.LoadRecord[counter](tx, "counter", missing, "counter")
		wantCode(t, err, itsm.CodeNotFound)
		if !strings.HasSuffix(err.Error(), "counter "+missing.String()+" not found") {
			t.Errorf("missing: %v", err)
		}
		_, _, err = itsm.LoadRecord[counter](tx, "counter", bad, "counter")
		wantCode(t, err, itsm.CodeInternal)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A batch of many records, as an import makes, still saves each once,
// in the order first touched, however often it is touched.
func TestBatchOfMany(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	now := func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	cs := make([]*counter, 100)
	for i := range cs {
		cs[i] = &counter{ID: itsm.NewID(), N: i}
	}
	var order []int
	err := itsm.WriteBatch(ctx, store, now, counterRecord, func(bt *itsm.Batch[*counter]) error {
		for round := range 3 {
			for i, c := range cs {
				if round == 0 || i%3 == round {
					bt.Touch(c, c.ID, &c.Version)
				}
			}
		}
		for c := range bt.Changed() {
			order = append(order, c.N)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(cs) {
		t.Fatalf("%d records saved, want %d", len(order), len(cs))
	}
	for i, n := range order {
		if n != i || cs[i].Version != 1 {
			t.Fatalf("record %d saved as %d at version %d", i, n, cs[i].Version)
		}
	}
}
