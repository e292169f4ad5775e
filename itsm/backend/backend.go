// Package backend is for the authors of an itsm.Store, not for its users: it
// holds the rules and helpers that make every storage backend accept the
// same records, events and queries and return the same pages, the way
// database/sql/driver serves the drivers behind database/sql. An application
// that embeds spoc, or a domain package that stores records, needs only
// package itsm.
//
// A backend checks what its transactions receive with ValidateKind,
// ValidateRecord, ValidateEvent, ValidateQuery and ValidateEventsOf (and
// itsm.ValidateLimit and itsm.ValidateNumberPrefix, which callers use too),
// keeps a record's index values as the sorted IndexEntry list that Entries
// returns and rebuilds the record's maps with SetEntries, and turns the last match of a page into
// Page.Next with NewCursor and back with ParseCursor. memstore, sqlitestore
// and pgstore are built on it; package storetest is the conformance suite a
// backend must pass.
package backend

import (
	"fmt"
)

// quote quotes s for an error message, at most its first 64 characters, so
// that a hostile or broken input does not flood the logs.
func quote(s string) string { return fmt.Sprintf("%.64q", s) }
