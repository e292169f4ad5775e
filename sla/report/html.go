package report

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

//go:embed templates/report.html.tmpl
var pageSource string

// pageTemplate is parsed once; html/template escapes every value it writes,
// in the HTML and in the SVG alike, so names from tickets cannot inject
// markup.
var pageTemplate = template.Must(template.New("report").Parse(pageSource))

// styleSources are HTMLStyleSources, computed once from the template.
var styleSources = func() []string {
	var out []string
	rest := pageSource
	for {
		_, after, ok := strings.Cut(rest, "<style>")
		if !ok {
			return out
		}
		sheet, after, ok := strings.Cut(after, "</style>")
		if !ok || strings.Contains(sheet, "{{") {
			// The hash must be of what every page holds.
			panic("report: the page's style sheet must be static text")
		}
		sum := sha256.Sum256([]byte(sheet))
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		rest = after
	}
}()

// HTMLStyleSources returns the Content-Security-Policy sources (CSP level
// 2 hashes, such as 'sha256-…') of the inline style sheets of the pages
// WriteHTML writes, for a server's style-src. The page needs nothing else:
// no script, no image, font or other resource, no style attribute, so a
// server can send it with default-src 'none' and these in style-src.
func HTMLStyleSources() []string { return slices.Clone(styleSources) }

// WriteHTML writes one self-contained HTML page for the reports, one or
// more periods such as the months of a year: a summary per report (the
// totals, each agreement metric's compliance against its objective, met or
// breached, the credit owed, and the breakdowns) and SVG charts drawn here:
// a small chart per agreement of its metrics' compliance per period, with
// its objective as a dashed line, all on one scale; the backlog at the end
// of each period; and the clocks breached per supplier over all the
// reports. The charts' periods are those of the reports and of their
// trends, so one report with a trend charts its previous periods too. The
// charts scale to the width of the page and sit side by side where it is
// wide, one under the other on a phone; durations read as "17 h 39 min".
//
// A report with Problems has a table of them: all organisations, then
// each.
//
// A Partial report's page says at its top and in its section that the
// period has not ended and as of when its figures are; a metric that
// decided no ticket shows "no tickets" and has no point in the chart, one
// whose clocks none stopped a dash for its median and P90, and a group
// that resolved none "none resolved" for its rates.
//
// The page has no script, fetches nothing (styles are inline, fonts the
// reader's own) and can be mailed or archived as one file. The reports must
// cover different, non-empty periods; the page is built in memory and
// nothing is written when they do not.
func WriteHTML(w io.Writer, reports ...*Report) error {
	p, err := buildPage(reports)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "report: HTML page")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "report: write HTML")
	}
	return nil
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title   string
	Summary string
	// Partial tells of each period that had not ended.
	Partial []string
	// Per is what a chart's period is, "month" for months.
	Per string
	// Compliance has a chart per agreement; Overview the backlog's and the
	// suppliers' charts.
	Compliance []svgChart
	Overview   []svgChart
	Reports    []htmlReport
}

type htmlReport struct {
	ID    string
	Title string
	// Partial tells that the period had not ended, empty when it had.
	Partial    string
	Totals     []htmlFigure
	Agreements []htmlAgreementRow
	Breakdowns []htmlBreakdown
	// Requests is the table of the orders, nil when the report has none.
	Requests *htmlRequests
	// Problems is the table of the problem figures, nil when the report
	// has none.
	Problems []htmlProblemRow
}

// htmlProblemRow is the problem figures of all organisations or of one.
type htmlProblemRow struct {
	Label, Title                                  string
	Opened, Resolved, Open, KnownErrors, Resolves int
	ByWorkaround                                  int
	Share                                         string
}

// htmlRequests is the table of a report's Requests: the total, each type
// and each item.
type htmlRequests struct {
	Calendar string
	Rows     []htmlRequestRow
}

type htmlRequestRow struct {
	Label                                          string
	Placed, Fulfilled, Closed, Declined, Cancelled int
	Lead, LeadP90, Approval                        string
}

// htmlFigure is one of a report's headline numbers.
type htmlFigure struct{ Label, Value string }

// htmlAgreementRow is one metric of an agreement. The first row of an
// agreement carries its cells that span its metrics.
type htmlAgreementRow struct {
	First     bool
	Span      int
	Agreement string
	Kind      string
	Provider  string
	ProviderT string
	Consumer  string
	ConsumerT string
	Credit    string
	// NoMetric is set on the only row of an agreement that measured no
	// ticket.
	NoMetric bool
	// NoTickets is set on a metric that decided no ticket, which has no
	// compliance to show or judge.
	NoTickets  bool
	Metric     string
	Met        int
	Breached   int
	Compliance string
	Objective  string
	Breach     bool
	Median     string
	P90        string
	Missed     int
}

type htmlBreakdown struct {
	Title, Caption string
	Rows           []htmlGroupRow
}

type htmlGroupRow struct {
	Label        string
	Registered   int
	Resolved     int
	FirstContact string
	Reopen       string
	Reassigned   int
	Moves        int
	Backlog      int
	Breached     int
}

