package httpapi

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/problem/candidate"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// candidateSpace is the UUID name space of candidates' ids. It never
// changes, so that an id listed by one version of the server is found by
// the next.
var candidateSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://spoc-itsm.github.io/problem-candidate"))

// CandidateID returns the id of desk's candidate c: a name-based UUID
// (version 5) of the desk, the candidate's key and its window, so that the
// same spike of the same group has the same id on every detection whose
// window is the same (decision 104). Its incidents are not part of it: a
// spike that grows within its window keeps its id.
func CandidateID(desk itsm.ID, c candidate.Candidate) itsm.ID {
	name := strings.Join([]string{desk.String(), c.Key.Service, c.Key.Category, c.Key.CI, c.Key.Token,
		c.Window.From.UTC().Format(time.RFC3339Nano), c.Window.To.UTC().Format(time.RFC3339Nano)}, "\x00")
	return itsm.ID(uuid.NewSHA1(candidateSpace, []byte(name)))
}

// candidateUntil is where the recent window of a detection at now ends:
// the end of the current hour, so that a candidate's window, and so its id,
// stays the same for the hour, while every incident registered so far
// counts.
func candidateUntil(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(time.Hour)
}

// detectCandidates runs the detector for the actor's desk over its
// incidents of the window and the baseline before it, read as report
// tickets (incident.Service.Tickets) with the CI and summary of each, and
// with the dismissals the problem service keeps. Windows are measured in
// the desk's working time (deskCalendar).
func (a *API) detectCandidates(ctx context.Context, svc *problem.Service, who itsm.Actor) ([]candidate.Candidate, error) {
	until := candidateUntil(a.clock.Now())
	cfg := candidate.Config{Until: until, Window: candidate.DefaultWindow, Baseline: candidate.DefaultBaseline}
	period := report.Period{From: until.Add(-cfg.Window - cfg.Baseline), To: until}
	var err error
	if cfg.Calendar, err = a.deskCalendar(ctx, who.Organisation); err != nil {
		return nil, err
	}
	details, err := a.candidateDetails(ctx, who, period.From)
	if err != nil {
		return nil, err
	}
	return svc.Candidates(ctx, who, candidate.FromTickets(a.svc.Tickets(ctx, who, period), details), cfg)
}

// incidentDetails is what a report ticket lacks of an incident for the
// detector.
type incidentDetails struct{ ci, summary string }

// candidateDetails returns the CI and summary of each incident the actor
// sees that was registered from from on. A report ticket carries neither,
// so they are read from the incidents themselves, newest first, page by
// page until a page holds only incidents registered before from (IDs are
// version 7 UUIDs, so the newest first are the last registered first). An
// incident with several configuration items groups by its first.
func (a *API) candidateDetails(ctx context.Context, who itsm.Actor, from time.Time) (candidate.Details, error) {
	found := map[itsm.ID]incidentDetails{}
	var after itsm.Cursor
	for {
		page, err := a.svc.List(ctx, who, incident.Filter{Limit: itsm.MaxLimit, After: after})
		if err != nil {
			return nil, err
		}
		recent := false
		for _, inc := range page.Incidents {
			if inc.Registered.Before(from) {
				continue
			}
			recent = true
			d := incidentDetails{summary: inc.Summary}
			if len(inc.CIs) > 0 {
				d.ci = inc.CIs[0].String()
			}
			found[inc.ID] = d
		}
		if page.Next == "" || (!recent && len(page.Incidents) > 0) {
			break
		}
		after = page.Next
	}
	return func(t report.Ticket) (string, string) {
		d := found[t.ID]
		return d.ci, d.summary
	}, nil
}

