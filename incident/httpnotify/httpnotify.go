// Package httpnotify is an incident.Notifier that posts each message as JSON
// to a URL: a webhook receiver, or a relay that delivers by e-mail or SMS
// according to the message's channel and address.
//
// It is a package of its own because the domain packages do not know HTTP:
// package incident defines the Notifier interface and records what was sent,
// and transports such as this one depend on it, never the other way round.
// An embedding application that sends its messages some other way does not
// carry this code, and the rules of the support chain do not change with the
// transport.
//
// # The request
//
// Each message is one POST with Content-Type application/json and the
// incident.Message as its body, and these headers:
//
//   - Idempotency-Key: a key derived from the message alone (see
//     IdempotencyKey), the same every time the same message is sent, so that
//     the receiver can drop a message it has seen before.
//   - Spoc-Timestamp, when a secret is configured: the time of signing in
//     Unix seconds, in decimal.
//   - Spoc-Signature, when a secret is configured: "sha256=" followed by the
//     lower-case hex HMAC-SHA256, keyed with the secret, of the signed
//     string below.
//
// The signed string is the Spoc-Timestamp value, a full stop, and the
// request body byte for byte:
//
//	<Spoc-Timestamp> "." <body>
//
// A receiver checks both headers with Verify before it trusts the body, and
// verifies the body as received, before decoding it.
//
// # Failures and retries
//
// Notify sends once and does not retry: the incident service calls it after
// the change is committed and records a failed delivery in the incident's
// history, and whether and when to try again is the caller's decision (a
// relay reading LogNotifier's events can, for instance, retry for hours with
// the same Idempotency-Key). The error says which failures are worth
// retrying: itsm.CodeUnavailable for network errors, timeouts, 408, 425, 429
// and 5xx answers, itsm.CodeInvalid for any other answer outside 2xx, which
// a retry of the same request would only repeat. Redirects are not followed:
// following one would re-send the signed body to an address nobody
// configured, or turn the POST into a GET that "succeeds" without
// delivering anything; a 3xx answer is an error asking for the final URL.
//
// The service waits for each message in turn before the command returns, so
// the client's timeout bounds how long an unreachable receiver delays the
// desk, once per contact. With many contacts, or a receiver that is often
// slow, LogNotifier and a relay that posts from the log keep commands fast.
//
// Errors name the URL's host but not its path or query, because webhook URLs
// often carry a secret and the error ends up in the incident's journal.
//
// # Destinations
//
// The URL is the operator's, so the Notifier posts wherever it points, an
// internal relay included. An application that lets anyone else choose it
// (a customer's or supplier's own receiver) gives a client that refuses the
// server's own networks: Options.Client set to a netguard.Dialer's Client,
// as the reference server's webhooks do:
//
//	d := &netguard.Dialer{Policy: allow} // allow: netguard.Parse of the operator's list
//	n, err := httpnotify.New(httpnotify.Options{URL: url, Client: d.Client(httpnotify.DefaultTimeout)})
package httpnotify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// The headers of a request, besides Content-Type.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "Spoc-Timestamp"
	HeaderSignature      = "Spoc-Signature"
)

const (
	// DefaultTimeout bounds a whole request, answer included, when Options
	// has no Client. The service waits for each message before the command
	// returns, so a receiver that hangs must not hang the desk for long.
	DefaultTimeout = 10 * time.Second
	// DefaultTolerance is how far a signature's timestamp may be from the
	// receiver's clock when Verify is given no tolerance.
	DefaultTolerance = 5 * time.Minute
	// MinSecretSize is the shortest secret Options accepts: a shorter one
	// could be guessed from signed requests.
	MinSecretSize = 16
	// maxAnswer bounds how much of an answer is read. Reading a small answer
	// to the end lets the connection be reused; a larger one is cut off and
	// its connection closed, so a receiver that streams forever cannot hold
	// the sender.
	maxAnswer = 64 << 10
	// maxDetail bounds the part of an error answer quoted in the error,
	// which the incident's journal keeps.
	maxDetail = 200
)

// Options configure a Notifier.
type Options struct {
	// URL is where messages are posted: an absolute http or https URL.
	URL string
	// Client sends the requests; nil means a client with DefaultTimeout.
	// The Notifier uses a copy that does not follow redirects, so the
	// client given is not changed. A netguard.Dialer's Client keeps
	// requests away from the server's own networks (see Destinations in
	// the package documentation).
	Client *http.Client
	// Secret, when set, signs every request (see the package
	// documentation); it must be at least MinSecretSize bytes.
	Secret []byte
	// Clock gives the signing timestamp; nil means the system clock.
	Clock itsm.Clock
}

// Notifier posts incident messages to a URL. It is safe for concurrent use.
type Notifier struct {
	url    string
	host   string
	client *http.Client
	secret []byte
	clock  itsm.Clock
}

