package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// The sections, in the order WriteCSV writes them.
const (
	sectionTotal     = "total"
	sectionAgreement = "agreement"
	sectionPriority  = "priority"
	sectionSupplier  = "supplier"
	sectionCategory  = "category"
	sectionGroup     = "group"
	sectionTrend     = "trend"
)

// column is a fixed column of the CSV form. The age buckets' columns come
// between colBacklogOpen and colAgreement.
type column int

const (
	colPeriodFrom column = iota
	colPeriodTo
	colSection
	colKey
	colName
	colOrganisation
	colRegistered
	colResolved
	colClosed
	colCancelled
	colFirstContact
	colFirstContactRate
	colReassignments
	colPingPong
	colMoves
	colReopened
	colReopenRate
	colBacklogOpen
	colAgreement
	colDesk
	colKind
	colProvider
	colConsumer
	colProviderName
	colConsumerName
	colObjective
	colMetric
	colMet
	colBreached
	colCompliance
	colShortfall
	colStopped
	colMean
	colMedian
	colP90
	colMissed
	colCreditPercent
	colCreditAmount
	colCreditCurrency
	colZone
	colAsOf
	numColumns
)

var columnNames = [numColumns]string{
	"period_from", "period_to", "section", "key", "name", "organisation",
	"registered", "resolved", "closed", "cancelled", "first_contact", "first_contact_rate",
	"reassignments", "ping_pong", "moves", "reopened", "reopen_rate", "backlog_open",
	"agreement", "desk", "kind", "provider", "consumer", "provider_name", "consumer_name",
	"objective", "metric", "met", "breached",
	"compliance", "shortfall", "stopped", "mean", "median", "p90", "missed",
	"credit_percent", "credit_amount", "credit_currency", "zone", "as_of",
}

// ageingPrefix starts the name of an age bucket's column.
const ageingPrefix = "backlog_over_"

// layout places the columns of one file, whose age buckets depend on the
// report.
type layout struct{ ageing []Duration }

// pos is the index of a fixed column in a record.
func (l layout) pos(c column) int {
	if c > colBacklogOpen {
		return int(c) + len(l.ageing)
	}
	return int(c)
}

// ageingPos is the index of the i-th age bucket's column.
func (l layout) ageingPos(i int) int { return int(colBacklogOpen) + 1 + i }

func (l layout) width() int { return int(numColumns) + len(l.ageing) }

func (l layout) header() []string {
	out := make([]string, 0, l.width())
	out = append(out, columnNames[:colBacklogOpen+1]...)
	for _, over := range l.ageing {
		out = append(out, ageingPrefix+over.String())
	}
	return append(out, columnNames[colBacklogOpen+1:]...)
}

// columnName names the column at index i of a record.
func (l layout) columnName(i int) string {
	switch a := i - int(colBacklogOpen) - 1; {
	case a >= 0 && a < len(l.ageing):
		return ageingPrefix + l.ageing[a].String()
	case a >= len(l.ageing):
		return columnNames[i-len(l.ageing)]
	}
	return columnNames[i]
}

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
// of another section than Groups, two groups of a section with one key (or two agreements with one name and desk, or two trend points
// with one period), a metric without a name, an agreement metric whose
// agreement, desk, kind, provider or objective is not its agreement's, age buckets
// not in increasing order, a time whose offset has seconds, text with a
// carriage return before a line feed, and anything ReadCSV would refuse,
// such as a negative count or a fraction outside [0, 1].
func WriteCSV(w io.Writer, r *Report) error {
	records, err := encodeCSV(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, rec := range records {
		writeRecord(&buf, rec)
	}
	// The reader is the judge of what it can read back; what it refuses
	// is refused here, before anything reaches w.
	if _, err := decodeCSV(bytes.NewReader(buf.Bytes())); err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "report: cannot write as CSV, as it would not read back: %v", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "report: write CSV")
	}
	return nil
}

