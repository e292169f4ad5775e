// Package itsm is the shared vocabulary of spoc: identifiers, master ticket
// numbers, organisations and actors with their permissions, impact, urgency
// and the priority matrix, errors with stable codes, an injectable clock, and
// the timeline of a ticket that package sla measures, and the Store interface
// that every storage backend implements (memstore, sqlitestore, pgstore).
// Writing a backend takes more than this package: the helpers that make all
// backends behave alike are in package itsm/backend, the conformance suite in
// itsm/storetest.
//
// Every other spoc package builds on these types; itsm itself depends on no
// other spoc package.
package itsm
