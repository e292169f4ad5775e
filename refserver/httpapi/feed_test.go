package httpapi_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
)

// TestFeedSkipsWhatTheCallerMayNotSee has a supplier read the feed in
// pages of 3 after the desk registered incidents it may not see: the
// first page holds the supplier's first 3 events, not nothing with a
// next, and the pages follow on without loss.
func TestFeedSkipsWhatTheCallerMayNotSee(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	for range 6 {
		c.register("", "The desk's own printer", itsm.ID{})
	}
	inc := c.register("", "The network is down", c.city)
	if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA, Note: "please"}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}
	if r, err := c.alice.AcceptIncidentWithResponse(ctx, inc.ID, nil); err != nil || r.JSON200 == nil {
		t.Fatalf("accept: %v %s", err, body(r))
	}
	if r, err := c.alice.UpdateIncidentWithResponse(ctx, inc.ID, nil, api.StatusUpdate{Text: "on it"}); err != nil || r.JSON200 == nil {
		t.Fatalf("update: %v %s", err, body(r))
	}
	all, err := c.admin.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: itsm.MaxLimit}, dropZeros)
	if err != nil || all.JSON200 == nil {
		t.Fatalf("events: %v %s", err, body(all))
	}
	var seen []string
	var after int64
	for page := 0; ; page++ {
		r, err := c.alice.ListEventsWithResponse(ctx, &api.ListEventsParams{After: after, Limit: 3}, dropZeros)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("events after %d: %v %s", after, err, body(r))
		}
		p := r.JSON200
		if page == 0 && len(p.Items) != 3 {
			t.Fatalf("the supplier's first page holds %d events (next %d), want 3: the events it may not see come first", len(p.Items), p.Next)
		}
		for _, e := range p.Items {
			if e.Subject == nil || *e.Subject != inc.ID {
				t.Errorf("the supplier sees %s of %v", e.Type, e.Subject)
			}
			seen = append(seen, e.Type)
		}
		if len(p.Items) > 0 && p.Next != p.Items[len(p.Items)-1].Seq {
			t.Errorf("page %d: next %d, want its last event's %d", page, p.Next, p.Items[len(p.Items)-1].Seq)
		}
		if p.Next == after {
			break
		}
		after = p.Next
	}
	if len(seen) != 4 || seen[0] != "incident.registered" || seen[3] != "incident.updated" {
		t.Errorf("the supplier's feed: %v", seen)
	}
	if after != all.JSON200.Next {
		t.Errorf("the supplier's feed ends at %d, the log at %d", after, all.JSON200.Next)
	}
}

// TestFeedLooksAtFeedScanEvents puts more events the caller may not see
// than a page looks at before one it may: the first page is empty with a
// next FeedScan events on, and the next page holds the event.
func TestFeedLooksAtFeedScanEvents(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	start, err := c.admin.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: itsm.MaxLimit}, dropZeros)
	if err != nil || start.JSON200 == nil {
		t.Fatalf("events: %v %s", err, body(start))
	}
	// Events of a kind the server does not serve: nobody sees them.
	err = c.store.Write(ctx, func(tx itsm.WriteTx) error {
		for range httpapi.FeedScan + 10 {
			if _, err := tx.Append(itsm.Event{Type: "other.happened", Kind: "other", Subject: itsm.NewID(), Time: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inc := c.register("", "Visible at last", itsm.ID{})
	after := start.JSON200.Next
	r, err := c.agent.ListEventsWithResponse(ctx, &api.ListEventsParams{After: after, Limit: 5}, dropZeros)
	if err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 || r.JSON200.Next != after+httpapi.FeedScan {
		t.Fatalf("the first page: %v %s, want none and next %d", err, body(r), after+httpapi.FeedScan)
	}
	r, err = c.agent.ListEventsWithResponse(ctx, &api.ListEventsParams{After: r.JSON200.Next, Limit: 5}, dropZeros)
	if err != nil || r.JSON200 == nil || len(r.JSON200.Items) == 0 || *r.JSON200.Items[0].Subject != inc.ID {
		t.Fatalf("the second page: %v %s, want the registration of %s", err, body(r), inc.ID)
	}
}
