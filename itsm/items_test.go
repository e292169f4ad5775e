package itsm_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/itemtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// CheckNewItems checks only the items a command adds, against the CMDB's
// records as the transaction reads them, names the command in a refusal
// with the CMDB's code, and checks nothing without a CMDB.
func TestCheckNewItems(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	desk, other := itsm.NewID(), itsm.NewID()
	live, retired, theirs, unknown := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
	itemtest.Put(t, s, itemtest.Item{ID: live, Desk: desk}, itemtest.Item{ID: retired, Desk: desk, Retired: true},
		itemtest.Item{ID: theirs, Desk: other})
	cases := []struct {
		name      string
		items     itsm.ConfigItems
		ids, held []itsm.ID
		refused   itsm.ID // zero: accepted
	}{
		{"none", itemtest.CMDB{}, nil, nil, itsm.ID{}},
		{"a live item", itemtest.CMDB{}, []itsm.ID{live}, nil, itsm.ID{}},
		{"an unknown item", itemtest.CMDB{}, []itsm.ID{live, unknown}, nil, unknown},
		{"another desk's item", itemtest.CMDB{}, []itsm.ID{theirs}, nil, theirs},
		{"a retired item", itemtest.CMDB{}, []itsm.ID{retired, live}, nil, retired},
		{"the first refused is named", itemtest.CMDB{}, []itsm.ID{unknown, retired}, nil, unknown},
		{"a retired item held already", itemtest.CMDB{}, []itsm.ID{retired, live}, []itsm.ID{retired}, itsm.ID{}},
		{"a retired item held with a new unknown one", itemtest.CMDB{}, []itsm.ID{retired, unknown}, []itsm.ID{retired}, unknown},
		{"no CMDB", nil, []itsm.ID{unknown, retired}, nil, itsm.ID{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Read(t.Context(), func(tx itsm.ReadTx) error {
				return itsm.CheckNewItems(c.items, tx, "relate INC0000001", desk, c.ids, c.held)
			})
			if c.refused.IsZero() {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, itsm.CodeInvalid)
			if msg := err.Error(); !strings.HasPrefix(msg, "invalid: relate INC0000001: configuration item ") || !strings.Contains(msg, c.refused.String()) {
				t.Errorf("error %q does not name the command and item %s", msg, c.refused)
			}
		})
	}
	// A failure of the CMDB's store keeps its code: a retry may succeed.
	err := s.Read(t.Context(), func(tx itsm.ReadTx) error {
		return itsm.CheckNewItems(unavailable{}, tx, "register", desk, []itsm.ID{live}, nil)
	})
	wantCode(t, err, itsm.CodeUnavailable)
}

// unavailable is a CMDB whose store is down.
type unavailable struct{}

func (unavailable) CheckItems(itsm.ReadTx, itsm.ID, []itsm.ID) error {
	return itsm.Errorf(itsm.CodeUnavailable, "the CMDB's database is down")
}

func (unavailable) Responsible(itsm.ReadTx, itsm.ID) (itsm.ID, error) {
	return itsm.ID{}, itsm.Errorf(itsm.CodeUnavailable, "the CMDB's database is down")
}
