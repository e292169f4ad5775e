package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// shop is the server as it runs (httpapi.Build) over one store, with the
// webhook dispatcher running, and the people of an order of type C: the
// desk's administrator and agent, the customer's object owner, requester,
// approver, administrator and a person on no list, and an agent of each
// supplier.
type shop struct {
	*world
	city, desk, supA, supB                    itsm.ID
	deskAdmin, agent, owner, carl, anna, cadm *client.ClientWithResponses
	eve, alice, bob                           *client.ClientWithResponses
	// phoneCI is the configuration item carl's orders are about, made
	// by phone the first time one is placed.
	phoneCI itsm.ID
	// stack is the server's, for what a test does through the libraries.
	stack *httpapi.Stack
}

func newShop(t testing.TB, store itsm.Store) *shop {
	t.Helper()
	ctx := context.Background()
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := httpapi.Build(ctx, store, nil, httpapi.Hooks{
		Config: webhook.Config{Destinations: netguard.MustParse(netguard.Loopback)}, Dispatch: fastHooks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the stack: %v", err)
		}
	})
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Dispatcher.Run(dctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dispatcher: %v", err)
		}
	})
	s := &shop{world: serveWorld(t, store, st.Handler, secret), stack: st}
	rw := []api.Access{api.AccessRead, api.AccessWrite}
	s.city = s.requestOrg("City of Example", itsm.OrgCustomer)
	s.desk = s.requestOrg("Service Desk", itsm.OrgDesk)
	s.supA = s.requestOrg("Phone Supplier", itsm.OrgSupplier)
	s.supB = s.requestOrg("Mail Supplier", itsm.OrgSupplier)
	for _, id := range []itsm.ID{s.desk, s.supA, s.supB} {
		if r, err := s.admin.GrantPermissionsWithResponse(ctx, id, api.Rights{Domain: itsm.DomainIncident, Access: rw}); err != nil || r.JSON200 == nil {
			t.Fatalf("grant incident rights: %v %s", err, body(r))
		}
	}
	person := func(org itsm.ID, name string, roles ...itsm.Role) *client.ClientWithResponses {
		return s.token(itsm.Actor{Organisation: org, Person: name, Roles: roles})
	}
	s.deskAdmin = person(s.desk, "root", itsm.RoleAdmin)
	s.agent = person(s.desk, "dana", itsm.RoleAgent)
	s.owner = person(s.city, "olle")
	s.carl = person(s.city, "carl")
	s.anna = person(s.city, "anna", itsm.RoleApprover)
	s.cadm = person(s.city, "cecilia", itsm.RoleAdmin)
	s.eve = person(s.city, "eve")
	s.alice = person(s.supA, "alice", itsm.RoleAgent)
	s.bob = person(s.supB, "bob", itsm.RoleAgent)
	return s
}

// requestOrg creates an organisation with read and write access to the
// request domain.
func (s *shop) requestOrg(name string, role itsm.OrgRole) itsm.ID {
	s.t.Helper()
	id := s.org(name, role)
	r, err := s.admin.GrantPermissionsWithResponse(s.ctx, id, api.Rights{Domain: itsm.DomainRequest,
		Access: []api.Access{api.AccessRead, api.AccessWrite}})
	if err != nil || r.JSON200 == nil {
		s.t.Fatalf("grant request rights to %s: %v %s", name, err, body(r))
	}
	return id
}

// today is the day it is in the lists' zone.
func today(t testing.TB) string {
	t.Helper()
	z, err := time.LoadLocation(authority.Stockholm)
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(z).Format(time.DateOnly)
}

