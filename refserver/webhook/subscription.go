package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
)

// The kinds of record the package keeps.
const (
	// KindSubscription is the kind of a subscription's record, which holds
	// its delivery state (cursor, failed attempts) as well.
	KindSubscription = "webhook"
	// KindDeadLetter is the kind of a dead letter's record.
	KindDeadLetter = "webhook_dead_letter"
)

// Index names of the subscription records.
const (
	indexOwner = "owner"
	indexState = "state"
	// indexPosition is the dead letters' unique "<subscription> <seq>".
	indexPosition = "position"
)

// Limits on what a subscription holds.
const (
	// MaxURL is the longest URL in bytes.
	MaxURL = 2048
	// MaxTypes is the most entries of a type filter.
	MaxTypes = 64
	// MinSecret and MaxSecret bound the length in bytes of a secret the
	// client gives. MinSecret is twice httpnotify's minimum: a secret
	// chosen by a person needs the length to make up for its guessable
	// characters (the server's own, NewSecret, are 49).
	MinSecret = 2 * httpnotify.MinSecretSize
	MaxSecret = 256
	// minSecretBits is the least Shannon entropy per character, measured
	// on the secret's own character frequencies, of a given secret: 32
	// random hex digits have about 3.6 and practically never less than
	// 2.75, "abab..." has 1 and "1111122222333334444" 2.
	minSecretBits = 2.5
	// maxType is the longest event type, as itsm.Event allows.
	maxType = 128
)

// State says whether a subscription is delivered.
type State string

// The states of a subscription.
const (
	// StateActive subscriptions are delivered.
	StateActive State = "active"
	// StatePaused subscriptions are not; their cursor stays, so the events
	// of the pause are delivered on resume (those the filter and the
	// Visible hook let through at that time).
	StatePaused State = "paused"
)

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool { return s == StateActive || s == StatePaused }

