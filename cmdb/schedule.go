package cmdb

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/cmdb/impact"
	"github.com/spoc-itsm/spoc/itsm"
)

// A change's impact is computed when it is read, from the impact graph as
// it is then, not kept from when the change was approved: the schedule
// and the outages show what the change would do to the CMDB of today (a
// service added since is hurt too), at the cost of an analysis for each
// change read.

// changeImpact is the impact of ch: its items that are still in the
// graph, with the health its effect gives them. An effect of none hurts
// nothing. s.mu is held for reading. The readers wait (Follower.Fresh)
// until this process's commands are in the graph first, as Impact does,
// so that a change counts the items and relations just written.
func (s *Service) changeImpact(ch *Change) *Impact {
	h := impact.Down
	switch ch.Effect {
	case ChangeEffectDegraded:
		h = impact.Degraded
	case ChangeEffectOutage:
	default:
		return &Impact{Services: []Affected{}, Items: []Affected{}, Consumers: []Consumer{}}
	}
	var fs []impact.Failure
	for _, id := range ch.Items {
		if n := s.nodes[id]; n.live() && n.desk == ch.Desk {
			fs = append(fs, impact.Failure{Node: id, Health: h})
		}
	}
	return s.analyse(ch.Desk, fs)
}

// ChangeImpact returns what a change does to the desk's services, items,
// units and users while it runs (CM-2, CH-1): the impact of its items,
// degraded or down as its effect says, each with the path that explains
// it; nothing for a change without effect. Items retired since the
// change was registered are left out. To whoever reads the change.
func (s *Service) ChangeImpact(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Impact, error) {
	ch, err := s.GetChange(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.follower.Fresh(ctx); err != nil {
		return nil, err
	}
	return s.lockedImpact(ch), nil
}

// lockedImpact is changeImpact under the lock of the graph's nodes, one
// change at a time, so that the projection is not held up by a long
// schedule.
func (s *Service) lockedImpact(ch *Change) *Impact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changeImpact(ch)
}

// AffectedService is a business service a change hurts, as the forward
// schedule and the outages show it.
type AffectedService struct {
	Item   itsm.ID     `json:"item"`
	Number itsm.Number `json:"number"`
	Name   string      `json:"name"`
	// Health is "down" or "degraded".
	Health string `json:"health"`
}

// ImpactSummary is a change's impact as the forward schedule shows it.
type ImpactSummary struct {
	Services []AffectedService `json:"services"`
	// Items is how many items are hurt, the change's own included.
	Items     int        `json:"items"`
	Consumers []Consumer `json:"consumers"`
	Users     int        `json:"users"`
}

func services(im *Impact) []AffectedService {
	out := make([]AffectedService, len(im.Services))
	for i, a := range im.Services {
		out[i] = AffectedService{Item: a.Item, Number: a.Number, Name: a.Name, Health: a.Health}
	}
	return out
}

