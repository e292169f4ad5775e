package passwordreset

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/spoc-itsm/spoc/itsm"
)

// The record kinds of the package, also the kinds of its events.
const (
	// KindAnswers is a person's enrolled answers, as hashes.
	KindAnswers = "passwordreset.answers"
	// KindAttempts is a person's verifications that have not matched yet
	// and the lockout they caused.
	KindAttempts = "passwordreset.attempts"
	// KindReset is one order fulfilled: its key and outcome.
	KindReset = "passwordreset.reset"
)

// namespace makes record IDs of names (UUID version 5), so that a person's
// or a key's record is found by its ID, with no index.
var namespace = uuid.MustParse("6f1c3a55-43a2-4f5e-9d0b-2b8f1e6d7c41")

// recordID is the ID of the record of kind about name.
func recordID(kind, name string) itsm.ID {
	return itsm.ID(uuid.NewSHA1(namespace, []byte(kind+"\x00"+name)))
}

// enrolment is a KindAnswers record.
type enrolment struct {
	Person   string    `json:"person"`
	Answers  []hashed  `json:"answers"`
	Enrolled time.Time `json:"enrolled"`
	version  int64
}

// answer returns the hash of the answer to question, if enrolled.
func (e *enrolment) answer(question string) (hashed, bool) {
	i := slices.IndexFunc(e.Answers, func(h hashed) bool { return h.Question == question })
	if i < 0 {
		return hashed{}, false
	}
	return e.Answers[i], true
}

// attempts is a KindAttempts record.
type attempts struct {
	Person string `json:"person"`
	// Times are when the attempts since the last match began, oldest
	// first, those older than the window left out.
	Times       []time.Time `json:"times"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
}

// reset is a KindReset record.
type reset struct {
	Key    string    `json:"key"`
	Person string    `json:"person"`
	Order  itsm.ID   `json:"order"`
	Number string    `json:"number,omitempty"`
	Note   string    `json:"note"`
	Sent   time.Time `json:"sent"`
}

// load reads the record of kind about name into v; found is false when
// there is none.
func load(tx itsm.ReadTx, kind, name string, v any) (version int64, found bool, err error) {
	r, err := tx.Get(kind, recordID(kind, name))
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return 0, false, itsm.Wrap(itsm.CodeInternal, err, "decode the %s record of %q", kind, name)
	}
	return r.Version, true, nil
}

// save puts v as the record of kind about name over version and appends
// the event of p.
func save(tx itsm.WriteTx, kind, name string, version int64, v any, p Payload, at time.Time) error {
	body, err := json.Marshal(v)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode the %s record of %q", kind, name)
	}
	id := recordID(kind, name)
	if _, err := tx.Put(itsm.Record{Kind: kind, ID: id, Version: version, Body: body}); err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode %s", p.Type())
	}
	_, err = tx.Append(itsm.Event{Type: p.Type(), Kind: kind, Subject: id, Time: at, Data: data})
	return err
}

// Payload is the data of an event this package appends.
type Payload interface {
	itsm.Typed
}

// Payloads returns one of each payload type, for schemas and
// documentation.
func Payloads() []Payload {
	return []Payload{Enrolled{}, Attempted{}, Verified{}, Rehashed{}, PasswordSent{}}
}

// Enrolled: a person enrolled answers to the questions named (about a
// KindAnswers record). The answers are in no event.
type Enrolled struct {
	Person     string   `json:"person"`
	Questions  []string `json:"questions"`
	Iterations int      `json:"iterations"`
}

// Type is "passwordreset.enrolled".
func (Enrolled) Type() string { return "passwordreset.enrolled" }

// Attempted: a verification began (about a KindAttempts record). Attempts
// counts those since the last match within the window, this one
// included; LockedUntil is set when this one reached the limit.
type Attempted struct {
	Person      string    `json:"person"`
	Attempts    int       `json:"attempts"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// Type is "passwordreset.attempted".
func (Attempted) Type() string { return "passwordreset.attempted" }

// Verified: the answers matched, and the count of attempts and any
// lockout are cleared (about a KindAttempts record).
type Verified struct {
	Person string `json:"person"`
}

// Type is "passwordreset.verified".
func (Verified) Type() string { return "passwordreset.verified" }

// Rehashed: the hashes of a person's answers were made again with more
// iterations, from answers that had just matched (about a KindAnswers
// record).
type Rehashed struct {
	Person     string `json:"person"`
	Iterations int    `json:"iterations"`
}

// Type is "passwordreset.rehashed".
func (Rehashed) Type() string { return "passwordreset.rehashed" }

// PasswordSent: an order was fulfilled, a new password set and mailed to
// the person (about a KindReset record). The password is in no event.
type PasswordSent struct {
	Person string  `json:"person"`
	Key    string  `json:"key"`
	Order  itsm.ID `json:"order"`
	Number string  `json:"number,omitempty"`
}

// Type is "passwordreset.password_sent".
func (PasswordSent) Type() string { return "passwordreset.password_sent" }
