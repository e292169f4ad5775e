package auth_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

var printed = regexp.MustCompile(`spoc_[A-Za-z0-9_-]{43}`)

// authenticates checks that secret authenticates the first administrator on
// store.
func authenticates(t *testing.T, store itsm.Store, secret string) {
	t.Helper()
	dir, err := auth.NewDirectory(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	actor, _, err := auth.NewTokens(dir, nil).Authenticate(context.Background(), secret)
	if err != nil {
		t.Fatalf("the bootstrap token does not authenticate: %v", err)
	}
	if actor.Person != auth.AdminPerson || actor.Organisation != auth.AdminOrganisation || !actor.HasRole(itsm.RoleAdmin) || len(actor.Roles) != 1 {
		t.Errorf("bootstrap actor %+v", actor)
	}
	org, err := dir.Organisation(context.Background(), auth.AdminOrganisation)
	if err != nil || org.Role != itsm.OrgDesk {
		t.Errorf("administration organisation %+v %v", org, err)
	}
	for _, d := range []itsm.Domain{itsm.DomainIncident, itsm.DomainRequest, itsm.DomainProblem, itsm.DomainCMDB, itsm.DomainKnowledge, itsm.DomainServiceLevel} {
		if a := dir.Permissions().Granted(auth.AdminOrganisation, d); a != 0 {
			t.Errorf("the administration organisation has %s in %s", a, d)
		}
	}
}

// Without SPOC_ADMIN_TOKEN the first start prints a new token once; later
// starts print nothing.
func TestBootstrapPrintsOnce(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			var out bytes.Buffer
			if err := auth.Bootstrap(context.Background(), open(t), "", &out); err != nil {
				t.Fatal(err)
			}
			secrets := printed.FindAllString(out.String(), -1)
			if len(secrets) != 1 || !strings.Contains(out.String(), "shown only now") || !strings.Contains(out.String(), "Authorization: Bearer") {
				t.Fatalf("first start printed:\n%s", out.String())
			}
			store := open(t)
			authenticates(t, store, secrets[0])
			for i := range 2 {
				out.Reset()
				if err := auth.Bootstrap(context.Background(), open(t), "", &out); err != nil {
					t.Fatal(err)
				}
				if out.Len() != 0 {
					t.Fatalf("start %d printed:\n%s", i+2, out.String())
				}
			}
			if n := len(records(t, store, auth.KindToken)); n != 1 {
				t.Fatalf("%d tokens after three starts", n)
			}
			if n := len(records(t, store, auth.KindOrganisation)); n != 1 {
				t.Fatalf("%d organisations after three starts", n)
			}
		})
	}
}

// SPOC_ADMIN_TOKEN becomes the first token, stored as its digest; it is
// not printed, and a later start with another value ignores it and says so.
func TestBootstrapFromEnv(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			secret := auth.NewSecret()
			var out bytes.Buffer
			if err := auth.Bootstrap(context.Background(), open(t), secret, &out); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), secret) || printed.MatchString(out.String()) || !strings.Contains(out.String(), "SPOC_ADMIN_TOKEN") {
				t.Fatalf("printed:\n%s", out.String())
			}
			store := open(t)
			authenticates(t, store, secret)
			recs := records(t, store, auth.KindToken)
			if len(recs) != 1 || recs[0].Unique["hash"] != hashOf(secret) {
				t.Fatalf("tokens %+v", recs)
			}

			// Same value again (with the newline a file may add): silent.
			out.Reset()
			if err := auth.Bootstrap(context.Background(), open(t), secret+"\n", &out); err != nil || out.Len() != 0 {
				t.Fatalf("second start: %v, printed %q", err, out.String())
			}
			// Another value: ignored, and said so.
			other := auth.NewSecret()
			if err := auth.Bootstrap(context.Background(), open(t), other, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "SPOC_ADMIN_TOKEN is ignored") || strings.Contains(out.String(), other) {
				t.Errorf("printed %q", out.String())
			}
			if n := len(records(t, store, auth.KindToken)); n != 1 {
				t.Fatalf("%d tokens", n)
			}
		})
	}
}

func TestBootstrapRefusesBadEnv(t *testing.T) {
	good := auth.NewSecret()
	// The last character of 32 bytes in base64 carries two unused bits,
	// which must be zero: "B" sets one.
	loose := good[:len(good)-1] + "B"
	for _, env := range []string{
		"changeme-changeme",
		"spoc_",
		"spoc_" + strings.Repeat("!", 43),
		"spoc_" + strings.Repeat("A", 42),
		strings.TrimPrefix(good, "spoc_"),
		"SPOC_" + strings.TrimPrefix(good, "spoc_"),
		good + "A",
		good + "=",
		loose,
		good[:20] + " " + good[21:],
	} {
		store := backends()["memstore"](t)(t)
		var out bytes.Buffer
		err := auth.Bootstrap(context.Background(), store, env, &out)
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "SPOC_ADMIN_TOKEN") {
			t.Errorf("%q: %v, want invalid naming SPOC_ADMIN_TOKEN", env, err)
			continue
		}
		if len(env) > 10 && strings.Contains(err.Error(), strings.TrimSpace(env)) {
			t.Errorf("the error shows the value: %v", err)
		}
		if out.Len() != 0 || len(records(t, store, auth.KindToken)) != 0 || len(records(t, store, auth.KindOrganisation)) != 0 || len(events(t, store)) != 0 {
			t.Errorf("%q: wrote something (printed %q)", env, out.String())
		}
	}
	if err := auth.Bootstrap(context.Background(), backends()["memstore"](t)(t), "", nil); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("no env and no output: %v", err)
	}
	// The message tells how to make a good one, and that command's output
	// would pass.
	err := auth.Bootstrap(context.Background(), backends()["memstore"](t)(t), "x", nil)
	if err == nil || !strings.Contains(err.Error(), "/dev/urandom") {
		t.Errorf("no hint: %v", err)
	}
}

