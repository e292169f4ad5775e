package itsm_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A key is 1 to MaxKey bytes of printable ASCII; a digest is the same for
// the same content and differs for other content; a kept digest is read
// back, and a ticket without one says so.
func TestIdempotencyKeys(t *testing.T) {
	for _, k := range []string{"", "a", strings.Repeat("k", itsm.MaxKey), "0190-aa!~"} {
		if err := itsm.CheckKey("place", k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{strings.Repeat("k", itsm.MaxKey+1), "has space", "tab\tkey", "ÅÄÖ"} {
		if err := itsm.CheckKey("place", k); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.HasPrefix(err.Error(), "invalid: place: key") {
			t.Errorf("%q: %v", k, err)
		}
	}
	type v struct{ A, B string }
	if d := itsm.Digest(v{"a", "b"}); d != itsm.Digest(v{"a", "b"}) || d == itsm.Digest(v{"a", "c"}) || !strings.HasPrefix(d, "sha256:") {
		t.Errorf("digest %s", d)
	}
	s := memstore.New()
	defer s.Close()
	id, none := itsm.NewID(), itsm.NewID()
	err := s.Write(t.Context(), func(tx itsm.WriteTx) error {
		return itsm.PutKeyDigest(tx, "thing.key", id, "sha256:00")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(t.Context(), func(tx itsm.ReadTx) error {
		if d, found, err := itsm.KeyDigest(tx, "thing.key", id); d != "sha256:00" || !found || err != nil {
			t.Errorf("kept: %q %v %v", d, found, err)
		}
		if d, found, err := itsm.KeyDigest(tx, "thing.key", none); d != "" || found || err != nil {
			t.Errorf("none kept: %q %v %v", d, found, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
