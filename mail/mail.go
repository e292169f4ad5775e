// Package mail sends plain-text e-mail through a pluggable Sender, so that
// the library can tell people things (a new password, RF-2) without
// deciding how an installation delivers mail. Package mail/smtp delivers
// through an SMTP server; Memory keeps what was sent, for tests and
// examples.
//
// A Message is checked before anything is sent: addresses must parse as
// RFC 5322 addresses, and no header may carry a line break, so that text
// from users can never add a header (such as a Bcc) of its own.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Limits on a message, so that a mistake cannot make a server refuse it
// for its size or send it to a crowd.
const (
	// MaxRecipients is the most addresses a message goes to.
	MaxRecipients = 100
	// MaxText is the longest text of a message, in bytes.
	MaxText = 1 << 20
	// MaxAddress is the longest address in a header, display name
	// included, in bytes; the address itself has at most 254 (RFC 5321).
	MaxAddress = 320
)

// Message is one plain-text e-mail in UTF-8.
type Message struct {
	// From is who the message is from: one address, with or without a
	// display name ("Service desk <desk@example.com>").
	From string
	// To are the recipients, one address each, at least one.
	To []string
	// Subject is one line; non-ASCII text is encoded (RFC 2047) when the
	// message is formatted, and spaces around it dropped, as readers of
	// headers drop them.
	Subject string
	// Text is the body: lines of UTF-8 ending in "\n" or "\r\n".
	Text string
}

// Sender delivers messages. Send returns once the message was handed on
// (to an SMTP server, say), and fails with itsm.CodeInvalid when the
// message or its recipients are refused for good, and with
// itsm.CodeUnavailable when sending it again later may succeed.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc lets an ordinary function serve as a Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send returns f(ctx, m).
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Validate checks m: one From address, one to MaxRecipients To addresses,
// each parsed by net/mail; a subject that is one line of at most
// itsm.MaxLabel bytes without control characters; a text of valid UTF-8 of
// at most MaxText bytes. A line break in any header is refused before it is
// parsed, so that the error says why.
func (m Message) Validate() error {
	if _, err := parseAddress("from", m.From); err != nil {
		return err
	}
	switch {
	case len(m.To) == 0:
		return itsm.Errorf(itsm.CodeInvalid, "mail: the message has no recipient")
	case len(m.To) > MaxRecipients:
		return itsm.Errorf(itsm.CodeInvalid, "mail: the message has %d recipients, more than %d", len(m.To), MaxRecipients)
	}
	for _, to := range m.To {
		if _, err := parseAddress("recipient", to); err != nil {
			return err
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return itsm.Errorf(itsm.CodeInvalid, "mail: the subject contains a line break")
	}
	if err := itsm.CheckLabel("mail: the subject", m.Subject); err != nil {
		return err
	}
	return itsm.CheckText("mail: the text", m.Text, MaxText)
}

// parseAddress parses one address of the header called what.
func parseAddress(what, s string) (*netmail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, itsm.Errorf(itsm.CodeInvalid, "mail: the %s address contains a line break", what)
	}
	switch {
	case s == "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "mail: the %s address is empty", what)
	case len(s) > MaxAddress:
		return nil, itsm.Errorf(itsm.CodeInvalid, "mail: the %s address is %d bytes, more than %d", what, len(s), MaxAddress)
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInvalid, err, "mail: the %s address %s is not an e-mail address", what, quote(s))
	}
	return a, nil
}

// quote quotes s for an error message, cut to a length that fits one.
func quote(s string) string { return `"` + itsm.Printable(s, 64) + `"` }

// Envelope returns the bare addresses of m's sender and recipients, as an
// SMTP client announces them (MAIL FROM and RCPT TO). m must be valid.
func (m Message) Envelope() (from string, to []string, err error) {
	a, err := parseAddress("from", m.From)
	if err != nil {
		return "", nil, err
	}
	to = make([]string, 0, len(m.To))
	for _, s := range m.To {
		r, err := parseAddress("recipient", s)
		if err != nil {
			return "", nil, err
		}
		to = append(to, r.Address)
	}
	return a.Address, to, nil
}

