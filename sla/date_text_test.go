package sla_test

import (
	"encoding/json"
	"testing"

	"github.com/spoc-itsm/spoc/sla"
)

// A Date is a day as people write it in JSON, the zero Date is left out by
// omitzero, and nothing but a real YYYY-MM-DD day is read back.
func TestDateInJSON(t *testing.T) {
	type v struct {
		From  sla.Date `json:"from"`
		Until sla.Date `json:"until,omitzero"`
	}
	b, err := json.Marshal(v{From: sla.Date{Year: 2026, Month: 4, Day: 30}})
	if err != nil || string(b) != `{"from":"2026-04-30"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var got v
	if err := json.Unmarshal([]byte(`{"from":"2026-04-30","until":"2026-05-01"}`), &got); err != nil || got.Until != (sla.Date{Year: 2026, Month: 5, Day: 1}) {
		t.Fatalf("unmarshal: %+v, %v", got, err)
	}
	for _, bad := range []string{`{"from":"2026-02-30"}`, `{"from":"30/4/2026"}`, `{"from":"2026-4-30"}`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("%s read as %+v", bad, got)
		}
	}
}