// ReadCSV reads a report that WriteCSV wrote. It checks every cell and the
// shape of the file, and reports the first problem as a CodeInvalid error
// naming the line and column. A byte order mark before the header, as some
// spreadsheets save, is skipped. Empty lists come back as empty slices, not
// nil, as encoding/json reads [].
func ReadCSV(r io.Reader) (*Report, error) {
	rep, err := decodeCSV(r)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report CSV: %v", err)
	}
	return rep, nil
}

// encodeCSV returns the records of r, header first.
func encodeCSV(r *Report) ([][]string, error) {
	if r == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report: nil report")
	}
	if err := checkCSVForm(r); err != nil {
		return nil, err
	}
	var overs []Duration
	for _, f := range allFigures(r) {
		for _, b := range f.Backlog.Ageing {
			overs = append(overs, b.Over)
		}
	}
	slices.Sort(overs)
	l := layout{ageing: slices.Compact(overs)}

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

// checkCSVForm reports what the CSV form would lose or merge in r. The rest
// of what could not be read back, such as a negative count, the reader
// finds in the records.
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

// timeCell writes t as RFC 3339, or says why that would not read back as
// the same instant (RFC 3339 has no seconds in an offset and four-digit
// years).
func timeCell(t time.Time) (string, error) {
	s := t.Format(time.RFC3339Nano)
	back, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !back.Equal(t) {
		return "", fmt.Errorf("%s cannot be written as RFC 3339", t)
	}
	return s, nil
}

// trendKey is the period as an ISO 8601 interval. RFC 3339 times hold no
// slash, so the key splits back unambiguously.
func trendKey(p Period) string {
	from, _ := timeCell(p.From)
	to, _ := timeCell(p.To)
	return from + "/" + to
}

// periodIdentity is the same for two periods of the same instants written
// in different zones.
func periodIdentity(p Period) string {
	return p.From.UTC().Format(time.RFC3339Nano) + "/" + p.To.UTC().Format(time.RFC3339Nano)
}

