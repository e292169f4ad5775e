// Package followup runs the monthly service-level follow-up (SL-4): the desk
// drafts the report of a customer's month, the customer approves or rejects
// it, and an approved report is frozen, so that the service credits settled
// on it rest on figures nobody can change afterwards.
//
// There is one FollowUp per desk, customer and month; its ID is derived from
// all three (Key), so drafting the same month twice finds the same
// follow-up, and two desks serving one customer each have their own, which
// the other neither reaches nor learns of. A desk drafts only for the
// customers it provides an SLA to (Config.Provides). A
// follow-up keeps every Version of its report: the first draft is version 1,
// and a correction of an approved report starts version n+1 while version n
// stays as it was approved.
//
// A Service applies the commands Draft, Approve, Reject and Correct to
// follow-ups kept in an itsm.Store. Each checks the actor and the follow-up's
// state, saves the follow-up with an optimistic version check and appends one
// event (followup.drafted, followup.redrafted, followup.approved,
// followup.rejected, followup.corrected) that names the actor, the version
// and the SHA-256 digest of the report JSON it concerns. The log therefore
// proves which bytes were approved; Verify checks a follow-up against its
// events, and Schemas describes their data.
//
// docs/followup.md draws the states.
package followup
