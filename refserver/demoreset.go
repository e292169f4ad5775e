package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/passwordreset"
)

// The demo's password reset (RF-2): its catalogue item names this
// fulfiller, and the demo people who may order it have enrolled these
// control answers, which the startup output tells the newcomer.
const demoResetter = "password-reset"

var demoAnswers = map[string]string{"birth_town": "Uppsala", "first_school": "Östra skolan"}

// demoDirectory is the demo's stand-in for a customer's user directory:
// it keeps no password, logs that it set one, and gives every person an
// address at demo.spoc.example.
type demoDirectory struct {
	log *slog.Logger
}

func (d demoDirectory) SetPassword(_ context.Context, key, person, _ string) error {
	d.log.Info("demo directory: a new password was set", "person", person, "key", key)
	return nil
}

func (demoDirectory) Email(_ context.Context, person string) (string, error) {
	return person + "@demo.spoc.example", nil
}

// demoMail "sends" by writing the message to out, so that a newcomer sees
// the e-mail a real desk would send; a real host gives an SMTP sender
// (package mail/smtp).
func demoMail(out io.Writer) mail.Sender {
	var mu sync.Mutex
	return mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(out, "demo e-mail to %v, subject %q:\n%s\n", m.To, m.Subject, m.Text)
		return err
	})
}

// demoReset wires the password reset of the demo's catalogue on store and
// enrols the demo people who may order it, once.
func demoReset(ctx context.Context, store itsm.Store, log *slog.Logger, out io.Writer) (request.Fulfillers, request.Verifiers, error) {
	r, err := passwordreset.New(passwordreset.Config{Store: store, Passwords: demoDirectory{log}, Addresses: demoDirectory{log},
		Mail: demoMail(out), From: "Servicedesken <desk@demo.spoc.example>",
		// The demo's answers are printed at every start, so slow hashes
		// would protect nothing and only slow the start (four hashes at
		// the default count take half a second, many under the race
		// detector); a real host keeps the default.
		Iterations: passwordreset.MinIterations,
		Questions: []passwordreset.Question{
			{ID: "birth_town", Text: "I vilken stad är du född?"},
			{ID: "first_school", Text: "Vilken skola gick du i först?"},
		}})
	if err != nil {
		return nil, nil, err
	}
	for _, p := range []string{"carl", "ulla"} {
		if err := r.Enrol(ctx, p, demoAnswers); err != nil {
			return nil, nil, fmt.Errorf("enrol %s's control answers: %w", p, err)
		}
	}
	fmt.Fprintf(out, "demo: carl and ulla may order a password reset; their control answers are birth_town %q and first_school %q, and the new password is printed here as an e-mail.\n",
		demoAnswers["birth_town"], demoAnswers["first_school"])
	return request.Fulfillers{demoResetter: r}, request.Verifiers{demoResetter: r}, nil
}
