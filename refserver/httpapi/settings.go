package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/sla"
)

// The kinds of the records that hold the service-level settings.
const (
	// KindCalendar records hold a calendar in the JSON form
	// sla.ParseCalendar reads, under an ID derived from its name.
	KindCalendar = "calendar"
	// KindAgreement records hold an agreement as api.AgreementInput, its
	// targets naming their calendars.
	KindAgreement = "agreement"
)

// The events of changed settings.
const (
	EventCalendarPut      = "calendar.put"
	EventAgreementCreated = "agreement.created"
)

// calendarSpace is the namespace of calendar IDs, so that a calendar's ID
// follows from its name and a PUT needs no lookup to find its record.
var calendarSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://spoc-itsm.github.io/calendar"))

func calendarID(name string) itsm.ID { return itsm.ID(uuid.NewSHA1(calendarSpace, []byte(name))) }

// indexMaintainer is the index of a calendar record that names the
// organisation maintaining the calendar. It is kept beside the body, which
// stays the calendar as it was put.
const indexMaintainer = "maintainer"

// maintainer returns the organisation that maintains a stored calendar:
// the one whose administrator created it. A calendar stored before
// calendars recorded theirs is the platform administration's, so that
// no desk takes over one that other desks' agreements may count on.
func maintainer(rec itsm.Record) itsm.ID {
	if v := rec.Index[indexMaintainer]; len(v) == 1 {
		if id, err := itsm.ParseID(v[0]); err == nil {
			return id
		}
	}
	return auth.AdminOrganisation
}

// settingsMu serialises the writes of settings with handing the incident
// service the agreements they lead to, so that a slower request cannot hand
// it a set older than the one a faster request committed after it. Such
// writes are an administrator's and rare, so one lock for the process costs
// nothing.
var settingsMu sync.Mutex

// settingsEvent is the data of the settings' events.
type settingsEvent struct {
	By        itsm.Actor      `json:"by"`
	Calendar  json.RawMessage `json:"calendar,omitempty"`
	Replaced  bool            `json:"replaced,omitempty"`
	Agreement *api.Agreement  `json:"agreement,omitempty"`
}

// LoadAgreements builds the agreements stored through the API, with their
// calendars, for incident.Config.Agreements at a server's start.
func LoadAgreements(ctx context.Context, store itsm.Store) ([]*sla.Agreement, error) {
	var out []*sla.Agreement
	err := store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		out, err = buildAgreements(tx)
		return err
	})
	return out, err
}

// all returns every record of kind in the order of index.
func all(tx itsm.ReadTx, kind, index string) ([]itsm.Record, error) {
	var out []itsm.Record
	q := itsm.Query{Kind: kind, Index: index, Limit: itsm.MaxLimit}
	for {
		page, err := tx.Query(q)
		if err != nil {
			return nil, err
		}
		for _, h := range page.Matches {
			out = append(out, h.Record)
		}
		if page.Next == "" {
			return out, nil
		}
		q.After = page.Next
	}
}

// calendars returns the stored calendars by name.
func calendars(tx itsm.ReadTx) (map[string]*sla.Calendar, error) {
	recs, err := all(tx, KindCalendar, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*sla.Calendar, len(recs))
	for _, r := range recs {
		c, err := sla.ParseCalendar(r.Body)
		if err != nil {
			return nil, itsm.Wrap(itsm.CodeInternal, err, "stored calendar %s", r.ID)
		}
		out[c.Name()] = c
	}
	return out, nil
}

// buildAgreements builds every stored agreement over the stored calendars,
// in name order.
func buildAgreements(tx itsm.ReadTx) ([]*sla.Agreement, error) {
	cals, err := calendars(tx)
	if err != nil {
		return nil, err
	}
	recs, err := all(tx, KindAgreement, indexName)
	if err != nil {
		return nil, err
	}
	out := make([]*sla.Agreement, 0, len(recs))
	for _, r := range recs {
		var in api.AgreementInput
		if err := json.Unmarshal(r.Body, &in); err != nil {
			return nil, itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
		}
		ag, err := toAgreement(in, cals)
		if err != nil {
			return nil, itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
		}
		out = append(out, ag)
	}
	return out, nil
}

