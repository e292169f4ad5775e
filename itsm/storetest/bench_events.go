package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

const (
	// hLogEvents is the size of the log BenchmarkEventsOf reads records'
	// histories from, and hLogSubjects the number of records it is about:
	// hLogEvents/hLogSubjects events each, spread over the whole log as a
	// ticket's events are over its months.
	hLogEvents   = 100_000
	hLogSubjects = 5_000
	// hScanMinOps and hScanMinTime bound the whole-log scans that
	// BenchmarkEventsOf compares with: each reads the entire log, so
	// hRawMinOps of them would take long on a server.
	hScanMinOps  = 3
	hScanMinTime = time.Second
)

// BenchmarkEventsOf measures reading one record's history with
// itsm.ReadTx.EventsOf, page after page as itsm.AllEventsOf reads them
// for a domain package's replay, from a log of 100,000 events about 5,000 records (20 each, spread
// over the whole log), against the same history read as it was before
// EventsOf existed: the whole log with Events, keeping the record's events.
//
// Each operation reads the history of a random record in its own Read. The
// log is written once, through open's store, before the sub-benchmark
// History runs; it reports scan_ns/op, the whole-log scan's time per
// history, and x_scan, that time divided by EventsOf's: how many times
// faster the index makes a history.
func BenchmarkEventsOf(b *testing.B, open func(b *testing.B) itsm.Store) {
	s := open(b)
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("close the store: %v", err)
		}
	})
	ctx := context.Background()
	const batch = 1000
	for first := 0; first < hLogEvents; first += batch {
		err := s.Write(ctx, func(tx itsm.WriteTx) error {
			for i := first; i < first+batch; i++ {
				if _, err := tx.Append(hLogEvent(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("write the log: %v", err)
		}
	}
	history := func(rng *rand.Rand, _ int) error {
		return hHistory(ctx, s, rng.IntN(hLogSubjects), hReadEventsOf)
	}
	scan := func(rng *rand.Rand, _ int) error {
		return hHistory(ctx, s, rng.IntN(hLogSubjects), hScanEvents)
	}
	b.Run("History", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 0x5eed))
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if err := history(rng, 0); err != nil {
				b.Fatal(err)
			}
		}
		d := time.Since(start)
		b.StopTimer()
		ns, _ := hTopUp(b, d, 1, history)
		extraD, n := hRun(b, 1, 0, hScanMinOps, hScanMinTime, scan)
		scanNs := hNsPerOp(extraD, n)
		b.ReportMetric(scanNs, "scan_ns/op")
		if ns > 0 {
			b.ReportMetric(scanNs/ns, "x_scan")
		}
	})
}

// hLogEvent is the i'th event of BenchmarkEventsOf's log: about record
// i mod hLogSubjects.
func hLogEvent(i int) itsm.Event {
	return itsm.Event{
		Type:    "sample.noted",
		Kind:    hSampleKind,
		Subject: hSampleID(i % hLogSubjects),
		Time:    time.UnixMilli(hSampleEpoch + int64(i)).UTC(),
		Data:    fmt.Appendf(nil, `{"n":%d,"note":"a status update of the sort a ticket collects"}`, i),
	}
}

// hHistory reads the history of record k with read, and checks it is the
// record's whole history in order, so that the two ways compared read the
// same thing.
func hHistory(ctx context.Context, s itsm.Store, k int, read func(itsm.ReadTx, itsm.ID) ([]itsm.Event, error)) error {
	id := hSampleID(k)
	return s.Read(ctx, func(tx itsm.ReadTx) error {
		es, err := read(tx, id)
		if err != nil {
			return err
		}
		const want = hLogEvents / hLogSubjects
		if len(es) != want || es[0].Seq != int64(k+1) || es[0].Subject != id ||
			!slices.IsSortedFunc(es, func(a, b itsm.Event) int { return cmp.Compare(a.Seq, b.Seq) }) {
			return fmt.Errorf("the history of record %d: %d events, want %d in Seq order from %d", k, len(es), want, k+1)
		}
		return nil
	})
}

// hReadEventsOf reads a record's events as problem.History does.
func hReadEventsOf(tx itsm.ReadTx, id itsm.ID) ([]itsm.Event, error) {
	return itsm.AllEventsOf(tx, hSampleKind, id)
}

// hScanEvents reads a record's events from the whole log, the only way
// before EventsOf.
func hScanEvents(tx itsm.ReadTx, id itsm.ID) ([]itsm.Event, error) {
	var out []itsm.Event
	for after := int64(0); ; {
		es, err := tx.Events(after, itsm.MaxLimit)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.Kind == hSampleKind && e.Subject == id {
				out = append(out, e)
			}
		}
		if len(es) < itsm.MaxLimit {
			return out, nil
		}
		after = es[len(es)-1].Seq
	}
}