func floatCell(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// optionalCell is the cell of a figure that tickets may not have given
// (decision 43): cell(*v), or empty for none (nil); optional reads it back.
func optionalCell[T any](v *T, cell func(T) string) string {
	if v == nil {
		return ""
	}
	return cell(*v)
}

// formulaStarts are the characters that make a spreadsheet read a cell as a
// formula, and their full-width forms, which some spreadsheets fold to them.
const formulaStarts = "=+-@＝＋－＠"

// textCell keeps a spreadsheet from taking text for a formula (CSV
// injection, after OWASP): text that needsGuard gets a leading apostrophe,
// which writeRecord then quotes.
func textCell(s string) string {
	if needsGuard(s) {
		return "'" + s
	}
	return s
}

// needsGuard reports whether a spreadsheet could run s as a formula: it
// starts with a tab or a carriage return, or with = + - @ (or full-width
// ＝＋－＠) once leading white space and invisible formatting characters
// such as a byte order mark or a zero-width space are skipped, as some
// spreadsheets skip them. Text that starts with the guard's apostrophe is
// guarded too, so that cellText removes exactly one.
func needsGuard(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '\t', '\r', '\'':
		return true
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	first, _ := utf8.DecodeRuneInString(rest)
	return rest != "" && strings.ContainsRune(formulaStarts, first)
}

// cellText reverses textCell.
func cellText(s string) string { return strings.TrimPrefix(s, "'") }

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

// role is what a column holds in the rows of a section.
type role int

const (
	// roleEmpty columns must be empty.
	roleEmpty role = iota
	// roleGroup columns hold the group's own values, the same on each of
	// its rows.
	roleGroup
	// roleMetric columns describe the row's metric, and are empty when it
	// has none.
	roleMetric
)

// roles gives the role of each fixed column per section; an age bucket's
// column is roleGroup where colBacklogOpen is and roleEmpty elsewhere.
var roles = func() map[string][numColumns]role {
	var figures, agreement, trend [numColumns]role
	for c := colRegistered; c <= colBacklogOpen; c++ {
		figures[c] = roleGroup
	}
	for _, c := range []column{colAgreement, colDesk, colKind, colProvider, colObjective, colMetric, colMet, colBreached,
		colCompliance, colShortfall, colStopped, colMean, colMedian, colP90, colMissed} {
		figures[c] = roleMetric
	}
	total := figures
	figures[colName] = roleGroup
	group := figures
	group[colOrganisation] = roleGroup

	for _, c := range []column{colAgreement, colDesk, colKind, colProvider, colConsumer, colProviderName, colConsumerName,
		colObjective, colCreditPercent, colCreditAmount, colCreditCurrency} {
		agreement[c] = roleGroup
	}
	for _, c := range []column{colMetric, colMet, colBreached, colCompliance, colShortfall, colStopped,
		colMean, colMedian, colP90, colMissed} {
		agreement[c] = roleMetric
	}

	for _, c := range []column{colRegistered, colResolved, colBacklogOpen} {
		trend[c] = roleGroup
	}
	for _, c := range []column{colAgreement, colDesk, colProvider, colMetric, colMet, colBreached, colCompliance} {
		trend[c] = roleMetric
	}
	for _, r := range []*[numColumns]role{&total, &figures, &group, &agreement, &trend} {
		r[colPeriodFrom], r[colPeriodTo], r[colSection] = roleGroup, roleGroup, roleGroup
		r[colZone], r[colAsOf] = roleGroup, roleGroup
	}
	return map[string][numColumns]role{
		sectionTotal: total, sectionAgreement: agreement, sectionTrend: trend,
		sectionPriority: figures, sectionSupplier: figures, sectionCategory: figures, sectionGroup: group,
	}
}()

// hasFigures holds the sections whose rows carry a group's Figures, and so
// its age buckets.
var hasFigures = map[string]bool{sectionTotal: true, sectionPriority: true, sectionSupplier: true, sectionCategory: true,
	sectionGroup: true}

// decoder reads the records of one file after its header.
type decoder struct {
	cr     *csv.Reader
	l      layout
	rep    *Report
	record []string
	// firstFrom, firstTo, firstZone and firstAsOf are the report's cells
	// of the first row, which every row repeats.
	firstFrom, firstTo, firstZone, firstAsOf string
	firstLine                                int
	haveTotal                                bool
	// seen maps each group's identity to its first line, so that a group
	// whose rows are not together is refused rather than split.
	seen map[string]int
	cur  *openGroup
}

// openGroup is the group whose rows are being read.
type openGroup struct {
	identity string
	line     int
	record   []string
	section  string
	// noMetric is set when its row has no metric, which must then be its
	// only row.
	noMetric bool
	// add appends the current row's metric to the group.
	add func() error
}

// cellError is a problem with one cell, or with a whole row when column is
// negative.
type cellError struct {
	line, column int
	name, msg    string
}

func (e *cellError) Error() string {
	if e.column < 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d, column %d (%s): %s", e.line, e.column+1, e.name, e.msg)
}

func decodeCSV(r io.Reader) (*Report, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty: no header row")
	}
	if err != nil {
		return nil, err
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	l, err := readHeader(cr, header)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		cr: cr,
		l:  l,
		rep: &Report{
			Total:      Figures{Backlog: Backlog{Ageing: []AgeBucket{}}, Metrics: []MetricFigures{}},
			Agreements: []AgreementFigures{}, Priorities: []Group{}, Suppliers: []Group{},
			Categories: []Group{}, Trend: []TrendPoint{},
		},
		seen: make(map[string]int),
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		d.record = rec
		if err := d.row(); err != nil {
			return nil, err
		}
	}
	if !d.haveTotal {
		return nil, errors.New("no total row")
	}
	if err := d.rep.inZone(); err != nil {
		return nil, err
	}
	return d.rep, nil
}

