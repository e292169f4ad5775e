package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// Config is what Work needs.
type Config struct {
	// Server is the spoc server's base URL.
	Server string
	// Token is the bearer token of one of the supplier's agents.
	Token string
	// Listen is the address the webhook receiver listens on; the
	// subscription names it, so it must be one the server reaches.
	Listen string
	// Pause is how long each step of the work takes.
	Pause time.Duration
	// Out receives a line for every delivery and every step.
	Out io.Writer
	// HTTP, when set, is the http.Client of the calls to the server.
	HTTP *http.Client
}

// maxDelivery bounds what the receiver reads of one delivery; the server's
// events are far smaller.
const maxDelivery = 1 << 20

// supplier is one running integration.
type supplier struct {
	cfg    Config
	api    *client.ClientWithResponses
	me     api.Me
	secret []byte

	mu   sync.Mutex
	seen map[itsm.ID]bool // event IDs already taken: deliveries are at least once
	work chan itsm.ID     // incidents delegated to us, to work in order
	out  sync.Mutex       // one line at a time on cfg.Out
}

// Work runs the integration until ctx ends: it subscribes a webhook, picks
// up the incidents delegated while it was not running, and works every
// incident delegated to its organisation. It deletes its subscription on
// the way out.
func Work(ctx context.Context, cfg Config) error {
	var opts []client.ClientOption
	if cfg.HTTP != nil {
		opts = append(opts, client.WithHTTPClient(cfg.HTTP))
	}
	c, err := client.New(cfg.Server, cfg.Token, opts...)
	if err != nil {
		return err
	}
	s := &supplier{cfg: cfg, api: c, seen: map[itsm.ID]bool{}, work: make(chan itsm.ID, 256)}
	me, err := client.Check(c.GetMeWithResponse(ctx))
	if err != nil {
		return fmt.Errorf("ask who we are: %w", err)
	}
	s.me = *me.JSON200
	s.say("acting as %s of %s (%s)", s.me.Actor.Person, s.me.Organisation.Name, s.me.Organisation.ID)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: http.HandlerFunc(s.receive), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()

	// The subscription is made before the backlog is read, so that an
	// incident delegated in between arrives one way or the other (and is
	// worked once: see take).
	url := "http://" + ln.Addr().String() + "/spoc-events"
	sub, err := client.Check(c.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: url, Types: []api.EventFilter{"incident."}}))
	if itsm.IsCode(err, itsm.CodeInvalid) {
		// A server delivers only to public addresses unless its operator
		// allows more; this receiver is on the operator's own machine.
		return fmt.Errorf("subscribe %s: %w (a server on this machine must allow loopback receivers: --demo does, or --webhook-allow 127.0.0.1)", url, err)
	}
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", url, err)
	}
	s.setSecret(sub.JSON201.Secret)
	s.say("subscribed %s to the organisation's incident events (webhook %s)", url, sub.JSON201.ID)
	defer func() {
		// The server would otherwise keep trying a receiver that is gone
		// and fill the dead letters.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := client.Check(c.DeleteWebhookWithResponse(dctx, sub.JSON201.ID)); err != nil {
			s.say("delete the subscription: %v", err)
			return
		}
		s.say("deleted the subscription")
	}()
	if err := s.backlog(ctx); err != nil {
		return err
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return fmt.Errorf("the webhook receiver stopped: %w", err)
		case id := <-s.work:
			if err := s.handle(ctx, id); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// One incident failing (the desk took it back, say) must
				// not stop the work on the others.
				s.say("%v", err)
			}
		}
	}
}

// backlog queues the incidents delegated to the organisation and not yet
// accepted.
func (s *supplier) backlog(ctx context.Context) error {
	var cursor string
	for {
		// The list filters by one field; the state is checked here.
		r, err := client.Check(s.api.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{
			Holder: s.me.Organisation.ID, Cursor: cursor}))
		if err != nil {
			return fmt.Errorf("list the incidents waiting for us: %w", err)
		}
		for _, inc := range r.JSON200.Items {
			if inc.State != incident.StateDelegated {
				continue
			}
			s.say("%s is waiting for us: %s", inc.Number, inc.Summary)
			s.enqueue(inc.ID)
		}
		if cursor = r.JSON200.Next; cursor == "" {
			return nil
		}
	}
}

func (s *supplier) setSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret = []byte(secret)
}

