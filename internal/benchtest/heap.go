// Package benchtest holds what the benchmarks of several packages measure
// alike: the peak of the heap while a piece of work runs, for targets given
// in MiB.
package benchtest

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapSamples are the runtime/metrics that add up to HeapInuse.
var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
}

// HeapInUse is the heap in use now, in bytes, as runtime.MemStats'
// HeapInuse, read without stopping the world.
func HeapInUse() uint64 {
	s := make([]metrics.Sample, len(heapSamples))
	copy(s, heapSamples)
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// SampleHeap samples the heap in use every millisecond until the returned
// function is called, which returns the highest sample.
func SampleHeap() (stop func() uint64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var high uint64
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			high = max(high, HeapInUse())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(high, HeapInUse())
	}
}
