package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// at is a Stockholm wall time of 2026, "03-10 14:00".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", "2026-"+s, gStockholm(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// problemMonth is March 2026 of the golden world with problems, known
// errors and incidents resolved by workarounds, each with what it shows.
// The figures it must give are in TestProblemFigures.
func problemMonth(t testing.TB) (report.Spec, []report.Ticket, []report.Problem, []report.KnownError) {
	D, S1, S2 := gDesk, gNetcom, gServer
	slaA, netUC, srvUC := goldenAgreements(t)
	spec := report.Spec{Period: report.Month(2026, time.March, gStockholm(t)), Agreements: []*sla.Agreement{slaA, netUC, srvUC},
		Names: map[itsm.ID]string{D: "Desk", S1: "Netcom", S2: "Serverhall"}, Now: at(t, "06-01 00:00")}
	wa := func(tk report.Ticket, w string) report.Ticket { tk.Workaround = w; return tk }
	tickets := []report.Ticket{
		// W1: the desk resolves it at first contact by workaround WA1.
		wa(goldenTicket(t, "W1", gCustomer, "",
			gStep{"03-02 09:00", sRegistered, D, 3, false},
			gStep{"03-02 09:30", sResolved, D, 3, false}), "WA1"),
		// W2: Netcom resolves it by WA2.
		wa(goldenTicket(t, "W2", gCustomer, "network",
			gStep{"03-03 09:00", sRegistered, D, 3, false},
			gStep{"03-03 09:10", sDelegated, S1, 3, false},
			gStep{"03-03 12:00", sResolved, S1, 3, false},
			gStep{"03-04 12:00", sClosed, S1, 3, false}), "WA2"),
		// W3: Serverhall resolves it, by no workaround.
		goldenTicket(t, "W3", gCustomer, "server",
			gStep{"03-04 09:00", sRegistered, D, 3, false},
			gStep{"03-04 09:10", sDelegated, S2, 3, false},
			gStep{"03-04 15:00", sResolved, S2, 3, false}),
		// W4: Serverhall resolves it by WA1, which serves two incidents.
		wa(goldenTicket(t, "W4", gCustomer, "server",
			gStep{"03-05 09:00", sRegistered, D, 3, false},
			gStep{"03-05 09:10", sDelegated, S2, 3, false},
			gStep{"03-05 11:00", sResolved, S2, 3, false}), "WA1"),
		// W5 was resolved by a workaround in February and closed in
		// March: no resolution of March.
		wa(goldenTicket(t, "W5", gCustomer, "",
			gStep{"02-20 09:00", sRegistered, D, 3, false},
			gStep{"02-20 10:00", sResolved, D, 3, false},
			gStep{"03-02 10:00", sClosed, D, 3, false}), "WA1"),
		// W6: Netcom resolves it, it is reopened to the desk, which
		// resolves it again by WA3: the desk resolved it in March.
		wa(goldenTicket(t, "W6", gCustomer, "network",
			gStep{"03-10 09:00", sRegistered, D, 3, false},
			gStep{"03-10 09:10", sDelegated, S1, 3, false},
			gStep{"03-10 12:00", sResolved, S1, 3, false},
			gStep{"03-11 09:00", sInProgress, D, 3, false},
			gStep{"03-11 10:00", sResolved, D, 3, false}), "WA3"),
		// W7 is still open.
		goldenTicket(t, "W7", gCustomer, "",
			gStep{"03-20 09:00", sRegistered, D, 3, false},
			gStep{"03-20 09:30", sInProgress, D, 3, false}),
	}
	held := func(spells ...any) []report.Holding {
		var out []report.Holding
		for i := 0; i < len(spells); i += 2 {
			out = append(out, report.Holding{Organisation: spells[i].(itsm.ID), From: at(t, spells[i+1].(string))})
		}
		return out
	}
	problem := func(number string, h []report.Holding, resolved, closed string) report.Problem {
		p := report.Problem{ID: itsm.NewID(), Number: number, Desk: D, Held: h, Opened: h[0].From}
		if resolved != "" {
			p.Resolved = at(t, resolved)
		}
		if closed != "" {
			p.Closed = at(t, closed)
		}
		return p
	}
	problems := []report.Problem{
		// P1: opened by the desk, investigated and resolved by Netcom,
		// which hands it back as it resolves; closed in March.
		problem("P1", held(D, "03-02 10:00", S1, "03-03 10:00", D, "03-10 12:00"), "03-10 12:00", "03-12 12:00"),
		// P2: opened in February, held by Serverhall ever since.
		problem("P2", held(D, "02-10 10:00", S2, "02-11 10:00"), "", ""),
		// P3: opened in March, delegated to Serverhall only in April.
		problem("P3", held(D, "03-20 10:00", S2, "04-02 10:00"), "", ""),
		// P4: resolved by Netcom in February, closed in March: nothing.
		problem("P4", held(D, "01-05 10:00", S1, "01-06 10:00"), "02-20 10:00", "03-05 10:00"),
		// P5: opened and resolved by the desk in March.
		problem("P5", held(D, "03-25 10:00"), "03-30 10:00", ""),
		// P6: opened in March, resolved in April.
		problem("P6", held(D, "03-28 10:00"), "04-03 10:00", ""),
	}
	known := func(number string, by itsm.ID, created, fix, released, retired string) report.KnownError {
		k := report.KnownError{ID: itsm.NewID(), Number: number, Desk: D, RecordedBy: by, Created: at(t, created), Fix: fix}
		if released != "" {
			k.FixReleased = at(t, released)
		}
		if retired != "" {
			k.Retired = at(t, retired)
		}
		return k
	}
	knownErrors := []report.KnownError{
		known("K1", S1, "02-01 10:00", report.FixReleased, "03-15 10:00", ""), // fixed in March
		known("K2", S1, "02-01 10:00", report.FixReleased, "04-10 10:00", ""), // fixed only in April
		known("K3", S2, "03-01 10:00", report.FixInProgress, "", ""),
		known("K4", S2, "01-01 10:00", report.FixNone, "", "03-20 10:00"), // retired in March
		known("K5", D, "03-05 10:00", report.FixRejected, "", ""),         // no fix will come
		known("K6", D, "04-02 10:00", report.FixNone, "", ""),             // created after March
		known("K7", S1, "02-15 10:00", report.FixPlanned, "", "04-05 10:00"),
	}
	return spec, tickets, problems, knownErrors
}

