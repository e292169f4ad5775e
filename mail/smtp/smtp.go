// Package smtp sends mail.Message through an SMTP server (a submission
// port or a relay), with net/smtp.
//
// Credentials go over TLS only: the sender upgrades the connection with
// STARTTLS, required unless the configuration says otherwise, and
// authenticates with PLAIN only on a connection so upgraded. The server's
// answers decide the error's code: a 4xx reply (try again later) gives
// itsm.CodeUnavailable, a 5xx reply (refused for good) itsm.CodeInvalid,
// and a failure of the network or of TLS itsm.CodeUnavailable.
package smtp

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
)

// Security says when the sender upgrades the connection with STARTTLS.
type Security int

// The ways of using TLS. The zero value is the strictest.
const (
	// RequireStartTLS sends nothing to a server that does not offer
	// STARTTLS.
	RequireStartTLS Security = iota
	// OptionalStartTLS upgrades when the server offers STARTTLS and sends
	// in the clear otherwise, as to a relay on the same host. Credentials
	// are still never sent in the clear. A server that offers STARTTLS
	// but fails the handshake or the certificate check gets nothing.
	OptionalStartTLS
)

// Defaults of Config.
const (
	DefaultPort        = 587
	DefaultDialTimeout = 30 * time.Second
	DefaultTimeout     = 2 * time.Minute
)

// Config is where and how to send.
type Config struct {
	// Host is the SMTP server's name or IP address; it is also the name its
	// certificate must carry, unless TLS.ServerName says another. Required.
	Host string
	// Port is the server's port; 0 means DefaultPort (submission).
	Port int
	// Security says when to use STARTTLS.
	Security Security
	// TLS configures the STARTTLS handshake; nil means the system's roots
	// and Host as the server name. It is cloned, never changed.
	TLS *tls.Config
	// Username and Password authenticate with PLAIN over TLS; an empty
	// Username sends without authenticating.
	Username, Password string
	// LocalName is the name the sender greets the server with (EHLO); ""
	// means "localhost".
	LocalName string
	// DialTimeout bounds connecting; 0 means DefaultDialTimeout.
	DialTimeout time.Duration
	// Timeout bounds the whole exchange when the context has no earlier
	// deadline; 0 means DefaultTimeout.
	Timeout time.Duration
	// Clock dates the messages; nil means the system clock.
	Clock itsm.Clock
}

// Sender sends messages through one SMTP server, one connection per
// message. It is safe for concurrent use.
type Sender struct {
	cfg   Config
	addr  string
	clock itsm.Clock
}

var _ mail.Sender = (*Sender)(nil)

// New checks cfg and returns its sender. It connects to nothing.
func New(cfg Config) (*Sender, error) {
	switch {
	case cfg.Host == "" || strings.ContainsAny(cfg.Host, " \t\r\n/:") && net.ParseIP(cfg.Host) == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: host %q is not a host name or IP address", cfg.Host)
	case cfg.Port < 0 || cfg.Port > 65535:
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: port %d is outside 1 to 65535", cfg.Port)
	case cfg.Security != RequireStartTLS && cfg.Security != OptionalStartTLS:
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: security %d is unknown", cfg.Security)
	case cfg.Username == "" && cfg.Password != "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: a password without a username")
	case cfg.DialTimeout < 0 || cfg.Timeout < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: a timeout is negative")
	case strings.ContainsAny(cfg.LocalName, " \t\r\n"):
		return nil, itsm.Errorf(itsm.CodeInvalid, "smtp config: local name %q is not one word", cfg.LocalName)
	}
	cfg.Port = cmp.Or(cfg.Port, DefaultPort)
	cfg.DialTimeout = cmp.Or(cfg.DialTimeout, DefaultDialTimeout)
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.LocalName = cmp.Or(cfg.LocalName, "localhost")
	return &Sender{cfg: cfg, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), clock: cmp.Or[itsm.Clock](cfg.Clock, itsm.SystemClock{})}, nil
}

// Send checks m and delivers it: the envelope names m's bare addresses, and
// the message is m formatted (mail.Message.Format) with the clock's time
// and a new Message-ID in the sender's domain. The context bounds the whole
// exchange: its cancellation or deadline interrupts whatever the
// connection waits for. Send returns once the server accepted the message
// for every recipient; a server that refuses one recipient gets no message
// at all.
func (s *Sender) Send(ctx context.Context, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	from, to, err := m.Envelope()
	if err != nil {
		return err
	}
	data, err := m.Format(s.clock.Now(), mail.NewMessageID(from[strings.LastIndexByte(from, '@')+1:]))
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "smtp: send to %s", s.addr)
	}
	d := net.Dialer{Timeout: s.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return s.fail(ctx, "connect", err)
	}
	// net/smtp knows no context: a deadline in the past makes whatever the
	// connection waits for return at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	return s.exchange(ctx, conn, from, to, data)
}

// exchange runs the SMTP dialogue on conn.
func (s *Sender) exchange(ctx context.Context, conn net.Conn, from string, to []string, data []byte) error {
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return s.fail(ctx, "read the greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.LocalName); err != nil {
		return s.fail(ctx, "greet", err)
	}
	secure := false
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return s.fail(ctx, "start TLS", err)
		}
		secure = true
	} else if s.cfg.Security == RequireStartTLS {
		return itsm.Errorf(itsm.CodeUnavailable, "smtp: the server at %s does not offer STARTTLS, which the configuration requires", s.addr)
	}
	if s.cfg.Username != "" {
		if !secure {
			return itsm.Errorf(itsm.CodeUnavailable, "smtp: the server at %s does not offer STARTTLS, and credentials are sent over TLS only", s.addr)
		}
		if ok, mechs := c.Extension("AUTH"); !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
			return itsm.Errorf(itsm.CodeUnavailable, "smtp: the server at %s does not offer AUTH PLAIN", s.addr)
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return s.fail(ctx, "authenticate", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return s.fail(ctx, "announce the sender", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return s.fail(ctx, "announce recipient "+strconv.Quote(r), err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "start the data", err)
	}
	if _, err := w.Write(data); err != nil {
		return s.fail(ctx, "send the data", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "send the data", err)
	}
	// The message is the server's now; a failure to say goodbye changes
	// nothing about it.
	_ = c.Quit()
	return nil
}

// tlsConfig is the configuration of the STARTTLS handshake.
func (s *Sender) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// fail gives err of the step what its code: the server's reply decides
// (4xx temporary, 5xx permanent); the context's end, the network and TLS
// are temporary.
func (s *Sender) fail(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return itsm.Wrap(itsm.CodeUnavailable, cerr, "smtp: %s at %s: %v", what, s.addr, err)
	}
	// The connection's deadline is the context's when that is earlier, and
	// the read it stops may return before the context's own timer has
	// marked it done: a timeout at or after the context's deadline is the
	// context's end.
	var ne net.Error
	if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
		return itsm.Wrap(itsm.CodeUnavailable, context.DeadlineExceeded, "smtp: %s at %s: %v", what, s.addr, err)
	}
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 && reply.Code < 600 {
		return itsm.Wrap(itsm.CodeInvalid, err, "smtp: %s at %s: the server refused for good", what, s.addr)
	}
	if errors.As(err, &reply) && reply.Code >= 400 && reply.Code < 500 {
		return itsm.Wrap(itsm.CodeUnavailable, err, "smtp: %s at %s: the server refused for now", what, s.addr)
	}
	return itsm.Wrap(itsm.CodeUnavailable, err, "smtp: %s at %s", what, s.addr)
}
