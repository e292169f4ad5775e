package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/go-cmp/cmp"

	spocchain "github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// kin-openapi decodes no text/html body by itself; the contract's HTML is a
// string, which is what its plain-text decoder makes of any body.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) }

// ledger is a world whose incidents, reports and follow-ups run on a
// manual clock, so that a month can pass and end within a test: a desk, a
// customer whose user may read but not report on incidents and whose
// approver reviews follow-ups, and two suppliers, A with report access.
type ledger struct {
	*world
	clock                        *itsm.ManualClock
	city, town, desk, supA, supB itsm.ID
	agent, alice, bob            *client.ClientWithResponses
	user, approver, admin        *client.ClientWithResponses
}

// serveManual serves the whole API (incidents, follow-ups, groups) on a
// new memstore whose services all run on a manual clock at start.
func serveManual(t *testing.T, start time.Time) (*world, *itsm.ManualClock) {
	t.Helper()
	ctx := context.Background()
	clock := itsm.NewManualClock(start)
	store := memstore.New()
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	follow, err := followup.New(followup.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Clock: clock, Provides: httpapi.FollowUpProvides(store), Compute: httpapi.FollowUpCompute(store, dir, svc, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := spocchain.New(spocchain.Config{Store: store, Directory: dir, Clock: clock, Admin: httpapi.Admin(dir)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Deps{Store: store, Directory: dir, Tokens: auth.NewTokens(dir, nil), Incidents: svc,
		Clock: clock, FollowUps: follow, Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	w := serveWorld(t, store, h, secret)
	return w, clock
}

func newLedger(t *testing.T, start time.Time) *ledger {
	t.Helper()
	w, clock := serveManual(t, start)

	l := &ledger{world: w, clock: clock}
	rw := []api.Access{api.AccessRead, api.AccessWrite}
	rwr := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	l.city = w.org("City of Example", itsm.OrgCustomer, api.AccessRead)
	l.town = w.org("Town of Sample", itsm.OrgCustomer, api.AccessRead)
	l.desk = w.org("Service Desk", itsm.OrgDesk, rwr...)
	l.supA = w.org("Network Supplier", itsm.OrgSupplier, rwr...)
	l.supB = w.org("Hardware Supplier", itsm.OrgSupplier, rw...)
	l.grant(l.desk, itsm.DomainServiceLevel, rwr...)
	l.grant(l.city, itsm.DomainServiceLevel, rw...)
	l.agent = w.token(itsm.Actor{Organisation: l.desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	l.alice = w.token(itsm.Actor{Organisation: l.supA, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}})
	l.bob = w.token(itsm.Actor{Organisation: l.supB, Person: "bob", Roles: []itsm.Role{itsm.RoleAgent}})
	l.user = w.token(itsm.Actor{Organisation: l.city, Person: "carl"})
	l.approver = w.token(itsm.Actor{Organisation: l.city, Person: "vera", Roles: []itsm.Role{itsm.RoleApprover}})
	l.admin = w.token(itsm.Actor{Organisation: l.desk, Person: "root", Roles: []itsm.Role{itsm.RoleAdmin}})
	return l
}

// grant gives org the rights in the domain.
func (l *ledger) grant(org itsm.ID, dom itsm.Domain, access ...api.Access) {
	l.t.Helper()
	g, err := l.world.admin.GrantPermissionsWithResponse(l.ctx, org, api.Rights{Domain: dom, Access: access})
	if err != nil || g.JSON200 == nil {
		l.t.Fatalf("grant %s on %s: %v %s", org, dom, err, body(g))
	}
}

// settle stores a 24x7 calendar, the desk's SLA with the city and each
// supplier's UC with the desk, through the API. The calendar is the
// platform administrator's, so that every desk's agreements may count on
// it.
func (l *ledger) settle() {
	l.t.Helper()
	c := &chain{world: l.world}
	if r := putCalendar(l.t, c, l.world.admin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		l.t.Fatalf("create uc-hours: %s", body(r))
	}
	for _, raw := range []string{
		agreementJSON("City SLA", "SLA", l.desk, l.city, "16h", "uc-hours"),
		agreementJSON("Network UC", "UC", l.supA, l.desk, "8h", "uc-hours"),
		agreementJSON("Hardware UC", "UC", l.supB, l.desk, "8h", "uc-hours"),
	} {
		if r := createAgreement(l.t, c, l.admin, raw); r.JSON201 == nil {
			l.t.Fatalf("create an agreement: %s", body(r))
		}
	}
}

// solve registers an incident for the city, has the supplier resolve it an
// hour after each step and the desk close it.
func (l *ledger) solve(summary string, supplier itsm.ID, sup *client.ClientWithResponses) itsm.ID {
	l.t.Helper()
	return l.solveFor(l.city, summary, supplier, sup)
}

// solveFor is solve for the customer's user.
func (l *ledger) solveFor(customer itsm.ID, summary string, supplier itsm.ID, sup *client.ClientWithResponses) itsm.ID {
	l.t.Helper()
	return l.solveBy(l.agent, customer, summary, supplier, sup)
}

// solveBy is solveFor with the desk's agent agent, of whichever desk.
func (l *ledger) solveBy(agent *client.ClientWithResponses, customer itsm.ID, summary string, supplier itsm.ID, sup *client.ClientWithResponses) itsm.ID {
	l.t.Helper()
	ctx := l.ctx
	reg, err := agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"},
		Channel: "phone", Customer: customer, Summary: summary, Impact: 2, Urgency: 2})
	if err != nil || reg.JSON201 == nil {
		l.t.Fatalf("register %q: %v %s", summary, err, body(reg))
	}
	id := reg.JSON201.ID
	l.clock.Advance(time.Hour)
	del, err := agent.DelegateIncidentWithResponse(ctx, id, &api.DelegateIncidentParams{IfMatch: "*"},
		api.Delegation{Organisation: supplier, Note: "please look"})
	if err != nil || del.JSON200 == nil {
		l.t.Fatalf("delegate %q: %v %s", summary, err, body(del))
	}
	l.clock.Advance(time.Hour)
	if r, err := sup.AcceptIncidentWithResponse(ctx, id, &api.AcceptIncidentParams{IfMatch: "*"}); err != nil || r.JSON200 == nil {
		l.t.Fatalf("accept %q: %v %s", summary, err, body(r))
	}
	l.clock.Advance(time.Hour)
	if r, err := sup.ReportBackIncidentWithResponse(ctx, id, nil, api.Resolution{Code: "fixed", Text: "Fixed."}); err != nil || r.JSON200 == nil {
		l.t.Fatalf("report back %q: %v %s", summary, err, body(r))
	}
	l.clock.Advance(time.Hour)
	if r, err := agent.CloseIncidentWithResponse(ctx, id, nil, api.Closure{Message: "Done."}); err != nil || r.JSON200 == nil {
		l.t.Fatalf("close %q: %v %s", summary, err, body(r))
	}
	return id
}

var (
	november = report.Month(2026, time.November, time.UTC)
	// monday is the first Monday of November 2026, at nine.
	monday = time.Date(2026, time.November, 2, 9, 0, 0, 0, time.UTC)
)

// getReport fetches November's report in the format.
func (l *ledger) getReport(who *client.ClientWithResponses, format api.ReportFormat, agreements ...string) *client.GetReportResponse {
	l.t.Helper()
	r, err := who.GetReportWithResponse(l.ctx, &api.GetReportParams{From: november.From, To: november.To, Previous: 2,
		Agreement: agreements, Format: format}, dropZeros)
	if err != nil {
		l.t.Fatalf("get the report: %v", err)
	}
	return r
}

func agreementNames(r *report.Report) []string {
	var out []string
	for _, a := range r.Agreements {
		out = append(out, a.Agreement)
	}
	return out
}

// TestReportPerParty computes November's report over HTTP in each format,
// and checks that each party's report covers only its agreements and the
// incidents it may see, and that reporting needs report access.
func TestReportPerParty(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	l.solve("network down", l.supA, l.alice)
	l.solve("VPN flaps", l.supA, l.alice)
	l.solve("laptop broken", l.supB, l.bob)
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	// The desk: every ticket, every agreement, the trend of three months.
	r := l.getReport(l.agent, api.ReportFormatJSON)
	if r.JSON200 == nil {
		t.Fatalf("the desk's report: %s", body(r))
	}
	desk := r.JSON200
	if desk.Total.Registered != 3 || desk.Total.Closed != 3 {
		t.Errorf("the desk's total: %+v, want 3 registered and closed", desk.Total)
	}
	if got := strings.Join(agreementNames(desk), ","); got != "City SLA,Hardware UC,Network UC" {
		t.Errorf("the desk's agreements: %s", got)
	}
	if len(desk.Trend) != 3 || !desk.Period.From.Equal(november.From) {
		t.Errorf("the desk's period %v and trend of %d points, want November and 3", desk.Period, len(desk.Trend))
	}
	if desk.Agreements[0].ConsumerName != "City of Example" || desk.Agreements[0].ProviderName != "Service Desk" {
		t.Errorf("the SLA's parties are named %q and %q", desk.Agreements[0].ProviderName, desk.Agreements[0].ConsumerName)
	}

	// Supplier A: the two tickets it held, its own UC only.
	r = l.getReport(l.alice, api.ReportFormatJSON)
	if r.JSON200 == nil {
		t.Fatalf("supplier A's report: %s", body(r))
	}
	if r.JSON200.Total.Registered != 2 || r.JSON200.Total.Closed != 2 {
		t.Errorf("supplier A's total: %+v, want the 2 it held", r.JSON200.Total)
	}
	if got := strings.Join(agreementNames(r.JSON200), ","); got != "Network UC" {
		t.Errorf("supplier A's agreements: %s, want its UC only", got)
	}
	// Asking for an agreement it does not see is refused like an unknown one.
	if r := l.getReport(l.alice, api.ReportFormatJSON, "City SLA"); r.ApplicationProblemJSON400 == nil {
		t.Errorf("supplier A asking for the SLA: %s, want 400", body(r))
	}
	if r := l.getReport(l.agent, api.ReportFormatJSON, "Network UC"); r.JSON200 == nil ||
		strings.Join(agreementNames(r.JSON200), ",") != "Network UC" {
		t.Errorf("the desk asking for one agreement: %s", body(r))
	}

	// Without report access: supplier B, and the customer.
	for name, who := range map[string]*client.ClientWithResponses{"supplier B": l.bob, "the customer": l.user} {
		if r := l.getReport(who, api.ReportFormatJSON); r.ApplicationProblemJSON403 == nil {
			t.Errorf("%s without report access: %s, want 403", name, body(r))
		}
	}

	// CSV reads back to the same figures; HTML is one page without scripts.
	r = l.getReport(l.agent, api.ReportFormatCsv)
	if r.StatusCode() != http.StatusOK || !strings.HasPrefix(r.HTTPResponse.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("the CSV: %s", body(r))
	}
	back, err := report.ReadCSV(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the CSV does not read back: %v", err)
	}
	if back.Total.Closed != 3 || len(back.Agreements) != 3 {
		t.Errorf("the CSV reads back as %+v with %d agreements", back.Total, len(back.Agreements))
	}
	r = l.getReport(l.agent, api.ReportFormatHTML)
	if r.StatusCode() != http.StatusOK || !strings.HasPrefix(r.HTTPResponse.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the HTML: %s", body(r))
	}
	page := strings.ToLower(string(r.Body))
	if !strings.Contains(page, "<html") || !strings.Contains(page, "city sla") || strings.Contains(page, "<script") {
		t.Errorf("the HTML is not one script-free page naming the SLA:\n%.400s", page)
	}

	// Without a format parameter, the Accept header chooses.
	for accept, want := range map[string]string{"text/csv": "text/csv", "text/html;q=0.9, */*": "text/html",
		"application/json": "application/json", "": "application/json"} {
		r, err := l.agent.GetReportWithResponse(l.ctx, &api.GetReportParams{From: november.From, To: november.To},
			dropZeros, func(_ context.Context, req *http.Request) error {
				req.Header.Set("Accept", accept)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.HTTPResponse.Header.Get("Content-Type"); r.StatusCode() != http.StatusOK || !strings.HasPrefix(got, want) {
			t.Errorf("Accept %q: %d %s, want %s", accept, r.StatusCode(), got, want)
		}
	}

	// An empty period is refused.
	if r, err := l.agent.GetReportWithResponse(l.ctx, &api.GetReportParams{From: november.To, To: november.From}, dropZeros); err != nil ||
		r.ApplicationProblemJSON400 == nil {
		t.Errorf("an empty period: %v %s, want 400", err, body(r))
	}
}

// followUpReport fetches the current version's report as JSON.
func (l *ledger) followUpReport(who *client.ClientWithResponses, id itsm.ID) *client.GetFollowUpReportResponse {
	l.t.Helper()
	r, err := who.GetFollowUpReportWithResponse(l.ctx, id, nil)
	if err != nil || r.StatusCode() != http.StatusOK {
		l.t.Fatalf("the follow-up's report: %v %s", err, body(r))
	}
	return r
}

// TestFollowUpOverHTTP runs a month's follow-up: the desk drafts, the
// customer's approver rejects with a comment, the desk redrafts, a stale
// digest cannot approve, the current one does, and the approved bytes are
// served unchanged after more incidents of the month close.
func TestFollowUpOverHTTP(t *testing.T) {
	l := newLedger(t, monday)
	ctx := l.ctx
	l.settle()
	l.solve("network down", l.supA, l.alice)
	l.solve("laptop broken", l.supB, l.bob)
	l.solveFor(l.town, "the town's mail is down", l.supA, l.alice)
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	in := api.FollowUpInput{Customer: l.city, Month: "2026-11"}
	d, err := l.agent.DraftFollowUpWithResponse(ctx, in)
	if err != nil || d.JSON201 == nil {
		t.Fatalf("draft: %v %s", err, body(d))
	}
	id := d.JSON201.ID
	if d.HTTPResponse.Header.Get("Location") != "/v1/followups/"+id.String() || d.JSON201.State != followup.StateDrafted {
		t.Errorf("draft: Location %q, state %s", d.HTTPResponse.Header.Get("Location"), d.JSON201.State)
	}
	// The month is the customer's: its incidents, not the town's, its SLA
	// and the UCs behind it.
	first := l.followUpReport(l.approver, id)
	if first.HTTPResponse.Header.Get("ETag") != `"`+followup.Digest(first.Body)+`"` {
		t.Errorf("ETag %s is not the digest of the body", first.HTTPResponse.Header.Get("ETag"))
	}
	if first.JSON200.Total.Closed != 2 || strings.Join(agreementNames(first.JSON200), ",") != "City SLA,Hardware UC,Network UC" {
		t.Errorf("the draft: %+v over %v", first.JSON200.Total, agreementNames(first.JSON200))
	}
	digest1 := followup.Digest(first.Body)

	// Suppliers see no follow-up; the customer's plain user may read it.
	if r, err := l.alice.GetFollowUpWithResponse(ctx, id); err != nil || r.StatusCode() != http.StatusForbidden {
		t.Errorf("a supplier reading the follow-up: %v %s, want 403", err, body(r))
	}
	if r, err := l.user.GetFollowUpWithResponse(ctx, id); err != nil || r.JSON200 == nil {
		t.Errorf("the customer reading the follow-up: %v %s", err, body(r))
	}

	// The approver rejects it; a plain user may not.
	rej := api.FollowUpRejection{Digest: digest1, Comment: "INC for the printer is missing"}
	if r, err := l.user.RejectFollowUpWithResponse(ctx, id, rej); err != nil || r.StatusCode() != http.StatusForbidden {
		t.Errorf("a user rejecting: %v %s, want 403", err, body(r))
	}
	rj, err := l.approver.RejectFollowUpWithResponse(ctx, id, rej)
	if err != nil || rj.JSON200 == nil || rj.JSON200.State != followup.StateRejected ||
		rj.JSON200.Current().Rejections[0].Comment != rej.Comment {
		t.Fatalf("reject: %v %s", err, body(rj))
	}

	// The missing incident is registered late, within November, and the
	// desk redrafts: 200, the same version, a new digest.
	l.clock.Set(time.Date(2026, time.November, 20, 9, 0, 0, 0, time.UTC))
	l.solve("printer jammed", l.supA, l.alice)
	l.clock.Set(time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC))
	rd, err := l.agent.DraftFollowUpWithResponse(ctx, in)
	if err != nil || rd.JSON200 == nil || rd.JSON200.State != followup.StateDrafted || len(rd.JSON200.Versions) != 1 {
		t.Fatalf("redraft: %v %s", err, body(rd))
	}
	second := l.followUpReport(l.approver, id)
	digest2 := followup.Digest(second.Body)
	if digest2 == digest1 || second.JSON200.Total.Closed != 3 {
		t.Fatalf("the redraft has digest %s (was %s) and %d closed", digest2, digest1, second.JSON200.Total.Closed)
	}

	// The digest read before the redraft is stale: 412, nothing approved.
	st, err := l.approver.ApproveFollowUpWithResponse(ctx, id, api.Approval{Digest: digest1})
	if err != nil || st.StatusCode() != http.StatusPreconditionFailed {
		t.Fatalf("approve with a stale digest: %v %s, want 412", err, body(st))
	}
	ap, err := l.approver.ApproveFollowUpWithResponse(ctx, id, api.Approval{Digest: digest2, Comment: "agreed"})
	if err != nil || ap.JSON200 == nil || ap.JSON200.State != followup.StateApproved {
		t.Fatalf("approve: %v %s", err, body(ap))
	}

	// Another November incident closes: the live report changes, the
	// approved one does not, byte for byte, and the desk cannot redraft.
	l.clock.Set(time.Date(2026, time.November, 25, 9, 0, 0, 0, time.UTC))
	l.solve("monitor flickers", l.supB, l.bob)
	l.clock.Set(time.Date(2026, time.December, 3, 10, 0, 0, 0, time.UTC))
	if r := l.getReport(l.agent, api.ReportFormatJSON); r.JSON200 == nil || r.JSON200.Total.Closed != 5 {
		t.Errorf("the desk's live November report: %s, want 5 closed", body(r))
	}
	approved := l.followUpReport(l.user, id)
	if !bytes.Equal(approved.Body, second.Body) || approved.HTTPResponse.Header.Get("ETag") != `"`+digest2+`"` {
		t.Errorf("the approved report changed:\n%s\nwas\n%s", approved.Body, second.Body)
	}
	if r, err := l.agent.DraftFollowUpWithResponse(ctx, in); err != nil || r.ApplicationProblemJSON409 == nil {
		t.Errorf("redrafting an approved month: %v %s, want 409", err, body(r))
	}

	// The version parameter, the other formats, and the list.
	if r, err := l.user.GetFollowUpReportWithResponse(ctx, id, &api.GetFollowUpReportParams{Version: 2}, dropZeros); err != nil ||
		r.ApplicationProblemJSON404 == nil {
		t.Errorf("version 2 of a follow-up with one: %v %s, want 404", err, body(r))
	}
	h, err := l.user.GetFollowUpReportWithResponse(ctx, id, &api.GetFollowUpReportParams{Format: api.ReportFormatHTML}, dropZeros)
	if err != nil || h.StatusCode() != http.StatusOK || strings.Contains(strings.ToLower(string(h.Body)), "<script") ||
		h.HTTPResponse.Header.Get("ETag") != `"`+digest2+`"` {
		t.Errorf("the approved report as HTML: %v %s", err, body(h))
	}
	c, err := l.user.GetFollowUpReportWithResponse(ctx, id, &api.GetFollowUpReportParams{Format: api.ReportFormatCsv}, dropZeros)
	if err != nil || c.StatusCode() != http.StatusOK {
		t.Fatalf("the approved report as CSV: %v %s", err, body(c))
	}
	if back, err := report.ReadCSV(bytes.NewReader(c.Body)); err != nil || back.Total.Closed != 3 {
		t.Errorf("the approved CSV reads back as %v, %v; want 3 closed", back, err)
	}
	ls, err := l.approver.ListFollowUpsWithResponse(ctx, &api.ListFollowUpsParams{Month: "2026-11", State: followup.StateApproved}, dropZeros)
	if err != nil || ls.JSON200 == nil || len(ls.JSON200.Items) != 1 || ls.JSON200.Items[0].ID != id {
		t.Errorf("list approved November: %v %s", err, body(ls))
	}
	if r, err := l.approver.ListFollowUpsWithResponse(ctx, &api.ListFollowUpsParams{Month: "2026-10"}, dropZeros); err != nil ||
		r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("list October: %v %s", err, body(r))
	}
	var stored api.FollowUp
	if g, err := l.agent.GetFollowUpWithResponse(ctx, id); err != nil || g.JSON200 == nil {
		t.Fatalf("get: %v %s", err, body(g))
	} else if err := json.Unmarshal(g.Body, &stored); err != nil || stored.InForce() == nil || stored.InForce().Digest != digest2 {
		t.Errorf("the version in force: %v %+v", err, stored.InForce())
	}

	// The desk corrects the approved month (the monitor incident): a new
	// version, drafted; the approved one stays in force, byte for byte,
	// until the customer approves the correction. Only the desk's agents
	// correct, and only with a reason.
	if r, err := l.approver.CorrectFollowUpWithResponse(ctx, id, api.Correction{Reason: "we want more credits"}); err != nil ||
		r.StatusCode() != http.StatusForbidden {
		t.Errorf("the customer correcting: %v %s, want 403", err, body(r))
	}
	if r, err := l.agent.CorrectFollowUpWithResponse(ctx, id, api.Correction{}); err != nil || r.StatusCode() != http.StatusBadRequest {
		t.Errorf("a correction without a reason: %v %s, want 400", err, body(r))
	}
	cr, err := l.agent.CorrectFollowUpWithResponse(ctx, id, api.Correction{Reason: "INC for the monitor was closed late"})
	if err != nil || cr.JSON200 == nil || cr.JSON200.State != followup.StateDrafted || len(cr.JSON200.Versions) != 2 ||
		cr.JSON200.InForce() == nil || cr.JSON200.InForce().Digest != digest2 {
		t.Fatalf("correct: %v %s", err, body(cr))
	}
	if again := l.followUpReport(l.user, id); again.JSON200.Total.Closed != 4 {
		t.Errorf("the correction's report has %d closed, want 4", again.JSON200.Total.Closed)
	}
	old, err := l.user.GetFollowUpReportWithResponse(ctx, id, &api.GetFollowUpReportParams{Version: 1}, dropZeros)
	if err != nil || !bytes.Equal(old.Body, second.Body) {
		t.Errorf("version 1 after the correction changed: %v", err)
	}
	corrected := followup.Digest(l.followUpReport(l.approver, id).Body)
	if r, err := l.approver.ApproveFollowUpWithResponse(ctx, id, api.Approval{Digest: corrected}); err != nil ||
		r.JSON200 == nil || r.JSON200.InForce().Digest != corrected {
		t.Errorf("approve the correction: %v %s", err, body(r))
	}
}

// TestReportPeriodBounds: a period the contract accepts gets a report or a
// 400 that says why. A century with 36 more before it, whose trend would
// begin in the year -1610, answered 500 when its JSON could not be written;
// it and other periods outside the years calendars cover, or not begun,
// are refused, naming the reason.
func TestReportPeriodBounds(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	day := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		from, to string
		previous int
		want     string
	}{
		{"1990-01-01T00:00:00Z", "2090-01-01T00:00:00Z", 36, "before 1970"},
		{"1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z", 0, "1970 through 2199"},
		{"2026-12-01T00:00:00Z", "2300-01-01T00:00:00Z", 0, "1970 through 2199"},
		{"2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", 0, "has not begun"},
	} {
		r, err := l.agent.GetReportWithResponse(l.ctx, &api.GetReportParams{From: day(c.from), To: day(c.to), Previous: c.previous}, dropZeros)
		if err != nil {
			t.Fatal(err)
		}
		if p := r.ApplicationProblemJSON400; p == nil || !strings.Contains(p.Detail, c.want) {
			t.Errorf("%s to %s, %d before: %s, want 400 saying %q", c.from, c.to, c.previous, body(r), c.want)
		}
	}
}

// TestReportOfTheRunningMonth: November's report six minutes after an
// incident was registered measures it now: nothing breached, the incident
// young in the backlog, and the report says it is partial in JSON, CSV and
// on the page.
func TestReportOfTheRunningMonth(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	reg, err := l.agent.RegisterIncidentWithResponse(l.ctx, nil, api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"},
		Channel: "phone", Customer: l.city, Summary: "printer on fire", Impact: 2, Urgency: 2})
	if err != nil || reg.JSON201 == nil {
		t.Fatalf("register: %v %s", err, body(reg))
	}
	l.clock.Advance(6 * time.Minute)
	now := l.clock.Now()

	r := l.getReport(l.agent, api.ReportFormatJSON)
	if r.JSON200 == nil {
		t.Fatalf("the report: %s", body(r))
	}
	rep := r.JSON200
	if !rep.Partial || !rep.AsOf.Equal(now) {
		t.Errorf("partial %t as of %v, want partial as of %v", rep.Partial, rep.AsOf, now)
	}
	for _, m := range rep.Total.Metrics {
		if m.Breached != 0 {
			t.Errorf("%s %s: %d breached six minutes after registration", m.Agreement, m.Metric, m.Breached)
		}
	}
	if b := rep.Total.Backlog; b.Open != 1 || b.Ageing[0].Count != 1 {
		t.Errorf("backlog %+v, want one incident younger than a day", b)
	}
	// Nothing is resolved yet, so there is no rate of what was, and no
	// clock has stopped, so there is no working time (decision 43); the
	// contract allows the nulls.
	for _, rate := range []string{`"first_contact_rate":null`, `"reopen_rate":null`, `"mean":null`, `"p90":null`} {
		if !bytes.Contains(r.Body, []byte(rate)) {
			t.Errorf("the report lacks %s: %s", rate, r.Body)
		}
	}

	c := l.getReport(l.agent, api.ReportFormatCsv)
	if back, err := report.ReadCSV(bytes.NewReader(c.Body)); err != nil || !back.Partial || !back.AsOf.Equal(now) {
		t.Errorf("the CSV reads back as partial %v as of %v (%v)", back != nil && back.Partial, back, err)
	}
	h := l.getReport(l.agent, api.ReportFormatHTML)
	if !strings.Contains(string(h.Body), "November 2026 has not ended: these figures are as of 2 November 2026 09:06 UTC") {
		t.Errorf("the page does not say the month is running:\n%s", h.Body)
	}
}

// TestReportsKeepTheirZone: October in Stockholm begins at +02:00 and ends
// at +01:00. A follow-up of it stores its report as JSON, which keeps only
// offsets; read back, and asked for over /v1/reports in the zone, the
// report is still October, labelled so, with a monthly trend.
func TestReportsKeepTheirZone(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	october := report.Month(2026, time.October, stockholm)
	checkOctober := func(what string, rep *report.Report, page []byte) {
		t.Helper()
		if rep.Zone != "Europe/Stockholm" || rep.Period.From.Location().String() != "Europe/Stockholm" {
			t.Errorf("%s: zone %q, period in %s", what, rep.Zone, rep.Period.From.Location())
		}
		for _, want := range []string{"<h1>Service-level report, October 2026</h1>", "Compliance per month"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("%s: the page lacks %q", what, want)
			}
		}
	}

	d, err := l.agent.DraftFollowUpWithResponse(l.ctx, api.FollowUpInput{Customer: l.city, Month: "2026-10", Zone: "Europe/Stockholm"})
	if err != nil || d.JSON201 == nil {
		t.Fatalf("draft: %v %s", err, body(d))
	}
	stored := l.followUpReport(l.approver, d.JSON201.ID)
	page, err := l.approver.GetFollowUpReportWithResponse(l.ctx, d.JSON201.ID, &api.GetFollowUpReportParams{Format: api.ReportFormatHTML}, dropZeros)
	if err != nil || page.StatusCode() != http.StatusOK {
		t.Fatalf("the follow-up's page: %v %s", err, body(page))
	}
	checkOctober("the follow-up", stored.JSON200, page.Body)

	params := &api.GetReportParams{From: october.From, To: october.To, Previous: 2, Zone: "Europe/Stockholm"}
	r, err := l.agent.GetReportWithResponse(l.ctx, params, dropZeros)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("the report: %v %s", err, body(r))
	}
	params.Format = api.ReportFormatHTML
	h, err := l.agent.GetReportWithResponse(l.ctx, params, dropZeros)
	if err != nil || h.StatusCode() != http.StatusOK {
		t.Fatalf("the page: %v %s", err, body(h))
	}
	checkOctober("the report", r.JSON200, h.Body)
	if first := r.JSON200.Trend[0].Period; !first.From.Equal(report.Month(2026, time.August, stockholm).From) {
		t.Errorf("the trend begins %v, want August in Stockholm", first)
	}
	params.Zone = "Europe/Atlantis"
	if r, err := l.agent.GetReportWithResponse(l.ctx, params, dropZeros); err != nil || r.ApplicationProblemJSON400 == nil {
		t.Errorf("an unknown zone: %v %s, want 400", err, body(r))
	}
}

