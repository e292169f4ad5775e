package passwordreset

import (
	"reflect"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// Schemas returns a JSON Schema (draft 2020-12) of the data of each event
// this package writes, keyed by event type, as chain.Schemas does for
// groups: whole documents, the same bytes on every call, exactly what this
// version writes.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

var eventDocs = schema.EventDocs{
	"passwordreset.enrolled": {"Control answers enrolled",
		"The person enrolled answers to the control questions named, replacing any before. The answers are kept as salted hashes in a record of their own, in no event."},
	"passwordreset.attempted": {"Password reset attempted",
		"A verification of the person's control answers began; it counts as a failure until one matches. The attempt that reaches the limit locks the person out until the time given."},
	"passwordreset.verified": {"Control answers verified",
		"The person's control answers matched: the count of attempts and any lockout are cleared."},
	"passwordreset.rehashed": {"Control answers rehashed",
		"The hashes of the person's answers were made again, with the iteration count given, from answers that had just matched."},
	"passwordreset.password_sent": {"New password sent",
		"An order of a password reset was fulfilled: a new password was set in the directory and mailed to the person. The password is in no event."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[Enrolled](): {
		"Person":     "The person who enrolled, by stable identity.",
		"Questions":  "The IDs of the questions answered.",
		"Iterations": "The PBKDF2-SHA256 iteration count of the hashes.",
	},
	reflect.TypeFor[Attempted](): {
		"Person":      "The person whose answers are verified.",
		"Attempts":    "The attempts since the last match within the window, this one included.",
		"LockedUntil": "Until when the person is locked out, when this attempt reached the limit.",
	},
	reflect.TypeFor[Verified](): {"Person": "The person whose answers matched."},
	reflect.TypeFor[Rehashed](): {
		"Person":     "The person whose answers were rehashed.",
		"Iterations": "The new iteration count.",
	},
	reflect.TypeFor[PasswordSent](): {
		"Person": "The person who got a new password.",
		"Key":    "The fulfilment's idempotency key.",
		"Order":  "The order fulfilled.",
		"Number": "The order's master number (REQ...), when it has one.",
	},
}
