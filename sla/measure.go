package sla

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Status is what a clock is doing at the moment it is measured.
type Status string

// The statuses of a clock.
const (
	// StatusRunning: the clock counts working time now.
	StatusRunning Status = "running"
	// StatusPaused: the ticket is in one of the target's pause states.
	StatusPaused Status = "paused"
	// StatusStopped: the ticket is in a stop state, or a once-only clock has
	// stopped for good.
	StatusStopped Status = "stopped"
	// StatusIdle: an OLA or UC clock whose provider (or, for a group OLA,
	// whose group) does not hold the ticket.
	StatusIdle Status = "idle"
)

// Measurement is the state of one clock of a ticket at a moment.
type Measurement struct {
	Agreement string
	Kind      Kind
	Metric    Metric
	// Priority is the ticket's priority at the moment of measurement; its
	// target and calendar apply to the whole history.
	Priority itsm.Priority
	Target   time.Duration
	// Elapsed is the working time counted; for an update target, since the
	// last update.
	Elapsed time.Duration
	// Remaining is Target minus Elapsed: negative once breached.
	Remaining time.Duration
	// Due is when Elapsed reaches (or reached) Target if the clock keeps
	// running: zero while it neither runs nor has reached the target.
	Due    time.Time
	Status Status
	// Warning is the number of the agreement's warning thresholds reached.
	Warning int
	// Breached reports that Elapsed exceeds Target.
	Breached bool
	// Missed counts the update intervals that overran, the current one
	// included; for other metrics it is 1 when breached.
	Missed int
}

// Paused reports whether the clock stands still in a pause state.
func (m Measurement) Paused() bool { return m.Status == StatusPaused }

// Measure computes a clock of the ticket whose history is tl, as it stands
// at now. The priority in effect at now selects the target, and the whole
// history is measured on that target's calendar, so a priority change
// re-measures from the start without losing elapsed or paused time.
//
// The customer SLA counts every interval; an OLA or UC sees only the
// intervals in which its provider held the ticket, and an OLA naming a
// provider group only those in which that group held it (Provides): the
// others neither count nor stop its clock. Intervals after now are
// ignored, so measuring at an earlier moment shows the clock as it was then.
func (a *Agreement) Measure(tl itsm.Timeline, m Metric, now time.Time) (Measurement, error) {
	if len(tl) == 0 {
		return Measurement{}, itsm.Errorf(itsm.CodeInvalid, "agreement %q: the timeline is empty", a.Name)
	}
	if err := tl.Validate(); err != nil {
		return Measurement{}, err
	}
	cur := tl.At(now)
	if cur < 0 {
		return Measurement{}, itsm.Errorf(itsm.CodeInvalid, "agreement %q: %s is before the timeline starts at %s",
			a.Name, now.Format(time.RFC3339), tl[0].Start.Format(time.RFC3339))
	}
	p := tl[cur].Priority
	t, ok := a.Target(m, p)
	if !ok {
		return Measurement{}, itsm.Errorf(itsm.CodeNotFound, "agreement %q has no %s target for %s", a.Name, m, p)
	}
	if t.Calendar == nil {
		return Measurement{}, itsm.Errorf(itsm.CodeInvalid, "agreement %q: the %s target for %s has no calendar", a.Name, m, p)
	}
	mode := t.mode()
	cal := t.Calendar
	target := t.Within

	var (
		elapsed time.Duration // of the current run
		reached time.Time     // when the current run reached the target
		running time.Time     // start of the counting interval at now
		before  time.Duration // elapsed before that interval
		missed  int
		done    bool // a once-only clock has stopped
		wasOpen bool // the previous interval was held and not stopped
		status  Status
		overrun bool
	)
	for i := 0; i <= cur; i++ {
		iv := &tl[i]
		// An OLA or UC sees only its provider's intervals (a group OLA only
		// its group's): the others neither count nor stop its clock.
		held := a.Provides(iv)
		stop := held && slices.Contains(t.Stop, iv.State)
		open := held && !stop
		if mode == ModeOnce && stop {
			done = true
		}
		if mode == ModeRecurring && open && (iv.Update || !wasOpen) {
			elapsed, reached, overrun = 0, time.Time{}, false
		}
		wasOpen = open
		switch {
		case done || stop:
			status = StatusStopped
		case !held:
			status = StatusIdle
		case slices.Contains(t.Pause, iv.State):
			status = StatusPaused
		default:
			status = StatusRunning
		}
		if status != StatusRunning {
			continue
		}
		end := now
		if i < cur {
			end = tl[i+1].Start
		}
		d := cal.Between(iv.Start, end)
		if elapsed < target && elapsed+d >= target {
			reached = cal.Add(iv.Start, target-elapsed)
		}
		before, running = elapsed, iv.Start
		elapsed += d
		if elapsed > target && !overrun {
			overrun = true
			missed++
		}
	}

	out := Measurement{
		Agreement: a.Name,
		Kind:      a.Kind,
		Metric:    m,
		Priority:  p,
		Target:    target,
		Elapsed:   elapsed,
		Remaining: target - elapsed,
		Status:    status,
		Breached:  elapsed > target,
		Missed:    missed,
	}
	switch {
	case !reached.IsZero():
		out.Due = reached
	case status == StatusRunning:
		out.Due = cal.Add(running, target-before)
	}
	for _, w := range a.Warnings {
		if float64(elapsed) >= w*float64(target) {
			out.Warning++
		}
	}
	return out, nil
}
