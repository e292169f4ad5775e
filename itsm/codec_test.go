package itsm_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
)

type note interface {
	itsm.Typed
	text() string
}

type noted struct {
	Text string `json:"text"`
}

func (noted) Type() string   { return "thing.noted" }
func (n noted) text() string { return n.Text }

type dropped struct{}

func (dropped) Type() string { return "thing.dropped" }
func (dropped) text() string { return "" }

// TestCodec checks that a payload comes back from its event as the type it
// went in, and that an event of another kind, an unknown type or bad data
// is refused as invalid.
func TestCodec(t *testing.T) {
	c := itsm.NewCodec[note]("thing", "a thing", noted{}, dropped{})
	id, at := itsm.NewID(), time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e, err := c.Encode(id, noted{Text: "hello"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if want := (itsm.Event{Type: "thing.noted", Kind: "thing", Subject: id, Time: at, Data: []byte(`{"text":"hello"}`)}); !cmp.Equal(e, want) {
		t.Errorf("encoded %+v, want %+v", e, want)
	}
	p, err := c.Decode(e)
	if err != nil || p != (noted{Text: "hello"}) || p.text() != "hello" {
		t.Errorf("decoded %#v, %v", p, err)
	}
	for name, bad := range map[string]itsm.Event{
		"another kind":   {Type: "thing.noted", Kind: "other", Data: []byte(`{}`)},
		"unknown type":   {Type: "thing.lost", Kind: "thing", Data: []byte(`{}`)},
		"bad data":       {Type: "thing.noted", Kind: "thing", Data: []byte(`{"text":1}`)},
		"no data at all": {Type: "thing.dropped", Kind: "thing"},
	} {
		if _, err := c.Decode(bad); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if got := c.Payloads(); len(got) != 2 || got[0] != (noted{}) || got[1] != (dropped{}) {
		t.Errorf("payloads %v", got)
	}
}

// TestCodecRefusesTwoPayloadsOfAType checks that a domain that lists a
// payload type twice learns it when the package loads.
func TestCodecRefusesTwoPayloadsOfAType(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for two payloads of one type")
		}
	}()
	itsm.NewCodec[note]("thing", "a thing", noted{}, noted{})
}