// buildPage checks the reports and lays out everything the page shows.
func buildPage(reports []*Report) (*htmlPage, error) {
	if len(reports) == 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report: no report for the HTML page")
	}
	seen := make(map[string]int)
	for i, r := range reports {
		if r == nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "report: report %d is nil", i)
		}
		if !r.Period.From.Before(r.Period.To) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "report: report %d: the period %s to %s is empty",
				i, r.Period.From.Format(time.RFC3339), r.Period.To.Format(time.RFC3339))
		}
		k := periodIdentity(r.Period)
		if j, ok := seen[k]; ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "report: reports %d and %d are both for %s", j, i, periodTitle(r.Period))
		}
		seen[k] = i
	}
	names := orgNames(reports)
	s := collectSeries(reports, names)

	p := &htmlPage{}
	first, last := reports[0].Period, reports[0].Period
	for _, r := range reports {
		if r.Period.From.Before(first.From) {
			first = r.Period
		}
		if r.Period.To.After(last.To) {
			last = r.Period
		}
	}
	p.Title = "Service-level report, " + periodTitle(reports[0].Period)
	if len(reports) > 1 {
		p.Title = "Service-level report, " + periodTitle(first) + " – " + periodTitle(last)
	}
	p.Per = strings.ToLower(axisTitle(s.periods))
	p.Summary = fmt.Sprintf("%d %s, %d %s with %d %s charted over %d %s.",
		len(reports), plural(len(reports), "report", "reports"),
		len(s.agreements), plural(len(s.agreements), "agreement", "agreements"),
		len(s.series), plural(len(s.series), "metric", "metrics"),
		len(s.periods), plural(len(s.periods), p.Per, p.Per+"s"))
	p.Compliance = complianceCharts(s)
	p.Overview = []svgChart{backlogChart(s), supplierChart(reports, names)}
	for i, r := range reports {
		p.Reports = append(p.Reports, buildReport(i, r, names))
		if n := p.Reports[i].Partial; n != "" {
			p.Partial = append(p.Partial, n)
		}
	}
	return p, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// orgNames finds the display names of organisations in the reports: the
// agreements' provider and consumer names, and the supplier groups' names
// for an organisation that no agreement names. An agreement names the desk
// and the customers too, which no supplier group does.
func orgNames(reports []*Report) map[itsm.ID]string {
	out := make(map[itsm.ID]string)
	for _, r := range reports {
		for _, g := range r.Suppliers {
			if id, err := itsm.ParseID(g.Key); err == nil && g.Name != "" {
				out[id] = g.Name
			}
		}
	}
	for _, r := range reports {
		for _, a := range r.Agreements {
			if a.ProviderName != "" {
				out[a.Provider] = a.ProviderName
			}
			if a.ConsumerName != "" {
				out[a.Consumer] = a.ConsumerName
			}
		}
	}
	return out
}

// orgLabel is an organisation's name, or the start of its ID, with the
// whole ID for a tooltip. The name given wins over the one in names, so
// that an agreement's row shows the name the agreement carries.
func orgLabel(id itsm.ID, name string, names map[itsm.ID]string) (label, title string) {
	if name != "" {
		return name, id.String()
	}
	if n, ok := names[id]; ok {
		return n, id.String()
	}
	return id.String()[:8] + "…", id.String()
}

