package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// clinic is the server as it runs (httpapi.Build) with the rights of
// problem management: the desk and the suppliers A (which investigates)
// and B read, write and report on problems, the customer reads and
// reports, and supplier C has no rights in the problem domain at all.
type clinic struct {
	*shop
	supC  itsm.ID
	carol *client.ClientWithResponses
}

func newClinic(t *testing.T, store itsm.Store) *clinic {
	t.Helper()
	c := &clinic{shop: newShop(t, store)}
	rwr := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	rr := []api.Access{api.AccessRead, api.AccessReport}
	for id, acc := range map[itsm.ID][]api.Access{c.desk: rwr, c.supA: rwr, c.supB: rwr, c.city: rr} {
		if r, err := c.admin.GrantPermissionsWithResponse(c.ctx, id, api.Rights{Domain: itsm.DomainProblem, Access: acc}); err != nil || r.JSON200 == nil {
			t.Fatalf("grant problem rights: %v %s", err, body(r))
		}
	}
	c.supC = c.org("Printer Supplier", itsm.OrgSupplier, api.AccessRead, api.AccessWrite)
	c.carol = c.token(itsm.Actor{Organisation: c.supC, Person: "carol", Roles: []itsm.Role{itsm.RoleAgent}})
	return c
}

// want fails the test unless the response r came with status code.
func want[R any](t *testing.T, what string, r R, err error, code int) R {
	t.Helper()
	if err != nil || status(r) != code {
		t.Fatalf("%s: %v %s, want %d", what, err, body(r), code)
	}
	return r
}

// incident registers an incident of the city at the desk.
func (c *clinic) incident(summary string) *incident.Incident {
	c.t.Helper()
	reg, err := c.agent.RegisterIncidentWithResponse(c.ctx, nil, api.Registration{Customer: c.city, Caller: api.Caller{Person: "carl"},
		Channel: incident.ChannelPhone, Category: "access", Summary: summary, Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
	want(c.t, "register "+summary, reg, err, http.StatusCreated)
	return reg.JSON201
}

// getIncident reads an incident as the desk.
func (c *clinic) getIncident(id itsm.ID) *incident.Incident {
	c.t.Helper()
	r, err := c.agent.GetIncidentWithResponse(c.ctx, id.String())
	return want(c.t, "get incident", r, err, http.StatusOK).JSON200
}

// workaround records a workaround as the desk.
func (c *clinic) workaround(title string) *problem.Workaround {
	c.t.Helper()
	r, err := c.agent.RecordWorkaroundWithResponse(c.ctx, api.WorkaroundDraft{Title: title, Steps: "Restart the badge reader.",
		Risk: problem.RiskLow, Applier: []api.Applier{problem.ApplierDesk}})
	return want(c.t, "record a workaround", r, err, http.StatusCreated).JSON201
}

// TestProblemLifecycleOverHTTP takes a problem through its life over HTTP
// with the generated client on every backend: recorded with a key, the
// investigation delegated to supplier A and accepted, two incidents linked
// and waiting (one held by supplier B), the root cause identified as a
// known error with a workaround, the workaround communicated, the fix
// started, the problem resolved with its open incidents offered, each
// resolved through its own holder with the workaround, and the problem
// closed by the desk, with its history.
func TestProblemLifecycleOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_problems") {
		t.Run(name, func(t *testing.T) { problemLifecycle(t, newClinic(t, open(t))) })
	}
}

