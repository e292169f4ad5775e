package sla

import (
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kind says which link of the support chain an agreement covers (SL-1).
type Kind string

// The kinds of agreement.
const (
	// KindSLA is the service level agreement between the desk and the
	// customer. It measures a ticket end to end, whoever holds it.
	KindSLA Kind = "SLA"
	// KindOLA is an operational level agreement with an internal unit.
	KindOLA Kind = "OLA"
	// KindUC is an underpinning contract with an external supplier.
	KindUC Kind = "UC"
)

// Scope says what an agreement measures: the desk's incidents, the
// orders placed from the catalogue and their tasks (decision 82), or the
// investigations of problems. An item
// names the agreements of its orders; an incident is measured against every
// incident agreement whose parties match, so without a scope an agreement
// written for orders would measure incidents too.
type Scope string

// The scopes of an agreement.
const (
	// ScopeIncidents: the agreement measures incidents. The zero Scope
	// means the same, so that every agreement written before scopes
	// existed keeps its meaning.
	ScopeIncidents Scope = "incidents"
	// ScopeRequests: the agreement measures orders and their tasks, and
	// only those whose item names it; never an incident.
	ScopeRequests Scope = "requests"
	// ScopeProblems: the agreement measures the investigations of
	// problems along the chain (the desk's SLA on its problems, a
	// supplier's UC on those it investigates); never an incident or an
	// order.
	ScopeProblems Scope = "problems"
)

// Incidents reports whether an agreement of scope s measures incidents:
// ScopeIncidents, or no scope at all.
func (s Scope) Incidents() bool { return s == "" || s == ScopeIncidents }

// Metric names what a target measures.
type Metric string

// The metrics every domain package understands. Agreements may define others
// (for example "acknowledge" or "route", SL-3) by giving their Mode.
const (
	// MetricResponse runs from registration (or, for an OLA or UC, from
	// delegation) until the ticket first reaches a stop state.
	MetricResponse Metric = "response"
	// MetricResolution runs while the ticket is open; a reopened ticket's
	// clock resumes where it stopped.
	MetricResolution Metric = "resolution"
	// MetricUpdate is the longest allowed silence: it restarts at each
	// status update from the holder (SD-8).
	MetricUpdate Metric = "update"
)

// Mode is how a target's clock runs over a timeline.
type Mode int

// The modes of a clock.
const (
	// ModeDefault takes the mode of a well-known metric: ModeOnce for
	// response, ModeCumulative for resolution and ModeRecurring for update.
	ModeDefault Mode = iota
	// ModeOnce runs until the first entry into a stop state and never again.
	ModeOnce
	// ModeCumulative runs whenever the ticket is not in a stop state.
	ModeCumulative
	// ModeRecurring restarts whenever the provider takes the ticket or posts a
	// status update, and counts every interval that overran as missed.
	ModeRecurring
)

func (m Metric) defaultMode() Mode {
	switch m {
	case MetricResponse:
		return ModeOnce
	case MetricResolution:
		return ModeCumulative
	case MetricUpdate:
		return ModeRecurring
	}
	return ModeDefault
}

// Target is one promise of an agreement: a metric met within a working time
// on a calendar, for one priority.
type Target struct {
	Metric   Metric
	Priority itsm.Priority
	// Within is the working time allowed on Calendar.
	Within   time.Duration
	Calendar *Calendar
	Mode     Mode
	// Pause holds the states in which the clock stands still, such as
	// waiting for the user.
	Pause []itsm.State
	// Stop holds the states that end the clock: responded, resolved, closed.
	Stop []itsm.State
}

func (t *Target) mode() Mode {
	if t.Mode != ModeDefault {
		return t.Mode
	}
	return t.Metric.defaultMode()
}

// Agreement is an SLA, OLA or UC: who provides, who consumes, and the targets
// per metric and priority that the provider promises.
type Agreement struct {
	Name     string
	Kind     Kind
	Provider itsm.ID
	Consumer itsm.ID
	// ProviderGroup, set only on an OLA, narrows the provider to one of its
	// groups (package chain): the OLA's clocks then run only while that
	// group holds the ticket, as a UC's run only while its supplier does.
	ProviderGroup itsm.ID
	// ConsumerGroup, set only on an OLA, names the group the promise is
	// made to, such as the desk's first line. It changes no measurement; it
	// is what makes an OLA between two groups of one organisation, whose
	// provider and consumer are the same, say who promises whom.
	ConsumerGroup itsm.ID
	// Scope says whether the agreement measures incidents (the zero
	// value), orders and their tasks, or problems.
	Scope   Scope
	Targets []Target
	// Warnings are fractions of a target, in increasing order, at which a
	// clock raises its warning level, such as 0.5 and 0.75.
	Warnings []float64
	// Objective is the share of tickets that must meet each target in a
	// period, such as 0.95.
	Objective float64
	// Credits, when set, are the service credits the provider owes for a
	// period below the objective (SL-4).
	Credits *Credits
}

// Party reports whether org is the agreement's provider or consumer. An
// agreement, its targets, its figures and its credits are the business of
// its two parties only: another desk's or another supplier's agreement does
// not exist for an organisation (SD-10).
func (a *Agreement) Party(org itsm.ID) bool {
	return !org.IsZero() && (org == a.Provider || org == a.Consumer)
}

// Desk returns the service desk the agreement belongs to: the provider of
// an SLA, which the desk promises its customer, and the consumer of an OLA
// or UC, which underpins the desk's promises (SL-1).
func (a *Agreement) Desk() itsm.ID {
	if a.Kind == KindSLA {
		return a.Provider
	}
	return a.Consumer
}

// Provides reports whether iv is one of the intervals the agreement's
// provider answers for: every interval for an SLA, which runs end to end;
// for an OLA or UC those in which its provider held the ticket and, for an
// OLA naming a provider group, held it in that group.
func (a *Agreement) Provides(iv *itsm.Interval) bool {
	if a.Kind == KindSLA {
		return true
	}
	return iv.Holder == a.Provider && (a.ProviderGroup.IsZero() || iv.Group == a.ProviderGroup)
}

// HeldIn reports whether the agreement's provider held the ticket of
// timeline tl at some time: for an OLA naming a provider group, whether that
// group did. An SLA's provider, the desk, holds every ticket it owns.
func (a *Agreement) HeldIn(tl itsm.Timeline) bool {
	for i := range tl {
		if a.Provides(&tl[i]) {
			return true
		}
	}
	return false
}

// Validate reports the first thing wrong with the agreement.
func (a *Agreement) Validate() error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "agreement %q: "+format, append([]any{a.Name}, args...)...)
	}
	switch {
	case a.Name == "":
		return invalid("name must not be empty")
	case strings.TrimSpace(a.Name) != a.Name:
		return invalid("name has space at its start or end")
	case a.Kind != KindSLA && a.Kind != KindOLA && a.Kind != KindUC:
		return invalid("kind %q is not SLA, OLA or UC", a.Kind)
	case !a.Scope.Incidents() && a.Scope != ScopeRequests && a.Scope != ScopeProblems:
		return invalid("scope %q is not incidents, requests or problems", a.Scope)
	case a.Provider.IsZero():
		return invalid("provider is empty")
	case a.Consumer.IsZero():
		return invalid("consumer is empty")
	case a.Kind != KindOLA && !(a.ProviderGroup.IsZero() && a.ConsumerGroup.IsZero()):
		// An SLA runs end to end, and a UC binds the supplier as a whole:
		// which of its teams works the ticket is the supplier's business.
		return invalid("only an OLA names a provider or consumer group, not a %s", a.Kind)
	case a.Provider == a.Consumer && a.Kind != KindOLA:
		return invalid("provider and consumer are the same organisation %s", a.Provider)
	case a.Provider == a.Consumer && (a.ProviderGroup.IsZero() || a.ConsumerGroup.IsZero()):
		return invalid("provider and consumer are the same organisation %s, so the OLA must name both groups", a.Provider)
	case a.Provider == a.Consumer && a.ProviderGroup == a.ConsumerGroup:
		return invalid("provider and consumer are the same group %s of %s", a.ProviderGroup, a.Provider)
	case !(a.Objective > 0 && a.Objective <= 1):
		return invalid("objective %v is not in (0, 1]", a.Objective)
	case len(a.Targets) == 0:
		return invalid("has no targets")
	}
	// Reports and legends show the name, and a desk tells its agreements
	// apart by it: it is a label like a ticket's summary.
	if err := itsm.CheckLabel("name", a.Name); err != nil {
		return invalid("%w", err)
	}
	if a.Credits != nil {
		if err := a.Credits.Validate(); err != nil {
			return invalid("%w", err)
		}
	}
	for i, w := range a.Warnings {
		if !(w > 0 && w < 1) || (i > 0 && w <= a.Warnings[i-1]) {
			return invalid("warnings %v must increase within (0, 1)", a.Warnings)
		}
	}
	for i := range a.Targets {
		t := &a.Targets[i]
		switch {
		case t.Metric == "":
			return invalid("target %d: metric is empty", i)
		case t.Priority < 1:
			return invalid("target %d (%s): priority %d is not 1 or more", i, t.Metric, t.Priority)
		case t.Within <= 0:
			return invalid("target %d (%s %s): within %s is not positive", i, t.Metric, t.Priority, t.Within)
		case t.Calendar == nil:
			return invalid("target %d (%s %s): calendar is missing", i, t.Metric, t.Priority)
		case t.Mode < ModeDefault || t.Mode > ModeRecurring:
			return invalid("target %d (%s %s): mode %d is unknown", i, t.Metric, t.Priority, t.Mode)
		case t.mode() == ModeDefault:
			return invalid("target %d: metric %q is not built in, so it needs a mode", i, t.Metric)
		case len(t.Stop) == 0:
			return invalid("target %d (%s %s): no stop states, so the clock never stops", i, t.Metric, t.Priority)
		}
		for _, s := range t.Pause {
			if slices.Contains(t.Stop, s) {
				return invalid("target %d (%s %s): state %q both pauses and stops", i, t.Metric, t.Priority, s)
			}
		}
		for j := range i {
			if a.Targets[j].Metric == t.Metric && a.Targets[j].Priority == t.Priority {
				return invalid("targets %d and %d are both %s for %s", j, i, t.Metric, t.Priority)
			}
		}
	}
	return nil
}

// Target returns the target for a metric at a priority.
func (a *Agreement) Target(m Metric, p itsm.Priority) (*Target, bool) {
	for i := range a.Targets {
		if a.Targets[i].Metric == m && a.Targets[i].Priority == p {
			return &a.Targets[i], true
		}
	}
	return nil, false
}
