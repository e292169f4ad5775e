package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// EnvAdminToken is the environment variable whose value the server passes
// to Bootstrap.
const EnvAdminToken = "SPOC_ADMIN_TOKEN"

// AdminPerson is the person the first administrator token acts as.
const AdminPerson = "spoc-admin"

// adminOrgName is the name Bootstrap gives AdminOrganisation.
const adminOrgName = "spoc administration"

// Admin returns the actor of the first administrator token: AdminPerson of
// AdminOrganisation with the administrator role only, a platform
// administrator (PlatformAdmin).
func Admin() itsm.Actor {
	return itsm.Actor{Organisation: AdminOrganisation, Person: AdminPerson, Roles: []itsm.Role{itsm.RoleAdmin}}
}

// Bootstrap makes sure the database in store has a platform administrator's
// token (PlatformAdmin) that is neither revoked nor expired, and does nothing
// when it has one; an organisation's administrator does not count, as it
// cannot manage the register. env
// is the value of SPOC_ADMIN_TOKEN: when set it becomes the token (stored as
// its digest, so it must have the form NewSecret gives); when empty a new
// token is made and written to out, with a sentence saying what it is, this
// once. Either way the token acts as Admin.
//
// Bootstrap is safe to run at every start, by several processes on one
// database at once. A start that finds a live token writes nothing. One
// that finds none makes the token in a write transaction that first writes
// AdminOrganisation's record back with the version it read and then looks
// again, so of two processes that both found none, one commits and the
// other, retrying, finds the first one's token and prints nothing.
//
// An invalid env is refused with CodeInvalid before anything is written; the
// error never contains the value. When a live administrator token exists and
// env is set but is not one, Bootstrap writes to out that env is ignored.
func Bootstrap(ctx context.Context, store itsm.Store, env string, out io.Writer) error {
	env = strings.TrimSpace(env)
	switch {
	case store == nil:
		return itsm.Errorf(itsm.CodeInvalid, "bootstrap: store is nil")
	case env != "" && !wellFormed(env):
		return itsm.Errorf(itsm.CodeInvalid, "%s is not a spoc token: it has %d characters, and a token is %q followed by 43 base64url characters (32 random bytes, %d characters in all); make one with: echo \"spoc_$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')\"",
			EnvAdminToken, len(env), SecretPrefix, SecretLen)
	case env == "" && out == nil:
		return itsm.Errorf(itsm.CodeInvalid, "bootstrap: no output to show a new administrator token on, and %s is not set", EnvAdminToken)
	}
	secret := env
	if secret == "" {
		secret = NewSecret()
	}
	hash := digest(secret)
	clock := itsm.SystemClock{}
	var (
		created, envLive bool
		tok              Token
	)
	err := retry(ctx, store, func(tx itsm.WriteTx) error {
		created, envLive = false, false
		now := clock.Now()
		// Look before and after taking the lock: before, so that an
		// ordinary start writes nothing; after, because under READ
		// COMMITTED (pgstore) the first look may predate the commit of a
		// process that held the lock meanwhile.
		for look := range 2 {
			if look == 1 {
				if err := lockAdminOrg(tx, now); err != nil {
					return err
				}
			}
			live, err := liveAdmin(tx, now)
			if err != nil {
				return err
			}
			if live {
				if env != "" {
					envLive, err = isLiveAdmin(tx, hash, now)
				}
				return err
			}
		}
		page, err := tx.Query(itsm.Query{Kind: KindToken, Index: "hash", Match: itsm.MatchEqual, Value: hash, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Matches) > 0 {
			return refuse(itsm.Errorf(itsm.CodeInvalid, "%s is the secret of token %s, which is not a live administrator token (it was revoked, has expired or is not an administrator's); set a new one",
				EnvAdminToken, page.Matches[0].Record.ID))
		}
		tok = Token{ID: itsm.NewID(), Actor: Admin(), Name: "first administrator token",
			Description: "Made by Bootstrap because the database had no administrator token.",
			Issued:      now, IssuedBy: Admin()}
		if env != "" {
			tok.Description = "Made by Bootstrap from " + EnvAdminToken + " because the database had no administrator token."
		}
		created = true
		return putToken(tx, &tok, hash, tokenEvent{Type: "token.issued", By: Admin(), Bootstrap: true}, now)
	})
	if err != nil {
		return err
	}
	switch {
	case created && env == "":
		if _, werr := fmt.Fprintf(out, "spoc: this database had no administrator token, so one was made. It is shown only now, never again; keep it safe:\n\n    %s\n\n"+
			"Send it as \"Authorization: Bearer <token>\". It acts as %q of the organisation %q (%s), which may create organisations, grant rights and issue tokens. "+
			"To choose the first token yourself, set %s before the first start.\n",
			secret, AdminPerson, adminOrgName, AdminOrganisation, EnvAdminToken); werr != nil {
			// Nobody has seen the token, so nobody could use it: revoke it,
			// and the next start makes another.
			rerr := retry(context.WithoutCancel(ctx), store, func(tx itsm.WriteTx) error {
				r, err := tx.Get(KindToken, tok.ID)
				if err != nil {
					return err
				}
				cur, err := decodeToken(r)
				if err != nil {
					return err
				}
				_, err = revokeToken(tx, r, cur, Admin(), clock.Now())
				return err
			})
			return errors.Join(itsm.Wrap(itsm.CodeUnavailable, werr, "bootstrap: show the new administrator token"), rerr)
		}
	case created && out != nil:
		_, err = fmt.Fprintf(out, "spoc: stored the administrator token from %s (as its SHA-256 digest only).\n", EnvAdminToken)
	case env != "" && !envLive && out != nil:
		_, err = fmt.Fprintf(out, "spoc: %s is ignored: it is not a live administrator token of this database, which has one already; a new one is made only when none is left.\n", EnvAdminToken)
	}
	return err
}

// liveAdmin reports whether a token that authenticates a platform
// administrator exists at now.
func liveAdmin(tx itsm.ReadTx, now time.Time) (bool, error) {
	q := itsm.Query{Kind: KindToken, Index: "admin", Match: itsm.MatchRange, From: itsm.IndexTime(now.Add(time.Nanosecond))}
	for {
		page, err := tx.Query(q)
		if err != nil {
			return false, err
		}
		for _, h := range page.Matches {
			tok, err := decodeToken(h.Record)
			if err != nil {
				return false, err
			}
			if platformAdmin(tok, now) {
				return true, nil
			}
		}
		if page.Next == "" {
			return false, nil
		}
		q.After = page.Next
	}
}

// isLiveAdmin reports whether the token with the digest hash authenticates
// a platform administrator at now.
func isLiveAdmin(tx itsm.ReadTx, hash string, now time.Time) (bool, error) {
	page, err := tx.Query(itsm.Query{Kind: KindToken, Index: "hash", Match: itsm.MatchEqual, Value: hash, Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return false, err
	}
	tok, err := decodeToken(page.Matches[0].Record)
	if err != nil {
		return false, err
	}
	return platformAdmin(tok, now), nil
}

// platformAdmin reports whether tok authenticates a platform administrator
// at now. AdminOrganisation is never removed, so its record need not be
// read.
func platformAdmin(tok Token, now time.Time) bool {
	return tok.Active(now) && tok.Actor.Organisation == AdminOrganisation && tok.Actor.HasRole(itsm.RoleAdmin)
}

// lockAdminOrg creates AdminOrganisation, or writes its record back with the
// version read, so that two transactions that both decided to make the
// first token cannot both commit, in any backend.
func lockAdminOrg(tx itsm.WriteTx, now time.Time) error {
	r, err := tx.Get(KindOrganisation, AdminOrganisation)
	switch {
	case itsm.IsCode(err, itsm.CodeNotFound):
		o := &orgRecord{ID: AdminOrganisation, Name: adminOrgName, Role: itsm.OrgDesk, Created: now, Changed: now}
		return putOrg(tx, o, 0, orgEvent{Type: "organisation.created", By: Admin(), Organisation: o.organisation()}, now)
	case err != nil:
		return err
	}
	o, err := decodeOrg(r)
	if err != nil {
		return err
	}
	if o.Removed.IsZero() && o.Role == itsm.OrgDesk {
		_, err = tx.Put(r)
		return err
	}
	// Directory never lets this happen; a record edited by hand is put
	// right, as the first administrator needs a desk.
	o.Role, o.Removed, o.Changed = itsm.OrgDesk, time.Time{}, now
	return putOrg(tx, o, r.Version, orgEvent{Type: "organisation.updated", By: Admin(), Organisation: o.organisation()}, now)
}
