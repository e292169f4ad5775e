package report

import (
	"cmp"
	"errors"
	"iter"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Problem is what the problem figures (Report.Problems) need of one
// problem (PM-1). The problem package fills it from its store; a supplier
// can fill it from its own system or a log file.
type Problem struct {
	ID     itsm.ID `json:"id"`
	Number string  `json:"number"`
	// Desk is the desk whose delivery the problem belongs to.
	Desk itsm.ID `json:"desk"`
	// Held is who held its investigation, spell by spell in order: each
	// spell lasts until the next begins, the last until now, and the
	// first begins when it was opened. Consecutive spells of one
	// organisation may be given apart or merged; HoldingsOf makes them
	// from a timeline.
	Held []Holding `json:"held"`
	// Opened is when it was recorded; Resolved when the holder last
	// reported its root cause removed, and Closed when the desk closed or
	// cancelled it: zero while it has not.
	Opened   time.Time `json:"opened"`
	Resolved time.Time `json:"resolved,omitzero"`
	Closed   time.Time `json:"closed,omitzero"`
}

// Holding is one spell in which an organisation (the desk or a supplier)
// held a problem's investigation, from From until the next spell begins.
type Holding struct {
	Organisation itsm.ID   `json:"organisation"`
	From         time.Time `json:"from"`
}

// HoldingsOf returns the spells of holding of timeline tl: one per run of
// intervals with one holder, from the run's first start. It is what
// Problem.Held needs of a ticket measured by a timeline.
func HoldingsOf(tl itsm.Timeline) []Holding {
	var out []Holding
	for _, iv := range tl {
		if n := len(out); n == 0 || out[n-1].Organisation != iv.Holder {
			out = append(out, Holding{Organisation: iv.Holder, From: iv.Start})
		}
	}
	return out
}

// The statuses of a known error's permanent fix, as KnownError.Fix spells
// them (those of the problem package).
const (
	FixNone       = "none"
	FixPlanned    = "planned"
	FixInProgress = "in_progress"
	FixReleased   = "released"
	FixRejected   = "rejected"
)

// KnownError is what the problem figures need of one known error of the
// known-error database (PM-2).
type KnownError struct {
	ID     itsm.ID `json:"id"`
	Number string  `json:"number"`
	Desk   itsm.ID `json:"desk"`
	// RecordedBy is the organisation that recorded it: the desk, or the
	// supplier whose investigation found the root cause. Its figures
	// count it (decision 105).
	RecordedBy itsm.ID   `json:"recorded_by"`
	Created    time.Time `json:"created"`
	// Fix is the status of its permanent fix now: FixNone, FixPlanned,
	// FixInProgress, FixReleased or FixRejected (no fix will be made).
	Fix string `json:"fix"`
	// FixReleased is when the fix was released: set exactly when Fix is
	// FixReleased.
	FixReleased time.Time `json:"fix_released,omitzero"`
	// Retired is when it was retired (it no longer occurs), and zero while
	// it is not.
	Retired time.Time `json:"retired,omitzero"`
}

// ProblemSource yields the problems a report reads, or an error that ends
// the report; KnownErrorSource the known errors. Either may yield records
// that do not matter to the period; Compute skips them.
type (
	ProblemSource    = iter.Seq2[Problem, error]
	KnownErrorSource = iter.Seq2[KnownError, error]
)

// ListProblems is a ProblemSource over a slice.
func ListProblems(ps []Problem) ProblemSource { return sliceSource(ps) }

// ListKnownErrors is a KnownErrorSource over a slice.
func ListKnownErrors(ks []KnownError) KnownErrorSource { return sliceSource(ks) }

// ReadProblems makes a ProblemSource of read, as Read makes a Source.
func ReadProblems(read func(yield func(Problem) bool) error) ProblemSource { return readSource(read) }

// ReadKnownErrors makes a KnownErrorSource of read, as Read makes a
// Source.
func ReadKnownErrors(read func(yield func(KnownError) bool) error) KnownErrorSource {
	return readSource(read)
}

// sliceSource yields the records of s with no error.
func sliceSource[T any](s []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range s {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// readSource makes a source of read: see Read.
func readSource[T any](read func(yield func(T) bool) error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if err := read(func(v T) bool { return yield(v, nil) }); err != nil && !errors.Is(err, ErrStopped) {
			var zero T
			yield(zero, err)
		}
	}
}

// Problems are the figures of problems, known errors and workarounds of a
// period (PM-1, PM-2): in total, and per organisation as decision 105
// attributes them.
type Problems struct {
	Total ProblemFigures `json:"total"`
	// Organisations are the desk and the suppliers with a figure other
	// than zero: first the suppliers of Report.Suppliers in their order,
	// then the others by name and ID.
	Organisations []ProblemGroup `json:"organisations"`
}

// ProblemGroup is the problem figures of one organisation.
type ProblemGroup struct {
	Organisation itsm.ID `json:"organisation"`
	// Name is its display name from Spec.Names, empty when it has none.
	Name    string         `json:"name,omitempty"`
	Figures ProblemFigures `json:"figures"`
}

// ProblemFigures count problems, known errors and the incidents resolved
// by a workaround, in total or for one organisation. What an organisation's
// figures count is said field by field (decision 105).
type ProblemFigures struct {
	// Opened counts the problems opened in the period: for an
	// organisation, those of them whose investigation it held before the
	// period's end, as a supplier's incident figures count the incidents
	// it held.
	Opened int `json:"opened"`
	// Resolved counts the problems resolved in the period: for an
	// organisation, those it held just before their resolution, the one
	// that resolved them.
	Resolved int `json:"resolved"`
	// Open counts the problems open at the end of the period (opened
	// before it, neither resolved nor closed by then): for an
	// organisation, those it held then.
	Open int `json:"open"`
	// KnownErrorsUnfixed counts the known errors without a permanent fix at the
	// end of the period: created before it, their fix not released and
	// they not retired by then (a rejected fix is none); for an
	// organisation, those it recorded.
	KnownErrorsUnfixed int `json:"known_errors_unfixed"`
	// IncidentsResolved counts the incidents resolved in the period, as
	// Figures.Resolved does; for an organisation, those it held when it
	// resolved them (the last time in the period, for one resolved more
	// than once). ByWorkaround counts those of them whose resolution was
	// by a workaround (Ticket.Workaround).
	IncidentsResolved int `json:"incidents_resolved"`
	ByWorkaround      int `json:"by_workaround"`
	// WorkaroundShare is ByWorkaround / IncidentsResolved, and nil when no
	// incident was resolved: no incident, no figure.
	WorkaroundShare *float64 `json:"workaround_share" jsonschema:"nullable"`
}

// problemTally accumulates Report.Problems over the reported period.
type problemTally struct {
	total problemCounts
	orgs  map[itsm.ID]*problemCounts
}

type problemCounts struct {
	opened, resolved, open, knownErrors, incidents, byWorkaround int
}

func (t *problemTally) org(id itsm.ID) *problemCounts {
	c, ok := t.orgs[id]
	if !ok {
		c = &problemCounts{}
		t.orgs[id] = c
	}
	return c
}

// checkProblem reports the first thing wrong with pr, naming it.
func checkProblem(pr *Problem) error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: problem %s: "+format,
			append([]any{recordName(pr.Number, pr.ID)}, args...)...)
	}
	switch {
	case pr.Desk.IsZero():
		return invalid("desk is empty")
	case pr.Opened.IsZero():
		return invalid("opened is zero")
	case len(pr.Held) == 0:
		return invalid("no organisation held it")
	case !pr.Held[0].From.Equal(pr.Opened):
		return invalid("its first holding begins at %s, not when it was opened, %s",
			pr.Held[0].From.Format(time.RFC3339Nano), pr.Opened.Format(time.RFC3339Nano))
	case !pr.Resolved.IsZero() && pr.Resolved.Before(pr.Opened):
		return invalid("resolved %s is before opened %s", pr.Resolved.Format(time.RFC3339Nano), pr.Opened.Format(time.RFC3339Nano))
	case !pr.Closed.IsZero() && pr.Closed.Before(pr.Opened):
		return invalid("closed %s is before opened %s", pr.Closed.Format(time.RFC3339Nano), pr.Opened.Format(time.RFC3339Nano))
	case !pr.Closed.IsZero() && pr.Closed.Before(pr.Resolved):
		return invalid("closed %s is before resolved %s", pr.Closed.Format(time.RFC3339Nano), pr.Resolved.Format(time.RFC3339Nano))
	}
	for i, h := range pr.Held {
		switch {
		case h.Organisation.IsZero():
			return invalid("holding %d has no organisation", i)
		case i > 0 && h.From.Before(pr.Held[i-1].From):
			return invalid("holding %d begins at %s, before holding %d", i, h.From.Format(time.RFC3339Nano), i-1)
		}
	}
	return nil
}