// TestReportPerGroup: an incident registered into the desk's first line,
// moved to its second line, delegated to supplier A's routers team, moved
// by A to its wifi team and reported back. The desk's report breaks down
// by its own groups and supplier A's teams, each named, with the moves
// counted apart from re-assignments; supplier A's report by its own teams
// only, since the desk's groups are not A's to know (decision 52); the
// customer's report and CSV carry what their readers may see.
func TestReportPerGroup(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	ctx := l.ctx
	supAdmin := l.world.token(itsm.Actor{Organisation: l.supA, Person: "sara", Roles: []itsm.Role{itsm.RoleAdmin}})
	group := func(admin *client.ClientWithResponses, org itsm.ID, name string) itsm.ID {
		r, err := admin.CreateGroupWithResponse(ctx, org, api.GroupInput{Name: name, Members: []string{"dana", "alice"}})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create %q: %v %s", name, err, body(r))
		}
		return r.JSON201.ID
	}
	first, second := group(l.admin, l.desk, "First line"), group(l.admin, l.desk, "Second line")
	routers, wifi := group(supAdmin, l.supA, "Routers"), group(supAdmin, l.supA, "Wifi")

	reg, err := l.agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"},
		Channel: "phone", Customer: l.city, Summary: "wifi down", Impact: 2, Urgency: 2, Group: first})
	if err != nil || reg.JSON201 == nil {
		t.Fatalf("register: %v %s", err, body(reg))
	}
	id := reg.JSON201.ID
	step := func(what string, r interface{ StatusCode() int }, err error) {
		t.Helper()
		if err != nil || r.StatusCode() != http.StatusOK {
			t.Fatalf("%s: %v %s", what, err, body(r))
		}
		l.clock.Advance(time.Hour)
	}
	l.clock.Advance(time.Hour)
	a, err := l.agent.AssignIncidentWithResponse(ctx, id, nil, api.AssignTo{Group: second})
	step("assign to the second line", a, err)
	d, err := l.agent.DelegateIncidentWithResponse(ctx, id, nil, api.Delegation{Organisation: l.supA, Group: routers})
	step("delegate to the routers", d, err)
	acc, err := l.alice.AcceptIncidentWithResponse(ctx, id, nil)
	step("accept", acc, err)
	a, err = l.alice.AssignIncidentWithResponse(ctx, id, nil, api.AssignTo{Group: wifi})
	step("move to wifi", a, err)
	rb, err := l.alice.ReportBackIncidentWithResponse(ctx, id, nil, api.Resolution{Code: "fixed", Text: "Fixed."})
	step("report back", rb, err)
	l.solve("laptop broken", l.supB, l.bob)
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	type row struct {
		name                       string
		org                        itsm.ID
		resolved, moves, reassigns int
	}
	rows := func(r *report.Report) []row {
		var out []row
		for _, g := range r.Groups {
			out = append(out, row{g.Name, g.Organisation, g.Figures.Resolved, g.Figures.Moves, g.Figures.Reassignments})
		}
		return out
	}
	r := l.getReport(l.agent, api.ReportFormatJSON)
	if r.JSON200 == nil {
		t.Fatalf("the desk's report: %s", body(r))
	}
	want := []row{{"First line", l.desk, 1, 2, 0}, {"Second line", l.desk, 1, 2, 0}, {"Routers", l.supA, 1, 2, 0}, {"Wifi", l.supA, 1, 2, 0}}
	if got := rows(r.JSON200); !slices.Equal(got, want) || r.JSON200.Total.Moves != 2 || r.JSON200.Total.Resolved != 2 {
		t.Errorf("the desk's groups %+v, total moves %d, want %+v and 2", got, r.JSON200.Total.Moves, want)
	}
	if keys := []string{first.String(), second.String(), routers.String(), wifi.String()}; !slices.EqualFunc(r.JSON200.Groups, keys,
		func(g report.Group, k string) bool { return g.Key == k }) {
		t.Errorf("the groups are keyed %+v, want the groups' IDs", r.JSON200.Groups)
	}

	r = l.getReport(l.alice, api.ReportFormatJSON)
	if r.JSON200 == nil {
		t.Fatalf("supplier A's report: %s", body(r))
	}
	if got, want := rows(r.JSON200), want[2:]; !slices.Equal(got, want) {
		t.Errorf("supplier A's groups %+v, want its own teams %+v", got, want)
	}

	r = l.getReport(l.agent, api.ReportFormatCsv)
	back, err := report.ReadCSV(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the CSV: %v %s", err, body(r))
	}
	if got := rows(back); !slices.Equal(got, want) {
		t.Errorf("the CSV's groups %+v, want %+v", got, want)
	}
	r = l.getReport(l.agent, api.ReportFormatHTML)
	if page := string(r.Body); !strings.Contains(page, "By group") || !strings.Contains(page, "Wifi (Network Supplier)") {
		t.Errorf("the page lacks the groups:\n%.400s", page)
	}
}

