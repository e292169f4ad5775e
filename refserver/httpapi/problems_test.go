package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/webhook"
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
	// The detector reads the desk's incidents as reports do.
	if r, err := c.admin.GrantPermissionsWithResponse(c.ctx, c.desk, api.Rights{Domain: itsm.DomainIncident,
		Access: []api.Access{api.AccessReport}}); err != nil || r.JSON200 == nil {
		t.Fatalf("grant incident reports: %v %s", err, body(r))
	}
	c.supC = c.org("Printer Supplier", itsm.OrgSupplier, api.AccessRead, api.AccessWrite)
	c.carol = c.token(itsm.Actor{Organisation: c.supC, Person: "carol", Roles: []itsm.Role{itsm.RoleAgent}})
	return c
}

// want fails the test unless the response r came with status code.
func want[R any](t testing.TB, what string, r R, err error, code int) R {
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

// TestKnownErrorsAndWorkaroundsOverHTTP records, revises, links, publishes
// and retires records of the KEDB and the WADB with their ETags, lists
// known errors by each filter, and checks who reads them (PM-2, SD-13):
// suppliers and the customer with rights read, supplier C without rights
// is refused, and the customer, with read and report only, writes nothing.
func TestKnownErrorsAndWorkaroundsOverHTTP(t *testing.T) {
	c := newClinic(t, memstoreFor(t))
	ctx := c.ctx
	wa := c.workaround("Restart the reader")
	// The known error names a reader of the desk's CMDB, which supplier
	// A, recording it, reads.
	c.cmdbRights(c.desk, api.AccessRead, api.AccessWrite)
	reader, err := c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "network_device", Name: "Badge reader, town hall",
		Attributes: api.ItemAttributes{"serial_number": "BR-0042"}})
	ci := want(t, "register the badge reader", reader, err, http.StatusCreated).JSON201.ID
	rec, err := c.alice.RecordKnownErrorWithResponse(ctx, api.KnownErrorDraft{Desk: c.desk, Title: "Reader firmware 4.2",
		Symptom: "Cards refused.", RootCause: "Cache bug.", ErrorCodes: []api.Label{"BR-17"}, Services: []api.Label{"Access"},
		CIs: []itsm.ID{ci}, Fix: problem.Fix{Status: problem.FixPlanned}})
	ke := want(t, "supplier A records a known error", rec, err, http.StatusCreated).JSON201
	if rec.Headers201.Location != "/v1/known-errors/"+ke.ID.String() || ke.RecordedBy != c.supA || ke.Desk != c.desk {
		t.Errorf("recorded %+v at %s", ke, rec.Headers201.Location)
	}
	tag := rec.Headers201.ETag
	att, err := c.agent.AttachWorkaroundWithResponse(ctx, ke.ID, &api.AttachWorkaroundParams{IfMatch: tag}, api.WorkaroundAttachment{Workaround: wa.ID})
	if want(t, "attach", att, err, http.StatusOK); !slices.Equal(att.JSON200.Workarounds, []itsm.ID{wa.ID}) {
		t.Errorf("attached: %v", att.JSON200.Workarounds)
	}
	// The tag read before the attachment is stale now: 412, nothing changes.
	stale, err := c.agent.ReviseKnownErrorWithResponse(ctx, ke.ID, &api.ReviseKnownErrorParams{IfMatch: tag}, api.KnownErrorDraft{
		Title: "Changed", Symptom: "s", RootCause: "r", Fix: problem.Fix{Status: problem.FixNone}})
	if err != nil || stale.ApplicationProblemJSON412 == nil {
		t.Errorf("a stale revision: %v %s, want 412", err, body(stale))
	}
	rev, err := c.agent.ReviseKnownErrorWithResponse(ctx, ke.ID, &api.ReviseKnownErrorParams{IfMatch: att.Headers200.ETag}, api.KnownErrorDraft{
		Title: "Reader firmware 4.2 drops the cache", Symptom: "Cards refused.", RootCause: "Cache bug.", ErrorCodes: []api.Label{"BR-17"},
		Services: []api.Label{"Access"}, CIs: []itsm.ID{ci}, Fix: problem.Fix{Status: problem.FixReleased, Change: "CHG-9"}})
	if want(t, "revise", rev, err, http.StatusOK); rev.JSON200.Title != "Reader firmware 4.2 drops the cache" || len(rev.JSON200.Workarounds) != 1 {
		t.Errorf("revised: %+v", rev.JSON200)
	}
	other, err := c.agent.RecordKnownErrorWithResponse(ctx, api.KnownErrorDraft{Title: "Printer driver hangs", Symptom: "s", RootCause: "r",
		ErrorCodes: []api.Label{"PR-1"}, Services: []api.Label{"Print"}, Fix: problem.Fix{Status: problem.FixNone}})
	want(t, "the desk records a known error", other, err, http.StatusCreated)

	// Each filter keeps the one it names; unfixed keeps the printer's, whose
	// fix is not released.
	for name, f := range map[string]api.ListKnownErrorsParams{
		"service": {Service: "Access"}, "ci": {CI: ci}, "error code": {ErrorCode: "BR-17"},
	} {
		l, err := c.carl.ListKnownErrorsWithResponse(ctx, &f, dropZeros)
		if want(t, "list by "+name, l, err, http.StatusOK); len(l.JSON200.Items) != 1 || l.JSON200.Items[0].ID != ke.ID {
			t.Errorf("by %s the customer lists %d known errors", name, len(l.JSON200.Items))
		}
	}
	unfixed, err := c.bob.ListKnownErrorsWithResponse(ctx, &api.ListKnownErrorsParams{Unfixed: true}, dropZeros)
	if want(t, "list unfixed", unfixed, err, http.StatusOK); len(unfixed.JSON200.Items) != 1 || unfixed.JSON200.Items[0].ID != other.JSON201.ID {
		t.Errorf("unfixed: %d known errors", len(unfixed.JSON200.Items))
	}

	// The customer reads but does not write; supplier C has no rights.
	if r, err := c.carl.GetKnownErrorWithResponse(ctx, ke.ID); err != nil || status(r) != http.StatusOK {
		t.Errorf("the customer reads a known error: %v %s", err, body(r))
	}
	if r, err := c.carl.RecordWorkaroundWithResponse(ctx, api.WorkaroundDraft{Desk: c.desk, Title: "t", Steps: "s",
		Risk: problem.RiskLow, Applier: []api.Applier{problem.ApplierUser}}); err != nil || status(r) != http.StatusForbidden {
		t.Errorf("the customer records a workaround: %v %s, want 403", err, body(r))
	}
	for what, code := range map[string]int{
		"get":              status(mustResp(c.carol.GetKnownErrorWithResponse(ctx, ke.ID))),
		"list":             status(mustResp(c.carol.ListKnownErrorsWithResponse(ctx, nil))),
		"get a workaround": status(mustResp(c.carol.GetWorkaroundWithResponse(ctx, wa.ID))),
	} {
		if code != http.StatusForbidden {
			t.Errorf("supplier C without rights: %s answers %d, want 403", what, code)
		}
	}
	if r, err := c.agent.GetKnownErrorWithResponse(ctx, itsm.NewID()); err != nil || status(r) != http.StatusNotFound {
		t.Errorf("an unknown known error: %v %s, want 404", err, body(r))
	}

	det, err := c.agent.DetachWorkaroundWithResponse(ctx, ke.ID, wa.ID, nil)
	if want(t, "detach", det, err, http.StatusOK); len(det.JSON200.Workarounds) != 0 {
		t.Errorf("detached: %v", det.JSON200.Workarounds)
	}
	pub, err := c.agent.PublishKnownErrorWithResponse(ctx, ke.ID, nil)
	if want(t, "publish", pub, err, http.StatusOK); !pub.JSON200.Published {
		t.Error("not published")
	}
	ret, err := c.agent.RetireKnownErrorWithResponse(ctx, ke.ID, nil, api.Reason{Reason: "Firmware 4.3 everywhere."})
	if want(t, "retire", ret, err, http.StatusOK); !ret.JSON200.Retired {
		t.Error("not retired")
	}

	got, err := c.agent.GetWorkaroundWithResponse(ctx, wa.ID)
	want(t, "get the workaround", got, err, http.StatusOK)
	wrev, err := c.agent.ReviseWorkaroundWithResponse(ctx, wa.ID, &api.ReviseWorkaroundParams{IfMatch: got.Headers200.ETag}, api.WorkaroundDraft{
		Title: "Restart the reader twice", Steps: "Twice.", Risk: problem.RiskMedium, Applier: []api.Applier{problem.ApplierDesk, problem.ApplierUser}})
	if want(t, "revise the workaround", wrev, err, http.StatusOK); wrev.JSON200.Risk != problem.RiskMedium {
		t.Errorf("revised: %+v", wrev.JSON200)
	}
	if r, err := c.agent.RetireWorkaroundWithResponse(ctx, wa.ID, &api.RetireWorkaroundParams{IfMatch: got.Headers200.ETag},
		api.Reason{Reason: "x"}); err != nil || r.ApplicationProblemJSON412 == nil {
		t.Errorf("a stale retirement: %v %s, want 412", err, body(r))
	}
	wret, err := c.agent.RetireWorkaroundWithResponse(ctx, wa.ID, nil, api.Reason{Reason: "The fix is out."})
	if want(t, "retire the workaround", wret, err, http.StatusOK); !wret.JSON200.Retired {
		t.Error("the workaround is not retired")
	}
	list, err := c.bob.ListWorkaroundsWithResponse(ctx, nil)
	if want(t, "list workarounds", list, err, http.StatusOK); len(list.JSON200.Items) != 1 {
		t.Errorf("supplier B lists %d workarounds", len(list.JSON200.Items))
	}
	// A retired workaround resolves nothing more.
	inc := c.incident("Reader dead")
	if r, err := c.agent.ResolveIncidentWithResponse(ctx, inc.ID, nil, api.Resolution{Code: "workaround", Text: "x", Workaround: wa.ID}); err != nil ||
		status(r) < 400 {
		t.Errorf("a resolution naming a retired workaround: %v %s, want a refusal", err, body(r))
	}
}

