package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// WriteCSV writes r as CSV in a long, flat form for spreadsheets and BI
// tools: a header row, then one row per section, group, agreement and
// metric, every row carrying the period and its group's figures, so that
// rows can be filtered and pivoted on their own and the files of several
// months concatenated.
//
// The sections are total (one group, key empty), agreement (key: the
// agreement's name; the agreement is its name and desk, since names are
// unique per desk), priority, supplier, category and group (key: the
// Group's key; a group row also fills organisation), and trend (key: the trend period as an ISO 8601 interval, from/to; its
// rows fill registered, resolved, backlog_open and the metric's agreement,
// desk, provider, metric, met, breached and compliance). A group with no metrics
// has one row whose metric columns are empty. Only agreement rows fill
// consumer, provider_name and consumer_name (empty for an organisation
// without a name), each row of an agreement repeating them; the metric rows
// of the other sections name their agreement by its name, desk, kind and
// provider only. The backlog's age buckets are columns named backlog_over_<Duration>
// between backlog_open and agreement, one per lower bound found in the
// report; a group without that bucket leaves it empty. The credit columns
// are empty for an agreement without a credit rule. A figure that no ticket
// gave is an empty cell: the compliance of a metric that decided no ticket,
// and the first-contact and reopen rates of a group that resolved none
// (decision 43). The last two columns, zone and as_of,
// are the report's Zone and, for a Partial report, its AsOf, repeated on
// every row as the period is, and empty when it has none.
//
// A report with Requests has three more sections after the trend, one row
// each: requests (key empty), request_type (key: the type) and
// request_item (key: the item's ID, name: its name). They fill closed and
// cancelled, and the request columns that follow as_of in such a file
// only: calendar (on the requests row), placed, fulfilled, declined, and
// the count, mean, median and p90 of lead_ and approval_ times.
//
// A report with Problems has two more sections after those, one row each:
// problems (key empty) and problem_organisation (key: the organisation's
// ID, name: its name). They fill the problem columns that come last in
// such a file only: problems_opened, problems_resolved, problems_open,
// known_errors_unfixed, incidents_resolved, by_workaround and
// workaround_share (empty when no incident was resolved).
//
// Numbers are written in full (floats as strconv's 'g' with the shortest
// precision that reads back exactly), times as RFC 3339 and durations as
// Duration.String, so that ReadCSV returns a report equal to r. Text that a
// spreadsheet could take for a formula is guarded as the OWASP advice on
// CSV injection says: text that starts with a tab or a carriage return, or
// whose first character after any white space and invisible formatting
// characters (such as a byte order mark) is =, +, -, @ or one of their
// full-width forms, is written with a leading apostrophe and quoted; so is
// text that starts with an apostrophe, so that ReadCSV can remove exactly
// the one it added.
//
// A report that the form cannot carry exactly is refused with a
// CodeInvalid error before anything is written: an organisation on a group
// of another section than Groups, two groups of a section with one key (or
// two agreements with one name and desk, or two trend points with one
// period), a metric without a name, an agreement metric whose agreement,
// desk, kind, provider or objective is not its agreement's, age buckets not
// in increasing order, a time whose offset has seconds, text with a
// carriage return before a line feed; and a value that ReadCSV would
// refuse: a negative count, amount or duration, a fraction outside [0, 1]
// (NaN too), a credit's percentage outside [0, 100], a kind other than
// SLA, OLA and UC, an empty period, or a zone that does not load.
func WriteCSV(w io.Writer, r *Report) error {
	records, err := encodeCSV(r)
	if err != nil {
		return err
	}
	// The whole file is built first, so that nothing reaches w when a
	// report is refused. That ReadCSV reads back every file written here
	// is for the tests to prove (TestCSVRoundTrip, FuzzReadCSV,
	// FuzzWriteCSV), not for every call to pay for.
	var buf bytes.Buffer
	for _, rec := range records {
		writeRecord(&buf, rec)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "report: write CSV")
	}
	return nil
}