func buildReport(i int, r *Report, names map[itsm.ID]string) htmlReport {
	out := htmlReport{ID: fmt.Sprintf("report-%d", i+1), Title: periodTitle(r.Period)}
	if r.Partial {
		out.Partial = fmt.Sprintf("%s has not ended: these figures are as of %s, and will change.",
			periodTitle(r.Period), r.AsOf.In(r.Period.From.Location()).Format("2 January 2006 15:04 MST"))
	}
	t := &r.Total
	out.Totals = []htmlFigure{
		{"Registered", strconv.Itoa(t.Registered)},
		{"Resolved", strconv.Itoa(t.Resolved)},
		{"Closed", strconv.Itoa(t.Closed)},
		{"Cancelled", strconv.Itoa(t.Cancelled)},
		{"Resolved at first contact", fmt.Sprintf("%d (%s)", t.FirstContact, figureText(t.FirstContactRate, percent, noneResolved))},
		{"Reopened", fmt.Sprintf("%d (%s)", t.Reopened, figureText(t.ReopenRate, percent, noneResolved))},
		{"Re-assignments", strconv.Itoa(t.Reassignments)},
		{"Ping-pong", strconv.Itoa(t.PingPong)},
		{"Moves between groups", strconv.Itoa(t.Moves)},
		{"Open at the end", strconv.Itoa(t.Backlog.Open)},
	}
	for j, b := range t.Backlog.Ageing {
		out.Totals = append(out.Totals, htmlFigure{"Open " + ageLabel(t.Backlog.Ageing, j), strconv.Itoa(b.Count)})
	}

	for _, a := range r.Agreements {
		provider, providerT := orgLabel(a.Provider, a.ProviderName, names)
		consumer, consumerT := orgLabel(a.Consumer, a.ConsumerName, names)
		row := htmlAgreementRow{
			First: true, Span: max(len(a.Metrics), 1), Agreement: a.Agreement, Kind: string(a.Kind),
			Provider: provider, ProviderT: providerT, Consumer: consumer, ConsumerT: consumerT,
			Credit: creditText(a.Credit),
		}
		if len(a.Metrics) == 0 {
			row.NoMetric = true
			out.Agreements = append(out.Agreements, row)
			continue
		}
		for j, m := range a.Metrics {
			if j > 0 {
				row = htmlAgreementRow{}
			}
			row.Metric = string(m.Metric)
			row.Met, row.Breached, row.Missed = m.Met, m.Breached, m.Missed
			row.Compliance, row.Objective = figureText(m.Compliance, percent, "–"), percent(m.Objective)
			row.NoTickets = m.Compliance == nil
			row.Breach = m.Shortfall > 0
			row.Median, row.P90 = figureText(m.Median, durationText, "–"), figureText(m.P90, durationText, "–")
			out.Agreements = append(out.Agreements, row)
		}
	}

	for _, s := range []struct {
		title  string
		groups []Group
	}{{"Priority", r.Priorities}, {"Supplier", r.Suppliers}, {"Category", r.Categories}, {"Group", r.Groups}} {
		if len(s.groups) == 0 {
			continue
		}
		b := htmlBreakdown{Title: s.title, Caption: "By " + strings.ToLower(s.title)}
		for _, g := range s.groups {
			f := &g.Figures
			label := groupLabel(g)
			if !g.Organisation.IsZero() {
				// Two organisations may each have a group of one name.
				org, _ := orgLabel(g.Organisation, "", names)
				label += " (" + org + ")"
			}
			b.Rows = append(b.Rows, htmlGroupRow{
				Label: label, Registered: f.Registered, Resolved: f.Resolved,
				FirstContact: figureText(f.FirstContactRate, percent, noneResolved), Reopen: figureText(f.ReopenRate, percent, noneResolved),
				Reassigned: f.Reassignments, Moves: f.Moves, Backlog: f.Backlog.Open, Breached: breaches(f),
			})
		}
		out.Breakdowns = append(out.Breakdowns, b)
	}
	out.Requests = requestTable(r.Requests)
	out.Problems = problemTable(r.Problems, names)
	return out
}

// problemTable lays out the problem figures: a row for all organisations,
// then one per organisation. A share of no incident is "none resolved", as
// a group's rates.
func problemTable(pb *Problems, names map[itsm.ID]string) []htmlProblemRow {
	if pb == nil {
		return nil
	}
	row := func(label, title string, f *ProblemFigures) htmlProblemRow {
		return htmlProblemRow{Label: label, Title: title, Opened: f.Opened, Resolved: f.Resolved, Open: f.Open,
			KnownErrors: f.KnownErrorsUnfixed, Resolves: f.IncidentsResolved, ByWorkaround: f.ByWorkaround,
			Share: figureText(f.WorkaroundShare, percent, noneResolved)}
	}
	out := []htmlProblemRow{row("All organisations", "", &pb.Total)}
	for _, g := range pb.Organisations {
		label, title := orgLabel(g.Organisation, g.Name, names)
		out = append(out, row(label, title, &g.Figures))
	}
	return out
}

// requestTable lays out the orders' figures: a row for all of them, one
// per type and one per item. A time no order gave is "–", as a metric's.
func requestTable(rq *Requests) *htmlRequests {
	if rq == nil {
		return nil
	}
	row := func(label string, f *RequestFigures) htmlRequestRow {
		return htmlRequestRow{Label: label, Placed: f.Placed, Fulfilled: f.Fulfilled, Closed: f.Closed,
			Declined: f.Declined, Cancelled: f.Cancelled,
			Lead: figureText(f.LeadTime.Median, durationText, "–"), LeadP90: figureText(f.LeadTime.P90, durationText, "–"),
			Approval: figureText(f.ApprovalTime.Median, durationText, "–")}
	}
	out := &htmlRequests{Calendar: rq.Calendar, Rows: []htmlRequestRow{row("All orders", &rq.Total)}}
	for _, g := range rq.Types {
		out.Rows = append(out.Rows, row("Type "+g.Key, &g.Figures))
	}
	for _, g := range rq.Items {
		out.Rows = append(out.Rows, row(cmp.Or(g.Name, g.Key), &g.Figures))
	}
	return out
}

func groupLabel(g Group) string {
	switch {
	case g.Name != "":
		return g.Name
	case g.Key == "":
		return "(none)"
	}
	return g.Key
}

func breaches(f *Figures) int {
	n := 0
	for _, m := range f.Metrics {
		n += m.Breached
	}
	return n
}

// percent writes a fraction as a percentage with at most one decimal, and
// "n/a" for a value that is not a number.
func percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return strings.TrimSuffix(strconv.FormatFloat(f*100, 'f', 1, 64), ".0") + "%"
}

// noneResolved stands on the page for a rate of the tickets resolved when
// none was: no ticket, no figure (decision 43).
const noneResolved = "none resolved"

// figureText is text(*v) for a figure that tickets may not have given, and
// none, the text that stands for it, when there is no figure (nil).
func figureText[T any](v *T, text func(T) string, none string) string {
	if v == nil {
		return none
	}
	return text(*v)
}