// checkKnownError reports the first thing wrong with k, naming it.
func checkKnownError(k *KnownError) error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: known error %s: "+format,
			append([]any{recordName(k.Number, k.ID)}, args...)...)
	}
	switch {
	case k.Desk.IsZero():
		return invalid("desk is empty")
	case k.RecordedBy.IsZero():
		return invalid("the organisation that recorded it is empty")
	case k.Created.IsZero():
		return invalid("created is zero")
	case !slices.Contains([]string{FixNone, FixPlanned, FixInProgress, FixReleased, FixRejected}, k.Fix):
		return invalid("fix status %q is not none, planned, in_progress, released or rejected", k.Fix)
	case (k.Fix == FixReleased) == k.FixReleased.IsZero():
		return invalid("a released fix, and only one, says when it was released")
	case !k.FixReleased.IsZero() && k.FixReleased.Before(k.Created):
		return invalid("its fix was released at %s, before it was created at %s",
			k.FixReleased.Format(time.RFC3339Nano), k.Created.Format(time.RFC3339Nano))
	case !k.Retired.IsZero() && k.Retired.Before(k.Created):
		return invalid("retired %s is before created %s", k.Retired.Format(time.RFC3339Nano), k.Created.Format(time.RFC3339Nano))
	}
	return nil
}

