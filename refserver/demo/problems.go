package demo

import (
	"context"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// The demo's problem, its known error and its workaround.
const (
	ProblemSummary  = "Citrix sessions freeze when users print"
	IncidentSummary = "Citrix session freezes when printing"
	KnownErrorTitle = "The Citrix universal print driver hangs on large print jobs"
	WorkaroundTitle = "Print to PDF, then print the PDF from the laptop"
)

// problems seeds the demo's problem management (PM-1, PM-2, IM-3): two of
// today's incidents with one cause, a workaround in the WADB, and the
// problem the desk records for them, linked to both (which then wait for
// it), investigated and identified as a known error of the KEDB that the
// workaround gets round, published for users as a knowledge article. The candidate problem needs nothing here: the
// history ends with its spike (SpikeSummary).
func problems(ctx context.Context, cast *Cast, desk *client.ClientWithResponses, groups map[string]itsm.ID) error {
	var linked []itsm.ID
	for i, c := range []incident.Caller{
		{Person: "maja", Name: "Maja Holm", Contact: "+46 73 222 33 44"},
		{Person: "johan", Name: "Johan Berg", Contact: "johan.berg@exempelstad.example"},
	} {
		r, err := desk.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "demo-citrix-" + string(rune('1'+i))},
			api.Registration{Customer: cast.Customer, Channel: incident.ChannelPhone, Category: "applications",
				Group: groups["First line"], Caller: c, Summary: IncidentSummary,
				Description: c.Name + " says: the Citrix session freezes as soon as I print a long document.",
				Impact:      itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
		if err := check("register "+IncidentSummary, r, err); err != nil {
			return err
		}
		linked = append(linked, r.JSON201.ID)
	}
	w, err := desk.RecordWorkaroundWithResponse(ctx, api.WorkaroundDraft{Title: WorkaroundTitle,
		Steps: "1. In the Citrix session choose Print to PDF.\n2. Save the PDF to the H: drive.\n3. Open it on the laptop and print it there.",
		Scope: "Citrix desktops of the town hall and the schools", Risk: "low", Applier: []api.Applier{"user", "desk"}})
	if err := check("record the workaround", w, err); err != nil {
		return err
	}
	p, err := desk.RecordProblemWithResponse(ctx, &api.RecordProblemParams{IdempotencyKey: "demo-citrix"},
		api.ProblemRecording{Summary: ProblemSummary, Category: "applications", Priority: 3, Group: groups["Second line"],
			Description: "Users lose their Citrix session when they print long documents; two called today.",
			Incidents:   linked, Wait: true})
	if err := check("record the problem", p, err); err != nil {
		return err
	}
	id := p.JSON201.ID
	inv, err := desk.InvestigateProblemWithResponse(ctx, id, nil)
	if err := check("investigate the problem", inv, err); err != nil {
		return err
	}
	r, err := desk.IdentifyProblemWithResponse(ctx, id, nil, api.KnownErrorDraft{Title: KnownErrorTitle,
		Symptom:    "The Citrix session stops answering when a document of more than about 20 pages is printed.",
		RootCause:  "The universal print driver of the Citrix farm spools large jobs in one piece and runs out of memory.",
		ErrorCodes: []api.Label{"CTX-PRN-0419"}, Workarounds: []itsm.ID{w.JSON201.ID},
		Fix: api.Fix{Status: "planned", Description: "Replace the universal driver by the printers' own drivers in the next Citrix release."}})
	if err := check("identify the known error", r, err); err != nil {
		return err
	}
	// Published for users: the knowledge base makes it an article of its
	// own, with the workaround users may apply themselves.
	pub, err := desk.PublishKnownErrorWithResponse(ctx, r.JSON200.KnownError.ID, nil)
	return check("publish the known error", pub, err)
}