// float widens a float32 of the contract's types to the float64 with the
// same shortest decimal, so that 0.95 stays 0.95 rather than 0.949999988.
func float(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

var modes = map[api.ClockMode]sla.Mode{"": sla.ModeDefault, api.ClockModeOnce: sla.ModeOnce,
	api.ClockModeCumulative: sla.ModeCumulative, api.ClockModeRecurring: sla.ModeRecurring}

func states(l []api.TicketState) []itsm.State {
	out := make([]itsm.State, len(l))
	for i, s := range l {
		out[i] = itsm.State(s)
	}
	return out
}

// toAgreement builds and validates the agreement in describes over cals.
func toAgreement(in api.AgreementInput, cals map[string]*sla.Calendar) (*sla.Agreement, error) {
	ag := &sla.Agreement{Name: in.Name, Kind: in.Kind, Provider: in.Provider, Consumer: in.Consumer,
		ProviderGroup: in.ProviderGroup, ConsumerGroup: in.ConsumerGroup, Scope: in.Scope, Objective: float(in.Objective)}
	for _, w := range in.Warnings {
		ag.Warnings = append(ag.Warnings, float(w))
	}
	for i, t := range in.Targets {
		cal, ok := cals[t.Calendar]
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "agreement %q: target %d: there is no calendar %q", in.Name, i, t.Calendar)
		}
		mode, ok := modes[t.Mode]
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "agreement %q: target %d: mode %q is not once, cumulative or recurring", in.Name, i, t.Mode)
		}
		ag.Targets = append(ag.Targets, sla.Target{Metric: t.Metric, Priority: t.Priority, Within: time.Duration(t.Within),
			Calendar: cal, Mode: mode, Pause: states(t.Pause), Stop: states(t.Stop)})
	}
	if c := in.Credits; c.Currency != "" || c.Steps != nil || c.MonthlyFee != 0 || c.Cap != 0 {
		cr := &sla.Credits{MonthlyFee: c.MonthlyFee, Currency: c.Currency, Cap: float(c.Cap)}
		for _, s := range c.Steps {
			cr.Steps = append(cr.Steps, sla.CreditStep{Above: float(s.Above), Percent: float(s.Percent)})
		}
		ag.Credits = cr
	}
	if err := ag.Validate(); err != nil {
		return nil, err
	}
	return ag, nil
}

// readSettings refuses an actor whose organisation may not read service
// levels, unless it configures the delivery (configuresDelivery).
func (a *API) readSettings(ctx context.Context) (itsm.Actor, error) {
	who, err := actor(ctx)
	if err != nil {
		return who, err
	}
	if a.dir.Permissions().Allows(who.Organisation, itsm.DomainServiceLevel, itsm.AccessRead) {
		return who, nil
	}
	admin, err := a.configuresDelivery(ctx, who)
	if err != nil {
		return who, err
	}
	if !admin {
		return who, itsm.Errorf(itsm.CodeForbidden, "%q's organisation may not read service levels", who.Person)
	}
	return who, nil
}

// writeSettings refuses an actor who does not configure the delivery.
func (a *API) writeSettings(ctx context.Context) (itsm.Actor, error) {
	who, err := actor(ctx)
	if err != nil {
		return who, err
	}
	admin, err := a.configuresDelivery(ctx, who)
	if err != nil {
		return who, err
	}
	if !admin {
		return who, itsm.Errorf(itsm.CodeForbidden, "%q may not change service levels: the platform administration and the administrators of a desk only", who.Person)
	}
	return who, nil
}

// configuresDelivery reports whether the actor may change the calendars and
// agreements the delivery is measured by: a platform administrator, or an
// administrator of a desk (the platform administration is one).
func (a *API) configuresDelivery(ctx context.Context, who itsm.Actor) (bool, error) {
	if !who.HasRole(itsm.RoleAdmin) {
		return false, nil
	}
	org, err := a.dir.Organisation(ctx, who.Organisation)
	if err != nil {
		return false, err
	}
	return org.Role == itsm.OrgDesk, nil
}

