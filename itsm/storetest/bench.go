package storetest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
)

// Baseline is a backend's raw operations on the same engine, without spoc in
// between.
type Baseline struct {
	Write      func(ctx context.Context, rec itsm.Record) error         // one plain insert, own transaction
	WriteBatch func(ctx context.Context, recs []itsm.Record) error      // plain inserts in one transaction
	Read       func(ctx context.Context, kind string, id itsm.ID) error // one plain point read
	Close      func() error
}

const (
	hSampleKind = "sample"
	// hPreload is how many records the read benchmarks find in place.
	hPreload = 10_000
	// hBatch is the number of records per transaction of PutBatch and of
	// preloading.
	hBatch = 100
	// The ratio compares as many store operations as raw ones, at least
	// hRawMinOps unless that takes longer than hRawMinTime: with
	// -benchtime 1x a single operation on each side would make it noise.
	hRawMinOps  = 20
	hRawMinTime = 200 * time.Millisecond
)

// Benchmark runs the common store benchmarks against a new store from open
// and the raw baseline from raw (both on fresh, empty databases), reporting
// each as a ratio of the raw rate.
//
// The sub-benchmarks are Put (one new record per Write), PutBatch (100
// records per Write), Get (point reads in Read transactions from parallel
// goroutines, over 10,000 preloaded records) and GetWhileWriting (Get while
// one goroutine keeps writing single records). Each times the store over
// b.N operations, then, with the timer stopped, times the matching Baseline
// operation over the same count (at least 20 operations or 200ms), with the
// same parallelism, and reports x_raw: raw time per operation divided by the
// store's, that is, the store's rate as a fraction of the raw rate (1 means
// spoc costs nothing). raw_ns/op is the baseline's time per operation. When
// b.N is below 20, as with -benchtime 1x, both sides run more operations,
// outside the timer, so that x_raw still compares 20 (or 200ms) of each.
//
// open and raw are called for every run of every sub-benchmark; Benchmark
// closes what they return when the run ends.
func Benchmark(b *testing.B, open func(b *testing.B) itsm.Store, raw func(b *testing.B) Baseline) {
	b.Run("Put", func(b *testing.B) { hBenchWrite(b, open, raw, 1) })
	b.Run("PutBatch", func(b *testing.B) { hBenchWrite(b, open, raw, hBatch) })
	b.Run("Get", func(b *testing.B) { hBenchGet(b, open, raw, false) })
	b.Run("GetWhileWriting", func(b *testing.B) { hBenchGet(b, open, raw, true) })
}

// hBenchOpen opens a fresh store and baseline for one run of a benchmark.
func hBenchOpen(b *testing.B, open func(b *testing.B) itsm.Store, raw func(b *testing.B) Baseline) (itsm.Store, Baseline, func()) {
	b.Helper()
	s := open(b)
	var once sync.Once
	closeStore := func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				b.Errorf("close the store: %v", err)
			}
		})
	}
	b.Cleanup(closeStore)
	base := raw(b)
	if base.Write == nil || base.WriteBatch == nil || base.Read == nil {
		b.Fatal("storetest: Baseline needs Write, WriteBatch and Read")
	}
	if base.Close != nil {
		b.Cleanup(func() {
			if err := base.Close(); err != nil {
				b.Errorf("close the baseline: %v", err)
			}
		})
	}
	return s, base, closeStore
}

// hRelease closes the store and collects its garbage before the raw loop
// of a write benchmark, so that the baseline does not pay for scanning the
// heap the store filled (memstore keeps every record in it).
func hRelease(closeStore func()) {
	closeStore()
	runtime.GC()
}

