package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	problems "github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// FollowUpTrend is the number of months before a follow-up's month whose
// summary makes the trend of its report, so that the customer sees half a
// year at a glance.
const FollowUpTrend = 5

// storedAgreements builds the stored agreements that keep accepts, over
// the stored calendars, in name order, from one snapshot of the store.
func storedAgreements(ctx context.Context, store itsm.Store, keep func(api.AgreementInput) bool) ([]*sla.Agreement, error) {
	var out []*sla.Agreement
	err := store.Read(ctx, func(tx itsm.ReadTx) error {
		cals, err := calendars(tx)
		if err != nil {
			return err
		}
		recs, err := all(tx, KindAgreement, indexName)
		if err != nil {
			return err
		}
		for _, r := range recs {
			var in api.AgreementInput
			if err := json.Unmarshal(r.Body, &in); err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
			}
			if !keep(in) {
				continue
			}
			ag, err := toAgreement(in, cals)
			if err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", r.ID)
			}
			out = append(out, ag)
		}
		return nil
	})
	return out, err
}

// orgNames returns the names of the organisations the agreements name and
// of the others given, for report.Spec.Names. One the directory no longer
// knows keeps its ID in the report rather than failing it.
func orgNames(ctx context.Context, dir followup.Directory, ags []*sla.Agreement, others ...itsm.ID) (map[itsm.ID]string, error) {
	ids := slices.Clone(others)
	for _, ag := range ags {
		ids = append(ids, ag.Provider, ag.Consumer)
	}
	names := make(map[itsm.ID]string, len(ids))
	for _, id := range ids {
		if _, done := names[id]; done || id == (itsm.ID{}) {
			continue
		}
		o, err := dir.Organisation(ctx, id)
		if itsm.IsCode(err, itsm.CodeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		names[id] = o.Name
	}
	return names, nil
}

// reportGroups returns the organisations whose groups the report of who
// breaks down, and adds their groups' names to names: who's own
// organisation, and the providers of the UCs and OLAs it consumes, whose
// groups a desk's agents read to delegate to them (decision 52). An
// organisation whose groups who may not know of is left out, as it is of
// ListGroups, so a report never names a group its reader could not list;
// a server without groups breaks down none.
func (a *API) reportGroups(ctx context.Context, who itsm.Actor, ags []*sla.Agreement, names map[itsm.ID]string) ([]itsm.ID, error) {
	if a.chain == nil {
		return nil, nil
	}
	orgs := []itsm.ID{who.Organisation}
	for _, ag := range ags {
		if ag.Kind != sla.KindSLA && ag.Consumer == who.Organisation && !slices.Contains(orgs, ag.Provider) {
			orgs = append(orgs, ag.Provider)
		}
	}
	var out []itsm.ID
	for _, org := range orgs {
		var after itsm.Cursor
		for {
			page, err := a.chain.List(ctx, who, org, chain.ListOptions{Limit: itsm.MaxLimit, After: after})
			if itsm.IsCode(err, itsm.CodeNotFound) || itsm.IsCode(err, itsm.CodeForbidden) {
				break
			}
			if err != nil {
				return nil, err
			}
			if after == "" {
				out = append(out, org)
			}
			for _, g := range page.Groups {
				names[g.ID] = g.Name
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
	}
	return out, nil
}

// GetReport computes the report of the period over the agreements the
// caller's organisation sees (as ListAgreements shows them) and the
// incidents it may report on.
func (a *API) GetReport(ctx context.Context, req api.GetReportRequestObject) (api.GetReportResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	period, err := reportPeriod(p)
	if err != nil {
		return nil, err
	}
	sees, err := a.agreementView(ctx, who)
	if err != nil {
		return nil, err
	}
	keep := sees
	if len(p.Agreement) > 0 {
		keep = func(in api.AgreementInput) bool { return sees(in) && slices.Contains(p.Agreement, in.Name) }
	}
	ags, err := storedAgreements(ctx, a.store, keep)
	if err != nil {
		return nil, err
	}
	for _, name := range p.Agreement {
		if !slices.ContainsFunc(ags, func(ag *sla.Agreement) bool { return ag.Name == name }) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "no agreement named %q that %q's organisation sees", name, who.Person)
		}
	}
	names, err := orgNames(ctx, a.dir, ags, who.Organisation)
	if err != nil {
		return nil, err
	}
	groupsOf, err := a.reportGroups(ctx, who, ags, names)
	if err != nil {
		return nil, err
	}
	spec := report.Spec{Period: period, Previous: p.Previous, Agreements: request.ForRequests(ags), Names: names,
		Groups: groupsOf, Now: a.clock.Now()}
	spec.Problems, spec.KnownErrors = problemSources(ctx, who, period, a.prob)
	rep, err := report.Compute(spec, tickets(ctx, who, spec.Span(), a.svc, a.req))
	if err != nil {
		return nil, err
	}
	switch reportFormat(ctx, p.Format) {
	case api.ReportFormatCsv:
		var buf bytes.Buffer
		if err := report.WriteCSV(&buf, rep); err != nil {
			return nil, err
		}
		return api.GetReport200TextCsvResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
	case api.ReportFormatHTML:
		var buf bytes.Buffer
		if err := report.WriteHTML(&buf, rep); err != nil {
			return nil, err
		}
		return api.GetReport200TextHTMLResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
	}
	return api.GetReport200JSONResponse(*rep), nil
}

// tickets are the incidents, then the orders and tasks, that who may report
// on in p. Requests are left out when the server has none, or when who's
// organisation may not report on them (request.Service.MayReport): its
// report is then of incidents alone, as before requests existed.
func tickets(ctx context.Context, who itsm.Actor, p report.Period, incidents *incident.Service, requests *request.Service) report.Source {
	src := incidents.Tickets(ctx, who, p)
	if requests == nil || !requests.MayReport(who) {
		return src
	}
	orders := requests.Tickets(ctx, who, p)
	return func(yield func(report.Ticket, error) bool) {
		for t, err := range src {
			if !yield(t, err) || err != nil {
				return
			}
		}
		for t, err := range orders {
			if !yield(t, err) || err != nil {
				return
			}
		}
	}
}

// problemSources are the sources of the problem figures of the report of
// who in period p (report.Spec.Problems and KnownErrors): the problems and
// known errors who's organisation may read (problem.Service.ReportProblems
// and ReportKnownErrors). Both are nil, and the report has no problem
// figures, as before problems existed, when the server has no problem
// service (prob is nil) or who's organisation may not report on problems
// (problem.Service.MayReport), rather than refuse it the incidents.
func problemSources(ctx context.Context, who itsm.Actor, p report.Period, prob *problems.Service) (report.ProblemSource, report.KnownErrorSource) {
	if prob == nil || !prob.MayReport(who) {
		return nil, nil
	}
	return prob.ReportProblems(ctx, who, p), prob.ReportKnownErrors(ctx, who, p)
}

// FollowUpCompute returns the followup.ComputeFunc of a server: the report
// of a customer's month over the incidents, orders and tasks of that
// customer that the drafting desk agent's organisation may report on
// (incident.Service.Tickets and request.Service.Tickets as the
// authenticated actor of the request), measured against the stored
// agreements that concern the customer and the desk: the desk's SLAs with
// the customer, and the UCs and OLAs the desk consumes. requests may be
// nil, for a server without requests. A month without orders reports as it
// did before requests existed, so the follow-ups approved then read the
// same.
//
// With prob, the report has the problem figures of the month (decision
// 108): the desk's problems and known errors, all of them, since a problem
// belongs to no customer, and the customer's incidents resolved by a
// workaround. prob nil, or a desk without report access to problems, leaves
// them out, and the report reads as before problems existed. An approved
// follow-up keeps the bytes it was approved with either way.
func FollowUpCompute(store itsm.Store, dir followup.Directory, incidents *incident.Service, requests *request.Service, prob *problems.Service) followup.ComputeFunc {
	return func(ctx context.Context, desk, customer itsm.ID, period report.Period) (*report.Report, error) {
		who, ok := auth.ActorFrom(ctx)
		if !ok || who.Organisation != desk {
			return nil, itsm.Errorf(itsm.CodeInternal, "a follow-up is computed for an authenticated agent of its desk only")
		}
		ags, err := storedAgreements(ctx, store, func(in api.AgreementInput) bool {
			return (in.Provider == desk && in.Consumer == customer) || in.Consumer == desk
		})
		if err != nil {
			return nil, err
		}
		names, err := orgNames(ctx, dir, ags, desk, customer)
		if err != nil {
			return nil, err
		}
		spec := report.Spec{Period: period, Previous: FollowUpTrend, Agreements: request.ForRequests(ags), Names: names, Now: incidents.Now()}
		spec.Problems, spec.KnownErrors = problemSources(ctx, who, period, prob)
		src := tickets(ctx, who, spec.Span(), incidents, requests)
		return report.Compute(spec, func(yield func(report.Ticket, error) bool) {
			for t, err := range src {
				if err == nil && t.Customer != customer {
					continue
				}
				if !yield(t, err) {
					return
				}
			}
		})
	}
}

// reportPeriod is the period a report's parameters name: a month of the
// zone, or from and to shown in the zone.
func reportPeriod(p api.GetReportParams) (report.Period, error) {
	switch {
	case p.Month != "" && (!p.From.IsZero() || !p.To.IsZero()):
		return report.Period{}, itsm.Errorf(itsm.CodeInvalid, "give either month or from and to, not both")
	case p.Month != "":
		return month(string(p.Month), string(p.Zone))
	case p.From.IsZero() || p.To.IsZero():
		return report.Period{}, itsm.Errorf(itsm.CodeInvalid,
			"a report needs its period: month, such as 2026-11, or both from and to, such as 2026-11-01T00:00:00+01:00 and 2026-12-01T00:00:00+01:00")
	}
	from, to := p.From, p.To
	if p.Zone != "" {
		// The period's calendar: its months and days, and the names the
		// report keeps, are the zone's, not the offsets'.
		loc, err := location(string(p.Zone))
		if err != nil {
			return report.Period{}, err
		}
		from, to = from.In(loc), to.In(loc)
	}
	if !from.Before(to) {
		return report.Period{}, itsm.Errorf(itsm.CodeInvalid, "the period from %s to %s is empty: from must be before to",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return report.Period{From: from, To: to}, nil
}

// followUps returns the follow-up service and the authenticated actor, or
// itsm.CodeUnsupported (501) when the server has no follow-up service.
func (a *API) followUps(ctx context.Context) (*followup.Service, itsm.Actor, error) {
	if a.followups == nil {
		return nil, itsm.Actor{}, notImplemented("follow-ups")
	}
	who, err := actor(ctx)
	return a.followups, who, err
}

// location is the IANA zone named, UTC for "".
func location(zone string) (*time.Location, error) {
	loc, err := time.LoadLocation(zone)
	// "Local" would be the server's own zone, which no client can know.
	if err != nil || zone == "Local" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "unknown time zone %q", zone)
	}
	return loc, nil
}

// month returns the calendar month "2006-01" in the IANA zone, UTC when
// zone is empty.
func month(m, zone string) (report.Period, error) {
	loc, err := location(zone)
	if err != nil {
		return report.Period{}, err
	}
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return report.Period{}, itsm.Errorf(itsm.CodeInvalid, "month %q is not a month such as 2026-11", m)
	}
	return report.Month(t.Year(), t.Month(), loc), nil
}

