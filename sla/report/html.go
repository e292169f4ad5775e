package report

import (
	"bytes"
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
// breached, the credit owed, and the breakdowns) and three SVG charts drawn
// here: compliance per period with each objective as a dashed line, the
// backlog at the end of each period, and the breaches per supplier over all
// the reports. The charts' periods are those of the reports and of their
// trends, so one report with a trend charts its previous periods too.
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
	Charts  []svgChart
	Reports []htmlReport
}

type htmlReport struct {
	ID    string
	Title string
	// Partial tells that the period had not ended, empty when it had.
	Partial    string
	Totals     []htmlFigure
	Agreements []htmlAgreementRow
	Breakdowns []htmlBreakdown
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
	p.Summary = fmt.Sprintf("%d %s, %d agreement %s charted over %d %s.",
		len(reports), plural(len(reports), "report", "reports"),
		len(s.series), plural(len(s.series), "metric", "metrics"),
		len(s.periods), plural(len(s.periods), "period", "periods"))
	p.Charts = []svgChart{complianceChart(s), backlogChart(s), supplierChart(reports, names)}
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

// durationText writes a duration for people: to the minute from an hour,
// else to the second, without zero minutes and seconds (26h30m, not
// 26h30m0s).
func durationText(d Duration) string {
	v := time.Duration(d)
	if v >= time.Hour || v <= -time.Hour {
		v = v.Round(time.Minute)
	} else {
		v = v.Round(time.Second)
	}
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
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

// chartData is what the charts draw: the periods in order and the agreement
// metrics with a point in any of them.
type chartData struct {
	periods []Period
	data    []periodData
	series  []series
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
	note := func(k seriesKey) {
		if _, ok := known[k]; !ok {
			known[k] = len(order)
			order = append(order, k)
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
				note(k)
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
	// apart by their provider in the legend, and two desks' agreements of
	// one name with one provider by their desk too.
	same := make(map[string]int)
	sameProvider := make(map[string]int)
	for _, k := range order {
		same[k.agreement+"\x00"+string(k.metric)]++
		sameProvider[k.agreement+"\x00"+string(k.metric)+"\x00"+k.provider.String()]++
	}
	for _, k := range order {
		label := k.agreement + " " + string(k.metric)
		if same[k.agreement+"\x00"+string(k.metric)] > 1 {
			p, _ := orgLabel(k.provider, "", names)
			if sameProvider[k.agreement+"\x00"+string(k.metric)+"\x00"+k.provider.String()] > 1 {
				d, _ := orgLabel(k.desk, "", names)
				p += " for " + d
			}
			label += " (" + p + ")"
		}
		obj, ok := objectives[k]
		out.series = append(out.series, series{key: k, label: label, objective: obj, hasObj: ok})
	}
	return out
}

// svgChart is one chart, laid out in user units; the template draws it.
type svgChart struct {
	ID            string
	Title         string
	Desc          string
	Width, Height int
	Lines         []svgLine
	Rects         []svgRect
	Paths         []svgPath
	Circles       []svgCircle
	Texts         []svgText
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

// seriesStyle is the colour and dash pattern of line i: lines beyond the
// palette repeat its colours with a dashed, then a dotted stroke. The
// objectives' grey dashes are thinner and longer.
func seriesStyle(i int) (colour, dash string) {
	dashes := []string{"", "9 3", "2 3"}
	return palette[i%len(palette)], dashes[i/len(palette)%len(dashes)]
}

const (
	chartWidth = 760
	plotLeft   = 64
	// The right margin holds the objectives' labels.
	plotRight  = chartWidth - 104
	plotTop    = 44
	plotHeight = 220
	axisColour = "#444444"
	gridColour = "#dddddd"
)

func (c *svgChart) text(x, y float64, anchor, size, s string) *svgText {
	c.Texts = append(c.Texts, svgText{X: num(x), Y: num(y), Anchor: anchor, Size: size, Text: s})
	return &c.Texts[len(c.Texts)-1]
}

func (c *svgChart) line(x1, y1, x2, y2 float64, stroke, dash string) {
	c.Lines = append(c.Lines, svgLine{X1: num(x1), Y1: num(y1), X2: num(x2), Y2: num(y2), Stroke: stroke, Dash: dash})
}

// frame draws the title and the y axis's label.
func (c *svgChart) frame(yLabel string) {
	c.text(chartWidth/2, 24, "middle", "16", c.Title).Weight = "bold"
	t := c.text(16, plotTop+plotHeight/2, "middle", "12", yLabel)
	t.Rotate = "rotate(-90 16 " + num(plotTop+plotHeight/2) + ")"
}

// periodAxis draws the x axis with a tick label per period, each centred on
// its band, and returns the centre of band i.
func (c *svgChart) periodAxis(periods []Period, xLabel string) func(i int) float64 {
	band := float64(plotRight-plotLeft) / float64(max(len(periods), 1))
	x := func(i int) float64 { return plotLeft + band*(float64(i)+0.5) }
	bottom := float64(plotTop + plotHeight)
	c.line(plotLeft, bottom, plotRight, bottom, axisColour, "")
	// Thin the labels so that they do not overlap: about 40 units each.
	every := int(math.Ceil(40 / band))
	prevYear := ""
	for i, p := range periods {
		top, year := periodTick(p)
		if i%every != 0 {
			continue
		}
		c.text(x(i), bottom+16, "middle", "11", top)
		if year != prevYear {
			c.text(x(i), bottom+30, "middle", "11", year)
			prevYear = year
		}
	}
	c.text((plotLeft+plotRight)/2, bottom+48, "middle", "12", xLabel)
	return x
}

// valueAxis draws horizontal grid lines at the ticks from lo to hi, labelled
// by label, and returns the y of a value.
func (c *svgChart) valueAxis(lo, hi, step float64, label func(float64) string) func(v float64) float64 {
	y := func(v float64) float64 { return plotTop + plotHeight*(hi-v)/(hi-lo) }
	for v := lo; v <= hi+step/1000; v += step {
		c.line(plotLeft, y(v), plotRight, y(v), gridColour, "")
		c.text(plotLeft-6, y(v)+4, "end", "11", label(v))
	}
	c.line(plotLeft, plotTop, plotLeft, plotTop+plotHeight, axisColour, "")
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

// complianceChart draws each agreement metric's compliance per period as a
// line of points, over dashed lines at the objectives.
func complianceChart(s chartData) svgChart {
	c := svgChart{ID: "chart-compliance", Title: "Compliance per " + strings.ToLower(axisTitle(s.periods)), Width: chartWidth}
	c.frame("Compliance")

	lowest := 1.0
	for _, d := range s.data {
		for _, p := range d.points {
			if !math.IsNaN(p.compliance) {
				lowest = math.Min(lowest, p.compliance)
			}
		}
	}
	var objectives []float64
	for _, sr := range s.series {
		if sr.hasObj && !slices.Contains(objectives, sr.objective) {
			objectives = append(objectives, sr.objective)
		}
	}
	slices.Sort(objectives)
	slices.Reverse(objectives)
	for _, o := range objectives {
		lowest = math.Min(lowest, o)
	}
	// The axis starts at the tens of percent below the lowest value, so
	// that the usual 90-100% is not squeezed against a 0-100% scale.
	loPct := math.Max(0, math.Floor((math.Max(lowest, 0)*100-0.1)/10)*10)
	step := 20.0
	switch {
	case 100-loPct <= 20:
		step = 5
	case 100-loPct <= 50:
		step = 10
	}
	y := c.valueAxis(loPct/100, 1, step/100, func(v float64) string { return percent(v) })
	x := c.periodAxis(s.periods, axisTitle(s.periods))
	// Compliance is a fraction; anything else (NaN too) is drawn at an
	// edge rather than off the chart.
	clamp := func(v float64) float64 {
		if math.IsNaN(v) {
			v = 0
		}
		return y(math.Min(1, math.Max(loPct/100, v)))
	}

	for _, o := range objectives {
		c.line(plotLeft, clamp(o), plotRight, clamp(o), "#666666", "6 4")
		c.text(plotRight+6, clamp(o)+4, "start", "11", "objective "+percent(o))
	}

	var desc []string
	for i, sr := range s.series {
		colour, dash := seriesStyle(i)
		var d strings.Builder
		var values []string
		pen := "M"
		for j, pd := range s.data {
			p, ok := pd.points[sr.key]
			if !ok {
				pen = "M"
				continue
			}
			fmt.Fprintf(&d, "%s%s %s ", pen, num(x(j)), num(clamp(p.compliance)))
			pen = "L"
			tick, year := periodTick(s.periods[j])
			tip := fmt.Sprintf("%s, %s: %s (%d met, %d breached)", sr.label, strings.TrimSpace(tick+" "+year),
				percent(p.compliance), p.met, p.breached)
			c.Circles = append(c.Circles, svgCircle{CX: num(x(j)), CY: num(clamp(p.compliance)), Fill: colour, Title: tip})
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
		desc = append(desc, sr.label+obj+": "+strings.Join(values, ", "))
	}

	// The legend: two columns under the axis.
	top := float64(plotTop + plotHeight + 70)
	for i, sr := range s.series {
		col, row := i%2, i/2
		lx := float64(plotLeft + col*(chartWidth-plotLeft)/2)
		ly := top + float64(row)*18
		colour, dash := seriesStyle(i)
		c.line(lx, ly-4, lx+22, ly-4, colour, dash)
		c.Lines[len(c.Lines)-1].Class = "legend"
		c.text(lx+28, ly, "start", "12", shorten(sr.label, 44))
	}
	c.Height = int(top) + (len(s.series)+1)/2*18 + 8
	if len(s.series) == 0 {
		c.text((plotLeft+plotRight)/2, plotTop+plotHeight/2, "middle", "13", "No agreement measured a ticket.")
		desc = append(desc, "No agreement measured a ticket.")
	}
	c.Desc = "Share of tickets that met each agreement metric, per period. " + strings.Join(desc, "; ") + "."
	return c
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
	c := svgChart{ID: "chart-backlog", Title: "Backlog at the end of each " + strings.ToLower(axisTitle(s.periods)), Width: chartWidth}
	c.frame("Open tickets")
	highest := 0
	for _, d := range s.data {
		highest = max(highest, d.backlog)
	}
	top, step := niceScale(highest)
	y := c.valueAxis(0, float64(top), float64(step), func(v float64) string { return strconv.Itoa(int(v)) })
	x := c.periodAxis(s.periods, axisTitle(s.periods))
	band := float64(plotRight-plotLeft) / float64(max(len(s.periods), 1))
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
	c.Height = plotTop + plotHeight + 60
	c.Desc = "Tickets open at the end of each period: " + strings.Join(desc, ", ") + "."
	return c
}

// supplierChart draws the breaches of each supplier's own agreement metrics
// over all the reports, as horizontal bars. A supplier whose groups have no
// name is labelled from names.
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
	title := "Breaches per supplier"
	if len(reports) > 1 {
		title += ", all periods"
	}
	c := svgChart{ID: "chart-suppliers", Title: title, Width: chartWidth}
	c.text(chartWidth/2, 24, "middle", "16", title).Weight = "bold"
	const left, right, row = 220.0, float64(chartWidth - 48), 28.0
	highest := 0
	for _, s := range suppliers {
		highest = max(highest, s.breached)
	}
	top, step := niceScale(highest)
	x := func(v float64) float64 { return left + (right-left)*v/float64(top) }
	bottom := plotTop + row*float64(max(len(suppliers), 1))
	for v := 0; v <= top; v += step {
		c.line(x(float64(v)), plotTop, x(float64(v)), bottom, gridColour, "")
		c.text(x(float64(v)), bottom+16, "middle", "11", strconv.Itoa(v))
	}
	c.line(left, plotTop, left, bottom, axisColour, "")
	c.line(left, bottom, right, bottom, axisColour, "")
	c.text((left+right)/2, bottom+36, "middle", "12", "Clocks decided as breached, on the supplier's own agreements")
	var desc []string
	for i, s := range suppliers {
		name := s.name
		id, err := itsm.ParseID(s.key)
		if name == "" && err == nil {
			name = names[id]
		}
		label, short := name, shorten(name, 28)
		if label == "" {
			label, short = s.key, shorten(s.key, 28)
			if err == nil {
				short, _ = orgLabel(id, "", nil)
			}
		}
		cy := plotTop + row*float64(i) + row/2
		c.text(left-8, cy+4, "end", "12", short)
		w := float64(max(s.breached, 0))
		c.Rects = append(c.Rects, svgRect{
			X: num(left), Y: num(cy - 9), W: num(x(w) - left), H: "18",
			Fill: palette[1], Title: fmt.Sprintf("%s: %d breached", label, s.breached),
		})
		c.text(x(w)+4, cy+4, "start", "11", strconv.Itoa(s.breached))
		desc = append(desc, fmt.Sprintf("%s %d", label, s.breached))
	}
	if len(suppliers) == 0 {
		c.text((left+right)/2, plotTop+row/2+4, "middle", "13", "No supplier held a ticket.")
		desc = append(desc, "no supplier held a ticket")
	}
	c.Height = int(bottom) + 48
	c.Desc = "Breaches per supplier: " + strings.Join(desc, ", ") + "."
	return c
}
