// Package demo seeds a reference server with a small support chain to try
// it on: the service desk of the municipality of Exempelstad, the
// municipality as its customer, a network supplier and a workplace
// supplier, Swedish office hours, the customer's SLA and an underpinning
// contract with each supplier, the desk's first and second line and the
// network supplier's two teams, and a handful of incidents in different
// states. It is what `go run ./refserver --demo` runs.
//
// Seed works only through the server's public API, with a platform
// administrator's client (organisations and rights are the platform
// administration's alone), so the demo shows nothing a real integration
// could not do and breaks when the contract does. It seeds a new database
// once; on a database it seeded before it only issues new tokens, and a
// database holding anything else is refused (ErrNotEmpty), so that --demo
// can never mix made-up organisations into a real register. Servers that
// start at once on one database take turns through the store (KindTurn,
// SeedWithPast only): one seeds, the others wait for it and then issue only
// their own tokens.
//
// SeedWithPast, which --demo runs, adds a history: a few hundred incidents
// of the last three full months and this month so far, so that reports,
// trends, breaches, service credits and last month's follow-up have
// something to show at once. The history does not go through the API: the
// server stamps every command with its own clock, and no client can say
// that an incident was registered in September. It is an import of the
// past, as a desk moving to spoc would load its old tickets: the incident
// library's own commands (incident.Service, with the server's register,
// agreements and priority matrix) run on the server's store with a clock
// that steps through the historical times, so every rule, clock and event
// is the library's and nothing is written that its commands could not
// write. The history is drawn by a seeded generator, the same for the same
// month: registrations in office hours on working days (Swedish public
// holidays kept), a few alarms at night, first-contact fixes, the second
// line, delegations to both suppliers with rejections and re-routes, waits
// for the user, reopenings, and months in which a supplier misses its
// targets. Everything of today, from the organisations to the four open
// incidents, still goes through the API.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the demo's zone on machines without a zone database

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The demo's organisations, by the names they are registered under.
const (
	DeskName      = "Exempelstad service desk"
	CustomerName  = "Exempelstad municipality"
	NetworkName   = "Nordnät AB"
	WorkplaceName = "Arbetsplats AB"
)

// TokenPrefix starts the name of every token the demo issues; a new start
// revokes the earlier ones by it.
const TokenPrefix = "demo: "

// ErrNotEmpty is returned by Seed for a register that holds organisations
// the demo did not make.
var ErrNotEmpty = &itsm.Error{Code: itsm.CodeConflict,
	Message: "the database holds organisations the demo did not make; seed the demo into a new database (--db spoc-demo.db)"}

// Token is a token the demo issued, shown once.
type Token struct {
	// Env is the name of the shell variable the demo suggests for it, such
	// as NETWORK_TOKEN.
	Env string
	// Actor is who the token acts as.
	Actor itsm.Actor
	// Organisation is the actor's organisation's name.
	Organisation string
	// Secret is the bearer token.
	Secret string
}

// Cast is the demo's organisations, by ID, and the tokens issued to their
// people by the latest Seed.
type Cast struct {
	Desk, Customer, Network, Workplace itsm.ID
	// Tokens are, in this order, the desk's agent, the network supplier's
	// agent, the workplace supplier's agent and the customer's approver.
	Tokens []Token
	// Seeded is true when this Seed made the demo, false when it found it
	// made before and only issued new tokens.
	Seeded bool
	// Waited is true when another server seeded the database, or issued
	// tokens on it, while this one started (SeedWithPast waits for it):
	// that server's tokens were issued for a start as current as this one,
	// so they stay valid beside this start's.
	Waited bool
	// Imported is the history SeedWithPast imported, nil when it imported
	// none.
	Imported *Imported
	// Items are the catalogue's items, zero when this Seed found the demo
	// made before.
	Items Items
	// CMDB is what a walkthrough of the CMDB starts from; zero when
	// another server seeded the database while this one waited.
	CMDB CMDB
}

// Token returns the token whose Env is env, or the zero Token.
func (c *Cast) Token(env string) Token {
	for _, t := range c.Tokens {
		if t.Env == env {
			return t
		}
	}
	return Token{}
}

