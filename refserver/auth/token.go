package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

// KindToken is the record and event kind of tokens.
const KindToken = "token"

// CodeUnauthenticated is the code of a refused token. It is not one of
// itsm's codes, as the domain never meets a caller without an actor; the
// server answers it with 401.
const CodeUnauthenticated itsm.Code = problem.CodeUnauthenticated

// ErrUnauthenticated is the error of every refused token, whatever was
// wrong with it, so that a caller cannot probe which tokens exist, were
// revoked or expired. The reason goes to the Tokens' log.
var ErrUnauthenticated error = &itsm.Error{Code: CodeUnauthenticated, Message: "the bearer token is not valid"}

// The form of a secret.
const (
	// SecretPrefix begins every secret, so that secret scanners and people
	// recognise a spoc token when one leaks.
	SecretPrefix = "spoc_"
	// secretBytes is the randomness of a secret: 256 bits.
	secretBytes = 32
	// SecretLen is the length of a secret: the prefix and 43 base64url
	// characters.
	SecretLen = len(SecretPrefix) + 43
	// MaxDescription is the longest token description in bytes.
	MaxDescription = 2000
)

// NewSecret returns a new secret: SecretPrefix and 32 bytes from
// crypto/rand in unpadded base64url.
func NewSecret() string {
	var b [secretBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead.
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// wellFormed reports whether s has the form NewSecret gives: the prefix,
// then exactly the base64url text of 32 bytes.
func wellFormed(s string) bool {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok || len(s) != SecretLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	return err == nil && len(b) == secretBytes
}

// digest is the index value that finds the token of a secret. A secret is
// 256 random bits, so a plain SHA-256 suffices: there is nothing to guess
// that a slow hash would protect.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Token is an issued bearer token as the store keeps it and List shows it:
// everything but the secret, which nobody can see after Issue.
type Token struct {
	ID itsm.ID `json:"id"`
	// Actor is who the token's bearer acts as.
	Actor       itsm.Actor `json:"actor"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Issued      time.Time  `json:"issued"`
	IssuedBy    itsm.Actor `json:"issued_by"`
	// Expires is when the token stops working; zero means never.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked is when an administrator revoked the token; zero means it was
	// not.
	Revoked   time.Time   `json:"revoked,omitzero"`
	RevokedBy *itsm.Actor `json:"revoked_by,omitempty"`

	version int64
}

// Active reports whether the token authenticates at now, as far as the
// token itself goes (its organisation must exist, too).
func (t Token) Active(now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || now.Before(t.Expires))
}

// Request is what an administrator asks Issue for.
type Request struct {
	// Actor is who the token's bearer acts as; its organisation must exist.
	Actor itsm.Actor
	// Name says what the token is for, such as "supplier X's integration";
	// one line of at most MaxName bytes.
	Name string
	// Description is optional, at most MaxDescription bytes.
	Description string
	// Expires is when the token stops working; zero means never.
	Expires time.Time
}

// ListQuery selects the tokens List returns.
type ListQuery struct {
	// Organisation limits the list to the tokens of one organisation; zero
	// lists all a platform administrator may see, and an organisation's
	// administrator's own organisation's.
	Organisation itsm.ID
	// After continues from the cursor an earlier page returned.
	After itsm.Cursor
	// Limit is the page size: 0 means itsm.DefaultLimit, at most
	// itsm.MaxLimit.
	Limit int
}

// Tokens issues, revokes and checks bearer tokens. Administrators issue,
// list and revoke them: a platform administrator (PlatformAdmin) anyone's,
// an organisation's administrator (OrganisationAdmin) its own
// organisation's people's only. Tokens is safe for concurrent use.
type Tokens struct {
	dir   *Directory
	store itsm.Store
	clock itsm.Clock
	log   *slog.Logger
}

// authEntry is what Authenticate keeps of a token it accepted: what it
// answers, and the expiry it checks again on every call.
type authEntry struct {
	actor   itsm.Actor
	id      itsm.ID
	expires time.Time
}

// NewTokens returns the Tokens kept in the directory's store. Refusals are
// logged to log with their reason and the token's ID when it is known, never
// the secret; nil logs nothing.
func NewTokens(dir *Directory, log *slog.Logger) *Tokens {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tokens{dir: dir, store: dir.store, clock: dir.clock, log: log}
}

// Issue issues a token for r.Actor and returns it with its secret, which is
// shown this once: the store keeps only its SHA-256 digest. An
// organisation's administrator issues tokens for its own organisation's
// people only.
func (t *Tokens) Issue(ctx context.Context, admin itsm.Actor, r Request) (Token, string, error) {
	scope, err := t.dir.checkAdmin(ctx, admin, "issue a token")
	if err != nil {
		return Token{}, "", err
	}
	now := t.clock.Now()
	if err := checkRequest(&r, now); err != nil {
		return Token{}, "", err
	}
	if !scope.Administers(admin, r.Actor.Organisation) {
		return Token{}, "", itsm.Errorf(itsm.CodeForbidden, "cannot issue a token for %q of %s as %q of %s: an organisation's administrator issues tokens for its own organisation's people only",
			r.Actor.Person, r.Actor.Organisation, admin.Person, admin.Organisation)
	}
	tok := Token{ID: itsm.NewID(), Actor: r.Actor, Name: r.Name, Description: r.Description,
		Issued: now, IssuedBy: admin, Expires: r.Expires}
	secret := NewSecret()
	err = t.store.Write(ctx, func(tx itsm.WriteTx) error {
		if _, err := loadLiveOrg(tx, r.Actor.Organisation); err != nil {
			return itsm.Wrap(itsm.CodeInvalid, err, "cannot issue a token for %q", r.Actor.Person)
		}
		return putToken(tx, &tok, digest(secret), tokenEvent{Type: "token.issued", By: admin}, now)
	})
	if err != nil {
		return Token{}, "", err
	}
	return tok, secret, nil
}

func checkRequest(r *Request, now time.Time) error {
	r.Name = strings.TrimSpace(r.Name)
	r.Actor.Person = strings.TrimSpace(r.Actor.Person)
	if err := r.Actor.Validate(); err != nil {
		return err
	}
	if err := checkLabel("token person", r.Actor.Person, true); err != nil {
		return err
	}
	for i, role := range r.Actor.Roles {
		if slices.Contains(r.Actor.Roles[:i], role) {
			return itsm.Errorf(itsm.CodeInvalid, "token actor %q: role %s is listed twice", r.Actor.Person, role)
		}
	}
	if err := checkLabel("token name", r.Name, true); err != nil {
		return err
	}
	if err := itsm.CheckText("token description", r.Description, MaxDescription); err != nil {
		return err
	}
	switch {
	case !r.Expires.IsZero() && !r.Expires.After(now):
		return itsm.Errorf(itsm.CodeInvalid, "token expiry %s is not after now (%s)",
			r.Expires.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if !r.Expires.IsZero() {
		r.Expires = r.Expires.UTC()
	}
	return nil
}

// List returns a page of tokens, oldest first, without secrets or digests:
// an organisation's administrator sees its own organisation's only, and is
// refused a listing of another's.
func (t *Tokens) List(ctx context.Context, admin itsm.Actor, q ListQuery) ([]Token, itsm.Cursor, error) {
	scope, err := t.dir.checkAdmin(ctx, admin, "list tokens")
	if err != nil {
		return nil, "", err
	}
	if scope != PlatformAdmin {
		if !q.Organisation.IsZero() && q.Organisation != admin.Organisation {
			return nil, "", itsm.Errorf(itsm.CodeForbidden, "cannot list the tokens of organisation %s as %q of %s: an organisation's administrator lists its own organisation's tokens only",
				q.Organisation, admin.Person, admin.Organisation)
		}
		q.Organisation = admin.Organisation
	}
	sq := itsm.Query{Kind: KindToken, Limit: q.Limit, After: q.After}
	if !q.Organisation.IsZero() {
		sq.Index, sq.Match, sq.Value = "organisation", itsm.MatchEqual, q.Organisation.String()
	}
	var page itsm.Page
	err = t.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		page, err = tx.Query(sq)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]Token, 0, len(page.Matches))
	for _, h := range page.Matches {
		tok, err := decodeToken(h.Record)
		if err != nil {
			return nil, "", err
		}
		out = append(out, tok)
	}
	return out, page.Next, nil
}

// Revoke revokes the token with the ID. From the commit on it no longer
// authenticates through any Tokens of this Directory, and within the
// Directory's freshness window (DefaultFreshness) no longer in any other
// process on the database. Revoking a revoked token is a conflict. Another
// organisation's token does not exist for an organisation's administrator.
func (t *Tokens) Revoke(ctx context.Context, admin itsm.Actor, id itsm.ID) (Token, error) {
	scope, err := t.dir.checkAdmin(ctx, admin, "revoke a token")
	if err != nil {
		return Token{}, err
	}
	var (
		out  Token
		hash string
	)
	// Forgotten after the write, committed or failed alike: a write whose
	// outcome is unknown may have committed.
	defer func() {
		if sum, err := hex.DecodeString(hash); err == nil && len(sum) == sha256.Size {
			t.dir.tokens.drop([sha256.Size]byte(sum))
		}
	}()
	notFound := refuse(itsm.Errorf(itsm.CodeNotFound, "token %s not found", id))
	err = retry(ctx, t.store, func(tx itsm.WriteTx) error {
		r, err := tx.Get(KindToken, id)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		tok, err := decodeToken(r)
		if err != nil {
			return err
		}
		if !scope.Administers(admin, tok.Actor.Organisation) {
			return notFound
		}
		hash = r.Unique["hash"]
		if !tok.Revoked.IsZero() {
			return refuse(itsm.Errorf(itsm.CodeConflict, "token %s was revoked at %s", id, tok.Revoked.Format(time.RFC3339)))
		}
		out, err = revokeToken(tx, r, tok, admin, t.clock.Now())
		return err
	})
	return out, err
}

// revokeToken writes tok, read as r, revoked by by at at.
func revokeToken(tx itsm.WriteTx, r itsm.Record, tok Token, by itsm.Actor, at time.Time) (Token, error) {
	tok.Revoked, tok.RevokedBy = at, &by
	return tok, putToken(tx, &tok, r.Unique["hash"], tokenEvent{Type: "token.revoked", By: by}, at)
}

// Authenticate returns the actor and the ID of the token whose secret is
// given. Every refusal is ErrUnauthenticated: an unknown or malformed
// secret, a revoked or expired token, or one whose organisation was
// removed. Other errors (CodeUnavailable when the store is down) are not
// the caller's fault and keep their codes.
//
// Every secret, well-formed or not, costs one digest and one indexed
// lookup, and a secret is never compared byte by byte, so the time taken
// does not tell how much of a guess was right; only a secret that was
// once issued costs a second lookup, of its organisation.
//
// A token accepted less than the Directory's freshness window ago is
// accepted again from memory, without the lookup, which tells the caller
// only what the acceptance did: that the token is good. Its expiry is
// checked on every call, and its organisation through the Directory, so
// a token that expires or whose organisation this process removed is
// refused at once; one revoked here is forgotten at once. A refused secret
// is never kept, so a flood of made-up tokens fills no memory.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (itsm.Actor, itsm.ID, error) {
	sum := sha256.Sum256([]byte(secret))
	fresh := t.dir.Freshness()
	var (
		at  time.Time
		gen uint64
	)
	if fresh > 0 {
		at = t.clock.Now()
		if e, ok := t.dir.tokens.get(sum, at, fresh); ok {
			actor, id, err := t.accept(ctx, e, at)
			if err != nil {
				// Refused for good (the expiry has passed, the organisation
				// is gone): the memory is freed. Not a drop, which would
				// also discard other tokens' reads under way, and so let
				// one expired token keep the cache from filling.
				t.dir.tokens.forget(sum)
			}
			return actor, id, err
		}
		gen = t.dir.tokens.generation()
	}
	want := hex.EncodeToString(sum[:])
	ok := wellFormed(secret)
	var (
		rec   itsm.Record
		found bool
	)
	err := t.store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: KindToken, Index: "hash", Match: itsm.MatchEqual, Value: want, Limit: 1})
		if err != nil {
			return err
		}
		if found = len(page.Matches) == 1; found {
			rec = page.Matches[0].Record
		}
		return nil
	})
	if err != nil {
		return itsm.Actor{}, itsm.ID{}, err
	}
	if !found || !ok {
		t.log.DebugContext(ctx, "bearer token refused", "reason", "unknown")
		return itsm.Actor{}, itsm.ID{}, ErrUnauthenticated
	}
	tok, err := decodeToken(rec)
	if err != nil {
		return itsm.Actor{}, itsm.ID{}, err
	}
	if !tok.Revoked.IsZero() {
		t.refused(ctx, "revoked", tok.ID, tok.Actor)
		return itsm.Actor{}, itsm.ID{}, ErrUnauthenticated
	}
	e := authEntry{actor: tok.Actor, id: tok.ID, expires: tok.Expires}
	actor, id, err := t.accept(ctx, e, t.clock.Now())
	if err == nil && fresh > 0 {
		// The entry's age counts from before the read, so it cannot
		// outlive a revocation committed during the read by more than the
		// window; its roles are its own, so a caller that changes the
		// actor it got changes nothing here.
		e.actor.Roles = slices.Clone(e.actor.Roles)
		t.dir.tokens.put(sum, e, tok.version, at, gen)
	}
	return actor, id, err
}

// accept checks, at now, the expiry and the organisation of a token that
// was not revoked when it was read, and returns its actor.
func (t *Tokens) accept(ctx context.Context, e authEntry, now time.Time) (itsm.Actor, itsm.ID, error) {
	reason := ""
	if !e.expires.IsZero() && !now.Before(e.expires) {
		reason = "expired"
	} else {
		_, err := t.dir.Organisation(ctx, e.actor.Organisation)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			reason = "organisation removed"
		} else if err != nil {
			return itsm.Actor{}, itsm.ID{}, err
		}
	}
	if reason != "" {
		t.refused(ctx, reason, e.id, e.actor)
		return itsm.Actor{}, itsm.ID{}, ErrUnauthenticated
	}
	actor := e.actor
	actor.Roles = slices.Clone(actor.Roles)
	return actor, e.id, nil
}

func (t *Tokens) refused(ctx context.Context, reason string, id itsm.ID, actor itsm.Actor) {
	t.log.InfoContext(ctx, "bearer token refused", "reason", reason, "token", id.String(),
		"organisation", actor.Organisation.String())
}

// tokenEvent is the data of token events. It names the token and its actor,
// never the secret or its digest.
type tokenEvent struct {
	Type      string     `json:"-"`
	By        itsm.Actor `json:"by"`
	Token     itsm.ID    `json:"token"`
	Actor     itsm.Actor `json:"actor"`
	Name      string     `json:"name"`
	Expires   time.Time  `json:"expires,omitzero"`
	Bootstrap bool       `json:"bootstrap,omitempty"`
}

// putToken writes tok over tok.version with its digest and appends e.
func putToken(tx itsm.WriteTx, tok *Token, hash string, e tokenEvent, at time.Time) error {
	body, err := json.Marshal(tok)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode token %s", tok.ID)
	}
	r := itsm.Record{Kind: KindToken, ID: tok.ID, Version: tok.version, Body: body,
		Unique: map[string]string{"hash": hash},
		Index:  map[string][]string{"organisation": {tok.Actor.Organisation.String()}}}
	if tok.Actor.HasRole(itsm.RoleAdmin) && tok.Revoked.IsZero() {
		r.Index["admin"] = []string{adminUntil(tok.Expires)}
	}
	v, err := tx.Put(r)
	if err != nil {
		return err
	}
	tok.version = v
	e.Token, e.Actor, e.Name, e.Expires = tok.ID, tok.Actor, tok.Name, tok.Expires
	data, err := json.Marshal(e)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode %s", e.Type)
	}
	_, err = tx.Append(itsm.Event{Type: e.Type, Kind: KindToken, Subject: tok.ID, Time: at, Data: data})
	return err
}

// adminUntil is the value of the "admin" index, which holds the
// administrators' tokens that are not revoked, by expiry, so that Bootstrap
// finds a live one with one range query. A token that never expires sorts
// after every time.
func adminUntil(expires time.Time) string {
	if expires.IsZero() {
		return "~"
	}
	return itsm.IndexTime(expires)
}

func decodeToken(r itsm.Record) (Token, error) {
	var tok Token
	if err := json.Unmarshal(r.Body, &tok); err != nil {
		return Token{}, itsm.Wrap(itsm.CodeInternal, err, "decode token %s", r.ID)
	}
	tok.version = r.Version
	return tok, nil
}
