package problem_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// example is a desk, a supplier and a city with their services over a
// memstore: what every example starts from.
type example struct {
	ctx          context.Context
	incidents    *incident.Service
	problems     *problem.Service
	agent, telco itsm.Actor
	network      itsm.ID
}

func newExample() *example {
	ctx := context.Background()
	store := memstore.New()
	clock := itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	dir, _ := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer})
	perms := itsm.NewPermissions().
		Grant(deskID, itsm.DomainProblem, itsm.AccessAll).Grant(deskID, itsm.DomainIncident, itsm.AccessAll).
		Grant(telcoID, itsm.DomainProblem, itsm.AccessAll).Grant(telcoID, itsm.DomainIncident, itsm.AccessAll)
	groups, _ := chain.New(chain.Config{Store: store, Directory: dir, Clock: clock})
	network, _ := groups.Create(ctx, itsm.Actor{Organisation: telcoID, Person: "admin", Roles: []itsm.Role{itsm.RoleAdmin}},
		telcoID, chain.Definition{Name: "Network", Members: []string{"tove"}})
	// A problem service without incidents checks incidents' workarounds;
	// the one with incidents runs the commands.
	checker, _ := problem.New(problem.Config{Store: store, Directory: dir, Permissions: perms})
	incidents, _ := incident.New(incident.Config{Store: store, Directory: dir, Permissions: perms, Matrix: itsm.ITILMatrix(),
		Clock: clock, Workarounds: checker})
	problems, _ := problem.New(problem.Config{Store: store, Directory: dir, Permissions: perms, Incidents: incidents, Clock: clock})
	return &example{ctx: ctx, incidents: incidents, problems: problems, network: network.ID,
		agent: itsm.Actor{Organisation: deskID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}},
		telco: itsm.Actor{Organisation: telcoID, Person: "tove", Roles: []itsm.Role{itsm.RoleAgent}}}
}

func (e *example) incident(summary string) *incident.Incident {
	inc, err := e.incidents.Register(e.ctx, e.agent, incident.Registration{Customer: cityID,
		Caller: incident.Caller{Person: "ulla", Name: "Ulla"}, Channel: incident.ChannelPhone, Service: "mail",
		Category: "outage", Summary: summary, Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
	if err != nil {
		panic(err)
	}
	return inc
}

// The desk records a problem with two incidents waiting for it, and hands
// the investigation to a supplier.
func ExampleService_Record() {
	e := newExample()
	a, b := e.incident("No mail since nine"), e.incident("Mail bounces")
	p, err := e.problems.Record(e.ctx, e.agent, problem.Recording{Summary: "Mail relay drops messages",
		Service: "mail", Priority: 2, Incidents: []itsm.ID{a.ID, b.ID}, Wait: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Number, p.State, "linked:", p.Linked)
	inc, _ := e.incidents.Get(e.ctx, e.agent, a.ID)
	fmt.Println(inc.Number, inc.State)
	p, _ = e.problems.Delegate(e.ctx, e.agent, p.ID, telcoID, e.network, "please investigate")
	fmt.Println(p.State, "held by Telco:", p.Holder == telcoID)
	p, _ = e.problems.Accept(e.ctx, e.telco, p.ID)
	fmt.Println(p.State)
	// Output:
	// PRB0000001 new linked: 2
	// INC0000001 waiting_problem
	// delegated held by Telco: true
	// new
}

// The supplier investigating a problem records a workaround and the root
// cause as a known error; the desk tells the users of the linked
// incidents, and resolves an incident with the workaround, which counts
// it.
func ExampleService_Identify() {
	e := newExample()
	inc := e.incident("No mail since nine")
	p, _ := e.problems.Record(e.ctx, e.telco, problem.Recording{Desk: deskID, Summary: "Mail relay drops messages",
		Priority: 2, Group: e.network})
	_, _ = e.problems.Link(e.ctx, e.agent, p.ID, inc.ID, true)
	p, _ = e.problems.Investigate(e.ctx, e.telco, p.ID)
	wa, _ := e.problems.RecordWorkaround(e.ctx, e.telco, problem.WorkaroundDraft{Desk: deskID,
		Title: "Send through the backup relay", Steps: "Set the outgoing server to relay2.", Risk: problem.RiskLow,
		Applier: []problem.Applier{problem.ApplierDesk}})
	p, ke, err := e.problems.Identify(e.ctx, e.telco, p.ID, problem.KnownErrorDraft{Title: "Relay certificate expired",
		Symptom: "Mail stops arriving.", RootCause: "The relay's TLS certificate expired.",
		ErrorCodes: []string{"SMTP 454"}, Workarounds: []itsm.ID{wa.ID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Number, p.State, ke.Number, ke.Fix.Status, len(ke.Workarounds))
	_, told, _ := e.problems.CommunicateWorkaround(e.ctx, e.agent, p.ID, wa.ID, "Use relay2 until we fix it.")
	fmt.Println("told:", len(told))
	_, _ = e.problems.ResolveIncident(e.ctx, e.agent, p.ID, inc.ID, wa.ID, "relay2 works")
	wa, _ = e.problems.Workaround(e.ctx, e.telco, wa.ID)
	fmt.Println(wa.Number, "resolved:", wa.Resolved)
	// Output:
	// PRB0000001 known_error KE0000001 none 1
	// told: 1
	// WA0000001 resolved: 1
}

// The desk accepts a candidate problem that the detector proposed: a
// problem with the candidate's incidents linked, which are not proposed
// again.
func ExampleService_AcceptCandidate() {
	e := newExample()
	a, b := e.incident("Mail is slow"), e.incident("Mail slow again")
	c := candidate.Candidate{Key: candidate.Key{Service: "mail", Category: "outage", Token: "slow"},
		Incidents: []itsm.ID{a.ID, b.ID}, Count: 2}
	p, err := e.problems.AcceptCandidate(e.ctx, e.agent, c, problem.Recording{Priority: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Number, p.Summary, p.Service, p.Linked)
	ds, _ := e.problems.Dismissals(e.ctx, e.agent)
	fmt.Println(len(ds), ds[0].Reason)
	// Output:
	// PRB0000001 mail / outage / "slow" mail 2
	// 1 accepted as problem PRB0000001
}
