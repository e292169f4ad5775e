package passwordreset

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
)

// PasswordSetter is the host's directory, where passwords are set.
type PasswordSetter interface {
	// SetPassword makes password the person's password. key identifies
	// the order: a call with a key seen before is a retry of that order,
	// and sets the password given, which is a new one (the first never
	// reached the person), so that a directory that keeps one history
	// entry per key, or checks a new password against earlier ones, can
	// tell a retry from another reset.
	SetPassword(ctx context.Context, key, person, password string) error
}

// Addresses finds where to mail a person.
type Addresses interface {
	// Email returns the person's e-mail address, or an error with
	// itsm.CodeNotFound when there is none.
	Email(ctx context.Context, person string) (string, error)
}

// Question is one control question.
type Question struct {
	// ID names the question: the property of the order's form and the key
	// of Enrol's answers. A lower-case letter, then up to 63 lower-case
	// letters, digits or '_'.
	ID string
	// Text is the question as the form asks it.
	Text string
}

// Defaults and limits of Config.
const (
	DefaultMaxAttempts = 5
	DefaultWindow      = 15 * time.Minute
	DefaultLockout     = 30 * time.Minute
	// MaxQuestions is the most questions a Resetter asks.
	MaxQuestions = 10
)

// Config is what a Resetter needs. Store, Passwords, Addresses, Mail, From
// and Questions are required.
type Config struct {
	Store     itsm.Store
	Passwords PasswordSetter
	Addresses Addresses
	Mail      mail.Sender
	// From is the sender of the e-mails, such as "Servicedesken
	// <desk@example.com>".
	From string
	// Questions are asked at enrolment and at every verification, all of
	// them.
	Questions []Question
	// Iterations is the PBKDF2 count of new hashes; 0 means
	// DefaultIterations, and fewer than MinIterations is invalid. Raising
	// it rehashes each person's answers when they next match.
	Iterations int
	// MaxAttempts verifications within Window without a match lock the
	// person out for Lockout. Zero means the defaults.
	MaxAttempts int
	Window      time.Duration
	Lockout     time.Duration
	// PasswordLength is the length of new passwords: 0 means
	// DefaultPasswordLength; MinPasswordLength to MaxPasswordLength.
	PasswordLength int
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
}

// Resetter verifies and fulfils password resets. It is safe for concurrent
// use.
type Resetter struct {
	cfg   Config
	clock itsm.Clock
}

var (
	_ request.Verifier  = (*Resetter)(nil)
	_ request.Fulfiller = (*Resetter)(nil)
)

var questionID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// New checks cfg and returns its Resetter.
func New(cfg Config) (*Resetter, error) {
	switch {
	case cfg.Store == nil:
		return nil, configError("store is nil")
	case cfg.Passwords == nil:
		return nil, configError("password setter is nil")
	case cfg.Addresses == nil:
		return nil, configError("addresses are nil")
	case cfg.Mail == nil:
		return nil, configError("mail sender is nil")
	case len(cfg.Questions) == 0 || len(cfg.Questions) > MaxQuestions:
		return nil, configError(fmt.Sprintf("%d questions, not 1 to %d", len(cfg.Questions), MaxQuestions))
	case cfg.Iterations != 0 && cfg.Iterations < MinIterations:
		return nil, configError(fmt.Sprintf("%d iterations, fewer than %d", cfg.Iterations, MinIterations))
	case cfg.MaxAttempts < 0 || cfg.Window < 0 || cfg.Lockout < 0:
		return nil, configError("attempts, window or lockout is negative")
	case cfg.PasswordLength != 0 && (cfg.PasswordLength < MinPasswordLength || cfg.PasswordLength > MaxPasswordLength):
		return nil, configError(fmt.Sprintf("password length %d is outside %d to %d", cfg.PasswordLength, MinPasswordLength, MaxPasswordLength))
	}
	// The sender is checked as the e-mails will be.
	if err := (mail.Message{From: cfg.From, To: []string{"check@example.com"}}).Validate(); err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "password reset config: %w", err)
	}
	seen := map[string]bool{}
	for _, q := range cfg.Questions {
		if !questionID.MatchString(q.ID) || seen[q.ID] {
			return nil, configError(fmt.Sprintf("question ID %q is repeated or not a lower-case letter and up to 63 of a-z, 0-9 and _", q.ID))
		}
		seen[q.ID] = true
		if err := itsm.CheckLabel("password reset config: the text of question "+q.ID, q.Text); err != nil {
			return nil, err
		}
		if q.Text == "" {
			return nil, configError("question " + q.ID + " has no text")
		}
	}
	cfg.Questions = slices.Clone(cfg.Questions)
	cfg.Iterations = cmp.Or(cfg.Iterations, DefaultIterations)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts)
	cfg.Window = cmp.Or(cfg.Window, DefaultWindow)
	cfg.Lockout = cmp.Or(cfg.Lockout, DefaultLockout)
	cfg.PasswordLength = cmp.Or(cfg.PasswordLength, DefaultPasswordLength)
	return &Resetter{cfg: cfg, clock: cmp.Or[itsm.Clock](cfg.Clock, itsm.SystemClock{})}, nil
}

