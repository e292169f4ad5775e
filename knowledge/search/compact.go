package search

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// maxSegments is how many segments the index holds before it is
// compacted. Scorch kept in memory (no path) never merges its segments:
// its merger and persister run only for an index on disk, and ForceMerge
// waits for that merger. So every Put or Delete batch would stay a
// segment for the life of the index, and each search reads every one.
// Compaction builds a fresh index from the documents the Index keeps, as
// one batch (one segment), in the background, and swaps it in. See
// docs/decisions.md (147) for the measurements behind the number.
const maxSegments = 16

// restFactor spaces compactions: the next may start only once this many
// times the last one's build time has passed since it ended, so that a
// stream of edits to a large index spends at most about a tenth of one
// core on compacting (10,000 articles take about 2.5 s to build).
const restFactor = 10

// touch records that a document changed while a compaction builds, so
// that its current state is replayed into the fresh index before the
// swap. The caller holds mu for writing.
func (ix *Index) touch(id string) {
	if ix.building {
		ix.touched[id] = true
	}
}

// segmentCount returns the number of segments bleve holds now (0 if it
// cannot tell). The caller holds mu.
func (ix *Index) segmentCount() int {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return 0
	}
	r, err := adv.Reader()
	if err != nil {
		return 0
	}
	defer r.Close()
	if s, ok := r.(*scorch.IndexSnapshot); ok {
		return len(s.Segments())
	}
	return 0
}

// compactIfDue starts a compaction in the background when the index
// holds more than its segments' limit and none is under way. The caller
// holds mu for writing.
func (ix *Index) compactIfDue() {
	if ix.building || ix.closed || ix.maxSegments <= 0 ||
		time.Since(ix.lastCompaction) < restFactor*ix.lastBuild ||
		ix.segmentCount() <= ix.maxSegments {
		return
	}
	docs := ix.startCompaction()
	ix.wg.Add(1)
	go func() {
		defer ix.wg.Done()
		// A failed compaction leaves the index as it was (whole, only
		// slower); the next Put past the limit tries again.
		_ = ix.finishCompaction(docs)
	}()
}

// compact compacts the index now and returns when the fresh index is in
// place (or at once if a compaction is under way or the index is closed).
func (ix *Index) compact() error {
	ix.mu.Lock()
	if ix.building || ix.closed {
		ix.mu.Unlock()
		return nil
	}
	docs := ix.startCompaction()
	ix.wg.Add(1)
	ix.mu.Unlock()
	defer ix.wg.Done()
	return ix.finishCompaction(docs)
}

// startCompaction marks a compaction under way and returns the documents
// to build the fresh index from, by ID. The caller holds mu for writing.
func (ix *Index) startCompaction() []Document {
	ix.building = true
	ix.touched = map[string]bool{}
	docs := make([]Document, 0, len(ix.meta))
	for id, m := range ix.meta {
		docs = append(docs, m.document(id))
	}
	slices.SortFunc(docs, func(a, b Document) int { return strings.Compare(a.ID, b.ID) })
	return docs
}

// finishCompaction builds a fresh index of docs without holding mu, so
// searches, Puts and Deletes go on meanwhile; then, under the write lock,
// replays into it every document touched since docs were taken (as it is
// now, or deleted), swaps it in and closes the old one, which no search
// can be using: a search holds mu for reading while it asks bleve.
func (ix *Index) finishCompaction(docs []Document) error {
	start := time.Now()
	var fresh bleve.Index // nil unless created: NewUsing's error value is a typed nil
	created, err := bleve.NewUsing("", indexMapping(), scorch.Name, scorch.Name, nil)
	if err == nil {
		fresh = created
		err = fill(fresh, docs)
	}
	built := time.Since(start)
	if ix.beforeSwap != nil {
		ix.beforeSwap()
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	touched := ix.touched
	ix.building, ix.touched = false, nil
	ix.lastBuild, ix.lastCompaction = built, time.Now()
	if err == nil && ix.closed {
		err = fmt.Errorf("search: compaction: the index is closed")
	}
	if err == nil {
		replay := fresh.NewBatch()
		ids := make([]string, 0, len(touched))
		for id := range touched {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if m, ok := ix.meta[id]; ok {
				err = indexDoc(replay, m.document(id))
			} else {
				replay.Delete(id)
			}
			if err != nil {
				break
			}
		}
		if err == nil && replay.Size() > 0 {
			err = fresh.Batch(replay)
		}
	}
	if err != nil {
		if fresh != nil {
			fresh.Close()
		}
		return fmt.Errorf("search: compaction: %w", err)
	}
	old := ix.bleve
	ix.bleve = fresh
	ix.compactions++
	return old.Close()
}

// fill indexes docs into b as one batch: one segment.
func fill(b bleve.Index, docs []Document) error {
	batch := b.NewBatch()
	for _, d := range docs {
		if err := indexDoc(batch, d); err != nil {
			return err
		}
	}
	return b.Batch(batch)
}
