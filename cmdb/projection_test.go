package cmdb_test

import (
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/backendtest"
)

// TestGraphFollowsOtherProcesses: two processes on one database; what one
// registers, relates and retires, the other's graph follows after Sync
// (and within its Poll); a third, started after, builds the same graph
// from the records.
func TestGraphFollowsOtherProcesses(t *testing.T) {
	for name, makeDB := range backendtest.Databases("spoc_cmdb_") {
		t.Run(name, func(t *testing.T) {
			db := makeDB(t)
			a := newWorld(t, db(t))
			b := newWorld(t, db(t))
			site := b.item("site", "Stadshuset", map[string]string{"site_code": "SH1"})
			srv := b.server("srv01", rel("located_at", site))
			app := b.item("application", "Ekonomi", nil, rel("runs_on", srv))
			w := a
			w.ok(w.svc.Sync(w.ctx))
			im, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: site.ID}})
			w.ok(err)
			if len(im.Items) != 3 || im.Items[2].Item != app.ID || len(im.Items[2].Path) != 3 {
				t.Fatalf("the other process's impact: %+v", im.Items)
			}
			_, err = b.svc.SetState(b.ctx, b.deskAgent, srv.ID, cmdb.StateRetired, "")
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			im, err = w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: site.ID}})
			w.ok(err)
			if len(im.Items) != 1 {
				t.Fatalf("after the server retired: %+v", im.Items)
			}
			if st := w.svc.GraphStatus(); st.Items != 2 || st.Edges != 0 || st.Err != "" || st.Position == 0 {
				t.Fatalf("status %+v", st)
			}
			c := newWorld(t, db(t))
			if x, y := a.svc.GraphStatus(), c.svc.GraphStatus(); x.Items != y.Items || x.Edges != y.Edges || x.Position != y.Position {
				t.Fatalf("followed %+v, built %+v", x, y)
			}
		})
	}
}

// TestGraphPolls: a Service with a short Poll follows another process's
// write without Sync.
func TestGraphPolls(t *testing.T) {
	store := backends()["memstore"](t)
	a := newWorld(t, store)
	svc, err := cmdb.New(a.ctx, cmdb.Config{Store: store, Directory: a.dir, Permissions: a.perms, Clock: a.clock, Poll: time.Millisecond})
	a.ok(err)
	defer svc.Close()
	a.server("srv01")
	deadline := time.Now().Add(10 * time.Second)
	for svc.GraphStatus().Items != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the graph did not follow the write")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestImpactWhileWriting: analyses run while commands change the graph
// (run it with -race), and each command is in the graph when the next
// analysis of the same Service starts.
func TestImpactWhileWriting(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	cl := w.item("cluster", "Kluster", nil)
	root := w.server("root")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: root.ID}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	n := 30
	if testing.Short() {
		n = 10
	}
	prev := root
	for i := range n {
		s := w.server("s"+itoa(i), rel("runs_on", prev), rel("member_of", cl))
		im, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: root.ID}})
		w.ok(err)
		if len(im.Items) != i+3 { // root, the chain, and the cluster
			t.Fatalf("after server %d: %d items hurt, want %d", i, len(im.Items), i+3)
		}
		prev = s
	}
	close(stop)
	wg.Wait()
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }
