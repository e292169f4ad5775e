package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// BenchmarkAuthenticate measures one authentication against its floor, the
// two reads it makes (the token by its digest, then its organisation) done
// bare on the same store in the same run: the ratio says what caching could
// save at most. Run with -bench Authenticate; the ratio is reported as
// "x-reads".
func BenchmarkAuthenticate(b *testing.B) {
	for _, name := range []string{"memstore", "sqlitestore"} {
		b.Run(name, func(b *testing.B) {
			var store itsm.Store = memstore.New()
			if name == "sqlitestore" {
				store = openSQLite(b, filepath.Join(b.TempDir(), "spoc.db"))
			}
			w := newWorld(b, store)
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