// readHeader checks the header and finds the age buckets' columns in it.
func readHeader(cr *csv.Reader, header []string) (layout, error) {
	fail := func(i int, format string, args ...any) error {
		line, _ := cr.FieldPos(min(i, len(header)-1))
		return &cellError{line: line, column: i, name: "header", msg: fmt.Sprintf(format, args...)}
	}
	if len(header) < int(numColumns) {
		return layout{}, fail(len(header)-1, "%d columns, want at least %d", len(header), numColumns)
	}
	var l layout
	for i := range len(header) - int(numColumns) {
		at := int(colBacklogOpen) + 1 + i
		name, ok := strings.CutPrefix(header[at], ageingPrefix)
		if !ok {
			return layout{}, fail(at, "%q, want an age bucket %s<duration> or %q", header[at], ageingPrefix, columnNames[colAgreement])
		}
		over, err := time.ParseDuration(name)
		if err != nil || over < 0 {
			return layout{}, fail(at, "%q: the age bucket is not a duration from 0", header[at])
		}
		if i > 0 && Duration(over) <= l.ageing[i-1] {
			return layout{}, fail(at, "%q: age buckets must increase", header[at])
		}
		l.ageing = append(l.ageing, Duration(over))
	}
	for c := range numColumns {
		if got := header[l.pos(c)]; got != columnNames[c] {
			return layout{}, fail(l.pos(c), "%q, want %q", got, columnNames[c])
		}
	}
	return l, nil
}

func (d *decoder) cell(c column) string { return d.record[d.l.pos(c)] }

func (d *decoder) failAt(i int, format string, args ...any) error {
	line, _ := d.cr.FieldPos(i)
	return &cellError{line: line, column: i, name: d.l.columnName(i), msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) fail(c column, format string, args ...any) error {
	return d.failAt(d.l.pos(c), format, args...)
}

func (d *decoder) failRow(format string, args ...any) error {
	line, _ := d.cr.FieldPos(0)
	return &cellError{line: line, column: -1, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) count(c column) (int, error) {
	return d.countAt(d.l.pos(c))
}

func (d *decoder) countAt(i int) (int, error) {
	s := d.record[i]
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, d.failAt(i, "%q is not a count (a whole number from 0)", s)
	}
	return n, nil
}

// number reads a finite float within [0, limit].
func (d *decoder) number(c column, limit float64) (float64, error) {
	s := d.cell(c)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > limit {
		return 0, d.fail(c, "%q is not a number from 0 to %v", s, limit)
	}
	return f, nil
}

func (d *decoder) fraction(c column) (float64, error) { return d.number(c, 1) }

// optional reads the figure of column c with read, or none (nil) from an
// empty cell: it reverses optionalCell.
func optional[T any](d *decoder, c column, read func(column) (T, error)) (*T, error) {
	if d.cell(c) == "" {
		return nil, nil
	}
	v, err := read(c)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (d *decoder) duration(c column) (Duration, error) {
	s := d.cell(c)
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, d.fail(c, "%q is not a duration from 0, such as 26h30m0s", s)
	}
	return Duration(v), nil
}

func (d *decoder) id(c column) (itsm.ID, error) {
	s := d.cell(c)
	id, err := itsm.ParseID(s)
	if err != nil {
		return itsm.ID{}, d.fail(c, "%q is not an ID", s)
	}
	return id, nil
}

func (d *decoder) kind(c column) (sla.Kind, error) {
	switch k := sla.Kind(d.cell(c)); k {
	case sla.KindSLA, sla.KindOLA, sla.KindUC:
		return k, nil
	}
	return "", d.fail(c, "%q is not SLA, OLA or UC", d.cell(c))
}

func (d *decoder) timeOf(c column, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, d.fail(c, "%q is not an RFC 3339 time", s)
	}
	return t, nil
}

func (d *decoder) period(c column, from, to string) (Period, error) {
	f, err := d.timeOf(c, from)
	if err != nil {
		return Period{}, err
	}
	t, err := d.timeOf(c, to)
	if err != nil {
		return Period{}, err
	}
	if !f.Before(t) {
		return Period{}, d.fail(c, "the period %s to %s is empty", from, to)
	}
	return Period{From: f, To: t}, nil
}

