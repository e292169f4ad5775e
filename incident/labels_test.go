package incident_test

import (
	"strings"
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

// Labels and texts refuse the characters that show other than they are
// stored: C1 controls, bidirectional formatting ("Trojan Source") and, in
// labels, invisible ones that make two labels look alike. The refusal
// names the field and the character, records nothing, and what scripts
// and emoji need, and the line ends of a form, still pass.
func TestInvisibleCharactersAreRefused(t *testing.T) {
	w := newWorld(t)
	reg := func(change func(*incident.Registration)) incident.Registration {
		r := incident.Registration{Customer: w.city.ID, Caller: incident.Caller{Person: w.user.Person}, Channel: incident.ChannelPhone,
			Summary: "wifi down", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium}
		change(&r)
		return r
	}
	for _, tc := range []struct {
		name string
		reg  incident.Registration
		says string
	}{
		{"a summary that reads backwards", reg(func(r *incident.Registration) { r.Summary = "refund approved \u202edevorppa ton" }),
			"summary contains U+202E, a bidirectional formatting character"},
		{"a category with a zero-width space", reg(func(r *incident.Registration) { r.Category = "net\u200bwork" }),
			"category contains U+200B, an invisible character"},
		{"a caller's name with a C1 control", reg(func(r *incident.Registration) { r.Caller.Name = "Ulla\u009b2J" }),
			"caller name contains U+009B, a control character"},
		{"a description with an isolate", reg(func(r *incident.Registration) { r.Description = "Since \u2067Monday\u2069." }),
			"description contains U+2067, a bidirectional formatting character"},
		{"a description with a lone carriage return", reg(func(r *incident.Registration) { r.Description = "ok\rhidden" }),
			"description contains U+000D"},
	} {
		_, err := w.svc.Register(w.ctx, w.agent, tc.reg)
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want invalid saying %q", tc.name, err, tc.says)
		}
	}
	if page, err := w.svc.List(w.ctx, w.agent, incident.Filter{}); err != nil || len(page.Incidents) != 0 {
		t.Fatalf("refused registrations recorded %v %v", page, err)
	}

	// Persian needs the zero-width non-joiner, a family emoji the joiner,
	// and a description typed in a form has Windows line ends and tabs.
	inc := w.must(w.svc.Register(w.ctx, w.agent, reg(func(r *incident.Registration) {
		r.Summary = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001F468\u200d\U0001F469\u200d\U0001F467"
		r.Description = "Since Monday.\r\n\tEvery hour.\r\n"
	})))
	version := inc.Version
	for _, tc := range []struct {
		name string
		run  func() (*incident.Incident, error)
		says string
	}{
		{"a work note with an override", func() (*incident.Incident, error) {
			return w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryWorkNote, "the user says \u202dno\u202c")
		}, "comment contains U+202D"},
		{"a delegation note with an isolate", func() (*incident.Incident, error) {
			return w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Note: "check \u2066this\u2069"})
		}, "note contains U+2066"},
		{"a cancellation with a next-line control", func() (*incident.Incident, error) {
			return w.svc.Cancel(w.ctx, w.agent, inc.ID, "duplicate\u0085of INC0000009")
		}, "reason contains U+0085"},
		{"a resolution text with a right-to-left mark", func() (*incident.Incident, error) {
			return w.svc.Resolve(w.ctx, w.agent, inc.ID, incident.Resolution{Code: "advice", Text: "Restarted\u200f."})
		}, "resolution text contains U+200F"},
		{"a resolution code with a byte-order mark", func() (*incident.Incident, error) {
			return w.svc.Resolve(w.ctx, w.agent, inc.ID, incident.Resolution{Code: "\ufeffadvice", Text: "Restarted."})
		}, "resolution code contains U+FEFF"},
		{"a recategorisation with an Arabic letter mark", func() (*incident.Incident, error) {
			return w.svc.Recategorise(w.ctx, w.agent, inc.ID, "network\u061c", "", "")
		}, "service contains U+061C"},
	} {
		_, err := tc.run()
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want invalid saying %q", tc.name, err, tc.says)
		}
	}
	if got := w.must(w.svc.Get(w.ctx, w.agent, inc.ID)); got.Version != version {
		t.Errorf("refused commands changed the incident from version %d to %d", version, got.Version)
	}
}