// durationText writes a duration as a service manager reads one: hours
// and minutes from an hour ("17 h 39 min", "26 h"), else minutes and
// seconds ("22 min 59 s"), else seconds ("40 s"), each rounded to its last
// unit. It counts no days: the durations are working time, in which a day
// could be read as 24 hours or as one working day.
func durationText(d Duration) string {
	v := time.Duration(d)
	sign := ""
	if v < 0 {
		// The reports have no negative durations; one still reads right.
		sign, v = "-", -v
	}
	if v < time.Hour {
		v = v.Round(time.Second)
	}
	if v >= time.Hour {
		v = v.Round(time.Minute)
	}
	h, m, sec := int64(v/time.Hour), int64(v%time.Hour/time.Minute), int64(v%time.Minute/time.Second)
	var parts []string
	switch {
	case h > 0:
		parts = append(parts, strconv.FormatInt(h, 10)+" h")
		if m > 0 {
			parts = append(parts, strconv.FormatInt(m, 10)+" min")
		}
	case m > 0:
		parts = append(parts, strconv.FormatInt(m, 10)+" min")
		if sec > 0 {
			parts = append(parts, strconv.FormatInt(sec, 10)+" s")
		}
	default:
		parts = append(parts, strconv.FormatInt(sec, 10)+" s")
	}
	return sign + strings.Join(parts, " ")
}

// ageLabel names bucket j of a backlog's ageing, in days where it can.
func ageLabel(buckets []AgeBucket, j int) string {
	days := func(d Duration) string {
		if d%Duration(24*time.Hour) == 0 {
			n := int64(d / Duration(24*time.Hour))
			return strconv.FormatInt(n, 10) + plural(int(n), " day", " days")
		}
		return durationText(d)
	}
	from := buckets[j].Over
	if j == len(buckets)-1 {
		return days(from) + " or older"
	}
	to := buckets[j+1].Over
	if from == 0 {
		return "younger than " + days(to)
	}
	return days(from) + " to " + days(to)
}

// minorUnits gives the ISO 4217 currencies whose minor unit is not a
// hundredth; every other is taken to have two decimals.
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

func creditText(c *Credit) string {
	if c == nil {
		return "no credit rule"
	}
	if c.Percent == 0 && c.Amount == 0 {
		return "none owed"
	}
	return fmt.Sprintf("%s (%s%% of the fee)", money(c.Amount, c.Currency), strconv.FormatFloat(c.Percent, 'g', -1, 64))
}

// money writes an amount in minor units as 12,345.67 SEK.
func money(amount int64, currency string) string {
	decimals, ok := minorUnits[currency]
	if !ok {
		decimals = 2
	}
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-(amount+1))+1
	}
	digits := strconv.FormatUint(u, 10)
	for len(digits) <= decimals {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-decimals], digits[len(digits)-decimals:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := sign + b.String()
	if decimals > 0 {
		out += "." + frac
	}
	return strings.TrimSpace(out + " " + currency)
}

// startsMonth reports whether t is the first midnight of a month in its
// location.
func startsMonth(t time.Time) bool {
	return t.Equal(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location()))
}

// isMonth reports whether p is one calendar month in its location.
func isMonth(p Period) bool { return startsMonth(p.From) && p.To.Equal(p.From.AddDate(0, 1, 0)) }

// isYear reports whether p is one calendar year in its location.
func isYear(p Period) bool {
	return startsMonth(p.From) && p.From.Month() == time.January && p.To.Equal(p.From.AddDate(1, 0, 0))
}

// periodTitle names a period for people: March 2026, 2026, or its dates.
func periodTitle(p Period) string {
	switch {
	case isYear(p):
		return p.From.Format("2006")
	case isMonth(p):
		return p.From.Format("January 2006")
	}
	midnight := func(t time.Time) bool {
		return t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()))
	}
	if midnight(p.From) && midnight(p.To) {
		return p.From.Format("2 Jan 2006") + " – " + p.To.AddDate(0, 0, -1).Format("2 Jan 2006")
	}
	return p.From.Format("2 Jan 2006 15:04") + " – " + p.To.Format("2 Jan 2006 15:04")
}

// periodTick is a period's label under a chart's axis, on two lines: the
// second is the year, shown when it differs from the previous tick's.
func periodTick(p Period) (top, year string) {
	switch {
	case isYear(p):
		return p.From.Format("2006"), ""
	case isMonth(p):
		return p.From.Format("Jan"), p.From.Format("2006")
	}
	return p.From.Format("2 Jan"), p.From.Format("2006")
}

// seriesKey identifies an agreement metric across periods, as MetricPoint
// does.
type seriesKey struct {
	agreement string
	// desk tells two desks' agreements of one name apart: a name is
	// unique per desk, and their UCs with one supplier share the provider.
	desk     itsm.ID
	provider itsm.ID
	metric   sla.Metric
}

// seriesPoint is one period's compliance of an agreement metric.
type seriesPoint struct {
	met, breached int
	compliance    float64
}

// periodData is what the charts show of one period.
type periodData struct {
	backlog int
	points  map[seriesKey]seriesPoint
	// own is set when a report is for this period, whose own figures then
	// stand over any trend's.
	own bool
}

type series struct {
	key       seriesKey
	label     string
	objective float64
	hasObj    bool
}

