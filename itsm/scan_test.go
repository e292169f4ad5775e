package itsm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// Scan hands over every hit of a query that takes several pages, in the
// query's order and from its After; an error of fn stops it and comes
// back unchanged, and a cancelled context stops it before the next hit.
func TestScan(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	err := s.Write(t.Context(), func(tx itsm.WriteTx) error {
		for i := range 7 {
			r := itsm.Record{Kind: "thing", ID: itsm.NewID(), Body: []byte(`{}`),
				Index: map[string][]string{"n": {fmt.Sprint(i)}}}
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := itsm.Query{Kind: "thing", Index: "n", Match: itsm.MatchAll, Limit: 3}
	read := func(ctx context.Context, q itsm.Query, fn func(itsm.Hit) error) ([]string, error) {
		var got []string
		err := s.Read(ctx, func(tx itsm.ReadTx) error {
			return itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
				got = append(got, h.Value)
				return fn(h)
			})
		})
		return got, err
	}
	none := func(itsm.Hit) error { return nil }
	if got, err := read(t.Context(), q, none); err != nil || !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5", "6"}) {
		t.Errorf("scanned %q, error %v; want 0 to 6", got, err)
	}
	var after itsm.Cursor
	err = s.Read(t.Context(), func(tx itsm.ReadTx) error {
		page, err := tx.Query(q)
		after = page.Next
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	from := q
	from.After = after
	if got, err := read(t.Context(), from, none); err != nil || !slices.Equal(got, []string{"3", "4", "5", "6"}) {
		t.Errorf("scanned %q after the first page, error %v; want 3 to 6", got, err)
	}
	stop := errors.New("enough")
	if got, err := read(t.Context(), q, func(h itsm.Hit) error {
		if h.Value == "4" {
			return stop
		}
		return nil
	}); err != stop || len(got) != 5 {
		t.Errorf("scanned %q, error %v; want 0 to 4 and the error of fn", got, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	if got, err := read(ctx, q, func(itsm.Hit) error { cancel(); return nil }); !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Errorf("scanned %q, error %v; want one hit and context.Canceled", got, err)
	}
}

// AllEventsOf reads a record's events across more than one page of
// EventsOf, and only that record's, and passes the store's error on.
func TestAllEventsOf(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	id, other := itsm.NewID(), itsm.NewID()
	const n = itsm.MaxLimit + 3
	err := s.Write(t.Context(), func(tx itsm.WriteTx) error {
		for i := range 2 * n {
			e := itsm.Event{Type: "thing.noted", Kind: "thing", Subject: id, Time: time.Unix(int64(i), 0)}
			if i%2 == 1 {
				e.Subject = other
			}
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(t.Context(), func(tx itsm.ReadTx) error {
		es, err := itsm.AllEventsOf(tx, "thing", id)
		if err != nil {
			return err
		}
		if len(es) != n {
			return fmt.Errorf("%d events, want %d", len(es), n)
		}
		for i, e := range es {
			if e.Subject != id || e.Seq != int64(2*i+1) {
				return fmt.Errorf("event %d: Seq %d about %s, want Seq %d about %s", i, e.Seq, e.Subject, 2*i+1, id)
			}
		}
		if _, err := itsm.AllEventsOf(tx, "thing", itsm.ID{}); !itsm.IsCode(err, itsm.CodeInvalid) {
			return fmt.Errorf("AllEventsOf of a zero subject: %v, want invalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
