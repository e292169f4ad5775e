package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// TestSecondDeskDraftsOnlyItsOwnFollowUps puts a second desk with
// service-level rights beside the city's desk. Without an SLA with the city
// it cannot draft the city's month, and its refusal says nothing of the
// city's desk; the city's desk then drafts undisturbed. Once the second desk
// provides the city an SLA too, each desk drafts its own follow-up of the
// month, which the other desk cannot read, and the city reviews both.
func TestSecondDeskDraftsOnlyItsOwnFollowUps(t *testing.T) {
	l := newLedger(t, monday)
	ctx := l.ctx
	l.settle()
	l.solve("network down", l.supA, l.alice)
	desk2, bea, _ := l.secondDesk()
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))
	in := api.FollowUpInput{Customer: l.city, Month: "2026-11"}

	// The first desk is named nowhere in what the second one is told.
	secrets := []string{l.desk.String(), "Service Desk", "dana"}
	quiet := func(what string, b []byte) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s reveals %q: %s", what, s, b)
			}
		}
	}
	r, err := bea.DraftFollowUpWithResponse(ctx, in)
	if err != nil || r.ApplicationProblemJSON403 == nil {
		t.Fatalf("the second desk drafting the city's month without an SLA: %v %s, want 403", err, body(r))
	}
	quiet("the refused draft", r.Body)

	d, err := l.agent.DraftFollowUpWithResponse(ctx, in)
	if err != nil || d.JSON201 == nil {
		t.Fatalf("the city's desk drafting after the second desk tried: %v %s, want 201", err, body(d))
	}
	ours := d.JSON201.ID

	// With an SLA of its own, the second desk drafts its own follow-up.
	if r := createAgreement(t, &chain{world: l.world}, l.world.admin,
		agreementJSON("Second City SLA", "SLA", desk2, l.city, "24h", "uc-hours")); r.JSON201 == nil {
		t.Fatalf("create the second desk's SLA: %s", body(r))
	}
	r, err = bea.DraftFollowUpWithResponse(ctx, in)
	if err != nil || r.JSON201 == nil {
		t.Fatalf("the second desk drafting under its SLA: %v %s, want 201", err, body(r))
	}
	theirs := r.JSON201.ID
	if theirs == ours || r.JSON201.Desk != desk2 {
		t.Fatalf("the second desk's follow-up is %s of %s; the first desk's is %s", theirs, r.JSON201.Desk, ours)
	}
	quiet("the second desk's follow-up", r.Body)
	// Its report holds its own SLA, not the first desk's.
	rep := l.followUpReport(bea, theirs)
	quiet("the second desk's report", rep.Body)

	// Neither desk reads, redrafts over or corrects the other's.
	for name, c := range map[string]struct {
		who *client.ClientWithResponses
		id  itsm.ID
	}{"the first desk reading the second's": {l.agent, theirs}, "the second desk reading the first's": {bea, ours}} {
		g, err := c.who.GetFollowUpWithResponse(ctx, c.id)
		if err != nil || g.ApplicationProblemJSON404 == nil {
			t.Errorf("%s: %v %s, want 404", name, err, body(g))
		}
	}
	if g, err := bea.GetFollowUpWithResponse(ctx, ours); err == nil {
		quiet("the second desk's 404", g.Body)
	}
	if g, err := bea.ListFollowUpsWithResponse(ctx, nil); err != nil || g.JSON200 == nil ||
		len(g.JSON200.Items) != 1 || g.JSON200.Items[0].ID != theirs {
		t.Errorf("the second desk's list: %v %s, want its own follow-up only", err, body(g))
	}

	// The city sees both and reviews each on its own.
	g, err := l.approver.ListFollowUpsWithResponse(ctx, nil)
	if err != nil || g.JSON200 == nil || len(g.JSON200.Items) != 2 {
		t.Fatalf("the city's list: %v %s, want both desks' Novembers", err, body(g))
	}
	if a, err := l.approver.ApproveFollowUpWithResponse(ctx, theirs, api.Approval{Digest: r.JSON201.Versions[0].Digest}); err != nil || a.JSON200 == nil {
		t.Errorf("the city approving the second desk's: %v %s", err, body(a))
	}
	if g, err := l.agent.GetFollowUpWithResponse(ctx, ours); err != nil || g.JSON200 == nil || g.JSON200.State != "drafted" {
		t.Errorf("the first desk's after the city approved the second's: %v %s, want drafted", err, body(g))
	}
}