// agreementKey identifies an agreement across periods: its name is unique
// per desk, and two desks' UCs with one supplier share the provider.
type agreementKey struct {
	agreement string
	desk      itsm.ID
	provider  itsm.ID
}

func (k seriesKey) agreementKey() agreementKey { return agreementKey{k.agreement, k.desk, k.provider} }

// chartAgreement is an agreement with a compliance chart of its own, and
// its metrics' series, indexes into chartData.series.
type chartAgreement struct {
	key    agreementKey
	label  string
	series []int
}

// chartData is what the charts draw: the periods in order, the agreement
// metrics with a point in any of them, and the agreements, each with its
// metrics, in order of first appearance, those that measured nothing too.
type chartData struct {
	periods    []Period
	data       []periodData
	series     []series
	agreements []chartAgreement
}

// collectSeries gathers the periods of the reports and their trends. A
// report's own figures win over a trend point of the same period, and a
// later report's trend over an earlier's. names labels the providers of
// agreements that share a name.
func collectSeries(reports []*Report, names map[itsm.ID]string) chartData {
	byPeriod := make(map[string]*periodData)
	periods := make(map[string]Period)
	var order []seriesKey
	known := make(map[seriesKey]int)
	objectives := make(map[seriesKey]float64)
	var agreements []agreementKey
	seenAgreement := make(map[agreementKey]bool)
	noteAgreement := func(k agreementKey) {
		if !seenAgreement[k] {
			seenAgreement[k] = true
			agreements = append(agreements, k)
		}
	}
	note := func(k seriesKey) {
		if _, ok := known[k]; !ok {
			known[k] = len(order)
			order = append(order, k)
		}
		noteAgreement(k.agreementKey())
	}
	// The agreements and their metrics come in the reports' order, which
	// is their Spec's, and then those only a trend has.
	for _, r := range reports {
		for _, a := range r.Agreements {
			// An agreement that measured nothing still has its chart,
			// which says so, so that every agreement has one.
			noteAgreement(agreementKey{a.Agreement, a.Desk, a.Provider})
			for _, m := range a.Metrics {
				note(seriesKey{m.Agreement, m.Desk, m.Provider, m.Metric})
			}
		}
	}
	for _, r := range reports {
		for _, tp := range r.Trend {
			if !tp.Period.From.Before(tp.Period.To) {
				continue
			}
			id := periodIdentity(tp.Period)
			if d, ok := byPeriod[id]; ok && d.own {
				continue
			}
			d := &periodData{backlog: tp.Backlog, points: make(map[seriesKey]seriesPoint)}
			for _, m := range tp.Metrics {
				k := seriesKey{m.Agreement, m.Desk, m.Provider, m.Metric}
				note(k)
				// A period without a figure has no point: the line
				// breaks there rather than claim 100 %.
				if m.Compliance != nil {
					d.points[k] = seriesPoint{m.Met, m.Breached, *m.Compliance}
				}
			}
			byPeriod[id], periods[id] = d, tp.Period
		}
		id := periodIdentity(r.Period)
		d := &periodData{backlog: r.Total.Backlog.Open, points: make(map[seriesKey]seriesPoint), own: true}
		for _, a := range r.Agreements {
			for _, m := range a.Metrics {
				k := seriesKey{m.Agreement, m.Desk, m.Provider, m.Metric}
				if m.Compliance != nil {
					d.points[k] = seriesPoint{m.Met, m.Breached, *m.Compliance}
				}
				objectives[k] = m.Objective
			}
		}
		byPeriod[id], periods[id] = d, r.Period
	}
	ids := make([]string, 0, len(periods))
	for id := range periods {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		pa, pb := periods[a], periods[b]
		if c := pa.From.Compare(pb.From); c != 0 {
			return c
		}
		return pa.To.Compare(pb.To)
	})
	var out chartData
	for _, id := range ids {
		out.periods = append(out.periods, periods[id])
		out.data = append(out.data, *byPeriod[id])
	}
	// Two agreements of one name (from different providers) are told
	// apart by their provider, and two desks' agreements of one name with
	// one provider by their desk too.
	same := make(map[string]int)
	sameProvider := make(map[string]int)
	for _, k := range agreements {
		same[k.agreement]++
		sameProvider[k.agreement+"\x00"+k.provider.String()]++
	}
	index := make(map[agreementKey]int)
	for _, k := range agreements {
		label := k.agreement
		if same[k.agreement] > 1 {
			p, _ := orgLabel(k.provider, "", names)
			if sameProvider[k.agreement+"\x00"+k.provider.String()] > 1 {
				d, _ := orgLabel(k.desk, "", names)
				p += " for " + d
			}
			label += " (" + p + ")"
		}
		index[k] = len(out.agreements)
		out.agreements = append(out.agreements, chartAgreement{key: k, label: label})
	}
	for _, k := range order {
		a := &out.agreements[index[k.agreementKey()]]
		obj, ok := objectives[k]
		a.series = append(a.series, len(out.series))
		out.series = append(out.series, series{key: k, label: a.label + " " + string(k.metric), objective: obj, hasObj: ok})
	}
	return out
}