// mustResp drops a generated call's error, for a status read where the
// response is all that matters.
func mustResp[R any](r R, _ error) R { return r }

// spike registers n incidents of one summary now; against a baseline
// without them they are a candidate problem.
func (c *clinic) spike(summary string, n int) []itsm.ID {
	c.t.Helper()
	var out []itsm.ID
	for range n {
		out = append(out, c.incident(summary).ID)
	}
	return out
}

// past registers, through the incident library on the server's store with
// a clock of its own, one incident a week for the twelve weeks before
// now, each about something else: the history against which a spike of
// today is unusual. The API registers at the time it is.
func (c *clinic) past() {
	c.t.Helper()
	dir, err := auth.NewDirectory(c.ctx, c.store, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	at := time.Now().Add(-12 * 7 * 24 * time.Hour)
	svc, err := incident.New(incident.Config{Store: c.store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Clock: itsm.ClockFunc(func() time.Time { return at })})
	if err != nil {
		c.t.Fatal(err)
	}
	dana := itsm.Actor{Organisation: c.desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	for week := range 12 {
		at = time.Now().Add(time.Duration(week-12) * 7 * 24 * time.Hour)
		if _, err := svc.Register(c.ctx, dana, incident.Registration{Customer: c.city, Caller: incident.Caller{Person: "carl"},
			Channel: incident.ChannelPhone, Category: "access", Summary: fmt.Sprintf("Question number %d", week),
			Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow}); err != nil {
			c.t.Fatal(err)
		}
	}
}

// candidates lists the desk's candidates.
func (c *clinic) candidates() []api.ProblemCandidate {
	c.t.Helper()
	r, err := c.agent.ListProblemCandidatesWithResponse(c.ctx)
	return want(c.t, "list the candidates", r, err, http.StatusOK).JSON200.Items
}

// TestProblemCandidatesOverHTTP lists the candidates the desk's incidents
// make now, accepts one by its id as a problem with its incidents linked,
// dismisses another with a reason, and checks that neither is proposed
// again, that an id no longer proposed is not found, and that only the
// desk runs the detector.
func TestProblemCandidatesOverHTTP(t *testing.T) {
	c := newClinic(t, memstoreFor(t))
	ctx := c.ctx
	c.past()
	badges := c.spike("Badge reader rejects cards", 6)
	cs := c.candidates()
	if len(cs) != 1 || !slices.Equal(cs[0].Candidate.Incidents, badges) || cs[0].Candidate.Count != 6 {
		t.Fatalf("the candidates: %+v", cs)
	}
	if again := c.candidates(); len(again) != 1 || again[0].ID != cs[0].ID {
		t.Errorf("a second listing within the hour names the candidate %v, the first %s", again, cs[0].ID)
	}
	for who, cl := range map[string]*client.ClientWithResponses{"supplier A": c.alice, "the customer": c.carl} {
		if r, err := cl.ListProblemCandidatesWithResponse(ctx); err != nil || status(r) != http.StatusForbidden {
			t.Errorf("%s lists the candidates: %v %s, want 403", who, err, body(r))
		}
	}
	acc, err := c.agent.AcceptProblemCandidateWithResponse(ctx, cs[0].ID, api.CandidateAcceptance{Priority: 3, Wait: true})
	p := want(t, "accept", acc, err, http.StatusCreated).JSON201
	if p.Linked != 6 || p.Candidate == "" || acc.Headers201.Location != "/v1/problems/"+p.ID.String() {
		t.Errorf("accepted as %+v", p)
	}
	if got := c.getIncident(badges[0]); got.Problem != p.ID || got.State != incident.StateWaitingProblem {
		t.Errorf("an accepted candidate's incident: problem %s, state %s", got.Problem, got.State)
	}
	if left := c.candidates(); len(left) != 0 {
		t.Errorf("after the acceptance the candidates are %+v", left)
	}
	if r, err := c.agent.AcceptProblemCandidateWithResponse(ctx, cs[0].ID, api.CandidateAcceptance{Priority: 3}); err != nil ||
		status(r) != http.StatusNotFound {
		t.Errorf("accepting it again: %v %s, want 404", err, body(r))
	}

	c.spike("Door locks stay open", 5)
	cs = c.candidates()
	if len(cs) != 1 {
		t.Fatalf("the second spike: %+v", cs)
	}
	dis, err := c.agent.DismissProblemCandidateWithResponse(ctx, cs[0].ID, api.Reason{Reason: "A planned test of the locks."})
	if want(t, "dismiss", dis, err, http.StatusOK); dis.JSON200.Reason != "A planned test of the locks." || len(dis.JSON200.Incidents) != 5 {
		t.Errorf("dismissed: %+v", dis.JSON200)
	}
	if left := c.candidates(); len(left) != 0 {
		t.Errorf("after the dismissal the candidates are %+v", left)
	}
	if r, err := c.agent.DismissProblemCandidateWithResponse(ctx, cs[0].ID, api.Reason{Reason: "again"}); err != nil ||
		status(r) != http.StatusNotFound {
		t.Errorf("dismissing it again: %v %s, want 404", err, body(r))
	}

	// A candidate one of whose incidents another problem took meanwhile is
	// accepted with the others linked, and that one left with its problem
	// (decision 109).
	lifts := c.spike("Lift stops between floors", 5)
	cs = c.candidates()
	if len(cs) != 1 {
		t.Fatalf("the third spike: %+v", cs)
	}
	other, err := c.agent.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Summary: "Lift controller", Priority: 2, Incidents: lifts[:1]})
	want(t, "record a problem with one of the lifts", other, err, http.StatusCreated)
	r, err := c.agent.AcceptProblemCandidateWithResponse(ctx, cs[0].ID, api.CandidateAcceptance{Priority: 3})
	if p := want(t, "accept a candidate whose incident moved on", r, err, http.StatusCreated).JSON201; p.Linked != len(lifts)-1 {
		t.Errorf("the candidate whose incident moved on links %d incidents, want %d", p.Linked, len(lifts)-1)
	}
	if got := c.getIncident(lifts[0]); got.Problem != other.JSON201.ID {
		t.Errorf("the incident that moved on names problem %s, want %s", got.Problem, other.JSON201.ID)
	}
}

