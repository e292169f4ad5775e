package demo_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// TestSeedOffersTheCatalogue checks that a newcomer with the demo's tokens
// finds the three items on offer and places orders of them: the customer's
// person a phone, which waits for the other approver; the desk a new
// account on ulla's behalf, which the customer's person approves and which
// then waits for the desk's own task. A password reset has secret answers,
// which this server refuses until its host gives it a verifier.
func TestSeedOffersTheCatalogue(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	srv := refservertest.Start(t, store)
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	as := func(env string) *client.ClientWithResponses {
		c, err := client.New(srv.URL, cast.Token(env).Secret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	carl, dana, wera := as(demo.EnvCustomer), as(demo.EnvDesk), as(demo.EnvWorkplace)

	l, err := client.Check(carl.ListCatalogueWithResponse(ctx, &api.ListCatalogueParams{Offered: true}))
	if err != nil {
		t.Fatal(err)
	}
	types := map[catalogue.Type]itsm.ID{}
	for _, it := range l.JSON200.Items {
		types[it.Versions[0].Type] = it.ID
	}
	want := map[catalogue.Type]itsm.ID{catalogue.TypeA: cast.Items.PasswordReset, catalogue.TypeB: cast.Items.NewAccount,
		catalogue.TypeC: cast.Items.MobilePhone}
	if len(types) != 3 || types[catalogue.TypeA] != want[catalogue.TypeA] || types[catalogue.TypeB] != want[catalogue.TypeB] ||
		types[catalogue.TypeC] != want[catalogue.TypeC] {
		t.Fatalf("the customer's catalogue offers %v, want %v", types, want)
	}

	phone, err := client.Check(carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: cast.Items.MobilePhone, Answers: json.RawMessage(`{"model":"standard"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	if o := phone.JSON201; o.State != request.StateAwaitingApproval || len(o.Approval.Approvers) != 1 || o.Approval.Approvers[0] != demo.Approver {
		t.Errorf("carl's phone: %s, approvers %v", o.State, o.Approval.Approvers)
	}
	account, err := client.Check(dana.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: cast.Items.NewAccount, Requester: demo.Caller,
		Answers: json.RawMessage(`{"system":"payroll","account":"ulla.a"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	approved, err := client.Check(carl.ApproveOrderWithResponse(ctx, account.JSON201.ID, nil, api.ApprovalNote{Note: "Ulla starts on Monday."}))
	if err != nil {
		t.Fatal(err)
	}
	if o := approved.JSON200; o.State != request.StateInProgress || len(o.Tasks) != 1 || o.Tasks[0].State != request.TaskReady {
		t.Errorf("the approved account: %s, tasks %+v", o.State, o.Tasks)
	}
	// The phone's supplier sees nothing of an order it holds no task of.
	if r, err := wera.ListTasksWithResponse(ctx, nil); err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("the workplace supplier's tasks before the approval: %v", err)
	}
	reset, err := carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: cast.Items.PasswordReset,
		Answers: json.RawMessage(`{"account":"carl","birth_town":"Exempelstad","first_school":"Norra skolan"}`)})
	if err != nil || reset.StatusCode() != 501 {
		t.Errorf("a password reset without a verifier: %v %d, want 501", err, reset.StatusCode())
	}
}

// TestServerDocOrderWalkthrough runs the shell block of docs/server.md's
// "Try it: an order from the catalogue" against a demo server, as a
// newcomer would paste it, and checks that the order it places is closed
// with the desk's answer after both suppliers' tasks.
func TestServerDocOrderWalkthrough(t *testing.T) {
	blocks := shellBlocks(t, "Try it: an order from the catalogue", 1, "bash", "curl", "sed")
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	srv := refservertest.Start(t, store)
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(blocks[0][1])+"echo \"ORDER=$ORDER\"\n")
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"CUSTOMER_TOKEN="+cast.Token(demo.EnvCustomer).Secret, "WORKPLACE_TOKEN="+cast.Token(demo.EnvWorkplace).Secret,
		"NETWORK_TOKEN="+cast.Token(demo.EnvNetwork).Secret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`ORDER=([0-9a-f-]{36})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the walkthrough placed no order:\n%s", out)
	}
	desk, err := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	if err != nil {
		t.Fatal(err)
	}
	o, err := client.Check(desk.GetOrderWithResponse(ctx, itsm.MustParseID(string(m[1]))))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.JSON200; got.State != request.StateClosed || got.Requester != "ulla" || len(got.Tasks) != 2 ||
		got.Tasks[0].State != request.TaskDone || got.Tasks[1].State != request.TaskDone {
		t.Errorf("after the walkthrough the order is %s for %q with tasks %+v:\n%s", got.State, got.Requester, got.Tasks, out)
	}
}