// svgChart is one chart, laid out in user units; the template draws it
// in a figure captioned by its Title.
type svgChart struct {
	ID            string
	Class         string
	Title         string
	Desc          string
	Width, Height int
	Lines         []svgLine
	Rects         []svgRect
	Paths         []svgPath
	Circles       []svgCircle
	Texts         []svgText

	// The plot area, for the axes.
	left, right, top, height float64
}

type svgLine struct{ X1, Y1, X2, Y2, Stroke, Dash, Class string }

type svgRect struct{ X, Y, W, H, Fill, Title string }

type svgPath struct{ D, Stroke, Dash string }

type svgCircle struct{ CX, CY, Fill, Title string }

type svgText struct {
	X, Y, Anchor, Size, Weight, Fill, Rotate, Text string
}

// num writes a coordinate with at most one decimal.
func num(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64), ".0")
}

// palette is the Okabe-Ito set, which readers with the common colour
// vision deficiencies can tell apart.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

// seriesStyle is the colour and dash pattern of metric i: metrics beyond
// the palette repeat its colours with a dashed, then a dotted stroke. The
// objectives' grey dashes are thinner and longer.
func seriesStyle(i int) (colour, dash string) {
	dashes := []string{"", "9 3", "2 3"}
	return palette[i%len(palette)], dashes[i/len(palette)%len(dashes)]
}

// The charts are small, so that a phone shows them at about their size
// and their text stays readable there; a wider screen sets them side by
// side (the page's grid), not larger.
const (
	// smallWidth is a compliance chart's: one agreement's.
	smallWidth = 360
	// wideWidth is the backlog's and the suppliers' chart's.
	wideWidth  = 400
	axisColour = "#444444"
	gridColour = "#dddddd"
	// charWidth is about the advance of a character of the charts' sans
	// serif per unit of font size, for laying out labels.
	charWidth = 0.56
)

// textWidth is about how wide s is at size.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * charWidth
}

func (c *svgChart) text(x, y float64, anchor, size, s string) *svgText {
	c.Texts = append(c.Texts, svgText{X: num(x), Y: num(y), Anchor: anchor, Size: size, Text: s})
	return &c.Texts[len(c.Texts)-1]
}

func (c *svgChart) line(x1, y1, x2, y2 float64, stroke, dash string) {
	c.Lines = append(c.Lines, svgLine{X1: num(x1), Y1: num(y1), X2: num(x2), Y2: num(y2), Stroke: stroke, Dash: dash})
}

// periodAxis draws the x axis with a tick label per period, each centred on
// its band, and returns the centre of band i.
func (c *svgChart) periodAxis(periods []Period) func(i int) float64 {
	band := (c.right - c.left) / float64(max(len(periods), 1))
	x := func(i int) float64 { return c.left + band*(float64(i)+0.5) }
	bottom := c.top + c.height
	c.line(c.left, bottom, c.right, bottom, axisColour, "")
	// Thin the labels so that they do not overlap: a month's three
	// letters need about 30 units.
	every := int(math.Ceil(30 / band))
	prevYear := ""
	for i, p := range periods {
		top, year := periodTick(p)
		if i%every != 0 {
			continue
		}
		c.text(x(i), bottom+14, "middle", "11", top)
		if year != prevYear {
			c.text(x(i), bottom+27, "middle", "11", year)
			prevYear = year
		}
	}
	return x
}

// valueAxis draws horizontal grid lines at the ticks from lo to hi, labelled
// by label, and returns the y of a value.
func (c *svgChart) valueAxis(lo, hi, step float64, label func(float64) string) func(v float64) float64 {
	y := func(v float64) float64 { return c.top + c.height*(hi-v)/(hi-lo) }
	for v := lo; v <= hi+step/1000; v += step {
		c.line(c.left, y(v), c.right, y(v), gridColour, "")
		c.text(c.left-5, y(v)+4, "end", "11", label(v))
	}
	c.line(c.left, c.top, c.left, c.top+c.height, axisColour, "")
	return y
}

func axisTitle(periods []Period) string {
	for _, p := range periods {
		if !isMonth(p) {
			return "Period"
		}
	}
	return "Month"
}

// spread moves labels at ys (in increasing order) apart to at least gap
// from each other, within lo and hi where they fit, so that none overlaps
// another.
func spread(ys []float64, gap, lo, hi float64) []float64 {
	out := slices.Clone(ys)
	for i := range out {
		if i > 0 {
			out[i] = math.Max(out[i], out[i-1]+gap)
		}
	}
	if n := len(out); n > 0 && out[n-1] > hi {
		out[n-1] = hi
		for i := n - 2; i >= 0; i-- {
			out[i] = math.Min(out[i], out[i+1]-gap)
		}
		// Too many to fit between lo and hi: from lo down, overlapping
		// nothing, past hi.
		if out[0] < lo {
			out[0] = lo
			for i := 1; i < n; i++ {
				out[i] = math.Max(out[i], out[i-1]+gap)
			}
		}
	}
	return out
}

