package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/request/authority"
)

// TestReportCoversOrders checks that the server's report of a month holds
// its orders next to its incidents: the Requests section counts the order
// placed, and the order is measured by the SLA for requests its item names
// and not by the SLA for incidents it names too (decision 82); an
// organisation without report access to requests gets a report without
// orders rather than a refusal.
func TestReportCoversOrders(t *testing.T) {
	s := newShop(t, memstoreFor(t))
	ctx := s.ctx
	all := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	for _, d := range []itsm.Domain{itsm.DomainIncident, itsm.DomainServiceLevel} {
		if r, err := s.admin.GrantPermissionsWithResponse(ctx, s.desk, api.Rights{Domain: d, Access: all}); err != nil || r.JSON200 == nil {
			t.Fatalf("grant %s: %v %s", d, err, body(r))
		}
	}
	if r, err := s.admin.PutCalendarWithBodyWithResponse(ctx, "uc-hours", "application/json", strings.NewReader(alwaysCalendar)); err != nil || r.StatusCode() >= 300 {
		t.Fatalf("calendar: %v %s", err, body(r))
	}
	orders := strings.Replace(agreementJSON("Requests SLA", "SLA", s.desk, s.city, "16h", "uc-hours"),
		`"kind":"SLA",`, `"kind":"SLA","scope":"requests",`, 1)
	for _, raw := range []string{orders, agreementJSON("Incident SLA", "SLA", s.desk, s.city, "16h", "uc-hours")} {
		if r, err := s.admin.CreateAgreementWithBodyWithResponse(ctx, "application/json", strings.NewReader(raw)); err != nil || r.JSON201 == nil {
			t.Fatalf("agreement: %v %s", err, body(r))
		}
	}
	item := s.phoneItem()
	def := item.Versions[0].Definition
	def.Agreements = []string{"Requests SLA", "Incident SLA"}
	if r, err := s.deskAdmin.ReviseCatalogueItemWithResponse(ctx, item.ID, nil, def); err != nil || r.JSON200 == nil {
		t.Fatalf("revise: %v %s", err, body(r))
	}
	if r, err := s.owner.AgreeCatalogueItemVersionWithResponse(ctx, item.ID, 2, nil, api.CatalogueAgreementInput{}); err != nil || r.JSON200 == nil {
		t.Fatalf("agree: %v %s", err, body(r))
	}
	s.grant("carl", authority.RoleRequester, item.ID)
	s.grant("anna", authority.RoleApprover, item.ID)
	s.place(item.ID)

	month := time.Now().In(mustZone(t)).Format("2006-01")
	get := func() *api.Report {
		t.Helper()
		r, err := s.agent.GetReportWithResponse(ctx, &api.GetReportParams{Month: month, Zone: "Europe/Stockholm"}, dropZeros)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("report: %v %s", err, body(r))
		}
		return r.JSON200
	}
	// Without report access to requests: the incidents' report alone.
	if rep := get(); rep.Requests != nil {
		t.Errorf("a desk without report access to requests got their figures: %+v", rep.Requests)
	}
	if r, err := s.admin.GrantPermissionsWithResponse(ctx, s.desk, api.Rights{Domain: itsm.DomainRequest, Access: all}); err != nil || r.JSON200 == nil {
		t.Fatalf("grant requests: %v %s", err, body(r))
	}
	rep := get()
	if rep.Requests == nil || rep.Requests.Total.Placed != 1 || len(rep.Requests.Types) != 1 || rep.Requests.Types[0].Key != "C" {
		t.Fatalf("requests: %+v", rep.Requests)
	}
	var measured []string
	for _, m := range rep.Total.Metrics {
		measured = append(measured, m.Agreement+" "+string(m.Metric))
	}
	if !slices.Equal(measured, []string{"Requests SLA resolution"}) {
		t.Errorf("the order is measured by %v, want the SLA for requests alone", measured)
	}
}

func mustZone(t *testing.T) *time.Location {
	t.Helper()
	z, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return z
}