// changeSettings runs change in a write transaction that commits only if
// the stored agreements still build afterwards, then hands them to the
// incident service and the order service, so that the clocks measure what
// the store holds.
func (a *API) changeSettings(ctx context.Context, change func(itsm.WriteTx) error) error {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	var built []*sla.Agreement
	err := a.store.Write(ctx, func(tx itsm.WriteTx) error {
		if err := change(tx); err != nil {
			return err
		}
		var err error
		built, err = buildAgreements(tx)
		return err
	})
	if err != nil {
		return err
	}
	if err := a.svc.SetAgreements(built); err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "measure against the stored agreements")
	}
	if a.req != nil {
		if err := a.req.SetAgreements(built); err != nil {
			return itsm.Wrap(itsm.CodeInternal, err, "measure orders against the stored agreements")
		}
	}
	if a.prob != nil {
		if err := a.prob.SetAgreements(built); err != nil {
			return itsm.Wrap(itsm.CodeInternal, err, "measure problems against the stored agreements")
		}
	}
	return nil
}

// appendEvent appends a settings event about the record kind/id.
func (a *API) appendEvent(tx itsm.WriteTx, typ, kind string, id itsm.ID, e settingsEvent) error {
	data, err := json.Marshal(e)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode %s", typ)
	}
	_, err = tx.Append(itsm.Event{Type: typ, Kind: kind, Subject: id, Time: a.clock.Now(), Data: data})
	return err
}

// ListCalendars lists every calendar in name order.
func (a *API) ListCalendars(ctx context.Context, _ api.ListCalendarsRequestObject) (api.ListCalendarsResponseObject, error) {
	if _, err := a.readSettings(ctx); err != nil {
		return nil, err
	}
	var recs []itsm.Record
	err := a.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		recs, err = all(tx, KindCalendar, "name")
		return err
	})
	if err != nil {
		return nil, err
	}
	out := api.ListCalendars200JSONResponse{Items: make([]api.Calendar, 0, len(recs))}
	for _, r := range recs {
		var c api.Calendar
		if err := json.Unmarshal(r.Body, &c); err != nil {
			return nil, itsm.Wrap(itsm.CodeInternal, err, "stored calendar %s", r.ID)
		}
		out.Items = append(out.Items, c)
	}
	return out, nil
}

// GetCalendar returns one calendar as it was put.
func (a *API) GetCalendar(ctx context.Context, req api.GetCalendarRequestObject) (api.GetCalendarResponseObject, error) {
	if _, err := a.readSettings(ctx); err != nil {
		return nil, err
	}
	var rec itsm.Record
	err := a.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		rec, err = tx.Get(KindCalendar, calendarID(req.Name))
		return err
	})
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, itsm.Errorf(itsm.CodeNotFound, "no calendar %q", req.Name)
	}
	if err != nil {
		return nil, err
	}
	var c api.Calendar
	if err := json.Unmarshal(rec.Body, &c); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "stored calendar %s", rec.ID)
	}
	return api.GetCalendar200JSONResponse(c), nil
}

// PutCalendar creates or replaces a calendar; the agreements that count
// working time on it are measured on the new one from then on. The
// calendar is maintained by the organisation of the administrator who
// created it: only its administrators and the platform administrators
// replace it, so that no desk changes the clocks of another desk's
// agreements.
func (a *API) PutCalendar(ctx context.Context, req api.PutCalendarRequestObject) (api.PutCalendarResponseObject, error) {
	who, err := a.writeSettings(ctx)
	if err != nil {
		return nil, err
	}
	// Asked before the transaction: the directory reads the store too.
	platform, err := a.isPlatformAdmin(ctx, who)
	if err != nil {
		return nil, err
	}
	c, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	if c.Name != req.Name {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the calendar's name %q is not the path's %q", c.Name, req.Name)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInvalid, err, "calendar %q cannot be encoded", c.Name)
	}
	if _, err := sla.ParseCalendar(raw); err != nil {
		// Coded already (invalid), with the field at fault: passed on as
		// it is, so that its chain stays whole.
		return nil, err
	}
	id := calendarID(c.Name)
	replaced := false
	err = a.changeSettings(ctx, func(tx itsm.WriteTx) error {
		var version int64
		by := who.Organisation
		old, err := tx.Get(KindCalendar, id)
		switch {
		case err == nil:
			version, replaced, by = old.Version, true, maintainer(old)
		case !itsm.IsCode(err, itsm.CodeNotFound):
			return err
		}
		if by != who.Organisation && !platform {
			// Reading shows that the calendar exists; the refusal adds
			// only that the caller's desk does not maintain it.
			return itsm.Errorf(itsm.CodeForbidden, "cannot replace calendar %q as %q of %s: a calendar is replaced by the administrators of the organisation that created it and by the platform administration; put yours under another name",
				c.Name, who.Person, who.Organisation)
		}
		if _, err := tx.Put(itsm.Record{Kind: KindCalendar, ID: id, Version: version, Body: raw,
			Unique: map[string]string{"name": c.Name}, Index: map[string][]string{indexMaintainer: {by.String()}}}); err != nil {
			return err
		}
		return a.appendEvent(tx, EventCalendarPut, KindCalendar, id, settingsEvent{By: who, Calendar: raw, Replaced: replaced})
	})
	if err != nil {
		return nil, err
	}
	if replaced {
		return api.PutCalendar200JSONResponse(c), nil
	}
	return api.PutCalendar201JSONResponse{Body: c,
		Headers: api.PutCalendar201ResponseHeaders{Location: "/v1/calendars/" + c.Name}}, nil
}