// row reads one record after the header.
func (d *decoder) row() error {
	section := d.cell(colSection)
	roles, ok := roles[section]
	if !ok {
		return d.fail(colSection, "%q is not one of total, agreement, priority, supplier, category, group and trend", section)
	}
	if d.firstLine == 0 {
		p, err := d.period(colPeriodFrom, d.cell(colPeriodFrom), d.cell(colPeriodTo))
		if err != nil {
			return err
		}
		d.rep.Period = p
		if err := d.zoneAndAsOf(); err != nil {
			return err
		}
		d.firstFrom, d.firstTo = d.cell(colPeriodFrom), d.cell(colPeriodTo)
		d.firstZone, d.firstAsOf = d.cell(colZone), d.cell(colAsOf)
		d.firstLine, _ = d.cr.FieldPos(0)
	}
	if d.cell(colPeriodFrom) != d.firstFrom || d.cell(colPeriodTo) != d.firstTo {
		return d.fail(colPeriodFrom, "the period %s to %s is not the one on line %d", d.cell(colPeriodFrom), d.cell(colPeriodTo), d.firstLine)
	}
	if d.cell(colZone) != d.firstZone {
		return d.fail(colZone, "%q is not the zone %q on line %d", d.cell(colZone), d.firstZone, d.firstLine)
	}
	if d.cell(colAsOf) != d.firstAsOf {
		return d.fail(colAsOf, "%q is not the as_of %q on line %d", d.cell(colAsOf), d.firstAsOf, d.firstLine)
	}

	hasMetric := d.cell(colMetric) != ""
	if hasMetric && cellText(d.cell(colMetric)) == "" {
		return d.fail(colMetric, "a metric needs a name")
	}
	for c := range numColumns {
		switch s := d.cell(c); {
		case c == colKey || s == "":
		case roles[c] == roleEmpty:
			return d.fail(c, "must be empty in a %s row", section)
		case roles[c] == roleMetric && !hasMetric:
			return d.fail(c, "must be empty in a row without a metric")
		}
	}
	for i := range d.l.ageing {
		if at := d.l.ageingPos(i); d.record[at] != "" && !hasFigures[section] {
			return d.failAt(at, "must be empty in a %s row", section)
		}
	}

	identity, err := d.identity(section)
	if err != nil {
		return err
	}
	if d.cur != nil && d.cur.identity == identity {
		return d.continueGroup(roles, hasMetric)
	}
	if first, ok := d.seen[identity]; ok {
		return d.failRow("%s %q appears again after line %d; a group's rows must be together", section, cellText(d.cell(colKey)), first)
	}
	line, _ := d.cr.FieldPos(0)
	d.seen[identity] = line
	d.cur = &openGroup{identity: identity, line: line, record: d.record, section: section, noMetric: !hasMetric}
	if err := d.openGroup(section); err != nil {
		return err
	}
	if hasMetric {
		return d.cur.add()
	}
	return nil
}

// zoneAndAsOf reads the report's zone and as_of from the first row.
func (d *decoder) zoneAndAsOf() error {
	if z := d.cell(colZone); z != "" {
		if _, err := loadZone(z); err != nil {
			return d.fail(colZone, "%q is not a time zone such as Europe/Stockholm", z)
		}
		d.rep.Zone = z
	}
	if s := d.cell(colAsOf); s != "" {
		t, err := d.timeOf(colAsOf, s)
		if err != nil {
			return err
		}
		d.rep.Partial, d.rep.AsOf = true, t
	}
	return nil
}

// identity tells the groups of a file apart by their values, so that two
// spellings of one key cannot make two groups that write back as one.
func (d *decoder) identity(section string) (string, error) {
	key := cellText(d.cell(colKey))
	switch section {
	case sectionTotal:
		if key != "" {
			return "", d.fail(colKey, "must be empty in a total row")
		}
	case sectionAgreement:
		if key != cellText(d.cell(colAgreement)) {
			return "", d.fail(colKey, "%q is not the agreement's name %q", key, cellText(d.cell(colAgreement)))
		}
		desk, err := d.id(colDesk)
		if err != nil {
			return "", err
		}
		key += "\x00" + desk.String()
	case sectionTrend:
		from, to, ok := strings.Cut(key, "/")
		if !ok {
			return "", d.fail(colKey, "%q is not a period from/to", key)
		}
		p, err := d.period(colKey, from, to)
		if err != nil {
			return "", err
		}
		key = periodIdentity(p)
	}
	return section + "\x00" + key, nil
}

