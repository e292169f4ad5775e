package problem_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/sla/report"
)

// reportMonth is the world driven from December 2026 to February 2027,
// reported on for January 2027: the problems and known errors made, and
// what the figures of January must be, counted by hand.
type reportMonth struct {
	w      *world
	period report.Period
	// problems and knownErrors are every one made, by name.
	problems    map[string]*problem.Problem
	knownErrors map[string]*problem.KnownError
	// released and retired are the times the known errors' fixes were
	// last released and they were retired, by name.
	released, retired map[string]time.Time
}

// driveReportMonth plays the month. In January (the period):
//
//   - P1, recorded by the desk in December and delegated to Telco, which
//     identified K1 (no fix) then, is resolved by Telco on 12 January;
//   - P2, recorded and resolved by the desk and closed in December, does
//     not matter to January;
//   - P3 is recorded by Mailco on 5 January, which holds it from then on,
//     and is open at the end;
//   - P4 is recorded by the desk on 8 January and delegated to Telco only
//     in February: the desk's, open at the end;
//   - P5 is recorded by the desk on 10 January with incidents I1 and I2,
//     delegated to Telco, rejected, delegated to Mailco, identified as K3,
//     fixed and resolved by Mailco on 20 January;
//   - I1 is resolved by the desk with workaround W, I3 by the desk without
//     one, I4 by Telco with W (through P1); I2 still waits.
//
// The known errors: K0 (desk, released when recorded in December), K1
// (Telco, no fix), K2 (Mailco, December, no fix), K3 (Mailco, from P5, its
// fix released on 10 February), K4 (desk, released on 4 January, back in
// progress on 6 January, released again on 5 February), K5 (desk, released
// on 20 January), K6 (desk, retired on 2 February), K7 (desk, retired on 25
// January), K8 (desk, recorded on 1 February), K9 (desk, released on 20
// January and published on 3 February, which reads its release from the
// log).
//
// Without a permanent fix at the end of January: K1 (Telco), K2 and K3
// (Mailco), K4 and K6 (the desk).
func driveReportMonth(t *testing.T, store itsm.Store) *reportMonth {
	w := newWorld(t, store)
	zone := w.clock.Now().Location()
	m := &reportMonth{w: w, period: report.Month(2027, time.January, zone),
		problems: map[string]*problem.Problem{}, knownErrors: map[string]*problem.KnownError{},
		released: map[string]time.Time{}, retired: map[string]time.Time{}}
	on := func(month time.Month, day, hour int) time.Time {
		year := 2027
		if month == time.December {
			year = 2026
		}
		at := time.Date(year, month, day, hour, 0, 0, 0, zone)
		w.clock.Set(at)
		return at.UTC()
	}
	must := func(p *problem.Problem, err error) *problem.Problem {
		t.Helper()
		w.ok(err)
		return p
	}
	ke := func(name string, actor itsm.Actor, fix problem.FixStatus) {
		t.Helper()
		d := draft("Known error " + name)
		d.Fix.Status = fix
		k, err := w.svc.RecordKnownError(w.ctx, actor, d)
		w.ok(err)
		m.knownErrors[name] = k
	}
	revise := func(name string, actor itsm.Actor, fix problem.FixStatus) time.Time {
		t.Helper()
		d := draft("Known error " + name)
		d.Desk, d.Fix.Status = itsm.ID{}, fix
		_, err := w.svc.ReviseKnownError(w.ctx, actor, m.knownErrors[name].ID, d)
		w.ok(err)
		return w.clock.Now().UTC()
	}
	retire := func(name string) time.Time {
		t.Helper()
		_, err := w.svc.RetireKnownError(w.ctx, w.deskAgent, m.knownErrors[name].ID, "no longer occurs")
		w.ok(err)
		return w.clock.Now().UTC()
	}

	// December.
	on(time.December, 7, 10)
	wa := w.workaround(w.deskAgent, "Send through the backup relay")
	p1 := w.record("Mail relay drops messages")
	on(time.December, 8, 10)
	must(w.svc.Delegate(w.ctx, w.deskAgent, p1.ID, telcoID, w.telNet, "please investigate"))
	must(w.svc.Accept(w.ctx, w.telAgent, p1.ID))
	must(w.svc.Investigate(w.ctx, w.telAgent, p1.ID))
	on(time.December, 9, 10)
	p2 := w.record("Calendar invitations lost")
	on(time.December, 10, 10)
	_, k1, err := w.svc.Identify(w.ctx, w.telAgent, p1.ID, draft("Relay certificate expired"))
	w.ok(err)
	m.knownErrors["K1"] = k1
	ke("K0", w.deskAgent, problem.FixReleased)
	m.released["K0"] = w.clock.Now().UTC()
	on(time.December, 15, 10)
	ke("K2", w.mailAgent, problem.FixNone)
	on(time.December, 20, 10)
	must(w.svc.Investigate(w.ctx, w.deskAgent, p2.ID))
	must3(w.svc.Resolve(w.ctx, w.deskAgent, p2.ID, "Restarted the calendar service."))(t)
	on(time.December, 21, 10)
	must(w.svc.Close(w.ctx, w.deskAgent, p2.ID, "done"))

	// January.
	on(time.January, 2, 10)
	ke("K5", w.deskAgent, problem.FixNone)
	on(time.January, 3, 10)
	ke("K4", w.deskAgent, problem.FixNone)
	ke("K6", w.deskAgent, problem.FixPlanned)
	ke("K7", w.deskAgent, problem.FixNone)
	ke("K9", w.deskAgent, problem.FixNone)
	on(time.January, 4, 10)
	revise("K4", w.deskAgent, problem.FixReleased)
	on(time.January, 5, 10)
	p3 := must(w.svc.Record(w.ctx, w.mailAgent, problem.Recording{Desk: deskID, Summary: "Mailbox quota errors",
		Service: "mail", Category: "outage", Priority: 3, Group: w.mailOps}))
	on(time.January, 6, 10)
	revise("K4", w.deskAgent, problem.FixInProgress)
	i4 := w.incident("Mail stuck in the outbox")
	_, err = w.inc.Delegate(w.ctx, w.deskAgent, i4.ID, incident.Delegation{Organisation: telcoID, Group: w.telNet})
	w.ok(err)
	_, err = w.inc.Accept(w.ctx, w.telAgent, i4.ID)
	w.ok(err)
	must(w.svc.Link(w.ctx, w.deskAgent, p1.ID, i4.ID, false))
	on(time.January, 8, 10)
	p4 := w.record("Spam filter too eager")
	on(time.January, 10, 10)
	i1, i2 := w.incident("No mail since nine"), w.incident("Mail bounces")
	p5 := w.record("Mail delivery delayed", i1.ID, i2.ID)
	on(time.January, 11, 10)
	must(w.svc.Delegate(w.ctx, w.deskAgent, p5.ID, telcoID, w.telNet, "please investigate"))
	on(time.January, 12, 10)
	must(w.svc.Reject(w.ctx, w.telAgent, p5.ID, "not our network"))
	must3(w.svc.Resolve(w.ctx, w.telAgent, p1.ID, "Certificate renewed."))(t)
	_, err = w.svc.ResolveIncident(w.ctx, w.telAgent, p1.ID, i4.ID, wa.ID, "Send through the backup relay.")
	w.ok(err)
	on(time.January, 13, 10)
	must(w.svc.Delegate(w.ctx, w.deskAgent, p5.ID, mailcoID, w.mailOps, "please investigate"))
	must(w.svc.Accept(w.ctx, w.mailAgent, p5.ID))
	must(w.svc.Investigate(w.ctx, w.mailAgent, p5.ID))
	on(time.January, 14, 10)
	_, k3, err := w.svc.Identify(w.ctx, w.mailAgent, p5.ID, draft("Queue runner stalls"))
	w.ok(err)
	m.knownErrors["K3"] = k3
	on(time.January, 15, 10)
	must(w.svc.StartFix(w.ctx, w.mailAgent, p5.ID, "CHG0000007", "new queue runner"))
	on(time.January, 20, 10)
	must3(w.svc.Resolve(w.ctx, w.mailAgent, p5.ID, "Queue runner replaced."))(t)
	_, err = w.svc.ResolveIncident(w.ctx, w.deskAgent, p5.ID, i1.ID, wa.ID, "Use the backup relay.")
	w.ok(err)
	m.released["K5"] = revise("K5", w.deskAgent, problem.FixReleased)
	m.released["K9"] = revise("K9", w.deskAgent, problem.FixReleased)
	on(time.January, 22, 10)
	i3 := w.incident("Password reset")
	_, err = w.inc.Resolve(w.ctx, w.deskAgent, i3.ID, incident.Resolution{Code: "advice", Text: "Reset it."})
	w.ok(err)
	on(time.January, 25, 10)
	m.retired["K7"] = retire("K7")

	// February.
	on(time.February, 1, 10)
	ke("K8", w.deskAgent, problem.FixNone)
	on(time.February, 2, 10)
	m.retired["K6"] = retire("K6")
	on(time.February, 3, 10)
	must(w.svc.Delegate(w.ctx, w.deskAgent, p4.ID, telcoID, w.telNet, "please look"))
	_, err = w.svc.PublishKnownError(w.ctx, w.deskAgent, m.knownErrors["K9"].ID)
	w.ok(err)
	on(time.February, 5, 10)
	m.released["K4"] = revise("K4", w.deskAgent, problem.FixReleased)
	on(time.February, 10, 10)
	m.released["K3"] = revise("K3", w.mailAgent, problem.FixReleased)

	for name, p := range map[string]*problem.Problem{"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5} {
		m.problems[name] = must(w.svc.Get(w.ctx, w.deskAgent, p.ID))
	}
	for name, k := range m.knownErrors {
		m.knownErrors[name], err = w.svc.KnownError(w.ctx, w.deskAgent, k.ID)
		w.ok(err)
	}
	return m
}