// TestReportOfAMonth: month names the period as from and to do, in the
// zone (UTC without one); a period given both ways, or not at all, is
// refused with a sentence that says how to give it.
func TestReportOfAMonth(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	l.clock.Advance(40 * 24 * time.Hour)
	get := func(p api.GetReportParams) *client.GetReportResponse {
		t.Helper()
		r, err := l.agent.GetReportWithResponse(l.ctx, &p, dropZeros)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		month, zone string
		want        report.Period
	}{
		{"2026-11", "", november},
		{"2026-11", "Europe/Stockholm", report.Month(2026, time.November, stockholm)},
	} {
		byMonth := get(api.GetReportParams{Month: c.month, Zone: c.zone})
		byTimes := get(api.GetReportParams{From: c.want.From, To: c.want.To, Zone: c.zone})
		if byMonth.JSON200 == nil || byTimes.JSON200 == nil {
			t.Fatalf("%s in %q: %s / %s", c.month, c.zone, body(byMonth), body(byTimes))
		}
		got := byMonth.JSON200.Period
		if !got.From.Equal(c.want.From) || !got.To.Equal(c.want.To) {
			t.Errorf("%s in %q: period %v, want %v", c.month, c.zone, got, c.want)
		}
		if diff := cmp.Diff(byTimes.JSON200, byMonth.JSON200); diff != "" {
			t.Errorf("%s in %q: the report by month differs from the one by from and to (-times +month):\n%s", c.month, c.zone, diff)
		}
	}
	for _, c := range []struct {
		name string
		p    api.GetReportParams
		want string
	}{
		{"both", api.GetReportParams{Month: "2026-11", From: november.From, To: november.To}, "either month or from and to"},
		{"neither", api.GetReportParams{}, "month, such as 2026-11, or both from and to"},
		{"from alone", api.GetReportParams{From: november.From}, "or both from and to"},
		{"not a month", api.GetReportParams{Month: "2026-13"}, "month"},
	} {
		r := get(c.p)
		if p := r.ApplicationProblemJSON400; p == nil || !strings.Contains(p.Detail, c.want) {
			t.Errorf("%s: %s, want 400 saying %q", c.name, body(r), c.want)
		}
	}
}
