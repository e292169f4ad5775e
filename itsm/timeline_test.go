package itsm_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
)

var networkID = itsm.MustParseID("01900000-0000-7000-8000-00000000ab01")

var t0 = time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC)

// sampleTimeline: registered at the desk, delegated to a supplier, waiting
// for the user, back with the supplier with an update.
func sampleTimeline() itsm.Timeline {
	return itsm.Timeline{
		{Start: t0, State: "registered", Holder: deskID, Priority: 3},
		{Start: t0.Add(10 * time.Minute), State: "assigned", Holder: supplierID, Group: networkID, Priority: 3},
		{Start: t0.Add(time.Hour), State: "waiting_user", Holder: supplierID, Group: networkID, Priority: 3},
		{Start: t0.Add(time.Hour), State: "assigned", Holder: supplierID, Group: networkID, Priority: 2, Update: true},
	}
}

func TestTimelineValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(tl itsm.Timeline) itsm.Timeline
		wantErr string // a part of the message; "" for valid
	}{
		{"valid", func(tl itsm.Timeline) itsm.Timeline { return tl }, ""},
		{"empty", func(itsm.Timeline) itsm.Timeline { return nil }, ""},
		{"zero start", func(tl itsm.Timeline) itsm.Timeline { tl[1].Start = time.Time{}; return tl }, "interval 1: start is zero"},
		{"empty state", func(tl itsm.Timeline) itsm.Timeline { tl[0].State = ""; return tl }, "interval 0: state is empty"},
		{"no holder", func(tl itsm.Timeline) itsm.Timeline { tl[2].Holder = itsm.ID{}; return tl }, "interval 2: holder is empty"},
		{"priority 0", func(tl itsm.Timeline) itsm.Timeline { tl[3].Priority = 0; return tl }, "interval 3: priority 0"},
		{
			"out of order",
			func(tl itsm.Timeline) itsm.Timeline { tl[2].Start = t0.Add(5 * time.Minute); return tl },
			"interval 2: start 2026-02-02T08:05:00Z is before the previous start 2026-02-02T08:10:00Z",
		},
		{
			"first problem wins",
			func(tl itsm.Timeline) itsm.Timeline { tl[1].State = ""; tl[3].Priority = 0; return tl },
			"interval 1:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edit(sampleTimeline()).Validate()
			if tt.wantErr == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, itsm.CodeInvalid)
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestTimelineAt(t *testing.T) {
	tl := sampleTimeline()
	tests := []struct {
		name string
		tl   itsm.Timeline
		at   time.Time
		want int
	}{
		{"before the first", tl, t0.Add(-time.Nanosecond), -1},
		{"at the first start", tl, t0, 0},
		{"inside the first", tl, t0.Add(9 * time.Minute), 0},
		{"at the second start", tl, t0.Add(10 * time.Minute), 1},
		{"equal starts: the last wins", tl, t0.Add(time.Hour), 3},
		{"after the end", tl, t0.AddDate(1, 0, 0), 3},
		{"empty", nil, t0, -1},
		{"other location, same instant", tl, t0.Add(10 * time.Minute).In(time.FixedZone("CET", 3600)), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tl.At(tt.at); got != tt.want {
				t.Errorf("At(%v) = %d, want %d", tt.at, got, tt.want)
			}
		})
	}
}

func TestTimelineString(t *testing.T) {
	got := sampleTimeline()[:1].String()
	want := "2026-02-02T08:00:00Z registered holder=" + deskID.String() + ` group=- P3 update=false` + "\n"
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestTimelineJSON(t *testing.T) {
	tl := sampleTimeline()
	b, err := json.Marshal(tl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"holder":"`+supplierID.String()+`"`) {
		t.Errorf("json.Marshal = %s, want holders as ID strings", b)
	}
	var back itsm.Timeline
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tl, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}