// When every administrator token has been revoked, the next start makes a
// new one, so an operator who locked everyone out gets back in; the revoked
// secret cannot come back through SPOC_ADMIN_TOKEN.
func TestBootstrapAfterLockout(t *testing.T) {
	w := newWorld(t, backends()["sqlitestore"](t)(t))
	list, _, err := w.tokens.List(w.ctx, w.admin, auth.ListQuery{})
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	if _, err := w.tokens.Revoke(w.ctx, w.admin, list[0].ID); err != nil {
		t.Fatal(err)
	}
	// An organisation's administrator, of a supplier or of a desk, does not
	// count: it cannot manage the register.
	w.issue(itsm.Actor{Organisation: w.supplier.ID, Person: "sam@net", Roles: []itsm.Role{itsm.RoleAdmin}}, start.Add(1<<40))
	w.issue(itsm.Actor{Organisation: w.desk.ID, Person: "dora@desk", Roles: []itsm.Role{itsm.RoleAdmin}}, start.Add(1<<40))
	if err := auth.Bootstrap(w.ctx, w.store, w.adminSecret, nil); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("the revoked secret again: %v", err)
	}
	var out bytes.Buffer
	if err := auth.Bootstrap(w.ctx, w.store, "", &out); err != nil {
		t.Fatal(err)
	}
	secrets := printed.FindAllString(out.String(), -1)
	if len(secrets) != 1 {
		t.Fatalf("printed %q", out.String())
	}
	authenticates(t, w.store, secrets[0])
	if _, _, err := w.tokens.Authenticate(w.ctx, w.adminSecret); err == nil {
		t.Error("the revoked token came back")
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

// A token nobody saw is revoked, and the next start makes another.
func TestBootstrapPrintFails(t *testing.T) {
	store := backends()["memstore"](t)(t)
	err := auth.Bootstrap(context.Background(), store, "", brokenWriter{})
	if err == nil || !strings.Contains(err.Error(), "stdout closed") {
		t.Fatalf("%v", err)
	}
	var out bytes.Buffer
	if err := auth.Bootstrap(context.Background(), store, "", &out); err != nil {
		t.Fatal(err)
	}
	secrets := printed.FindAllString(out.String(), -1)
	if len(secrets) != 1 {
		t.Fatalf("printed %q", out.String())
	}
	authenticates(t, store, secrets[0])
	recs := records(t, store, auth.KindToken)
	if len(recs) != 2 || !bytes.Contains(recs[0].Body, []byte(`"revoked"`)) || bytes.Contains(recs[1].Body, []byte(`"revoked"`)) {
		t.Errorf("tokens: %d, first %s", len(recs), recs[0].Body)
	}
}

// Processes starting at once on one database make one administrator token,
// and only the one that made it prints it.
func TestConcurrentBootstrap(t *testing.T) {
	const processes = 4
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			for round := range 5 {
				open := b(t)
				stores := make([]itsm.Store, processes)
				for i := range stores {
					stores[i] = open(t)
				}
				env := ""
				if round%2 == 1 {
					env = auth.NewSecret()
				}
				outs := make([]bytes.Buffer, processes)
				errs := make([]error, processes)
				var wg sync.WaitGroup
				gate := make(chan struct{})
				for i := range processes {
					wg.Go(func() {
						<-gate
						errs[i] = auth.Bootstrap(context.Background(), stores[i], env, &outs[i])
					})
				}
				close(gate)
				wg.Wait()
				var said []string
				for i := range processes {
					if errs[i] != nil {
						t.Fatalf("round %d, process %d: %v", round, i, errs[i])
					}
					if outs[i].Len() > 0 {
						said = append(said, outs[i].String())
					}
				}
				if n := len(records(t, stores[0], auth.KindToken)); n != 1 {
					t.Fatalf("round %d: %d administrator tokens", round, n)
				}
				if len(said) != 1 {
					t.Fatalf("round %d: %d processes printed: %q", round, len(said), said)
				}
				secret := env
				if env == "" {
					secret = printed.FindString(said[0])
				}
				authenticates(t, stores[0], secret)
			}
		})
	}
}

// The message says who the token acts as, and how to choose one instead.
func TestBootstrapMessageNamesTheOrganisation(t *testing.T) {
	var out bytes.Buffer
	store := backends()["memstore"](t)(t)
	if err := auth.Bootstrap(context.Background(), store, "", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{auth.AdminPerson, auth.AdminOrganisation.String(), "SPOC_ADMIN_TOKEN", "spoc administration"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the message does not name %q:\n%s", want, out.String())
		}
	}
}

// SPOC_ADMIN_TOKEN needs no output: nothing is shown.
func TestBootstrapFromEnvWithoutOutput(t *testing.T) {
	store := backends()["memstore"](t)(t)
	secret := auth.NewSecret()
	for range 2 {
		if err := auth.Bootstrap(context.Background(), store, secret, nil); err != nil {
			t.Fatal(err)
		}
	}
	authenticates(t, store, secret)
}