// The shell variables of the demo's tokens.
const (
	EnvDesk      = "DESK_TOKEN"
	EnvNetwork   = "NETWORK_TOKEN"
	EnvWorkplace = "WORKPLACE_TOKEN"
	EnvCustomer  = "CUSTOMER_TOKEN"
)

// Seed seeds the server that admin, a client holding a platform
// administrator's token (auth.PlatformAdmin), talks to, with today's demo
// and no history. base is the server's URL, for the clients of the demo's
// people; opts are given to each of them (an http.Client, say).
func Seed(ctx context.Context, base string, admin *client.ClientWithResponses, opts ...client.ClientOption) (*Cast, error) {
	return SeedWithPast(ctx, base, admin, nil, opts...)
}

// SeedWithPast is Seed that, when past is not nil, imports the demo's
// history (Past) into the store the server serves from after the
// agreements and groups are stored and before today's incidents are
// registered, so that master numbers and the event log follow time. A
// database seeded before gets new tokens only, as from Seed.
func SeedWithPast(ctx context.Context, base string, admin *client.ClientWithResponses, past *Past, opts ...client.ClientOption) (cast *Cast, err error) {
	found, err := organisations(ctx, admin)
	if err != nil {
		return nil, err
	}
	cast = &Cast{}
	var t *turn
	if past != nil {
		// Several servers may start on one new database at once: they take
		// turns, and look again once they hold the turn, since another may
		// have seeded meanwhile. A register refused above gets no record.
		if t, cast.Waited, err = takeTurn(ctx, *past); err != nil {
			return nil, err
		}
		defer func() {
			if err = t.release(ctx, err); err != nil {
				cast = nil
			}
		}()
		if found, err = organisations(ctx, admin); err != nil {
			return nil, err
		}
	}
	switch len(found) {
	case 0:
		cast.Seeded = true
		if t != nil {
			if err := t.seeding(ctx); err != nil {
				return nil, err
			}
		}
		if err := register(ctx, admin, cast); err != nil {
			return nil, err
		}
	case 4:
		cast.Desk, cast.Customer = found[DeskName], found[CustomerName]
		cast.Network, cast.Workplace = found[NetworkName], found[WorkplaceName]
	default:
		return nil, &itsm.Error{Code: itsm.CodeConflict,
			Message: "an earlier demo seeding stopped half way; remove the database file and start again"}
	}
	if err := issue(ctx, admin, cast, !cast.Waited); err != nil {
		return nil, err
	}
	people, err := clients(base, cast, opts)
	if err != nil {
		return nil, err
	}
	if !cast.Seeded {
		// A database seeded before the demo had a CMDB gets one; the
		// seeding finds everything of a later one, and writes nothing.
		// When another server seeded, it seeded the CMDB too.
		if !cast.Waited {
			if cast.CMDB, err = seedCMDB(ctx, admin, cast, people); err != nil {
				return nil, err
			}
		}
		return cast, nil
	}
	if err := settings(ctx, admin, cast); err != nil {
		return nil, err
	}
	made, err := groups(ctx, admin, cast)
	if err != nil {
		return nil, err
	}
	if past != nil && !skipHistory {
		if cast.Imported, err = importHistory(ctx, *past, cast, made); err != nil {
			return nil, err
		}
	}
	if err := offer(ctx, base, admin, cast, opts...); err != nil {
		return nil, err
	}
	// The CMDB comes before today's incidents, so that one of them names
	// the application it is about.
	if cast.CMDB, err = seedCMDB(ctx, admin, cast, people); err != nil {
		return nil, err
	}
	if err := stories(ctx, cast, people, made); err != nil {
		return nil, err
	}
	if err := problems(ctx, cast, people[EnvDesk], made); err != nil {
		return nil, err
	}
	if past != nil {
		if err := pastReview(ctx, *past, cast); err != nil {
			return nil, err
		}
	}
	if err := knowledgeBase(ctx, cast, people); err != nil {
		return nil, err
	}
	return cast, nil
}

// clients returns a client for each of the demo's people, by the Env of
// their token.
func clients(base string, cast *Cast, opts []client.ClientOption) (map[string]*client.ClientWithResponses, error) {
	people := map[string]*client.ClientWithResponses{}
	for _, t := range cast.Tokens {
		c, err := client.New(base, t.Secret, opts...)
		if err != nil {
			return nil, err
		}
		people[t.Env] = c
	}
	return people, nil
}

