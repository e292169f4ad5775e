// Package incident runs incidents across a support chain of organisations:
// one service desk that registers, owns and closes every incident (SD-4), and
// suppliers it delegates to under one master number (SD-5), which accept or
// reject, report their status (SD-8) and report back their resolution.
//
// A Service applies commands (Register, Delegate, Accept, Reject, Assign,
// Take, Recall, Update,
// Wait, Resume, Resolve, ReportBack, Close, Reopen, Cancel, ...) to incidents
// kept in an itsm.Store. Each command checks the incident's state and the
// actor's organisation and roles, and records what happened as events
// (incident.registered, incident.delegated, ...); the incident is built only
// by applying those events, so Replay of its events gives the stored
// incident back. Clocks are measured with package sla from the incident's
// timeline: the customer's SLA end to end and each supplier's UC or OLA for
// the time it held the incident; the due times of running clocks are index
// values, so Service.Due finds what breaches soon with one query.
//
// Who holds an incident is the support chain's holding model (chain.Custody,
// embedded in Incident): an organisation, one of its groups and one member.
// The holding organisation's agents assign within it (Assign, Take), a move
// between its groups counted apart from re-assignments between
// organisations; the desk takes an incident back from a supplier with
// Recall, which is not the supplier's rejection. Service.Queue reads the
// work queues of a group, of its unassigned incidents and of a person,
// what is due first first, with one index query per page.
//
// What an organisation reads of an incident is decided in one place, View:
// the desk and the suppliers that hold or held it read everything, the
// customer what concerns its user and none of the chain's work notes, and
// every query, command result and reader of the event log shows the same.
//
// docs/incident.md draws the lifecycle.
package incident
