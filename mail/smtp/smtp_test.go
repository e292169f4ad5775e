package smtp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/mail/smtp"
)

// start starts a test server, with STARTTLS when withTLS, and returns it
// and the pool that trusts its certificate.
func start(t *testing.T, withTLS bool, o options) (*server, *x509.CertPool) {
	t.Helper()
	var (
		cert *tls.Certificate
		pool *x509.CertPool
	)
	if withTLS {
		c, p, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		cert, pool = &c, p
	}
	s, err := newServer(cert, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s, pool
}

// sender returns a sender to srv with cfg's other settings.
func sender(t *testing.T, srv *server, cfg smtp.Config) *smtp.Sender {
	t.Helper()
	cfg.Host, cfg.Port = "127.0.0.1", srv.port()
	s, err := smtp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sample = mail.Message{
	From:    "Servicedesken Göteborg <desk@spoc.example>",
	To:      []string{"anna.lindqvist@kund.example", "Örjan <orjan@kund.example>"},
	Subject: "Ditt nya lösenord",
	Text: "Hej Anna!\n\nDitt nya lösenord är: Xk7-mPq2 = 3 \n" +
		".en rad som börjar med en punkt\n" +
		strings.Repeat("en mycket lång rad med åäö ", 10) + "\n" +
		"Hello,\r\nyour new password is above.\n",
}

// wantText is what sample's text decodes back to: its lines ended by CRLF.
var wantText = strings.ReplaceAll(strings.ReplaceAll(sample.Text, "\r\n", "\n"), "\n", "\r\n")

// TestSendDelivers: over real TCP, the server receives the envelope of the
// bare addresses and a message that net/mail parses, with the headers a
// plain-text UTF-8 message needs, the subject decoding back to the
// subject and the body back to the text.
func TestSendDelivers(t *testing.T) {
	srv, _ := start(t, false, options{})
	at := time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)
	s := sender(t, srv, smtp.Config{Security: smtp.OptionalStartTLS, Clock: itsm.ClockFunc(func() time.Time { return at })})
	if err := s.Send(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("the server accepted %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "desk@spoc.example" || strings.Join(r.To, " ") != "anna.lindqvist@kund.example orjan@kund.example" || r.TLS || r.Auth {
		t.Fatalf("envelope %+v", r)
	}
	for i, line := range strings.SplitAfter(r.Data, "\r\n") {
		if len(line) > 78+2 || strings.ContainsRune(strings.TrimSuffix(line, "\r\n"), '\n') {
			t.Errorf("line %d is %d bytes or ends in a bare LF: %q", i, len(line), line)
		}
		for _, b := range []byte(line) {
			if b >= 0x80 {
				t.Fatalf("line %d is not 7-bit: %q", i, line)
			}
		}
	}
	m, err := netmail.ReadMessage(strings.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != sample.Subject {
		t.Errorf("subject %q (%v) from %q", subject, err, m.Header.Get("Subject"))
	}
	if date, err := m.Header.Date(); err != nil || !date.Equal(at) {
		t.Errorf("date %v (%v)", date, err)
	}
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Servicedesken Göteborg" || from[0].Address != "desk@spoc.example" {
		t.Errorf("from %v (%v)", from, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Örjan" || to[1].Address != "orjan@kund.example" {
		t.Errorf("to %v (%v)", to, err)
	}
	for name, want := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	} {
		if got := m.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@spoc.example>") {
		t.Errorf("Message-ID %q", id)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil || string(body) != wantText {
		t.Errorf("body %q (%v), want %q", body, err, wantText)
	}
}

// TestStartTLSAndAuth: with STARTTLS offered, the sender upgrades,
// authenticates with PLAIN over TLS, and delivers; a certificate the
// sender does not trust gets nothing.
func TestStartTLSAndAuth(t *testing.T) {
	srv, pool := start(t, true, options{user: "desk", pass: "s3cret"})
	s := sender(t, srv, smtp.Config{TLS: &tls.Config{RootCAs: pool}, Username: "desk", Password: "s3cret"})
	if err := s.Send(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	if got := srv.messages(); len(got) != 1 || !got[0].TLS || !got[0].Auth {
		t.Fatalf("accepted %+v, want one message over TLS, authenticated", got)
	}

	untrusted := sender(t, srv, smtp.Config{Username: "desk", Password: "s3cret"})
	err := untrusted.Send(context.Background(), sample)
	if !itsm.IsCode(err, itsm.CodeUnavailable) || len(srv.messages()) != 1 {
		t.Fatalf("an untrusted certificate: %v, %d messages", err, len(srv.messages()))
	}
}

// TestNoTLS: a server without STARTTLS gets nothing when TLS is required,
// and no credentials when it is optional.
func TestNoTLS(t *testing.T) {
	srv, _ := start(t, false, options{})
	err := sender(t, srv, smtp.Config{}).Send(context.Background(), sample)
	if !itsm.IsCode(err, itsm.CodeUnavailable) || !strings.Contains(err.Error(), "STARTTLS") || srv.sawCommand("MAIL") {
		t.Fatalf("TLS required: %v; MAIL sent: %v", err, srv.sawCommand("MAIL"))
	}
	err = sender(t, srv, smtp.Config{Security: smtp.OptionalStartTLS, Username: "desk", Password: "s3cret"}).Send(context.Background(), sample)
	if !itsm.IsCode(err, itsm.CodeUnavailable) || srv.sawCommand("AUTH") || srv.sawCommand("MAIL") {
		t.Fatalf("credentials without TLS: %v; AUTH sent: %v", err, srv.sawCommand("AUTH"))
	}
}

// TestServerRefuses: a 4xx reply is temporary (CodeUnavailable), a 5xx
// permanent (CodeInvalid), at every step; the reply stays in the error.
func TestServerRefuses(t *testing.T) {
	for _, tc := range []struct {
		verb, reply string
		want        itsm.Code
	}{
		{"MAIL", "451 4.3.0 try again later", itsm.CodeUnavailable},
		{"MAIL", "553 5.7.1 sender not allowed", itsm.CodeInvalid},
		{"RCPT", "450 4.2.1 mailbox busy", itsm.CodeUnavailable},
		{"RCPT", "550 5.1.1 no such user", itsm.CodeInvalid},
		{"DATA", "452 4.3.1 out of space", itsm.CodeUnavailable},
		{"DATA", "554 5.6.0 message refused", itsm.CodeInvalid},
	} {
		t.Run(tc.verb+tc.reply[:3], func(t *testing.T) {
			srv, pool := start(t, true, options{})
			srv.failWith(tc.verb, tc.reply)
			err := sender(t, srv, smtp.Config{TLS: &tls.Config{RootCAs: pool}}).Send(context.Background(), sample)
			if !itsm.IsCode(err, tc.want) || !strings.Contains(err.Error(), tc.reply[4:]) || len(srv.messages()) != 0 {
				t.Fatalf("%v (%s), want %s; %d messages", err, itsm.ErrorCode(err), tc.want, len(srv.messages()))
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		srv, pool := start(t, true, options{user: "desk", pass: "right"})
		err := sender(t, srv, smtp.Config{TLS: &tls.Config{RootCAs: pool}, Username: "desk", Password: "wrong"}).Send(context.Background(), sample)
		if !itsm.IsCode(err, itsm.CodeInvalid) || srv.sawCommand("MAIL") {
			t.Fatalf("%v", err)
		}
	})
}

// TestContext: a deadline interrupts a server that never answers, and a
// cancelled context connects nowhere; both are temporary and wrap the
// context's error.
func TestContext(t *testing.T) {
	srv, _ := start(t, false, options{silent: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := sender(t, srv, smtp.Config{Security: smtp.OptionalStartTLS}).Send(ctx, sample)
	if !itsm.IsCode(err, itsm.CodeUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}

	quiet, _ := start(t, false, options{})
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	err = sender(t, quiet, smtp.Config{Security: smtp.OptionalStartTLS}).Send(ctx, sample)
	if !itsm.IsCode(err, itsm.CodeUnavailable) || !errors.Is(err, context.Canceled) || quiet.connections() != 0 {
		t.Fatalf("cancelled: %v, %d connections", err, quiet.connections())
	}
}

// TestTimeout: without a deadline in the context, Config.Timeout bounds
// the exchange.
func TestTimeout(t *testing.T) {
	srv, _ := start(t, false, options{silent: true})
	err := sender(t, srv, smtp.Config{Security: smtp.OptionalStartTLS, Timeout: 100 * time.Millisecond}).Send(context.Background(), sample)
	var ne interface{ Timeout() bool }
	if !itsm.IsCode(err, itsm.CodeUnavailable) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%v", err)
	}
}

// TestRefusesBadMessage: an invalid message, a header injection among
// them, is refused before any connection.
func TestRefusesBadMessage(t *testing.T) {
	srv, _ := start(t, false, options{})
	s := sender(t, srv, smtp.Config{Security: smtp.OptionalStartTLS})
	for _, m := range []mail.Message{
		{From: sample.From, To: []string{"anna@kund.example\r\nBcc: all@kund.example"}, Subject: "x", Text: "x"},
		{From: sample.From, To: sample.To, Subject: "x\r\nBcc: all@kund.example", Text: "x"},
		{From: sample.From, Subject: "x", Text: "x"},
	} {
		if err := s.Send(context.Background(), m); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%+v: %v", m, err)
		}
	}
	if n := srv.connections(); n != 0 {
		t.Fatalf("%d connections for invalid messages", n)
	}
}

// TestNewRefusesBadConfig: each setting New checks.
func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []smtp.Config{
		{},
		{Host: "mail example"},
		{Host: "mail.example:25"},
		{Host: "mail.example", Port: 70000},
		{Host: "mail.example", Security: 7},
		{Host: "mail.example", Password: "x"},
		{Host: "mail.example", Timeout: -1},
		{Host: "mail.example", LocalName: "a\r\nb"},
	} {
		if _, err := smtp.New(cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	for _, host := range []string{"mail.example", "127.0.0.1", "::1"} {
		if _, err := smtp.New(smtp.Config{Host: host}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}