// receive is the webhook endpoint. It answers 2xx only for a delivery it
// verified and took; anything else makes the server try again later.
func (s *supplier) receive(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDelivery))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	if len(secret) == 0 {
		// A delivery can race the answer that tells us the secret.
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	err = httpnotify.Verify(secret, r.Header.Get(httpnotify.HeaderTimestamp), body,
		r.Header.Get(httpnotify.HeaderSignature), time.Now(), 0)
	if err != nil {
		s.say("refused a delivery: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev webhook.Payload
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID.IsZero() {
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	if !s.take(ev.ID) {
		// A repeat of an event already taken: the answer to the first
		// delivery was lost. Acknowledge it and do nothing.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.say("received %s #%d %s", ev.Type, ev.Seq, ev.ID)
	if ev.Type == "incident.delegated" && ev.Subject != nil {
		s.enqueue(*ev.Subject)
	}
	w.WriteHeader(http.StatusNoContent)
}

// take records an event ID and reports whether it was new.
func (s *supplier) take(id itsm.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[id] {
		return false
	}
	s.seen[id] = true
	return true
}

// enqueue queues an incident for handle, which tells by its state whether
// there is still work to do, so queueing one twice is harmless.
func (s *supplier) enqueue(id itsm.ID) {
	select {
	case s.work <- id:
	default:
		// The queue is full; the incident stays delegated to us and the
		// next start's backlog picks it up.
		s.say("too much work queued; %s waits for the next start", id)
	}
}

// handle works one delegated incident: accept, reference, update, report
// back. Every command carries the ETag of the incident as last seen, so a
// change made meanwhile by the desk (a re-route, say) stops the work with
// a 412 rather than being overwritten.
func (s *supplier) handle(ctx context.Context, id itsm.ID) error {
	g, err := client.Check(s.api.GetIncidentWithResponse(ctx, id.String()))
	if err != nil {
		return fmt.Errorf("read %s: %w", id, err)
	}
	inc := g.JSON200
	if inc.State != incident.StateDelegated || inc.Holder != s.me.Organisation.ID {
		return nil // already worked, or no longer ours
	}
	etag := g.HTTPResponse.Header.Get("ETag")
	s.say("%s delegated to us: %q (priority %d)", inc.Number, inc.Summary, inc.Priority)
	if inc.Description != "" {
		// Everything the user told the desk comes with the delegation (SD-5).
		s.say("%s: the user said %q", inc.Number, inc.Description)
	}

	steps := []struct {
		what string
		do   func(etag string) (string, error)
	}{
		{"accept", func(etag string) (string, error) {
			return etagOf(s.api.AcceptIncidentWithResponse(ctx, id, &api.AcceptIncidentParams{IfMatch: etag}))
		}},
		{"record our reference", func(etag string) (string, error) {
			return etagOf(s.api.SetIncidentReferenceWithResponse(ctx, id, &api.SetIncidentReferenceParams{IfMatch: etag},
				api.ReferenceInput{Reference: "SUP-" + strings.TrimPrefix(inc.Number.String(), "INC")}))
		}},
		{"post a status update", func(etag string) (string, error) {
			return etagOf(s.api.UpdateIncidentWithResponse(ctx, id, &api.UpdateIncidentParams{IfMatch: etag},
				api.StatusUpdate{Text: "Investigating: " + inc.Summary + "."}))
		}},
		{"report back", func(etag string) (string, error) {
			return etagOf(s.api.ReportBackIncidentWithResponse(ctx, id, &api.ReportBackIncidentParams{IfMatch: etag},
				api.Resolution{Code: "fixed", Text: "Fixed by " + s.me.Organisation.Name + "; please confirm with the user."}))
		}},
	}
	for _, st := range steps {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.cfg.Pause):
		}
		if etag, err = st.do(etag); err != nil {
			return fmt.Errorf("%s %s: %w", st.what, inc.Number, err)
		}
		s.say("%s: %s done", inc.Number, st.what)
	}
	return nil
}

// etagOf returns the ETag of a command's successful response: the version
// the next command must name in If-Match.
func etagOf[R any](r R, err error) (string, error) {
	if _, err := client.Check(r, err); err != nil {
		return "", err
	}
	hr, _ := client.Parts(r)
	return hr.Header.Get("ETag"), nil
}

// say prints one line with the time.
func (s *supplier) say(format string, args ...any) {
	s.out.Lock()
	defer s.out.Unlock()
	fmt.Fprintf(s.cfg.Out, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
