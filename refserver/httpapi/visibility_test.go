package httpapi_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// internal marks every text of the test that is internal to the support
// chain: work notes, a status update, a rejection reason, a supplier's
// reference. The customer must never read it, by any channel.
const internal = "INTERNAL"

// TestCustomerSeesNoWorkNotes runs one incident through two suppliers with
// every kind of journal entry, then reads it as the customer by GET, list,
// the event feed and a webhook: all four agree and none carries a work note,
// a status update, a rejection reason or a supplier's reference, while a
// supplier that held the incident reads the whole chain's work notes.
func TestCustomerSeesNoWorkNotes(t *testing.T) {
	c := newHookChain(t)
	ctx := c.ctx
	c.city = c.org("City of Example", itsm.OrgCustomer, api.AccessRead, api.AccessWrite)
	c.user = c.token(itsm.Actor{Organisation: c.city, Person: "carl"})
	cityAgent := c.token(itsm.Actor{Organisation: c.city, Person: "cora", Roles: []itsm.Role{itsm.RoleAgent}})

	recvCity, recvB := newReceiver(t), newReceiver(t)
	subCity, err := cityAgent.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: recvCity.srv.URL})
	if err != nil || subCity.JSON201 == nil {
		t.Fatalf("the customer subscribes: %v %s", err, body(subCity))
	}
	recvCity.setSecret(subCity.JSON201.Secret)
	subB, err := c.bob.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: recvB.srv.URL})
	if err != nil || subB.JSON201 == nil {
		t.Fatalf("supplier B subscribes: %v %s", err, body(subB))
	}
	recvB.setSecret(subB.JSON201.Secret)

	inc := c.register("", "The school's network is down", c.city)
	id := inc.ID
	steps := []struct {
		what string
		do   func() (interface{ StatusCode() int }, error)
	}{
		{"the desk tells the user", func() (interface{ StatusCode() int }, error) {
			return c.agent.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryCommunication, Text: "We are on it."})
		}},
		{"the desk's work note", func() (interface{ StatusCode() int }, error) {
			return c.agent.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryWorkNote, Text: internal + " desk: the core switch, again"})
		}},
		{"delegate to B with a note", func() (interface{ StatusCode() int }, error) {
			return c.agent.DelegateIncidentWithResponse(ctx, id, nil, api.Delegation{Organisation: c.supB, Note: internal + " desk to B: check the disks"})
		}},
		{"B's work note", func() (interface{ StatusCode() int }, error) {
			return c.bob.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryWorkNote, Text: internal + " B: the disks are fine"})
		}},
		{"B rejects", func() (interface{ StatusCode() int }, error) {
			return c.bob.RejectIncidentWithResponse(ctx, id, nil, api.Reason{Reason: internal + " B rejects: it is the network"})
		}},
		{"delegate to A", func() (interface{ StatusCode() int }, error) {
			return c.agent.DelegateIncidentWithResponse(ctx, id, nil, api.Delegation{Organisation: c.supA})
		}},
		{"A accepts", func() (interface{ StatusCode() int }, error) { return c.alice.AcceptIncidentWithResponse(ctx, id, nil) }},
		{"A's reference", func() (interface{ StatusCode() int }, error) {
			return c.alice.SetIncidentReferenceWithResponse(ctx, id, nil, api.ReferenceInput{Reference: internal + "-4711"})
		}},
		{"A's status update", func() (interface{ StatusCode() int }, error) {
			return c.alice.UpdateIncidentWithResponse(ctx, id, nil, api.StatusUpdate{Text: internal + " A status: replacing a switch"})
		}},
		{"A waits for its vendor", func() (interface{ StatusCode() int }, error) {
			return c.alice.WaitIncidentWithResponse(ctx, id, nil, api.Wait{Reason: incident.WaitVendor, Note: internal + " A waits: the vendor's case 99"})
		}},
		{"A resumes", func() (interface{ StatusCode() int }, error) {
			return c.alice.ResumeIncidentWithResponse(ctx, id, nil, api.Resumption{Note: internal + " A resumes: parts arrived"})
		}},
		{"A's work note", func() (interface{ StatusCode() int }, error) {
			return c.alice.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryWorkNote, Text: internal + " A: firmware bug"})
		}},
		{"A calls the user", func() (interface{ StatusCode() int }, error) {
			return c.alice.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryCommunication, Text: "Called the user to restart the switch."})
		}},
		{"the user answers", func() (interface{ StatusCode() int }, error) {
			return c.user.CommentIncidentWithResponse(ctx, id, nil, api.Comment{Kind: incident.EntryCommunication, Text: "Restarted it."})
		}},
		{"A reports back", func() (interface{ StatusCode() int }, error) {
			return c.alice.ReportBackIncidentWithResponse(ctx, id, nil, api.Resolution{Code: "hardware", Text: "Replaced a switch."})
		}},
		{"the desk closes", func() (interface{ StatusCode() int }, error) {
			return c.agent.CloseIncidentWithResponse(ctx, id, nil, api.Closure{Message: "The network is back."})
		}},
	}
	for _, s := range steps {
		r, err := s.do()
		if err != nil || r.StatusCode() != 200 {
			t.Fatalf("%s: %v %s", s.what, err, body(r))
		}
	}
	last := c.lastSeq()
	asynctest.Eventually(t, "the customer's cursor reaches the end of the log", func() bool {
		r, err := cityAgent.GetWebhookWithResponse(ctx, subCity.JSON201.ID)
		return err == nil && r.JSON200 != nil && r.JSON200.Delivery.Cursor >= last
	})
	asynctest.Eventually(t, "B's cursor reaches the end of the log", func() bool {
		r, err := c.bob.GetWebhookWithResponse(ctx, subB.JSON201.ID)
		return err == nil && r.JSON200 != nil && r.JSON200.Delivery.Cursor >= last
	})

	// The customer, by every channel.
	get, err := c.user.GetIncidentWithResponse(ctx, id.String())
	if err != nil || get.JSON200 == nil {
		t.Fatalf("the customer's GET: %v %s", err, body(get))
	}
	list, err := c.user.ListIncidentsWithResponse(ctx, nil)
	if err != nil || list.JSON200 == nil || len(list.JSON200.Items) != 1 {
		t.Fatalf("the customer's list: %v %s", err, body(list))
	}
	feed := c.feed(c.user)
	hooked := recvCity.payloads()
	channels := map[string][]byte{"GET": get.Body, "list": list.Body, "feed": mustJSON(t, feed), "webhook": mustJSON(t, hooked)}
	for name, b := range channels {
		if i := bytes.Index(b, []byte(internal)); i >= 0 {
			t.Errorf("the customer's %s shows what is internal to the support chain: ...%s...", name, b[max(0, i-80):min(len(b), i+80)])
		}
	}
	var said []string
	for _, e := range get.JSON200.Journal {
		if e.Kind != incident.EntryCommunication {
			t.Errorf("the customer reads a %s entry by %s", e.Kind, e.Author)
		}
		said = append(said, e.Text)
	}
	if want := []string{"We are on it.", "Called the user to restart the switch.", "Restarted it.", "The network is back."}; !slices.Equal(said, want) {
		t.Errorf("the customer's journal says %q, want %q", said, want)
	}
	if get.JSON200.Outcome == nil || get.JSON200.Outcome.Text != "Replaced a switch." || len(get.JSON200.Assignments) != 2 {
		t.Errorf("the customer's GET lacks the resolution or the assignments: %s", get.Body)
	}
	if got := mustJSON(t, list.JSON200.Items[0]); !bytes.Equal(got, mustJSON(t, *get.JSON200)) {
		t.Errorf("the customer's list and GET disagree:\n%s\n%s", got, mustJSON(t, *get.JSON200))
	}
	// The feed and the webhook deliver the same events, with the same data.
	byID := map[itsm.ID]webhook.Payload{}
	for _, p := range hooked {
		byID[p.ID] = p
	}
	if len(feed) != len(hooked) {
		t.Errorf("the customer's feed has %d events, its webhook %d", len(feed), len(hooked))
	}
	for _, e := range feed {
		p, ok := byID[e.ID]
		if !ok {
			t.Errorf("the customer's webhook lacks %s %d", e.Type, e.Seq)
			continue
		}
		if !bytes.Equal(mustJSON(t, p), mustJSON(t, e)) {
			t.Errorf("the customer's feed and webhook disagree on %s %d:\n%s\n%s", e.Type, e.Seq, mustJSON(t, e), mustJSON(t, p))
		}
	}
	if types := payloadTypes(feed); slices.Contains(types, "incident.referenced") || !slices.Contains(types, "incident.rejected") {
		t.Errorf("the customer's feed has %v: want the rejection (without its reason) and no reference", types)
	}

	// A supplier that held the incident reads the chain's work notes, the
	// other supplier's too, and receives them.
	getB, err := c.bob.GetIncidentWithResponse(ctx, id.String())
	if err != nil || getB.JSON200 == nil {
		t.Fatalf("B's GET: %v %s", err, body(getB))
	}
	// The desk's note came before B held the incident: B's GET and feed
	// show it, its webhook never (it starts at B's first delegation,
	// incident.ViewAt).
	for _, want := range []struct {
		text    string
		webhook bool
	}{
		{internal + " desk: the core switch, again", false},
		{internal + " A: firmware bug", true},
		{internal + " A status: replacing a switch", true},
	} {
		if !bytes.Contains(getB.Body, []byte(want.text)) {
			t.Errorf("B, which held the incident, does not read %q", want.text)
		}
		if !bytes.Contains(mustJSON(t, c.feed(c.bob)), []byte(want.text)) {
			t.Errorf("B's feed lacks %q", want.text)
		}
		if got := bytes.Contains(mustJSON(t, recvB.payloads()), []byte(want.text)); got != want.webhook {
			t.Errorf("B's webhook carries %q: %v, want %v", want.text, got, want.webhook)
		}
	}
}

// lastSeq returns the sequence number of the log's last event.
func (c *chain) lastSeq() int64 {
	c.t.Helper()
	last, err := lastSeq(c.ctx, c.store, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	return last
}

// feed reads the caller's whole event feed.
func (c *chain) feed(who *client.ClientWithResponses) []webhook.Payload {
	c.t.Helper()
	var (
		out   []webhook.Payload
		after int64
	)
	for {
		r, err := who.ListEventsWithResponse(c.ctx, &api.ListEventsParams{After: after}, dropZeros)
		if err != nil || r.JSON200 == nil {
			c.t.Fatalf("events: %v %s", err, body(r))
		}
		out = append(out, r.JSON200.Items...)
		if r.JSON200.Next == after {
			return out
		}
		after = r.JSON200.Next
	}
}

func payloadTypes(ps []webhook.Payload) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Type)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