// TestProblemFigures computes the problem figures of a small month by
// hand. Problems: P1, P3, P5 and P6 were opened in March, P1 and P5
// resolved, P2, P3 and P6 open at its end. Known errors without a
// permanent fix at the end: K2 (released in April), K3 (in progress), K5
// (rejected) and K7 (retired in April). Incidents resolved in March: W1,
// W2, W3, W4 and W6, all but W3 by a workaround.
//
// Per organisation: the desk held P1, P3, P5 and P6 when they were opened,
// resolved P5 and holds P3 and P6, recorded K5, and resolved W1 and W6
// (the second resolution of March is the desk's), both by workarounds.
// Netcom held P1 and resolved it, recorded K2 and K7, resolved W2. Serverhall
// holds P2 (P3 came to it in April: not opened by it in March), recorded
// K3, and resolved W3 and W4, one by a workaround.
func TestProblemFigures(t *testing.T) {
	spec, tickets, problems, knownErrors := problemMonth(t)
	spec.Problems, spec.KnownErrors = report.ListProblems(problems), report.ListKnownErrors(knownErrors)
	r, err := report.Compute(spec, report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Problems{
		Total: report.ProblemFigures{Opened: 4, Resolved: 2, Open: 3, KnownErrorsUnfixed: 4,
			IncidentsResolved: 5, ByWorkaround: 4, WorkaroundShare: new(0.8)},
		Organisations: []report.ProblemGroup{
			{Organisation: gNetcom, Name: "Netcom", Figures: report.ProblemFigures{Opened: 1, Resolved: 1, KnownErrorsUnfixed: 2,
				IncidentsResolved: 1, ByWorkaround: 1, WorkaroundShare: new(1.0)}},
			{Organisation: gServer, Name: "Serverhall", Figures: report.ProblemFigures{Open: 1, KnownErrorsUnfixed: 1,
				IncidentsResolved: 2, ByWorkaround: 1, WorkaroundShare: new(0.5)}},
			{Organisation: gDesk, Name: "Desk", Figures: report.ProblemFigures{Opened: 4, Resolved: 1, Open: 2, KnownErrorsUnfixed: 1,
				IncidentsResolved: 2, ByWorkaround: 2, WorkaroundShare: new(1.0)}},
		},
	}
	if d := cmp.Diff(want, r.Problems); d != "" {
		t.Errorf("problem figures (-want +got):\n%s", d)
	}
	if r.Total.Resolved != r.Problems.Total.IncidentsResolved {
		t.Errorf("%d incidents resolved in the problem figures, %d in the total", r.Problems.Total.IncidentsResolved, r.Total.Resolved)
	}

	// The rest of the report is what it is without problems.
	plain := spec
	plain.Problems, plain.KnownErrors = nil, nil
	without, err := report.Compute(plain, report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	if without.Problems != nil {
		t.Errorf("a report asked for no problems has %+v", without.Problems)
	}
	r.Problems = nil
	if d := cmp.Diff(without, r); d != "" {
		t.Errorf("the problem figures changed the rest of the report (-without +with):\n%s", d)
	}

	// Workarounds alone: an empty problem source asks for the section.
	spec.Problems, spec.KnownErrors = report.ListProblems(nil), nil
	alone, err := report.Compute(spec, report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	if got := alone.Problems.Total; got.Opened != 0 || got.KnownErrorsUnfixed != 0 || got.ByWorkaround != 4 || len(alone.Problems.Organisations) != 3 {
		t.Errorf("workarounds alone give %+v and %d organisations", got, len(alone.Problems.Organisations))
	}
}

// TestProblemFiguresPartial: a month still running is measured at Now,
// as its tickets are: P5, resolved on the 30th, is open on the 26th, and
// P6 not yet opened.
func TestProblemFiguresPartial(t *testing.T) {
	spec, tickets, problems, knownErrors := problemMonth(t)
	spec.Now = at(t, "03-26 00:00")
	spec.Problems, spec.KnownErrors = report.ListProblems(problems[4:5]), report.ListKnownErrors(knownErrors)
	r, err := report.Compute(spec, report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	// K1 (released on the 15th) and K4 (retired on the 20th) are done by
	// then as by the month's end.
	if got := r.Problems.Total; !r.Partial || got.Opened != 1 || got.Resolved != 0 || got.Open != 1 || got.KnownErrorsUnfixed != 4 {
		t.Errorf("partial: %+v", got)
	}
}

// TestProblemInputRefused: an invalid problem, known error or ticket ends
// the report with an invalid error naming it, as an invalid ticket does;
// an error of a source ends it with the source's code.
func TestProblemInputRefused(t *testing.T) {
	spec, tickets, problems, knownErrors := problemMonth(t)
	for name, tc := range map[string]struct {
		problem func(*report.Problem)
		known   func(*report.KnownError)
		ticket  func(*report.Ticket)
		want    string
	}{
		"resolved before opened": {problem: func(p *report.Problem) { p.Resolved = p.Opened.Add(-time.Minute) },
			want: "problem P1: resolved"},
		"closed before resolved": {problem: func(p *report.Problem) { p.Closed = p.Resolved.Add(-time.Minute) },
			want: "problem P1: closed"},
		"no desk":    {problem: func(p *report.Problem) { p.Desk = itsm.ID{} }, want: "problem P1: desk is empty"},
		"no holding": {problem: func(p *report.Problem) { p.Held = nil }, want: "problem P1: no organisation held it"},
		"holding not from the opening": {problem: func(p *report.Problem) { p.Opened = p.Opened.Add(-time.Hour) },
			want: "not when it was opened"},
		"holdings out of order": {problem: func(p *report.Problem) { p.Held[2].From = p.Held[1].From.Add(-time.Minute) },
			want: "holding 2 begins"},
		"holding without organisation": {problem: func(p *report.Problem) { p.Held[1].Organisation = itsm.ID{} },
			want: "holding 1 has no organisation"},
		"unknown fix status": {known: func(k *report.KnownError) { k.Fix = "done" },
			want: `known error K1: fix status "done" is not`},
		"released without a time": {known: func(k *report.KnownError) { k.FixReleased = time.Time{} },
			want: "known error K1: a released fix, and only one, says when"},
		"a time without a release": {known: func(k *report.KnownError) { k.Fix = report.FixPlanned },
			want: "known error K1: a released fix, and only one, says when"},
		"released before created": {known: func(k *report.KnownError) { k.FixReleased = k.Created.Add(-time.Hour) },
			want: "known error K1: its fix was released"},
		"retired before created": {known: func(k *report.KnownError) { k.Retired = k.Created.Add(-time.Hour) },
			want: "known error K1: retired"},
		"recorded by nobody": {known: func(k *report.KnownError) { k.RecordedBy = itsm.ID{} },
			want: "known error K1: the organisation that recorded it is empty"},
		"a task's workaround": {ticket: func(tk *report.Ticket) { tk.Kind, tk.Agreements = report.KindTask, []string{"x"} },
			want: "ticket W1: an order or a task has no workaround"},
	} {
		t.Run(name, func(t *testing.T) {
			ps := slices.Clone(problems)
			ps[0].Held = slices.Clone(ps[0].Held)
			ks, ts := slices.Clone(knownErrors), slices.Clone(tickets)
			if tc.problem != nil {
				tc.problem(&ps[0])
			}
			if tc.known != nil {
				tc.known(&ks[0])
			}
			if tc.ticket != nil {
				tc.ticket(&ts[0])
			}
			s := spec
			s.Problems, s.KnownErrors = report.ListProblems(ps), report.ListKnownErrors(ks)
			_, err := report.Compute(s, report.Tickets(ts))
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want an invalid error with %q", err, tc.want)
			}
		})
	}

	failing := errors.New("disk on fire")
	s := spec
	s.Problems = report.ReadProblems(func(yield func(report.Problem) bool) error {
		return itsm.Wrap(itsm.CodeUnavailable, failing, "store")
	})
	if _, err := report.Compute(s, report.Tickets(tickets)); !itsm.IsCode(err, itsm.CodeUnavailable) || !errors.Is(err, failing) {
		t.Errorf("a failing problem source gives %v", err)
	}
	s.Problems = nil
	s.KnownErrors = report.ReadKnownErrors(func(yield func(report.KnownError) bool) error {
		return itsm.Wrap(itsm.CodeUnavailable, failing, "store")
	})
	if _, err := report.Compute(s, report.Tickets(tickets)); !itsm.IsCode(err, itsm.CodeUnavailable) || !errors.Is(err, failing) {
		t.Errorf("a failing known-error source gives %v", err)
	}
	// A consumer that stops early is no error.
	n := 0
	for range report.ReadProblems(func(yield func(report.Problem) bool) error {
		for _, p := range problems {
			if !yield(p) {
				return report.ErrStopped
			}
		}
		return nil
	}) {
		if n++; n == 2 {
			break
		}
	}
}

// TestHoldingsOf: a timeline's runs of one holder are its spells.
func TestHoldingsOf(t *testing.T) {
	tk := goldenTicket(t, "X", gCustomer, "",
		gStep{"03-10 08:00", sRegistered, gDesk, 2, false},
		gStep{"03-10 08:30", sInProgress, gDesk, 2, false},
		gStep{"03-10 09:00", sDelegated, gNetcom, 2, false},
		gStep{"03-10 09:30", sInProgress, gNetcom, 2, false},
		gStep{"03-10 10:00", sInProgress, gDesk, 2, false})
	want := []report.Holding{{gDesk, at(t, "03-10 08:00")}, {gNetcom, at(t, "03-10 09:00")}, {gDesk, at(t, "03-10 10:00")}}
	if d := cmp.Diff(want, report.HoldingsOf(tk.Timeline)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// problemsReport is the rich report with problem figures, an
// organisation's name guarded in CSV and one with no name.
func problemsReport() *report.Report {
	r := richReport()
	r.Problems = &report.Problems{
		Total: report.ProblemFigures{Opened: 4, Resolved: 2, Open: 3, KnownErrorsUnfixed: 4, IncidentsResolved: 5,
			ByWorkaround: 4, WorkaroundShare: new(0.8)},
		Organisations: []report.ProblemGroup{
			{Organisation: gNetcom, Name: "=Netcom", Figures: report.ProblemFigures{Opened: 1, Resolved: 1,
				KnownErrorsUnfixed: 2, IncidentsResolved: 1, ByWorkaround: 1, WorkaroundShare: new(1.0)}},
			{Organisation: gServer, Figures: report.ProblemFigures{Open: 1}},
		},
	}
	return r
}

// TestProblemsOutputs: the problem figures go through JSON and CSV and
// back unchanged, alone and with requests; the schema validates them;
// the CSV has its problem columns last and only then; the page has the
// table.
func TestProblemsOutputs(t *testing.T) {
	both := problemsReport()
	both.Problems, both.Requests = problemsReport().Problems, requestsReport().Requests
	c := schematest.MustNew(t, mustSchema(t))
	for name, want := range map[string]*report.Report{"problems": problemsReport(), "with requests": both} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Check(b); err != nil {
				t.Errorf("schema: %v", err)
			}
			for _, key := range []string{`"problems":{"total":{"opened":4,`, `"known_errors_unfixed":4`, `"workaround_share":0.8`, `"organisations":[`} {
				if !bytes.Contains(b, []byte(key)) {
					t.Errorf("JSON lacks %s", key)
				}
			}
			var fromJSON report.Report
			if err := json.Unmarshal(b, &fromJSON); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, &fromJSON); d != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", d)
			}

			data := writeCSV(t, want)
			got, err := report.ReadCSV(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("CSV round trip (-want +got):\n%s", d)
			}
			if again := writeCSV(t, got); !bytes.Equal(again, data) {
				t.Errorf("writing the report read back differs:\n%s", firstDiff(data, again))
			}
			records := readRecords(t, data)
			if h := strings.Join(records[0], ","); !strings.HasSuffix(h, ",problems_opened,problems_resolved,problems_open,known_errors_unfixed,incidents_resolved,by_workaround,workaround_share") {
				t.Errorf("header %s", h)
			}
			var rows []string
			for _, rec := range records[1:] {
				if s := rec[2]; strings.HasPrefix(s, "problem") {
					rows = append(rows, s+" "+rec[3]+" "+rec[4]+" "+strings.Join(rec[len(rec)-7:], " "))
				}
			}
			wantRows := []string{"problems   4 2 3 4 5 4 0.8", "problem_organisation " + gNetcom.String() + " '=Netcom 1 1 0 2 1 1 1",
				"problem_organisation " + gServer.String() + "  0 0 1 0 0 0 "}
			if !slices.Equal(rows, wantRows) {
				t.Errorf("problem rows\n%q, want\n%q", rows, wantRows)
			}
		})
	}
	if h := strings.Join(readRecords(t, writeCSV(t, richReport()))[0], ","); strings.Contains(h, "problems_opened") {
		t.Errorf("a report without problems has the problem columns: %s", h)
	}

	page := htmlPage(t, problemsReport())
	for _, want := range []string{"<caption>Problems, known errors and workarounds</caption>",
		`<tr><th scope="row">All organisations</th><td class="n">4</td><td class="n">2</td><td class="n">3</td><td class="n">4</td><td class="n">5</td><td class="n">4</td><td class="n">80%</td></tr>`,
		`<th scope="row" title="` + gNetcom.String() + `">=Netcom</th>`,
		`<td class="n">none resolved</td></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(htmlPage(t, richReport()), "Problems, known errors") {
		t.Error("a report without problems has the problem table")
	}
}

// TestReadCSVProblemErrors: ReadCSV refuses problem rows that do not
// make Problems exactly, and WriteCSV problem figures it could not read
// back.
func TestReadCSVProblemErrors(t *testing.T) {
	records := readRecords(t, writeCSV(t, problemsReport()))
	header := records[0]
	opened := slices.Index(header, "problems_opened")
	share := slices.Index(header, "workaround_share")
	total := slices.IndexFunc(records, func(rec []string) bool { return rec[2] == "problems" })
	org := total + 1
	for name, change := range map[string]func([][]string) [][]string{
		"no problems row": func(rs [][]string) [][]string { return slices.Delete(rs, total, total+1) },
		"problem rows without their columns": func(rs [][]string) [][]string {
			for i := range rs {
				rs[i] = rs[i][:opened]
			}
			return rs
		},
		"a share above 1":               func(rs [][]string) [][]string { rs[total][share] = "1.5"; return rs },
		"a negative count":              func(rs [][]string) [][]string { rs[org][opened] = "-1"; return rs },
		"an organisation without an ID": func(rs [][]string) [][]string { rs[org][3] = "netcom"; return rs },
		"a key on the problems row":     func(rs [][]string) [][]string { rs[total][3] = gNetcom.String(); return rs },
		"a problem cell in a total row": func(rs [][]string) [][]string { rs[1][opened] = "1"; return rs },
		"an organisation twice": func(rs [][]string) [][]string {
			dup := slices.Clone(rs[org])
			dup[3] = strings.ToUpper(dup[3])
			return slices.Insert(rs, org+1, dup)
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := report.ReadCSV(changedCSV(t, records, change)); !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Errorf("%v, want invalid", err)
			}
		})
	}

	for name, change := range map[string]func(*report.Problems){
		"negative":        func(p *report.Problems) { p.Total.Open = -1 },
		"share":           func(p *report.Problems) { p.Organisations[0].Figures.WorkaroundShare = new(2.0) },
		"twice":           func(p *report.Problems) { p.Organisations[1].Organisation = p.Organisations[0].Organisation },
		"no ID":           func(p *report.Problems) { p.Organisations[1].Organisation = itsm.ID{} },
		"carriage return": func(p *report.Problems) { p.Organisations[0].Name = "a\r\nb" },
	} {
		r := problemsReport()
		change(r.Problems)
		if err := report.WriteCSV(&bytes.Buffer{}, r); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: WriteCSV gives %v, want invalid", name, err)
		}
	}
}