func configError(what string) error {
	return itsm.Errorf(itsm.CodeInvalid, "password reset config: %s", what)
}

// Form returns the JSON Schema of the order's form: one string property per
// question, named by its ID and titled by its text, required and writeOnly,
// so that the request service passes the answers to Verify and stores none
// of them.
func (r *Resetter) Form() json.RawMessage {
	type property struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		WriteOnly bool   `json:"writeOnly"`
		MinLength int    `json:"minLength"`
		MaxLength int    `json:"maxLength"`
	}
	form := struct {
		Type                 string              `json:"type"`
		Properties           map[string]property `json:"properties"`
		Required             []string            `json:"required"`
		AdditionalProperties bool                `json:"additionalProperties"`
	}{Type: "object", Properties: map[string]property{}}
	for _, q := range r.cfg.Questions {
		form.Properties[q.ID] = property{Type: "string", Title: q.Text, WriteOnly: true, MinLength: 1, MaxLength: itsm.MaxLabel}
		form.Required = append(form.Required, q.ID)
	}
	b, _ := json.Marshal(form) // strings and numbers only: it cannot fail
	return b
}

// checkPerson refuses a person that is not one line of text.
func checkPerson(person string) error {
	if person == "" {
		return itsm.Errorf(itsm.CodeInvalid, "the person is empty")
	}
	return itsm.CheckLabel("the person", person)
}

// Enrol stores person's answers to every question, as hashes, replacing
// any enrolled before; answers is keyed by question ID. The host calls it
// for the person signed in, having made sure who that is: whoever enrols
// answers for a person can reset the person's password.
func (r *Resetter) Enrol(ctx context.Context, person string, answers map[string]string) error {
	if err := checkPerson(person); err != nil {
		return err
	}
	for id := range answers {
		if !slices.ContainsFunc(r.cfg.Questions, func(q Question) bool { return q.ID == id }) {
			return itsm.Errorf(itsm.CodeInvalid, "there is no control question %s", itsm.Printable(id, 64))
		}
	}
	e := enrolment{Person: person, Enrolled: r.clock.Now()}
	p := Enrolled{Person: person, Iterations: r.cfg.Iterations}
	for _, q := range r.cfg.Questions {
		a, ok := answers[q.ID]
		if !ok {
			return itsm.Errorf(itsm.CodeInvalid, "the answer to control question %s is missing", q.ID)
		}
		n, err := checkAnswer(q.ID, a)
		if err != nil {
			return err
		}
		h, err := hashAnswer(q.ID, n, r.cfg.Iterations)
		if err != nil {
			return err
		}
		e.Answers = append(e.Answers, h)
		p.Questions = append(p.Questions, q.ID)
	}
	return r.write(ctx, func(tx itsm.WriteTx) error {
		version, _, err := load(tx, KindAnswers, person, &enrolment{})
		if err != nil {
			return err
		}
		return save(tx, KindAnswers, person, version, e, p, e.Enrolled)
	})
}