// phoneItem defines and agrees a mobile phone of type C: the phone at
// supplier A, then the mail sync at supplier B, after the approval of any
// one approver.
func (s *shop) phoneItem() *catalogue.Item {
	s.t.Helper()
	text := func(sv, en string) catalogue.Text { return catalogue.Text{SV: sv, EN: en} }
	def := catalogue.Definition{Name: text("Mobiltelefon", "Mobile phone"), Description: text("Telefon med abonnemang.", "A phone with a subscription."),
		Service: "Telephony", Owner: "olle", Type: catalogue.TypeC,
		Form: json.RawMessage(`{"type":"object","required":["model"],"properties":{"model":{"type":"string","enum":["small","large"]}}}`),
		Tasks: []catalogue.Task{{Key: "phone", Name: text("Telefon", "Phone"), Supplier: s.supA},
			{Key: "sync", Name: text("E-postsynk", "Mail sync"), Supplier: s.supB, After: []string{"phone"}}},
		Approval: &catalogue.Approval{Rule: catalogue.ApproveAny, Within: 16 * time.Hour}}
	r, err := s.deskAdmin.DefineCatalogueItemWithResponse(s.ctx, api.CatalogueItemInput{Customer: s.city, Definition: def})
	if err != nil || r.JSON201 == nil {
		s.t.Fatalf("define: %v %s", err, body(r))
	}
	if r.Headers201.Location != "/v1/catalogue/"+r.JSON201.ID.String() || r.Headers201.ETag == "" {
		s.t.Errorf("define: Location %q, ETag %q", r.Headers201.Location, r.Headers201.ETag)
	}
	// The requester cannot see it before the owner agrees.
	if g, err := s.carl.GetCatalogueItemWithResponse(s.ctx, r.JSON201.ID); err != nil || g.ApplicationProblemJSON404 == nil {
		s.t.Errorf("the requester reads the item before the owner agreed: %v %s, want 404", err, body(g))
	}
	a, err := s.owner.AgreeCatalogueItemVersionWithResponse(s.ctx, r.JSON201.ID, 1,
		&api.AgreeCatalogueItemVersionParams{IfMatch: r.Headers201.ETag}, api.CatalogueAgreementInput{Note: "Agreed."})
	if err != nil || a.JSON200 == nil || a.JSON200.Versions[0].Agreed == nil {
		s.t.Fatalf("agree: %v %s", err, body(a))
	}
	return a.JSON200
}

// grant puts a person of the city on its lists for item from today.
func (s *shop) grant(person string, role authority.Role, item itsm.ID) *authority.Grant {
	s.t.Helper()
	r, err := s.cadm.GrantAuthorityWithResponse(s.ctx, api.GrantInput{Customer: s.city, Person: person, Role: role, Item: item, From: today(s.t)})
	if err != nil || r.JSON201 == nil {
		s.t.Fatalf("grant %s %s: %v %s", person, role, err, body(r))
	}
	return r.JSON201
}

// phone returns carl's phone, a configuration item of the desk's CMDB,
// registered the first time it is asked for: the server checks that an
// order is about items its CMDB holds.
func (s *shop) phone() itsm.ID {
	s.t.Helper()
	if s.phoneCI.IsZero() {
		s.cmdbRights(s.desk, api.AccessRead, api.AccessWrite)
		r, err := s.agent.CreateConfigItemWithResponse(s.ctx, api.ConfigItemInput{Class: "phone", Name: "Carl's phone",
			Attributes: api.ItemAttributes{"imei": "356938035643809", "user": "carl"}})
		s.phoneCI = want(s.t, "register carl's phone", r, err, http.StatusCreated).JSON201.ID
	}
	return s.phoneCI
}

// cmdbRights grants org access to the CMDB.
func (w *world) cmdbRights(org itsm.ID, access ...api.Access) {
	w.t.Helper()
	if r, err := w.admin.GrantPermissionsWithResponse(w.ctx, org, api.Rights{Domain: itsm.DomainCMDB, Access: access}); err != nil || r.JSON200 == nil {
		w.t.Fatalf("grant CMDB rights: %v %s", err, body(r))
	}
}

// place has carl order a small phone.
func (s *shop) place(item itsm.ID) *request.Order {
	s.t.Helper()
	phoneCI := s.phone()
	r, err := s.carl.PlaceOrderWithResponse(s.ctx, nil, api.Placement{Item: item, Answers: json.RawMessage(`{"model":"small"}`), CIs: []api.ID{phoneCI}})
	if err != nil || r.JSON201 == nil {
		s.t.Fatalf("place: %v %s", err, body(r))
	}
	if !slices.Equal(r.JSON201.CIs, []itsm.ID{phoneCI}) {
		s.t.Errorf("place: the order is about %v, want %s", r.JSON201.CIs, phoneCI)
	}
	if r.Headers201.Location != "/v1/orders/"+r.JSON201.ID.String() {
		s.t.Errorf("place: Location %q", r.Headers201.Location)
	}
	return r.JSON201
}

