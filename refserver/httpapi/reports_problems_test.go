package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/sla/report"
)

// A follow-up computed with the server's problem service has the problem
// figures of its month (decision 107): the desk's problems and known
// errors whatever customer they concern, and the customer's own incidents
// resolved by a workaround. Without a problem service, or for a desk
// without report access to problems, the report has none and its JSON is
// exactly that of a report made before problems existed.
func TestFollowUpComputeProblems(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := itsm.NewManualClock(start)
	store := memstore.New()
	defer store.Close()
	if err := auth.Bootstrap(ctx, store, auth.NewSecret(), io.Discard); err != nil {
		t.Fatal(err)
	}
	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	org := func(name string, role itsm.OrgRole) itsm.ID {
		o, err := dir.Create(ctx, auth.Admin(), itsm.Organisation{Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []itsm.Domain{itsm.DomainIncident, itsm.DomainProblem} {
			if _, err := dir.Grant(ctx, auth.Admin(), o.ID, d, itsm.AccessAll); err != nil {
				t.Fatal(err)
			}
		}
		return o.ID
	}
	desk, city, town := org("Service Desk", itsm.OrgDesk), org("City", itsm.OrgCustomer), org("Town", itsm.OrgCustomer)
	agent := itsm.Actor{Organisation: desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	wadb, err := problem.New(problem.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	incidents, err := incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Clock: clock, Workarounds: wadb})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := problem.New(problem.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Incidents: incidents, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}

	// November: a problem of the desk, a known error without a fix, and one
	// incident of each customer resolved by the workaround.
	if _, err := problems.Record(ctx, agent, problem.Recording{Summary: "Mail relay drops messages", Priority: 2}); err != nil {
		t.Fatal(err)
	}
	wa, err := problems.RecordWorkaround(ctx, agent, problem.WorkaroundDraft{Title: "Send through the backup relay",
		Steps: "Choose the backup relay.", Risk: problem.RiskLow, Applier: []problem.Applier{problem.ApplierUser}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := problems.RecordKnownError(ctx, agent, problem.KnownErrorDraft{Title: "Relay certificate expired",
		Symptom: "Mail stops arriving.", RootCause: "The certificate expired."}); err != nil {
		t.Fatal(err)
	}
	for _, customer := range []itsm.ID{city, town} {
		clock.Advance(time.Hour)
		inc, err := incidents.Register(ctx, agent, incident.Registration{Customer: customer,
			Caller: incident.Caller{Person: "ulla", Name: "Ulla User", Contact: "+46701234567"}, Channel: incident.ChannelPhone,
			Summary: "No mail", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if _, err := incidents.Resolve(ctx, agent, inc.ID, incident.Resolution{Code: incident.CodeWorkaround,
			Text: "Use the backup relay.", Workaround: wa.ID}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	month := report.Month(2026, time.November, time.UTC)
	as := auth.WithActor(ctx, agent, itsm.NewID())
	compute := func(prob *problem.Service) *report.Report {
		t.Helper()
		rep, err := httpapi.FollowUpCompute(store, dir, incidents, nil, prob)(as, desk, city, month)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	encode := func(r *report.Report) string {
		t.Helper()
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	rep := compute(problems)
	if rep.Problems == nil {
		t.Fatal("the follow-up has no problem figures")
	}
	if tot := rep.Problems.Total; tot.Opened != 1 || tot.Open != 1 || tot.KnownErrorsUnfixed != 1 ||
		tot.IncidentsResolved != 1 || tot.ByWorkaround != 1 {
		t.Errorf("problem figures %+v; want the desk's problem and known error, and the city's one incident by a workaround", tot)
	}

	before := encode(compute(nil))
	if strings.Contains(before, `"problems"`) {
		t.Errorf("without a problem service the report has problem figures: %s", before)
	}
	if _, err := dir.Revoke(ctx, auth.Admin(), desk, itsm.DomainProblem, itsm.AccessReport); err != nil {
		t.Fatal(err)
	}
	if got := encode(compute(problems)); got != before {
		t.Errorf("a desk without report access to problems gets\n%s\nwant, as without a problem service,\n%s", got, before)
	}
}