// checkParties refuses an agreement between organisations that are not
// registered in the roles its kind needs: an SLA is the desk's promise to a
// customer, a UC or OLA a supplier's to the desk, and an OLA between two
// groups of one organisation the desk's to itself.
func (a *API) checkParties(ctx context.Context, in api.AgreementInput) error {
	want := [2]itsm.OrgRole{itsm.OrgSupplier, itsm.OrgDesk}
	switch {
	case in.Kind == sla.KindSLA:
		want = [2]itsm.OrgRole{itsm.OrgDesk, itsm.OrgCustomer}
	case in.Kind == sla.KindOLA && in.Provider == in.Consumer:
		want = [2]itsm.OrgRole{itsm.OrgDesk, itsm.OrgDesk}
	}
	for i, p := range []struct {
		what string
		id   itsm.ID
	}{{"provider", in.Provider}, {"consumer", in.Consumer}} {
		org, err := a.dir.Organisation(ctx, p.id)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			return itsm.Errorf(itsm.CodeInvalid, "agreement %q: the %s %s is not a registered organisation", in.Name, p.what, p.id)
		}
		if err != nil {
			return err
		}
		if org.Role != want[i] {
			return itsm.Errorf(itsm.CodeInvalid, "agreement %q: the %s of an %s must be a %s; %q is a %s",
				in.Name, p.what, in.Kind, want[i], org.Name, org.Role)
		}
	}
	return nil
}

// checkGroups refuses an OLA whose groups are not its parties' own, as the
// register sees them in tx: the provider group must be one of the
// provider's active groups and the consumer group one of the consumer's,
// the rule a holder's group obeys (chain.CheckHolder), so that an OLA
// cannot measure another organisation's group or probe for its IDs.
func checkGroups(tx itsm.ReadTx, in api.AgreementInput) error {
	for _, h := range []struct {
		what string
		who  chain.Holder
	}{{"provider", chain.Holder{Organisation: in.Provider, Group: in.ProviderGroup}},
		{"consumer", chain.Holder{Organisation: in.Consumer, Group: in.ConsumerGroup}}} {
		if h.who.Group.IsZero() {
			continue
		}
		if err := chain.CheckHolder(tx, h.who); err != nil {
			return itsm.Wrap(itsm.ErrorCode(err), err, "agreement %q: the %s group", in.Name, h.what)
		}
	}
	return nil
}

// mayAgree refuses an agreement that the administrator's desk is no party
// to: a desk's administrator agrees its own desk's SLAs (as provider) and
// UCs and OLAs (as consumer), never another desk's, which would change that
// desk's clocks, reports and follow-ups. The platform administration agrees
// any.
func (a *API) mayAgree(ctx context.Context, who itsm.Actor, in api.AgreementInput) error {
	platform, err := a.isPlatformAdmin(ctx, who)
	if err != nil || platform {
		return err
	}
	if partiesOf(in).Desk() != who.Organisation {
		return itsm.Errorf(itsm.CodeForbidden, "cannot create agreement %q as %q of %s: a desk's administrator creates its own desk's agreements only",
			in.Name, who.Person, who.Organisation)
	}
	return nil
}

