package problem_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/itemtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
)

// With a CMDB (Config.Items, here the tests' CMDB of records), problems and
// known errors relate only to the desk's items in use: recording, Relate,
// recording a known error (alone or by Identify) and revising one refuse an
// unknown, retired or other desk's item, naming it, and write nothing; the
// items a record keeps are not checked again once retired. On every
// backend, since the check reads the store in the command's transaction.
func TestItemsAreTheDesksInUse(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			svc, err := problem.New(problem.Config{Store: w.store, Directory: w.dir, Permissions: w.perms, Incidents: w.inc,
				Clock: w.clock, Items: itemtest.CMDB{}})
			w.ok(err)
			relay, server, old, theirs, unknown := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
			itemtest.Put(t, w.store, itemtest.Item{ID: relay, Desk: deskID, Supplier: mailcoID}, itemtest.Item{ID: server, Desk: deskID},
				itemtest.Item{ID: old, Desk: deskID, Retired: true}, itemtest.Item{ID: theirs, Desk: desk2ID})
			refused := func(item itsm.ID, cmd func() error) {
				t.Helper()
				var err error
				w.refuse(itsm.CodeInvalid, func() error { err = cmd(); return err })
				if !strings.Contains(err.Error(), "configuration item "+item.String()) {
					t.Errorf("error %q does not name configuration item %s", err, item)
				}
			}
			recording := func(cis ...itsm.ID) problem.Recording {
				return problem.Recording{Summary: "Mail stops", Priority: 2, CIs: cis}
			}
			kdraft := func(cis ...itsm.ID) problem.KnownErrorDraft {
				d := draft("Relay certificate")
				d.CIs = cis
				return d
			}

			p, err := svc.Record(w.ctx, w.deskAgent, recording(relay))
			w.ok(err)
			// A supplier records for the desk it names, in that desk's CMDB.
			_, err = svc.Record(w.ctx, w.mailAgent, problem.Recording{Desk: deskID, Summary: "Relay", Priority: 3, CIs: []itsm.ID{relay, server}})
			w.ok(err)
			k, err := svc.RecordKnownError(w.ctx, w.deskAgent, kdraft(relay))
			w.ok(err)
			for _, bad := range []itsm.ID{unknown, old, theirs} {
				refused(bad, func() error { _, err := svc.Record(w.ctx, w.deskAgent, recording(relay, bad)); return err })
				refused(bad, func() error {
					_, err := svc.Relate(w.ctx, w.deskAgent, p.ID, problem.Relations{CIs: []itsm.ID{relay, bad}})
					return err
				})
				refused(bad, func() error { _, err := svc.RecordKnownError(w.ctx, w.deskAgent, kdraft(bad)); return err })
				refused(bad, func() error { _, err := svc.ReviseKnownError(w.ctx, w.deskAgent, k.ID, kdraft(relay, bad)); return err })
			}
			// The refusals took no number.
			next, err := svc.Record(w.ctx, w.deskAgent, recording())
			w.ok(err)
			if next.Number.Seq != p.Number.Seq+2 {
				t.Errorf("the next problem is %s after %s and one more", next.Number, p.Number)
			}

			// Identify records the known error in the problem's desk.
			_, err = svc.Investigate(w.ctx, w.deskAgent, p.ID)
			w.ok(err)
			refused(old, func() error { _, _, err := svc.Identify(w.ctx, w.deskAgent, p.ID, kdraft(old)); return err })
			_, ke, err := svc.Identify(w.ctx, w.deskAgent, p.ID, kdraft(server))
			w.ok(err)

			// The relay is retired: the problem and the known error keep
			// it, and may add another.
			itemtest.Put(t, w.store, itemtest.Item{ID: relay, Desk: deskID, Supplier: mailcoID, Retired: true})
			p, err = svc.Relate(w.ctx, w.deskAgent, p.ID, problem.Relations{CIs: []itsm.ID{relay, server}})
			w.ok(err)
			k, err = svc.ReviseKnownError(w.ctx, w.deskAgent, k.ID, kdraft(server, relay))
			w.ok(err)
			if !slices.Equal(p.CIs, []itsm.ID{relay, server}) || !slices.Equal(k.CIs, []itsm.ID{server, relay}) {
				t.Errorf("problem related to %v, known error to %v", p.CIs, k.CIs)
			}
			// A known error without it adds it as new: refused.
			refused(relay, func() error {
				_, err := svc.ReviseKnownError(w.ctx, w.deskAgent, ke.ID, kdraft(server, relay))
				return err
			})
			w.replayed(p)

			// The service without a CMDB relates to any ID, as before.
			_, err = w.svc.Relate(w.ctx, w.deskAgent, p.ID, problem.Relations{CIs: []itsm.ID{unknown, old}})
			w.ok(err)
		})
	}
}
