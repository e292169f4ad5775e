package incident_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// Labels are trimmed and checked as the summary is, so that " network"
// routes as "network" does, the caller finds their incident and a label
// of spaces is no label.
func TestLabelsAreTrimmed(t *testing.T) {
	w := newWorld(t)
	inc := w.must(w.svc.Register(w.ctx, w.agent, incident.Registration{Customer: w.city.ID,
		Caller:  incident.Caller{Person: " " + w.user.Person + "\t", Name: " Ulla User ", Contact: "\u00a0+46701234567 "},
		Channel: incident.ChannelPhone, Service: "  school network", Category: "network\u2003", Subcategory: "  wifi ",
		Summary: " wifi down ", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium}))
	if inc.Caller != (incident.Caller{Person: w.user.Person, Name: "Ulla User", Contact: "+46701234567"}) ||
		inc.Service != "school network" || inc.Category != "network" || inc.Subcategory != "wifi" || inc.Summary != "wifi down" {
		t.Fatalf("registered %+v %q/%q/%q %q", inc.Caller, inc.Service, inc.Category, inc.Subcategory, inc.Summary)
	}
	// The routing rules see the trimmed category and subcategory.
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	if inc.Holder != w.network.ID || inc.Group != w.g("wifi") {
		t.Errorf("delegated to %s/%s, want the network supplier's wifi group", inc.Holder, inc.Group)
	}
	// The caller is the caller, whatever spaces the desk typed.
	w.must(w.svc.Comment(w.ctx, w.user, inc.ID, incident.EntryCommunication, "any news?"))
	inc = w.must(w.svc.Recategorise(w.ctx, w.agent, inc.ID, " network ", " ", "lan "))
	if inc.Service != "network" || inc.Category != "" || inc.Subcategory != "lan" {
		t.Errorf("recategorised to %q/%q/%q", inc.Service, inc.Category, inc.Subcategory)
	}
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	inc = w.must(w.svc.ReportBack(w.ctx, w.netAgent, inc.ID, incident.Resolution{Code: " hardware ", Text: "Replaced."}))
	if inc.Outcome == nil || inc.Outcome.Code != "hardware" {
		t.Errorf("the resolution code is %+v", inc.Outcome)
	}
	for name, reg := range map[string]incident.Registration{
		"a caller of spaces":    {Caller: incident.Caller{Person: " \t"}},
		"a control character":   {Caller: incident.Caller{Person: "ulla"}, Category: "net\x1bwork"},
		"a label too long":      {Caller: incident.Caller{Person: "ulla"}, Service: string(make([]byte, incident.MaxSummary+1))},
		"a summary of spaces":   {Caller: incident.Caller{Person: "ulla"}, Summary: "\u00a0 "},
		"a name with a newline": {Caller: incident.Caller{Person: "ulla", Name: "Ulla\nUser"}},
	} {
		reg.Channel, reg.Impact, reg.Urgency = incident.ChannelPhone, itsm.ImpactLow, itsm.UrgencyLow
		if reg.Summary == "" {
			reg.Summary = "printer"
		}
		if _, err := w.svc.Register(w.ctx, w.agent, reg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