func recordName(number string, id itsm.ID) string {
	if number != "" {
		return number
	}
	return id.String()
}

// before reports whether t is set and before end.
func before(t, end time.Time) bool { return !t.IsZero() && t.Before(end) }

// holderBefore returns who held pr just before t: the last spell that
// began before t, or the first when none did. A spell that begins at t,
// such as the desk's when a supplier reports back as it resolves, follows
// what happened at t.
func holderBefore(pr *Problem, t time.Time) itsm.ID {
	h := pr.Held[0].Organisation
	for _, s := range pr.Held[1:] {
		if !s.From.Before(t) {
			break
		}
		h = s.Organisation
	}
	return h
}

// addProblem counts pr in the figures of the reported period p.
func (t *problemTally) addProblem(pr *Problem, p Period) {
	if !pr.Opened.Before(p.To) {
		return
	}
	if within(pr.Opened, p) {
		t.total.opened++
		seen := map[itsm.ID]bool{}
		for _, h := range pr.Held {
			if h.From.Before(p.To) && !seen[h.Organisation] {
				seen[h.Organisation] = true
				t.org(h.Organisation).opened++
			}
		}
	}
	if within(pr.Resolved, p) {
		t.total.resolved++
		t.org(holderBefore(pr, pr.Resolved)).resolved++
	}
	if !before(pr.Resolved, p.To) && !before(pr.Closed, p.To) {
		t.total.open++
		t.org(holderBefore(pr, p.To)).open++
	}
}

// addKnownError counts k in the figures of the reported period p.
func (t *problemTally) addKnownError(k *KnownError, p Period) {
	if !k.Created.Before(p.To) || before(k.FixReleased, p.To) || before(k.Retired, p.To) {
		return
	}
	t.total.knownErrors++
	t.org(k.RecordedBy).knownErrors++
}

// addIncident counts an incident resolved in the reported period by
// resolver, by a workaround or not.
func (t *problemTally) addIncident(resolver itsm.ID, workaround bool) {
	for _, c := range []*problemCounts{&t.total, t.org(resolver)} {
		c.incidents++
		c.byWorkaround += b2i(workaround)
	}
}

// report returns the figures; suppliers and names order and name the
// organisations.
func (t *problemTally) report(suppliers []itsm.ID, names map[itsm.ID]string) *Problems {
	if t == nil {
		return nil
	}
	out := &Problems{Total: t.total.figures(), Organisations: make([]ProblemGroup, 0, len(t.orgs))}
	for id, c := range t.orgs {
		if *c != (problemCounts{}) {
			out.Organisations = append(out.Organisations, ProblemGroup{Organisation: id, Name: names[id], Figures: c.figures()})
		}
	}
	rank := func(id itsm.ID) int {
		if i := slices.Index(suppliers, id); i >= 0 {
			return i
		}
		return len(suppliers)
	}
	slices.SortFunc(out.Organisations, func(a, b ProblemGroup) int {
		return cmp.Or(cmp.Compare(rank(a.Organisation), rank(b.Organisation)), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Organisation.String(), b.Organisation.String()))
	})
	return out
}

func (c *problemCounts) figures() ProblemFigures {
	return ProblemFigures{Opened: c.opened, Resolved: c.resolved, Open: c.open, KnownErrorsUnfixed: c.knownErrors,
		IncidentsResolved: c.incidents, ByWorkaround: c.byWorkaround, WorkaroundShare: share(c.byWorkaround, c.incidents)}
}