// Subscription is an organisation's order for events at a URL. Its secret is
// not part of it: it is returned once, by Create and RotateSecret.
type Subscription struct {
	ID    itsm.ID `json:"id"`
	Owner itsm.ID `json:"owner"`
	URL   string  `json:"url"`
	// Types filters by event type: an entry ending in "." matches every
	// type that begins with it (such as "incident."), any other entry
	// matches that type only. Empty means every type.
	Types     []string  `json:"types,omitempty"`
	State     State     `json:"state"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	// Updated is the time of the last change by a person; delivery
	// progress does not change it.
	Updated  time.Time `json:"updated"`
	Delivery Delivery  `json:"delivery"`
	// Version is the record's version in the store.
	Version int64 `json:"-"`
}

// Delivery is how far a subscription's delivery has got.
type Delivery struct {
	// Cursor is the Seq of the last event delivered, dead-lettered or
	// passed over (filtered out); delivery continues after it. A new
	// subscription starts at the end of the log.
	Cursor int64 `json:"cursor"`
	// Failing is the Seq of the event being retried, 0 when none is; then
	// Attempts counts its failed attempts and NextAttempt is when it is
	// tried again.
	Failing     int64     `json:"failing,omitempty"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastFailure, LastStatus (0 when no answer came) and LastError
	// describe the most recent failed attempt; they stay after delivery
	// recovers, for diagnosis. LastError says that the receiver answered
	// with the status, or NoAnswer, or what is wrong with the URL; never
	// the receiver's words or the network's error (see NoAnswer).
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastStatus  int       `json:"last_status,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	// Delivered is when an event was last delivered.
	Delivered time.Time `json:"delivered,omitzero"`
}

// Wants reports whether the subscription's type filter lets typ through.
func (s Subscription) Wants(typ string) bool {
	if len(s.Types) == 0 {
		return true
	}
	for _, t := range s.Types {
		if t == typ || (strings.HasSuffix(t, ".") && strings.HasPrefix(typ, t)) {
			return true
		}
	}
	return false
}

// stored is a subscription's record body: the subscription and its secret,
// kept apart so that no path that returns a Subscription can leak it.
type stored struct {
	Subscription
	Secret string `json:"secret"`
	// Term is the lease term of the Dispatcher that last delivered it; a
	// Dispatcher of an earlier term may no longer (see leaseBody).
	Term int64 `json:"term,omitempty"`
}

// Spec is what Create needs.
type Spec struct {
	// Owner is the organisation the events are for; zero means the actor's.
	// Only an admin may name another.
	Owner itsm.ID
	URL   string
	// Secret signs the requests; empty means a new random one. It must be
	// MinSecret to MaxSecret printable ASCII characters.
	Secret string
	Types  []string
	// State is StateActive when empty.
	State State
}

// Change is what Update changes; nil fields stay as they are.
type Change struct {
	URL   *string
	Types *[]string
	State *State
}

// Created is what Create returns: the subscription and, this once, its
// secret.
type Created struct {
	Subscription
	Secret string `json:"secret"`
}

// VisibleFunc returns event ev as organisation org may see it, and false
// when it may not see it at all; what it returns is what is sent. The
// server supplies it (for incidents: the desk that owns it, a supplier that
// holds or held it, SD-13, the customer without what is internal to the
// support chain), so that this package stays ignorant of the domains. It is
// asked when the event is about to be sent, so its verdict may depend on
// what happened since; an error is taken as an outage of the server's own
// (not the receiver's fault): the event waits, and no attempt is counted.
type VisibleFunc func(ctx context.Context, org itsm.ID, ev itsm.Event) (itsm.Event, bool, error)

// Config configures a Service.
type Config struct {
	// Store keeps the subscriptions and dead letters and holds the event
	// log that is delivered.
	Store itsm.Store
	// Visible decides what an owner may receive; required.
	Visible VisibleFunc
	// Clock gives times and signing timestamps; nil means the system clock.
	Clock itsm.Clock
	// Client sends the requests; nil means a client with Timeout. The
	// Service uses a copy that does not follow redirects. When its
	// Transport is nil or an *http.Transport (one with the TLS settings of
	// internal receivers, say), the copy's is a clone that connects only
	// where Destinations allows, and through no proxy: a proxy from the
	// environment would connect on the Service's behalf, past the check.
	// Any other RoundTripper, such as a test's fake network, is used as it
	// is, and keeping destinations in check is then its business.
	Client *http.Client
	// Timeout bounds one attempt, answer included, when Client has no
	// timeout of its own; 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowHTTP accepts http URLs to any host; without it only https is
	// accepted, and http only to a loopback address (for local tests).
	AllowHTTP bool
	// Destinations is the operator's allow-list of networks and host names
	// that receivers may have besides public addresses; the zero Policy
	// allows public addresses only. A subscription's receiver names the
	// destination, and the server connects to it: without the check any
	// agent could reach the server's own networks (its /metrics, its
	// database, the cloud's metadata service) and read the answers. The
	// check is made on every connection, on every address the host name
	// resolves to (see package netguard); a URL whose host is a forbidden
	// address, in any spelling, is refused when it is given.
	Destinations netguard.Policy
	// Lookup resolves receivers' host names; nil means the system's
	// resolver. Tests give one that answers what they need.
	Lookup netguard.LookupFunc
	// MaxPerOwner is the most subscriptions an organisation may hold; 0
	// means DefaultMaxPerOwner. Each one costs a worker's turn and a
	// connection at every event, so an organisation cannot make the
	// server post each event a thousand times.
	MaxPerOwner int
	// Admin reports whether an actor manages every organisation's
	// subscriptions; nil means holding itsm.RoleAdmin. A server whose
	// organisations have admins of their own narrows it to the platform's
	// administrators (as the reference server's httpapi.Admin does): an
	// organisation's admin manages its own organisation's anyway.
	Admin func(itsm.Actor) bool
	// Observe, when set, is told of every attempt to send an event, by the
	// Dispatcher and by Retry; for metrics beyond Stats, such as latency.
	// It must be quick and safe for concurrent use.
	Observe func(Attempt)
	// Logger receives what goes wrong in the background; nil discards it.
	Logger *slog.Logger
}

// DefaultTimeout bounds one attempt when Config sets no timeout.
const DefaultTimeout = 10 * time.Second

// DefaultMaxPerOwner is the most subscriptions an organisation may hold when
// Config sets no limit: enough for a receiver per environment and a spare
// during a move.
const DefaultMaxPerOwner = 10

// Service manages subscriptions and dead letters and sends events; a
// Dispatcher drives it from the event log. It is safe for concurrent use.
type Service struct {
	store   itsm.Store
	visible VisibleFunc
	clock   itsm.Clock
	client  *http.Client
	allow   bool
	guard   netguard.Policy
	max     int
	admin   func(itsm.Actor) bool
	observe func(Attempt)
	log     *slog.Logger

	delivered, failed, deadLettered atomic.Int64
	// changed counts the changes to subscriptions made through this
	// Service, so that a Dispatcher that found none active looks again at
	// once (see Dispatcher.Run).
	changed atomic.Uint64
}

// New checks the configuration and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the configuration has no store")
	case cfg.Visible == nil:
		// Without it every owner would receive every event.
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the configuration has no Visible hook")
	case cfg.Timeout < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the timeout %s is negative", cfg.Timeout)
	case cfg.MaxPerOwner < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the limit of %d subscriptions per organisation is negative", cfg.MaxPerOwner)
	}
	s := &Service{store: cfg.Store, visible: cfg.Visible, clock: cfg.Clock, allow: cfg.AllowHTTP,
		guard: cfg.Destinations, max: cfg.MaxPerOwner, admin: cfg.Admin, observe: cfg.Observe, log: cfg.Logger}
	if s.max == 0 {
		s.max = DefaultMaxPerOwner
	}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	if s.admin == nil {
		s.admin = func(a itsm.Actor) bool { return a.HasRole(itsm.RoleAdmin) }
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	dialer := &netguard.Dialer{Policy: cfg.Destinations, Lookup: cfg.Lookup}
	switch t := client.Transport.(type) {
	case nil:
		client.Transport = dialer.Transport()
	case *http.Transport:
		t = t.Clone()
		t.Proxy, t.DialContext, t.DialTLSContext = nil, dialer.DialContext, nil
		client.Transport = t
	}
	if client.Timeout == 0 {
		client.Timeout = cfg.Timeout
		if client.Timeout == 0 {
			client.Timeout = DefaultTimeout
		}
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = client
	return s, nil
}

// CheckURL returns an *itsm.Error with CodeInvalid unless raw is a URL a
// subscription may post to: absolute http or https with a host, no user
// name or password (they would travel in every request and show in every
// listing; put a token in the path instead), no fragment, at most MaxURL
// bytes, and http only to a loopback address unless allowHTTP. Errors do not
// quote the URL, which may carry a token.
func CheckURL(raw string, allowHTTP bool) error {
	if len(raw) > MaxURL {
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL is %d bytes, more than %d", len(raw), MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL does not parse")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL's scheme is %q, not https or http", u.Scheme)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL has no host")
	case u.User != nil:
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL has a user name or password; put a token in the path instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL has a fragment, which is never sent")
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL contains a space or control character")
	case u.Scheme == "http" && !allowHTTP && !loopback(u.Hostname()):
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL to %s is http; use https (http is accepted only for loopback addresses)", u.Hostname())
	}
	return nil
}

// loopback reports whether host is localhost or a loopback IP address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// checkDestination returns an *itsm.Error with CodeInvalid when the host of
// raw, a URL CheckURL passed, is one the policy refuses before resolving:
// a forbidden address in any spelling, or localhost. Names are checked
// when connecting, on every connection; resolving them here too would tell
// the subscriber which names lead inside.
func (s *Service) checkDestination(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL does not parse")
	}
	err = s.guard.CheckHost(u.Hostname())
	var r *netguard.Refusal
	if errors.As(err, &r) {
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the URL's host %q is %s; webhooks reach only public addresses and those the server's operator allows",
			itsm.Printable(u.Hostname(), 100), refusalText(r))
	}
	return err
}

// refusalText says what kind of destination r refused.
func refusalText(r *netguard.Refusal) string {
	if r.Addr.IsValid() {
		return "a " + r.Reason + " address"
	}
	return r.Reason
}

// checkTypes returns the filter in canonical form (sorted, as given
// otherwise) or an error naming the first bad entry.
func checkTypes(types []string) ([]string, error) {
	if len(types) > MaxTypes {
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: %d event types, more than %d", len(types), MaxTypes)
	}
	out := slices.Clone(types)
	slices.Sort(out)
	for i, t := range out {
		word := strings.TrimSuffix(t, ".")
		if t == "" || len(t) > maxType || !validType(word) {
			return nil, itsm.Errorf(itsm.CodeInvalid,
				"webhook: event type %q is not dot-separated words of a-z, 0-9 and _, optionally ending in \".\" to match a prefix", itsm.Printable(t, 140))
		}
		if i > 0 && out[i-1] == t {
			return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: event type %q is listed twice", t)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// validType reports whether t is dot-separated non-empty words of lower-case
// letters, digits and '_', as itsm.Event types are.
func validType(t string) bool {
	for w := range strings.SplitSeq(t, ".") {
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
		}) {
			return false
		}
	}
	return true
}

// checkSecret refuses a secret the client gives unless it is MinSecret to
// MaxSecret printable ASCII characters that do not look chosen to be
// remembered: a string repeated, or too few different characters. Errors
// never quote it.
func checkSecret(s string) error {
	const generate = "; leave it out and the server makes a random one"
	switch {
	case len(s) < MinSecret || len(s) > MaxSecret:
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the secret is %d bytes; it must be %d to %d%s", len(s), MinSecret, MaxSecret, generate)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }):
		// Printable ASCII survives every configuration file and header.
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the secret must be printable ASCII without spaces")
	case periodic(s):
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the secret is a shorter string repeated, which is guessed from the part%s", generate)
	case entropy(s) < minSecretBits:
		return itsm.Errorf(itsm.CodeInvalid, "webhook: the secret has too few different characters to be hard to guess%s", generate)
	}
	return nil
}

// periodic reports whether s is a string of at most half its length
// repeated, the last time perhaps in part ("qwertyqwertyqwe").
func periodic(s string) bool {
	for n := 1; n <= len(s)/2; n++ {
		if s[n:] == s[:len(s)-n] {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy in bits per character of s's own character
// frequencies: a crude measure, but enough to refuse "aaaa..." and "1111
// 2222 ..." while every random secret passes.
func entropy(s string) float64 {
	var counts [256]int
	for i := range len(s) {
		counts[s[i]]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// NewSecret returns a random secret: 32 random bytes in unpadded base64url,
// prefixed "whsec_" so that it is recognised when it leaks into a log.
// Receivers use the whole string, prefix included, as the HMAC key.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// owns checks that actor may manage owner's subscriptions. Reads and changes
// of another organisation's subscription report notFound instead, so that
// its existence stays hidden; this is for commands that name the owner.
func (s *Service) owns(actor itsm.Actor, owner itsm.ID) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if s.admin(actor) {
		return nil
	}
	// An organisation's own admin manages its subscriptions as its agents
	// do; only Config.Admin reaches other organisations'.
	if !actor.HasRole(itsm.RoleAgent) && !actor.HasRole(itsm.RoleAdmin) {
		return itsm.Errorf(itsm.CodeForbidden, "webhook: %q of %s is neither an agent nor an admin; only they manage webhook subscriptions",
			actor.Person, actor.Organisation)
	}
	if owner != actor.Organisation {
		return itsm.Errorf(itsm.CodeForbidden, "webhook: %q of %s cannot manage the subscriptions of organisation %s; only admins manage other organisations'",
			actor.Person, actor.Organisation, owner)
	}
	return nil
}

// sees reports whether actor may see owner's subscriptions, after owns has
// passed for the actor's own organisation.
func (s *Service) sees(actor itsm.Actor, owner itsm.ID) bool {
	return s.admin(actor) || owner == actor.Organisation
}

func notFound(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "webhook subscription %s not found", id)
}

// record builds the store record of st.
func record(st *stored) (itsm.Record, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "webhook: encode subscription %s", st.ID)
	}
	return itsm.Record{Kind: KindSubscription, ID: st.ID, Version: st.Version, Body: body,
		Index: map[string][]string{indexOwner: {st.Owner.String()}, indexState: {string(st.State)}}}, nil
}

func decode(r itsm.Record) (*stored, error) {
	st := new(stored)
	if err := json.Unmarshal(r.Body, st); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "webhook: decode subscription %s", r.ID)
	}
	st.Version = r.Version
	return st, nil
}

func load(tx itsm.ReadTx, id itsm.ID) (*stored, error) {
	r, err := tx.Get(KindSubscription, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decode(r)
}

// head returns the Seq of the last event in the log. Seq is gapless from 1,
// so "an event after n exists" is monotone in n and a galloping search from
// the known head from finds the end in O(log(distance)) reads of one event.
func head(tx itsm.ReadTx, from int64) (int64, error) {
	exists := func(seq int64) (bool, error) {
		es, err := tx.Events(seq-1, 1)
		return len(es) > 0, err
	}
	lo := from // exists, or is 0
	step := int64(1)
	var hi int64
	for {
		ok, err := exists(lo + step)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = lo + step
			break
		}
		lo += step
		step *= 2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// Create stores a new subscription for the owner and returns it with its
// secret, which is not shown again. Delivery starts with the events
// appended after it.
func (s *Service) Create(ctx context.Context, actor itsm.Actor, spec Spec) (Created, error) {
	owner := spec.Owner
	if owner.IsZero() {
		owner = actor.Organisation
	}
	if err := s.owns(actor, owner); err != nil {
		return Created{}, err
	}
	if err := CheckURL(spec.URL, s.allow); err != nil {
		return Created{}, err
	}
	if err := s.checkDestination(spec.URL); err != nil {
		return Created{}, err
	}
	types, err := checkTypes(spec.Types)
	if err != nil {
		return Created{}, err
	}
	state := spec.State
	if state == "" {
		state = StateActive
	}
	if !state.Valid() {
		return Created{}, itsm.Errorf(itsm.CodeInvalid, "webhook: state %q is not active or paused", itsm.Printable(string(state), 40))
	}
	secret := spec.Secret
	if secret == "" {
		secret = NewSecret()
	} else if err := checkSecret(secret); err != nil {
		return Created{}, err
	}
	now := s.clock.Now().UTC()
	st := &stored{Subscription: Subscription{ID: itsm.NewID(), Owner: owner, URL: spec.URL, Types: types,
		State: state, Created: now, CreatedBy: actor.Person, Updated: now}, Secret: secret}
	err = s.store.Write(ctx, func(tx itsm.WriteTx) error {
		if err := s.room(tx, owner); err != nil {
			return err
		}
		// In the write transaction, so that no event slips in between
		// finding the end of the log and storing the cursor.
		h, err := head(tx, 0)
		if err != nil {
			return err
		}
		st.Delivery.Cursor = h
		rec, err := record(st)
		if err != nil {
			return err
		}
		st.Version, err = tx.Put(rec)
		return err
	})
	if err != nil {
		return Created{}, err
	}
	s.changed.Add(1)
	return Created{Subscription: st.Subscription, Secret: secret}, nil
}

// room returns an error with CodeConflict when owner already holds the most
// subscriptions allowed. In the transaction that stores the new one, so
// that on a store whose writers are serialised (SQLite, memstore) the limit
// is exact; on PostgreSQL, whose write transactions read committed data,
// requests racing each other may each pass it once.
func (s *Service) room(tx itsm.ReadTx, owner itsm.ID) error {
	q := itsm.Query{Kind: KindSubscription, Index: indexOwner, Match: itsm.MatchEqual, Value: owner.String(),
		Limit: min(s.max, itsm.MaxLimit)}
	held := 0
	for {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		held += len(page.Matches)
		if held >= s.max {
			return itsm.Errorf(itsm.CodeConflict, "webhook: organisation %s holds %d subscriptions, at most %d are allowed; delete one first",
				owner, held, s.max)
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}

// Get returns the subscription; another organisation's is not found unless
// the actor is an admin.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (Subscription, error) {
	var st *stored
	err := s.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		st, err = s.readable(tx, actor, id)
		return err
	})
	if err != nil {
		return Subscription{}, err
	}
	return st.Subscription, nil
}

// readable loads a subscription the actor may see.
func (s *Service) readable(tx itsm.ReadTx, actor itsm.Actor, id itsm.ID) (*stored, error) {
	if err := s.owns(actor, actor.Organisation); err != nil {
		return nil, err
	}
	st, err := load(tx, id)
	if err != nil {
		return nil, err
	}
	if !s.sees(actor, st.Owner) {
		return nil, notFound(id)
	}
	return st, nil
}

// ListOptions select a page of subscriptions or dead letters.
type ListOptions struct {
	// Owner, for admins, lists one organisation's subscriptions; zero lists
	// all. Others always see only their own organisation's.
	Owner itsm.ID
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from the Next of an earlier page.
	After itsm.Cursor
}

// List returns a page of the subscriptions the actor may see, in ID order
// (creation order), and the cursor of the next page ("" after the last).
func (s *Service) List(ctx context.Context, actor itsm.Actor, o ListOptions) ([]Subscription, itsm.Cursor, error) {
	if err := s.owns(actor, actor.Organisation); err != nil {
		return nil, "", err
	}
	q := itsm.Query{Kind: KindSubscription, Limit: o.Limit, After: o.After}
	owner := o.Owner
	if !s.admin(actor) {
		if !owner.IsZero() && owner != actor.Organisation {
			return nil, "", itsm.Errorf(itsm.CodeForbidden, "webhook: %q of %s cannot list the subscriptions of organisation %s",
				actor.Person, actor.Organisation, owner)
		}
		owner = actor.Organisation
	}
	if !owner.IsZero() {
		q.Index, q.Match, q.Value = indexOwner, itsm.MatchEqual, owner.String()
	}
	var page itsm.Page
	err := s.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		page, err = tx.Query(q)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]Subscription, 0, len(page.Matches))
	for _, h := range page.Matches {
		st, err := decode(h.Record)
		if err != nil {
			return nil, "", err
		}
		out = append(out, st.Subscription)
	}
	return out, page.Next, nil
}

// change runs fn on the subscription in one write transaction and stores
// the result. The transaction reads the record afresh, so a Dispatcher
// advancing the cursor meanwhile is not overwritten; a conflict (another
// writer between read and put, possible on pgstore) is retried.
func (s *Service) change(ctx context.Context, id itsm.ID, fn func(tx itsm.WriteTx, st *stored) (bool, error)) (*stored, error) {
	var out *stored
	for attempt := 1; ; attempt++ {
		err := s.store.Write(ctx, func(tx itsm.WriteTx) error {
			st, err := load(tx, id)
			if err != nil {
				return err
			}
			write, err := fn(tx, st)
			if err != nil || !write {
				out = st
				return err
			}
			rec, err := record(st)
			if err != nil {
				return err
			}
			st.Version, err = tx.Put(rec)
			out = st
			return err
		})
		if err == nil {
			s.changed.Add(1)
		}
		if !itsm.IsCode(err, itsm.CodeConflict) || attempt == 10 {
			return out, err
		}
		if err := sleep(ctx, time.Duration(attempt)*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// Update applies the change to the subscription. Resuming a paused
// subscription also ends the wait for a retry, so a fixed receiver is tried
// at once.
func (s *Service) Update(ctx context.Context, actor itsm.Actor, id itsm.ID, c Change) (Subscription, error) {
	if err := s.owns(actor, actor.Organisation); err != nil {
		return Subscription{}, err
	}
	var types []string
	if c.URL != nil {
		if err := CheckURL(*c.URL, s.allow); err != nil {
			return Subscription{}, err
		}
		if err := s.checkDestination(*c.URL); err != nil {
			return Subscription{}, err
		}
	}
	if c.Types != nil {
		var err error
		if types, err = checkTypes(*c.Types); err != nil {
			return Subscription{}, err
		}
	}
	if c.State != nil && !c.State.Valid() {
		return Subscription{}, itsm.Errorf(itsm.CodeInvalid, "webhook: state %q is not active or paused", itsm.Printable(string(*c.State), 40))
	}
	st, err := s.change(ctx, id, func(_ itsm.WriteTx, st *stored) (bool, error) {
		if !s.sees(actor, st.Owner) {
			return false, notFound(id)
		}
		if c.URL != nil {
			st.URL = *c.URL
		}
		if c.Types != nil {
			st.Types = types
		}
		if c.State != nil {
			if *c.State == StateActive && st.State == StatePaused {
				st.Delivery.NextAttempt = time.Time{}
			}
			st.State = *c.State
		}
		st.Updated = s.clock.Now().UTC()
		return true, nil
	})
	if err != nil {
		return Subscription{}, err
	}
	return st.Subscription, nil
}

// RotateSecret replaces the subscription's secret with secret, or with a new
// random one when secret is empty, and returns it; this is the only time it
// is shown. Requests from then on are signed with it.
func (s *Service) RotateSecret(ctx context.Context, actor itsm.Actor, id itsm.ID, secret string) (string, error) {
	if err := s.owns(actor, actor.Organisation); err != nil {
		return "", err
	}
	if secret == "" {
		secret = NewSecret()
	} else if err := checkSecret(secret); err != nil {
		return "", err
	}
	_, err := s.change(ctx, id, func(_ itsm.WriteTx, st *stored) (bool, error) {
		if !s.sees(actor, st.Owner) {
			return false, notFound(id)
		}
		st.Secret = secret
		st.Updated = s.clock.Now().UTC()
		return true, nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Delete removes the subscription and its dead letters, in one transaction.
// An event being sent when it is deleted may still arrive.
func (s *Service) Delete(ctx context.Context, actor itsm.Actor, id itsm.ID) error {
	return s.store.Write(ctx, func(tx itsm.WriteTx) error {
		st, err := s.readable(tx, actor, id)
		if err != nil {
			return err
		}
		for {
			page, err := tx.Query(itsm.Query{Kind: KindDeadLetter, Index: indexPosition, Match: itsm.MatchPrefix,
				Value: id.String() + " ", Limit: itsm.MaxLimit})
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				if err := tx.Delete(KindDeadLetter, h.Record.ID, h.Record.Version); err != nil {
					return err
				}
			}
			if page.Next == "" {
				break
			}
		}
		return tx.Delete(KindSubscription, id, st.Version)
	})
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// hostOf returns the host of a checked URL, for errors and logs that must
// not repeat the path, which may hold a token.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Host
}