// continueGroup reads another row of the open group.
func (d *decoder) continueGroup(roles [numColumns]role, hasMetric bool) error {
	g := d.cur
	if g.noMetric || !hasMetric {
		return d.failRow("%s %q has a row without a metric, which must then be its only row (line %d)",
			g.section, cellText(d.cell(colKey)), g.line)
	}
	same := func(i int) error {
		if d.record[i] != g.record[i] {
			return d.failAt(i, "%q differs from %q on line %d, the group's first row", d.record[i], g.record[i], g.line)
		}
		return nil
	}
	for c := range numColumns {
		if roles[c] == roleGroup || c == colKey {
			if err := same(d.l.pos(c)); err != nil {
				return err
			}
		}
	}
	if hasFigures[g.section] {
		for i := range d.l.ageing {
			if err := same(d.l.ageingPos(i)); err != nil {
				return err
			}
		}
	}
	return g.add()
}

// openGroup reads the group's own cells from its first row and sets add.
func (d *decoder) openGroup(section string) error {
	switch section {
	case sectionTotal:
		d.haveTotal = true
		return d.figuresGroup(&d.rep.Total)
	case sectionAgreement:
		return d.agreementGroup()
	case sectionTrend:
		return d.trendGroup()
	}
	g := Group{Key: cellText(d.cell(colKey)), Name: cellText(d.cell(colName))}
	if section == sectionGroup && d.cell(colOrganisation) != "" {
		org, err := d.id(colOrganisation)
		if err != nil {
			return err
		}
		g.Organisation = org
	}
	list := map[string]*[]Group{
		sectionPriority: &d.rep.Priorities, sectionSupplier: &d.rep.Suppliers, sectionCategory: &d.rep.Categories,
		sectionGroup: &d.rep.Groups,
	}[section]
	*list = append(*list, g)
	return d.figuresGroup(&(*list)[len(*list)-1].Figures)
}