// ListFollowUps lists the follow-ups the caller may see, newest month first.
func (a *API) ListFollowUps(ctx context.Context, req api.ListFollowUpsRequestObject) (api.ListFollowUpsResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := followup.Filter{Customer: p.Customer, State: p.State, Limit: p.Limit, After: itsm.Cursor(p.Cursor)}
	switch {
	case p.Month != "":
		if f.Period, err = month(p.Month, p.Zone); err != nil {
			return nil, err
		}
	case p.Zone != "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "zone %q without month: the zone says where the month is", p.Zone)
	}
	page, err := svc.List(ctx, who, f)
	if err != nil {
		return nil, err
	}
	out := api.ListFollowUps200JSONResponse{Items: make([]api.FollowUp, 0, len(page.FollowUps)), Next: string(page.Next)}
	for _, fu := range page.FollowUps {
		out.Items = append(out.Items, *fu)
	}
	return out, nil
}

// DraftFollowUp drafts the customer's month: 201 for the first draft, 200
// for a redraft.
func (a *API) DraftFollowUp(ctx context.Context, req api.DraftFollowUpRequestObject) (api.DraftFollowUpResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	period, err := month(req.Body.Month, req.Body.Zone)
	if err != nil {
		return nil, err
	}
	f, err := svc.Draft(ctx, who, req.Body.Customer, period)
	if err != nil {
		return nil, err
	}
	if len(f.Versions) == 1 && len(f.Versions[0].Drafts) == 1 {
		return api.DraftFollowUp201JSONResponse{Body: *f,
			Headers: api.DraftFollowUp201ResponseHeaders{Location: "/v1/followups/" + f.ID.String()}}, nil
	}
	return api.DraftFollowUp200JSONResponse(*f), nil
}

