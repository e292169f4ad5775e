// Package passwordreset is an order of type A (RF-2) ready for a host to
// register: a person who forgot a password answers the control questions
// they enrolled, and gets a new password by e-mail, with no one at the desk
// involved.
//
// A Resetter is both the order's request.Verifier and its
// request.Fulfiller. People enrol answers to the Resetter's questions
// (Enrol); the catalogue item's form asks the same questions (Form), as
// secret (writeOnly) properties named by the questions' IDs, so that the
// answers reach Verify and go no further. Verify compares them with the
// enrolled ones; Fulfil makes a new password, sets it in the host's
// directory (PasswordSetter) and mails it to the address the directory has
// (Addresses).
//
// # Secrets
//
// Answers are compared after normalisation (Normalise), so that case,
// spacing, and the ways Unicode has of writing one letter do not fail a
// person who knows the answer. They are kept only as salted PBKDF2-SHA256
// hashes, each with its own random salt and iteration count, in a record
// of kind KindAnswers; the events of enrolment name the questions, not
// the answers nor their hashes, so that the event log, which feeds
// webhooks and reports, carries nothing to attack offline. That record is
// therefore not the fold of its events, unlike the registers of package
// chain. A hash made with fewer iterations than the Resetter's is made
// again, with the answers just verified, when they next match: the count
// can be raised without anyone enrolling again. The new password is
// neither stored nor put into an event or an outcome's note: only the
// directory and the e-mail see it.
//
// # Guessing
//
// Every verification counts as an attempt before the answers are
// compared, in a record of kind KindAttempts per person, and a match clears
// the count. The attempt that brings the count within the window to
// MaxAttempts locks the person out for Lockout, whatever it finds: so many
// attempts running at once cannot compare more answers than that. A wrong
// answer is refused with one sentence that does not say which answer was
// wrong.
//
// # Once per order, at least
//
// Fulfil records the order's key as done, with the outcome, after the
// e-mail is sent; a call with a key that is done sends nothing and returns
// the same outcome. Between sending and recording there is a window: a
// process that dies in it, or a store that fails the record, makes the
// request service call Fulfil again, which sets another new password and
// sends a second e-mail. The first password then no longer works, so each
// e-mail says that the latest one holds; an e-mail is never lost this way,
// but one may come twice. A mail server that refuses for good after the
// password was set leaves the person with a password nobody knows; the
// order then fails, and the desk resets the password by hand.
package passwordreset
