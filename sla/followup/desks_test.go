package followup_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// Two desks that both provide the city an SLA each draft their own follow-up
// of November: neither blocks, sees or learns of the other's, and the city
// reviews both. A desk that provides the city no SLA drafts nothing, and its
// refusal names neither the other desks nor what they drafted (SD-10).
func TestEachDeskDraftsItsOwnFollowUp(t *testing.T) {
	w := newWorld(t)
	w.slas[w.desk2.ID] = append(w.slas[w.desk2.ID], w.city.ID)

	// The other desk drafts first: on its own key, not on the desk's.
	theirs := w.must(w.svc.Draft(w.ctx, w.agent2, w.city.ID, w.nov))
	if want, _ := followup.Key(w.desk2.ID, w.city.ID, w.nov); theirs.ID != want || theirs.Desk != w.desk2.ID {
		t.Fatalf("the other desk's follow-up is %s of desk %s, want %s of %s", theirs.ID, theirs.Desk, want, w.desk2.ID)
	}
	ours := w.draft(w.city.ID, w.nov)
	if ours.ID == theirs.ID || ours.Desk != w.desk.ID || len(ours.Versions) != 1 {
		t.Fatalf("the desk's draft is %s of desk %s with %d versions, want its own", ours.ID, ours.Desk, len(ours.Versions))
	}

	// Neither desk reaches the other's: not found, and nothing in the
	// message about whose it is.
	hidden := func(what string, err error, other itsm.Organisation) {
		t.Helper()
		wantErr(t, err, itsm.CodeNotFound)
		for _, leak := range []string{other.ID.String(), other.Name, "drafted", "state"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: %q reveals %q", what, err, leak)
			}
		}
	}
	_, err := w.svc.Get(w.ctx, w.agent, theirs.ID)
	hidden("the desk reading the other's", err, w.desk2)
	_, err = w.svc.Get(w.ctx, w.agent2, ours.ID)
	hidden("the other desk reading the desk's", err, w.desk)
	w.must(w.svc.Approve(w.ctx, w.approver, ours.ID, "", ""))
	_, err = w.svc.Correct(w.ctx, w.agent2, ours.ID, "ours now")
	hidden("the other desk correcting the desk's", err, w.desk)
	page, err := w.svc.List(w.ctx, w.agent, followup.Filter{Customer: w.city.ID})
	if err != nil || len(page.FollowUps) != 1 || page.FollowUps[0].ID != ours.ID {
		t.Errorf("the desk lists %v, %v; want its own only", page.FollowUps, err)
	}

	// The city sees and reviews both, each on its own.
	page, err = w.svc.List(w.ctx, w.approver, followup.Filter{Period: w.nov})
	if err != nil || len(page.FollowUps) != 2 {
		t.Fatalf("the city lists %v, %v; want both desks' Novembers", page.FollowUps, err)
	}
	w.must(w.svc.Reject(w.ctx, w.approver, theirs.ID, "", "not our numbers"))
	if f, err := w.svc.Get(w.ctx, w.approver, ours.ID); err != nil || f.State != followup.StateApproved {
		t.Errorf("rejecting the other desk's changed the desk's: %v %v", f, err)
	}
	w.must(w.svc.Draft(w.ctx, w.agent2, w.city.ID, w.nov))
	w.must(w.svc.Approve(w.ctx, w.approver, theirs.ID, "", ""))

	// A desk that provides the city no SLA (any more) drafts nothing, and
	// learns nothing of those who do.
	delete(w.slas, w.desk2.ID)
	before := len(w.log())
	_, err = w.svc.Draft(w.ctx, w.agent2, w.city.ID, w.oct)
	wantErr(t, err, itsm.CodeForbidden, `"olga"`, "provides the customer no SLA")
	for _, leak := range []string{w.desk.ID.String(), w.desk.Name, "drafted it"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the refusal %q reveals %q", err, leak)
		}
	}
	// Nor may it correct what it drafted while it provided one.
	_, err = w.svc.Correct(w.ctx, w.agent2, theirs.ID, "recount")
	wantErr(t, err, itsm.CodeForbidden, "provides the customer no SLA")
	if after := len(w.log()); after != before {
		t.Errorf("refused drafts appended %d events", after-before)
	}
}