// deskCalendar returns the working-time calendar of desk: the one most
// targets of its SLAs count in, which is its office hours where only its
// first priority counts around the clock. A desk without an SLA gets nil,
// and its windows are measured in wall time.
func (a *API) deskCalendar(ctx context.Context, desk itsm.ID) (*sla.Calendar, error) {
	ags, err := LoadAgreements(ctx, a.store)
	if err != nil {
		return nil, err
	}
	var (
		order []*sla.Calendar
		count = map[*sla.Calendar]int{}
	)
	for _, ag := range ags {
		if ag.Kind != sla.KindSLA || ag.Provider != desk {
			continue
		}
		for _, t := range ag.Targets {
			if t.Calendar == nil {
				continue
			}
			if count[t.Calendar] == 0 {
				order = append(order, t.Calendar)
			}
			count[t.Calendar]++
		}
	}
	var best *sla.Calendar
	for _, c := range order {
		if best == nil || count[c] > count[best] {
			best = c
		}
	}
	return best, nil
}

// findCandidate detects again and returns the candidate whose id is id,
// or not found: it was dismissed or accepted, its incidents moved on, or
// its window is an hour gone by.
func (a *API) findCandidate(ctx context.Context, svc *problem.Service, who itsm.Actor, id itsm.ID) (candidate.Candidate, error) {
	cs, err := a.detectCandidates(ctx, svc, who)
	if err != nil {
		return candidate.Candidate{}, err
	}
	i := slices.IndexFunc(cs, func(c candidate.Candidate) bool { return CandidateID(who.Organisation, c) == id })
	if i < 0 {
		return candidate.Candidate{}, itsm.Errorf(itsm.CodeNotFound,
			"candidate %s is not proposed now: it was accepted or dismissed, or its window ended; list the candidates again", id)
	}
	return cs[i], nil
}

// ListProblemCandidates lists the desk's candidate problems, computed now.
func (a *API) ListProblemCandidates(ctx context.Context, _ api.ListProblemCandidatesRequestObject) (api.ListProblemCandidatesResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := a.detectCandidates(ctx, svc, who)
	if err != nil {
		return nil, err
	}
	out := api.ListProblemCandidates200JSONResponse{Items: make([]api.ProblemCandidate, 0, len(cs))}
	for _, c := range cs {
		out.Items = append(out.Items, api.ProblemCandidate{ID: CandidateID(who.Organisation, c), Candidate: c})
	}
	return out, nil
}

// candidateSummary is the summary of a problem recorded from candidate c
// without one: its key, cut to a label's length.
func candidateSummary(c candidate.Candidate) string {
	s := "More incidents than usual: " + c.Key.String()
	for len(s) > itsm.MaxLabel {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// AcceptProblemCandidate records a problem from a candidate with its
// incidents linked.
func (a *API) AcceptProblemCandidate(ctx context.Context, req api.AcceptProblemCandidateRequestObject) (api.AcceptProblemCandidateResponseObject, error) {
	p, err := problemOpWith(ctx, a, "", "", req.Body, func(svc *problem.Service, who itsm.Actor, b api.CandidateAcceptance) (*problem.Problem, error) {
		c, err := a.findCandidate(ctx, svc, who, req.ID)
		if err != nil {
			return nil, err
		}
		summary := b.Summary
		if summary == "" {
			summary = candidateSummary(c)
		}
		return svc.AcceptCandidate(ctx, who, c, problem.Recording{Summary: summary, Description: b.Description,
			Service: c.Key.Service, Category: c.Key.Category, Priority: b.Priority, Group: b.Group, Wait: b.Wait})
	})
	if err != nil {
		return nil, err
	}
	return api.AcceptProblemCandidate201JSONResponse{Body: *p, Headers: api.AcceptProblemCandidate201ResponseHeaders{
		ETag: ETag(p.Version), Location: "/v1/problems/" + p.ID.String()}}, nil
}

// DismissProblemCandidate stores the desk's dismissal of a candidate.
func (a *API) DismissProblemCandidate(ctx context.Context, req api.DismissProblemCandidateRequestObject) (api.DismissProblemCandidateResponseObject, error) {
	d, err := problemOpWith(ctx, a, "", "", req.Body, func(svc *problem.Service, who itsm.Actor, b api.Reason) (candidate.Dismissal, error) {
		c, err := a.findCandidate(ctx, svc, who, req.ID)
		if err != nil {
			return candidate.Dismissal{}, err
		}
		return svc.DismissCandidate(ctx, who, c, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.DismissProblemCandidate200JSONResponse(d), nil
}
