package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// nextWeek returns the wall-clock times, in Stockholm, of Tuesday of next
// week at the hours given, as a change window takes them.
func nextWeek(t *testing.T, from, to int) api.LocalWindow {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	monday := time.Date(now.Year(), now.Month(), now.Day()-(int(now.Weekday())+6)%7+7, 0, 0, 0, 0, loc)
	day := monday.AddDate(0, 0, 1)
	at := func(h int) string { return day.Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04") }
	return api.LocalWindow{Start: at(from), End: at(to)}
}

// TestChangesOverHTTP takes planned changes through their life over HTTP
// on every backend: registered by the desk and by a supplier, read by
// number, edited under If-Match, approved by the object owner, seen by the
// customer's user among the outages in both languages, scheduled for next
// week with the collision of two changes of one cluster, their impact,
// started, completed and cancelled, listed by state, with their history;
// a supplier does not touch another's change and the customer writes none.
func TestChangesOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_changes") {
		t.Run(name, func(t *testing.T) { changes(t, newCMS(t, open(t))) })
	}
}

func changes(t *testing.T, c *cms) {
	ctx := c.ctx
	m := c.mail()
	texts := cmdb.Texts{SV: "E-posten kan vara långsam under natten.", EN: "E-mail may be slow during the night."}
	in := api.ChangeInput{Title: "Patch mail01", Window: nextWeek(t, 22, 26), Items: []itsm.ID{m.server1.ID},
		Effect: cmdb.ChangeEffectOutage, Texts: texts}
	cr, err := c.agent.CreateChangeWithResponse(ctx, in)
	ch := want(t, "register", cr, err, http.StatusCreated).JSON201
	if ch.State != cmdb.ChangeStateDraft || ch.Number.Prefix != cmdb.ChangeNumberPrefix || cr.Headers201.ETag != `"1"` ||
		cr.Headers201.Location != "/v1/cmdb/changes/"+ch.ID.String() || ch.Window.Zone != "Europe/Stockholm" {
		t.Fatalf("registered %+v %+v", ch, cr.Headers201)
	}
	g, err := c.carl.GetChangeWithResponse(ctx, ch.Number.String())
	if want(t, "get by number", g, err, http.StatusOK).JSON200.ID != ch.ID {
		t.Errorf("by number: %s", g.JSON200.ID)
	}

	// Edited under the tag read; the stale tag is refused.
	edit := api.ChangeEdit{Title: "Patch mail01 and mail02", Window: in.Window, Items: []itsm.ID{m.server1.ID, m.server2.ID}, Effect: cmdb.ChangeEffectOutage, Texts: texts}
	ed, err := c.agent.EditChangeWithResponse(ctx, ch.ID, &api.EditChangeParams{IfMatch: `"1"`}, edit)
	want(t, "edit", ed, err, http.StatusOK)
	stale, err := c.agent.EditChangeWithResponse(ctx, ch.ID, &api.EditChangeParams{IfMatch: `"1"`}, edit)
	want(t, "edit with a stale tag", stale, err, http.StatusPreconditionFailed)

	// A supplier's change of the other server, in the same night: the two
	// collide on the cluster and the service.
	sc, err := c.alice.CreateChangeWithResponse(ctx, api.ChangeInput{Desk: c.desk, Title: "Firmware mail02", Window: nextWeek(t, 23, 25),
		Items: []itsm.ID{m.server2.ID}, Effect: cmdb.ChangeEffectDegraded, Texts: cmdb.Texts{SV: "Kortare avbrott."}})
	supCh := want(t, "supplier A registers", sc, err, http.StatusCreated).JSON201
	if supCh.Supplier != c.supA {
		t.Errorf("supplier A's change names supplier %s", supCh.Supplier)
	}
	for what, code := range map[string]int{
		"supplier B edits supplier A's change": status(mustResp(c.bob.EditChangeWithResponse(ctx, supCh.ID, nil, api.ChangeEdit{Title: "x",
			Window: in.Window, Items: []itsm.ID{m.server2.ID}, Effect: cmdb.ChangeEffectNone, Texts: cmdb.Texts{SV: "x"}}))),
		"the customer registers": status(mustResp(c.carl.CreateChangeWithResponse(ctx, api.ChangeInput{Desk: c.desk, Title: "x",
			Window: in.Window, Items: []itsm.ID{m.server2.ID}, Effect: cmdb.ChangeEffectNone, Texts: cmdb.Texts{SV: "x"}}))),
	} {
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", what, code)
		}
	}
	bad, err := c.agent.CreateChangeWithResponse(ctx, api.ChangeInput{Title: "Backwards", Window: nextWeek(t, 22, 20),
		Items: []itsm.ID{m.server1.ID}, Effect: cmdb.ChangeEffectNone, Texts: texts})
	want(t, "a window ending before it starts", bad, err, http.StatusBadRequest)

	// The object owner approves: the customer's user sees the outage.
	ap, err := c.agent.ApproveChangeWithResponse(ctx, ch.ID, &api.ApproveChangeParams{IfMatch: ed.Headers200.ETag}, api.ChangeApproval{ObjectOwner: "olle"})
	if a := want(t, "approve", ap, err, http.StatusOK).JSON200; a.State != cmdb.ChangeStateApproved || a.Approval == nil || a.Approval.ObjectOwner != "olle" {
		t.Errorf("approved %+v", a)
	}
	out, err := c.carl.ListOutagesWithResponse(ctx, &api.ListOutagesParams{Desk: c.desk}, dropZeros)
	os := want(t, "outages", out, err, http.StatusOK).JSON200.Items
	if len(os) != 1 || os[0].Change != ch.ID || os[0].Texts.In(cmdb.English) != texts.EN || os[0].Current || len(os[0].Services) != 1 ||
		os[0].Services[0].Name != "E-post" {
		t.Errorf("the outages: %+v", os)
	}
	soon, err := c.carl.ListOutagesWithResponse(ctx, &api.ListOutagesParams{Desk: c.desk, Horizon: "1h"}, dropZeros)
	if items := want(t, "outages within the hour", soon, err, http.StatusOK).JSON200.Items; len(items) != 0 {
		t.Errorf("outages within the hour: %+v", items)
	}

	// Next week's schedule: both changes, colliding.
	from := time.Now()
	sch, err := c.carl.GetChangeScheduleWithResponse(ctx, &api.GetChangeScheduleParams{Desk: c.desk, From: from, To: from.AddDate(0, 0, 21)})
	fs := want(t, "schedule", sch, err, http.StatusOK).JSON200
	if len(fs.Weeks) != 1 || len(fs.Weeks[0].Changes) != 2 || len(fs.Weeks[0].Changes[0].Collisions) != 1 ||
		fs.Weeks[0].Changes[0].Collisions[0].Change != supCh.ID {
		t.Fatalf("the schedule: %+v", fs)
	}
	if sum := fs.Weeks[0].Changes[0].Impact; sum.Users != 3300 || len(sum.Services) != 1 {
		t.Errorf("the first change's impact: %+v", sum)
	}
	im, err := c.carl.GetChangeImpactWithResponse(ctx, supCh.ID)
	// One server of the two degraded: the cluster holds its quorum, at
	// risk, and hurts nothing through it.
	if i := want(t, "impact", im, err, http.StatusOK).JSON200; len(i.Services) != 0 ||
		!slices.ContainsFunc(i.Items, func(a cmdb.Affected) bool { return a.Item == m.cluster.ID && a.AtRisk }) {
		t.Errorf("the supplier's change's impact: %+v", i)
	}

	// Started and completed; the supplier's cancelled.
	st, err := c.agent.StartChangeWithResponse(ctx, ch.ID, nil)
	want(t, "start", st, err, http.StatusOK)
	co, err := c.agent.CompleteChangeWithResponse(ctx, ch.ID, nil, api.ChangeCompletion{Note: "Patched; no restart needed."})
	if done := want(t, "complete", co, err, http.StatusOK).JSON200; done.State != cmdb.ChangeStateCompleted || done.Note == "" {
		t.Errorf("completed %+v", done)
	}
	again, err := c.agent.StartChangeWithResponse(ctx, ch.ID, nil)
	want(t, "start a completed change", again, err, http.StatusConflict)
	ca, err := c.alice.CancelChangeWithResponse(ctx, supCh.ID, nil, api.ChangeCancellation{Reason: "Firmware withdrawn by the vendor."})
	want(t, "cancel", ca, err, http.StatusOK)

	// Listed by state, and the history.
	l, err := c.agent.ListChangesWithResponse(ctx, &api.ListChangesParams{State: cmdb.ChangeStateCancelled}, dropZeros)
	if items := want(t, "list cancelled", l, err, http.StatusOK).JSON200.Items; len(items) != 1 || items[0].ID != supCh.ID {
		t.Errorf("cancelled: %+v", items)
	}
	all, err := c.carl.ListChangesWithResponse(ctx, &api.ListChangesParams{Desk: c.desk, Limit: 1}, dropZeros)
	if page := want(t, "list", all, err, http.StatusOK).JSON200; len(page.Items) != 1 || page.Next == "" {
		t.Errorf("a page of one: %+v", page)
	}
	h, err := c.carl.ListChangeHistoryWithResponse(ctx, ch.ID)
	var types []string
	for _, r := range want(t, "history", h, err, http.StatusOK).JSON200.Items {
		types = append(types, r.Type)
	}
	if !slices.Equal(types, []string{"cmdb.change.created", "cmdb.change.edited", "cmdb.change.approved", "cmdb.change.started", "cmdb.change.completed"}) {
		t.Errorf("the history: %q", types)
	}
}