// hBenchWrite is Put (batch 1: one record per Write against the baseline's
// single autocommit insert) and PutBatch (batch records per Write against the
// baseline's batch in one transaction).
func hBenchWrite(b *testing.B, open func(b *testing.B) itsm.Store, raw func(b *testing.B) Baseline, batch int) {
	s, base, closeStore := hBenchOpen(b, open, raw)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := hPut(ctx, s, i*batch, batch); err != nil {
			b.Fatalf("put %d of %d records: %v", i, batch, err)
		}
	}
	d := time.Since(start)
	b.StopTimer()
	if batch > 1 {
		b.ReportMetric(float64(b.N*batch)/d.Seconds(), "records/s")
	}
	storeNs, ops := hTopUp(b, d, 1, func(_ *rand.Rand, k int) error { return hPut(ctx, s, (b.N+k)*batch, batch) })
	hRelease(closeStore)
	rawWrite := func(_ *rand.Rand, k int) error { return base.WriteBatch(ctx, hSamples(k*batch, batch)) }
	if batch == 1 {
		rawWrite = func(_ *rand.Rand, k int) error { return base.Write(ctx, SampleRecord(k)) }
	}
	rawNs := hMeasure(b, 1, ops, rawWrite)
	hReport(b, storeNs, rawNs)
}

// hBenchGet is Get, and GetWhileWriting when writing is set.
func hBenchGet(b *testing.B, open func(b *testing.B) itsm.Store, raw func(b *testing.B) Baseline, writing bool) {
	s, base, _ := hBenchOpen(b, open, raw)
	ctx := context.Background()
	for i := 0; i < hPreload; i += hBatch {
		if err := hPut(ctx, s, i, hBatch); err != nil {
			b.Fatalf("preload the store: %v", err)
		}
		if err := base.WriteBatch(ctx, hSamples(i, hBatch)); err != nil {
			b.Fatalf("preload the baseline: %v", err)
		}
	}
	get := func(rng *rand.Rand, _ int) error {
		id := hSampleID(rng.IntN(hPreload))
		return s.Read(ctx, func(tx itsm.ReadTx) error {
			_, err := tx.Get(hSampleKind, id)
			return err
		})
	}

	var stop func() (int, error)
	if writing {
		stop = hWriter(func(i int) error { return hPut(ctx, s, hPreload+i, 1) })
	}
	var seeds atomic.Uint64
	var readErr asynctest.FirstErr
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seeds.Add(1), 0x5eed))
		for pb.Next() {
			readErr.Set(get(rng, 0))
		}
	})
	d := time.Since(start)
	b.StopTimer()
	if err := readErr.Err(); err != nil {
		b.Fatalf("get: %v", err)
	}
	storeNs, ops := hTopUp(b, d, runtime.GOMAXPROCS(0), get)
	if writing {
		writes, err := stop()
		if err != nil {
			b.Fatalf("writer: %v", err)
		}
		b.ReportMetric(float64(b.N)/d.Seconds(), "reads/s")
		b.ReportMetric(float64(writes)/time.Since(start).Seconds(), "writes/s")
		// Ids after the store writer's are fine: the baseline's database is
		// a different one.
		stop = hWriter(func(i int) error { return base.Write(ctx, SampleRecord(hPreload+i)) })
	}
	rawNs := hMeasure(b, runtime.GOMAXPROCS(0), ops, func(rng *rand.Rand, _ int) error {
		return base.Read(ctx, hSampleKind, hSampleID(rng.IntN(hPreload)))
	})
	if writing {
		if _, err := stop(); err != nil {
			b.Fatalf("baseline writer: %v", err)
		}
	}
	hReport(b, storeNs, rawNs)
}

