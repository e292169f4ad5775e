package mail_test

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
)

var valid = mail.Message{
	From:    "Servicedesken <desk@spoc.example>",
	To:      []string{"anna@kund.example"},
	Subject: "Ditt nya lösenord",
	Text:    "Hej!\n",
}

// with returns valid changed by change.
func with(change func(m *mail.Message)) mail.Message {
	m := valid
	m.To = append([]string(nil), valid.To...)
	change(&m)
	return m
}

// TestValidate: every rule of Validate refuses with CodeInvalid, and says
// which part of the message broke it.
func TestValidate(t *testing.T) {
	if err := valid.Validate(); err != nil {
		t.Fatal(err)
	}
	many := make([]string, mail.MaxRecipients+1)
	for i := range many {
		many[i] = fmt.Sprintf("p%d@kund.example", i)
	}
	for _, tc := range []struct {
		name string
		m    mail.Message
		want string
	}{
		{"no from", with(func(m *mail.Message) { m.From = "" }), "from address is empty"},
		{"from not an address", with(func(m *mail.Message) { m.From = "desk" }), "from address"},
		{"from injects", with(func(m *mail.Message) { m.From = "desk@spoc.example\r\nBcc: x@y.example" }), "line break"},
		{"from too long", with(func(m *mail.Message) { m.From = strings.Repeat("a", 320) + "@spoc.example" }), "more than"},
		{"no recipient", with(func(m *mail.Message) { m.To = nil }), "no recipient"},
		{"too many recipients", with(func(m *mail.Message) { m.To = many }), "101 recipients"},
		{"recipient injects", with(func(m *mail.Message) { m.To = []string{"anna@kund.example\nBcc: x@y.example"} }), "line break"},
		{"recipient a list", with(func(m *mail.Message) { m.To = []string{"a@kund.example, b@kund.example"} }), "recipient address"},
		{"subject injects", with(func(m *mail.Message) { m.Subject = "Hej\r\nBcc: x@y.example" }), "subject contains a line break"},
		{"subject bare CR", with(func(m *mail.Message) { m.Subject = "Hej\rBcc: x@y.example" }), "line break"},
		{"subject control", with(func(m *mail.Message) { m.Subject = "Hej\x00" }), "subject"},
		{"subject bidi", with(func(m *mail.Message) { m.Subject = "Hej \u202e" }), "subject"},
		{"text invalid UTF-8", with(func(m *mail.Message) { m.Text = "Hej \xff" }), "UTF-8"},
		{"text too long", with(func(m *mail.Message) { m.Text = strings.Repeat("a", mail.MaxText+1) }), "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want invalid saying %q", err, tc.want)
			}
			if _, err := tc.m.Format(time.Now(), "<x@spoc.example>"); !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Fatalf("Format: %v", err)
			}
		})
	}
}

// TestFormatFoldsLongHeaders: a long non-ASCII subject and many
// recipients fold into lines of at most 76 characters (RFC 2047), which unfold and
// decode back to the subject and the addresses.
func TestFormatFoldsLongHeaders(t *testing.T) {
	m := with(func(m *mail.Message) {
		m.Subject = strings.TrimSpace(strings.Repeat("Återställning av lösenord för kontot ", 7))
		m.To = nil
		for i := range 20 {
			m.To = append(m.To, fmt.Sprintf("Åsa Öberg %d <asa.oberg%d@kund.example>", i, i))
		}
	})
	raw, err := m.Format(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "<1@spoc.example>")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 76 {
			t.Errorf("a line of %d characters: %q", len(line), line)
		}
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject %q (%v)", subject, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 20 || to[19].Name != "Åsa Öberg 19" || to[19].Address != "asa.oberg19@kund.example" {
		t.Errorf("to %v (%v)", to, err)
	}
}

// TestFormatRefusesBadMessageID: the Message-ID is one line in angle
// brackets.
func TestFormatRefusesBadMessageID(t *testing.T) {
	for _, id := range []string{"", "1@spoc.example", "<1@spoc.example>\r\nBcc: x@y.example"} {
		if _, err := valid.Format(time.Now(), id); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%q: %v", id, err)
		}
	}
}

// TestNewMessageID: unique, in angle brackets, in the domain.
func TestNewMessageID(t *testing.T) {
	a, b := mail.NewMessageID("spoc.example"), mail.NewMessageID("spoc.example")
	if a == b || !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@spoc.example>") || len(a) < 26 {
		t.Fatalf("%q, %q", a, b)
	}
}

