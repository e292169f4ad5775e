package passwordreset_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/passwordreset"
)

// directory is a host's directory in memory: passwords and e-mail
// addresses by person.
type directory struct {
	mu        sync.Mutex
	passwords map[string]string
	emails    map[string]string
	// keys are the keys SetPassword was called with, in order.
	keys []string
	// fail, when set, is SetPassword's error.
	fail error
}

func newDirectory() *directory {
	return &directory{passwords: map[string]string{}, emails: map[string]string{}}
}

func (d *directory) SetPassword(_ context.Context, key, person, password string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.keys = append(d.keys, key)
	d.passwords[person] = password
	return nil
}

func (d *directory) Email(_ context.Context, person string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.emails[person]; ok {
		return a, nil
	}
	return "", itsm.Errorf(itsm.CodeNotFound, "%q has no e-mail address", person)
}

func (d *directory) password(person string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passwords[person]
}

// A person enrols answers; later, having forgotten the password, orders a
// reset and answers the questions, in other case and spacing; the new
// password comes by e-mail.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	dir := newDirectory()
	dir.emails["anna"] = "anna.lindqvist@kund.example"
	var outbox mail.Memory
	resetter, err := passwordreset.New(passwordreset.Config{
		Store: store, Passwords: dir, Addresses: dir, Mail: &outbox,
		From: "Servicedesken <desk@spoc.example>",
		Questions: []passwordreset.Question{
			{ID: "first_school", Text: "Vilken skola gick du i först?"},
			{ID: "first_pet", Text: "Vad hette ditt första husdjur?"},
		},
	})
	if err != nil {
		panic(err)
	}

	err = resetter.Enrol(ctx, "anna", map[string]string{"first_school": "Östra skolan", "first_pet": "Sessan"})
	fmt.Println("enrolled:", err)

	err = resetter.Verify(ctx, request.Verification{Requester: "anna",
		Answers: json.RawMessage(`{"first_school": "ÖSTRA  skolan ", "first_pet": "sessan"}`)})
	fmt.Println("verified:", err)
	err = resetter.Verify(ctx, request.Verification{Requester: "anna",
		Answers: json.RawMessage(`{"first_school": "Västra skolan", "first_pet": "Sessan"}`)})
	fmt.Println("wrong answers:", err)

	f := request.Fulfilment{Key: "order-42", Order: itsm.NewID(), Number: "REQ0000042", Requester: "anna"}
	out, err := resetter.Fulfil(ctx, f)
	fmt.Println("fulfilled:", out.Note, err)
	again, err := resetter.Fulfil(ctx, f) // a retry of the same order
	fmt.Println("again:", again == out, err)

	sent := outbox.Sent()
	fmt.Println(len(sent), "e-mail:", sent[0].To, sent[0].Subject)
	fmt.Println("it holds the password set:", strings.Contains(sent[0].Text, dir.password("anna")))
	// Output:
	// enrolled: <nil>
	// verified: <nil>
	// wrong answers: forbidden: the control answers given do not match those "anna" enrolled
	// fulfilled: A new password was sent by e-mail to the address the directory has for anna. <nil>
	// again: true <nil>
	// 1 e-mail: [anna.lindqvist@kund.example] Ditt nya lösenord
	// it holds the password set: true
}
