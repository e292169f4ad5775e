package itsm

import (
	"strconv"
	"strings"
	"sync"
)

// Access is a set of rights over a Domain. The sources ask for read, write and
// report rights separately: suppliers and the customer get at least read and
// report access (SD-13), and write access to some registers (PM-2, CM-3, KM-2).
type Access uint8

// The rights; combine them with |.
const (
	// AccessRead: see the records of the domain.
	AccessRead Access = 1 << iota
	// AccessWrite: create and change records of the domain.
	AccessWrite
	// AccessReport: run reports and exports over the domain, which show
	// aggregates beyond what reading single records reveals.
	AccessReport

	// AccessAll is every right.
	AccessAll = AccessRead | AccessWrite | AccessReport
)

// String lists the rights in a, such as "read|report", or "none".
func (a Access) String() string {
	if a == 0 {
		return "none"
	}
	var parts []string
	for _, r := range [...]struct {
		a    Access
		name string
	}{{AccessRead, "read"}, {AccessWrite, "write"}, {AccessReport, "report"}} {
		if a&r.a != 0 {
			parts = append(parts, r.name)
		}
	}
	if rest := a &^ AccessAll; rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, "|")
}

// Domain is an area of the ticket system whose rights are configured
// separately for each organisation (SD-13).
type Domain string

// The domains.
const (
	DomainIncident     Domain = "incident"
	DomainRequest      Domain = "request"
	DomainProblem      Domain = "problem" // includes the KEDB and WADB (PM-2)
	DomainCMDB         Domain = "cmdb"
	DomainKnowledge    Domain = "knowledge"
	DomainServiceLevel Domain = "service_level"
)

// Valid reports whether d is one of the Domain constants. Grant does not
// check, so code that reads permissions from configuration should, lest a
// misspelt domain silently grant nothing.
func (d Domain) Valid() bool {
	switch d {
	case DomainIncident, DomainRequest, DomainProblem, DomainCMDB, DomainKnowledge, DomainServiceLevel:
		return true
	}
	return false
}

// Permissions holds the rights each organisation has in each domain (SD-13).
// Nothing is implied: an organisation has exactly the rights granted to it,
// the desk included, and an unknown organisation has none.
//
// Permissions is safe for concurrent use, so rights can be changed while
// requests are being checked. The zero value grants nothing and is ready to
// use; a nil *Permissions also grants nothing. Do not copy a Permissions
// after first use.
type Permissions struct {
	mu     sync.RWMutex
	grants map[grantKey]Access
}

type grantKey struct {
	org    ID
	domain Domain
}

// NewPermissions returns an empty Permissions, to be filled with Grant.
func NewPermissions() *Permissions { return &Permissions{} }

// Grant adds the rights a (beyond AccessAll ignored) to those org has in d
// and returns p, so that grants can be chained.
func (p *Permissions) Grant(org ID, d Domain, a Access) *Permissions {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.grants == nil {
		p.grants = make(map[grantKey]Access)
	}
	k := grantKey{org, d}
	p.grants[k] |= a & AccessAll
	if p.grants[k] == 0 {
		delete(p.grants, k)
	}
	return p
}

// Revoke removes the rights a from those org has in d and returns p, so that
// calls can be chained.
func (p *Permissions) Revoke(org ID, d Domain, a Access) *Permissions {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := grantKey{org, d}
	if left := p.grants[k] &^ a; left != 0 {
		p.grants[k] = left
	} else {
		delete(p.grants, k)
	}
	return p
}

// Granted returns the rights org has in d.
func (p *Permissions) Granted(org ID, d Domain) Access {
	if p == nil {
		return 0
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.grants[grantKey{org, d}]
}

// Allows reports whether org has every right in a in domain d. Asking for no
// right at all (a == 0) reports false: such a check is a bug, and a bug in a
// permission check should deny.
func (p *Permissions) Allows(org ID, d Domain, a Access) bool {
	return a != 0 && a&^p.Granted(org, d) == 0
}

// Check returns nil when the actor's organisation has every right in a in
// domain d. Otherwise it returns an *Error with CodeForbidden naming the
// organisation, the domain and the missing rights, or CodeInvalid when a
// asks for no right at all. Rights belong to organisations, so the actor's
// roles do not enter into it; domain packages check roles themselves.
func (p *Permissions) Check(actor Actor, d Domain, a Access) error {
	if a == 0 {
		return Errorf(CodeInvalid, "permission check on %s for %s asks for no access", d, quote(actor.Person))
	}
	if missing := a &^ p.Granted(actor.Organisation, d); missing != 0 {
		return Errorf(CodeForbidden, "organisation %s has no %s access to %s (person %s)",
			actor.Organisation, missing, d, quote(actor.Person))
	}
	return nil
}