// TestEnvelope: the bare addresses, display names dropped.
func TestEnvelope(t *testing.T) {
	from, to, err := with(func(m *mail.Message) { m.To = []string{"Anna <anna@kund.example>", "bo@kund.example"} }).Envelope()
	if err != nil || from != "desk@spoc.example" || strings.Join(to, ",") != "anna@kund.example,bo@kund.example" {
		t.Fatalf("%q %q %v", from, to, err)
	}
}

// TestMemory: Memory keeps every valid message sent from many goroutines
// at once, refuses an invalid one and a cancelled context, and hands out
// copies that do not change what it keeps.
func TestMemory(t *testing.T) {
	var s mail.Memory
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			m := with(func(m *mail.Message) { m.Text = fmt.Sprint(i) })
			if err := s.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
			_ = s.Sent()
		})
	}
	wg.Wait()
	if err := s.Send(context.Background(), with(func(m *mail.Message) { m.To = nil })); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("invalid: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, valid); !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("cancelled: %v", err)
	}
	sent := s.Sent()
	if len(sent) != 50 {
		t.Fatalf("%d kept, want 50", len(sent))
	}
	sent[0].To[0] = "changed@kund.example"
	if s.Sent()[0].To[0] != "anna@kund.example" {
		t.Fatal("a copy changed what Memory keeps")
	}
}

// FuzzFormat: whatever the subject and text, a message that passes
// Validate formats into exactly the eight headers (no more: nothing
// injected), and decodes back to the subject and the text.
func FuzzFormat(f *testing.F) {
	f.Add("Ditt nya lösenord", "Hej!\n")
	f.Fuzz(func(t *testing.T, subject, text string) {
		m := with(func(m *mail.Message) { m.Subject, m.Text = subject, text })
		raw, err := m.Format(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "<1@spoc.example>")
		if err != nil {
			if m.Validate() == nil {
				t.Fatalf("a valid message does not format: %v", err)
			}
			return
		}
		msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%v in %q", err, raw)
		}
		if len(msg.Header) != 8 {
			t.Fatalf("%d headers: %v", len(msg.Header), msg.Header)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		// An ASCII subject that looks like an encoded-word is sent as it
		// is, and so decodes; only its bytes need to survive.
		subject = strings.Trim(subject, " ")
		if msg.Header.Get("Subject") != subject && (err != nil || got != subject) {
			t.Fatalf("subject %q (%v), want %q", got, err, subject)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		want := strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
		if !strings.HasSuffix(want, "\r\n") && want != "" {
			want += "\r\n"
		}
		if err != nil || string(body) != want {
			t.Fatalf("body %q (%v), want %q", body, err, want)
		}
	})
}

// A Memory sender in place of a real one, as a test would use it.
func ExampleMemory() {
	var sender mail.Memory
	err := sender.Send(context.Background(), mail.Message{
		From:    "Servicedesken <desk@spoc.example>",
		To:      []string{"anna.lindqvist@kund.example"},
		Subject: "Ditt nya lösenord",
		Text:    "Hej Anna!\n",
	})
	fmt.Println(err)
	for _, m := range sender.Sent() {
		fmt.Println(m.To, m.Subject)
	}
	// Output:
	// <nil>
	// [anna.lindqvist@kund.example] Ditt nya lösenord
}

// A message as an SMTP server receives it.
func ExampleMessage_Format() {
	m := mail.Message{
		From:    "desk@spoc.example",
		To:      []string{"Åsa <asa@kund.example>"},
		Subject: "Ditt nya lösenord",
		Text:    "Lösenordet är: 7Kp-xyz\n",
	}
	raw, err := m.Format(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "<1@spoc.example>")
	if err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(string(raw), "\r\n", "\n"))
	// Output:
	// Date: Mon, 07 Dec 2026 09:00:00 +0000
	// From: <desk@spoc.example>
	// To: =?utf-8?q?=C3=85sa?= <asa@kund.example>
	// Subject: =?utf-8?q?Ditt_nya_l=C3=B6senord?=
	// Message-ID: <1@spoc.example>
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	// Content-Transfer-Encoding: quoted-printable
	//
	// L=C3=B6senordet =C3=A4r: 7Kp-xyz
}
