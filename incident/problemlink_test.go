package incident_test

import (
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// wadb is a workaround database for tests: the workarounds it knows, each
// with what its check answers (nil for one that may be used).
type wadb map[itsm.ID]error

func (d wadb) CheckWorkaround(_ itsm.ReadTx, id itsm.ID) error {
	err, ok := d[id]
	if !ok {
		return itsm.Errorf(itsm.CodeNotFound, "workaround %s not found", id)
	}
	return err
}

// inTx runs fn, one of the commands that change an incident in a caller's
// transaction, in a write transaction of its own, as package problem's
// commands do; an error rolls the transaction back.
func (w *world) inTx(fn func(tx itsm.WriteTx) (*incident.Incident, error)) (*incident.Incident, error) {
	var out *incident.Incident
	err := w.store.Write(w.ctx, func(tx itsm.WriteTx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