// GetFollowUp returns one follow-up with every version.
func (a *API) GetFollowUp(ctx context.Context, req api.GetFollowUpRequestObject) (api.GetFollowUpResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	f, err := svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetFollowUp200JSONResponse(*f), nil
}

// ApproveFollowUp approves the draft with the digest the customer reviewed.
func (a *API) ApproveFollowUp(ctx context.Context, req api.ApproveFollowUpRequestObject) (api.ApproveFollowUpResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	f, err := svc.Approve(ctx, who, req.ID, req.Body.Digest, req.Body.Comment)
	if err != nil {
		return nil, err
	}
	return api.ApproveFollowUp200JSONResponse(*f), nil
}

// RejectFollowUp sends the draft with the digest back to the desk.
func (a *API) RejectFollowUp(ctx context.Context, req api.RejectFollowUpRequestObject) (api.RejectFollowUpResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	f, err := svc.Reject(ctx, who, req.ID, req.Body.Digest, req.Body.Comment)
	if err != nil {
		return nil, err
	}
	return api.RejectFollowUp200JSONResponse(*f), nil
}

// CorrectFollowUp starts the next version of an approved follow-up.
func (a *API) CorrectFollowUp(ctx context.Context, req api.CorrectFollowUpRequestObject) (api.CorrectFollowUpResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	f, err := svc.Correct(ctx, who, req.ID, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.CorrectFollowUp200JSONResponse(*f), nil
}

// storedReport answers a follow-up's report as JSON with the stored bytes
// themselves: the generated response would encode a decoded copy, and the
// customer approves the digest of exactly these bytes.
type storedReport struct {
	body []byte
	etag string
}

func (r storedReport) VisitGetFollowUpReportResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", r.etag)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r.body)
	return err
}

