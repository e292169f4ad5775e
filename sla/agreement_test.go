package sla_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// TestAgreementPartiesAndDesk checks who an agreement is the business of:
// its provider and its consumer, never a third organisation nor the zero
// ID; and whose desk it belongs to for each kind.
func TestAgreementPartiesAndDesk(t *testing.T) {
	desk, other, customer, supplier := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
	for _, tc := range []struct {
		ag       sla.Agreement
		parties  []itsm.ID
		outsider []itsm.ID
	}{
		{sla.Agreement{Kind: sla.KindSLA, Provider: desk, Consumer: customer}, []itsm.ID{desk, customer}, []itsm.ID{other, supplier, {}}},
		{sla.Agreement{Kind: sla.KindUC, Provider: supplier, Consumer: desk}, []itsm.ID{desk, supplier}, []itsm.ID{other, customer, {}}},
		{sla.Agreement{Kind: sla.KindOLA, Provider: supplier, Consumer: desk}, []itsm.ID{desk, supplier}, []itsm.ID{other, customer, {}}},
		// An agreement that names no consumer is still nobody else's.
		{sla.Agreement{Kind: sla.KindSLA, Provider: desk}, []itsm.ID{desk}, []itsm.ID{other, {}}},
	} {
		for _, org := range tc.parties {
			if !tc.ag.Party(org) {
				t.Errorf("%s %s→%s: %s is no party", tc.ag.Kind, tc.ag.Provider, tc.ag.Consumer, org)
			}
		}
		for _, org := range tc.outsider {
			if tc.ag.Party(org) {
				t.Errorf("%s %s→%s: %s is a party", tc.ag.Kind, tc.ag.Provider, tc.ag.Consumer, org)
			}
		}
		if tc.ag.Desk() != desk {
			t.Errorf("%s %s→%s belongs to %s, want the desk %s", tc.ag.Kind, tc.ag.Provider, tc.ag.Consumer, tc.ag.Desk(), desk)
		}
	}
}

// TestAgreementNameIsALabel checks that an agreement's name, which reports
// and their legends show, is refused where a label would be: padded, with
// a bidirectional formatting character, or over the length of a label.
func TestAgreementNameIsALabel(t *testing.T) {
	for _, name := range []string{" SLA Kommunen", "SLA Kommunen\t", "SLA \u202eKommunen", "SLA\u200bKommunen", strings.Repeat("x", itsm.MaxLabel+1)} {
		a := agreement(t, sla.KindSLA, desk, defaultWithin)
		a.Name = name
		if err := a.Validate(); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("name %q: %v, want invalid", name, err)
		} else if strings.ContainsAny(err.Error(), "\u202e\u200b") {
			t.Errorf("the refusal repeats the character: %v", err)
		}
	}
}

// TestAgreementScope checks that an agreement's scope is incidents (also
// when unset, as every agreement stored before scopes), requests or
// problems, and
// that any other is refused naming it.
func TestAgreementScope(t *testing.T) {
	for _, s := range []sla.Scope{"", sla.ScopeIncidents, sla.ScopeRequests, sla.ScopeProblems} {
		a := agreement(t, sla.KindSLA, desk, defaultWithin)
		a.Scope = s
		if err := a.Validate(); err != nil {
			t.Errorf("scope %q: %v", s, err)
		}
	}
	a := agreement(t, sla.KindSLA, desk, defaultWithin)
	a.Scope = "changes"
	if err := a.Validate(); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), `scope "changes"`) {
		t.Errorf("scope changes: %v, want invalid naming it", err)
	}
}
