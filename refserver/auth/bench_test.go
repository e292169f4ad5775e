package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// BenchmarkAuthenticate measures one authentication against its floor, the
// two reads an authentication from the store makes (the token by its
// digest, then its organisation) done bare on the same store in the same
// run. "uncached" reads the store every time (SetFreshness(0)), so the
// ratio says what caching could save at most; "cached" is a repeated
// authentication within the freshness window, served from memory, so the
// ratio says what it does save. Run with -bench Authenticate; the ratio is
// reported as "x-reads".
func BenchmarkAuthenticate(b *testing.B) {
	for _, name := range []string{"memstore/uncached", "memstore/cached", "sqlitestore/uncached", "sqlitestore/cached"} {
		b.Run(name, func(b *testing.B) {
			var store itsm.Store = memstore.New()
			if strings.HasPrefix(name, "sqlitestore") {
				store = backendtest.SQLite(b, filepath.Join(b.TempDir(), "spoc.db"), sqlitestore.Options{})
			}
			w := newWorld(b, store)
			if strings.HasSuffix(name, "uncached") {
				w.dir.SetFreshness(0)
			}
			_, secret := w.issue(w.deskAgent, time.Time{})
			ctx := context.Background()
			tok, _, err := w.tokens.Authenticate(ctx, secret)
			if err != nil {
				b.Fatal(err)
			}
			hash := hashOf(secret)
			bare := func() {
				err := w.store.Read(ctx, func(tx itsm.ReadTx) error {
					if _, err := tx.Query(itsm.Query{Kind: auth.KindToken, Index: "hash", Match: itsm.MatchEqual, Value: hash, Limit: 1}); err != nil {
						return err
					}
					return nil
				})
				if err == nil {
					err = w.store.Read(ctx, func(tx itsm.ReadTx) error {
						_, err := tx.Get(auth.KindOrganisation, tok.Organisation)
						return err
					})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				bare() // warm both paths alike
			}
			for b.Loop() {
				if _, _, err := w.tokens.Authenticate(ctx, secret); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			start := time.Now()
			for range b.N {
				bare()
			}
			floor := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per)/float64(floor), "x-reads")
		})
	}
}
