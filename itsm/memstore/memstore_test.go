package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) itsm.Store { return memstore.New() })
}

func ticket(id itsm.ID, version int64, note string) itsm.Record {
	return itsm.Record{Kind: "ticket", ID: id, Version: version, Body: fmt.Appendf(nil, `{"note":%q}`, note)}
}

func put(t *testing.T, s itsm.Store, recs ...itsm.Record) {
	t.Helper()
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
		for _, r := range recs {
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s itsm.Store, id itsm.ID) itsm.Record {
	t.Helper()
	var r itsm.Record
	err := s.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		r, err = tx.Get("ticket", id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The store shares nothing with its callers: not the record given to Put,
// not what Get, Query, Append and Events return.
func TestCopies(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	r := ticket(itsm.NewID(), 0, "original")
	r.Unique = map[string]string{"number": "INC0000001"}
	r.Index = map[string][]string{"org": {"b", "a"}}
	want := storetest.Stored(r, 1)
	put(t, s, r)
	r.Body[2] = 'X'
	r.Unique["number"] = "changed"
	r.Index["org"][0] = "changed"
	r.Index["org"] = append(r.Index["org"], "more")
	if d := diffRecords(want, get(t, s, r.ID)); d != "" {
		t.Fatalf("changing the record given to Put changed the store (-want +got):\n%s", d)
	}

	got := get(t, s, r.ID)
	got.Body[2] = 'X'
	got.Unique["number"] = "changed"
	got.Index["org"][0] = "changed"
	// Appending to one name's values must not write into another's.
	got.Index["org"] = append(got.Index["org"][:1], "z")
	var ev itsm.Event
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		p, err := tx.Query(itsm.Query{Kind: "ticket", Index: "org"})
		if err != nil {
			return err
		}
		for _, h := range p.Matches {
			h.Record.Body[3] = 'Y'
			h.Record.Index["org"][1] = "changed"
		}
		ev, err = tx.Append(itsm.Event{Type: "ticket.noted", Time: time.Unix(1, 0), Data: []byte(`{"a":1}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ev.Data[0] = 'X'
	if d := diffRecords(want, get(t, s, r.ID)); d != "" {
		t.Fatalf("changing returned records changed the store (-want +got):\n%s", d)
	}
	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		es, err := tx.Events(0, 0)
		if err != nil {
			return err
		}
		if len(es) != 1 || string(es[0].Data) != `{"a":1}` {
			return fmt.Errorf("events after changing what Append returned: %+v", es)
		}
		es[0].Data[0] = 'X'
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		es, err := tx.Events(0, 0)
		if err == nil && string(es[0].Data) != `{"a":1}` {
			err = fmt.Errorf("changing what Events returned changed the log: %s", es[0].Data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writers move units between two accounts while readers check that every
// snapshot adds up, and that the records, their index values and the event
// log in it come from the same commit. Run with -race, it also catches
// shared memory between transactions and callers.
func TestConcurrentReadersAndWriters(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	a, b := itsm.NewID(), itsm.NewID()
	account := func(id itsm.ID, version int64, n int) itsm.Record {
		r := itsm.Record{Kind: "account", ID: id, Version: version, Body: []byte(strconv.Itoa(n))}
		r.Index = map[string][]string{"gen": {strconv.FormatInt(version+1, 10)}}
		return r
	}
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		for _, r := range []itsm.Record{account(a, 0, 50), account(b, 0, 50)} {
			if _, err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	const writers, moves, readers = 4, 100, 4
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers+readers)
	for w := range writers {
		wg.Go(func() {
			for i := range moves {
				err := s.Write(ctx, func(tx itsm.WriteTx) error {
					ra, err := tx.Get("account", a)
					if err != nil {
						return err
					}
					rb, err := tx.Get("account", b)
					if err != nil {
						return err
					}
					na, _ := strconv.Atoi(string(ra.Body))
					nb, _ := strconv.Atoi(string(rb.Body))
					d := 1 - 2*((w+i)%2)
					if _, err := tx.Put(account(a, ra.Version, na-d)); err != nil {
						return err
					}
					if _, err := tx.Put(account(b, rb.Version, nb+d)); err != nil {
						return err
					}
					_, err = tx.Append(itsm.Event{Type: "account.moved", Time: time.Now()})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var readerWG sync.WaitGroup
	for range readers {
		readerWG.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.Read(ctx, func(tx itsm.ReadTx) error {
					ra, err := tx.Get("account", a)
					if err != nil {
						return err
					}
					rb, err := tx.Get("account", b)
					if err != nil {
						return err
					}
					na, _ := strconv.Atoi(string(ra.Body))
					nb, _ := strconv.Atoi(string(rb.Body))
					if na+nb != 100 || ra.Version != rb.Version {
						return fmt.Errorf("snapshot of %d (v%d) and %d (v%d)", na, ra.Version, nb, rb.Version)
					}
					ra.Body[0] = 'X' // must not reach the store
					p, err := tx.Query(itsm.Query{Kind: "account", Index: "gen", Match: itsm.MatchEqual, Value: strconv.FormatInt(ra.Version, 10)})
					if err != nil {
						return err
					}
					if len(p.Matches) != 2 {
						return fmt.Errorf("version %d: %d records by index, want 2", ra.Version, len(p.Matches))
					}
					n := 0
					for after := int64(0); ; {
						es, err := tx.Events(after, itsm.MaxLimit)
						if err != nil {
							return err
						}
						n += len(es)
						if len(es) < itsm.MaxLimit {
							break
						}
						after = es[len(es)-1].Seq
					}
					if int64(n) != ra.Version-1 {
						return fmt.Errorf("version %d with %d events, want %d", ra.Version, n, ra.Version-1)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readerWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		got, err := tx.Get("account", a)
		if err == nil && got.Version != writers*moves+1 {
			err = fmt.Errorf("version after %d moves = %d", writers*moves, got.Version)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// Put and Delete look records and unique values up in what the transaction
// changed before the snapshot it started from; these cases cross the two.
func TestManyWritesInOneTransaction(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	withNumber := func(id itsm.ID, version int64, number string) itsm.Record {
		r := ticket(id, version, number)
		r.Unique = map[string]string{"number": number}
		return r
	}
	h, x, y, z := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
	put(t, s, withNumber(h, 0, "N5"))

	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := tx.Put(ticket(itsm.NewID(), 0, "first write")); err != nil {
			return err
		}
		// Still held by h, which this transaction has not touched.
		if _, err := tx.Put(withNumber(z, 0, "N5")); itsm.ErrorCode(err) != itsm.CodeConflict {
			return fmt.Errorf("taking a value held before the transaction: %v, want conflict", err)
		}
		return nil
	})
	if itsm.ErrorCode(err) != itsm.CodeConflict {
		t.Fatalf("Write = %v, want the conflict", err)
	}

	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := tx.Put(withNumber(h, 1, "N6")); err != nil {
			return err
		}
		if _, err := tx.Put(withNumber(x, 0, "N5")); err != nil {
			return fmt.Errorf("taking the value h gave up: %w", err)
		}
		if _, err := tx.Put(withNumber(y, 0, "N6")); itsm.ErrorCode(err) != itsm.CodeConflict {
			return fmt.Errorf("taking the value h took: %v, want conflict", err)
		}
		return nil
	})
	if itsm.ErrorCode(err) != itsm.CodeConflict {
		t.Fatalf("Write = %v, want the conflict", err)
	}

	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		for v := range int64(3) {
			if got, err := tx.Put(withNumber(h, v+1, "N5")); err != nil || got != v+2 {
				return fmt.Errorf("update %d: version %d, %v", v, got, err)
			}
		}
		if err := tx.Delete("ticket", h, 4); err != nil {
			return err
		}
		if _, err := tx.Get("ticket", h); itsm.ErrorCode(err) != itsm.CodeNotFound {
			return fmt.Errorf("Get of a record deleted in the transaction: %v", err)
		}
		if v, err := tx.Put(withNumber(h, 0, "N7")); err != nil || v != 1 {
			return fmt.Errorf("create again: version %d, %v", v, err)
		}
		if _, err := tx.Put(withNumber(x, 0, "N5")); err != nil {
			return fmt.Errorf("taking the value of the deleted record: %w", err)
		}
		if _, err := tx.Put(withNumber(y, 0, "N7")); itsm.ErrorCode(err) != itsm.CodeConflict {
			return fmt.Errorf("taking the value of the record created again: %v, want conflict", err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Write = %v", err)
	}

	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		if err := tx.Delete("ticket", h, 1); err != nil {
			return err
		}
		if _, err := tx.Put(withNumber(h, 0, "N8")); err != nil {
			return err
		}
		_, err := tx.Put(withNumber(x, 0, "N5"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, h); got.Version != 1 || got.Unique["number"] != "N8" {
		t.Fatalf("h after delete and create in one transaction: %+v", got)
	}
	if got := get(t, s, x); got.Unique["number"] != "N5" {
		t.Fatalf("x: %+v", got)
	}
}

// A name is Unique in one record and Index in another: only Unique holders
// clash, and a query by the name finds both.
func TestUniqueNameAlsoIndexed(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	p, q, r := ticket(itsm.NewID(), 0, "p"), ticket(itsm.NewID(), 0, "q"), ticket(itsm.NewID(), 0, "r")
	p.Index = map[string][]string{"code": {"x"}}
	q.Unique = map[string]string{"code": "x"}
	r.Unique = map[string]string{"code": "x"}
	put(t, s, p, q)
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
	if itsm.ErrorCode(err) != itsm.CodeConflict {
		t.Fatalf("second Unique holder: %v, want conflict", err)
	}
	err = s.Read(context.Background(), func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: "ticket", Index: "code", Match: itsm.MatchEqual, Value: "x"})
		if err == nil && len(page.Matches) != 2 {
			err = fmt.Errorf("%d hits, want 2", len(page.Matches))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Once a write failed, later writes of the transaction fail with its code,
// and Write returns the first error.
func TestSpoiledTransactionRefusesWrites(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	var later error
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
		_, _ = tx.Put(itsm.Record{Kind: "Bad"})
		_, later = tx.NextNumber("INC")
		if _, err := tx.Events(0, 0); err != nil {
			return fmt.Errorf("reads still work: %w", err)
		}
		return nil
	})
	if itsm.ErrorCode(err) != itsm.CodeInvalid {
		t.Fatalf("Write = %v, want the invalid Put's error", err)
	}
	if itsm.ErrorCode(later) != itsm.CodeInvalid {
		t.Fatalf("NextNumber after a failed Put = %v, want the same code", later)
	}
	var n itsm.Number
	err = s.Write(context.Background(), func(tx itsm.WriteTx) error {
		var err error
		n, err = tx.NextNumber("INC")
		return err
	})
	if err != nil || n.Seq != 1 {
		t.Fatalf("first number = %v, %v; want 1", n, err)
	}
}

// A writer waiting for another gives up when its context ends, and readers
// do not wait at all.
func TestWaitingWriterHonoursContext(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	id := itsm.NewID()
	put(t, s, ticket(id, 0, "before"))
	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error)
	go func() {
		holder <- s.Write(context.Background(), func(tx itsm.WriteTx) error {
			if _, err := tx.Put(ticket(id, 1, "held")); err != nil {
				return err
			}
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	if got := get(t, s, id); got.Version != 1 {
		t.Fatalf("a reader saw uncommitted version %d", got.Version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		t.Error("fn ran while another writer held the store")
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) || itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Fatalf("waiting writer = %v, want unavailable wrapping DeadlineExceeded", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, id); got.Version != 2 {
		t.Fatalf("version = %d after the holding writer committed, want 2", got.Version)
	}
}

// A context cancelled inside fn fails the methods after it and stops the
// commit even when fn returns nil.
func TestCancelInsideWrite(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	id := itsm.NewID()
	ctx, cancel := context.WithCancel(context.Background())
	var after error
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := tx.Put(ticket(id, 0, "lost")); err != nil {
			return err
		}
		cancel()
		_, after = tx.Get("ticket", id)
		return nil
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(after, context.Canceled) {
		t.Fatalf("Write = %v, Get after cancel = %v; want both cancelled", err, after)
	}
	err = s.Read(context.Background(), func(tx itsm.ReadTx) error { _, err := tx.Get("ticket", id); return err })
	if itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("the record of the cancelled Write: %v, want not found", err)
	}
}

// A transaction kept past its function fails cleanly instead of panicking
// inside go-memdb.
func TestTransactionUsedAfterItsFunction(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	var rtx itsm.ReadTx
	var wtx itsm.WriteTx
	_ = s.Read(context.Background(), func(tx itsm.ReadTx) error { rtx = tx; return nil })
	_ = s.Write(context.Background(), func(tx itsm.WriteTx) error { wtx = tx; return nil })
	if _, err := rtx.Get("ticket", itsm.NewID()); itsm.ErrorCode(err) != itsm.CodeInternal {
		t.Errorf("Get after Read returned: %v, want internal", err)
	}
	if _, err := wtx.Put(ticket(itsm.NewID(), 0, "late")); itsm.ErrorCode(err) != itsm.CodeInternal {
		t.Errorf("Put after Write returned: %v, want internal", err)
	}
	if _, err := wtx.Query(itsm.Query{Kind: "ticket"}); itsm.ErrorCode(err) != itsm.CodeInternal {
		t.Errorf("Query after Write returned: %v, want internal", err)
	}
}

func TestClose(t *testing.T) {
	s := memstore.New()
	put(t, s, ticket(itsm.NewID(), 0, "x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Read(context.Background(), func(itsm.ReadTx) error { return nil }); itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Errorf("Read after Close = %v, want unavailable", err)
	}
	if err := s.Write(context.Background(), func(itsm.WriteTx) error { return nil }); itsm.ErrorCode(err) != itsm.CodeUnavailable {
		t.Errorf("Write after Close = %v, want unavailable", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

var errRollback = errors.New("memstore test: rollback")

// diffRecords treats nil and empty maps alike, as the contract lets a store
// return either.
func diffRecords(want, got any) string { return cmp.Diff(want, got, cmpopts.EquateEmpty()) }