// taskOf returns the task of o with key, as the desk reads it.
func (s *shop) taskOf(o *request.Order, key string) *request.Task {
	s.t.Helper()
	for _, ts := range o.Tasks {
		if ts.Key == key {
			r, err := s.agent.GetTaskWithResponse(s.ctx, ts.ID)
			if err != nil || r.JSON200 == nil {
				s.t.Fatalf("get task %s: %v %s", key, err, body(r))
			}
			t := request.Task(*r.JSON200)
			return &t
		}
	}
	s.t.Fatalf("order %s has no task %s: %+v", o.Number, key, o.Tasks)
	return nil
}

// status returns the HTTP status of a generated response.
func status(r any) int {
	hr, _ := reflectField(r, "HTTPResponse").(*http.Response)
	if hr == nil {
		return 0
	}
	return hr.StatusCode
}

// TestOrderOfTypeCOverHTTP walks an order of a mobile phone through the
// catalogue, the lists, the approval, both suppliers' tasks and the desk's
// answer, over HTTP with the generated client on every backend, with the
// refusals each party meets on the way as problems.
func TestOrderOfTypeCOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_requests") {
		t.Run(name, func(t *testing.T) { orderOfTypeC(t, newShop(t, open(t))) })
	}
}

func orderOfTypeC(t *testing.T, s *shop) {
	ctx := s.ctx
	item := s.phoneItem()
	s.grant("carl", authority.RoleRequester, item.ID)
	s.grant("anna", authority.RoleApprover, item.ID)

	// The catalogue as the requester lists it: the item, offered.
	if l, err := s.carl.ListCatalogueWithResponse(ctx, &api.ListCatalogueParams{Offered: true}, dropZeros); err != nil || l.JSON200 == nil ||
		len(l.JSON200.Items) != 1 || l.JSON200.Items[0].ID != item.ID {
		t.Errorf("the requester's catalogue: %v %s", err, body(l))
	}
	// Eve is on no list: 403, and nothing is recorded.
	if r, err := s.eve.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"small"}`)}); err != nil ||
		r.ApplicationProblemJSON403 == nil || r.ApplicationProblemJSON403.Code != api.ErrorCode(itsm.CodeForbidden) {
		t.Errorf("an unauthorised requester places: %v %s, want 403", err, body(r))
	}
	// An answer the form refuses: 400.
	if r, err := s.carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"huge"}`)}); err != nil ||
		r.ApplicationProblemJSON400 == nil {
		t.Errorf("an answer against the form: %v %s, want 400", err, body(r))
	}

	o := s.place(item.ID)
	if o.State != request.StateAwaitingApproval || o.Requester != "carl" || o.Approval == nil || !slices.Equal(o.Approval.Approvers, []string{"anna"}) {
		t.Fatalf("placed: %s, approval %+v", o.State, o.Approval)
	}
	if r, err := s.carl.ListOrdersWithResponse(ctx, &api.ListOrdersParams{Mine: true}, dropZeros); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != o.ID {
		t.Errorf("carl's orders: %v %s", err, body(r))
	}
	if r, err := s.anna.ListOrdersWithResponse(ctx, &api.ListOrdersParams{Approvals: true}, dropZeros); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != o.ID {
		t.Errorf("anna's approvals: %v %s", err, body(r))
	}
	// The requester does not approve their own order.
	if r, err := s.carl.ApproveOrderWithResponse(ctx, o.ID, nil, api.ApprovalNote{}); err != nil || r.ApplicationProblemJSON403 == nil {
		t.Errorf("the requester approves: %v %s, want 403", err, body(r))
	}
	a, err := s.anna.ApproveOrderWithResponse(ctx, o.ID, nil, api.ApprovalNote{Note: "Fine."})
	if err != nil || a.JSON200 == nil || a.JSON200.State != request.StateInProgress || len(a.JSON200.Tasks) != 2 {
		t.Fatalf("approve: %v %s", err, body(a))
	}
	o = (*request.Order)(a.JSON200)
	phone, sync := s.taskOf(o, "phone"), s.taskOf(o, "sync")
	if phone.State != request.TaskDelegated || phone.Holder != s.supA || sync.State != request.TaskBlocked {
		t.Fatalf("after approval: phone %s at %s, sync %s", phone.State, phone.Holder, sync.State)
	}

	// A supplier never reads the order, nor another supplier's task.
	if r, err := s.alice.GetOrderWithResponse(ctx, o.ID); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("a supplier reads the order: %v %s, want 404", err, body(r))
	}
	if r, err := s.bob.GetTaskWithResponse(ctx, phone.ID); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("supplier B reads A's task: %v %s, want 404", err, body(r))
	}
	if r, err := s.alice.ListOrdersWithResponse(ctx, nil); err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("a supplier lists orders: %v %s, want none", err, body(r))
	}
	// The blocked task is not delegated: 409.
	if r, err := s.agent.DelegateTaskWithResponse(ctx, sync.ID, nil, api.TaskDelegation{Organisation: s.supB}); err != nil ||
		r.ApplicationProblemJSON409 == nil {
		t.Errorf("delegate a blocked task: %v %s, want 409", err, body(r))
	}

	// Supplier A's queue holds the phone; it accepts and reports back.
	if r, err := s.alice.ListTasksWithResponse(ctx, nil); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != phone.ID || r.JSON200.Items[0].OrderNumber != o.Number {
		t.Fatalf("supplier A's tasks: %v %s", err, body(r))
	}
	if r, err := s.alice.AcceptTaskWithResponse(ctx, phone.ID, nil); err != nil || r.JSON200 == nil || r.JSON200.State != request.TaskInProgress {
		t.Fatalf("accept: %v %s", err, body(r))
	}
	if r, err := s.alice.ReportBackTaskWithResponse(ctx, phone.ID, nil, api.TaskNote{Note: "Phone sent."}); err != nil || r.JSON200 == nil ||
		r.JSON200.State != request.TaskDone {
		t.Fatalf("report back: %v %s", err, body(r))
	}
	// The sync is routed to supplier B, which does it.
	if r, err := s.bob.ListTasksWithResponse(ctx, nil); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != sync.ID || r.JSON200.Items[0].State != request.TaskDelegated {
		t.Fatalf("supplier B's tasks: %v %s", err, body(r))
	}
	if r, err := s.bob.ReportBackTaskWithResponse(ctx, sync.ID, nil, api.TaskNote{Note: "Synced."}); err != nil || r.ApplicationProblemJSON409 == nil {
		t.Errorf("report back before accepting: %v %s, want 409", err, body(r))
	}
	if r, err := s.bob.AcceptTaskWithResponse(ctx, sync.ID, nil); err != nil || r.JSON200 == nil {
		t.Fatalf("B accepts: %v %s", err, body(r))
	}
	if r, err := s.bob.ReportBackTaskWithResponse(ctx, sync.ID, nil, api.TaskNote{Note: "Synced."}); err != nil || r.JSON200 == nil {
		t.Fatalf("B reports back: %v %s", err, body(r))
	}
	g, err := s.carl.GetOrderWithResponse(ctx, o.ID)
	if err != nil || g.JSON200 == nil || g.JSON200.State != request.StateFulfilled {
		t.Fatalf("the order after both tasks: %v %s", err, body(g))
	}
	// Only the desk closes, with its answer to the requester (RF-6).
	if r, err := s.carl.CloseOrderWithResponse(ctx, o.ID, nil, api.Answer{Answer: "Done."}); err != nil || r.ApplicationProblemJSON403 == nil {
		t.Errorf("the requester closes: %v %s, want 403", err, body(r))
	}
	c, err := s.agent.CloseOrderWithResponse(ctx, o.ID, nil, api.Answer{Answer: "Your phone is on its way and your mail syncs."})
	if err != nil || c.JSON200 == nil || c.JSON200.State != request.StateClosed || c.JSON200.Answer == "" {
		t.Fatalf("close: %v %s", err, body(c))
	}
	if r, err := s.carl.CancelOrderWithResponse(ctx, o.ID, nil, api.Reason{Reason: "Too late."}); err != nil || r.ApplicationProblemJSON409 == nil {
		t.Errorf("cancel a closed order: %v %s, want 409", err, body(r))
	}
}