// complianceScale is the compliance axis all the agreements' charts share,
// so that they compare at a glance: from the tens of percent below the
// lowest value or objective, so that the usual 90-100 % is not squeezed
// against a 0-100 % scale, to 100 %.
func complianceScale(s chartData) (lo, step float64) {
	lowest := 1.0
	for _, d := range s.data {
		for _, p := range d.points {
			if !math.IsNaN(p.compliance) {
				lowest = math.Min(lowest, p.compliance)
			}
		}
	}
	for _, sr := range s.series {
		if sr.hasObj {
			lowest = math.Min(lowest, sr.objective)
		}
	}
	loPct := math.Max(0, math.Floor((math.Max(lowest, 0)*100-0.1)/10)*10)
	stepPct := 20.0
	switch {
	case 100-loPct <= 20:
		stepPct = 5
	case 100-loPct <= 50:
		stepPct = 10
	}
	return loPct / 100, stepPct / 100
}

// complianceCharts draws one small chart per agreement (small multiples):
// each of its metrics' compliance per period as a line of points, over a
// dashed line at each objective. A metric has one colour in every chart.
func complianceCharts(s chartData) []svgChart {
	lo, step := complianceScale(s)
	var metrics []sla.Metric
	for _, sr := range s.series {
		if !slices.Contains(metrics, sr.key.metric) {
			metrics = append(metrics, sr.key.metric)
		}
	}
	per := strings.ToLower(axisTitle(s.periods))
	var out []svgChart
	for i, a := range s.agreements {
		c := svgChart{
			ID: fmt.Sprintf("chart-compliance-%d", i+1), Class: "compliance", Title: a.label, Width: smallWidth,
			// The right margin holds the objectives' labels.
			left: 40, right: smallWidth - 88, top: 10, height: 140,
		}
		y := c.valueAxis(lo, 1, step, percent)
		x := c.periodAxis(s.periods)
		// Compliance is a fraction; anything else (NaN too) is drawn at
		// an edge rather than off the chart.
		clamp := func(v float64) float64 {
			if math.IsNaN(v) {
				v = 0
			}
			return y(math.Min(1, math.Max(lo, v)))
		}

		var objectives []float64
		for _, j := range a.series {
			if sr := s.series[j]; sr.hasObj && !slices.Contains(objectives, sr.objective) {
				objectives = append(objectives, sr.objective)
			}
		}
		// From the highest, at the top, down.
		slices.Sort(objectives)
		slices.Reverse(objectives)
		ys := make([]float64, len(objectives))
		for j, o := range objectives {
			ys[j] = clamp(o)
			c.line(c.left, ys[j], c.right, ys[j], "#666666", "6 4")
		}
		for j, ly := range spread(ys, 13, c.top+4, c.top+c.height+4) {
			c.text(c.right+5, ly+4, "start", "11", "objective "+percent(objectives[j]))
		}

		var desc []string
		for _, j := range a.series {
			sr := s.series[j]
			colour, dash := seriesStyle(slices.Index(metrics, sr.key.metric))
			var d strings.Builder
			var values []string
			pen := "M"
			for k, pd := range s.data {
				p, ok := pd.points[sr.key]
				if !ok {
					pen = "M"
					continue
				}
				fmt.Fprintf(&d, "%s%s %s ", pen, num(x(k)), num(clamp(p.compliance)))
				pen = "L"
				tick, year := periodTick(s.periods[k])
				tip := fmt.Sprintf("%s, %s: %s (%d met, %d breached)", sr.label, strings.TrimSpace(tick+" "+year),
					percent(p.compliance), p.met, p.breached)
				c.Circles = append(c.Circles, svgCircle{CX: num(x(k)), CY: num(clamp(p.compliance)), Fill: colour, Title: tip})
				values = append(values, strings.TrimSpace(tick+" "+year)+" "+percent(p.compliance))
			}
			c.Paths = append(c.Paths, svgPath{D: strings.TrimSpace(d.String()), Stroke: colour, Dash: dash})
			obj := ""
			if sr.hasObj {
				obj = ", objective " + percent(sr.objective)
			}
			if len(values) == 0 {
				// A reader of the description learns what the missing
				// line means, as one of the page learns from the table.
				values = []string{"no tickets"}
			}
			desc = append(desc, string(sr.key.metric)+obj+": "+strings.Join(values, ", "))
		}

		// The legend: the metrics in a row under the axis, wrapped where
		// the next would not fit.
		lx, ly := c.left, c.top+c.height+46
		for _, j := range a.series {
			sr := s.series[j]
			label := shorten(string(sr.key.metric), 40)
			w := 28 + textWidth(label, 12)
			if lx > c.left && lx+w > smallWidth-4 {
				lx, ly = c.left, ly+18
			}
			colour, dash := seriesStyle(slices.Index(metrics, sr.key.metric))
			c.line(lx, ly-4, lx+22, ly-4, colour, dash)
			c.Lines[len(c.Lines)-1].Class = "legend"
			c.text(lx+28, ly, "start", "12", label)
			lx += w + 14
		}
		c.Height = int(ly) + 8
		if len(a.series) == 0 {
			c.text((c.left+c.right)/2, c.top+c.height/2, "middle", "12", "No ticket measured.")
			desc = append(desc, "no ticket measured")
		}
		c.Desc = "Share of tickets that met each metric of " + a.label + ", per " + per + ". " + strings.Join(desc, "; ") + "."
		out = append(out, c)
	}
	return out
}

