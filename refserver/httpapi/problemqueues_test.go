package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/sla"
)

// problemAgreementJSON is an agreement of scope problems with a resolution
// target of urgent at priority 1 and of normal at the other priorities, on
// the calendar uc-hours.
func problemAgreementJSON(name, kind string, provider, consumer itsm.ID, urgent, normal string) string {
	raw := agreementJSON(name, kind, provider, consumer, normal, "uc-hours")
	raw = strings.Replace(raw, `"priority":1,"within":"`+normal+`"`, `"priority":1,"within":"`+urgent+`"`, 1)
	return strings.Replace(raw, `"kind":"`+kind+`",`, `"kind":"`+kind+`","scope":"problems",`, 1)
}

// TestProblemClocksAndQueuesOverHTTP sets agreements of scope problems
// through the agreements API on every backend and takes two problems to a
// group of supplier A: each party reads the clocks it may (the desk every
// one, the supplier its UC, running and due, the customer its own SLA and
// not another customer's, decision 111), and the supplier's group reads its
// queue due first, unassigned and assigned, while another supplier finds no
// such group and the desk's group keeps what the desk holds.
func TestProblemClocksAndQueuesOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_problem_queues") {
		t.Run(name, func(t *testing.T) { problemClocksAndQueues(t, newClinic(t, open(t))) })
	}
}

