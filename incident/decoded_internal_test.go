package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
)

func decodedRecord(t *testing.T, inc *Incident, version int64) itsm.Record {
	t.Helper()
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	return itsm.Record{Kind: Kind, ID: inc.ID, Version: version, Body: b}
}

// TestDecodedCache: a hit equals a fresh decode and is the caller's own
// copy; other bytes or another version at the same ID decode afresh; the
// cache stays within its bounds.
func TestDecodedCache(t *testing.T) {
	c := newDecodedCache()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	inc := &Incident{ID: itsm.NewID(), Summary: "printer", State: StateRegistered, Registered: at, Changed: at,
		Journal: []Entry{{Time: at, Kind: EntryCommunication, Author: "dana", Text: "hello"}}}
	r := decodedRecord(t, inc, 3)

	first, err := c.decode(r)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := decodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	hit, err := c.decode(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh, hit); diff != "" {
		t.Errorf("a hit differs from a fresh decode:\n%s", diff)
	}
	// Changing what the caller got changes nothing kept.
	first.Summary = "changed"
	first.Journal[0].Text = "changed"
	hit.Journal = append(hit.Journal, Entry{Text: "more"})
	again, _ := c.decode(r)
	if diff := cmp.Diff(fresh, again); diff != "" {
		t.Errorf("a caller's change reached the cache:\n%s", diff)
	}

	// The same version with other bytes (another process, a restore), and
	// another version with the same bytes, are decoded afresh.
	other := *inc
	other.Summary = "scanner"
	got, _ := c.decode(decodedRecord(t, &other, 3))
	if got.Summary != "scanner" {
		t.Errorf("other bytes at the same version gave %q", got.Summary)
	}
	r4 := r
	r4.Version = 4
	if got, _ := c.decode(r4); got.Version != 4 || got.Summary != "printer" {
		t.Errorf("another version gave version %d, %q", got.Version, got.Summary)
	}

	// Bounds: the number of entries, and no record over the size kept.
	for range decodedEntries + 50 {
		n := *inc
		n.ID = itsm.NewID()
		if _, err := c.decode(decodedRecord(t, &n, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > decodedEntries {
		t.Errorf("%d entries kept, at most %d allowed", len(c.m), decodedEntries)
	}
	big := *inc
	big.ID = itsm.NewID()
	big.Description = strings.Repeat("x", decodedMaxBytes)
	if _, err := c.decode(decodedRecord(t, &big, 1)); err != nil {
		t.Fatal(err)
	}
	if _, kept := c.m[big.ID]; kept {
		t.Error("a record over decodedMaxBytes was kept")
	}
	// A body that does not decode is an error, and is not kept.
	bad := itsm.Record{Kind: Kind, ID: itsm.NewID(), Version: 1, Body: []byte(`{"id":`)}
	if _, err := c.decode(bad); !itsm.IsCode(err, itsm.CodeInternal) {
		t.Errorf("a broken body: %v", err)
	}
	if _, kept := c.m[bad.ID]; kept {
		t.Error("a broken body was kept")
	}
}