// organisations returns the demo's organisations found in the register by
// name, or ErrNotEmpty if it holds others but the platform administration.
func organisations(ctx context.Context, admin *client.ClientWithResponses) (map[string]itsm.ID, error) {
	l, err := admin.ListOrganisationsWithResponse(ctx)
	if err := check("list the organisations", l, err); err != nil {
		return nil, err
	}
	found := map[string]itsm.ID{}
	for _, o := range l.JSON200.Items {
		switch o.Name {
		case DeskName, CustomerName, NetworkName, WorkplaceName:
			found[o.Name] = o.ID
		default:
			if o.ID != auth.AdminOrganisation {
				return nil, ErrNotEmpty
			}
		}
	}
	return found, nil
}

// register creates the four organisations and grants the rights their
// roles imply: the desk everything about incidents and service levels;
// suppliers read and write on incidents (SD-13: only the ones they hold or
// held) and read and report on service levels; the customer reads
// incidents and reviews the monthly follow-up, which needs write on service
// levels (decision 27). Every party reports on incidents too: a report
// covers the agreements the caller provides or consumes and needs read and
// report access to incidents, so without it the customer and the suppliers
// could list their agreements but not measure them. Every party reads,
// writes and reports on requests: the desk runs the catalogue and the
// orders, the customer orders and approves, and the suppliers fulfil the
// tasks; the monthly report shows each what it may see of them. Problems
// (decision 102): the desk and the network supplier, which investigates the
// problems of the operations it runs, read, write and report on them and
// on the known error and workaround databases; the workplace supplier and
// the customer read and report (SD-13). Knowledge (KM-2): the desk and both
// suppliers read, write and report, the suppliers writing for the chain;
// the customer reads and reports on its users' articles.
func register(ctx context.Context, admin *client.ClientWithResponses, cast *Cast) error {
	all := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	rr := []api.Access{api.AccessRead, api.AccessReport}
	orgs := []struct {
		name   string
		role   itsm.OrgRole
		id     *itsm.ID
		rights map[itsm.Domain][]api.Access
	}{
		{DeskName, itsm.OrgDesk, &cast.Desk, map[itsm.Domain][]api.Access{
			itsm.DomainIncident: all, itsm.DomainServiceLevel: all, itsm.DomainRequest: all, itsm.DomainProblem: all,
			itsm.DomainKnowledge: all}},
		{CustomerName, itsm.OrgCustomer, &cast.Customer, map[itsm.Domain][]api.Access{
			itsm.DomainIncident: rr, itsm.DomainServiceLevel: all, itsm.DomainRequest: all, itsm.DomainProblem: rr,
			itsm.DomainKnowledge: rr}},
		{NetworkName, itsm.OrgSupplier, &cast.Network, map[itsm.Domain][]api.Access{
			itsm.DomainIncident: all, itsm.DomainServiceLevel: rr, itsm.DomainRequest: all, itsm.DomainProblem: all,
			itsm.DomainKnowledge: all}},
		{WorkplaceName, itsm.OrgSupplier, &cast.Workplace, map[itsm.Domain][]api.Access{
			itsm.DomainIncident: all, itsm.DomainServiceLevel: rr, itsm.DomainRequest: all, itsm.DomainProblem: rr,
			itsm.DomainKnowledge: all}},
	}
	for _, o := range orgs {
		r, err := admin.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: o.name, Role: o.role})
		if err := check("create "+o.name, r, err); err != nil {
			return err
		}
		*o.id = r.JSON201.ID
		for _, dom := range []itsm.Domain{itsm.DomainIncident, itsm.DomainServiceLevel, itsm.DomainRequest, itsm.DomainProblem, itsm.DomainKnowledge} {
			g, err := admin.GrantPermissionsWithResponse(ctx, *o.id, api.Rights{Domain: dom, Access: o.rights[dom]})
			if err := check("grant "+o.name+" "+string(dom)+" rights", g, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// issue revokes the tokens an earlier start issued, which were printed and
// may have been copied anywhere, when revoke is true, and issues new ones.
func issue(ctx context.Context, admin *client.ClientWithResponses, cast *Cast, revoke bool) error {
	var cursor string
	for revoke {
		l, err := admin.ListTokensWithResponse(ctx, &api.ListTokensParams{Cursor: cursor})
		if err := check("list the tokens", l, err); err != nil {
			return err
		}
		for _, t := range l.JSON200.Items {
			if strings.HasPrefix(t.Name, TokenPrefix) && t.Revoked.IsZero() {
				r, err := admin.RevokeTokenWithResponse(ctx, t.ID)
				if err := check("revoke "+t.Name, r, err); err != nil {
					return err
				}
			}
		}
		if cursor = l.JSON200.Next; cursor == "" {
			break
		}
	}
	agent := []itsm.Role{itsm.RoleAgent}
	people := []Token{
		{Env: EnvDesk, Organisation: DeskName, Actor: itsm.Actor{Organisation: cast.Desk, Person: "dana", Roles: agent}},
		{Env: EnvNetwork, Organisation: NetworkName, Actor: itsm.Actor{Organisation: cast.Network, Person: "nils", Roles: agent}},
		{Env: EnvWorkplace, Organisation: WorkplaceName, Actor: itsm.Actor{Organisation: cast.Workplace, Person: "wera", Roles: agent}},
		{Env: EnvCustomer, Organisation: CustomerName, Actor: itsm.Actor{Organisation: cast.Customer, Person: "carl",
			Roles: []itsm.Role{itsm.RoleApprover}}},
	}
	for _, p := range people {
		r, err := admin.IssueTokenWithResponse(ctx, api.TokenInput{Actor: p.Actor,
			Name: TokenPrefix + p.Actor.Person + " of " + p.Organisation})
		if err := check("issue a token for "+p.Actor.Person, r, err); err != nil {
			return err
		}
		p.Secret = r.JSON201.Secret
		cast.Tokens = append(cast.Tokens, p)
	}
	return nil
}

// Calendar names of the demo.
const (
	OfficeCalendar = "stockholm-office"
	AlwaysCalendar = "24x7"
)

// OfficeHours describes OfficeCalendar in words, for the people trying the
// demo: its clocks stand still outside these hours.
const OfficeHours = "Monday to Thursday 08:00-17:00 and Friday 08:00-16:00 in Europe/Stockholm, closed on Swedish public holidays"

// Zone is the time zone of the demo's calendars, and of its months.
var Zone = mustZone("Europe/Stockholm")

// LastMonth returns the last full month before now in Zone, as a
// follow-up names it (2006-01), and its start and end: the month a
// follow-up can be drafted for and a report of it.
func LastMonth(now time.Time) (month string, from, to time.Time) {
	n := now.In(Zone)
	to = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, Zone)
	from = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, Zone)
	return from.Format("2006-01"), from, to
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is imported
	}
	return loc
}