func problemClocksAndQueues(t *testing.T, c *clinic) {
	ctx := c.ctx
	harbour := c.org("Harbour", itsm.OrgCustomer)
	cal, err := c.deskAdmin.PutCalendarWithBodyWithResponse(ctx, "uc-hours", "application/json", strings.NewReader(alwaysCalendar))
	want(t, "put the calendar", cal, err, http.StatusCreated)
	for _, raw := range []string{
		problemAgreementJSON("Readers problem UC", "UC", c.supA, c.desk, "1h", "40h"),
		problemAgreementJSON("City problem SLA", "SLA", c.desk, c.city, "8h", "80h"),
		problemAgreementJSON("Harbour problem SLA", "SLA", c.desk, harbour, "8h", "80h"),
		// Scoped to incidents: it measures no problem.
		agreementJSON("Readers incident UC", "UC", c.supA, c.desk, "4h", "uc-hours"),
	} {
		r, err := c.deskAdmin.CreateAgreementWithBodyWithResponse(ctx, "application/json", strings.NewReader(raw))
		want(t, "create an agreement", r, err, http.StatusCreated)
	}
	group := func(org itsm.ID, name string, members ...string) itsm.ID {
		t.Helper()
		r, err := c.admin.CreateGroupWithResponse(ctx, org, api.GroupInput{Name: name, Members: members})
		return want(t, "create group "+name, r, err, http.StatusCreated).JSON201.ID
	}
	readers := group(c.supA, "Readers", "alice", "amir")
	pm := group(c.desk, "Problem management", "dana")

	// slow is delegated first at priority 3, urgent after it at priority
	// 1: urgent is due first. stays remains with the desk's group.
	record := func(summary string, priority itsm.Priority) *problem.Problem {
		t.Helper()
		r, err := c.agent.RecordProblemWithResponse(ctx, nil, api.ProblemRecording{Summary: summary, Priority: priority, Group: pm})
		return want(t, "record "+summary, r, err, http.StatusCreated).JSON201
	}
	slow := record("Badge readers slow in the morning", 3)
	urgent := record("Badge readers reject every card", 1)
	stays := record("Badge printer smudges", 2)
	for _, p := range []*problem.Problem{slow, urgent} {
		d, err := c.agent.DelegateProblemWithResponse(ctx, p.ID, nil, api.ProblemDelegation{Organisation: c.supA, Group: readers})
		want(t, "delegate "+p.Summary, d, err, http.StatusOK)
		a, err := c.alice.AcceptProblemWithResponse(ctx, p.ID, nil)
		want(t, "accept "+p.Summary, a, err, http.StatusOK)
	}

	// Who reads which clocks of urgent.
	clocks := func(cl *client.ClientWithResponses) map[string]api.Clock {
		t.Helper()
		r, err := cl.GetProblemClocksWithResponse(ctx, urgent.ID)
		want(t, "clocks", r, err, http.StatusOK)
		g, err := cl.GetProblemWithResponse(ctx, urgent.ID.String())
		if want(t, "get", g, err, http.StatusOK); r.Headers200.ETag != g.Headers200.ETag {
			t.Errorf("the clocks' ETag %s, the problem's %s", r.Headers200.ETag, g.Headers200.ETag)
		}
		out := map[string]api.Clock{}
		for _, k := range r.JSON200.Items {
			out[k.Agreement] = k
		}
		return out
	}
	names := func(m map[string]api.Clock) string {
		var out []string
		for n := range m {
			out = append(out, n)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	desk := clocks(c.agent)
	if got := names(desk); got != "City problem SLA,Harbour problem SLA,Readers problem UC" {
		t.Errorf("the desk reads the clocks %s, want the problem SLAs and UC only", got)
	}
	if uc := desk["Readers problem UC"]; uc.Status != sla.StatusRunning || uc.Due.IsZero() || uc.Provider != c.supA ||
		uc.Kind != sla.KindUC || uc.Priority != 1 || uc.Target != api.Duration(time.Hour) {
		t.Errorf("the supplier's clock of the delegated problem: %+v, want its UC running and due", uc)
	}
	if got := names(clocks(c.alice)); got != "Readers problem UC" {
		t.Errorf("supplier A reads the clocks %s, want its UC's only", got)
	}
	if got := names(clocks(c.carl)); got != "City problem SLA" {
		t.Errorf("the city reads the clocks %s, want its own SLA's only", got)
	}
	if got := names(clocks(c.bob)); got != "" {
		t.Errorf("supplier B, which never held it, reads the clocks %s, want none", got)
	}
	for what, tc := range map[string]struct {
		cl   *client.ClientWithResponses
		id   itsm.ID
		code int
	}{
		"supplier C without rights": {c.carol, urgent.ID, http.StatusForbidden},
		"an unknown problem":        {c.agent, itsm.NewID(), http.StatusNotFound},
	} {
		if r, err := tc.cl.GetProblemClocksWithResponse(ctx, tc.id); err != nil || status(r) != tc.code {
			t.Errorf("%s reads clocks: %v %s, want %d", what, err, body(r), tc.code)
		}
	}

	// The queues.
	queue := func(cl *client.ClientWithResponses, p api.ListProblemsParams) []itsm.ID {
		t.Helper()
		var out []itsm.ID
		for {
			r, err := cl.ListProblemsWithResponse(ctx, &p, dropZeros)
			want(t, "queue", r, err, http.StatusOK)
			for _, it := range r.JSON200.Items {
				out = append(out, it.ID)
			}
			if r.JSON200.Next == "" {
				return out
			}
			p.Cursor = r.JSON200.Next
		}
	}
	if got := queue(c.alice, api.ListProblemsParams{Group: readers, Limit: 1}); !slices.Equal(got, []itsm.ID{urgent.ID, slow.ID}) {
		t.Errorf("the readers' queue: %v, want urgent %s then slow %s", got, urgent.ID, slow.ID)
	}
	if got := queue(c.agent, api.ListProblemsParams{Group: pm}); !slices.Equal(got, []itsm.ID{stays.ID}) {
		t.Errorf("the desk group's queue: %v, want only %s, which it still holds", got, stays.ID)
	}
	as, err := c.alice.AssignProblemWithResponse(ctx, slow.ID, nil, api.ProblemAssignment{Group: readers, Assignee: "alice"})
	want(t, "assign slow to alice", as, err, http.StatusOK)
	if got := queue(c.alice, api.ListProblemsParams{Group: readers, Unassigned: true}); !slices.Equal(got, []itsm.ID{urgent.ID}) {
		t.Errorf("unassigned in the readers: %v, want %s", got, urgent.ID)
	}
	if got := queue(c.alice, api.ListProblemsParams{Assignee: "alice"}); !slices.Equal(got, []itsm.ID{slow.ID}) {
		t.Errorf("assigned to alice: %v, want %s", got, slow.ID)
	}
	inv, err := c.alice.InvestigateProblemWithResponse(ctx, urgent.ID, nil)
	want(t, "investigate urgent", inv, err, http.StatusOK)
	if got := queue(c.alice, api.ListProblemsParams{Group: readers, State: problem.StateInvestigation}); !slices.Equal(got, []itsm.ID{urgent.ID}) {
		t.Errorf("the readers' problems under investigation: %v, want %s", got, urgent.ID)
	}
	// A recalled problem leaves the supplier's queue for the desk's.
	rc, err := c.agent.RecallProblemWithResponse(ctx, urgent.ID, nil, api.Reason{Reason: "The desk takes it back."})
	want(t, "recall urgent", rc, err, http.StatusOK)
	if got := queue(c.alice, api.ListProblemsParams{Group: readers}); !slices.Equal(got, []itsm.ID{slow.ID}) {
		t.Errorf("the readers' queue after the recall: %v, want %s", got, slow.ID)
	}

	// A customer holds no problem: its queues are empty.
	if got := queue(c.carl, api.ListProblemsParams{Assignee: "carl"}); len(got) != 0 {
		t.Errorf("the customer's queue: %v, want none", got)
	}

	for what, tc := range map[string]struct {
		cl   *client.ClientWithResponses
		p    api.ListProblemsParams
		code int
	}{
		"supplier B reads supplier A's group": {c.bob, api.ListProblemsParams{Group: readers}, http.StatusNotFound},
		"the desk reads supplier A's group":   {c.agent, api.ListProblemsParams{Group: readers}, http.StatusNotFound},
		"a group and an assignee":             {c.alice, api.ListProblemsParams{Group: readers, Assignee: "alice"}, http.StatusBadRequest},
		"unassigned without a group":          {c.alice, api.ListProblemsParams{Unassigned: true}, http.StatusBadRequest},
		"supplier C without rights":           {c.carol, api.ListProblemsParams{Assignee: "carol"}, http.StatusForbidden},
	} {
		if r, err := tc.cl.ListProblemsWithResponse(ctx, &tc.p, dropZeros); err != nil || status(r) != tc.code {
			t.Errorf("%s: %v %s, want %d", what, err, body(r), tc.code)
		}
	}
}