// encodeCSV returns the records of r, header first.
func encodeCSV(r *Report) ([][]string, error) {
	if r == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report: nil report")
	}
	if err := checkCSVForm(r); err != nil {
		return nil, err
	}
	if err := checkCSVValues(r); err != nil {
		return nil, err
	}
	if err := checkRequestsCSV(r.Requests); err != nil {
		return nil, err
	}
	if err := checkProblemsCSV(r.Problems); err != nil {
		return nil, err
	}
	var overs []Duration
	for _, f := range allFigures(r) {
		for _, b := range f.Backlog.Ageing {
			overs = append(overs, b.Over)
		}
	}
	slices.Sort(overs)
	l := layout{ageing: slices.Compact(overs), requests: r.Requests != nil, problems: r.Problems != nil}

	from, _ := timeCell(r.Period.From)
	to, _ := timeCell(r.Period.To)
	asOf := ""
	if r.Partial {
		asOf, _ = timeCell(r.AsOf)
	}
	records := [][]string{l.header()}
	newRow := func(section, key string) []string {
		row := make([]string, l.width())
		row[l.pos(colPeriodFrom)] = from
		row[l.pos(colPeriodTo)] = to
		row[l.pos(colZone)] = r.Zone
		row[l.pos(colAsOf)] = asOf
		row[l.pos(colSection)] = section
		row[l.pos(colKey)] = textCell(key)
		return row
	}
	figures := func(row []string, f *Figures) {
		set := func(c column, v string) { row[l.pos(c)] = v }
		set(colRegistered, strconv.Itoa(f.Registered))
		set(colResolved, strconv.Itoa(f.Resolved))
		set(colClosed, strconv.Itoa(f.Closed))
		set(colCancelled, strconv.Itoa(f.Cancelled))
		set(colFirstContact, strconv.Itoa(f.FirstContact))
		set(colFirstContactRate, optionalCell(f.FirstContactRate, floatCell))
		set(colReassignments, strconv.Itoa(f.Reassignments))
		set(colPingPong, strconv.Itoa(f.PingPong))
		set(colMoves, strconv.Itoa(f.Moves))
		set(colReopened, strconv.Itoa(f.Reopened))
		set(colReopenRate, optionalCell(f.ReopenRate, floatCell))
		set(colBacklogOpen, strconv.Itoa(f.Backlog.Open))
		for _, b := range f.Backlog.Ageing {
			i, _ := slices.BinarySearch(l.ageing, b.Over)
			row[l.ageingPos(i)] = strconv.Itoa(b.Count)
		}
	}
	metric := func(row []string, m *MetricFigures, withAgreement bool) {
		set := func(c column, v string) { row[l.pos(c)] = v }
		if withAgreement {
			set(colAgreement, textCell(m.Agreement))
			set(colDesk, m.Desk.String())
			set(colKind, string(m.Kind))
			set(colProvider, m.Provider.String())
			set(colObjective, floatCell(m.Objective))
		}
		set(colMetric, textCell(string(m.Metric)))
		set(colMet, strconv.Itoa(m.Met))
		set(colBreached, strconv.Itoa(m.Breached))
		set(colCompliance, optionalCell(m.Compliance, floatCell))
		set(colShortfall, floatCell(m.Shortfall))
		set(colStopped, strconv.Itoa(m.Stopped))
		set(colMean, optionalCell(m.Mean, Duration.String))
		set(colMedian, optionalCell(m.Median, Duration.String))
		set(colP90, optionalCell(m.P90, Duration.String))
		set(colMissed, strconv.Itoa(m.Missed))
	}
	// rows returns the group's rows: one per metric, each a copy of base,
	// or base alone when there are none.
	rows := func(base []string, n int, fill func(row []string, i int)) {
		if n == 0 {
			records = append(records, base)
			return
		}
		for i := range n {
			row := slices.Clone(base)
			fill(row, i)
			records = append(records, row)
		}
	}

	base := newRow(sectionTotal, "")
	figures(base, &r.Total)
	rows(base, len(r.Total.Metrics), func(row []string, i int) { metric(row, &r.Total.Metrics[i], true) })

	for _, a := range r.Agreements {
		base := newRow(sectionAgreement, a.Agreement)
		base[l.pos(colAgreement)] = textCell(a.Agreement)
		base[l.pos(colDesk)] = a.Desk.String()
		base[l.pos(colKind)] = string(a.Kind)
		base[l.pos(colProvider)] = a.Provider.String()
		base[l.pos(colConsumer)] = a.Consumer.String()
		base[l.pos(colProviderName)] = textCell(a.ProviderName)
		base[l.pos(colConsumerName)] = textCell(a.ConsumerName)
		base[l.pos(colObjective)] = floatCell(a.Objective)
		if c := a.Credit; c != nil {
			base[l.pos(colCreditPercent)] = floatCell(c.Percent)
			base[l.pos(colCreditAmount)] = strconv.FormatInt(c.Amount, 10)
			base[l.pos(colCreditCurrency)] = textCell(c.Currency)
		}
		rows(base, len(a.Metrics), func(row []string, i int) { metric(row, &a.Metrics[i], false) })
	}

	for _, s := range groupSections(r) {
		for _, g := range s.groups {
			base := newRow(s.name, g.Key)
			base[l.pos(colName)] = textCell(g.Name)
			if !g.Organisation.IsZero() {
				base[l.pos(colOrganisation)] = g.Organisation.String()
			}
			figures(base, &g.Figures)
			rows(base, len(g.Figures.Metrics), func(row []string, i int) { metric(row, &g.Figures.Metrics[i], true) })
		}
	}

	for _, p := range r.Trend {
		base := newRow(sectionTrend, trendKey(p.Period))
		base[l.pos(colRegistered)] = strconv.Itoa(p.Registered)
		base[l.pos(colResolved)] = strconv.Itoa(p.Resolved)
		base[l.pos(colBacklogOpen)] = strconv.Itoa(p.Backlog)
		rows(base, len(p.Metrics), func(row []string, i int) {
			m := &p.Metrics[i]
			row[l.pos(colAgreement)] = textCell(m.Agreement)
			row[l.pos(colDesk)] = m.Desk.String()
			row[l.pos(colProvider)] = m.Provider.String()
			row[l.pos(colMetric)] = textCell(string(m.Metric))
			row[l.pos(colMet)] = strconv.Itoa(m.Met)
			row[l.pos(colBreached)] = strconv.Itoa(m.Breached)
			row[l.pos(colCompliance)] = optionalCell(m.Compliance, floatCell)
		})
	}
	if r.Requests != nil {
		records = append(records, requestRecords(l, r.Requests, newRow)...)
	}
	if r.Problems != nil {
		records = append(records, problemRecords(l, r.Problems, newRow)...)
	}
	return records, nil
}

