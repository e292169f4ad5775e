package demo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// gate is an administrator's transport that, at the first request whose
// path holds at, either fails it or holds it until open is called, so that
// a test stops a seeding at a known step.
type gate struct {
	at   string
	fail bool
	// reached is closed when the request arrives.
	reached chan struct{}
	opened  chan struct{}
	once    sync.Once
	first   sync.Once
}

func newGate(at string, fail bool) *gate {
	return &gate{at: at, fail: fail, reached: make(chan struct{}), opened: make(chan struct{})}
}

func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }

func (g *gate) Do(r *http.Request) (*http.Response, error) {
	hit := false
	if strings.Contains(r.URL.Path, g.at) {
		g.first.Do(func() { hit = true; close(g.reached) })
	}
	if hit && g.fail {
		return nil, errors.New("the test's gate refused the request")
	}
	if hit {
		select {
		case <-g.opened:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return http.DefaultClient.Do(r)
}

// seedResult is what one server's seeding returned.
type seedResult struct {
	cast *demo.Cast
	err  error
}

// seedAsync runs SeedWithPast in a goroutine, as a server starting does.
func seedAsync(ctx context.Context, srv *refservertest.Server, admin *client.ClientWithResponses, past *demo.Past) <-chan seedResult {
	out := make(chan seedResult, 1)
	go func() {
		cast, err := demo.SeedWithPast(ctx, srv.URL, admin, past)
		out <- seedResult{cast, err}
	}()
	return out
}

// asAdmin is a client of srv with the administrator token of the server
// that bootstrapped the database, through doer when it is not nil.
func asAdmin(t *testing.T, srv *refservertest.Server, token string, doer client.HttpRequestDoer) *client.ClientWithResponses {
	t.Helper()
	var opts []client.ClientOption
	if doer != nil {
		opts = append(opts, client.WithHTTPClient(doer))
	}
	c, err := client.New(srv.URL, token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServersSeedOneDatabaseInTurn: of two servers started with --demo on
// one new database at once, the second finds the first seeding half way
// (the desk registered, its rights not yet granted), says it waits, waits,
// and then only issues its own tokens, revoking none of the first's: both
// starts' tokens work, and the register holds the demo once.
func TestServersSeedOneDatabaseInTurn(t *testing.T) {
	ctx := context.Background()
	// The history, an import into the store, would only slow this down.
	demo.WithoutHistory(t)
	for name, database := range backendtest.Databases("demo_") {
		t.Run(name, func(t *testing.T) {
			db := database(t)
			aStore, bStore := db(t), db(t)
			a := refservertest.Start(t, aStore)
			b := refservertest.Start(t, bStore)
			g := newGate("/permissions/grant", false)
			first := seedAsync(ctx, a, asAdmin(t, a, a.AdminToken, g), &demo.Past{Store: aStore})
			<-g.reached
			var since time.Time
			second := seedAsync(ctx, b, asAdmin(t, b, a.AdminToken, nil), &demo.Past{Store: bStore,
				Waiting: func(at time.Time) { since = at; g.open() }})
			bRes := <-second
			// On a failure of the second, the first goes on, so that the
			// test ends.
			g.open()
			aRes := <-first
			if aRes.err != nil || bRes.err != nil {
				t.Fatalf("the first seeding: %v; the second: %v", aRes.err, bRes.err)
			}
			if !aRes.cast.Seeded || aRes.cast.Waited || bRes.cast.Seeded || !bRes.cast.Waited || since.IsZero() {
				t.Errorf("the first seeded %v, waited %v; the second seeded %v, waited %v since %v",
					aRes.cast.Seeded, aRes.cast.Waited, bRes.cast.Seeded, bRes.cast.Waited, since)
			}
			if aRes.cast.Desk != bRes.cast.Desk || aRes.cast.Workplace != bRes.cast.Workplace {
				t.Errorf("the casts differ: %+v and %+v", aRes.cast, bRes.cast)
			}
			for _, tok := range append(aRes.cast.Tokens, bRes.cast.Tokens...) {
				c := asAdmin(t, b, tok.Secret, nil)
				if me, err := client.Check(c.GetMeWithResponse(ctx)); err != nil || me.JSON200.Actor.Person != tok.Actor.Person {
					t.Errorf("%s's token: %v", tok.Actor.Person, err)
				}
			}
			orgs, err := client.Check(asAdmin(t, b, a.AdminToken, nil).ListOrganisationsWithResponse(ctx))
			if err != nil || len(orgs.JSON200.Items) != 5 {
				t.Errorf("the register after both: %v %v, want the platform and the demo's four", orgs, err)
			}
		})
	}
}

// TestSeedingSaysWhatTheOtherServerDid: a server that finds another's
// seeding failed, stopped (no beat for StaleBeats beats) or still going
// after Past.Wait says that, and not that an earlier seeding stopped.
func TestSeedingSaysWhatTheOtherServerDid(t *testing.T) {
	demo.WithoutHistory(t)
	for _, c := range []struct {
		what string
		// fail fails the first seeding at its first group, rather than
		// holding it before the desk's rights.
		fail   bool
		second demo.Past
		want   string
	}{
		{"failed", true, demo.Past{}, "failed half way (demo: create the group"},
		{"stopped", false, demo.Past{Beat: 10 * time.Millisecond}, "stopped half way: its server has not reported for 50ms"},
		{"still seeding", false, demo.Past{Beat: time.Second, Wait: time.Millisecond}, "has not finished within 1ms; start this one again when it has"},
	} {
		t.Run(c.what, func(t *testing.T) {
			store := memstore.New()
			a := refservertest.Start(t, store)
			b := refservertest.Start(t, store)
			at := "/permissions/grant"
			if c.fail {
				at = "/groups"
			}
			g := newGate(at, c.fail)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The first never beats: it looks stopped from its take on.
			first := seedAsync(ctx, a, asAdmin(t, a, a.AdminToken, g), &demo.Past{Store: store, Beat: time.Hour})
			<-g.reached
			if c.fail {
				if r := <-first; r.err == nil {
					t.Fatal("the gate did not fail the first seeding")
				}
			}
			past := c.second
			past.Store = store
			r := <-seedAsync(context.Background(), b, asAdmin(t, b, a.AdminToken, nil), &past)
			if r.err == nil || !strings.Contains(r.err.Error(), c.want) || strings.Contains(r.err.Error(), "an earlier demo seeding") {
				t.Errorf("the second: %v, want an error with %q", r.err, c.want)
			}
			if !c.fail {
				// The first, which only looked stopped, is stopped.
				cancel()
				if r := <-first; !errors.Is(r.err, context.Canceled) {
					t.Errorf("the first, cancelled: %v", r.err)
				}
			}
		})
	}
}
