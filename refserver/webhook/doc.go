// Package webhook delivers the event log to the HTTP endpoints that
// organisations subscribe: the supplier side of the reference server's
// integration (REST plus signed webhooks).
//
// A Subscription, kept in the itsm.Store as a record of kind "webhook",
// names the owner organisation, the URL, the event types wanted and a
// secret. A Dispatcher reads the event log after each active subscription's
// cursor, drops the events of other types and those the owner may not see
// (the Visible hook the server supplies, so that this package knows nothing
// of incidents), and posts the rest one at a time in Seq order, each as the
// hook shows it to the owner (a customer's without the work notes).
//
// # The request
//
// Each event is one POST with a JSON body, the Payload:
//
//	{"id": "...", "seq": 42, "type": "incident.delegated", "kind": "incident",
//	 "subject": "...", "time": "2026-11-23T09:00:00Z", "data": {...}}
//
// and these headers:
//
//   - Content-Type: application/json
//   - User-Agent: spoc-webhook/1
//   - Idempotency-Key and Spoc-Event-ID: the event's ID, the same on every
//     attempt and after a restart, so that a receiver can drop repeats.
//   - Spoc-Subscription: the subscription's ID, for a receiver that serves
//     several subscriptions and must pick the secret.
//   - Spoc-Timestamp and Spoc-Signature: the signature of package
//     incident/httpnotify, "sha256=" and the hex HMAC-SHA256 of the timestamp,
//     a full stop and the body. A receiver checks them with httpnotify.Verify
//     before it trusts the body; spoc has one signature scheme for every
//     request it signs. Each attempt is signed afresh, so a retry hours later
//     still passes Verify's tolerance; the body is the same bytes every time.
//
// An answer in 2xx is success. Anything else, a redirect included (they are
// not followed: a redirect would send the signed body somewhere nobody
// configured), a timeout or a network error is a failed attempt. At most
// 64 KiB of an answer is read, and it is discarded.
//
// # Destinations
//
// The owner names the URL and the server connects to it, so a URL could
// aim the server at its own networks: its /metrics and API on loopback, its
// database, the cloud's metadata service at 169.254.169.254. By default a
// receiver must therefore have a public address; Config.Destinations is
// the operator's allow-list of further networks and host names (package
// netguard; refserver's --webhook-allow). A URL whose host is a forbidden
// address, in any spelling (::ffff:127.0.0.1, 2130706433, 0177.0.0.1), or
// localhost is refused when it is given. A host name is checked when
// connecting, on every connection and on every address it resolves to, so
// a name that resolved to a public address when it was subscribed and to
// 127.0.0.1 now (DNS rebinding) is refused now; the client uses no proxy
// from the environment, which would connect past the check.
//
// What the owner sees of a failed attempt (Delivery.LastError,
// DeadLetter.Error) is the status the receiver answered, or NoAnswer, or
// what is wrong with the URL by the server's rules: never the receiver's
// answer, which would read an internal service's secrets out, nor the
// network's error, which would tell a closed port from a filtered one or
// from one that does not speak HTTP. The server's log has both, and
// Config.Observe gets the whole error.
//
// # Order, retries and dead letters
//
// Events reach one subscription strictly in Seq order, which orders them per
// incident too. Seq values have gaps, because other subscriptions' types and
// other organisations' incidents are left out. An event that fails blocks the
// ones after it for that subscription (never for another one): it is tried
// again after an exponential backoff (Options.Backoff: base, doubling, a cap
// and jitter, and a Retry-After answer lengthens it up to the cap), and after
// Options.MaxAttempts failed attempts it becomes a DeadLetter, a record of
// kind "webhook_dead_letter" that the owner can list, retry or discard, and
// delivery moves on to the next event. The number of failed attempts and the
// time of the next one are kept in the subscription, so a restart neither
// resets the count nor retries early.
//
// Service.Retry sends a dead letter once, at once, and reports the outcome:
// success deletes the dead letter, failure counts the attempt in it. It does
// not rewind the subscription, which would send every later event again, nor
// queue the event behind the live ones; either way the event arrives after
// later ones, so a receiver that cares about order compares Seq.
//
// # At least once
//
// The cursor (the Seq up to which a subscription is done) is stored after
// each delivery and each dead letter, so a new Dispatcher on the same store,
// after a restart or a crash, continues where the last one stopped. An event
// that was delivered but whose cursor was not yet stored, because the
// process stopped in between, is delivered again: delivery is at least once,
// and a receiver that drops repeated Spoc-Event-ID values sees every event
// exactly once, in Seq order.
//
// # Several replicas
//
// Several server processes (replicas) on one database each run a Dispatcher,
// and one of them delivers: the holder of the lease, a record of kind
// KindLease that the Dispatchers take and renew through the store's version
// check (package itsm/lease), so it works the same on every backend. The
// holder renews it every third of Options.LeaseTime (DefaultLeaseTime, 5 s).
// The others read the lease record at each poll and nothing else: neither
// the subscriptions nor the event log, and they ignore Notify, so their cost
// does not grow with the events; the holder finds the events written through
// them at its next poll. A replica takes the lease when nobody holds it (the
// holder gave it back when it stopped, or when no subscription was active
// any more), or when the record has not changed for a LeaseTime by its own
// clock, so that replicas' clocks need not agree. A crashed holder's
// deliveries therefore resume after at most LeaseTime plus PollInterval.
//
// Each take starts a new term. Before it reads the log for a subscription,
// the new holder writes its term into it, and every cursor move checks, in
// the same transaction, that no later term has claimed the subscription. A
// holder that stalled past its lease (a paused process, a hung
// connection) and comes back can thus no longer move the cursor, forward or
// back, nor record a failure: it stops at its first write. The holder also
// stops by itself when it could not renew within a LeaseTime, cancelling its
// requests.
//
// So outside a failover every event is sent once, by one replica, in Seq
// order, and the Visible hook decides each event once. Around a failover
// the events whose answers the old holder had not recorded are sent again
// by the new one (at least once), still in Seq order after them.
//
// # Who sees what
//
// Subscriptions belong to an organisation. Its agents and its admins manage
// them; only those Config.Admin names (the reference server's platform
// administrators) manage everyone's. Another organisation's subscription is
// reported as not found, not forbidden, so its existence does not leak. An
// organisation holds at most Config.MaxPerOwner subscriptions
// (DefaultMaxPerOwner); one more is a conflict, since each costs a request
// per event. The secret is shown once, when it is created or rotated; it
// is kept in the store, because a signature needs the key itself. The
// server makes it (NewSecret) unless the client gives one, which must be at
// least MinSecret characters and neither a repetition nor a handful of
// characters.
package webhook