// NewMessageID returns a new, globally unique Message-ID for a message from
// the domain, angle brackets included: 130 random bits (rand.Text), so that no two
// processes need to agree on a counter.
func NewMessageID(domain string) string {
	return "<" + rand.Text() + "@" + domain + ">"
}

// Format returns m as an RFC 5322 message with CRLF line ends: the headers
// Date, From, To, Subject (encoded-words for non-ASCII, RFC 2047), Message-ID
// and MIME-Version, a text/plain body in UTF-8, quoted-printable so that
// every line is short 7-bit ASCII whatever the text says. Lines starting
// with a dot are left to the transport (SMTP's DATA stuffs them).
func (m Message) Format(date time.Time, messageID string) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if strings.ContainsAny(messageID, "\r\n") || !strings.HasPrefix(messageID, "<") || !strings.HasSuffix(messageID, ">") {
		return nil, itsm.Errorf(itsm.CodeInvalid, "mail: message ID %s is not one line in angle brackets", quote(messageID))
	}
	from, _ := netmail.ParseAddress(m.From)
	to := make([]string, len(m.To))
	for i, s := range m.To {
		a, _ := netmail.ParseAddress(s)
		to[i] = a.String()
	}
	var b bytes.Buffer
	header(&b, "Date", date.Format(time.RFC1123Z))
	header(&b, "From", from.String())
	header(&b, "To", strings.Join(to, ", "))
	header(&b, "Subject", mime.QEncoding.Encode("utf-8", strings.Trim(m.Subject, " ")))
	header(&b, "Message-ID", messageID)
	header(&b, "MIME-Version", "1.0")
	header(&b, "Content-Type", "text/plain; charset=utf-8")
	header(&b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	// The writer turns "\n" into CRLF; a CR already before it would be
	// encoded as =0D, so the text's own line ends are made "\n" first.
	if _, err := w.Write([]byte(strings.ReplaceAll(m.Text, "\r\n", "\n"))); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "mail: encode the text")
	}
	if err := w.Close(); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "mail: encode the text")
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// foldAt is the length beyond which a header line is folded: a line with
// encoded-words has at most 76 characters (RFC 2047), and an encoded-word
// at most 75, so that one fits on a line of its own after the fold's
// space.
const foldAt = 76

// header writes one header field, folded at spaces so that its lines stay
// short: encoded-words and addresses are separated by spaces, so a long
// subject or a long list of recipients folds between them, or before the
// first of them when it does not fit beside the name.
//
// A fold is made only at a single space: readers (Go's net/textproto among
// them) turn a fold and the white space around it into one space, so a run
// of spaces stays on one line, glued to the words on either side.
func header(b *bytes.Buffer, name, value string) {
	line := len(name) + 1
	b.WriteString(name + ":")
	var words []string
	for _, w := range strings.Split(value, " ") {
		if n := len(words); n > 0 && (w == "" || words[n-1] == "" || strings.HasSuffix(words[n-1], " ")) {
			words[n-1] += " " + w
			continue
		}
		words = append(words, w)
	}
	for _, word := range words {
		if line+1+len(word) > foldAt && line > 0 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" " + word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}

// Memory is a Sender that keeps the messages it is given instead of sending
// them, for tests and examples. It checks each message as a real sender
// would. The zero Memory is ready to use and safe for concurrent use.
type Memory struct {
	mu   sync.Mutex
	sent []Message
}

// Send keeps a copy of m, or returns m's error when it is invalid.
func (s *Memory) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "mail: send")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	m.To = slices.Clone(m.To)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

// Sent returns copies of the messages sent so far, in the order sent.
func (s *Memory) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.sent))
	for i, m := range s.sent {
		m.To = slices.Clone(m.To)
		out[i] = m
	}
	return out
}