// New checks the options and returns a Notifier.
func New(o Options) (*Notifier, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		// The parse error quotes the URL, which may hold a secret.
		return nil, itsm.Errorf(itsm.CodeInvalid, "httpnotify: the URL does not parse")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, itsm.Errorf(itsm.CodeInvalid, "httpnotify: the URL's scheme is %q, not http or https", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "httpnotify: the URL has no host")
	case len(o.Secret) > 0 && len(o.Secret) < MinSecretSize:
		return nil, itsm.Errorf(itsm.CodeInvalid, "httpnotify: the secret is %d bytes, fewer than %d", len(o.Secret), MinSecretSize)
	}
	client := &http.Client{Timeout: DefaultTimeout}
	if o.Client != nil {
		c := *o.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	clock := o.Clock
	if clock == nil {
		clock = itsm.SystemClock{}
	}
	return &Notifier{url: o.URL, host: u.Host, client: client,
		secret: bytes.Clone(o.Secret), clock: clock}, nil
}

// Notify posts the message and reads the answer. It returns nil for a 2xx
// answer and otherwise an *itsm.Error naming the status; see the package
// documentation for the codes.
func (n *Notifier) Notify(ctx context.Context, m incident.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "httpnotify: encode message")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		// The URL was checked by New, so only a nil ctx gets here.
		return itsm.Wrap(itsm.CodeInternal, err, "httpnotify: build request to %s", n.host)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "spoc-httpnotify")
	req.Header.Set(HeaderIdempotencyKey, IdempotencyKey(m))
	if len(n.secret) > 0 {
		ts := strconv.FormatInt(n.clock.Now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL; keep only its cause, which is
		// what errors.Is looks for (context.DeadlineExceeded and such).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return itsm.Wrap(itsm.CodeUnavailable, err, "httpnotify: post to %s", n.host)
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The receiver has said yes; an answer cut short after that does
		// not undo the delivery.
		return nil
	}
	code := itsm.CodeInvalid
	switch {
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooEarly:
		code = itsm.CodeUnavailable
	}
	// The reason phrase of the status line is the receiver's text too.
	msg := "httpnotify: " + n.host + " answered " + itsm.Printable(resp.Status, 80)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed; configure the final URL)"
	}
	if ra := itsm.Printable(resp.Header.Get("Retry-After"), 40); ra != "" && code == itsm.CodeUnavailable {
		msg += "; retry after " + ra
	}
	if d := itsm.Printable(string(answer), maxDetail); d != "" && readErr == nil {
		msg += ": " + d
	}
	return &itsm.Error{Code: code, Message: msg}
}

// IdempotencyKey returns the key sent with m: the first 16 bytes, in
// lower-case hex, of a SHA-256 over the incident's ID, the message's time in
// UTC (RFC 3339 with nanoseconds), the recipient's channel and address and
// the subject, each preceded by its length in bytes as a uvarint. It depends
// on nothing else, so a message sent again, by a retry or by a relay after a
// restart, carries the same key, while two different messages to one address
// do not.
func IdempotencyKey(m incident.Message) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range []string{m.Incident.String(), m.Time.UTC().Format(time.RFC3339Nano), m.To.Channel, m.To.Address, m.Subject} {
		// The lengths keep field boundaries apart: "sms+" "4670" and
		// "sms" "+4670" must not hash alike.
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Sign returns the Spoc-Signature value for a body sent with the
// Spoc-Timestamp value timestamp: "sha256=" and the lower-case hex
// HMAC-SHA256 of timestamp + "." + body under the secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a request's signature for a receiver: timestamp and
// signature are the values of the Spoc-Timestamp and Spoc-Signature headers
// and body the request body as received, byte for byte. It fails when the
// signature is not that of the body and timestamp under the secret, or when
// the timestamp is further than tolerance from now (tolerance <= 0 means
// DefaultTolerance), which stops a captured request from being replayed
// later. Within the tolerance a receiver drops repeats by Idempotency-Key.
// The errors have itsm.CodeForbidden, or itsm.CodeInvalid for headers that
// are missing or malformed.
func Verify(secret []byte, timestamp string, body []byte, signature string, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		// An empty key would make every signature computable by anyone.
		return itsm.Errorf(itsm.CodeInvalid, "httpnotify: verify: the secret is empty")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if timestamp == "" || strings.TrimLeft(timestamp, "0123456789") != "" || len(timestamp) > 18 {
		return itsm.Errorf(itsm.CodeInvalid, "httpnotify: verify: %s %q is not Unix seconds", HeaderTimestamp, itsm.Printable(timestamp, 40))
	}
	sec, _ := strconv.ParseInt(timestamp, 10, 64)
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return itsm.Errorf(itsm.CodeForbidden, "httpnotify: verify: the request was signed at %s, more than %s from %s",
			at.UTC().Format(time.RFC3339), tolerance, now.UTC().Format(time.RFC3339))
	}
	got, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return itsm.Errorf(itsm.CodeInvalid, "httpnotify: verify: %s does not start with sha256=", HeaderSignature)
	}
	sum, err := hex.DecodeString(got)
	if err != nil || len(sum) != sha256.Size {
		return itsm.Errorf(itsm.CodeInvalid, "httpnotify: verify: %s is not 64 hex digits", HeaderSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), "sha256="))
	if !hmac.Equal(sum, want) {
		return itsm.Errorf(itsm.CodeForbidden, "httpnotify: verify: the signature does not match the body")
	}
	return nil
}
