package auth

import (
	"context"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A reader that read an organisation before a change and applies it after
// must not put back what the change took away: Permissions follows record
// versions, not the order in which goroutines get to apply them.
func TestApplyIgnoresOlderVersions(t *testing.T) {
	store := memstore.New()
	defer store.Close()
	d, err := NewDirectory(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := itsm.NewID()
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	rec := func(version int64, r rights, removed bool) *orgRecord {
		o := &orgRecord{ID: id, Name: "S", Role: itsm.OrgSupplier, Rights: r, Created: at, Changed: at, version: version}
		if removed {
			o.Removed = at
		}
		return o
	}
	p := d.Permissions()
	d.apply(rec(3, rights{itsm.DomainIncident: itsm.AccessRead}, false))
	d.apply(rec(2, rights{itsm.DomainIncident: itsm.AccessAll, itsm.DomainCMDB: itsm.AccessRead}, false))
	if got := p.Granted(id, itsm.DomainIncident); got != itsm.AccessRead {
		t.Errorf("incident: %s after an older version came late", got)
	}
	if got := p.Granted(id, itsm.DomainCMDB); got != 0 {
		t.Errorf("cmdb: %s after an older version came late", got)
	}
	d.apply(rec(4, rights{itsm.DomainCMDB: itsm.AccessWrite, "future_domain": itsm.AccessRead}, false))
	if a, b, c := p.Granted(id, itsm.DomainIncident), p.Granted(id, itsm.DomainCMDB), p.Granted(id, "future_domain"); a != 0 || b != itsm.AccessWrite || c != itsm.AccessRead {
		t.Errorf("version 4: incident %s, cmdb %s, future %s", a, b, c)
	}
	d.apply(rec(5, rights{itsm.DomainCMDB: itsm.AccessWrite}, true))
	for _, dom := range append(domains, "future_domain") {
		if got := p.Granted(id, dom); got != 0 {
			t.Errorf("removed, yet %s in %s", got, dom)
		}
	}
}
