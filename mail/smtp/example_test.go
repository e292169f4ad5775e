package smtp_test

import (
	"context"
	"fmt"
	"mime"
	netmail "net/mail"
	"strings"

	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/mail/smtp"
)

// A sender for a relay on the same host, which offers no TLS: STARTTLS
// is optional and no credentials are given. (A submission server on the
// network would take the defaults: port 587, STARTTLS required, and a
// Username and Password.)
func ExampleSender() {
	relay, err := newServer(nil, options{}) // a minimal SMTP server of this package's tests
	if err != nil {
		panic(err)
	}
	defer relay.close()

	sender, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: relay.port(), Security: smtp.OptionalStartTLS})
	if err != nil {
		panic(err)
	}
	err = sender.Send(context.Background(), mail.Message{
		From:    "Servicedesken <desk@spoc.example>",
		To:      []string{"anna.lindqvist@kund.example"},
		Subject: "Ditt nya lösenord",
		Text:    "Hej Anna!\n",
	})
	fmt.Println("sent:", err)

	got := relay.messages()[0]
	m, _ := netmail.ReadMessage(strings.NewReader(got.Data))
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	fmt.Println(got.From, "->", got.To)
	fmt.Println(m.Header.Get("Subject"), "=", subject)
	// Output:
	// sent: <nil>
	// desk@spoc.example -> [anna.lindqvist@kund.example]
	// =?utf-8?q?Ditt_nya_l=C3=B6senord?= = Ditt nya lösenord
}