// CreateAgreement adds an SLA, OLA or UC; clocks are measured against it
// from then on.
func (a *API) CreateAgreement(ctx context.Context, req api.CreateAgreementRequestObject) (api.CreateAgreementResponseObject, error) {
	who, err := a.writeSettings(ctx)
	if err != nil {
		return nil, err
	}
	in, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Name) != in.Name {
		return nil, itsm.Errorf(itsm.CodeInvalid, "agreement %q: the name must not start or end with spaces", in.Name)
	}
	if in.Kind != sla.KindSLA && in.Kind != sla.KindOLA && in.Kind != sla.KindUC {
		return nil, itsm.Errorf(itsm.CodeInvalid, "agreement %q: kind %q is not SLA, OLA or UC", in.Name, in.Kind)
	}
	if err := a.checkParties(ctx, in); err != nil {
		return nil, err
	}
	if err := a.mayAgree(ctx, who, in); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInvalid, err, "agreement %q cannot be encoded", in.Name)
	}
	out := agreementOf(itsm.NewID(), in)
	err = a.changeSettings(ctx, func(tx itsm.WriteTx) error {
		// Build it here, against the calendars this transaction sees, so
		// that a calendar missing is the request's fault: 400.
		cals, err := calendars(tx)
		if err != nil {
			return err
		}
		if _, err := toAgreement(in, cals); err != nil {
			return err
		}
		if err := checkGroups(tx, in); err != nil {
			return err
		}
		if err := checkCalendars(tx, in); err != nil {
			return err
		}
		if err := checkName(tx, in); err != nil {
			return err
		}
		if _, err := tx.Put(agreementRecord(out.ID, 0, raw, in)); err != nil {
			return err
		}
		return a.appendEvent(tx, EventAgreementCreated, KindAgreement, out.ID, settingsEvent{By: who, Agreement: &out})
	})
	if err != nil {
		return nil, err
	}
	return api.CreateAgreement201JSONResponse{Body: out,
		Headers: api.CreateAgreement201ResponseHeaders{Location: "/v1/agreements/" + out.ID.String()}}, nil
}

// The index names of agreement records.
const (
	// indexName holds the agreement's name, for name order and lookups.
	// Records stored before names were unique per desk hold it as a
	// Unique value; UpgradeAgreements turns it into an Index value.
	indexName = "name"
	// indexDeskName holds "desk name" (sla.Agreement.Desk, then the
	// name), unique: a desk names each of its agreements once, and
	// another desk may use the same name without learning of it (SD-10).
	indexDeskName = "desk_name"
)

// agreementRecord is the store record of the agreement in with id.
func agreementRecord(id itsm.ID, version int64, raw json.RawMessage, in api.AgreementInput) itsm.Record {
	return itsm.Record{Kind: KindAgreement, ID: id, Version: version, Body: raw,
		Unique: map[string]string{indexDeskName: partiesOf(in).Desk().String() + " " + in.Name},
		Index: map[string][]string{indexName: {in.Name}, "provider": {in.Provider.String()},
			"consumer": {in.Consumer.String()}, "calendar": targetCalendars(in.Targets)}}
}

// checkName refuses an agreement named as one its desk already has. It
// reads the agreements of that name, whichever desk they are of, rather
// than the unique desk_name value, so that it also finds a record stored
// before that value existed. The refusal names only the caller's desk.
func checkName(tx itsm.ReadTx, in api.AgreementInput) error {
	desk := partiesOf(in).Desk()
	q := itsm.Query{Kind: KindAgreement, Index: indexName, Match: itsm.MatchEqual, Value: in.Name, Limit: itsm.MaxLimit}
	for {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			var other api.AgreementInput
			if err := json.Unmarshal(h.Record.Body, &other); err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", h.Record.ID)
			}
			if partiesOf(other).Desk() == desk {
				return itsm.Errorf(itsm.CodeConflict, "the desk %s already has an agreement named %q: a desk names each of its agreements once", desk, in.Name)
			}
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}