// must3 checks the error of a command that returns two values and an
// error.
func must3[A, B any](_ A, _ B, err error) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// figures is a ProblemFigures without its share, for comparing by hand.
type figures struct{ opened, resolved, open, unfixed, incidents, byWorkaround int }

func figuresOf(f report.ProblemFigures) figures {
	return figures{f.Opened, f.Resolved, f.Open, f.KnownErrorsUnfixed, f.IncidentsResolved, f.ByWorkaround}
}

// January's figures, by hand (see driveReportMonth): the desk opened P4
// and P5 and holds P4 at the end, recorded K4 and K6, resolved I1 by W and
// I3; Telco held P5 for a day, resolved P1, recorded K1 and resolved I4
// by W; Mailco held P3 and P5, resolved P5, holds P3 at the end and
// recorded K2 and K3.
var (
	wantTotal = figures{opened: 3, resolved: 2, open: 2, unfixed: 5, incidents: 3, byWorkaround: 2}
	wantOrgs  = map[itsm.ID]figures{
		deskID:   {opened: 2, resolved: 0, open: 1, unfixed: 2, incidents: 2, byWorkaround: 1},
		telcoID:  {opened: 1, resolved: 1, open: 0, unfixed: 1, incidents: 1, byWorkaround: 1},
		mailcoID: {opened: 2, resolved: 1, open: 1, unfixed: 2, incidents: 0, byWorkaround: 0},
	}
)

