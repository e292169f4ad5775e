// Package catalogue is the service catalogue (RF-1): what the users of a
// customer may order through its service desk. Before the desk handles a
// type of order it agrees it with the object owner at the customer, so an
// item is defined by the desk's administrators and offered only once the
// object owner named in it has agreed to it.
//
// An item has versions. Each revision by the desk is a new version, and the
// version on offer stays on offer until the owner agrees to the new one; an
// order keeps the version it was placed under, so every version stays
// readable for as long as the item exists (Item.At). Each version says how
// orders of it are fulfilled (Type): A in code with no manual step (a
// password reset after control questions, RF-2), B by hand, usually after
// the object owner's approval (an account in a business system, RF-3), or C
// by two or more suppliers the desk coordinates (a mobile phone with its
// subscription and e-mail, RF-4). The tasks of a version name the suppliers
// that fulfil it and the order in which they work.
//
// Each version carries the form an order answers: a JSON Schema (draft
// 2020-12) object schema, checked when the item is defined and compiled once
// per version when orders are checked against it (CheckAnswers). Answers the
// form marks writeOnly, such as the answers to control questions, are
// secrets: they are checked and handed to the order's verifier, never
// stored (StoredAnswers).
//
// Catalogue is store-backed like every register of spoc: each command is one
// write transaction that saves the item with an optimistic version check
// and appends one event saying what changed (catalogue.defined,
// catalogue.revised, catalogue.agreed, catalogue.withdrawn,
// catalogue.reinstated), so that an item is the fold of its events
// (Replay) and the log is its audit trail.
//
// Who reads an item: the desk that offers it, the suppliers its tasks name
// (in any version, since they fulfil orders of it), the object owner named
// in any of its versions, and, once a version has been agreed, the customer
// it is offered to, whose orders name it even after it is withdrawn. To
// anyone else it does not exist: it is not found, as incidents are (SD-13).
package catalogue
