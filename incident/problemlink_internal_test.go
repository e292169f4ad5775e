package incident

import (
	"context"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A command in a caller's transaction whose payloads would notify fails
// with CodeInternal and, its error rolling the caller's transaction back,
// writes nothing: its messages could be delivered only after a commit it
// does not see.
func TestChangeTxRefusesToLoseMessages(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	dir, err := NewOrganisations(desk)
	if err != nil {
		t.Fatal(err)
	}
	perms := itsm.NewPermissions()
	perms.Grant(desk.ID, itsm.DomainIncident, itsm.AccessAll)
	s, err := New(Config{Store: st, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix()})
	if err != nil {
		t.Fatal(err)
	}
	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	inc, err := s.Register(ctx, agent, Registration{Caller: Caller{Person: "ulla"}, Channel: ChannelPhone,
		Summary: "wifi down", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow})
	if err != nil {
		t.Fatal(err)
	}
	notifying := func(_ itsm.ReadTx, _ *Incident, a itsm.Actor, _ itsm.Organisation, _ time.Time) ([]Payload, error) {
		return []Payload{notified(a, Contact{Person: "dave", Channel: "email", Address: "dave@desk.example"}, "told")}, nil
	}
	err = st.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := s.changeTx(ctx, tx, agent, inc.ID, notifying)
		return err
	})
	if itsm.ErrorCode(err) != itsm.CodeInternal {
		t.Fatalf("a notifying change in a caller's transaction: %v, want code internal", err)
	}
	var v int64
	_ = st.Read(ctx, func(tx itsm.ReadTx) error {
		r, err := tx.Get(Kind, inc.ID)
		v = r.Version
		return err
	})
	if v != inc.Version {
		t.Errorf("the refused change wrote version %d, was %d", v, inc.Version)
	}
}