func (d *decoder) figuresGroup(f *Figures) error {
	var err error
	counts := []struct {
		c column
		v *int
	}{
		{colRegistered, &f.Registered}, {colResolved, &f.Resolved}, {colClosed, &f.Closed},
		{colCancelled, &f.Cancelled}, {colFirstContact, &f.FirstContact},
		{colReassignments, &f.Reassignments}, {colPingPong, &f.PingPong}, {colMoves, &f.Moves}, {colReopened, &f.Reopened},
		{colBacklogOpen, &f.Backlog.Open},
	}
	for _, n := range counts {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	if f.FirstContactRate, err = optional(d, colFirstContactRate, d.fraction); err != nil {
		return err
	}
	if f.ReopenRate, err = optional(d, colReopenRate, d.fraction); err != nil {
		return err
	}
	f.Backlog.Ageing = []AgeBucket{}
	for i, over := range d.l.ageing {
		at := d.l.ageingPos(i)
		if d.record[at] == "" {
			continue
		}
		n, err := d.countAt(at)
		if err != nil {
			return err
		}
		f.Backlog.Ageing = append(f.Backlog.Ageing, AgeBucket{Over: over, Count: n})
	}
	f.Metrics = []MetricFigures{}
	d.cur.add = func() error {
		var m MetricFigures
		var err error
		m.Agreement = cellText(d.cell(colAgreement))
		if m.Desk, err = d.id(colDesk); err != nil {
			return err
		}
		if m.Kind, err = d.kind(colKind); err != nil {
			return err
		}
		if m.Provider, err = d.id(colProvider); err != nil {
			return err
		}
		if m.Objective, err = d.fraction(colObjective); err != nil {
			return err
		}
		if err := d.metric(&m); err != nil {
			return err
		}
		f.Metrics = append(f.Metrics, m)
		return nil
	}
	return nil
}

// metric reads the columns that every metric row of a figures or agreement
// group has.
func (d *decoder) metric(m *MetricFigures) error {
	var err error
	m.Metric = sla.Metric(cellText(d.cell(colMetric)))
	for _, n := range []struct {
		c column
		v *int
	}{{colMet, &m.Met}, {colBreached, &m.Breached}, {colStopped, &m.Stopped}, {colMissed, &m.Missed}} {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	if m.Compliance, err = optional(d, colCompliance, d.fraction); err != nil {
		return err
	}
	if m.Shortfall, err = d.fraction(colShortfall); err != nil {
		return err
	}
	for _, n := range []struct {
		c column
		v **Duration
	}{{colMean, &m.Mean}, {colMedian, &m.Median}, {colP90, &m.P90}} {
		if *n.v, err = optional(d, n.c, d.duration); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) agreementGroup() error {
	a := AgreementFigures{Agreement: cellText(d.cell(colAgreement)), ProviderName: cellText(d.cell(colProviderName)),
		ConsumerName: cellText(d.cell(colConsumerName)), Metrics: []MetricFigures{}}
	var err error
	if a.Desk, err = d.id(colDesk); err != nil {
		return err
	}
	if a.Kind, err = d.kind(colKind); err != nil {
		return err
	}
	if a.Provider, err = d.id(colProvider); err != nil {
		return err
	}
	if a.Consumer, err = d.id(colConsumer); err != nil {
		return err
	}
	if a.Objective, err = d.fraction(colObjective); err != nil {
		return err
	}
	if d.cell(colCreditPercent) != "" {
		c := &Credit{Currency: cellText(d.cell(colCreditCurrency))}
		if c.Percent, err = d.number(colCreditPercent, 100); err != nil {
			return err
		}
		s := d.cell(colCreditAmount)
		if c.Amount, err = strconv.ParseInt(s, 10, 64); err != nil || c.Amount < 0 {
			return d.fail(colCreditAmount, "%q is not an amount in minor units from 0", s)
		}
		a.Credit = c
	} else {
		for _, c := range []column{colCreditAmount, colCreditCurrency} {
			if d.cell(c) != "" {
				return d.fail(c, "must be empty when credit_percent is")
			}
		}
	}
	d.rep.Agreements = append(d.rep.Agreements, a)
	i := len(d.rep.Agreements) - 1
	d.cur.add = func() error {
		a := &d.rep.Agreements[i]
		m := MetricFigures{Agreement: a.Agreement, Desk: a.Desk, Kind: a.Kind, Provider: a.Provider, Objective: a.Objective}
		if err := d.metric(&m); err != nil {
			return err
		}
		a.Metrics = append(a.Metrics, m)
		return nil
	}
	return nil
}

func (d *decoder) trendGroup() error {
	key := cellText(d.cell(colKey))
	from, to, _ := strings.Cut(key, "/")
	p := TrendPoint{Metrics: []MetricPoint{}}
	var err error
	if p.Period, err = d.period(colKey, from, to); err != nil {
		return err
	}
	for _, n := range []struct {
		c column
		v *int
	}{{colRegistered, &p.Registered}, {colResolved, &p.Resolved}, {colBacklogOpen, &p.Backlog}} {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	d.rep.Trend = append(d.rep.Trend, p)
	i := len(d.rep.Trend) - 1
	d.cur.add = func() error {
		m := MetricPoint{Agreement: cellText(d.cell(colAgreement)), Metric: sla.Metric(cellText(d.cell(colMetric)))}
		var err error
		if m.Desk, err = d.id(colDesk); err != nil {
			return err
		}
		if m.Provider, err = d.id(colProvider); err != nil {
			return err
		}
		if m.Met, err = d.count(colMet); err != nil {
			return err
		}
		if m.Breached, err = d.count(colBreached); err != nil {
			return err
		}
		if m.Compliance, err = optional(d, colCompliance, d.fraction); err != nil {
			return err
		}
		d.rep.Trend[i].Metrics = append(d.rep.Trend[i].Metrics, m)
		return nil
	}
	return nil
}
