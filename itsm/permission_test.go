package itsm_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestAccessString(t *testing.T) {
	tests := []struct {
		a    itsm.Access
		want string
	}{
		{0, "none"},
		{itsm.AccessRead, "read"},
		{itsm.AccessWrite, "write"},
		{itsm.AccessReport, "report"},
		{itsm.AccessRead | itsm.AccessWrite, "read|write"},
		{itsm.AccessReport | itsm.AccessRead, "read|report"},
		{itsm.AccessAll, "read|write|report"},
		{itsm.AccessRead | 0x10, "read|0x10"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("Access(%#x).String() = %q, want %q", uint8(tt.a), got, tt.want)
		}
	}
}

func TestDomainValid(t *testing.T) {
	for _, d := range []itsm.Domain{itsm.DomainIncident, itsm.DomainRequest, itsm.DomainProblem,
		itsm.DomainCMDB, itsm.DomainKnowledge, itsm.DomainServiceLevel} {
		if !d.Valid() {
			t.Errorf("%q.Valid() = false", d)
		}
	}
	for _, d := range []itsm.Domain{"", "Incident", "incidents", "change"} {
		if d.Valid() {
			t.Errorf("%q.Valid() = true", d)
		}
	}
}

// deliveryPermissions is a typical configuration (SD-13, PM-2, CM-3, KM-2):
// the desk may do everything with incidents, suppliers read, write and report
// on the registers they share, the customer reads and reports.
func deliveryPermissions() *itsm.Permissions {
	return itsm.NewPermissions().
		Grant(deskID, itsm.DomainIncident, itsm.AccessAll).
		Grant(supplierID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessReport).
		Grant(supplierID, itsm.DomainIncident, itsm.AccessWrite).
		Grant(supplierID, itsm.DomainCMDB, itsm.AccessRead).
		Grant(customerID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessReport).
		Grant(customerID, itsm.DomainKnowledge, 0)
}

func TestPermissionsAllows(t *testing.T) {
	p := deliveryPermissions()
	stranger := itsm.MustParseID("01936f3a-0000-7000-8000-0000000000ff")
	tests := []struct {
		name string
		org  itsm.ID
		d    itsm.Domain
		a    itsm.Access
		want bool
	}{
		{"desk all", deskID, itsm.DomainIncident, itsm.AccessAll, true},
		{"desk other domain", deskID, itsm.DomainCMDB, itsm.AccessRead, false},
		{"grants add up", supplierID, itsm.DomainIncident, itsm.AccessAll, true},
		{"supplier read cmdb", supplierID, itsm.DomainCMDB, itsm.AccessRead, true},
		{"supplier write cmdb", supplierID, itsm.DomainCMDB, itsm.AccessWrite, false},
		{"all bits needed", supplierID, itsm.DomainCMDB, itsm.AccessRead | itsm.AccessWrite, false},
		{"customer report", customerID, itsm.DomainIncident, itsm.AccessReport, true},
		{"customer write", customerID, itsm.DomainIncident, itsm.AccessWrite, false},
		{"empty grant", customerID, itsm.DomainKnowledge, itsm.AccessRead, false},
		{"unknown organisation", stranger, itsm.DomainIncident, itsm.AccessRead, false},
		{"zero organisation", itsm.ID{}, itsm.DomainIncident, itsm.AccessRead, false},
		{"no access asked", deskID, itsm.DomainIncident, 0, false},
		{"unknown bit", deskID, itsm.DomainIncident, itsm.AccessRead | 0x10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Allows(tt.org, tt.d, tt.a); got != tt.want {
				t.Errorf("Allows(%s, %s, %s) = %t, want %t", tt.org, tt.d, tt.a, got, tt.want)
			}
		})
	}
}

