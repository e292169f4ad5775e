package passwordreset

import (
	"context"
	"fmt"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
)

// Subject is the subject of the e-mails with a new password.
const Subject = "Ditt nya lösenord"

// Fulfil resets the requester's password: it makes a new one, sets it in
// the directory, mails it to the requester's address, and records the
// order's key as done. A key already done sends nothing and returns the
// outcome recorded; see the package documentation for the window in
// which a second e-mail is sent. The address is looked up and checked
// before the password changes, so that a person without a usable address
// keeps the old one.
func (r *Resetter) Fulfil(ctx context.Context, f request.Fulfilment) (request.Outcome, error) {
	if f.Key == "" {
		return request.Outcome{}, itsm.Errorf(itsm.CodeInvalid, "the fulfilment has no key")
	}
	if err := itsm.CheckLabel("the fulfilment key", f.Key); err != nil {
		return request.Outcome{}, err
	}
	if err := checkPerson(f.Requester); err != nil {
		return request.Outcome{}, err
	}
	if out, done, err := r.done(ctx, f); done || err != nil {
		return out, err
	}
	addr, err := r.cfg.Addresses.Email(ctx, f.Requester)
	if err != nil {
		return request.Outcome{}, err
	}
	password := newPassword(r.cfg.PasswordLength)
	m := mail.Message{From: r.cfg.From, To: []string{addr}, Subject: Subject, Text: text(f.Number, password)}
	if err := m.Validate(); err != nil {
		return request.Outcome{}, itsm.Errorf(itsm.CodeInvalid, "cannot mail %q a new password: %w", f.Requester, err)
	}
	if err := r.cfg.Passwords.SetPassword(ctx, f.Key, f.Requester, password); err != nil {
		return request.Outcome{}, err
	}
	if err := r.cfg.Mail.Send(ctx, m); err != nil {
		return request.Outcome{}, err
	}
	rec := reset{
		Key: f.Key, Person: f.Requester, Order: f.Order, Number: f.Number, Sent: r.clock.Now(),
		Note: fmt.Sprintf("A new password was sent by e-mail to the address the directory has for %s.", f.Requester),
	}
	var out request.Outcome
	err = r.write(ctx, func(tx itsm.WriteTx) error {
		var done bool
		// A retry after a conflict finds what another process recorded.
		if out, done, err = doneIn(tx, f); done || err != nil {
			return err
		}
		out = request.Outcome{Note: rec.Note}
		return save(tx, KindReset, f.Key, 0, rec, PasswordSent{Person: rec.Person, Key: rec.Key, Order: rec.Order, Number: rec.Number}, rec.Sent)
	})
	return out, err
}

// done returns the outcome recorded for f's key, if it is done.
func (r *Resetter) done(ctx context.Context, f request.Fulfilment) (out request.Outcome, done bool, err error) {
	err = r.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out, done, err = doneIn(tx, f)
		return err
	})
	return out, done, err
}

// doneIn is done within a transaction. A key recorded for another order or
// person is a mistake, refused as a reused key.
func doneIn(tx itsm.ReadTx, f request.Fulfilment) (request.Outcome, bool, error) {
	var rec reset
	_, found, err := load(tx, KindReset, f.Key, &rec)
	switch {
	case err != nil || !found:
		return request.Outcome{}, false, err
	case rec.Key != f.Key || rec.Order != f.Order || rec.Person != f.Requester:
		return request.Outcome{}, false, &itsm.Error{Code: itsm.CodeInvalid,
			Err: fmt.Errorf("key %s was fulfilled for order %s of %q: %w", itsm.Printable(f.Key, 64), rec.Order, rec.Person, itsm.ErrKeyReused)}
	}
	return request.Outcome{Note: rec.Note}, true, nil
}

// text is the e-mail with the new password, in Swedish and English.
func text(number, password string) string {
	order, ordered := "", ""
	if number != "" {
		order, ordered = " enligt beställning "+number, " as ordered in "+number
	}
	return "Hej!\n\n" +
		"Ditt lösenord har återställts" + order + ". Ditt nya lösenord är:\n\n" +
		"    " + password + "\n\n" +
		"Byt det när du har loggat in. Har du fått flera sådana meddelanden gäller\n" +
		"lösenordet i det senaste. Har du inte bett om ett nytt lösenord, kontakta\n" +
		"servicedesken genast.\n\n" +
		"--\n\n" +
		"Hello,\n\n" +
		"Your password was reset" + ordered + ". Your new password is:\n\n" +
		"    " + password + "\n\n" +
		"Change it once you have signed in. If you received several such messages,\n" +
		"the password in the latest one holds. If you did not ask for a new\n" +
		"password, contact the service desk at once.\n"
}