// TestProblemWebhooks subscribes the desk, three suppliers and the
// customer and takes a problem to supplier A with a known error and a
// workaround: the desk receives the problem's events from its recording,
// supplier A from its delegation on, supplier B (with rights, never
// holding it) and the customer none of them; the KEDB's and the WADB's
// events reach every organisation that reads them, and none reaches
// supplier C, which has no rights in the problem domain (decision 103).
func TestProblemWebhooks(t *testing.T) {
	c := newClinic(t, memstoreFor(t))
	ctx := c.ctx
	subscribe := func(cl *client.ClientWithResponses) *receiver {
		rc := newReceiver(t)
		r, err := cl.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL, Types: []api.EventFilter{"problem.", "known_error.", "workaround."}})
		rc.setSecret(want(t, "subscribe", r, err, http.StatusCreated).JSON201.Secret)
		return rc
	}
	desk, a, b, city, carol := subscribe(c.agent), subscribe(c.alice), subscribe(c.bob), subscribe(c.cadm), subscribe(c.carol)

	rec, err := c.agent.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Summary: "Badge readers reject valid cards", Priority: 2})
	p := want(t, "record", rec, err, http.StatusCreated).JSON201
	d, err := c.agent.DelegateProblemWithResponse(ctx, p.ID, nil, api.ProblemDelegation{Organisation: c.supA})
	want(t, "delegate", d, err, http.StatusOK)
	acc, err := c.alice.AcceptProblemWithResponse(ctx, p.ID, nil)
	want(t, "accept", acc, err, http.StatusOK)
	wa := c.workaround("Restart the reader")
	inv, err := c.alice.InvestigateProblemWithResponse(ctx, p.ID, nil)
	want(t, "investigate", inv, err, http.StatusOK)
	id, err := c.alice.IdentifyProblemWithResponse(ctx, p.ID, nil, api.KnownErrorDraft{Title: "Firmware 4.2", Symptom: "s",
		RootCause: "r", Workarounds: []itsm.ID{wa.ID}, Fix: problem.Fix{Status: problem.FixPlanned}})
	ke := want(t, "identify", id, err, http.StatusOK).JSON200.KnownError

	wait := func(rc *receiver, subject itsm.ID, typ string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if slices.ContainsFunc(rc.payloads(), func(p webhook.Payload) bool { return p.Subject != nil && *p.Subject == subject && p.Type == typ }) {
				return
			}
		}
		t.Fatalf("%s of %s not delivered; got %v", typ, subject, rc.types())
	}
	wait(desk, p.ID, "problem.identified")
	wait(a, p.ID, "problem.identified")
	for _, rc := range []*receiver{desk, a, b, city} {
		wait(rc, ke.ID, "known_error.recorded")
		wait(rc, wa.ID, "workaround.recorded")
	}
	kinds := func(rc *receiver, kind string) []string {
		var out []string
		for _, p := range rc.payloads() {
			if p.Kind == kind {
				out = append(out, p.Type)
			}
		}
		return out
	}
	if got := kinds(desk, problem.Kind); len(got) == 0 || got[0] != "problem.recorded" {
		t.Errorf("the desk received %v of the problem, want it from problem.recorded on", got)
	}
	if got := kinds(a, problem.Kind); len(got) == 0 || got[0] != "problem.delegated" {
		t.Errorf("supplier A received %v of the problem, want it from its delegation on", got)
	}
	for who, rc := range map[string]*receiver{"supplier B": b, "the customer": city} {
		if got := kinds(rc, problem.Kind); len(got) != 0 {
			t.Errorf("%s received the problem's %v", who, got)
		}
	}
	// Supplier C reads none of it; by now everything else has been
	// delivered, and its deliveries would have come in the same pass.
	if got := carol.types(); len(got) != 0 {
		t.Errorf("supplier C without rights received %v", got)
	}
}