// The problem figures of a month, end to end on every backend: the
// problems, known errors and incident tickets read from the store as the
// desk's report reads them give, through report.Compute, the figures
// counted by hand, per organisation in the order of the report's
// suppliers. The sources yield exactly the records that matter to the
// month, each as the record itself says (Problem.ForReport), with the
// release and retirement times of the known errors' events.
func TestReportProblems(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			m := driveReportMonth(t, open(t))
			w, p := m.w, m.period

			problems, err := collectAll(w.svc.ReportProblems(w.ctx, w.deskAgent, p))
			w.ok(err)
			var want []report.Problem
			for _, name := range []string{"P1", "P3", "P4", "P5"} {
				want = append(want, m.problems[name].ForReport())
			}
			byNumber := func(a, b report.Problem) int { return cmp.Compare(a.Number, b.Number) }
			slices.SortFunc(problems, byNumber)
			slices.SortFunc(want, byNumber)
			if d := gocmp.Diff(want, problems); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			if h := m.problems["P5"].ForReport().Held; len(h) != 4 || h[0].Organisation != deskID || h[1].Organisation != telcoID ||
				h[2].Organisation != deskID || h[3].Organisation != mailcoID {
				t.Errorf("P5 held by %+v, want the desk, Telco, the desk and Mailco", h)
			}

			knownErrors, err := collectAll(w.svc.ReportKnownErrors(w.ctx, w.deskAgent, p))
			w.ok(err)
			var wantKE []report.KnownError
			for _, name := range []string{"K1", "K2", "K3", "K4", "K6", "K9"} {
				k := m.knownErrors[name]
				wantKE = append(wantKE, report.KnownError{ID: k.ID, Number: k.Number.String(), Desk: k.Desk, RecordedBy: k.RecordedBy,
					Created: k.Created, Fix: string(k.Fix.Status), FixReleased: m.released[name], Retired: m.retired[name]})
			}
			byKENumber := func(a, b report.KnownError) int { return cmp.Compare(a.Number, b.Number) }
			slices.SortFunc(knownErrors, byKENumber)
			slices.SortFunc(wantKE, byKENumber)
			if d := gocmp.Diff(wantKE, knownErrors); d != "" {
				t.Errorf("known errors (-want +got):\n%s", d)
			}

			rep, err := report.Compute(report.Spec{Period: p, Now: p.To.AddDate(0, 2, 0),
				Names:    map[itsm.ID]string{deskID: "Desk", telcoID: "Telco", mailcoID: "Mailco"},
				Problems: w.svc.ReportProblems(w.ctx, w.deskAgent, p), KnownErrors: w.svc.ReportKnownErrors(w.ctx, w.deskAgent, p)},
				w.inc.Tickets(w.ctx, w.deskAgent, p))
			w.ok(err)
			checkFigures(t, "the desk's report", rep.Problems)
		})
	}
}