// ForwardSchedule is the changes of a period, week by week: what the
// desk's weekly change meeting goes through (CH-1).
type ForwardSchedule struct {
	Desk itsm.ID   `json:"desk"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Zone is the zone whose weeks the schedule has.
	Zone  string         `json:"zone"`
	Weeks []ScheduleWeek `json:"weeks"`
}

// ScheduleWeek is the changes that start in one ISO week.
type ScheduleWeek struct {
	Year int `json:"year"`
	Week int `json:"week"`
	// Monday is when the week begins: midnight of its Monday, in the
	// schedule's zone.
	Monday  time.Time         `json:"monday"`
	Changes []ScheduledChange `json:"changes"`
}

// ScheduledChange is one change of the forward schedule, with its impact
// and the changes it collides with.
type ScheduledChange struct {
	Change *Change       `json:"change"`
	Impact ImpactSummary `json:"impact"`
	// Collisions are the other changes of the schedule whose windows
	// overlap this one's and that touch or hurt an item or a service
	// this one touches or hurts.
	Collisions []Collision `json:"collisions,omitempty"`
}

// Collision is another change a change collides with.
type Collision struct {
	Change itsm.ID     `json:"change"`
	Number itsm.Number `json:"number"`
	// Shared are the items and services both touch or hurt, in ID order.
	Shared []itsm.ID `json:"shared"`
}

// Limits of the schedule and the outages.
const (
	// MaxPeriod is the longest period a schedule covers, and the
	// furthest ahead outages look.
	MaxPeriod = 366 * 24 * time.Hour
	// MaxScheduled is the most changes one schedule lists.
	MaxScheduled = 1000
)

// scheduleDesk decides whose changes an actor of org reads: desk, or its
// own desk's when desk is zero.
func (s *Service) scheduleDesk(org itsm.Organisation, desk itsm.ID, what string) (itsm.ID, error) {
	switch {
	case desk.IsZero() && org.Role == itsm.OrgDesk:
		return org.ID, nil
	case desk.IsZero():
		return desk, itsm.Errorf(itsm.CodeInvalid, "%s: a %s names the desk", what, org.Role)
	case !s.reads(org, desk):
		return desk, itsm.Errorf(itsm.CodeForbidden, "%s: %s %s does not work with desk %s", what, org.Role, org.ID, desk)
	}
	return desk, nil
}

// checkPeriod checks a period [from, to) of a schedule or outages.
func checkPeriod(what string, from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return itsm.Errorf(itsm.CodeInvalid, "%s: the period has no start or no end", what)
	case !to.After(from):
		return itsm.Errorf(itsm.CodeInvalid, "%s: the period's end %s is not after its start %s", what, to.Format(time.RFC3339), from.Format(time.RFC3339))
	case to.Sub(from) > MaxPeriod:
		return itsm.Errorf(itsm.CodeInvalid, "%s: the period is longer than %d days", what, MaxPeriod/(24*time.Hour))
	case from.Year() < 1900 || to.Year() > 9999:
		return itsm.Errorf(itsm.CodeInvalid, "%s: the period is outside the years 1900 to 9999", what)
	}
	return nil
}

// changesOverlapping reads desk's changes whose windows overlap [from,
// to), cancelled ones too, in the order of their start. No window is
// longer than MaxWindow, so those starting earlier have ended.
func (s *Service) changesOverlapping(ctx context.Context, tx itsm.ReadTx, desk itsm.ID, from, to time.Time, what string) ([]*Change, error) {
	q := itsm.Query{Kind: KindChange, Index: indexChangeStart, Match: itsm.MatchRange, Limit: itsm.MaxLimit,
		From: deskValue(desk, itsm.IndexTime(from.Add(-MaxWindow))), To: deskValue(desk, itsm.IndexTime(to))}
	var out []*Change
	err := itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
		ch, err := decodeChange(h.Record)
		if err != nil || ch.Desk != desk || !ch.Window.Overlaps(from, to) {
			return err
		}
		if len(out) == MaxScheduled {
			return itsm.Errorf(itsm.CodeInvalid, "%s: more than %d changes from %s to %s; ask for a shorter period",
				what, MaxScheduled, from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		out = append(out, ch)
		return nil
	})
	return out, err
}

// decodeChange decodes a change record.
func decodeChange(r itsm.Record) (*Change, error) {
	ch, err := itsm.DecodeRecord[Change](r, "change")
	if err == nil {
		ch.Version = r.Version
	}
	return ch, err
}

// byStart orders changes by the start of their windows, then by number.
func byStart(a, b *Change) int {
	return cmp.Or(a.Window.Start.Compare(b.Window.Start), cmp.Compare(a.Number.Seq, b.Number.Seq))
}

// Schedule returns the forward schedule of desk's changes whose windows
// overlap the period [from, to), at most MaxPeriod long: every change
// but those cancelled, drafts included, in the order of their start,
// grouped by the ISO week of their start in Config.Zone (Europe/Stockholm
// by default); each with the summary of its impact (computed now, as
// ChangeImpact does) and the changes it collides with: two changes
// collide when their windows overlap and they touch or hurt a common item
// or service. To whoever reads the desk's items; desk zero means the
// actor's own desk.
func (s *Service) Schedule(ctx context.Context, actor itsm.Actor, desk itsm.ID, from, to time.Time) (*ForwardSchedule, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	if desk, err = s.scheduleDesk(org, desk, "schedule"); err != nil {
		return nil, err
	}
	if err := checkPeriod("schedule", from, to); err != nil {
		return nil, err
	}
	var chs []*Change
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		chs, err = s.changesOverlapping(ctx, tx, desk, from, to, "schedule")
		return err
	})
	if err != nil {
		return nil, err
	}
	chs = slices.DeleteFunc(chs, func(ch *Change) bool { return ch.State == ChangeStateCancelled })
	slices.SortFunc(chs, byStart)
	if err := s.follower.Fresh(ctx); err != nil {
		return nil, err
	}
	loc := s.zone()
	out := &ForwardSchedule{Desk: desk, From: from.UTC(), To: to.UTC(), Zone: loc.String(), Weeks: []ScheduleWeek{}}
	entries := make([]ScheduledChange, len(chs))
	touched := make([]map[itsm.ID]bool, len(chs))
	for i, ch := range chs {
		im := s.lockedImpact(ch)
		entries[i] = ScheduledChange{Change: ch, Impact: ImpactSummary{Services: services(im), Items: len(im.Items), Consumers: im.Consumers, Users: im.Users}}
		touched[i] = footprint(ch, im)
	}
	for i := range chs {
		for j := i + 1; j < len(chs) && chs[j].Window.Start.Before(chs[i].Window.End); j++ {
			shared := sharedIDs(touched[i], touched[j])
			if len(shared) > 0 {
				entries[i].Collisions = append(entries[i].Collisions, Collision{Change: chs[j].ID, Number: chs[j].Number, Shared: shared})
				entries[j].Collisions = append(entries[j].Collisions, Collision{Change: chs[i].ID, Number: chs[i].Number, Shared: shared})
			}
		}
	}
	for i, ch := range chs {
		l := ch.Window.Start.In(loc)
		y, w := l.ISOWeek()
		if n := len(out.Weeks); n == 0 || out.Weeks[n-1].Year != y || out.Weeks[n-1].Week != w {
			back := (int(l.Weekday()) + 6) % 7 // days since Monday
			out.Weeks = append(out.Weeks, ScheduleWeek{Year: y, Week: w, Monday: time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc)})
		}
		wk := &out.Weeks[len(out.Weeks)-1]
		wk.Changes = append(wk.Changes, entries[i])
	}
	return out, nil
}

// footprint is the items and services a change touches or hurts.
func footprint(ch *Change, im *Impact) map[itsm.ID]bool {
	out := make(map[itsm.ID]bool, len(ch.Items)+len(im.Items)+len(im.Services))
	for _, id := range ch.Items {
		out[id] = true
	}
	for _, a := range im.Items {
		out[a.Item] = true
	}
	for _, a := range im.Services {
		out[a.Item] = true
	}
	return out
}

// sharedIDs returns the IDs in both a and b, in ID order.
func sharedIDs(a, b map[itsm.ID]bool) []itsm.ID {
	var out []itsm.ID
	for id := range a {
		if b[id] {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(x, y itsm.ID) int { return bytes.Compare(x[:], y[:]) })
	return out
}

// Outage is a change users are told of (CH-1): approved or in progress,
// with an effect they notice, as the portal shows it.
type Outage struct {
	Change itsm.ID      `json:"change"`
	Number itsm.Number  `json:"number"`
	Kind   ChangeKind   `json:"kind"`
	State  ChangeState  `json:"state"`
	Effect ChangeEffect `json:"effect"`
	Window Window       `json:"window"`
	Texts  Texts        `json:"texts"`
	// Current is whether the outage is on: the change is in progress, or
	// its window holds the instant asked about.
	Current bool `json:"current"`
	// Services are the business services it hurts.
	Services []AffectedService `json:"services"`
}

// Outages returns desk's current and upcoming outages at the instant at
// (zero: now): the changes approved or in progress whose effect is
// degraded service or an outage, and that are on at at (a change in
// progress is on, whatever its window says: it may have run over) or
// start within horizon after it (at most MaxPeriod), in the order of
// their start. Each has the texts for users, the window and the
// services it hurts, computed now; nothing of the suppliers, the items
// or the paths. Outages are for users: every person of an organisation
// that works with the desk reads them (the desk, its suppliers, and the
// users of its customers), without rights in the CMDB; desk zero means
// the actor's own desk.
func (s *Service) Outages(ctx context.Context, actor itsm.Actor, desk itsm.ID, at time.Time, horizon time.Duration) ([]Outage, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, actor)
	if err != nil {
		return nil, err
	}
	if desk, err = s.scheduleDesk(org, desk, "outages"); err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = s.now()
	}
	switch {
	case horizon < 0 || horizon > MaxPeriod:
		return nil, itsm.Errorf(itsm.CodeInvalid, "outages: horizon %s is outside 0 to %d days", horizon, MaxPeriod/(24*time.Hour))
	case at.Year() < 1900 || at.Add(horizon).Year() > 9999:
		return nil, itsm.Errorf(itsm.CodeInvalid, "outages: %s is outside the years 1900 to 9999", at.Format(time.RFC3339))
	}
	// The period is [at, at+horizon]: a change starting at its very end
	// is upcoming.
	to := at.Add(horizon + time.Nanosecond)
	var chs []*Change
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if chs, err = s.changesOverlapping(ctx, tx, desk, at, to, "outages"); err != nil {
			return err
		}
		// Changes in progress past their window are on too.
		q := itsm.Query{Kind: KindChange, Index: indexChangeState, Match: itsm.MatchEqual,
			Value: deskValue(desk, string(ChangeStateInProgress)), Limit: itsm.MaxLimit}
		seen := make(map[itsm.ID]bool, len(chs))
		for _, ch := range chs {
			seen[ch.ID] = true
		}
		return itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
			ch, err := decodeChange(h.Record)
			if err == nil && !seen[ch.ID] {
				chs = append(chs, ch)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	chs = slices.DeleteFunc(chs, func(ch *Change) bool { return ch.Desk != desk || !ch.informs() })
	slices.SortFunc(chs, byStart)
	if err := s.follower.Fresh(ctx); err != nil {
		return nil, err
	}
	out := make([]Outage, len(chs))
	for i, ch := range chs {
		out[i] = Outage{Change: ch.ID, Number: ch.Number, Kind: ch.Kind, State: ch.State, Effect: ch.Effect, Window: ch.Window,
			Texts: ch.Texts, Current: ch.State == ChangeStateInProgress || ch.Window.Holds(at), Services: services(s.lockedImpact(ch))}
	}
	return out, nil
}