// settings stores the calendars and the three agreements: resolution per
// priority in office hours (P1 around the clock) for the SLA and the UCs,
// and for the suppliers a response (accept) target and a status-update
// interval (SD-8).
func settings(ctx context.Context, admin *client.ClientWithResponses, cast *Cast) error {
	var office, always api.Calendar_Hours
	day := api.SpanList{"08:00-17:00"}
	if err := office.FromWeekHours(api.WeekHours{Mon: day, Tue: day, Wed: day, Thu: day, Fri: api.SpanList{"08:00-16:00"}}); err != nil {
		return err
	}
	if err := always.FromAlwaysOpen("24x7"); err != nil {
		return err
	}
	for _, c := range []api.Calendar{
		{Name: OfficeCalendar, Location: "Europe/Stockholm", Hours: office, Holidays: []api.HolidayCode{"se"}},
		{Name: AlwaysCalendar, Location: "Europe/Stockholm", Hours: always},
	} {
		r, err := admin.PutCalendarWithResponse(ctx, c.Name, c)
		if err := check("store the calendar "+c.Name, r, err); err != nil {
			return err
		}
	}
	pause := []api.TicketState{string(incident.StateWaitingUser)}
	done := []api.TicketState{string(incident.StateResolved), string(incident.StateClosed), string(incident.StateCancelled)}
	accepted := append([]api.TicketState{string(incident.StateInProgress)}, done...)
	targets := func(resolution [4]time.Duration, supplier bool) []api.Target {
		var ts []api.Target
		for i, within := range resolution {
			p := itsm.Priority(i + 1)
			cal := OfficeCalendar
			if p == 1 {
				cal = AlwaysCalendar
			}
			ts = append(ts, api.Target{Metric: sla.MetricResolution, Priority: p, Within: report.Duration(within),
				Calendar: cal, Pause: pause, Stop: done})
			if supplier {
				ts = append(ts,
					api.Target{Metric: sla.MetricResponse, Priority: p, Within: report.Duration(within / 8),
						Calendar: cal, Pause: pause, Stop: accepted},
					api.Target{Metric: sla.MetricUpdate, Priority: p, Within: report.Duration(within / 4),
						Calendar: cal, Pause: pause, Stop: done})
			}
		}
		return ts
	}
	h := time.Hour
	warn := []float32{0.5, 0.75}
	// Service credits (SL-4): a stepped share of the monthly fee, in öre,
	// for each metric that falls short of the objective.
	credits := func(fee int64) api.Credits {
		return api.Credits{MonthlyFee: fee * 100, Currency: "SEK", Cap: 10,
			Steps: []api.CreditStep{{Above: 0, Percent: 1}, {Above: 0.02, Percent: 3}, {Above: 0.05, Percent: 5}}}
	}
	for _, a := range []api.AgreementInput{
		{Name: "Exempelstad SLA", Kind: sla.KindSLA, Provider: cast.Desk, Consumer: cast.Customer, Objective: 0.95,
			Warnings: warn, Credits: credits(250_000), Targets: targets([4]time.Duration{4 * h, 16 * h, 40 * h, 80 * h}, false)},
		{Name: "Nordnät UC", Kind: sla.KindUC, Provider: cast.Network, Consumer: cast.Desk, Objective: 0.95,
			Warnings: warn, Credits: credits(120_000), Targets: targets([4]time.Duration{3 * h, 12 * h, 32 * h, 64 * h}, true)},
		{Name: "Arbetsplats UC", Kind: sla.KindUC, Provider: cast.Workplace, Consumer: cast.Desk, Objective: 0.9,
			Warnings: warn, Credits: credits(80_000), Targets: targets([4]time.Duration{3 * h, 12 * h, 32 * h, 64 * h}, true)},
	} {
		r, err := admin.CreateAgreementWithResponse(ctx, a)
		if err := check("store the agreement "+a.Name, r, err); err != nil {
			return err
		}
	}
	return nil
}

