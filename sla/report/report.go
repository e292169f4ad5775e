package report

import (
	"errors"
	"iter"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Ticket is what a report needs of one ticket. The incident package fills it
// from the store; a supplier can fill it from its own system.
type Ticket struct {
	ID     itsm.ID `json:"id"`
	Number string  `json:"number"`
	// Desk owns the ticket and provides the customer's SLA; Customer is the
	// organisation whose user reported it (zero if unknown).
	Desk     itsm.ID `json:"desk"`
	Customer itsm.ID `json:"customer,omitzero"`
	Service  string  `json:"service,omitempty"`
	Category string  `json:"category,omitempty"`
	// Registered is when the desk registered it; the timeline starts then.
	Registered time.Time     `json:"registered"`
	Timeline   itsm.Timeline `json:"timeline"`
	// FirstContact reports that the desk resolved it without delegating.
	FirstContact bool `json:"first_contact,omitempty"`
	// Reassignments counts delegations after the first; PingPong those to
	// an organisation that had held it before (SD-7).
	Reassignments int `json:"reassignments,omitempty"`
	PingPong      int `json:"ping_pong,omitempty"`
	// Moves counts its changes from one group to another inside the
	// organisation holding it (decision 55): no re-assignment, a KPI of its
	// own.
	Moves int `json:"moves,omitempty"`
	// Reopened counts how often it was reopened after a resolution.
	Reopened int `json:"reopened,omitempty"`
	// Kind is what the ticket is: an incident (KindIncident, or empty as
	// before kinds existed), an order placed from the catalogue
	// (KindOrder) or one of its tasks (KindTask). An incident is measured
	// by the agreements scoped to incidents, an order or a task by those
	// scoped to requests that Agreements names (decision 82).
	Kind TicketKind `json:"kind,omitempty"`
	// Agreements are, for an order or a task, the names of the agreements
	// its item names; only those measure it.
	Agreements []string `json:"agreements,omitempty"`
	// Order is what the request figures (Report.Requests) need of an
	// order, and nil for an incident or a task.
	Order *Order `json:"order,omitempty"`
	// Workaround is, for an incident resolved by a workaround of the
	// workaround database (PM-2), that workaround's number or ID, and
	// empty otherwise: that of its latest resolution, so a reopened
	// incident resolved again without one has none. Report.Problems
	// counts the incidents resolved by a workaround from it.
	Workaround string `json:"workaround,omitempty"`
}

// TicketKind says what a Ticket is.
type TicketKind string

// The kinds of ticket.
const (
	KindIncident TicketKind = "incident"
	KindOrder    TicketKind = "order"
	KindTask     TicketKind = "task"
)

// Request reports whether a ticket of kind k is an order or a task, which
// the agreements scoped to requests measure, rather than an incident.
func (k TicketKind) Request() bool { return k == KindOrder || k == KindTask }

// Order is what the report needs of an order beyond its timeline: what was
// ordered and when its approval and fulfilment happened. Its times are
// zero until the event. The ticket's Registered is when it was placed.
type Order struct {
	// Item is the catalogue item ordered, ItemName its name as the report
	// shows it, and Type the item's type ("A", "B" or "C").
	Item     itsm.ID `json:"item"`
	ItemName string  `json:"item_name,omitempty"`
	Type     string  `json:"type"`
	// Fulfilled is when the order was fulfilled: every task done, or for
	// type A its fulfilment in code succeeded.
	Fulfilled time.Time `json:"fulfilled,omitzero"`
	// Closed, Declined and Cancelled are when it was closed, declined
	// (by an approver or for want of an approval in time) and cancelled.
	Closed    time.Time `json:"closed,omitzero"`
	Declined  time.Time `json:"declined,omitzero"`
	Cancelled time.Time `json:"cancelled,omitzero"`
	// Approval, for an order whose item asks for one, is when the
	// approvers decided it (approved, declined or expired); zero while
	// they have not.
	Approval *Approval `json:"approval,omitempty"`
}

// Approval is when an order's approval was decided and how.
type Approval struct {
	Decided time.Time `json:"decided,omitzero"`
	// Outcome is "approved", "declined" or "expired" once decided.
	Outcome string `json:"outcome,omitempty"`
}

// Source yields the tickets a report reads, or an error that ends the
// report. It may yield tickets outside the report's periods; Compute skips
// them.
type Source = iter.Seq2[Ticket, error]

// ErrStopped is what the reading function of Read returns when yield told
// it to stop: the consumer had read enough, which is no error.
var ErrStopped = errors.New("report: the consumer of the tickets stopped")

// Read makes a Source of read, which hands each ticket to yield and
// returns ErrStopped as soon as yield returns false (typically to end a
// read transaction early). Any other error read returns ends the
// iteration with it.
func Read(read func(yield func(Ticket) bool) error) Source { return readSource(read) }

// Tickets is a Source over a slice.
func Tickets(ts []Ticket) Source { return sliceSource(ts) }

// Period is the half-open interval [From, To) that a report covers.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Check refuses, with CodeInvalid, a period without both ends or whose
// From is not before its To: what a source of records over a store, such
// as incident.Service.Tickets, refuses before it reads anything.
func (p Period) Check() error {
	if p.From.IsZero() || p.To.IsZero() || !p.From.Before(p.To) {
		return itsm.Errorf(itsm.CodeInvalid, "report period: from %s must be before to %s",
			p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	}
	return nil
}

// Month is the calendar month in loc.
func Month(year int, month time.Month, loc *time.Location) Period {
	return Period{From: firstInstant(year, month, loc), To: firstInstant(year, month+1, loc)}
}

// Year is the calendar year in loc.
func Year(year int, loc *time.Location) Period {
	return Period{From: firstInstant(year, time.January, loc), To: firstInstant(year+1, time.January, loc)}
}

// firstInstant is the first moment of the month's first day in loc. Where
// clocks jump over that midnight, time.Date answers with an instant of the
// day before; the day then begins when the jump ends its zone.
func firstInstant(year int, month time.Month, loc *time.Location) time.Time {
	t := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	if t.Day() != 1 {
		_, t = t.ZoneBounds()
	}
	return t
}

// Duration is a time.Duration that reads and writes JSON and CSV as
// Duration.String does ("26h30m0s"), so that reports stay readable.
type Duration time.Duration

// Spec says what to report on.
type Spec struct {
	// Period is the period reported; it must not be empty.
	Period Period
	// Agreements are measured: the customers' SLAs and the suppliers' UCs
	// and OLAs. An SLA measures the tickets of its provider (the desk) for
	// its consumer (the customer) end to end; a UC or OLA the tickets its
	// provider held for its consumer (the desk), over the intervals it held
	// them (SL-1). Names are unique per desk (sla.Agreement.Desk): two
	// desks' agreements may share one.
	Agreements []*sla.Agreement
	// Previous is the number of periods before Period, each as long in the
	// calendar (the months before a month), whose summary makes the trend;
	// at most 36.
	Previous int
	// Ageing holds the lower bounds of the backlog's age buckets in calendar
	// time, increasing from zero; nil or empty means DefaultAgeing.
	Ageing []time.Duration
	// Resolved are the states in which a ticket counts as resolved, and
	// Ended those in which it is out of the backlog for good; nil or empty
	// means "resolved" and "closed", and "closed" and "cancelled".
	Resolved, Ended []itsm.State
	// Names are the display names of organisations and groups, by ID, for
	// the supplier and group breakdowns, the agreements' ProviderName and
	// ConsumerName, and the HTML page.
	Names map[itsm.ID]string
	// Groups are the organisations whose groups the report breaks down
	// (Report.Groups): those whose insides the report's reader may see,
	// such as its own organisation. A ticket's timeline names every
	// holder's groups, so a breakdown of all of them would show a supplier
	// the groups of the desk and of other suppliers. Nil means none.
	Groups []itsm.ID
	// Calendar is the working time of the request figures' lead and
	// approval times, such as the desk's office hours; nil means the
	// calendar of the first target of the first agreement for requests,
	// and calendar time when there is none.
	Calendar *sla.Calendar
	// Problems and KnownErrors are the problems and known errors whose
	// figures make Report.Problems, together with the incidents resolved
	// by a workaround (Ticket.Workaround). Report.Problems is there when
	// either is set, and nil otherwise, so that a report not asked for
	// them reads as before they existed; a source that yields nothing
	// asks for zeros (ListProblems(nil) to count workarounds alone).
	// They are read once, after the tickets, for the reported period
	// only: the trend has no problem figures.
	Problems    ProblemSource
	KnownErrors KnownErrorSource
	// Now is when the report is made; zero means time.Now(). A period that
	// has not ended by then is measured at Now instead of its end, and the
	// report is Partial. A period that has not begun by then is refused.
	Now time.Time
}

// DefaultAgeing buckets the backlog at less than a day, one to three days,
// three to seven, seven to thirty, and thirty days or more.
var DefaultAgeing = []time.Duration{0, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Report is the outcome of Compute. Its lists but Groups are never nil, so
// that its JSON always has arrays where Schema says so.
type Report struct {
	Period Period `json:"period"`
	// Zone is the IANA name of the time zone of the period's calendar,
	// such as "Europe/Stockholm", when Compute knew it; empty for a fixed
	// offset. JSON and CSV keep only offsets in their times, so reading a
	// report back puts its times in this zone again: a month that ends in
	// another offset than it begins is still a month.
	Zone string `json:"zone,omitempty"`
	// Partial is set when the period had not ended when the report was
	// made: its figures are those at AsOf, and will change.
	Partial bool `json:"partial,omitempty"`
	// AsOf is when a Partial report was measured, and zero otherwise.
	AsOf time.Time `json:"as_of,omitzero"`
	// Total covers every ticket of the delivery.
	Total Figures `json:"total"`
	// Agreements has one entry per agreement of the Spec, in its order.
	Agreements []AgreementFigures `json:"agreements"`
	// Priorities, Suppliers and Categories break Total down. A supplier's
	// group holds the tickets it held and only its own agreements' metrics;
	// suppliers come in the order of their first agreement in the Spec.
	Priorities []Group `json:"priorities"`
	Suppliers  []Group `json:"suppliers"`
	Categories []Group `json:"categories"`
	// Groups breaks Total down by the groups of the organisations of
	// Spec.Groups: a group's figures hold the tickets it held before the
	// period's end, and only the metrics of its organisation's agreements
	// (the desk's SLAs for the desk's groups, a supplier's UCs for its
	// teams). Groups come by organisation in the order of Spec.Groups, then
	// by name and key. Unlike the other lists it is nil, and left out of
	// the JSON, when it has no group: a report that breaks down no group
	// reads as every report before groups existed, follow-ups frozen then
	// included.
	Groups []Group `json:"groups,omitempty"`
	// Trend holds the previous periods, oldest first, then this one.
	Trend []TrendPoint `json:"trend"`
	// Requests are the figures of the orders placed from the catalogue
	// in the period. Like Groups it is nil, and left out of the JSON,
	// when no order mattered to the period: a report of incidents alone
	// reads as every report before requests existed, follow-ups frozen
	// then included.
	Requests *Requests `json:"requests,omitempty"`
	// Problems are the figures of problems, known errors and incidents
	// resolved by a workaround in the period (issue 16), and nil, left
	// out of the JSON, when the Spec asked for none (Spec.Problems and
	// Spec.KnownErrors both nil): reports made before read as before.
	Problems *Problems `json:"problems,omitempty"`
}

// Requests are the figures of the orders of a period (issue 15): how many
// were placed, fulfilled, closed, declined and cancelled, how long they
// took from placing to fulfilment (lead time) and to the approvers'
// decision (approval time), in all, by type and by item. How each
// agreement for requests was met is in Report.Agreements, and each
// supplier's tasks are in its group of Report.Suppliers.
type Requests struct {
	// Calendar is the name of the calendar whose working time the lead
	// and approval times are (Spec.Calendar, else that of the first
	// agreement for requests); empty when they are calendar time, for
	// want of either.
	Calendar string         `json:"calendar,omitempty"`
	Total    RequestFigures `json:"total"`
	// Types has the types of order ("A", "B", "C") that occurred, in
	// that order; Items the items ordered, by name and ID.
	Types []RequestGroup `json:"types"`
	Items []RequestGroup `json:"items"`
}

// RequestGroup is the figures of one type of order or one item.
type RequestGroup struct {
	// Key is the type, or the item's ID; Name the item's name.
	Key     string         `json:"key"`
	Name    string         `json:"name,omitempty"`
	Figures RequestFigures `json:"figures"`
}

// RequestFigures count the orders that were placed, fulfilled, closed,
// declined and cancelled in the period, each once, and describe the lead
// times of those fulfilled in it and the approval times of those whose
// approvers decided in it.
type RequestFigures struct {
	Placed    int `json:"placed"`
	Fulfilled int `json:"fulfilled"`
	Closed    int `json:"closed"`
	Declined  int `json:"declined"`
	Cancelled int `json:"cancelled"`
	// LeadTime is the working time from placing to fulfilment.
	LeadTime Times `json:"lead_time"`
	// ApprovalTime is the working time from placing to the approvers'
	// decision: approved, declined or expired.
	ApprovalTime Times `json:"approval_time"`
}

// Times describe Count durations; Mean, Median and P90 (nearest rank, as
// the metrics') are nil when Count is zero: no order gives no figure.
type Times struct {
	Count  int       `json:"count"`
	Mean   *Duration `json:"mean" jsonschema:"nullable"`
	Median *Duration `json:"median" jsonschema:"nullable"`
	P90    *Duration `json:"p90" jsonschema:"nullable"`
}

// Figures are the numbers of one group of tickets in a period.
type Figures struct {
	// Registered, Resolved, Closed and Cancelled count the tickets that
	// entered that state in the period, each ticket once per period however
	// often it did.
	Registered int `json:"registered"`
	Resolved   int `json:"resolved"`
	Closed     int `json:"closed"`
	Cancelled  int `json:"cancelled"`
	// Of the tickets resolved in the period: resolved at first contact,
	// their re-assignments and ping-pongs, and those reopened at least once.
	FirstContact int `json:"first_contact"`
	// FirstContactRate is FirstContact / Resolved, and nil when none was
	// resolved: no ticket gives no figure, rather than a 0 % nobody earned.
	FirstContactRate *float64 `json:"first_contact_rate" jsonschema:"nullable"`
	Reassignments    int      `json:"reassignments"`
	PingPong         int      `json:"ping_pong"`
	// Moves are the changes from one group to another inside the holding
	// organisation of the tickets resolved in the period: counted apart
	// from Reassignments, which are between organisations (decision 55).
	Moves    int `json:"moves"`
	Reopened int `json:"reopened"`
	// ReopenRate is Reopened / Resolved, and nil when none was resolved.
	ReopenRate *float64 `json:"reopen_rate" jsonschema:"nullable"`
	// Backlog is what was open at the end of the period (at AsOf for a
	// Partial report).
	Backlog Backlog `json:"backlog"`
	// Metrics has one entry per agreement metric that measured a ticket of
	// the group, in the order of the Spec's agreements and their targets.
	Metrics []MetricFigures `json:"metrics"`
}

// Backlog is the tickets open (neither resolved nor ended) at the end of a
// period, by calendar age since registration.
type Backlog struct {
	Open   int         `json:"open"`
	Ageing []AgeBucket `json:"ageing"`
}

// AgeBucket counts the open tickets at least Over old and younger than the
// next bucket's Over.
type AgeBucket struct {
	Over  Duration `json:"over"`
	Count int      `json:"count"`
}

// MetricFigures are one metric of one agreement over a group of tickets.
//
// A ticket counts toward compliance in the period in which its clock is
// decided: when it breaches (the Due time of a breached clock) or, if it does
// not, when its clock stops (a stop by cancellation decides nothing).
// Durations describe the clocks that stopped in the period, met or breached.
// For a recurring metric (update intervals) Missed counts the intervals that
// overran in the period, and a ticket is decided as breached in the period in
// which it first missed one; other metrics leave Missed zero.
type MetricFigures struct {
	Agreement string `json:"agreement"`
	// Desk is the agreement's desk (sla.Agreement.Desk): an agreement's
	// name is unique per desk, so name and desk tell it apart from another
	// desk's agreement of the same name.
	Desk     itsm.ID    `json:"desk"`
	Kind     sla.Kind   `json:"kind"`
	Provider itsm.ID    `json:"provider"`
	Metric   sla.Metric `json:"metric"`
	Met      int        `json:"met"`
	Breached int        `json:"breached"`
	// Compliance is Met / (Met + Breached), and nil when none was decided:
	// no ticket gives no figure, rather than a 100 % that nothing earned.
	Compliance *float64 `json:"compliance" jsonschema:"nullable"`
	Objective  float64  `json:"objective"`
	// Shortfall is Objective - Compliance when positive, else zero (also
	// when there is no Compliance).
	Shortfall float64 `json:"shortfall"`
	Stopped   int     `json:"stopped"`
	// Mean, Median and P90 describe the working times of the Stopped
	// clocks, and are nil when none stopped: no clock gives no figure,
	// rather than a 0s that nothing took.
	Mean   *Duration `json:"mean" jsonschema:"nullable"`
	Median *Duration `json:"median" jsonschema:"nullable"`
	P90    *Duration `json:"p90" jsonschema:"nullable"`
	Missed int       `json:"missed"`
}

// AgreementFigures are an agreement's metrics over all the tickets it
// measured, and the credit it owes.
type AgreementFigures struct {
	Agreement string `json:"agreement"`
	// Desk is the agreement's desk (sla.Agreement.Desk); name and desk
	// identify the agreement, since two desks may each have one of a name.
	Desk     itsm.ID  `json:"desk"`
	Kind     sla.Kind `json:"kind"`
	Provider itsm.ID  `json:"provider"`
	Consumer itsm.ID  `json:"consumer"`
	// ProviderName is the provider's display name from Spec.Names, empty
	// when the spec does not name it. The report carries it so that its
	// readers (the CSV, the HTML page) need not look the IDs up elsewhere.
	ProviderName string `json:"provider_name,omitempty"`
	// ConsumerName is the consumer's display name from Spec.Names, empty
	// when the spec does not name it.
	ConsumerName string          `json:"consumer_name,omitempty"`
	Objective    float64         `json:"objective"`
	Metrics      []MetricFigures `json:"metrics"`
	// Credit is set when the agreement has a credit rule.
	Credit *Credit `json:"credit,omitempty"`
}

// Credit is what a provider owes for the period (SL-4). The rule's monthly
// fee applies whatever the period's length.
type Credit struct {
	Percent  float64 `json:"percent"`
	Amount   int64   `json:"amount"`
	Currency string  `json:"currency"`
}

// Group is the figures of one key of a breakdown: a priority ("P2"), a
// supplier's ID, a category ("" for none) or a group's ID.
type Group struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	// Organisation is the organisation of a group of Report.Groups, and
	// zero in the other breakdowns.
	Organisation itsm.ID `json:"organisation,omitzero"`
	Figures      Figures `json:"figures"`
}

// TrendPoint is the summary of one period.
type TrendPoint struct {
	Period     Period        `json:"period"`
	Registered int           `json:"registered"`
	Resolved   int           `json:"resolved"`
	Backlog    int           `json:"backlog"`
	Metrics    []MetricPoint `json:"metrics"`
}

// MetricPoint is one agreement metric's compliance in a trend period.
type MetricPoint struct {
	Agreement string `json:"agreement"`
	// Desk is the agreement's desk, as in MetricFigures.
	Desk     itsm.ID    `json:"desk"`
	Provider itsm.ID    `json:"provider"`
	Metric   sla.Metric `json:"metric"`
	Met      int        `json:"met"`
	Breached int        `json:"breached"`
	// Compliance is Met / (Met + Breached), and nil when none was decided.
	Compliance *float64 `json:"compliance" jsonschema:"nullable"`
}