// hPut writes SampleRecord(first) .. SampleRecord(first+n-1) in one Write.
func hPut(ctx context.Context, s itsm.Store, first, n int) error {
	return s.Write(ctx, func(tx itsm.WriteTx) error {
		for i := first; i < first+n; i++ {
			if _, err := tx.Put(SampleRecord(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

func hSamples(first, n int) []itsm.Record {
	recs := make([]itsm.Record, n)
	for k := range recs {
		recs[k] = SampleRecord(first + k)
	}
	return recs
}

// hWriter calls write(0), write(1), ... in a goroutine until the returned
// stop is called; stop returns how many writes were done and the first error.
func hWriter(write func(i int) error) (stop func() (int, error)) {
	done := make(chan struct{})
	var n int
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err = write(n); err != nil {
				return
			}
			n++
		}
	})
	return func() (int, error) {
		close(done)
		wg.Wait()
		return n, err
	}
}

// hTopUp returns the store's time per operation for the ratio, and over how
// many operations: the b.N timed ones, which took d, and, when b.N is below
// hRawMinOps (as with -benchtime 1x), more of them with the timer stopped,
// until hRawMinOps or hRawMinTime. op(rng, k) does the k'th extra one.
func hTopUp(b *testing.B, d time.Duration, workers int, op func(rng *rand.Rand, k int) error) (nsPerOp float64, ops int) {
	b.Helper()
	extraD, extra := hRun(b, workers, 0, hRawMinOps-b.N, hRawMinTime-d, op)
	return hNsPerOp(d+extraD, b.N+extra), b.N + extra
}

// hMeasure returns the time per operation of exactly n calls of op.
func hMeasure(b *testing.B, workers, n int, op func(rng *rand.Rand, k int) error) float64 {
	b.Helper()
	d, done := hRun(b, workers, n, 0, 0, op)
	return hNsPerOp(d, done)
}

// hRun calls op(rng, k) for k = 0, 1, 2, ... from workers goroutines (each
// with its own rng) until n calls are made, and then while fewer than atLeast
// were made and budget has not passed. It returns the time taken and the
// number of calls. The store's parallel benchmarks pass as many workers as
// b.RunParallel uses, so that their baseline gets the same parallelism.
func hRun(b *testing.B, workers, n, atLeast int, budget time.Duration, op func(rng *rand.Rand, k int) error) (time.Duration, int) {
	b.Helper()
	if n <= 0 && atLeast <= 0 {
		return 0, 0
	}
	var next, done atomic.Int64
	var opErr asynctest.FirstErr
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0xba5e))
			for {
				k := int(next.Add(1) - 1)
				if k >= n && (k >= atLeast || time.Since(start) >= budget) {
					return
				}
				if err := op(rng, k); err != nil {
					opErr.Set(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if err := opErr.Err(); err != nil {
		b.Fatalf("%v", err)
	}
	return d, int(done.Load())
}

func hNsPerOp(d time.Duration, n int) float64 {
	return float64(d.Nanoseconds()) / float64(max(n, 1))
}

// hReport reports the store's rate as a fraction of the raw rate.
func hReport(b *testing.B, storeNs, rawNs float64) {
	b.ReportMetric(rawNs, "raw_ns/op")
	if storeNs > 0 {
		b.ReportMetric(rawNs/storeNs, "x_raw")
	}
}

var (
	hStates = [...]string{"new", "in_progress", "delegated", "resolved"}
	hOrgs   = [...]string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"}
)

// hSampleEpoch is the time of SampleRecord(0)'s ID, in Unix milliseconds
// (2026-01-01T00:00:00Z).
const hSampleEpoch = 1767225600000

// hSampleID returns SampleRecord(i).ID: a UUID v7 whose timestamp is
// hSampleEpoch plus i milliseconds, so that IDs are unique, never zero and
// grow with i as real new IDs grow with time, and whose random bits come
// from i, so that the same i always gives the same ID.
func hSampleID(i int) itsm.ID {
	var id itsm.ID
	binary.BigEndian.PutUint64(id[0:8], (hSampleEpoch+uint64(i))<<16)
	x := uint64(i)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	binary.BigEndian.PutUint64(id[8:16], x)
	id[6] = 0x70 | byte(x>>60) // version 7, 4 random bits
	id[7] = byte(x >> 52)      // 8 more
	id[8] = 0x80 | id[8]&0x3f  // RFC 9562 variant
	return id
}

// SampleRecord returns the i'th record the benchmarks write (about 300 bytes
// of JSON body, one Unique and two Index values), so that raw baselines write
// rows of the same size. i must not be negative. The same i always gives the
// same record, and records of different i never share the ID or the Unique
// value.
func SampleRecord(i int) itsm.Record {
	number := fmt.Sprintf("SMP%07d", i+1)
	state, org := hStates[i%len(hStates)], hOrgs[i/len(hStates)%len(hOrgs)]
	body := fmt.Appendf(nil, `{"number":%q,"title":"Sample ticket %d","state":%q,"org":%q,"priority":%d,`+
		`"service":"email","description":"The mail relay of the %s office rejects messages with large attachments since this morning; users see a bounce after about one minute and retry by hand."}`,
		number, i, state, org, 1+i%4, org)
	return itsm.Record{
		Kind:   hSampleKind,
		ID:     hSampleID(i),
		Body:   body,
		Unique: map[string]string{"number": number},
		Index:  map[string][]string{"state": {state}, "org": {org}},
	}
}
