package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
)

// The headers of a request besides Content-Type, User-Agent and the
// signature's (httpnotify.HeaderTimestamp, httpnotify.HeaderSignature).
const (
	HeaderIdempotencyKey = httpnotify.HeaderIdempotencyKey
	HeaderEventID        = "Spoc-Event-ID"
	HeaderSubscription   = "Spoc-Subscription"
)

// UserAgent is the User-Agent of every request.
const UserAgent = "spoc-webhook/1"

const (
	// maxAnswer bounds how much of an answer is read (and discarded), so
	// that a receiver streaming forever cannot hold a worker; a small
	// answer read to the end lets the connection be reused.
	maxAnswer = 64 << 10
	// maxDetail bounds the part of an error answer kept in the server's
	// log.
	maxDetail = 200
)

// NoAnswer is what the owner of a subscription sees (Delivery.LastError,
// DeadLetter.Error) when an attempt got no HTTP answer: whatever the
// cause, a refused destination, a closed port, a timeout, a service that
// does not speak HTTP or a TLS failure. Telling them apart would make the
// webhook a port scanner of every network the server reaches; the cause is
// in the server's log, for the operator.
const NoAnswer = "no HTTP answer from the receiver; the server's log has the cause"

// Payload is the JSON body of a request: the event as the log holds it.
type Payload struct {
	ID      itsm.ID         `json:"id"`
	Seq     int64           `json:"seq"`
	Type    string          `json:"type"`
	Kind    string          `json:"kind,omitempty"`
	Subject *itsm.ID        `json:"subject,omitempty"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// NewPayload returns the payload of ev.
func NewPayload(ev itsm.Event) Payload {
	p := Payload{ID: ev.ID, Seq: ev.Seq, Type: ev.Type, Kind: ev.Kind, Time: ev.Time.UTC(), Data: ev.Data}
	if !ev.Subject.IsZero() {
		subject := ev.Subject
		p.Subject = &subject
	}
	if len(p.Data) == 0 {
		p.Data = json.RawMessage("null")
	}
	return p
}

// Outcome is what became of an attempt.
type Outcome string

// The outcomes of an attempt.
const (
	// OutcomeDelivered: the receiver answered 2xx.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeFailed: the attempt failed and the event will be tried again
	// (or, from Retry, stays a dead letter).
	OutcomeFailed Outcome = "failed"
	// OutcomeDeadLettered: the attempt failed and was the last one; the
	// event is now a dead letter.
	OutcomeDeadLettered Outcome = "dead_lettered"
)

// Attempt describes one attempt to send an event, for Config.Observe.
type Attempt struct {
	Subscription itsm.ID
	Owner        itsm.ID
	Seq          int64
	Event        itsm.ID
	Type         string
	// Status is the HTTP status of the answer, 0 when none came.
	Status int
	// Err is why the attempt failed, in full (the start of the receiver's
	// answer, the network's error, a refused destination: errors.Is
	// netguard.ErrRefused); nil when it was delivered. It is for the
	// operator: the owner sees only the status, or NoAnswer.
	Err      error
	Duration time.Duration
	Outcome  Outcome
	// Retry tells an attempt made by Service.Retry.
	Retry bool
}

// Stats are the Service's counters since it was made, for the server to
// expose as metrics.
type Stats struct {
	// Delivered counts events answered with 2xx.
	Delivered int64
	// Failed counts failed attempts, the last one before a dead letter
	// included.
	Failed int64
	// DeadLettered counts events that became dead letters.
	DeadLettered int64
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{Delivered: s.delivered.Load(), Failed: s.failed.Load(), DeadLettered: s.deadLettered.Load()}
}

// count updates the counters and tells Observe.
func (s *Service) count(a Attempt) {
	switch a.Outcome {
	case OutcomeDelivered:
		s.delivered.Add(1)
	case OutcomeFailed:
		s.failed.Add(1)
	case OutcomeDeadLettered:
		s.failed.Add(1)
		s.deadLettered.Add(1)
	}
	if s.observe != nil {
		s.observe(a)
	}
}

// failure is a failed attempt: the answer's status (0 when none came), how
// long the receiver asked to wait (Retry-After), what went wrong in full
// for the operator, and what the owner may see of it. Neither names more of
// the URL than its host: the path may hold a token.
type failure struct {
	status     int
	retryAfter time.Duration
	// err has the whole story, for the server's log and Config.Observe.
	err error
	// public is for the owner (Delivery.LastError, DeadLetter.Error): the
	// status, or NoAnswer, or what is wrong with the URL by the server's
	// rules; never the receiver's words or the network's.
	public string
}

// answered is the failure of an answer with a status outside 2xx.
func answered(status int) string {
	msg := "the receiver answered " + strconv.Itoa(status)
	if status >= 300 && status < 400 {
		msg += " (redirects are not followed; configure the final URL)"
	}
	return msg
}

// send posts ev once, as post does, and logs a failure with its cause for
// the operator.
func (s *Service) send(ctx context.Context, st *stored, ev itsm.Event) *failure {
	f := s.post(ctx, st, ev)
	if f != nil && ctx.Err() == nil {
		s.log.Warn("webhook: attempt failed", "subscription", st.ID, "owner", st.Owner, "seq", ev.Seq,
			"host", hostOf(st.URL), "status", f.status, "err", f.err)
	}
	return f
}

// post posts ev to the subscription once. It returns nil when the receiver
// answered 2xx.
func (s *Service) post(ctx context.Context, st *stored, ev itsm.Event) *failure {
	body, err := json.Marshal(NewPayload(ev))
	if err != nil {
		return &failure{err: itsm.Wrap(itsm.CodeInternal, err, "webhook: encode event %d", ev.Seq),
			public: "the server could not encode the event"}
	}
	host := hostOf(st.URL)
	if err := cmp.Or(CheckURL(st.URL, s.allow), s.checkDestination(st.URL)); err != nil {
		// Accepted when it was stored, but not under this configuration
		// (AllowHTTP turned off, or the address no longer allowed); a
		// failed attempt, so the owner sees why: the server's rule, about
		// the URL the owner gave.
		return &failure{err: err, public: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.URL, bytes.NewReader(body))
	if err != nil {
		return &failure{err: itsm.Errorf(itsm.CodeInvalid, "webhook: build the request to %s", host),
			public: "the server could not build a request to the URL"}
	}
	id := ev.ID.String()
	ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderIdempotencyKey, id)
	req.Header.Set(HeaderEventID, id)
	req.Header.Set(HeaderSubscription, st.ID.String())
	req.Header.Set(httpnotify.HeaderTimestamp, ts)
	req.Header.Set(httpnotify.HeaderSignature, httpnotify.Sign([]byte(st.Secret), ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &failure{err: itsm.Wrap(itsm.CodeUnavailable, err, "webhook: post to %s", host), public: NoAnswer}
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The receiver said yes; an answer cut short after that does not
		// undo the delivery.
		return nil
	}
	f := &failure{status: resp.StatusCode, public: answered(resp.StatusCode)}
	// The reason phrase and the body are the receiver's words: the
	// operator's log has their start, the owner only the status.
	msg := "webhook: " + host + " answered " + itsm.Printable(resp.Status, 80)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed; configure the final URL)"
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if sec, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && sec > 0 {
			f.retryAfter = time.Duration(min(sec, 1<<30)) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			f.retryAfter = t.Sub(s.clock.Now())
		}
	}
	if d := itsm.Printable(string(answer), maxDetail); d != "" && readErr == nil {
		msg += ": " + d
	}
	f.err = &itsm.Error{Code: itsm.CodeUnavailable, Message: msg}
	return f
}
