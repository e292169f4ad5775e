package itsm

import (
	"fmt"
	"strings"
	"time"
)

// State names a lifecycle state of a ticket, such as "registered" or
// "waiting_user". Each domain package defines its own states; package sla only
// compares them with the states an agreement pauses or stops on.
type State string

// Interval is one stretch of a ticket's history: from Start until the next
// interval's Start (or, for the last one, until now) the ticket was in State,
// held by the organisation Holder and its Group, at Priority.
//
// The group is the ID of one of the holder's groups (package chain), so that
// a renamed group keeps its history and an agreement can name it. The person
// a ticket is assigned to is not part of an interval: no clock runs per
// person, and a re-assignment from one member of a group to another would
// only cut the history into more pieces to measure.
type Interval struct {
	Start    time.Time `json:"start"`
	State    State     `json:"state"`
	Holder   ID        `json:"holder"`
	Group    ID        `json:"group,omitzero"`
	Priority Priority  `json:"priority"`
	// Update reports that the interval begins with a status update from the
	// holder; it restarts update-interval clocks (SD-8).
	Update bool `json:"update,omitempty"`
}

// Timeline is the ordered history of a ticket that service levels are
// measured from. Intervals are contiguous: each lasts until the next begins, so
// a timeline cannot have gaps or overlaps.
type Timeline []Interval

// Validate reports the first interval that is out of order or incomplete, as
// an *Error with CodeInvalid. Equal starts are allowed: several changes can be
// recorded at the same instant, and the earlier ones then last no time.
func (tl Timeline) Validate() error {
	for i, iv := range tl {
		switch {
		case iv.Start.IsZero():
			return Errorf(CodeInvalid, "timeline interval %d: start is zero", i)
		case iv.State == "":
			return Errorf(CodeInvalid, "timeline interval %d: state is empty", i)
		case iv.Holder.IsZero():
			return Errorf(CodeInvalid, "timeline interval %d: holder is empty", i)
		case iv.Priority < 1:
			return Errorf(CodeInvalid, "timeline interval %d: priority %d is not 1 or more", i, iv.Priority)
		case i > 0 && iv.Start.Before(tl[i-1].Start):
			return Errorf(CodeInvalid, "timeline interval %d: start %s is before the previous start %s",
				i, iv.Start.Format(time.RFC3339), tl[i-1].Start.Format(time.RFC3339))
		}
	}
	return nil
}

// At returns the index of the interval in effect at t, or -1 when t is before
// the first interval or the timeline is empty. Of intervals with equal starts
// the last is in effect, as the others last no time.
func (tl Timeline) At(t time.Time) int {
	// Timelines are short (tens of intervals) and usually asked about their
	// end, so a backward scan beats a binary search.
	for i := len(tl) - 1; i >= 0; i-- {
		if !tl[i].Start.After(t) {
			return i
		}
	}
	return -1
}

// String formats the timeline one interval a line, for test failures and logs.
func (tl Timeline) String() string {
	var b strings.Builder
	for _, iv := range tl {
		group := "-"
		if !iv.Group.IsZero() {
			group = iv.Group.String()
		}
		fmt.Fprintf(&b, "%s %s holder=%s group=%s P%d update=%t\n",
			iv.Start.Format(time.RFC3339), iv.State, iv.Holder, group, iv.Priority, iv.Update)
	}
	return b.String()
}