// UpgradeAgreements rewrites the index values of agreement records stored
// when names were unique across all desks (a Unique name) into today's
// (agreementRecord: the name an Index value, desk and name Unique), so
// that every record of the kind holds its name the same way. Bodies are
// left byte for byte. A server runs it before serving; it changes nothing
// once done, and a replica that loses the race to another finds nothing
// left to do on its next start.
func UpgradeAgreements(ctx context.Context, store itsm.Store) error {
	return store.Write(ctx, func(tx itsm.WriteTx) error {
		recs, err := all(tx, KindAgreement, "")
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, old := r.Unique[indexName]; !old {
				continue
			}
			var in api.AgreementInput
			if err := json.Unmarshal(r.Body, &in); err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
			}
			if _, err := tx.Put(agreementRecord(r.ID, r.Version, r.Body, in)); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkCalendars refuses an agreement that counts on a calendar maintained
// by neither its desk nor the platform administration: whoever maintains a
// calendar changes the clocks of every agreement on it, and one desk must
// not change another desk's. The calendars must exist.
func checkCalendars(tx itsm.ReadTx, in api.AgreementInput) error {
	desk := partiesOf(in).Desk()
	for _, name := range targetCalendars(in.Targets) {
		rec, err := tx.Get(KindCalendar, calendarID(name))
		if err != nil {
			return err
		}
		if m := maintainer(rec); m != desk && m != auth.AdminOrganisation {
			return itsm.Errorf(itsm.CodeInvalid, "agreement %q: calendar %q is maintained by neither the desk %s nor the platform administration: an agreement counts on its desk's own calendars and the platform's",
				in.Name, name, desk)
		}
	}
	return nil
}

func targetCalendars(ts []api.Target) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if !slices.Contains(out, t.Calendar) {
			out = append(out, t.Calendar)
		}
	}
	return out
}

// agreementOf is the agreement as the API shows it. An agreement stored
// without a scope, as every one before scopes existed, measures incidents,
// and says so.
func agreementOf(id itsm.ID, in api.AgreementInput) api.Agreement {
	scope := in.Scope
	if scope == "" {
		scope = sla.ScopeIncidents
	}
	return api.Agreement{ID: id, Name: in.Name, Kind: in.Kind, Provider: in.Provider, Consumer: in.Consumer,
		ProviderGroup: in.ProviderGroup, ConsumerGroup: in.ConsumerGroup, Scope: scope, Objective: in.Objective, Warnings: in.Warnings, Targets: in.Targets, Credits: in.Credits}
}

// partiesOf is the agreement in as far as the rules of who sees and who
// agrees it need it: its kind and its parties.
func partiesOf(in api.AgreementInput) *sla.Agreement {
	return &sla.Agreement{Name: in.Name, Kind: in.Kind, Provider: in.Provider, Consumer: in.Consumer}
}

// agreementView decides which agreements the actor sees: those its
// organisation is party to (sla.Agreement.Party), so that another desk's
// SLAs and UCs do not exist for a desk, and every agreement for a platform
// administrator, who maintains them all.
func (a *API) agreementView(ctx context.Context, who itsm.Actor) (func(api.AgreementInput) bool, error) {
	platform, err := a.isPlatformAdmin(ctx, who)
	if err != nil {
		return nil, err
	}
	if platform {
		return func(api.AgreementInput) bool { return true }, nil
	}
	return func(in api.AgreementInput) bool { return partiesOf(in).Party(who.Organisation) }, nil
}

// ListAgreements lists the agreements the caller's organisation sees, in
// name order.
func (a *API) ListAgreements(ctx context.Context, _ api.ListAgreementsRequestObject) (api.ListAgreementsResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	sees, err := a.agreementView(ctx, who)
	if err != nil {
		return nil, err
	}
	var recs []itsm.Record
	err = a.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		recs, err = all(tx, KindAgreement, indexName)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := api.ListAgreements200JSONResponse{Items: []api.Agreement{}}
	for _, r := range recs {
		var in api.AgreementInput
		if err := json.Unmarshal(r.Body, &in); err != nil {
			return nil, itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
		}
		if sees(in) {
			out.Items = append(out.Items, agreementOf(r.ID, in))
		}
	}
	return out, nil
}

// GetAgreement returns one agreement the caller's organisation sees; one
// it does not is not found, so that its existence does not leak.
func (a *API) GetAgreement(ctx context.Context, req api.GetAgreementRequestObject) (api.GetAgreementResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	sees, err := a.agreementView(ctx, who)
	if err != nil {
		return nil, err
	}
	var rec itsm.Record
	err = a.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		rec, err = tx.Get(KindAgreement, req.ID)
		return err
	})
	notFound := itsm.Errorf(itsm.CodeNotFound, "no agreement %s", req.ID)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	var in api.AgreementInput
	if err := json.Unmarshal(rec.Body, &in); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", rec.ID)
	}
	if !sees(in) {
		return nil, notFound
	}
	return api.GetAgreement200JSONResponse(agreementOf(rec.ID, in)), nil
}