// TestProblemRefusals checks that the refusals of problem management map
// to their statuses: a customer records no problem (403), a supplier
// delegates none (403), the desk closes no open problem (409), an unknown
// problem is not found (404), a recording without a summary is refused by
// the contract (400), an incident linked twice conflicts (409), and a
// server without the problem service answers 501.
func TestProblemRefusals(t *testing.T) {
	c := newClinic(t, memstoreFor(t))
	ctx := c.ctx
	rec, err := c.agent.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Summary: "Readers", Priority: 3})
	p := want(t, "record", rec, err, http.StatusCreated).JSON201
	inc := c.incident("Reader dead")
	link, err := c.agent.LinkProblemIncidentWithResponse(ctx, p.ID, nil, api.ProblemLink{Incident: inc.ID})
	want(t, "link", link, err, http.StatusOK)
	for _, tc := range []struct {
		what string
		code int
		call func() (any, error)
	}{
		{"the customer records", http.StatusForbidden, func() (any, error) {
			return c.carl.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Desk: c.desk, Summary: "x", Priority: 3})
		}},
		{"a supplier delegates", http.StatusForbidden, func() (any, error) {
			return c.alice.DelegateProblemWithResponse(ctx, p.ID, nil, api.ProblemDelegation{Organisation: c.supB})
		}},
		{"the desk closes an open problem", http.StatusConflict, func() (any, error) {
			return c.agent.CloseProblemWithResponse(ctx, p.ID, nil, api.ProblemNote{Note: "x"})
		}},
		{"an unknown problem", http.StatusNotFound, func() (any, error) {
			return c.agent.GetProblemWithResponse(ctx, itsm.NewID().String())
		}},
		{"an unknown number", http.StatusNotFound, func() (any, error) {
			return c.agent.GetProblemWithResponse(ctx, "PRB0009999")
		}},
		{"a recording without a summary", http.StatusBadRequest, func() (any, error) {
			return c.agent.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Priority: 3})
		}},
		{"the incident linked again", http.StatusConflict, func() (any, error) {
			return c.agent.LinkProblemIncidentWithResponse(ctx, p.ID, nil, api.ProblemLink{Incident: inc.ID})
		}},
		{"supplier C without rights records", http.StatusForbidden, func() (any, error) {
			return c.carol.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Desk: c.desk, Summary: "x", Priority: 3})
		}},
	} {
		r, err := tc.call()
		if err != nil || status(r) != tc.code {
			t.Errorf("%s: %v %s, want %d", tc.what, err, body(r), tc.code)
		}
	}
	// None of the refusals changed the problem.
	got, err := c.agent.GetProblemWithResponse(ctx, p.ID.String())
	if want(t, "get", got, err, http.StatusOK); got.Headers200.ETag != link.Headers200.ETag || got.JSON200.State != problem.StateNew {
		t.Errorf("after the refusals: %s, ETag %s, want %s", got.JSON200.State, got.Headers200.ETag, link.Headers200.ETag)
	}

	// A server without problems answers 501 unsupported.
	w := newWorld(t)
	status, pr := problemOf(t, mustResp(w.admin.ListProblemsWithResponse(w.ctx, nil)))
	if status != http.StatusNotImplemented || pr.Code != api.ErrorCode(itsm.CodeUnsupported) {
		t.Errorf("a server without problems: %d %+v, want 501", status, pr)
	}
}
