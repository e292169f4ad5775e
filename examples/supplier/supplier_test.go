package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// TestSupplierWorksDelegatedIncidents runs the example against the demo on
// an in-process server: an incident delegated before it starts (the
// backlog) and one delegated while it runs (the webhook) are both accepted,
// referenced, updated and reported back, once each; a forged delivery is
// refused; stopping it deletes its subscription.
func TestSupplierWorksDelegatedIncidents(t *testing.T) {
	ctx := context.Background()
	srv := refservertest.Start(t, memstore.New())
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	desk, err := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	if err != nil {
		t.Fatal(err)
	}
	delegate := func(summary string) itsm.ID {
		t.Helper()
		r, err := client.Check(desk.RegisterIncidentWithResponse(ctx, nil, api.Registration{Customer: cast.Customer,
			Caller: incident.Caller{Person: "ulla"}, Channel: incident.ChannelPortal, Summary: summary,
			Description: "She said: " + summary, Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Check(desk.DelegateIncidentWithResponse(ctx, r.JSON201.ID, nil,
			api.Delegation{Organisation: cast.Network})); err != nil {
			t.Fatal(err)
		}
		return r.JSON201.ID
	}
	before := delegate("Switch in the harbour office is down")

	out := &asynctest.Buffer{}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(wctx, []string{"--server", srv.URL, "--pause", "0s"}, func(k string) string {
			if k == "NETWORK_TOKEN" {
				return cast.Token(demo.EnvNetwork).Secret
			}
			return ""
		}, out)
	}()
	asynctest.Eventually(t, "the subscription", func() bool { return strings.Contains(out.String(), "subscribed ") })
	during := delegate("Wifi at the swimming hall drops")

	resolved := func(id itsm.ID) bool {
		r, err := client.Check(desk.GetIncidentWithResponse(ctx, id.String()))
		return err == nil && r.JSON200.State == incident.StateResolved
	}
	asynctest.Eventually(t, "both incidents resolved", func() bool { return resolved(before) && resolved(during) })

	for _, id := range []itsm.ID{before, during} {
		r, err := client.Check(desk.GetIncidentWithResponse(ctx, id.String()))
		if err != nil {
			t.Fatal(err)
		}
		inc := r.JSON200
		if inc.Outcome == nil || inc.Outcome.Code != "fixed" || inc.Holder != cast.Network {
			t.Errorf("%s: outcome %+v, holder %s", inc.Number, inc.Outcome, inc.Holder)
		}
		want := "SUP-" + strings.TrimPrefix(inc.Number.String(), "INC")
		if len(inc.References) != 1 || inc.References[0].Reference != want {
			t.Errorf("%s: references %+v, want %s", inc.Number, inc.References, want)
		}
		var updates int
		for _, e := range inc.Journal {
			if e.Kind == incident.EntryStatusUpdate && e.Author == "nils" {
				updates++
			}
		}
		if updates != 1 {
			t.Errorf("%s: %d status updates by nils, want exactly 1", inc.Number, updates)
		}
	}
	// The program lists what waits for it once it has subscribed, so it
	// may work the second incident from that list before the webhook of
	// its delegation arrives: the delivery is still due, later.
	asynctest.Eventually(t, "a delegation by webhook", func() bool {
		return strings.Contains(out.String(), "received incident.delegated")
	})

	// A delivery that is not signed with the subscription's secret.
	nils, _ := client.New(srv.URL, cast.Token(demo.EnvNetwork).Secret)
	hooks, err := client.Check(nils.ListWebhooksWithResponse(ctx, &api.ListWebhooksParams{}))
	if err != nil || len(hooks.JSON200.Items) != 1 {
		t.Fatalf("the supplier's webhooks: %v %v", hooks, err)
	}
	forged := []byte(`{"id":"` + itsm.NewID().String() + `","seq":1,"type":"incident.delegated","time":"2026-12-05T10:00:00Z","data":{}}`)
	req, _ := http.NewRequest(http.MethodPost, hooks.JSON200.Items[0].URL, bytes.NewReader(forged))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set(httpnotify.HeaderTimestamp, ts)
	req.Header.Set(httpnotify.HeaderSignature, httpnotify.Sign([]byte("not the secret"), ts, forged))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged delivery: %d, want 401", resp.StatusCode)
	}

	stop()
	if err := <-done; err != nil {
		t.Errorf("the supplier stopped with %v", err)
	}
	hooks, err = client.Check(nils.ListWebhooksWithResponse(ctx, &api.ListWebhooksParams{}))
	if err != nil || len(hooks.JSON200.Items) != 0 {
		t.Errorf("after stopping, the supplier's webhooks are %+v (%v)", hooks.JSON200, err)
	}
}

// TestReceiveTakesEachEventOnce delivers one signed event three times, as
// an at-least-once sender may: the receiver acknowledges each and queues
// the incident once; a stale signature is refused.
func TestReceiveTakesEachEventOnce(t *testing.T) {
	s := &supplier{cfg: Config{Out: &asynctest.Buffer{}}, seen: map[itsm.ID]bool{}, work: make(chan itsm.ID, 8)}
	s.setSecret("s3cret")
	subject := itsm.NewID()
	body, err := json.Marshal(webhook.Payload{ID: itsm.NewID(), Seq: 7, Type: "incident.delegated", Subject: &subject,
		Time: time.Now().UTC(), Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(at time.Time) int {
		ts := strconv.FormatInt(at.Unix(), 10)
		r := httptest.NewRequest(http.MethodPost, "/spoc-events", bytes.NewReader(body))
		r.Header.Set(httpnotify.HeaderTimestamp, ts)
		r.Header.Set(httpnotify.HeaderSignature, httpnotify.Sign([]byte("s3cret"), ts, body))
		w := httptest.NewRecorder()
		s.receive(w, r)
		return w.Code
	}
	if code := deliver(time.Now().Add(-time.Hour)); code != http.StatusUnauthorized {
		t.Errorf("an hour-old signature: %d, want 401", code)
	}
	for i := range 3 {
		if code := deliver(time.Now()); code != http.StatusNoContent {
			t.Errorf("delivery %d: %d, want 204", i+1, code)
		}
	}
	if got := len(s.work); got != 1 {
		t.Fatalf("%d incidents queued, want 1", got)
	}
	if id := <-s.work; id != subject {
		t.Errorf("queued %s, want %s", id, subject)
	}
}

// TestRunRefusesBadFlags: no token, and stray arguments.
func TestRunRefusesBadFlags(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{{}, {"--token", "x", "extra"}, {"--pause", "soon"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, none, &out); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

// TestReadmeWalkthrough runs README's curl commands, as written, against
// the demo on an in-process server with the supplier working: the incident
// they register and delegate ends resolved by the supplier.
func TestReadmeWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s: %v", tool, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```sh\n(auth=.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no shell block starting auth=")
	}
	ctx := context.Background()
	srv := refservertest.Start(t, memstore.New())
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	out := &asynctest.Buffer{}
	go func() {
		_ = Work(wctx, Config{Server: srv.URL, Token: cast.Token(demo.EnvNetwork).Secret, Listen: "127.0.0.1:0", Out: out})
	}()
	asynctest.Eventually(t, "the subscription", func() bool { return strings.Contains(out.String(), "subscribed ") })

	// The script ends with a GET of the incident; its ID is what it got.
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(block[1])+"\necho \"ID=$ID\"\n")
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"NETWORK_ID="+cast.Network.String())
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README's commands: %v\n%s", err, got)
	}
	m := regexp.MustCompile(`ID=(\S+)`).FindSubmatch(got)
	if m == nil {
		t.Fatalf("README's commands registered nothing:\n%s", got)
	}
	desk, _ := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	asynctest.Eventually(t, "the README's incident resolved by the supplier", func() bool {
		r, err := client.Check(desk.GetIncidentWithResponse(ctx, string(m[1])))
		return err == nil && r.JSON200.State == incident.StateResolved && r.JSON200.Holder == cast.Network
	})
}