// shorten cuts text to n characters, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// niceScale returns a step of 1, 2 or 5 times a power of ten and a top, a
// multiple of it, at or above hi, for an axis of about five ticks.
func niceScale(hi int) (top, step int) {
	if hi <= 0 {
		return 5, 1
	}
	step = 1
	for {
		for _, m := range []int{1, 2, 5} {
			if hi <= m*step*5 {
				s := m * step
				return (hi + s - 1) / s * s, s
			}
		}
		step *= 10
	}
}

// backlogChart draws the tickets open at the end of each period as bars.
func backlogChart(s chartData) svgChart {
	c := svgChart{
		ID: "chart-backlog", Class: "backlog", Title: "Backlog at the end of each " + strings.ToLower(axisTitle(s.periods)),
		Width: wideWidth, left: 40, right: wideWidth - 12, top: 18, height: 160,
	}
	highest := 0
	for _, d := range s.data {
		highest = max(highest, d.backlog)
	}
	top, step := niceScale(highest)
	y := c.valueAxis(0, float64(top), float64(step), func(v float64) string { return strconv.Itoa(int(v)) })
	x := c.periodAxis(s.periods)
	band := (c.right - c.left) / float64(max(len(s.periods), 1))
	width := math.Min(band*0.6, 64)
	var desc []string
	for i, d := range s.data {
		tick, year := periodTick(s.periods[i])
		label := strings.TrimSpace(tick + " " + year)
		h := float64(max(d.backlog, 0))
		c.Rects = append(c.Rects, svgRect{
			X: num(x(i) - width/2), Y: num(y(h)), W: num(width), H: num(y(0) - y(h)),
			Fill: palette[0], Title: fmt.Sprintf("%s: %d open", label, d.backlog),
		})
		c.text(x(i), y(h)-4, "middle", "11", strconv.Itoa(d.backlog))
		desc = append(desc, fmt.Sprintf("%s %d", label, d.backlog))
	}
	c.Height = int(c.top+c.height) + 34
	c.Desc = "Tickets open at the end of each period: " + strings.Join(desc, ", ") + "."
	return c
}

// supplierChart draws the breached clocks of each supplier's own agreement
// metrics over all the reports, as horizontal bars. A supplier whose groups
// have no name is labelled from names.
func supplierChart(reports []*Report, names map[itsm.ID]string) svgChart {
	type supplier struct {
		key, name string
		breached  int
	}
	var suppliers []supplier
	index := make(map[string]int)
	for _, r := range reports {
		for _, g := range r.Suppliers {
			i, ok := index[g.Key]
			if !ok {
				i = len(suppliers)
				index[g.Key] = i
				suppliers = append(suppliers, supplier{key: g.Key})
			}
			if g.Name != "" {
				suppliers[i].name = g.Name
			}
			suppliers[i].breached += breaches(&g.Figures)
		}
	}
	title := "Breached clocks per supplier, on its own agreements"
	if len(reports) > 1 {
		title += ", all periods"
	}
	const row = 26.0
	c := svgChart{ID: "chart-suppliers", Class: "suppliers", Title: title, Width: wideWidth, left: 128, right: wideWidth - 30, top: 8}
	highest := 0
	for _, s := range suppliers {
		highest = max(highest, s.breached)
	}
	top, step := niceScale(highest)
	x := func(v float64) float64 { return c.left + (c.right-c.left)*v/float64(top) }
	bottom := c.top + row*float64(max(len(suppliers), 1))
	for v := 0; v <= top; v += step {
		c.line(x(float64(v)), c.top, x(float64(v)), bottom, gridColour, "")
		c.text(x(float64(v)), bottom+15, "middle", "11", strconv.Itoa(v))
	}
	c.line(c.left, c.top, c.left, bottom, axisColour, "")
	c.line(c.left, bottom, c.right, bottom, axisColour, "")
	c.text((c.left+c.right)/2, bottom+32, "middle", "12", "clocks breached")
	var desc []string
	for i, s := range suppliers {
		name := s.name
		id, err := itsm.ParseID(s.key)
		if name == "" && err == nil {
			name = names[id]
		}
		label, short := name, shorten(name, 18)
		if label == "" {
			label, short = s.key, shorten(s.key, 18)
			if err == nil {
				short, _ = orgLabel(id, "", nil)
			}
		}
		cy := c.top + row*float64(i) + row/2
		c.text(c.left-6, cy+4, "end", "12", short)
		w := float64(max(s.breached, 0))
		c.Rects = append(c.Rects, svgRect{
			X: num(c.left), Y: num(cy - 8), W: num(x(w) - c.left), H: "16",
			Fill: palette[1], Title: fmt.Sprintf("%s: %d breached", label, s.breached),
		})
		c.text(x(w)+4, cy+4, "start", "11", strconv.Itoa(s.breached))
		desc = append(desc, fmt.Sprintf("%s %d", label, s.breached))
	}
	if len(suppliers) == 0 {
		c.text((c.left+c.right)/2, c.top+row/2+4, "middle", "12", "No supplier held a ticket.")
		desc = append(desc, "no supplier held a ticket")
	}
	c.Height = int(bottom) + 42
	c.Desc = "Clocks breached per supplier, on its own agreements: " + strings.Join(desc, ", ") + "."
	return c
}