// checkFigures compares a report's problem figures with January's by hand.
func checkFigures(t *testing.T, what string, got *report.Problems) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s has no problem figures", what)
	}
	if f := figuresOf(got.Total); f != wantTotal {
		t.Errorf("%s: total %+v, want %+v", what, f, wantTotal)
	}
	if s := got.Total.WorkaroundShare; s == nil || *s != 2.0/3 {
		t.Errorf("%s: workaround share %v, want 2/3", what, s)
	}
	orgs := map[itsm.ID]figures{}
	var names []string
	for _, g := range got.Organisations {
		orgs[g.Organisation] = figuresOf(g.Figures)
		names = append(names, g.Name)
	}
	if d := gocmp.Diff(fmt.Sprint(wantOrgs), fmt.Sprint(orgs)); d != "" {
		t.Errorf("%s: per organisation (-want +got):\n%s", what, d)
	}
	// No supplier has an agreement, so all come by name.
	if want := []string{"Desk", "Mailco", "Telco"}; !slices.Equal(names, want) {
		t.Errorf("%s: organisations %q, want %q", what, names, want)
	}
}

// Who reads what (decision 97): a supplier reads every problem and known
// error of the desk it works with, held or not, so its sources give the
// same figures; the customer needs report access as well as read; another
// desk reads none of them; a supplier that does not work with the desk
// none either.
func TestReportProblemsReaders(t *testing.T) {
	m := driveReportMonth(t, backends()["memstore"](t))
	w, p := m.w, m.period
	spec := func(actor itsm.Actor) report.Spec {
		return report.Spec{Period: p, Now: p.To.AddDate(0, 2, 0), Names: map[itsm.ID]string{deskID: "Desk", telcoID: "Telco", mailcoID: "Mailco"},
			Problems: w.svc.ReportProblems(w.ctx, actor, p), KnownErrors: w.svc.ReportKnownErrors(w.ctx, actor, p)}
	}
	// The desk's tickets: the figures of the incidents are the desk's to
	// show; the sources under test are the problems and known errors.
	tickets := func() report.Source { return w.inc.Tickets(w.ctx, w.deskAgent, p) }
	rep, err := report.Compute(spec(w.telAgent), tickets())
	w.ok(err)
	checkFigures(t, "Telco's sources", rep.Problems)

	for _, src := range []error{first(w.svc.ReportProblems(w.ctx, w.cityUser, p)), first(w.svc.ReportKnownErrors(w.ctx, w.cityUser, p))} {
		w.code(src, itsm.CodeForbidden)
	}
	if w.svc.MayReport(w.cityUser) {
		t.Error("the city may report with read access alone")
	}
	w.perms.Grant(cityID, itsm.DomainProblem, itsm.AccessReport)
	if !w.svc.MayReport(w.cityUser) {
		t.Error("the city may not report with read and report access")
	}
	rep, err = report.Compute(spec(w.cityUser), tickets())
	w.ok(err)
	checkFigures(t, "the city's sources", rep.Problems)

	for _, actor := range []itsm.Actor{w.desk2Agent} {
		ps, err := collectAll(w.svc.ReportProblems(w.ctx, actor, p))
		w.ok(err)
		ks, err := collectAll(w.svc.ReportKnownErrors(w.ctx, actor, p))
		w.ok(err)
		if len(ps)+len(ks) != 0 {
			t.Errorf("%s reads %d problems and %d known errors of another desk", actor.Organisation, len(ps), len(ks))
		}
	}

	alone, err := problem.New(problem.Config{Store: w.store, Directory: w.dir, Permissions: w.perms,
		WorksWith: func(desk, org itsm.ID) bool { return org != telcoID }})
	w.ok(err)
	ps, err := collectAll(alone.ReportProblems(w.ctx, w.telAgent, p))
	w.ok(err)
	ks, err := collectAll(alone.ReportKnownErrors(w.ctx, w.telAgent, p))
	w.ok(err)
	if len(ps)+len(ks) != 0 {
		t.Errorf("Telco, which does not work with the desk, reads %d problems and %d known errors", len(ps), len(ks))
	}
	ps, err = collectAll(alone.ReportProblems(w.ctx, w.mailAgent, p))
	w.ok(err)
	if len(ps) != 4 {
		t.Errorf("Mailco reads %d problems, want 4", len(ps))
	}
}