// TestRequestsRefusals checks the problems of the catalogue, the lists and
// orders that the flow does not meet: a stale If-Match, the object owner's
// agreement by someone else, a declined order, a cancelled one, and a
// grant read by another customer.
func TestRequestsRefusals(t *testing.T) {
	s := newShop(t, memstoreFor(t))
	ctx := s.ctx
	item := s.phoneItem()
	s.grant("carl", authority.RoleRequester, item.ID)
	g := s.grant("anna", authority.RoleApprover, item.ID)

	if r, err := s.deskAdmin.WithdrawCatalogueItemWithResponse(ctx, item.ID, &api.WithdrawCatalogueItemParams{IfMatch: `"1"`},
		api.Reason{Reason: "Old."}); err != nil || r.ApplicationProblemJSON412 == nil {
		t.Errorf("withdraw with a stale If-Match: %v %s, want 412", err, body(r))
	}
	if r, err := s.agent.WithdrawCatalogueItemWithResponse(ctx, item.ID, nil, api.Reason{Reason: "Old."}); err != nil || r.ApplicationProblemJSON403 == nil {
		t.Errorf("an agent withdraws: %v %s, want 403", err, body(r))
	}
	if r, err := s.carl.AgreeCatalogueItemVersionWithResponse(ctx, item.ID, 1, nil, api.CatalogueAgreementInput{}); err != nil ||
		r.ApplicationProblemJSON403 == nil {
		t.Errorf("someone other than the owner agrees: %v %s, want 403", err, body(r))
	}
	other := s.requestOrg("Other Town", itsm.OrgCustomer)
	stranger := s.token(itsm.Actor{Organisation: other, Person: "sam"})
	if r, err := stranger.GetGrantWithResponse(ctx, g.ID); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("another customer reads a grant: %v %s, want 404", err, body(r))
	}
	if r, err := s.agent.ListGrantsWithResponse(ctx, &api.ListGrantsParams{Customer: s.city, Role: authority.RoleApprover, ValidOn: today(t)}, dropZeros); err != nil ||
		r.JSON200 == nil || len(r.JSON200.Items) != 1 || r.JSON200.Items[0].Person != "anna" {
		t.Errorf("the desk lists the approvers: %v %s", err, body(r))
	}

	declined := s.place(item.ID)
	if r, err := s.anna.DeclineOrderWithResponse(ctx, declined.ID, nil, api.Reason{Reason: "Not in the budget."}); err != nil ||
		r.JSON200 == nil || r.JSON200.State != request.StateDeclined {
		t.Errorf("decline: %v %s", err, body(r))
	}
	cancelled := s.place(item.ID)
	if r, err := s.carl.CancelOrderWithResponse(ctx, cancelled.ID, nil, api.Reason{Reason: "Changed my mind."}); err != nil ||
		r.JSON200 == nil || r.JSON200.State != request.StateCancelled {
		t.Errorf("cancel: %v %s", err, body(r))
	}
	if r, err := s.anna.ApproveOrderWithResponse(ctx, cancelled.ID, nil, api.ApprovalNote{}); err != nil || r.ApplicationProblemJSON409 == nil {
		t.Errorf("approve a cancelled order: %v %s, want 409", err, body(r))
	}
	// Ending anna's grant today leaves the next order without an approver.
	yesterday, _ := time.Parse(time.DateOnly, today(t))
	if r, err := s.cadm.EndGrantWithResponse(ctx, g.ID, api.GrantEnd{Until: yesterday.AddDate(0, 0, -1).Format(time.DateOnly), Reason: "Left."}); err != nil ||
		r.JSON200 == nil || len(r.JSON200.Ended) != 1 {
		t.Fatalf("end the grant: %v %s", err, body(r))
	}
	if r, err := s.carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"large"}`)}); err != nil ||
		r.ApplicationProblemJSON409 == nil {
		t.Errorf("place with no approver: %v %s, want 409", err, body(r))
	}
	if r, err := s.anna.RecordAbsenceWithResponse(ctx, api.AbsenceInput{Customer: s.city, Person: "anna", StandIn: "carl",
		From: today(t), Until: today(t)}); err != nil || r.JSON201 == nil || r.JSON201.StandIn != "carl" {
		t.Errorf("record an absence: %v %s", err, body(r))
	}
}

// TestRequestWebhooksPerSupplier subscribes both suppliers and the
// customer to every event and checks that each supplier receives the
// events of the task it held, from its delegation on, and nothing of the
// order or of the other supplier's task, while the customer receives the
// order's and no task's.
func TestRequestWebhooksPerSupplier(t *testing.T) {
	s := newShop(t, memstoreFor(t))
	ctx := s.ctx
	subscribe := func(c *client.ClientWithResponses) *receiver {
		rc := newReceiver(t)
		r, err := c.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("subscribe: %v %s", err, body(r))
		}
		rc.setSecret(r.JSON201.Secret)
		return rc
	}
	recvA, recvB, recvCity := subscribe(s.alice), subscribe(s.bob), subscribe(s.cadm)

	item := s.phoneItem()
	s.grant("carl", authority.RoleRequester, item.ID)
	s.grant("anna", authority.RoleApprover, item.ID)
	o := s.place(item.ID)
	a, err := s.anna.ApproveOrderWithResponse(ctx, o.ID, nil, api.ApprovalNote{})
	if err != nil || a.JSON200 == nil {
		t.Fatalf("approve: %v %s", err, body(a))
	}
	o = (*request.Order)(a.JSON200)
	phone, sync := s.taskOf(o, "phone"), s.taskOf(o, "sync")
	for _, step := range []func() (int, error){
		func() (int, error) {
			r, err := s.alice.AcceptTaskWithResponse(ctx, phone.ID, nil)
			return status(r), err
		},
		func() (int, error) {
			r, err := s.alice.ReportBackTaskWithResponse(ctx, phone.ID, nil, api.TaskNote{Note: "Sent."})
			return status(r), err
		},
		func() (int, error) { r, err := s.bob.AcceptTaskWithResponse(ctx, sync.ID, nil); return status(r), err },
	} {
		if code, err := step(); err != nil || code != http.StatusOK {
			t.Fatalf("a task command: %v %d", err, code)
		}
	}
	// The last event of each: A's report back, B's acceptance, and the
	// order's change of the sync task's state.
	wait := func(rc *receiver, subject itsm.ID, typ string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if slices.ContainsFunc(rc.payloads(), func(p webhook.Payload) bool { return p.Subject != nil && *p.Subject == subject && p.Type == typ }) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s of %s not delivered; got %v", typ, subject, rc.types())
	}
	wait(recvA, phone.ID, "task.done")
	wait(recvB, sync.ID, "task.accepted")
	wait(recvCity, o.ID, "order.task_changed")

	only := func(who string, rc *receiver, kind string, subject itsm.ID, first string) {
		t.Helper()
		got := rc.payloads()
		for _, p := range got {
			if p.Kind != kind || p.Subject == nil || *p.Subject != subject {
				t.Errorf("%s received %s of %s %v", who, p.Type, p.Kind, p.Subject)
			}
		}
		if len(got) == 0 || got[0].Type != first {
			t.Errorf("%s's first event is %v, want %s", who, rc.types(), first)
		}
	}
	// Each supplier's first is its delegation: neither saw its task made,
	// nor B the sync task unblocked, before it held it.
	only("supplier A", recvA, request.KindTask, phone.ID, "task.delegated")
	only("supplier B", recvB, request.KindTask, sync.ID, "task.delegated")
	only("the customer", recvCity, request.KindOrder, o.ID, "order.placed")

	// The feed shows supplier A what its webhook delivered, and no more.
	feed, err := s.alice.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000}, dropZeros)
	if err != nil || feed.JSON200 == nil {
		t.Fatalf("supplier A's feed: %v %s", err, body(feed))
	}
	var seen []string
	for _, p := range feed.JSON200.Items {
		if p.Kind == request.KindOrder || p.Kind == request.KindTask {
			if p.Kind != request.KindTask || *p.Subject != phone.ID {
				t.Errorf("supplier A's feed shows %s of %s %v", p.Type, p.Kind, p.Subject)
			}
			seen = append(seen, p.Type)
		}
	}
	if !slices.Equal(seen, recvA.types()) {
		t.Errorf("supplier A's feed shows %v, its webhook delivered %v", seen, recvA.types())
	}
}

// memstoreFor returns a memory store closed when the test ends.
func memstoreFor(t *testing.T) itsm.Store {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPlaceOrderIsIdempotent checks the Idempotency-Key of placeOrder: a
// retry answers 201 with the first attempt's order, and the key with
// other answers is refused with 422, nothing placed.
func TestPlaceOrderIsIdempotent(t *testing.T) {
	s := newShop(t, memstoreFor(t))
	item := s.phoneItem()
	s.grant("carl", authority.RoleRequester, item.ID)
	s.grant("anna", authority.RoleApprover, item.ID)
	key := &api.PlaceOrderParams{IdempotencyKey: "carl-phone-2026-12"}
	first, err := s.carl.PlaceOrderWithResponse(s.ctx, key, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"small"}`)})
	if err != nil || first.JSON201 == nil {
		t.Fatalf("first attempt: %v %s", err, body(first))
	}
	again, err := s.carl.PlaceOrderWithResponse(s.ctx, key, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"small"}`)})
	if err != nil || again.JSON201 == nil || again.JSON201.ID != first.JSON201.ID {
		t.Fatalf("the retry: %v %s, want the first attempt's order %s", err, body(again), first.JSON201.Number)
	}
	other, err := s.carl.PlaceOrderWithResponse(s.ctx, key, api.Placement{Item: item.ID, Answers: json.RawMessage(`{"model":"large"}`)})
	if err != nil || other.ApplicationProblemJSON422 == nil {
		t.Fatalf("the key with other answers: %v %s, want 422", err, body(other))
	}
	mine, err := client.Check(s.carl.ListOrdersWithResponse(s.ctx, &api.ListOrdersParams{Mine: true, Limit: 100}))
	if err != nil || len(mine.JSON200.Items) != 1 {
		t.Fatalf("carl's orders after a retry and a refusal: %v", err)
	}
}

// TestOrderAndTaskETags checks that an order and a task carry their
// version as an ETag, and that their commands honour If-Match: a stale
// tag is 412 and changes nothing, the current one applies.
func TestOrderAndTaskETags(t *testing.T) {
	s := newShop(t, memstoreFor(t))
	item := s.phoneItem()
	s.grant("carl", authority.RoleRequester, item.ID)
	s.grant("anna", authority.RoleApprover, item.ID)
	o := s.place(item.ID)
	got, err := client.Check(s.agent.GetOrderWithResponse(s.ctx, o.ID))
	if err != nil || got.HTTPResponse.Header.Get("ETag") != httpapi.ETag(o.Version) {
		t.Fatalf("GET order: %v, ETag %q", err, got.HTTPResponse.Header.Get("ETag"))
	}
	stale := httpapi.ETag(o.Version + 1)
	if r, err := s.anna.ApproveOrderWithResponse(s.ctx, o.ID, &api.ApproveOrderParams{IfMatch: stale}, api.ApprovalNote{}); err != nil ||
		r.ApplicationProblemJSON412 == nil {
		t.Fatalf("approve with a stale If-Match: %v %s, want 412", err, body(r))
	}
	r, err := s.anna.ApproveOrderWithResponse(s.ctx, o.ID, &api.ApproveOrderParams{IfMatch: httpapi.ETag(o.Version)}, api.ApprovalNote{})
	if err != nil || r.JSON200 == nil || r.HTTPResponse.Header.Get("ETag") != httpapi.ETag(r.JSON200.Version) {
		t.Fatalf("approve with the current If-Match: %v %s", err, body(r))
	}
	phone := s.taskOf(r.JSON200, "phone")
	tr, err := client.Check(s.alice.GetTaskWithResponse(s.ctx, phone.ID))
	if err != nil || tr.HTTPResponse.Header.Get("ETag") != httpapi.ETag(phone.Version) {
		t.Fatalf("GET task: %v, ETag %q", err, tr.HTTPResponse.Header.Get("ETag"))
	}
	if r, err := s.alice.AcceptTaskWithResponse(s.ctx, phone.ID, &api.AcceptTaskParams{IfMatch: httpapi.ETag(phone.Version + 1)}); err != nil ||
		r.ApplicationProblemJSON412 == nil {
		t.Fatalf("accept with a stale If-Match: %v %s, want 412", err, body(r))
	}
	if r, err := s.alice.AcceptTaskWithResponse(s.ctx, phone.ID, &api.AcceptTaskParams{IfMatch: httpapi.ETag(phone.Version)}); err != nil || r.JSON200 == nil {
		t.Fatalf("accept with the current If-Match: %v %s", err, body(r))
	}
}
