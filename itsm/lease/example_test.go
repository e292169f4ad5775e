package lease_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/lease"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// The loop of a process that wants to be the one of several to send the
// nightly report: it takes the lease when nobody holds it, or when the
// record has not changed for a lease time by its own clock; while it holds
// it, it renews every third of that, and stops when it could not renew in
// time or another took it over.
func Example() {
	type reporter struct {
		Process string `json:"process,omitempty"`
	}
	record := lease.Record[reporter]{Kind: "example.reporter", ID: itsm.MustParseID("00000000-0000-7000-8000-0000000000e1")}
	const leaseTime = 30 * time.Second

	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	clock := itsm.NewManualClock(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))

	var (
		watch lease.Watch
		hold  *lease.Holder[reporter]
	)
	// turn is one turn of the process's loop, which it runs every few
	// seconds.
	turn := func(me string) {
		now := clock.Now()
		if hold != nil {
			if now.Sub(hold.Renewed()) >= leaseTime {
				hold = nil // the others may have taken it by now
			} else if now.Sub(hold.Renewed()) >= leaseTime/3 {
				if err := hold.Renew(ctx, now, nil); errors.Is(err, lease.ErrLost) {
					hold = nil
				}
			}
			return
		}
		var (
			cur     reporter
			version int64
		)
		if err := store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			cur, version, err = record.Get(tx)
			return err
		}); err != nil {
			return
		}
		if cur.Process != "" && now.Sub(watch.Observe(version, now)) < leaseTime {
			fmt.Printf("%s waits: %s holds the lease\n", me, cur.Process)
			return
		}
		h, err := lease.Take(ctx, store, record, version, reporter{Process: me}, now)
		if err != nil {
			watch.Forget() // another was quicker
			return
		}
		hold = h
		fmt.Printf("%s holds the lease\n", me)
	}

	// Another process took the lease, and crashed.
	if _, err := lease.Take(ctx, store, record, 0, reporter{Process: "night-1"}, clock.Now()); err != nil {
		fmt.Println(err)
	}
	turn("night-2")
	clock.Advance(leaseTime)
	turn("night-2")
	if err := hold.Release(ctx, func(r *reporter) { r.Process = "" }); err != nil {
		fmt.Println(err)
	}
	fmt.Println("given back")
	// Output:
	// night-2 waits: night-1 holds the lease
	// night-2 holds the lease
	// given back
}