func problemLifecycle(t *testing.T, c *clinic) {
	ctx := c.ctx
	atDesk := c.incident("Badge reader rejects cards at the town hall")
	atB := c.incident("Badge reader rejects cards at the library")
	r1, err := c.agent.DelegateIncidentWithResponse(ctx, atB.ID, nil, api.Delegation{Organisation: c.supB})
	want(t, "delegate to B", r1, err, http.StatusOK)
	r2, err := c.bob.AcceptIncidentWithResponse(ctx, atB.ID, nil)
	want(t, "B accepts", r2, err, http.StatusOK)
	wa := c.workaround("Restart the reader")

	rec := api.ProblemRecording{Summary: "Badge readers reject valid cards", Category: "access", Priority: 2}
	first, err := c.agent.RecordProblemWithResponse(ctx, &api.RecordProblemParams{IdempotencyKey: "badge-1"}, rec)
	p := want(t, "record", first, err, http.StatusCreated).JSON201
	if first.Headers201.Location != "/v1/problems/"+p.ID.String() || first.Headers201.ETag != `"1"` ||
		p.State != problem.StateNew || p.Holder != c.desk || p.Number.String()[:3] != problem.PrefixProblem {
		t.Fatalf("recorded %+v with headers %+v", p, first.Headers201)
	}
	again, err := c.agent.RecordProblemWithResponse(ctx, &api.RecordProblemParams{IdempotencyKey: "badge-1"}, rec)
	if want(t, "record again", again, err, http.StatusCreated).JSON201.ID != p.ID {
		t.Errorf("a retried recording made %s, want %s", again.JSON201.Number, p.Number)
	}
	other := rec
	other.Summary = "Something else"
	if r, err := c.agent.RecordProblemWithResponse(ctx, &api.RecordProblemParams{IdempotencyKey: "badge-1"}, other); err != nil ||
		r.ApplicationProblemJSON422 == nil {
		t.Errorf("the key with other content: %v %s, want 422", err, body(r))
	}

	// By number too.
	r3, err := c.agent.GetProblemWithResponse(ctx, p.Number.String())
	byNumber := want(t, "get by number", r3, err, http.StatusOK)
	if byNumber.JSON200.ID != p.ID || byNumber.Headers200.ETag != first.Headers201.ETag {
		t.Errorf("by number: %+v %+v", byNumber.JSON200, byNumber.Headers200)
	}

	// The desk delegates the investigation with the ETag it read; the
	// same tag again is stale.
	tag := first.Headers201.ETag
	r4, err := c.agent.DelegateProblemWithResponse(ctx, p.ID, &api.DelegateProblemParams{IfMatch: tag},
		api.ProblemDelegation{Organisation: c.supA, Note: "Your readers."})
	d := want(t, "delegate", r4, err, http.StatusOK)
	if d.JSON200.State != problem.StateDelegated || d.JSON200.Holder != c.supA {
		t.Errorf("delegated: %s held by %s", d.JSON200.State, d.JSON200.Holder)
	}
	if r, err := c.agent.RecallProblemWithResponse(ctx, p.ID, &api.RecallProblemParams{IfMatch: tag}, api.Reason{Reason: "x"}); err != nil ||
		r.ApplicationProblemJSON412 == nil {
		t.Errorf("a stale If-Match: %v %s, want 412", err, body(r))
	}
	r5, err := c.alice.AcceptProblemWithResponse(ctx, p.ID, nil)
	want(t, "accept", r5, err, http.StatusOK)
	r6, err := c.alice.InvestigateProblemWithResponse(ctx, p.ID, nil)
	want(t, "investigate", r6, err, http.StatusOK)
	r7, err := c.alice.NoteProblemWithResponse(ctx, p.ID, nil, api.ProblemNote{Note: "Firmware 4.2 on every reader."})
	want(t, "note", r7, err, http.StatusOK)

	// Both incidents are linked and wait for the problem, whoever holds them.
	for _, inc := range []*incident.Incident{atDesk, atB} {
		r8, err := c.agent.LinkProblemIncidentWithResponse(ctx, p.ID, nil,
			api.ProblemLink{Incident: inc.ID, Wait: true})
		want(t, "link "+inc.Number.String(), r8, err, http.StatusOK)
		if got := c.getIncident(inc.ID); got.Problem != p.ID || got.State != incident.StateWaitingProblem {
			t.Errorf("%s after the link: problem %s, state %s", got.Number, got.Problem, got.State)
		}
	}
	// Each sees the linked incidents it may see (SD-13): the desk both,
	// supplier A, which holds the problem but neither incident, none.
	linkedAs := func(who *client.ClientWithResponses) int {
		t.Helper()
		r, err := who.ListProblemIncidentsWithResponse(ctx, p.ID)
		return len(want(t, "linked", r, err, http.StatusOK).JSON200.Items)
	}
	if desk, a := linkedAs(c.agent), linkedAs(c.alice); desk != 2 || a != 0 {
		t.Errorf("the desk lists %d linked incidents, supplier A %d; want 2 and 0", desk, a)
	}

	r10, err := c.alice.IdentifyProblemWithResponse(ctx, p.ID, nil, api.KnownErrorDraft{
		Title: "Firmware 4.2 drops the card cache", Symptom: "Valid cards are refused.", RootCause: "A firmware bug.",
		ErrorCodes: []api.Label{"BR-17"}, Workarounds: []itsm.ID{wa.ID}, Fix: problem.Fix{Status: problem.FixPlanned}})
	id := want(t, "identify", r10, err, http.StatusOK)
	ke := id.JSON200.KnownError
	if id.JSON200.Problem.State != problem.StateKnownError || id.JSON200.Problem.KnownError != ke.ID ||
		!slices.Equal(ke.Workarounds, []itsm.ID{wa.ID}) || id.Headers200.ETag == "" {
		t.Errorf("identified: %+v", id.JSON200)
	}
	r11, err := c.agent.CommunicateProblemWorkaroundWithResponse(ctx, p.ID, nil,
		api.WorkaroundCommunication{Workaround: wa.ID, Text: "Until the fix: the desk restarts your reader."})
	told := want(t, "communicate", r11, err, http.StatusOK)
	if len(told.JSON200.Incidents) != 2 {
		t.Errorf("the workaround reached %d incidents, want 2", len(told.JSON200.Incidents))
	}
	r12, err := c.alice.StartProblemFixWithResponse(ctx, p.ID, nil, api.FixStart{Change: "CHG-88"})
	want(t, "start the fix", r12, err, http.StatusOK)
	r13, err := c.alice.ResolveProblemWithResponse(ctx, p.ID, nil, api.ProblemNote{Note: "Firmware 4.3 everywhere."})
	res := want(t, "resolve", r13, err, http.StatusOK)
	// The offer is of the open incidents the resolver may see: none to
	// supplier A; the desk lists both, still open.
	if res.JSON200.Problem.State != problem.StateResolved || len(res.JSON200.Offered) != 0 {
		t.Fatalf("resolved: %s offering %d incidents to supplier A", res.JSON200.Problem.State, len(res.JSON200.Offered))
	}
	if n := linkedAs(c.agent); n != 2 {
		t.Errorf("the desk lists %d linked incidents after the resolution, want 2", n)
	}
	// Only the desk closes (SD-4), and only each incident's holder resolves
	// it: the desk cannot resolve what supplier B holds.
	if r, err := c.alice.CloseProblemWithResponse(ctx, p.ID, nil, api.ProblemNote{Note: "done"}); err != nil || status(r) != http.StatusForbidden {
		t.Errorf("supplier A closes: %v %s, want 403", err, body(r))
	}
	if r, err := c.agent.ResolveProblemIncidentWithResponse(ctx, p.ID, atB.ID, api.LinkedResolution{Workaround: wa.ID, Text: "x"}); err != nil ||
		(status(r) != http.StatusConflict && status(r) != http.StatusForbidden) {
		t.Errorf("the desk resolves supplier B's incident: %v %s, want a refusal", err, body(r))
	}
	for _, step := range []struct {
		who *client.ClientWithResponses
		inc *incident.Incident
	}{{c.agent, atDesk}, {c.bob, atB}} {
		r14, err := step.who.ResolveProblemIncidentWithResponse(ctx, p.ID, step.inc.ID,
			api.LinkedResolution{Workaround: wa.ID, Text: "Restarted the reader."})
		r := want(t, "resolve "+step.inc.Number.String(), r14, err, http.StatusOK)
		if r.JSON200.State != incident.StateResolved || r.JSON200.Outcome == nil || r.JSON200.Outcome.Workaround != wa.ID {
			t.Errorf("%s resolved: %s %+v", step.inc.Number, r.JSON200.State, r.JSON200.Outcome)
		}
	}
	r15, err := c.carl.GetWorkaroundWithResponse(ctx, wa.ID)
	w := want(t, "get the workaround", r15, err, http.StatusOK)
	if w.JSON200.Resolved != 2 {
		t.Errorf("the workaround resolved %d incidents, want 2", w.JSON200.Resolved)
	}
	r16, err := c.agent.CloseProblemWithResponse(ctx, p.ID, nil, api.ProblemNote{Note: "Fixed for good."})
	closed := want(t, "close", r16, err, http.StatusOK)
	if closed.JSON200.State != problem.StateClosed {
		t.Errorf("closed: %s", closed.JSON200.State)
	}
	r17, err := c.agent.ListProblemEventsWithResponse(ctx, p.ID)
	evs := want(t, "events", r17, err, http.StatusOK)
	var types []string
	for _, e := range evs.JSON200.Items {
		types = append(types, e.Type)
	}
	if len(types) < 10 || types[0] != "problem.recorded" || types[len(types)-1] != "problem.closed" {
		t.Errorf("the history: %v", types)
	}
	// Supplier C has no rights in the problem domain: 403.
	if r, err := c.carol.GetProblemWithResponse(ctx, p.ID.String()); err != nil || status(r) != http.StatusForbidden {
		t.Errorf("supplier C reads the problem: %v %s, want 403", err, body(r))
	}
}
