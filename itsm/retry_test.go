package itsm_test

import (
	"context"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

func TestBackoff(t *testing.T) {
	if !itsm.Backoff(context.Background(), 1) {
		t.Error("Backoff with a live context reported false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// At attempt 8 the wait is up to 25.6 ms; a cancelled context ends it
	// at once (or, for a zero draw, the timer does).
	for range 20 {
		if itsm.Backoff(ctx, 8) {
			continue
		}
		return
	}
	t.Error("Backoff never noticed the cancelled context")
}

// WriteRetrying decides again after a conflict from the store, returns a
// refusal at once, even one with CodeConflict, and stops after
// WriteAttempts lost races.
func TestWriteRetrying(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	id := itsm.NewID()
	if err := store.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{Kind: "thing", ID: id, Body: []byte(`{}`)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err := itsm.WriteRetrying(ctx, store, func(tx itsm.WriteTx) (bool, error) {
		runs++
		if runs == 1 {
			// As if another writer made the record since it was read:
			// the store reports the conflict.
			_, err := tx.Put(itsm.Record{Kind: "thing", ID: id, Body: []byte(`{}`)})
			return false, err
		}
		_, err := tx.Put(itsm.Record{Kind: "thing", ID: itsm.NewID(), Body: []byte(`{}`)})
		return false, err
	})
	if err != nil || runs != 2 {
		t.Fatalf("after a lost race: %v in %d runs, want success in 2", err, runs)
	}
	runs = 0
	err = itsm.WriteRetrying(ctx, store, func(itsm.WriteTx) (bool, error) {
		runs++
		return true, itsm.Errorf(itsm.CodeConflict, "the state does not allow it")
	})
	if !itsm.IsCode(err, itsm.CodeConflict) || runs != 1 {
		t.Fatalf("a refusal: %v in %d runs, want it once", err, runs)
	}
	runs = 0
	err = itsm.WriteRetrying(ctx, store, func(itsm.WriteTx) (bool, error) {
		runs++
		return false, itsm.Errorf(itsm.CodeConflict, "lost again")
	})
	if !itsm.IsCode(err, itsm.CodeConflict) || runs != itsm.WriteAttempts {
		t.Fatalf("always losing: %v in %d runs, want %d", err, runs, itsm.WriteAttempts)
	}
}
