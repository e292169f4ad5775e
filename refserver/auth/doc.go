// Package auth is the reference server's register of organisations and its
// bearer tokens: who may call the server, as which actor, and with which
// rights (SD-4, SD-13). It keeps everything in the server's itsm.Store, so
// that several server processes on one database agree, and it knows HTTP only
// in Middleware.
//
// # Organisations and rights
//
// A Directory is the server's register of organisations (customer, desk,
// supplier) with each one's rights per domain. It implements the Directory
// interfaces of package incident and sla/followup, and Permissions returns the
// *itsm.Permissions to give to their Configs: the Directory changes that value
// in place after each committed Grant, Revoke or Remove, so the services see a
// change on their next check, without a restart. A change made by another
// process reaches this one the next time Organisation reads the organisation
// from the store (the services ask for it before every permission check),
// or at Reload.
//
// # Administrators
//
// There are two kinds of administrator (AdminScope), told apart by the
// organisation they belong to, not by their role alone:
//
//   - A platform administrator (PlatformAdmin) holds itsm.RoleAdmin in
//     AdminOrganisation, the platform administration Bootstrap creates. It
//     alone changes the register (creates, renames and removes
//     organisations) and grants and revokes rights, and it manages every
//     organisation's tokens and webhook subscriptions.
//   - An organisation's administrator (OrganisationAdmin) holds
//     itsm.RoleAdmin in any other organisation, desk, supplier or customer.
//     It issues, lists and revokes the tokens of its own organisation's
//     people and manages its own webhook subscriptions, and nothing of any
//     other organisation: another's tokens do not exist for it.
//
// Holding the admin role in one desk therefore never reaches another
// organisation: a desk's administrator cannot issue a token acting for a
// supplier's or another desk's people, nor grant its own organisation
// rights. Removed organisations stay as tombstones: their IDs are
// never given out again, so a removed supplier's old tokens can never act for
// a new organisation.
//
// # Tokens
//
// Tokens issues bearer tokens to actors. A token is "spoc_" followed by 32
// random bytes in unpadded base64url (48 characters in all), shown once, when
// it is issued. The store keeps only its SHA-256 digest, as a unique index
// value of the token's record, so that finding a token is one indexed lookup
// and the database, its backups and the event log never hold a secret.
// Authenticate refuses unknown, malformed, revoked and expired tokens, and
// tokens whose organisation was removed, all with the same error
// (CodeUnauthenticated), so that a caller learns nothing about why.
//
// # Freshness
//
// Every request would otherwise read the store for its token and, two or
// three times, for its organisation. So a Directory keeps what it read of
// an organisation, and its Tokens what they accepted of a token, for a
// short freshness window, DefaultFreshness (one second) unless
// Directory.SetFreshness says otherwise; zero turns it off. The window is
// measured on the Directory's clock from before the read.
//
// Within one process nothing is late: every change made through the
// Directory or its Tokens (Create, Update, Remove, Grant, Revoke, a token's
// Revoke, Reload) forgets what it changed once it commits, and an
// accepted token's expiry and organisation are checked again on every
// request, so a token that expires or whose organisation was removed is
// refused at once. Across processes the stores agree as before, but a
// change made by another process on the same database, such as a
// revocation in another replica, takes effect here within the window:
// after DefaultFreshness at the latest, possibly at once. An operator who
// must cut a token off everywhere at the same instant sets the window to
// zero, or revokes and waits a second.
//
// Only what was accepted or found is kept: an unknown, malformed, revoked
// or expired token and an unknown organisation are looked up in the store
// every time, so made-up tokens fill no memory, and a refusal costs the
// same lookup as before. Each cache holds at most 4096 entries. Tokens
// are kept by the SHA-256 of their secret, never by the secret.
//
// # The first administrator
//
// Bootstrap gives a new database its first administrator token, acting as
// person AdminPerson of the organisation AdminOrganisation ("spoc
// administration", a desk with no rights of its own): a platform
// administrator, which may create organisations, grant rights and issue
// tokens, and nothing else, since it holds no agent role and its organisation
// no rights in any domain. The token is the value of SPOC_ADMIN_TOKEN when
// set, or a new one printed once. Whenever a live platform administrator's
// token exists, Bootstrap does nothing, so a restart never prints a secret
// again; if every one has been revoked or has expired, the next start makes
// a new one, which is how an operator who locked everyone out gets back in.
// An organisation's administrator's token does not count.
//
// # Records and events
//
// Organisations are records of kind "organisation" and tokens of kind
// "token". Every change appends one event with the acting administrator:
// organisation.created, organisation.updated, organisation.removed,
// organisation.granted, organisation.revoked, token.issued and token.revoked.
// None of them holds a secret or a digest of one.
package auth