func TestPermissionsGrantedAndRevoke(t *testing.T) {
	p := deliveryPermissions()
	if got := p.Granted(supplierID, itsm.DomainIncident); got != itsm.AccessAll {
		t.Errorf("Granted = %s, want %s", got, itsm.AccessAll)
	}
	p.Revoke(supplierID, itsm.DomainIncident, itsm.AccessWrite)
	if got, want := p.Granted(supplierID, itsm.DomainIncident), itsm.AccessRead|itsm.AccessReport; got != want {
		t.Errorf("after revoking write: Granted = %s, want %s", got, want)
	}
	p.Revoke(supplierID, itsm.DomainIncident, itsm.AccessAll).Revoke(customerID, itsm.DomainCMDB, itsm.AccessRead)
	if got := p.Granted(supplierID, itsm.DomainIncident); got != 0 {
		t.Errorf("after revoking all: Granted = %s, want none", got)
	}
	if got := p.Granted(supplierID, itsm.DomainCMDB); got != itsm.AccessRead {
		t.Errorf("revoking in one domain changed another: Granted = %s", got)
	}
	p.Grant(deskID, itsm.DomainProblem, 0x10|itsm.AccessRead)
	if got := p.Granted(deskID, itsm.DomainProblem); got != itsm.AccessRead {
		t.Errorf("Grant kept unknown bits: Granted = %s", got)
	}
}

func TestPermissionsZeroAndNil(t *testing.T) {
	var zero itsm.Permissions
	if zero.Allows(deskID, itsm.DomainIncident, itsm.AccessRead) {
		t.Error("zero Permissions allows")
	}
	zero.Revoke(deskID, itsm.DomainIncident, itsm.AccessRead)
	zero.Grant(deskID, itsm.DomainIncident, itsm.AccessRead)
	if !zero.Allows(deskID, itsm.DomainIncident, itsm.AccessRead) {
		t.Error("zero Permissions does not allow after Grant")
	}

	var p *itsm.Permissions
	if p.Allows(deskID, itsm.DomainIncident, itsm.AccessRead) || p.Granted(deskID, itsm.DomainIncident) != 0 {
		t.Error("nil Permissions allows")
	}
	actor := itsm.Actor{Organisation: deskID, Person: "anna"}
	wantCode(t, p.Check(actor, itsm.DomainIncident, itsm.AccessRead), itsm.CodeForbidden)
}

func TestPermissionsCheck(t *testing.T) {
	p := deliveryPermissions()
	tests := []struct {
		name     string
		actor    itsm.Actor
		d        itsm.Domain
		a        itsm.Access
		wantCode itsm.Code
		wantMsg  []string // parts of the message
	}{
		{"allowed", itsm.Actor{Organisation: customerID, Person: "u1"}, itsm.DomainIncident, itsm.AccessRead, "", nil},
		{
			"missing write", itsm.Actor{Organisation: customerID, Person: "u1"}, itsm.DomainIncident,
			itsm.AccessRead | itsm.AccessWrite, itsm.CodeForbidden,
			[]string{customerID.String(), "no write access", "to incident", `"u1"`},
		},
		{
			"roles do not help", itsm.Actor{Organisation: supplierID, Person: "bo", Roles: []itsm.Role{itsm.RoleAdmin}},
			itsm.DomainKnowledge, itsm.AccessAll, itsm.CodeForbidden,
			[]string{supplierID.String(), "no read|write|report access", "to knowledge"},
		},
		{
			"unknown organisation", itsm.Actor{Person: "x"}, itsm.DomainIncident, itsm.AccessRead,
			itsm.CodeForbidden, []string{itsm.ID{}.String(), "no read access"},
		},
		{
			"nothing asked", itsm.Actor{Organisation: deskID, Person: "anna"}, itsm.DomainIncident, 0,
			itsm.CodeInvalid, []string{"no access"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.actor, tt.d, tt.a)
			wantCode(t, err, tt.wantCode)
			for _, part := range tt.wantMsg {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func TestPermissionsConcurrent(t *testing.T) {
	p := deliveryPermissions()
	actor := itsm.Actor{Organisation: customerID, Person: "u1"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				if err := p.Check(actor, itsm.DomainIncident, itsm.AccessRead); err != nil {
					t.Error(err)
					return
				}
				p.Allows(customerID, itsm.DomainCMDB, itsm.AccessRead)
			}
		})
	}
	wg.Go(func() {
		for range 1000 {
			p.Grant(customerID, itsm.DomainCMDB, itsm.AccessRead)
			p.Revoke(customerID, itsm.DomainCMDB, itsm.AccessRead)
		}
	})
	wg.Wait()
}