type groupSection struct {
	name   string
	groups []Group
}

func groupSections(r *Report) []groupSection {
	return []groupSection{
		{sectionPriority, r.Priorities}, {sectionSupplier, r.Suppliers}, {sectionCategory, r.Categories},
		{sectionGroup, r.Groups},
	}
}

// allFigures returns the total's and every group's figures.
func allFigures(r *Report) []*Figures {
	out := []*Figures{&r.Total}
	for _, s := range groupSections(r) {
		for i := range s.groups {
			out = append(out, &s.groups[i].Figures)
		}
	}
	return out
}

// checkCSVForm reports what the CSV form would lose or merge in r;
// checkCSVValues the values that ReadCSV would refuse.
func checkCSVForm(r *Report) error {
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: cannot write as CSV: "+format, args...)
	}
	if r.Partial == r.AsOf.IsZero() {
		return invalid("partial %t disagrees with as_of %s: a report is partial exactly when it has an as_of",
			r.Partial, r.AsOf.Format(time.RFC3339Nano))
	}
	times := []struct {
		what string
		t    time.Time
	}{{"period from", r.Period.From}, {"period to", r.Period.To}}
	if r.Partial {
		times = append(times, struct {
			what string
			t    time.Time
		}{"as of", r.AsOf})
	}
	for i, p := range r.Trend {
		times = append(times, struct {
			what string
			t    time.Time
		}{fmt.Sprintf("trend point %d from", i), p.Period.From}, struct {
			what string
			t    time.Time
		}{fmt.Sprintf("trend point %d to", i), p.Period.To})
	}
	for _, t := range times {
		if _, err := timeCell(t.t); err != nil {
			return invalid("%s: %v", t.what, err)
		}
	}

	var texts []string
	metrics := func(where string, ms []MetricFigures) error {
		for i, m := range ms {
			if m.Metric == "" {
				return invalid("%s: metric %d has no name", where, i)
			}
			texts = append(texts, m.Agreement, string(m.Metric))
		}
		return nil
	}
	ageing := func(where string, f *Figures) error {
		for i := 1; i < len(f.Backlog.Ageing); i++ {
			if f.Backlog.Ageing[i].Over <= f.Backlog.Ageing[i-1].Over {
				return invalid("%s: backlog age buckets must increase; bucket %d (%s) does not", where, i, f.Backlog.Ageing[i].Over)
			}
		}
		return nil
	}
	if err := metrics("total", r.Total.Metrics); err != nil {
		return err
	}
	if err := ageing("total", &r.Total); err != nil {
		return err
	}

	type agreementKey struct {
		name string
		desk itsm.ID
	}
	agreements := make(map[agreementKey]bool)
	for _, a := range r.Agreements {
		where := fmt.Sprintf("agreement %q of desk %s", a.Agreement, a.Desk)
		k := agreementKey{a.Agreement, a.Desk}
		if agreements[k] {
			return invalid("%s appears twice", where)
		}
		agreements[k] = true
		if err := metrics(where, a.Metrics); err != nil {
			return err
		}
		for _, m := range a.Metrics {
			if m.Agreement != a.Agreement || m.Desk != a.Desk || m.Kind != a.Kind || m.Provider != a.Provider || m.Objective != a.Objective {
				return invalid("%s: metric %s names agreement %q (%s of %s for desk %s, objective %v), not its own",
					where, m.Metric, m.Agreement, m.Kind, m.Provider, m.Desk, m.Objective)
			}
		}
		texts = append(texts, a.Agreement, a.ProviderName, a.ConsumerName)
		if a.Credit != nil {
			texts = append(texts, a.Credit.Currency)
		}
	}

	for _, s := range groupSections(r) {
		keys := make(map[string]bool)
		for _, g := range s.groups {
			where := fmt.Sprintf("%s %q", s.name, g.Key)
			if keys[g.Key] {
				return invalid("%s appears twice", where)
			}
			keys[g.Key] = true
			if s.name != sectionGroup && !g.Organisation.IsZero() {
				// Only a group row has an organisation column to carry it.
				return invalid("%s has organisation %s, which only groups have", where, g.Organisation)
			}
			if err := metrics(where, g.Figures.Metrics); err != nil {
				return err
			}
			if err := ageing(where, &g.Figures); err != nil {
				return err
			}
			texts = append(texts, g.Key, g.Name)
		}
	}

	periods := make(map[string]bool)
	for i, p := range r.Trend {
		k := periodIdentity(p.Period)
		if periods[k] {
			return invalid("trend point %d: period %s appears twice", i, trendKey(p.Period))
		}
		periods[k] = true
		for j, m := range p.Metrics {
			if m.Metric == "" {
				return invalid("trend point %d: metric %d has no name", i, j)
			}
			texts = append(texts, m.Agreement, string(m.Metric))
		}
	}

	for _, s := range texts {
		if strings.Contains(s, "\r\n") {
			// encoding/csv reads a carriage return before a line feed as
			// part of the line end, even within quotes.
			return invalid("text %q has a carriage return before a line feed, which CSV does not keep", s)
		}
	}
	return nil
}

