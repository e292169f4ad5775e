package followup_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// The events rebuild the follow-up, all but the report bytes, and Verify
// finds every way the stored follow-up and its log can disagree: a report
// changed after approval, an event lost, added, reordered or altered.
func TestReplayAndVerify(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	w.must(w.svc.Reject(w.ctx, w.approver, f.ID, "", "no"))
	w.calc.set(41)
	w.draft(w.city.ID, w.nov)
	w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", ""))
	w.calc.set(42)
	w.must(w.svc.Correct(w.ctx, w.agent, f.ID, "late ticket"))
	other := w.draft(w.town.ID, w.nov) // interleaved in the log, not in f's events
	w.must(w.svc.Reject(w.ctx, w.townApprover, other.ID, "", "no"))
	stored, err := w.svc.Get(w.ctx, w.agent, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	events := w.events(f.ID)

	replayed, err := followup.Replay(events)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range replayed.Versions {
		if v.Report != nil {
			t.Errorf("replayed version %d has report bytes", v.Number)
		}
	}
	if replayed.Versions[0].Digest != stored.Versions[0].Digest || replayed.State != stored.State || len(replayed.Versions) != 2 {
		t.Errorf("replayed %+v", replayed)
	}
	if err := followup.Verify(stored, events); err != nil {
		t.Fatalf("stored and log disagree: %v", err)
	}

	tamper := map[string]struct {
		f      func() *followup.FollowUp
		events func() []itsm.Event
	}{
		"approved report changed in the store": {func() *followup.FollowUp {
			c := stored.Clone()
			c.Versions[0].Report = bytes.Replace(c.Versions[0].Report, []byte(`"resolved":41`), []byte(`"resolved":45`), 1)
			return c
		}, nil},
		"approved report and its digest changed in the store": {func() *followup.FollowUp {
			c := stored.Clone()
			c.Versions[0].Report = bytes.Replace(c.Versions[0].Report, []byte(`"resolved":41`), []byte(`"resolved":45`), 1)
			c.Versions[0].Digest = followup.Digest(c.Versions[0].Report)
			return c
		}, nil},
		"approval comment changed in the store": {func() *followup.FollowUp {
			c := stored.Clone()
			c.Versions[0].Approval.Comment = "agreed"
			return c
		}, nil},
		"an event lost":       {nil, func() []itsm.Event { return slices.Delete(slices.Clone(events), 1, 2) }},
		"the correction lost": {nil, func() []itsm.Event { return events[:len(events)-1] }},
		"events reordered": {nil, func() []itsm.Event {
			es := slices.Clone(events)
			es[1], es[2] = es[2], es[1]
			return es
		}},
		"another follow-up's event": {nil, func() []itsm.Event { return append(slices.Clone(events), w.events(other.ID)[1]) }},
		"an approval of other bytes": {nil, func() []itsm.Event {
			es := slices.Clone(events)
			var p map[string]any
			_ = json.Unmarshal(es[3].Data, &p)
			p["digest"] = followup.Digest([]byte("{}"))
			es[3].Data, _ = json.Marshal(p)
			return es
		}},
		"no events":                   {nil, func() []itsm.Event { return nil }},
		"not starting with the draft": {nil, func() []itsm.Event { return events[1:] }},
		"an event of another kind": {nil, func() []itsm.Event {
			es := slices.Clone(events)
			es[2].Kind = "incident"
			return es
		}},
	}
	for name, tc := range tamper {
		f, es := stored, events
		if tc.f != nil {
			f = tc.f()
		}
		if tc.events != nil {
			es = tc.events()
		}
		if err := followup.Verify(f, es); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: Verify says %v, want invalid", name, err)
		}
	}
}

// A log the workflow does not allow is refused with one code and a reason
// that names the event: each reason replayable gives, said once.
func TestReplaySaysWhichEventIsOutOfPlace(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	w.must(w.svc.Approve(w.ctx, w.approver, f.ID, "", ""))
	w.calc.set(42)
	w.must(w.svc.Correct(w.ctx, w.agent, f.ID, "late ticket"))
	events := w.events(f.ID) // drafted, approved, corrected
	secondDraft := func() []itsm.Event {
		es := slices.Clone(events)
		es[1].Type, es[1].Data = events[0].Type, events[0].Data
		return es
	}
	versionTwo := func() []itsm.Event {
		es := slices.Clone(events)
		var p map[string]any
		_ = json.Unmarshal(es[0].Data, &p)
		p["version"] = 2
		es[0].Data, _ = json.Marshal(p)
		return es
	}
	for name, tc := range map[string]struct {
		events []itsm.Event
		seq    int64
		reason string
	}{
		"a second draft":             {secondDraft(), events[1].Seq, "followup.drafted must be the first event and only the first"},
		"a first draft of version 2": {versionTwo(), events[0].Seq, "the first draft is version 2, not 1"},
		"an approval twice":          {append(slices.Clone(events[:2]), events[1]), events[1].Seq, "version 1 is approved with digest"},
		"a correction of version 2":  {[]itsm.Event{events[0], events[1], events[2], events[2]}, events[2].Seq, "it names version 1, the follow-up is at version 2"},
	} {
		_, err := followup.Replay(tc.events)
		wantErr(t, err, itsm.CodeInvalid, fmt.Sprintf("replay of %s: event %d (", f.ID, tc.seq), tc.reason)
		if n := strings.Count(err.Error(), "invalid"); n != 1 {
			t.Errorf("%s: %q says invalid %d times, want once", name, err, n)
		}
	}
}

// Decode refuses what is not a follow-up event.
func TestDecode(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	e := w.events(f.ID)[0]
	p, err := followup.Decode(e)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := p.(followup.Drafted)
	if !ok || d.Customer != w.city.ID || d.Desk != w.desk.ID || d.Version != 1 || d.Actor().Person != "dana" || d.Month != "2026-11" {
		t.Errorf("decoded %#v", p)
	}
	for name, change := range map[string]func(e *itsm.Event){
		"unknown type": func(e *itsm.Event) { e.Type = "followup.settled" },
		"another kind": func(e *itsm.Event) { e.Kind = "incident" },
		"broken data":  func(e *itsm.Event) { e.Data = []byte(`{"version": "one"}`) },
	} {
		bad := e
		change(&bad)
		if _, err := followup.Decode(bad); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
