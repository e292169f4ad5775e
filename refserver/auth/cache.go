package auth

import (
	"sync"
	"time"
)

// DefaultFreshness is how long a Directory serves an organisation, and its
// Tokens an authenticated token, from memory before reading the store
// again. It bounds how late a change made by another process on the same
// database (a revoked token, a removed organisation, a grant or
// revocation) takes effect in this one; changes made through this
// process's Directory and Tokens take effect at once. A second keeps the
// store out of nearly every request of a busy server, and is shorter than
// any administrator's reaction to a leaked token.
const DefaultFreshness = time.Second

// maxCached bounds the entries of each cache, so that a server with more
// live tokens or organisations than that stays within a fixed memory and
// simply reads the store for the others.
const maxCached = 4096

// cache keeps values read from the store for at most a freshness window,
// measured from before the read that took them, so that an entry never
// outlives, by more than the window, a change committed after its read
// began.
//
// Writers in this process call drop or clear after their commit. Each call
// also moves the generation on, and a read that began under an older
// generation is not kept: without that, a read that saw the old record but
// finished after the writer's drop would put it back for a whole window.
// Between them, drop and the generation cover both orders in which the
// reader's put and the writer's drop can come.
//
// The lock is never held across store I/O: a filler takes the generation,
// reads without the lock, and puts afterwards. Two goroutines that miss at
// once both read the store; the later put wins, unless it holds an older
// version.
type cache[K comparable, V any] struct {
	mu      sync.Mutex
	gen     uint64
	entries map[K]cached[V]
}

type cached[V any] struct {
	val V
	// version is the store version the value was read at, so that a slow
	// reader does not replace a newer entry with its older one.
	version int64
	at      time.Time
}

// get returns the value for k when it was taken less than fresh before
// now. An entry from after now (a clock set back) counts as stale, so that
// it cannot stay fresh for as long as the clock went back.
func (c *cache[K, V]) get(k K, now time.Time, fresh time.Duration) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		var zero V
		return zero, false
	}
	if age := now.Sub(e.at); age < 0 || age >= fresh {
		delete(c.entries, k)
		var zero V
		return zero, false
	}
	return e.val, true
}

// generation returns the generation to pass to put for a store read about
// to begin.
func (c *cache[K, V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v, read at version by a read that began at at under generation
// gen, unless a drop or clear came since, or the entry holds a newer
// version. A full cache loses an arbitrary entry (map order is random).
func (c *cache[K, V]) put(k K, v V, version int64, at time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if e, ok := c.entries[k]; ok && e.version > version {
		return
	}
	if c.entries == nil {
		c.entries = make(map[K]cached[V])
	}
	if _, ok := c.entries[k]; !ok && len(c.entries) >= maxCached {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = cached[V]{val: v, version: version, at: at}
}

// drop forgets k, and every read under way.
func (c *cache[K, V]) drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, k)
}

// forget deletes k's entry without moving the generation on, for an entry
// found no longer good: nothing was written, so reads under way may still
// put what they read.
func (c *cache[K, V]) forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// clear forgets everything, and every read under way.
func (c *cache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// len returns the number of entries, fresh or not.
func (c *cache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