// checkCSVValues reports the first value of r that ReadCSV would refuse,
// by the rules of the form that both apply (inRange, knownKind): a negative
// count, amount, duration or age bucket, a fraction outside [0, 1] or NaN,
// a credit's percentage outside [0, 100], an unknown kind, an empty period,
// or a zone that does not load.
func checkCSVValues(r *Report) error {
	var err error
	fail := func(format string, args ...any) {
		if err == nil {
			err = itsm.Errorf(itsm.CodeInvalid, "report: cannot write as CSV: "+format, args...)
		}
	}
	type count struct {
		name string
		n    int
	}
	counts := func(where string, cs ...count) {
		for _, c := range cs {
			if c.n < 0 {
				fail("%s: %s %d is not a count (a whole number from 0)", where, c.name, c.n)
			}
		}
	}
	fraction := func(where, name string, f *float64) {
		if f != nil && !inRange(*f, 1) {
			fail("%s: %s %v is not a number from 0 to 1", where, name, *f)
		}
	}
	kind := func(where string, k sla.Kind) {
		if !knownKind(k) {
			fail("%s: kind %q is not SLA, OLA or UC", where, k)
		}
	}
	period := func(where string, p Period) {
		if !p.From.Before(p.To) {
			fail("%s: the period %s to %s is empty", where, p.From.Format(time.RFC3339Nano), p.To.Format(time.RFC3339Nano))
		}
	}
	metric := func(where string, m *MetricFigures, ofAgreement bool) {
		where += " metric " + strconv.Quote(string(m.Metric))
		if !ofAgreement {
			// An agreement's rows carry its kind and objective once.
			kind(where, m.Kind)
			fraction(where, "objective", &m.Objective)
		}
		counts(where, count{"met", m.Met}, count{"breached", m.Breached}, count{"stopped", m.Stopped}, count{"missed", m.Missed})
		fraction(where, "compliance", m.Compliance)
		fraction(where, "shortfall", &m.Shortfall)
		for _, d := range []struct {
			name string
			v    *Duration
		}{{"mean", m.Mean}, {"median", m.Median}, {"p90", m.P90}} {
			if d.v != nil && *d.v < 0 {
				fail("%s: %s %s is not a duration from 0", where, d.name, *d.v)
			}
		}
	}
	figures := func(where string, f *Figures) {
		counts(where, count{"registered", f.Registered}, count{"resolved", f.Resolved}, count{"closed", f.Closed},
			count{"cancelled", f.Cancelled}, count{"first_contact", f.FirstContact},
			count{"reassignments", f.Reassignments}, count{"ping_pong", f.PingPong}, count{"moves", f.Moves},
			count{"reopened", f.Reopened}, count{"backlog_open", f.Backlog.Open})
		fraction(where, "first_contact_rate", f.FirstContactRate)
		fraction(where, "reopen_rate", f.ReopenRate)
		for _, b := range f.Backlog.Ageing {
			if b.Over < 0 {
				fail("%s: the backlog's age bucket over %s is negative", where, b.Over)
			}
			counts(where, count{ageingPrefix + b.Over.String(), b.Count})
		}
		for i := range f.Metrics {
			metric(where, &f.Metrics[i], false)
		}
	}

	period("the report", r.Period)
	if r.Zone != "" {
		if _, e := loadZone(r.Zone); e != nil {
			fail("zone %q is not a time zone such as Europe/Stockholm", r.Zone)
		}
	}
	figures("total", &r.Total)
	for _, a := range r.Agreements {
		where := fmt.Sprintf("agreement %q", a.Agreement)
		kind(where, a.Kind)
		fraction(where, "objective", &a.Objective)
		if c := a.Credit; c != nil {
			if !inRange(c.Percent, 100) {
				fail("%s: credit percent %v is not a number from 0 to 100", where, c.Percent)
			}
			if c.Amount < 0 {
				fail("%s: credit amount %d is not an amount in minor units from 0", where, c.Amount)
			}
		}
		for i := range a.Metrics {
			metric(where, &a.Metrics[i], true)
		}
	}
	for _, s := range groupSections(r) {
		for i := range s.groups {
			figures(fmt.Sprintf("%s %q", s.name, s.groups[i].Key), &s.groups[i].Figures)
		}
	}
	for i, p := range r.Trend {
		where := fmt.Sprintf("trend point %d", i)
		period(where, p.Period)
		counts(where, count{"registered", p.Registered}, count{"resolved", p.Resolved}, count{"backlog_open", p.Backlog})
		for _, m := range p.Metrics {
			mw := where + " metric " + strconv.Quote(string(m.Metric))
			counts(mw, count{"met", m.Met}, count{"breached", m.Breached})
			fraction(mw, "compliance", m.Compliance)
		}
	}
	return err
}

// writeRecord writes one record as encoding/csv would, with a comma and a
// line feed, and also quotes a guarded cell (one that starts with the
// apostrophe of textCell), as OWASP advises: quoted, a spreadsheet takes
// the whole cell as text. Numbers, times and IDs never start with one.
func writeRecord(buf *bytes.Buffer, rec []string) {
	for i, field := range rec {
		if i > 0 {
			buf.WriteByte(',')
		}
		first, _ := utf8.DecodeRuneInString(field)
		if field == "" || (!strings.ContainsAny(field, ",\"\r\n") && !unicode.IsSpace(first) && first != '\'') {
			buf.WriteString(field)
			continue
		}
		buf.WriteByte('"')
		buf.WriteString(strings.ReplaceAll(field, `"`, `""`))
		buf.WriteByte('"')
	}
	buf.WriteByte('\n')
}