// GetFollowUpReport serves the report of one version of a follow-up: as
// JSON the stored bytes, with their digest as the ETag; CSV and HTML
// rendered from them.
func (a *API) GetFollowUpReport(ctx context.Context, req api.GetFollowUpReportRequestObject) (api.GetFollowUpReportResponseObject, error) {
	svc, who, err := a.followUps(ctx)
	if err != nil {
		return nil, err
	}
	f, err := svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	v := f.Current()
	if n := req.Params.Version; n != 0 {
		if n < 1 || n > len(f.Versions) {
			return nil, itsm.Errorf(itsm.CodeNotFound, "follow-up %s has no version %d: it has %d", f.ID, n, len(f.Versions))
		}
		v = &f.Versions[n-1]
	}
	etag := `"` + v.Digest + `"`
	format := reportFormat(ctx, req.Params.Format)
	if format == api.ReportFormatJSON {
		return storedReport{body: v.Report, etag: etag}, nil
	}
	rep, err := v.Decode()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	headers := api.GetFollowUpReport200ResponseHeaders{ETag: etag}
	if format == api.ReportFormatCsv {
		if err := report.WriteCSV(&buf, rep); err != nil {
			return nil, err
		}
		return api.GetFollowUpReport200TextCsvResponse{Body: &buf, Headers: headers, ContentLength: int64(buf.Len())}, nil
	}
	if err := report.WriteHTML(&buf, rep); err != nil {
		return nil, err
	}
	return api.GetFollowUpReport200TextHTMLResponse{Body: &buf, Headers: headers, ContentLength: int64(buf.Len())}, nil
}
