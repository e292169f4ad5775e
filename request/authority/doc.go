// Package authority keeps the lists of authorised requesters and
// authorised approvers (RF-5, "behöriga beställare och behöriga
// godkännare"): for each customer, who may order and who may approve, per
// catalogue item or per whole service, on which days.
//
// The customer tells the desk in writing who is on its lists and of every
// change, so the lists are a register with a history. Each Grant names a
// person of the customer, a role, one item or one service, and the days it
// is valid, From through Until (Until zero: until further notice). Nothing
// is deleted: ending a grant shortens it by an event, authority.ended, and
// the grant keeps every ending. An approver who is away records an Absence
// naming a stand-in, who approves in the approver's place on those days.
//
// Validity is in whole days of one zone (Config.Zone, Europe/Stockholm by
// default), as the customer's letters put it. An order placed at an instant
// is judged by the lists as they stood at that instant, and a change never
// rewrites that: a grant starts today at the earliest and takes effect when
// it is recorded, and an ending that cuts today short takes effect when it
// is recorded. So the answer for an instant, once every change recorded
// before it is known, never changes, and the desk can show why an order was
// or was not authorised long after the lists moved on.
//
// Lists is the store-backed register, with the commands and the rules of
// who may do what: a customer's administrators (itsm.RoleAdmin) and
// Config.Admin's actors change its lists, the approver or an administrator
// records an absence, the customer's own people and the desk's agents and
// administrators read the lists, and to anyone else they do not exist (not
// found). Each command is one write transaction that saves the record with
// an optimistic version check and appends one event; the record is the
// fold of its events (Replay, ReplayAbsence).
//
// Index is the projection an order command checks against: every grant and
// absence in memory, brought up to date from the event log inside the
// command's own transaction (CatchUp), answering MayOrder, MayApprove and
// Approvers in time that does not grow with the history.
package authority