// Groups are the demo's groups, by organisation name: the desk's two
// lines and the network supplier's two teams, each with the person of the
// demo who acts for the organisation in the first.
var Groups = map[string][]api.GroupInput{
	DeskName:    {{Name: "First line", Members: []string{"dana"}}, {Name: "Second line"}},
	NetworkName: {{Name: "Network", Members: []string{"nils"}, Email: "network@nordnat.example"}, {Name: "Telephony"}},
}

// groups creates Groups, as the platform administration may for any
// organisation (an organisation's own administrators would for theirs),
// and returns their IDs by name (the demo's names are unique across its
// organisations).
func groups(ctx context.Context, admin *client.ClientWithResponses, cast *Cast) (map[string]itsm.ID, error) {
	made := map[string]itsm.ID{}
	for org, id := range map[string]itsm.ID{DeskName: cast.Desk, NetworkName: cast.Network} {
		for _, g := range Groups[org] {
			r, err := admin.CreateGroupWithResponse(ctx, id, g)
			if err := check("create the group "+g.Name+" of "+org, r, err); err != nil {
				return nil, err
			}
			made[g.Name] = r.JSON201.ID
		}
	}
	return made, nil
}

// stories takes a few incidents through the chain, each party acting with
// its own token, all registered into the desk's first line: one fixed at
// first contact and closed, one delegated to the network supplier's Network
// team and in progress there, taken by its agent, one rejected by the network
// supplier and re-routed to the workplace supplier, who waits for the
// user, and one just registered, about the e-mail application of the
// CMDB (GET /v1/incidents/{id}/impact shows whom it hurts).
func stories(ctx context.Context, cast *Cast, people map[string]*client.ClientWithResponses, groups map[string]itsm.ID) error {
	desk, nils, wera := people[EnvDesk], people[EnvNetwork], people[EnvWorkplace]
	register := func(key, summary, category string, impact itsm.Impact, urgency itsm.Urgency) (itsm.ID, error) {
		r, err := desk.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "demo-" + key},
			api.Registration{Customer: cast.Customer, Channel: incident.ChannelPhone, Category: category, Group: groups["First line"],
				Caller:  incident.Caller{Person: "ulla", Name: "Ulla Andersson", Contact: "+46 70 123 45 67"},
				Summary: summary, Description: "Ulla says: " + summary + ".", Impact: impact, Urgency: urgency})
		if err := check("register "+summary, r, err); err != nil {
			return itsm.ID{}, err
		}
		return r.JSON201.ID, nil
	}
	printer, err := register("printer", "Printer queue stuck at the town hall", "workplace", itsm.ImpactLow, itsm.UrgencyMedium)
	if err != nil {
		return err
	}
	school, err := register("school", "School network slow", "network", itsm.ImpactMedium, itsm.UrgencyHigh)
	if err != nil {
		return err
	}
	wifi, err := register("wifi", "Laptop cannot join the wifi", "network", itsm.ImpactMedium, itsm.UrgencyMedium)
	if err != nil {
		return err
	}
	library, err := register("library", "Library e-mail does not arrive", "network", itsm.ImpactMedium, itsm.UrgencyMedium)
	if err != nil {
		return err
	}
	steps := []struct {
		what string
		do   func() (any, error)
	}{
		{"resolve the printer incident", func() (any, error) {
			return desk.ResolveIncidentWithResponse(ctx, printer, nil,
				api.Resolution{Code: "restart", Text: "Cleared the print queue."})
		}},
		{"close the printer incident", func() (any, error) {
			return desk.CloseIncidentWithResponse(ctx, printer, nil, api.Closure{Message: "Your printer works again."})
		}},
		{"delegate the school incident", func() (any, error) {
			return desk.DelegateIncidentWithResponse(ctx, school, nil, api.Delegation{Organisation: cast.Network, Group: groups["Network"]})
		}},
		{"accept the school incident", func() (any, error) {
			return nils.AcceptIncidentWithResponse(ctx, school, nil)
		}},
		{"take the school incident", func() (any, error) {
			return nils.TakeIncidentWithResponse(ctx, school, nil, api.Take{})
		}},
		{"reference the school incident", func() (any, error) {
			return nils.SetIncidentReferenceWithResponse(ctx, school, nil, api.ReferenceInput{Reference: "NN-4711"})
		}},
		{"update the school incident", func() (any, error) {
			return nils.UpdateIncidentWithResponse(ctx, school, nil,
				api.StatusUpdate{Text: "A switch port flaps; a technician replaces it this afternoon."})
		}},
		{"delegate the wifi incident", func() (any, error) {
			return desk.DelegateIncidentWithResponse(ctx, wifi, nil, api.Delegation{Organisation: cast.Network, Group: groups["Network"]})
		}},
		{"reject the wifi incident", func() (any, error) {
			return nils.RejectIncidentWithResponse(ctx, wifi, nil,
				api.Reason{Reason: "The wifi is fine; the laptop's certificate has expired."})
		}},
		{"re-route the wifi incident", func() (any, error) {
			return desk.DelegateIncidentWithResponse(ctx, wifi, nil, api.Delegation{Organisation: cast.Workplace,
				Note: "Expired client certificate, per the network supplier."})
		}},
		{"accept the wifi incident", func() (any, error) {
			return wera.AcceptIncidentWithResponse(ctx, wifi, nil)
		}},
		{"wait for the user", func() (any, error) {
			return wera.WaitIncidentWithResponse(ctx, wifi, nil,
				api.Wait{Reason: incident.WaitUser, Note: "Ulla brings the laptop in tomorrow morning."})
		}},
		{"relate the library incident to Exchange", func() (any, error) {
			return desk.RelateIncidentWithResponse(ctx, library, nil, api.Relation{CIs: []itsm.ID{cast.CMDB.Exchange}})
		}},
	}
	for _, s := range steps {
		r, err := s.do()
		if err := check(s.what, r, err); err != nil {
			return err
		}
	}
	return nil
}

// check turns a failed call or a response other than 2xx into an error
// naming what was being done.
func check(what string, r any, err error) error {
	if _, err := client.Check(r, err); err != nil {
		return fmt.Errorf("demo: %s: %w", what, err)
	}
	return nil
}
