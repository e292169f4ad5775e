package itsm_test

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func ExampleNewID() {
	a, b := itsm.NewID(), itsm.NewID()
	// Version 7 IDs sort by creation time.
	fmt.Println(a.String() < b.String(), a.IsZero())
	// Output: true false
}

func ExampleParseID() {
	id, err := itsm.ParseID("01936F3A-7B2C-7D4E-8F10-1A2B3C4D5E6F")
	fmt.Println(id, err)

	_, err = itsm.ParseID("{01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f}")
	fmt.Println(itsm.ErrorCode(err))
	// Output:
	// 01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f <nil>
	// invalid
}

func ExampleParseNumber() {
	n, err := itsm.ParseNumber("INC0000042")
	fmt.Println(n.Prefix, n.Seq, err)

	_, err = itsm.ParseNumber("INC42")
	fmt.Println(err)
	// Output:
	// INC 42 <nil>
	// invalid: number "INC42" has fewer than 7 digits
}

func ExampleNewNumber() {
	for _, seq := range []uint64{1, 9999999, 10000000} {
		n, _ := itsm.NewNumber("REQ", seq)
		fmt.Println(n)
	}
	// Output:
	// REQ0000001
	// REQ9999999
	// REQ10000000
}

func ExampleMatrix_Priority() {
	m := itsm.ITILMatrix()
	p, _ := m.Priority(itsm.ImpactHigh, itsm.UrgencyMedium)
	fmt.Println(p)

	_, err := m.Priority(4, itsm.UrgencyLow)
	fmt.Println(err)
	// Output:
	// P2
	// invalid: impact 4 is outside 1 to 3
}

func ExampleNewMatrix() {
	// A customer's own two-by-two matrix with three levels.
	m, err := itsm.NewMatrix([][]itsm.Priority{
		{1, 2}, // impact 1: urgency 1, urgency 2
		{2, 3}, // impact 2
	})
	fmt.Println(m.Impacts(), m.Urgencies(), m.Levels(), err)

	_, err = itsm.NewMatrix([][]itsm.Priority{{1, 3}, {3, 3}})
	fmt.Println(err)
	// Output:
	// 2 2 3 <nil>
	// invalid: priority matrix uses priorities up to P3 but not P2; levels must run from P1 with no gap
}

func ExamplePermissions_Check() {
	desk := itsm.MustParseID("01936f3a-0000-7000-8000-000000000001")
	supplier := itsm.MustParseID("01936f3a-0000-7000-8000-000000000002")
	perms := itsm.NewPermissions().
		Grant(desk, itsm.DomainIncident, itsm.AccessAll).
		Grant(supplier, itsm.DomainIncident, itsm.AccessRead|itsm.AccessReport)

	agent := itsm.Actor{Organisation: supplier, Person: "bo@network.example", Roles: []itsm.Role{itsm.RoleAgent}}
	fmt.Println(perms.Check(agent, itsm.DomainIncident, itsm.AccessRead))
	err := perms.Check(agent, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite)
	fmt.Println(errors.Is(err, itsm.ErrForbidden))
	fmt.Println(err)
	// Output:
	// <nil>
	// true
	// forbidden: organisation 01936f3a-0000-7000-8000-000000000002 has no write access to incident (person "bo@network.example")
}

func ExampleErrorCode() {
	// A store reports a missing record; the service adds context.
	err := fmt.Errorf("close ticket: %w", itsm.Errorf(itsm.CodeNotFound, "ticket %s", "INC0000042"))
	fmt.Println(itsm.ErrorCode(err), errors.Is(err, itsm.ErrNotFound))

	// Errors without a code are internal, so every error maps to a response.
	fmt.Println(itsm.ErrorCode(fs.ErrClosed))
	fmt.Printf("%q\n", itsm.ErrorCode(nil))
	// Output:
	// not_found true
	// internal
	// ""
}

func ExampleManualClock() {
	clock := itsm.NewManualClock(time.Date(2026, 1, 30, 16, 0, 0, 0, time.UTC))
	var c itsm.Clock = clock // what the code under test receives
	clock.Advance(72 * time.Hour)
	fmt.Println(c.Now().Format(time.DateTime))
	// Output: 2026-02-02 16:00:00
}