// Verify checks that the answers of the order (one per question, named by
// its ID) match those the requester enrolled. A person who enrolled none,
// or is locked out, is refused with CodeForbidden before any answer is
// compared; answers that do not all match with CodeForbidden and a
// sentence that does not say which; a missing or malformed answer with
// CodeInvalid, before it counts as an attempt.
func (r *Resetter) Verify(ctx context.Context, v request.Verification) error {
	person := v.Requester
	if err := checkPerson(person); err != nil {
		return err
	}
	given, err := r.answersOf(v.Answers)
	if err != nil {
		return err
	}
	var e enrolment
	err = r.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var found bool
		e.version, found, err = load(tx, KindAnswers, person, &e)
		if err == nil && !found {
			return itsm.Errorf(itsm.CodeForbidden, "%q has enrolled no control answers: the service desk resets the password", person)
		}
		return err
	})
	if err != nil {
		return err
	}
	stored := make([]hashed, len(r.cfg.Questions))
	for i, q := range r.cfg.Questions {
		h, ok := e.answer(q.ID)
		if !ok {
			return itsm.Errorf(itsm.CodeForbidden, "%q has not enrolled answers to every control question asked now: enrol again, or the service desk resets the password", person)
		}
		stored[i] = h
	}
	if err := r.attempt(ctx, person); err != nil {
		return err
	}
	// Every answer is compared, whatever the first gives, so that the time
	// taken does not say which was wrong.
	match := true
	for i, h := range stored {
		ok, err := h.matches(given[i])
		if err != nil {
			return err
		}
		match = match && ok
	}
	if !match {
		return itsm.Errorf(itsm.CodeForbidden, "the control answers given do not match those %q enrolled", person)
	}
	return r.verified(ctx, person, e, given)
}

// answersOf returns the normalised answer to each question, in the order
// of the questions, from the order's answers.
func (r *Resetter) answersOf(raw json.RawMessage) ([]string, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil || all == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the answers are not a JSON object")
	}
	out := make([]string, len(r.cfg.Questions))
	for i, q := range r.cfg.Questions {
		v, ok := all[q.ID]
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the answer to control question %s is missing", q.ID)
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the answer to control question %s is not a string", q.ID)
		}
		n, err := checkAnswer(q.ID, s)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// attempt counts one attempt of person's, or refuses one while the person
// is locked out.
func (r *Resetter) attempt(ctx context.Context, person string) error {
	return r.write(ctx, func(tx itsm.WriteTx) error {
		var a attempts
		version, _, err := load(tx, KindAttempts, person, &a)
		if err != nil {
			return err
		}
		now := r.clock.Now()
		if now.Before(a.LockedUntil) {
			return itsm.Errorf(itsm.CodeForbidden, "%q gave wrong control answers too often: try again after %s",
				person, a.LockedUntil.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if !a.LockedUntil.IsZero() {
			// A lockout served starts the count afresh.
			a.Times, a.LockedUntil = nil, time.Time{}
		}
		a.Person = person
		a.Times = append(slices.DeleteFunc(a.Times, func(t time.Time) bool { return !t.After(now.Add(-r.cfg.Window)) }), now)
		p := Attempted{Person: person, Attempts: len(a.Times)}
		if len(a.Times) >= r.cfg.MaxAttempts {
			a.LockedUntil = now.Add(r.cfg.Lockout)
			p.LockedUntil = a.LockedUntil
		}
		return save(tx, KindAttempts, person, version, a, p, now)
	})
}

// verified clears person's attempts, and rehashes the answers given,
// which matched e, when e has hashes of fewer iterations than configured.
func (r *Resetter) verified(ctx context.Context, person string, e enrolment, given []string) error {
	var rehashed []hashed
	if slices.ContainsFunc(e.Answers, func(h hashed) bool { return h.Iterations < r.cfg.Iterations }) {
		for i, q := range r.cfg.Questions {
			h, err := hashAnswer(q.ID, given[i], r.cfg.Iterations)
			if err != nil {
				return err
			}
			rehashed = append(rehashed, h)
		}
	}
	return r.write(ctx, func(tx itsm.WriteTx) error {
		now := r.clock.Now()
		var a attempts
		version, _, err := load(tx, KindAttempts, person, &a)
		if err != nil {
			return err
		}
		if err := save(tx, KindAttempts, person, version, attempts{Person: person, Times: []time.Time{}}, Verified{Person: person}, now); err != nil {
			return err
		}
		if rehashed == nil {
			return nil
		}
		var current enrolment
		version, _, err = load(tx, KindAnswers, person, &current)
		if err != nil || version != e.version {
			// Enrolled again meanwhile, with hashes of the current count.
			return err
		}
		e.Answers = rehashed
		return save(tx, KindAnswers, person, version, e, Rehashed{Person: person, Iterations: r.cfg.Iterations}, now)
	})
}

// write runs fn in write transactions until it commits, fails other than
// by a conflict, or loses itsm.WriteAttempts races.
func (r *Resetter) write(ctx context.Context, fn func(tx itsm.WriteTx) error) error {
	for attempt := 1; ; attempt++ {
		err := r.cfg.Store.Write(ctx, fn)
		if !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			return err
		}
	}
}