// An invalid period, an actor without the rights and one of an unknown
// organisation are refused before anything is read, each as the only
// value of the source; a cancelled context ends it with the context's
// error; a consumer that stops early, also among the known errors whose
// release is read from the log, ends it quietly and the store serves the
// next report.
func TestReportProblemsRefusedAndStopped(t *testing.T) {
	m := driveReportMonth(t, backends()["memstore"](t))
	w, p := m.w, m.period
	w.perms.Revoke(mailcoID, itsm.DomainProblem, itsm.AccessReport)
	stranger := person(itsm.MustParseID("01900000-0000-7000-8000-0000000000f9"), "sam", itsm.RoleAgent)
	for _, c := range []struct {
		name  string
		actor itsm.Actor
		p     report.Period
		code  itsm.Code
	}{
		{"empty period", w.deskAgent, report.Period{From: p.From, To: p.From}, itsm.CodeInvalid},
		{"inverted period", w.deskAgent, report.Period{From: p.To, To: p.From}, itsm.CodeInvalid},
		{"zero period", w.deskAgent, report.Period{}, itsm.CodeInvalid},
		{"no report access", w.mailAgent, p, itsm.CodeForbidden},
		{"unknown organisation", stranger, p, itsm.CodeForbidden},
		{"no person", itsm.Actor{Organisation: deskID}, p, itsm.CodeInvalid},
	} {
		for what, src := range map[string][]error{
			"problems":     values(w.svc.ReportProblems(w.ctx, c.actor, c.p)),
			"known errors": values(w.svc.ReportKnownErrors(w.ctx, c.actor, c.p)),
		} {
			if len(src) != 1 || !itsm.IsCode(src[0], c.code) {
				t.Errorf("%s, %s: %v; want one error with code %s", c.name, what, src, c.code)
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for what, src := range map[string][]error{
		"problems":     values(w.svc.ReportProblems(ctx, w.deskAgent, p)),
		"known errors": values(w.svc.ReportKnownErrors(ctx, w.deskAgent, p)),
	} {
		if len(src) != 1 || !errors.Is(src[0], context.Canceled) {
			t.Errorf("%s on a cancelled context: %v, want context.Canceled alone", what, src)
		}
	}

	// Six known errors matter, three read from the log: stop at each.
	for stop := 1; stop <= 6; stop++ {
		n := 0
		for _, err := range w.svc.ReportKnownErrors(w.ctx, w.deskAgent, p) {
			w.ok(err)
			if n++; n == stop {
				break
			}
		}
		if n != stop {
			t.Errorf("stopped at %d of the known errors after %d", stop, n)
		}
	}
	for _, err := range w.svc.ReportProblems(w.ctx, w.deskAgent, p) {
		w.ok(err)
		break
	}
	if ks, err := collectAll(w.svc.ReportKnownErrors(w.ctx, w.deskAgent, p)); err != nil || len(ks) != 6 {
		t.Errorf("after stopping: %d known errors, error %v; want 6", len(ks), err)
	}
}

// collectAll runs a source to its end and returns its records and the
// error that ended it.
func collectAll[T any](src func(yield func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range src {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// values returns the errors of a source, nil for each record.
func values[T any](src func(yield func(T, error) bool)) []error {
	var out []error
	for _, err := range src {
		out = append(out, err)
	}
	return out
}

// first returns the first error of a source, or nil.
func first[T any](src func(yield func(T, error) bool)) error {
	for _, err := range src {
		if err != nil {
			return err
		}
	}
	return nil
}

// A desk's monthly report with the problem figures read from the store: a
// problem recorded by the desk and delegated to a supplier, which found
// its root cause as a known error with no fix yet.
func ExampleService_ReportProblems() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	telco := itsm.Organisation{ID: itsm.NewID(), Name: "Telco", Role: itsm.OrgSupplier}
	dir, _ := incident.NewOrganisations(desk, telco)
	perms := itsm.NewPermissions().
		Grant(desk.ID, itsm.DomainProblem, itsm.AccessAll).
		Grant(telco.ID, itsm.DomainProblem, itsm.AccessAll)
	clock := itsm.NewManualClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	svc, err := problem.New(problem.Config{Store: memstore.New(), Directory: dir, Permissions: perms, Clock: clock})
	if err != nil {
		panic(err)
	}
	agent := itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	tove := itsm.Actor{Organisation: telco.ID, Person: "tove", Roles: []itsm.Role{itsm.RoleAgent}}
	check := func(_ *problem.Problem, err error) {
		if err != nil {
			panic(err)
		}
	}
	p, err := svc.Record(ctx, agent, problem.Recording{Summary: "Mail relay drops messages", Priority: 2})
	check(p, err)
	clock.Advance(time.Hour)
	check(svc.Delegate(ctx, agent, p.ID, telco.ID, itsm.ID{}, "please investigate"))
	check(svc.Accept(ctx, tove, p.ID))
	check(svc.Investigate(ctx, tove, p.ID))
	_, _, err = svc.Identify(ctx, tove, p.ID, problem.KnownErrorDraft{Title: "Relay certificate expired",
		Symptom: "Mail stops arriving.", RootCause: "The certificate expired."})
	if err != nil {
		panic(err)
	}
	clock.Advance(time.Hour)

	month := report.Month(2026, time.November, time.UTC)
	r, err := report.Compute(report.Spec{Period: month, Now: clock.Now(), Names: map[itsm.ID]string{desk.ID: "Desk", telco.ID: "Telco"},
		Problems: svc.ReportProblems(ctx, agent, month), KnownErrors: svc.ReportKnownErrors(ctx, agent, month)},
		report.Tickets(nil))
	if err != nil {
		panic(err)
	}
	for _, g := range r.Problems.Organisations {
		f := g.Figures
		fmt.Printf("%s: opened %d, open %d, known errors without a fix %d\n", g.Name, f.Opened, f.Open, f.KnownErrorsUnfixed)
	}
	// Output:
	// Desk: opened 1, open 0, known errors without a fix 0
	// Telco: opened 1, open 1, known errors without a fix 1
}
