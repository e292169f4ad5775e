package incident

import (
	"bytes"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
)

// Bounds of the decoded-incident cache: entries kept, and the largest
// record worth keeping (a very chatty incident is rare and re-decoding it
// is the smaller cost than holding it twice).
const (
	decodedEntries  = 1024
	decodedMaxBytes = 256 << 10
)

// decodedCache keeps the incidents last decoded, each with the exact bytes
// it was decoded from, so that reading an unchanged incident again costs a
// comparison and a Clone instead of JSON decoding (a quarter of a GET's CPU
// on the reference server). A hit needs the same version and the same
// bytes, so whatever changed the record (this process, another one, a
// restore) is decoded afresh; nothing is ever served that the store does
// not hold. It is safe for concurrent use.
type decodedCache struct {
	mu sync.Mutex
	m  map[itsm.ID]decodedEntry
}

type decodedEntry struct {
	version int64
	body    []byte
	inc     *Incident // never handed out: callers get clones
}

func newDecodedCache() *decodedCache {
	return &decodedCache{m: make(map[itsm.ID]decodedEntry)}
}

// decode returns the incident of r, which the caller may change.
func (c *decodedCache) decode(r itsm.Record) (*Incident, error) {
	c.mu.Lock()
	e, ok := c.m[r.ID]
	c.mu.Unlock()
	if ok && e.version == r.Version && bytes.Equal(e.body, r.Body) {
		return e.inc.Clone(), nil
	}
	inc, err := decodeRecord(r)
	if err != nil || len(r.Body) > decodedMaxBytes {
		return inc, err
	}
	keep := decodedEntry{version: r.Version, body: bytes.Clone(r.Body), inc: inc.Clone()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[r.ID]; !ok && len(c.m) >= decodedEntries {
		for id := range c.m { // any one: the map's order is random enough
			delete(c.m, id)
			break
		}
	}
	c.m[r.ID] = keep
	return inc, nil
}
