package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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

const outputDir = "testdata/output"

func init() {
	// Another test file of the package may define -update too; sharing
	// the flag keeps the binary from panicking on a redefinition.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func outputUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with the file in outputDir, or rewrites the file under
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenFile(t, filepath.Join(outputDir, name), got)
}

// goldenFile compares got with the file at path, or rewrites it under
// -update.
func goldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if outputUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if the change is intended):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\n golden: %q\n got:    %q", i+1, wl, gl)
		}
	}
	return "same lines"
}

// The organisations of the hand-made reports.
var (
	desk     = itsm.MustParseID("0190a000-0000-7000-8000-000000000001")
	customer = itsm.MustParseID("0190a000-0000-7000-8000-000000000002")
	network  = itsm.MustParseID("0190a000-0000-7000-8000-00000000000a")
	acme     = itsm.MustParseID("0190a000-0000-7000-8000-00000000000b")
	idle     = itsm.MustParseID("0190a000-0000-7000-8000-00000000000c")
	// secondLine is a group of the desk, idleTeam one of network.
	secondLine = itsm.MustParseID("0190a000-0000-7000-8000-0000000000d2")
	idleTeam   = itsm.MustParseID("0190a000-0000-7000-8000-0000000000e1")
)

// cet is a fixed zone, so that the reports carry an offset without
// depending on the time zone database.
var cet = time.FixedZone("CET", 3600)

func hours(h float64) report.Duration { return report.Duration(h * float64(time.Hour)) }

func ageing(counts ...int) []report.AgeBucket {
	out := []report.AgeBucket{}
	for i, n := range counts {
		out = append(out, report.AgeBucket{Over: report.Duration(report.DefaultAgeing[i]), Count: n})
	}
	return out
}

// Names that CSV must quote and HTML must escape.
const (
	deskName      = "Service Desk <North> & Co"
	customerName  = "-Lakeside, \"Kommun\""
	acmeName      = "Acme, \"Quick\" Fix\nLtd"
	olaName       = "Ops, \"night\"\nshift"
	scriptName    = "<script>alert('x')</script>"
	formulaName   = "=cmd|' /C calc'!A0"
	apostropheCat = "'quoted"
)

func slaMetric(m sla.Metric, met, breached int, mean, median, p90 float64, missed int) report.MetricFigures {
	var c *float64
	shortfall := 0.0
	if met+breached > 0 {
		c = new(float64(met) / float64(met+breached))
		shortfall = math.Max(0, 0.95-*c)
	}
	mf := report.MetricFigures{
		Agreement: "SLA Gold", Desk: desk, Kind: sla.KindSLA, Provider: desk, Metric: m, Met: met, Breached: breached,
		Compliance: c, Objective: 0.95, Shortfall: shortfall, Stopped: met + breached, Missed: missed,
	}
	if mf.Stopped > 0 {
		mf.Mean, mf.Median, mf.P90 = new(hours(mean)), new(hours(median)), new(hours(p90))
	}
	return mf
}

func ucMetric(met, breached int) report.MetricFigures {
	c := float64(met) / float64(met+breached)
	return report.MetricFigures{
		Agreement: "UC Network", Desk: desk, Kind: sla.KindUC, Provider: network, Metric: sla.MetricResolution,
		Met: met, Breached: breached, Compliance: &c, Objective: 0.9, Shortfall: math.Max(0, 0.9-c),
		Stopped: met + breached, Mean: new(hours(7.25)), Median: new(hours(6)), P90: new(hours(15.5)),
	}
}

// richReport has every section, several agreements, a credit and none, an
// agreement and a supplier without metrics, an empty category, and names
// with commas, quotes, newlines, markup and a formula. The SLA names its
// provider (the desk, which no supplier group names) and its consumer, the
// UC both, and the OLA neither.
func richReport() *report.Report {
	march := report.Month(2026, time.March, cet)
	total := []report.MetricFigures{
		slaMetric(sla.MetricResponse, 43, 3, 0.5, 0.25, 1.5, 0),
		slaMetric(sla.MetricResolution, 40, 5, 9.5, 7.75, 26.5, 0),
		slaMetric(sla.MetricUpdate, 44, 1, 0, 0, 0, 2),
		ucMetric(19, 3),
	}
	trendPoint := func(p report.Period, reg, res, backlog int, slaMet, slaBreached, ucMet, ucBreached int) report.TrendPoint {
		return report.TrendPoint{Period: p, Registered: reg, Resolved: res, Backlog: backlog, Metrics: []report.MetricPoint{
			{Agreement: "SLA Gold", Desk: desk, Provider: desk, Metric: sla.MetricResolution, Met: slaMet, Breached: slaBreached,
				Compliance: new(float64(slaMet) / float64(slaMet+slaBreached))},
			{Agreement: "UC Network", Desk: desk, Provider: network, Metric: sla.MetricResolution, Met: ucMet, Breached: ucBreached,
				Compliance: new(float64(ucMet) / float64(ucMet+ucBreached))},
		}}
	}
	return &report.Report{
		Period: march,
		Total: report.Figures{
			Registered: 52, Resolved: 45, Closed: 41, Cancelled: 2, FirstContact: 18, FirstContactRate: new(0.4),
			Reassignments: 6, PingPong: 2, Moves: 7, Reopened: 3, ReopenRate: new(1.0 / 15),
			Backlog: report.Backlog{Open: 11, Ageing: ageing(4, 3, 2, 1, 1)}, Metrics: total,
		},
		Agreements: []report.AgreementFigures{
			{Agreement: "SLA Gold", Desk: desk, Kind: sla.KindSLA, Provider: desk, Consumer: customer,
				ProviderName: deskName, ConsumerName: customerName, Objective: 0.95,
				Metrics: total[:3], Credit: &report.Credit{Percent: 2.5, Amount: 125000, Currency: "SEK"}},
			{Agreement: "UC Network", Desk: desk, Kind: sla.KindUC, Provider: network, Consumer: desk,
				ProviderName: "Network Services", ConsumerName: deskName, Objective: 0.9, Metrics: total[3:]},
			{Agreement: olaName, Desk: desk, Kind: sla.KindOLA, Provider: acme, Consumer: desk, Objective: 0.85,
				Metrics: []report.MetricFigures{}, Credit: &report.Credit{Percent: 0, Amount: 0, Currency: "EUR"}},
		},
		Priorities: []report.Group{
			{Key: "P1", Figures: report.Figures{Registered: 2, Resolved: 2, Closed: 2,
				FirstContactRate: new(0.0), ReopenRate: new(0.0), Backlog: report.Backlog{Ageing: ageing(0, 0, 0, 0, 0)},
				Metrics: []report.MetricFigures{slaMetric(sla.MetricResolution, 1, 1, 5, 5, 9, 0)}}},
			{Key: "P3", Figures: report.Figures{Registered: 50, Resolved: 43, Closed: 39, Cancelled: 2, FirstContact: 18,
				FirstContactRate: new(18.0 / 43), Reassignments: 6, PingPong: 2, Reopened: 3, ReopenRate: new(3.0 / 43),
				Backlog: report.Backlog{Open: 11, Ageing: ageing(4, 3, 2, 1, 1)},
				Metrics: []report.MetricFigures{slaMetric(sla.MetricResolution, 39, 4, 9.75, 7.75, 26, 0), ucMetric(19, 3)}}},
		},
		Suppliers: []report.Group{
			{Key: network.String(), Name: "Network Services", Figures: report.Figures{Registered: 0, Resolved: 22,
				FirstContactRate: new(0.0), ReopenRate: new(0.0), Reassignments: 4, PingPong: 2, Backlog: report.Backlog{Open: 3, Ageing: ageing(1, 1, 1, 0, 0)},
				Metrics: []report.MetricFigures{ucMetric(19, 3)}}},
			{Key: acme.String(), Name: acmeName, Figures: report.Figures{Resolved: 4, FirstContactRate: new(0.0), ReopenRate: new(0.0),
				Backlog: report.Backlog{Open: 1, Ageing: ageing(0, 0, 0, 0, 1)}, Metrics: []report.MetricFigures{}}},
			{Key: idle.String(), Figures: report.Figures{Backlog: report.Backlog{Ageing: []report.AgeBucket{}},
				Metrics: []report.MetricFigures{}}},
		},
		Categories: []report.Group{
			{Key: "", Figures: report.Figures{Registered: 5, Resolved: 4, FirstContactRate: new(0.0), ReopenRate: new(0.0), Backlog: report.Backlog{Open: 1, Ageing: ageing(1, 0, 0, 0, 0)},
				Metrics: []report.MetricFigures{slaMetric(sla.MetricResolution, 4, 0, 2, 2, 3, 0)}}},
			{Key: "Network, WAN", Figures: report.Figures{Registered: 30, Resolved: 26, FirstContactRate: new(0.5), ReopenRate: new(0.0),
				Backlog: report.Backlog{Open: 6, Ageing: ageing(2, 2, 1, 1, 0)},
				Metrics: []report.MetricFigures{slaMetric(sla.MetricResolution, 22, 4, 11, 8, 28, 0), ucMetric(19, 3)}}},
			{Key: scriptName, Name: scriptName, Figures: report.Figures{Registered: 7, Resolved: 6, FirstContactRate: new(0.0), ReopenRate: new(0.0),
				Backlog: report.Backlog{Open: 1, Ageing: ageing(1, 0, 0, 0, 0)}, Metrics: []report.MetricFigures{}}},
			{Key: formulaName, Figures: report.Figures{Registered: 6, Resolved: 6, FirstContactRate: new(0.0), ReopenRate: new(0.0),
				Backlog: report.Backlog{Ageing: ageing(0, 0, 0, 0, 0)}, Metrics: []report.MetricFigures{}}},
			{Key: apostropheCat, Name: "-1", Figures: report.Figures{Registered: 4, Resolved: 3, FirstContactRate: new(0.0), ReopenRate: new(0.0),
				Backlog: report.Backlog{Open: 3, Ageing: ageing(0, 1, 1, 0, 1)}, Metrics: []report.MetricFigures{}}},
		},
		// The desk's second line moved tickets in and resolved them under
		// the SLA; a team that held nothing resolved has no rates.
		Groups: []report.Group{
			{Key: secondLine.String(), Name: "Second line, \"L2\"", Organisation: desk, Figures: report.Figures{
				Registered: 20, Resolved: 18, FirstContact: 4, FirstContactRate: new(4.0 / 18), Moves: 7, ReopenRate: new(0.0),
				Backlog: report.Backlog{Open: 2, Ageing: ageing(1, 1, 0, 0, 0)},
				Metrics: []report.MetricFigures{slaMetric(sla.MetricResolution, 16, 2, 10, 8, 27, 0)}}},
			{Key: idleTeam.String(), Organisation: network, Figures: report.Figures{
				Backlog: report.Backlog{Ageing: ageing(0, 0, 0, 0, 0)}, Metrics: []report.MetricFigures{}}},
		},
		Trend: []report.TrendPoint{
			trendPoint(report.Month(2026, time.January, cet), 61, 58, 9, 50, 2, 20, 1),
			trendPoint(report.Month(2026, time.February, cet), 47, 49, 7, 42, 3, 17, 4),
			trendPoint(march, 52, 45, 11, 40, 5, 19, 3),
		},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := richReport()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got report.Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, &got); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}
	// Durations are readable strings, not nanoseconds.
	if !bytes.Contains(b, []byte(`"p90":"26h30m0s"`)) || !bytes.Contains(b, []byte(`"over":"168h0m0s"`)) {
		t.Errorf("durations not written as Duration.String: %s", b)
	}
	var d report.Duration
	if err := json.Unmarshal([]byte(`"1.5h"`), &d); err != nil || d != hours(1.5) {
		t.Errorf("Duration reads %v, %v; want 1h30m0s", d, err)
	}
	if err := json.Unmarshal([]byte(`"1 day"`), &d); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("a bad duration gives %v, want an invalid error", err)
	}
	// An agreement's names are written under the names the schema gives,
	// and left out when the agreement has none.
	var raw struct{ Agreements []map[string]any }
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if a := raw.Agreements[0]; a["provider_name"] != deskName || a["consumer_name"] != customerName {
		t.Errorf("SLA Gold's names are written as %q and %q", a["provider_name"], a["consumer_name"])
	}
	for _, k := range []string{"provider_name", "consumer_name"} {
		if v, ok := raw.Agreements[2][k]; ok {
			t.Errorf("the unnamed OLA has %s %q", k, v)
		}
	}
}

// TestSchemaMatchesGolden compares the schema with its golden file; run
// with -update to rewrite it after a deliberate change to the types.
func TestSchemaMatchesGolden(t *testing.T) {
	got, err := report.Schema()
	if err != nil {
		t.Fatal(err)
	}
	again, err := report.Schema()
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("two calls give different schemas (%v)", err)
	}
	golden(t, "report.schema.json", got)
	s := schemaDecode(t, got)
	if s["$id"] != report.SchemaURL || s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$id %v, $schema %v", s["$id"], s["$schema"])
	}
}

func mustSchema(t *testing.T) []byte {
	t.Helper()
	s, err := report.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaValidatesReports: the JSON of a rich report and of a report
// read from CSV (whose lists are all empty or full) validate.
func TestSchemaValidatesReports(t *testing.T) {
	c := schematest.MustNew(t, mustSchema(t))
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, minimalReport()); err != nil {
		t.Fatal(err)
	}
	fromCSV, err := report.ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*report.Report{"rich": richReport(), "from CSV": fromCSV} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSchemaRefusesBadReports changes one thing in a valid report's JSON at
// a time; each must be refused, so that the validation above means
// something.
func TestSchemaRefusesBadReports(t *testing.T) {
	c := schematest.MustNew(t, mustSchema(t))
	b, err := json.Marshal(richReport())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"unchanged", func(map[string]any) {}, ""},
		{"extra property", func(m map[string]any) { m["extra"] = 1 }, `property "extra" is not allowed`},
		{"missing required", func(m map[string]any) { delete(m, "trend") }, `required property "trend" is missing`},
		{"null list", func(m map[string]any) { m["suppliers"] = nil }, "/suppliers: null, want array"},
		{"count as string", func(m map[string]any) { obj(m, "total")["registered"] = "52" }, "/total/registered: string, want integer"},
		{"fractional count", func(m map[string]any) { obj(m, "total")["registered"] = json.Number("1.5") }, "number, want integer"},
		{"bad uuid", func(m map[string]any) { item(m, "agreements", 0)["provider"] = "desk" }, "/agreements/0/provider"},
		{"bad kind", func(m map[string]any) { item(m, "agreements", 1)["kind"] = "SLO" }, `"SLO" is not one of`},
		{"name not a string", func(m map[string]any) { item(m, "agreements", 1)["consumer_name"] = json.Number("7") },
			"/agreements/1/consumer_name: integer, want string"},
		{"bad duration", func(m map[string]any) {
			item(obj(obj(m, "total"), "backlog"), "ageing", 1)["over"] = "1 day"
		}, `"1 day" does not match`},
		{"duration in nanoseconds", func(m map[string]any) {
			item(obj(obj(m, "total"), "backlog"), "ageing", 1)["over"] = json.Number("86400000000000")
		}, "/total/backlog/ageing/1/over: integer, want string"},
		{"nullable duration in nanoseconds", func(m map[string]any) {
			item(obj(m, "total"), "metrics", 0)["p90"] = json.Number("5400000000000")
		}, "/total/metrics/0/p90: 5400000000000 matches 0 of the oneOf schemas"},
		{"bad time", func(m map[string]any) { obj(m, "period")["from"] = "2026-03-01" }, `"2026-03-01" is not a date-time`},
		{"credit without currency", func(m map[string]any) { delete(obj(item(m, "agreements", 0), "credit"), "currency") },
			`/agreements/0/credit: required property "currency" is missing`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := schemaDecodeJSON(t, b).(map[string]any)
			tc.change(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Check(data)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid data refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want an error with %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want one with %q", err, tc.want)
			}
		})
	}
}

func obj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func item(m map[string]any, key string, i int) map[string]any {
	return m[key].([]any)[i].(map[string]any)
}

// TestSchemaCheckerRefusesUnknownKeywords: a keyword the checker does not
// implement fails the check rather than passing silently, so that a schema
// using more of JSON Schema is not taken as checked.
func TestSchemaCheckerRefusesUnknownKeywords(t *testing.T) {
	c := schematest.MustNew(t, []byte(`{"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}}`))
	if err := c.Check([]byte(`{"a": "abcdef"}`)); err == nil || !strings.Contains(err.Error(), `keyword "maxLength"`) {
		t.Errorf("got %v, want the unknown keyword named", err)
	}
	c = schematest.MustNew(t, []byte(`{"type": "string", "format": "email"}`))
	if err := c.Check([]byte(`"a@b"`)); err == nil || !strings.Contains(err.Error(), `format "email"`) {
		t.Errorf("got %v, want the unknown format named", err)
	}
}

// TestSchemaPatternsAgreeWithParsers: the schema's patterns accept exactly
// what itsm.ParseID and time.ParseDuration (Duration.UnmarshalText) accept.
func TestSchemaPatternsAgreeWithParsers(t *testing.T) {
	defs := obj(schemaDecode(t, mustSchema(t)), "$defs")
	idRE := regexp.MustCompile(obj(obj(defs["AgreementFigures"].(map[string]any), "properties"), "provider")["pattern"].(string))
	durationRE := regexp.MustCompile(obj(obj(defs["AgeBucket"].(map[string]any), "properties"), "over")["pattern"].(string))
	rng := rand.New(rand.NewPCG(7, 3))

	ids := []string{"01234567-89ab-cdef-0123-456789abcdef", "01234567-89AB-CDEF-0123-456789ABCDEF",
		"0123456789abcdef0123456789abcdef", "{01234567-89ab-cdef-0123-456789abcdef}", ""}
	for range 5000 {
		b := []byte(itsm.NewID().String())
		for range rng.IntN(3) {
			b[rng.IntN(len(b))] = "0aF-gz{"[rng.IntN(7)]
		}
		ids = append(ids, string(b))
	}
	for _, s := range ids {
		_, err := itsm.ParseID(s)
		if idRE.MatchString(s) != (err == nil) {
			t.Errorf("id %q: pattern matches %t, ParseID error %v", s, idRE.MatchString(s), err)
		}
	}

	durations := []string{"0", "+0", "-0", "26h30m0s", "1.5h", ".5s", "1.s", "300ms", "2us", "2µs", "2μs",
		"-1h0m0.5s", "", "h", "1", "00", "1hm", "1d", ".s", "1.5.5s", "1 h"}
	for range 20000 {
		durations = append(durations, randomString(rng, "0019.hmsunµμ-+", 7))
	}
	for _, s := range durations {
		var d report.Duration
		err := d.UnmarshalText([]byte(s))
		if durationRE.MatchString(s) != (err == nil) {
			t.Errorf("duration %q: pattern matches %t, UnmarshalText error %v", s, durationRE.MatchString(s), err)
		}
	}
}

func randomString(rng *rand.Rand, alphabet string, maxLen int) string {
	runes := []rune(alphabet)
	out := make([]rune, rng.IntN(maxLen+1))
	for i := range out {
		out[i] = runes[rng.IntN(len(runes))]
	}
	return string(out)
}

func schemaDecodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	return schematest.MustDecode(t, b)
}

func schemaDecode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	s, ok := schemaDecodeJSON(t, b).(map[string]any)
	if !ok {
		t.Fatalf("schema is not an object: %s", b)
	}
	return s
}

// minimalReport has one of everything that must be there and nothing else.
func minimalReport() *report.Report {
	return &report.Report{
		Period:     report.Month(2026, time.April, time.UTC),
		Total:      report.Figures{Backlog: report.Backlog{Ageing: []report.AgeBucket{}}, Metrics: []report.MetricFigures{}},
		Agreements: []report.AgreementFigures{}, Priorities: []report.Group{}, Suppliers: []report.Group{},
		Categories: []report.Group{}, Trend: []report.TrendPoint{},
	}
}

func writeCSV(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCSVRoundTrip: ReadCSV gives back exactly the report WriteCSV wrote,
// for a report with everything and one with nothing; writing it again
// gives the same bytes.
func TestCSVRoundTrip(t *testing.T) {
	for name, want := range map[string]*report.Report{"rich": richReport(), "minimal": minimalReport(), "requests": requestsReport()} {
		t.Run(name, func(t *testing.T) {
			b := writeCSV(t, want)
			got, err := report.ReadCSV(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("CSV round trip (-want +got):\n%s", d)
			}
			if again := writeCSV(t, got); !bytes.Equal(again, b) {
				t.Errorf("writing the report read back differs:\n%s", firstDiff(b, again))
			}
		})
	}
}

// TestCSVLayout checks the long format on the rich report: one row per
// group and metric, each section there, the age buckets as columns, and
// text that a spreadsheet would run as a formula defused.
func TestCSVLayout(t *testing.T) {
	b := writeCSV(t, richReport())
	records := readRecords(t, b)
	header := records[0]
	wantHeader := "period_from,period_to,section,key,name,organisation,registered,resolved,closed,cancelled,first_contact," +
		"first_contact_rate,reassignments,ping_pong,moves,reopened,reopen_rate,backlog_open," +
		"backlog_over_0s,backlog_over_24h0m0s,backlog_over_72h0m0s,backlog_over_168h0m0s,backlog_over_720h0m0s," +
		"agreement,desk,kind,provider,consumer,provider_name,consumer_name,objective,metric,met,breached,compliance,shortfall,stopped,mean,median,p90,missed," +
		"credit_percent,credit_amount,credit_currency,zone,as_of"
	if got := strings.Join(header, ","); got != wantHeader {
		t.Errorf("header\n got %s\nwant %s", got, wantHeader)
	}
	col := func(name string) int { return slices.Index(header, name) }
	// Every row of an agreement carries its names, defused and quoted as
	// other text; an unnamed one and the rows of other sections have none.
	wantNames := map[string][2]string{
		"SLA Gold":   {deskName, "'" + customerName},
		"UC Network": {"Network Services", deskName},
		olaName:      {"", ""},
	}
	sections := make(map[string]int)
	for _, rec := range records[1:] {
		sections[rec[2]]++
		if rec[0] != "2026-03-01T00:00:00+01:00" || rec[1] != "2026-04-01T00:00:00+01:00" {
			t.Errorf("row without the period: %q", rec)
		}
		var want [2]string
		if rec[2] == "agreement" {
			want = wantNames[rec[col("agreement")]]
		}
		if got := [2]string{rec[col("provider_name")], rec[col("consumer_name")]}; got != want {
			t.Errorf("%s row %q: names %q, want %q", rec[2], rec[3], got, want)
		}
	}
	// total 4 metrics; agreements 3+1+1 (no metrics); priorities 1+2;
	// suppliers 1+1+1; categories 1+2+1+1+1; groups 1+1; trend 2 per
	// point.
	want := map[string]int{"total": 4, "agreement": 5, "priority": 3, "supplier": 3, "category": 6, "group": 2, "trend": 6}
	if !reflect.DeepEqual(sections, want) {
		t.Errorf("rows per section %v, want %v", sections, want)
	}
	text := string(b)
	for _, s := range []string{`,"'=cmd|' /C calc'!A0",`, `,"''quoted","'-1",`, `"Acme, ""Quick"" Fix` + "\nLtd\"",
		`,Service Desk <North> & Co,"'-Lakeside, ""Kommun""",0.95,`,
		`2026-01-01T00:00:00+01:00/2026-02-01T00:00:00+01:00`, `,0.06666666666666667,`} {
		if !strings.Contains(text, s) {
			t.Errorf("CSV lacks %s", s)
		}
	}
}

func readRecords(t *testing.T, b []byte) [][]string { return splitCSV(t, b) }

func splitCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return records
}

// TestWriteCSVRefuses: what the CSV form cannot carry exactly is refused
// with an invalid error naming the problem, and nothing is written.
func TestWriteCSVRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *report.Report)
		want   string
	}{
		{"duplicate priority", func(r *report.Report) { r.Priorities[1].Key = "P1" }, `priority "P1" appears twice`},
		{"duplicate agreement", func(r *report.Report) {
			r.Agreements = append(r.Agreements, r.Agreements[1])
		}, `agreement "UC Network" of desk 0190a000-0000-7000-8000-000000000001 appears twice`},
		{"duplicate trend period", func(r *report.Report) { r.Trend[1].Period = r.Trend[0].Period }, "appears twice"},
		{"metric without name", func(r *report.Report) { r.Categories[0].Figures.Metrics[0].Metric = "" }, "has no name"},
		{"agreement metric of another agreement", func(r *report.Report) { r.Agreements[1].Metrics[0].Objective = 0.5 }, "not its own"},
		{"ageing out of order", func(r *report.Report) {
			a := r.Total.Backlog.Ageing
			a[0], a[1] = a[1], a[0]
		}, "age buckets must increase"},
		{"CRLF in a name", func(r *report.Report) { r.Suppliers[0].Name = "a\r\nb" }, "carriage return"},
		{"offset with seconds", func(r *report.Report) {
			r.Period.From = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("LMT", 3601))
		}, "cannot be written as RFC 3339"},
		{"empty period", func(r *report.Report) { r.Period.To = r.Period.From }, "is empty"},
		{"NaN", func(r *report.Report) { r.Total.Metrics[0].Compliance = new(math.NaN()) }, `total metric "response": compliance NaN is not a number from 0 to 1`},
		{"negative count", func(r *report.Report) { r.Suppliers[2].Figures.Registered = -1 }, `registered -1 is not a count`},
		{"unknown kind", func(r *report.Report) { r.Categories[1].Figures.Metrics[1].Kind = "XLA" }, `kind "XLA" is not SLA, OLA or UC`},
		{"unknown agreement kind", func(r *report.Report) {
			r.Agreements[2].Kind = ""
		}, `agreement "Ops, \"night\"\nshift": kind "" is not SLA, OLA or UC`},
		{"objective above 1", func(r *report.Report) {
			r.Agreements[2].Objective = 1.5
		}, `objective 1.5 is not a number from 0 to 1`},
		{"infinite shortfall", func(r *report.Report) {
			r.Agreements[0].Metrics[1].Shortfall = math.Inf(1)
		}, `metric "resolution": shortfall +Inf is not a number from 0 to 1`},
		{"negative rate", func(r *report.Report) { r.Priorities[0].Figures.ReopenRate = new(-0.5) }, `priority "P1": reopen_rate -0.5 is not`},
		{"negative duration", func(r *report.Report) {
			r.Total.Metrics[0].P90 = new(report.Duration(-time.Minute))
		}, `p90 -1m0s is not a duration from 0`},
		{"credit above 100%", func(r *report.Report) { r.Agreements[0].Credit.Percent = 101 }, `credit percent 101 is not a number from 0 to 100`},
		{"negative credit", func(r *report.Report) { r.Agreements[0].Credit.Amount = -1 }, `credit amount -1 is not an amount`},
		{"negative age bucket", func(r *report.Report) {
			r.Total.Backlog.Ageing[0].Over = report.Duration(-time.Hour)
		}, `age bucket over -1h0m0s is negative`},
		{"negative bucket count", func(r *report.Report) { r.Total.Backlog.Ageing[2].Count = -3 }, `backlog_over_72h0m0s -3 is not a count`},
		{"empty trend period", func(r *report.Report) { r.Trend[0].Period.To = r.Trend[0].Period.From }, `trend point 0: the period`},
		{"negative trend count", func(r *report.Report) { r.Trend[1].Metrics[1].Breached = -1 }, `trend point 1 metric "resolution": breached -1 is not a count`},
		{"unknown zone", func(r *report.Report) { r.Zone = "Europe/Atlantis" }, `zone "Europe/Atlantis" is not a time zone`},
		// Only a group row has an organisation column.
		{"organisation outside groups", func(r *report.Report) { r.Suppliers[0].Organisation = desk }, "which only groups have"},
		{"duplicate group", func(r *report.Report) { r.Groups[1].Key = r.Groups[0].Key }, "appears twice"},
		{"negative moves", func(r *report.Report) { r.Groups[0].Figures.Moves = -1 }, `moves -1 is not a count`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := richReport()
			tc.change(r)
			var buf bytes.Buffer
			err := report.WriteCSV(&buf, r)
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an invalid error with %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of a refused report", buf.Len())
			}
		})
	}
	if err := report.WriteCSV(io.Discard, nil); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("nil report: %v", err)
	}
}

// TestReadCSVErrors: bad files are refused with an invalid error naming the
// line and the column.
func TestReadCSVErrors(t *testing.T) {
	good := string(writeCSV(t, richReport()))
	lines := strings.SplitAfter(good, "\n")
	header := lines[0]
	// row i of the rich report's file as fields; its rows have no quoted
	// newlines up to the supplier section.
	row := func(i int) []string { return splitCSV(t, []byte(header+lines[i]))[1] }
	join := func(f []string) string { return strings.Join(f, ",") + "\n" }
	// groupLine is the rich report's first group row.
	var groupLine string
	for _, line := range lines {
		if strings.Contains(line, ",group,"+secondLine.String()+",") {
			groupLine = line
		}
	}
	set := func(i int, col int, v string) string {
		f := row(i)
		f[col] = v
		return header + join(f)
	}
	// Column indexes in the rich report's file, which has five age buckets;
	// the messages number the columns from 1.
	const (
		cSection, cKey, cName, cRegistered, cRate, cAge1, cDesk, cKind, cProvider = 2, 3, 4, 6, 11, 19, 24, 25, 26
		cConsumer, cProviderName, cConsumerName                                   = 27, 28, 29
		cObjective, cMetric, cCompliance, cMean, cCreditAmount                    = 30, 31, 34, 37, 42
	)
	for c, name := range map[int]string{cSection: "section", cKey: "key", cName: "name", cRegistered: "registered",
		cRate: "first_contact_rate", cAge1: "backlog_over_24h0m0s", cDesk: "desk", cKind: "kind", cProvider: "provider",
		cConsumer: "consumer", cProviderName: "provider_name", cConsumerName: "consumer_name", cObjective: "objective",
		cMetric: "metric", cCompliance: "compliance", cMean: "mean", cCreditAmount: "credit_amount"} {
		if got := splitCSV(t, []byte(header))[0][c]; got != name {
			t.Fatalf("column %d is %q, not %q", c, got, name)
		}
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "empty: no header row"},
		{"header only", header, "no total row"},
		{"short header", "period_from,period_to\n", "line 1, column 2 (header): 2 columns, want at least 41"},
		{"wrong header", strings.Replace(header, "closed", "shut", 1), `line 1, column 9 (header): "shut", want "closed"`},
		{"bad bucket", strings.Replace(header, "backlog_over_24h0m0s", "backlog_over_1d", 1), `line 1, column 20 (header): "backlog_over_1d": the age bucket is not a duration`},
		{"buckets out of order", strings.Replace(header, "backlog_over_24h0m0s", "backlog_over_1000h", 1), "age buckets must increase"},
		{"bare quote", header + `a"b` + "\n", `bare " in non-quoted-field`},
		{"wrong field count", header + "a,b\n", "wrong number of fields"},
		{"unknown section", set(1, cSection, "totals"), `line 2, column 3 (section): "totals" is not one of`},
		{"bad period", set(1, 0, "2026-03-01"), `line 2, column 1 (period_from): "2026-03-01" is not an RFC 3339 time`},
		{"other period", header + lines[1] + set(2, 1, "2026-05-01T00:00:00+01:00")[len(header):],
			"line 3, column 1 (period_from): the period 2026-03-01T00:00:00+01:00 to 2026-05-01T00:00:00+01:00 is not the one on line 2"},
		{"negative count", set(1, cRegistered, "-3"), `line 2, column 7 (registered): "-3" is not a count`},
		{"rate above 1", set(1, cRate, "1.5"), `line 2, column 12 (first_contact_rate): "1.5" is not a number from 0 to 1`},
		{"bucket not a count", set(1, cAge1, "x"), `line 2, column 20 (backlog_over_24h0m0s): "x" is not a count`},
		{"bad kind", set(1, cKind, "XLA"), `line 2, column 26 (kind): "XLA" is not SLA, OLA or UC`},
		{"bad desk", set(1, cDesk, "Service Desk"), `line 2, column 25 (desk): "Service Desk" is not an ID`},
		{"bad provider", set(1, cProvider, "desk"), `line 2, column 27 (provider): "desk" is not an ID`},
		{"bad duration", set(1, cMean, "1 day"), `line 2, column 38 (mean): "1 day" is not a duration`},
		{"NaN", set(1, cCompliance, "NaN"), `line 2, column 35 (compliance): "NaN" is not a number`},
		{"name in total", set(1, cName, "x"), "line 2, column 5 (name): must be empty in a total row"},
		{"key in total", set(1, cKey, "x"), "line 2, column 4 (key): must be empty in a total row"},
		{"metric cells without metric", set(1, cMetric, ""), "line 2, column 24 (agreement): must be empty in a row without a metric"},
		{"metric named by an apostrophe alone", set(1, cMetric, "'"), "line 2, column 32 (metric): a metric needs a name"},
		{"group cell differs", header + lines[1] + set(2, cRegistered, "53")[len(header):],
			`line 3, column 7 (registered): "53" differs from "52" on line 2, the group's first row`},
		{"group apart", header + lines[1] + lines[5] + lines[2], `line 4: total "" appears again after line 2`},
		{"metric after a row without", header + noMetric(t, header, lines[1]) + lines[1],
			`line 3: total "" has a row without a metric, which must then be its only row (line 2)`},
		{"credit amount without percent", header + lines[1] + setLine(t, header, lines[5], cCreditAmount-1, ""),
			"line 3, column 43 (credit_amount): must be empty when credit_percent is"},
		{"agreement key not its name", header + lines[1] + setLine(t, header, lines[5], cKey, "Other"), `line 3, column 4 (key): "Other" is not the agreement's name "SLA Gold"`},
		{"objective above 1", header + lines[1] + setLine(t, header, lines[5], cObjective, "95"), `line 3, column 31 (objective): "95" is not a number from 0 to 1`},
		{"no total", header + lines[5], "no total row"},
		{"bad trend key", header + lines[1] + setLine(t, header, lastLine(lines), cKey, "2026-03"), `(key): "2026-03" is not a period from/to`},
		{"kind in trend", header + lines[1] + setLine(t, header, lastLine(lines), cKind, "SLA"), "(kind): must be empty in a trend row"},
		{"age bucket in trend", header + lines[1] + setLine(t, header, lastLine(lines), cAge1, "2"),
			"column 20 (backlog_over_24h0m0s): must be empty in a trend row"},
		{"consumer in total", set(1, cConsumer, desk.String()), "line 2, column 28 (consumer): must be empty in a total row"},
		{"organisation in total", set(1, cName+1, desk.String()), "line 2, column 6 (organisation): must be empty in a total row"},
		{"group organisation not an ID", header + lines[1] + setLine(t, header, groupLine, cName+1, "desk"),
			`line 3, column 6 (organisation): "desk" is not an ID`},
		{"provider name in total", set(1, cProviderName, "x"), "line 2, column 29 (provider_name): must be empty in a total row"},
		{"consumer name in trend", header + lines[1] + setLine(t, header, lastLine(lines), cConsumerName, "x"),
			"column 30 (consumer_name): must be empty in a trend row"},
		{"agreement names differ between its rows", header + lines[1] + lines[5] + setLine(t, header, lines[6], cConsumerName, "Lakeside"),
			`line 4, column 30 (consumer_name): "Lakeside" differs from "'-Lakeside, \"Kommun\"" on line 3, the group's first row`},
		{"provider name differs between its rows", header + lines[1] + lines[5] + setLine(t, header, lines[6], cProviderName, ""),
			`line 4, column 29 (provider_name): "" differs from "Service Desk <North> & Co" on line 3, the group's first row`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.ReadCSV(strings.NewReader(tc.in))
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an invalid error with %q", err, tc.want)
			}
		})
	}
	// A byte order mark, as spreadsheets save, is fine.
	if _, err := report.ReadCSV(strings.NewReader("\ufeff" + good)); err != nil {
		t.Errorf("with a byte order mark: %v", err)
	}
}

func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] != "" {
			return lines[i]
		}
	}
	return ""
}

// noMetric clears the metric columns of a total row: agreement to missed.
func noMetric(t *testing.T, header, line string) string {
	t.Helper()
	h := splitCSV(t, []byte(header))[0]
	for col := slices.Index(h, "agreement"); col <= slices.Index(h, "missed"); col++ {
		line = setLine(t, header, line, col, "")
	}
	return line
}

// setLine changes field col of one line of the file (with no quoted newline).
func setLine(t *testing.T, header, line string, col int, v string) string {
	t.Helper()
	f := splitCSV(t, []byte(header+line))[1]
	f[col] = v
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(f); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return buf.String()
}

// FuzzReadCSV: ReadCSV never panics, refuses with an invalid error, and
// what it accepts writes back to the same report.
func FuzzReadCSV(f *testing.F) {
	for _, r := range []*report.Report{richReport(), minimalReport(), requestsReport()} {
		var buf bytes.Buffer
		if err := report.WriteCSV(&buf, r); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.ReadCSV(bytes.NewReader(data))
		if err != nil {
			if !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := report.WriteCSV(&buf, r); err != nil {
			t.Fatalf("accepted %q, but cannot write it back: %v", data, err)
		}
		again, err := report.ReadCSV(&buf)
		if err != nil {
			t.Fatalf("cannot read back what it wrote: %v\n%s", err, buf.Bytes())
		}
		if d := cmp.Diff(r, again); d != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", data, d)
		}
	})
}

// fuzzSeeds are FuzzReadCSV's seeds in testdata, beyond the two reports it
// adds itself, made from what WriteCSV writes now so that they follow the
// form when it changes, and what ReadCSV says to each: "" when it reads it.
func fuzzSeeds(t *testing.T) map[string]struct {
	data []byte
	want string
} {
	t.Helper()
	minimal := writeCSV(t, minimalReport())
	example := writeCSV(t, exampleReport())
	headerOf := func(b []byte) []byte { return b[:bytes.IndexByte(b, '\n')+1] }
	rich := readRecords(t, writeCSV(t, richReport()))
	lastCategory := 0
	for i, rec := range rich {
		if rec[2] == "category" {
			lastCategory = i
		}
	}
	// pick writes the header and the records of the rich report that keep
	// accepts.
	pick := func(keep func(i int, rec []string) bool) []byte {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for i, rec := range rich {
			if i == 0 || keep(i, rec) {
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.Flush()
		return buf.Bytes()
	}
	type seed = struct {
		data []byte
		want string
	}
	return map[string]seed{
		"minimal":     {minimal, ""},
		"bom":         {append([]byte("\ufeff"), minimal...), ""},
		"field_count": {append(slices.Clone(headerOf(minimal)), "a,b\n"...), "wrong number of fields"},
		"header_only": {headerOf(example), "no total row"},
		"example":     {example, ""},
		"crlf":        {bytes.ReplaceAll(example, []byte("\n"), []byte("\r\n")), ""},
		// The total and the agreements, whose names have commas, quotes,
		// a newline, markup and a formula.
		"rich_head": {pick(func(_ int, rec []string) bool { return rec[2] == "total" || rec[2] == "agreement" }), ""},
		// A total row, the last category and the trend.
		"rich_tail": {pick(func(i int, rec []string) bool { return i == 1 || i == lastCategory || rec[2] == "trend" }), ""},
		// A total row and the groups, one of them named with a comma and
		// quotes, each with its organisation.
		"rich_groups": {pick(func(i int, rec []string) bool { return i == 1 || rec[2] == "group" }), ""},
	}
}

// TestFuzzSeeds: the seeds in testdata are what the current form makes of
// the test reports (rewritten with -update), and ReadCSV reads each, or
// refuses it for the one reason it is there for.
func TestFuzzSeeds(t *testing.T) {
	for name, s := range fuzzSeeds(t) {
		t.Run(name, func(t *testing.T) {
			goldenFile(t, filepath.Join("testdata", "fuzz", "FuzzReadCSV", name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", s.data))
			_, err := report.ReadCSV(bytes.NewReader(s.data))
			switch {
			case s.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case s.want != "" && (err == nil || !strings.Contains(err.Error(), s.want)):
				t.Errorf("got %v, want an error with %q", err, s.want)
			}
		})
	}
}

// htmlPage writes the page of the reports.
func htmlPage(t *testing.T, reports ...*report.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, reports...); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// svgFacts is what a test reads from the charts of a page.
type svgFacts struct {
	bars, points, series map[string]int
	texts                map[string][]string
}

var svgRE = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

// readSVGs parses each chart of the page as XML: it must be well formed,
// and each element it counts must carry the SVG namespace. The agreements'
// compliance charts count together as chart-compliance.
func readSVGs(t *testing.T, page string) svgFacts {
	t.Helper()
	facts := svgFacts{bars: map[string]int{}, points: map[string]int{}, series: map[string]int{}, texts: map[string][]string{}}
	for _, frag := range svgRE.FindAllString(page, -1) {
		d := xml.NewDecoder(strings.NewReader(frag))
		id := ""
		var inText bool
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v\n%s", err, frag)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("element %s outside the SVG namespace", tok.Name.Local)
				}
				attr := func(name string) string {
					for _, a := range tok.Attr {
						if a.Name.Local == name {
							return a.Value
						}
					}
					return ""
				}
				switch tok.Name.Local {
				case "svg":
					id = attr("id")
					if attr("role") != "img" || !strings.Contains(attr("aria-labelledby"), id+"-title") {
						t.Errorf("chart %s is not an accessible image", id)
					}
					if strings.HasPrefix(id, "chart-compliance-") {
						id = "chart-compliance"
					}
				case "rect":
					if attr("class") == "bar" {
						facts.bars[id]++
					}
				case "circle":
					if attr("class") == "point" {
						facts.points[id]++
					}
				case "path":
					if attr("class") == "series" {
						facts.series[id]++
					}
				case "text", "title":
					inText = true
				}
			case xml.EndElement:
				inText = false
			case xml.CharData:
				if inText {
					facts.texts[id] = append(facts.texts[id], string(tok))
				}
			}
		}
	}
	return facts
}

// TestHTMLPage checks the page of the rich report: no script and nothing
// fetched, the charts well-formed accessible SVG with one mark per datum,
// every name shown and escaped; and compares it with its golden file.
func TestHTMLPage(t *testing.T) {
	r := richReport()
	page := htmlPage(t, r)
	golden(t, "report.html", []byte(page))

	checkSelfContained(t, page, len(r.Agreements))
	if !strings.Contains(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") {
		t.Error("the category <script> is not shown escaped")
	}
	for _, want := range []string{"SLA Gold", "UC Network", "Ops, &#34;night&#34;\nshift", "March 2026",
		"Service Desk &lt;North&gt; &amp; Co", "-Lakeside, &#34;Kommun&#34;",
		"Network Services", "Acme, &#34;Quick&#34; Fix\nLtd", "(none)", "1,250.00 SEK (2.5% of the fee)", "no credit rule", "none owed"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	facts := readSVGs(t, page)
	// The trend's three months: one backlog bar each, and a point for
	// each of the two agreement metrics in January and February plus the
	// four of March's own agreements.
	if facts.bars["chart-backlog"] != len(r.Trend) {
		t.Errorf("%d backlog bars, want one per trend month (%d)", facts.bars["chart-backlog"], len(r.Trend))
	}
	if got := facts.points["chart-compliance"]; got != 2+2+4 {
		t.Errorf("%d compliance points, want 8", got)
	}
	if got := facts.series["chart-compliance"]; got != 4 {
		t.Errorf("%d compliance lines, want one per agreement metric (4)", got)
	}
	if facts.bars["chart-suppliers"] != len(r.Suppliers) {
		t.Errorf("%d supplier bars, want %d", facts.bars["chart-suppliers"], len(r.Suppliers))
	}
	texts := strings.Join(facts.texts["chart-compliance"], "|")
	for _, want := range []string{"Jan", "Feb", "Mar", "2026", "objective 95%", "objective 90%", "SLA Gold", "UC Network",
		"response", "resolution", "update", "No ticket measured."} {
		if !strings.Contains(texts, want) {
			t.Errorf("compliance chart lacks %q in %s", want, texts)
		}
	}
	if !strings.Contains(strings.Join(facts.texts["chart-suppliers"], "|"), "Acme, \"Quick\" Fix\nLtd: 0 breached") {
		t.Errorf("supplier chart lacks Acme's tooltip: %q", facts.texts["chart-suppliers"])
	}
	// Each agreement's provider and consumer, by name with the ID as the
	// tooltip, escaped. The OLA names neither: its provider's name comes
	// from its supplier group and its consumer's from the other agreements.
	for _, a := range []struct{ agreement, provider, consumer string }{
		{"SLA Gold", orgCell(desk, "Service Desk &lt;North&gt; &amp; Co"), orgCell(customer, "-Lakeside, &#34;Kommun&#34;")},
		{"UC Network", orgCell(network, "Network Services"), orgCell(desk, "Service Desk &lt;North&gt; &amp; Co")},
		{"Ops, &#34;night&#34;\nshift", orgCell(acme, "Acme, &#34;Quick&#34; Fix\nLtd"), orgCell(desk, "Service Desk &lt;North&gt; &amp; Co")},
	} {
		if got := agreementCells(t, page, a.agreement); got != a.provider+a.consumer {
			t.Errorf("%s: provider and consumer\n %s\nwant\n %s", a.agreement, got, a.provider+a.consumer)
		}
	}
}

// orgCell is the table cell of an organisation of an agreement.
func orgCell(id itsm.ID, label string) string {
	return `<td rowspan="N" title="` + id.String() + `">` + label + `</td>`
}

var agreementRowRE = regexp.MustCompile(`(?s)<tr><th scope="row" rowspan="\d+">(.*?)</th><td rowspan="\d+">[A-Z]+</td>` +
	`(<td rowspan="\d+" title="[^"]*">.*?</td>)(<td rowspan="\d+" title="[^"]*">.*?</td>)`)

// agreementCells returns the provider's and the consumer's cells of an
// agreement's row in the first report of page, with the row span as N.
func agreementCells(t *testing.T, page, agreement string) string {
	t.Helper()
	span := regexp.MustCompile(`rowspan="\d+"`)
	for _, m := range agreementRowRE.FindAllStringSubmatch(page, -1) {
		if m[1] == agreement {
			return span.ReplaceAllString(m[2]+m[3], `rowspan="N"`)
		}
	}
	t.Fatalf("no row of agreement %q", agreement)
	return ""
}

// TestHTMLAgreementNames: an agreement's own names win over its supplier
// group's and over another report's, an organisation no agreement names
// takes its group's name, and one that nothing names shows the start of its
// ID.
func TestHTMLAgreementNames(t *testing.T) {
	r := richReport()
	r.Agreements[1].ProviderName = "Netcom <AB>"
	r.Agreements[1].ConsumerName = ""
	r.Agreements[0].ProviderName = ""
	r.Agreements[0].ConsumerName = ""
	page := htmlPage(t, r)
	for _, a := range []struct{ agreement, provider, consumer string }{
		{"SLA Gold", orgCell(desk, "0190a000…"), orgCell(customer, "0190a000…")},
		{"UC Network", orgCell(network, "Netcom &lt;AB&gt;"), orgCell(desk, "0190a000…")},
		{"Ops, &#34;night&#34;\nshift", orgCell(acme, "Acme, &#34;Quick&#34; Fix\nLtd"), orgCell(desk, "0190a000…")},
	} {
		if got := agreementCells(t, page, a.agreement); got != a.provider+a.consumer {
			t.Errorf("%s: provider and consumer\n %s\nwant\n %s", a.agreement, got, a.provider+a.consumer)
		}
	}
	// The supplier chart keeps the group's own name.
	if !strings.Contains(page, "<title>Network Services: 3 breached</title>") {
		t.Error("the supplier chart does not name Network Services by its group")
	}

	// A supplier group without a name is labelled by an agreement's name
	// for its provider.
	r = richReport()
	r.Suppliers[0].Name = ""
	if page := htmlPage(t, r); !strings.Contains(page, "<title>Network Services: 3 breached</title>") {
		t.Error("the supplier chart does not name Network Services from its agreement")
	}

	// The desk and the customer renamed between February and March: each
	// month's table shows the names of its report.
	feb, mar := richReport(), richReport()
	feb.Period, feb.Trend = report.Month(2026, time.February, cet), []report.TrendPoint{}
	feb.Agreements[0].ProviderName, feb.Agreements[1].ConsumerName = "Old Desk", "Old Desk"
	feb.Agreements[0].ConsumerName = "Old Lakeside"
	page = htmlPage(t, feb, mar)
	months := strings.Split(page, `<h2 id="report-2-h">`)
	if len(months) != 2 {
		t.Fatal("no section for the second report")
	}
	for i, want := range [][2]string{{"Old Desk", "Old Lakeside"}, {"Service Desk &lt;North&gt; &amp; Co", "-Lakeside, &#34;Kommun&#34;"}} {
		if got := agreementCells(t, months[i], "SLA Gold"); got != orgCell(desk, want[0])+orgCell(customer, want[1]) {
			t.Errorf("report %d: SLA Gold's provider and consumer\n %s\nwant %q", i+1, got, want)
		}
	}
}

// checkSelfContained: no script, and no URL but the SVG namespace; a
// compliance chart for each of the agreements and two more.
func checkSelfContained(t *testing.T, page string, agreements int) {
	t.Helper()
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("page has a script element")
	}
	rest := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	if strings.Contains(rest, "http://") || strings.Contains(rest, "https://") || strings.Contains(rest, "url(") {
		t.Error("page refers to something outside itself")
	}
	if n := strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`); n != agreements+2 {
		t.Errorf("%d SVG charts, want %d", n, agreements+2)
	}
}

// TestHTMLYear: a year of monthly reports, without trends, charts a point
// per month and agreement metric, a backlog bar per month, and sums each
// supplier's breaches over the year.
func TestHTMLYear(t *testing.T) {
	var reports []*report.Report
	wantBreaches := 0
	for m := time.January; m <= time.December; m++ {
		r := richReport()
		r.Period = report.Month(2026, m, cet)
		r.Trend = []report.TrendPoint{}
		r.Total.Backlog.Open = int(m)
		if m == time.June {
			// A month in which the UC measured nothing.
			r.Agreements[1].Metrics = []report.MetricFigures{}
		}
		reports = append(reports, r)
		wantBreaches += r.Suppliers[0].Figures.Metrics[0].Breached
	}
	page := htmlPage(t, reports...)
	checkSelfContained(t, page, 3)
	facts := readSVGs(t, page)
	if facts.bars["chart-backlog"] != 12 || facts.points["chart-compliance"] != 12*4-1 {
		t.Errorf("%d backlog bars and %d points, want 12 and 47", facts.bars["chart-backlog"], facts.points["chart-compliance"])
	}
	if facts.bars["chart-suppliers"] != 3 {
		t.Errorf("%d supplier bars, want 3", facts.bars["chart-suppliers"])
	}
	if want := fmt.Sprintf("Network Services: %d breached", wantBreaches); !strings.Contains(page, want) {
		t.Errorf("page lacks %q", want)
	}
	for _, month := range []string{"January 2026", "June 2026", "December 2026"} {
		if !strings.Contains(page, ">"+month+"<") {
			t.Errorf("page lacks a section for %s", month)
		}
	}
	if !strings.Contains(page, "<title>Service-level report, January 2026 – December 2026</title>") {
		t.Error("page title does not name the year's months")
	}
	// The UC's line breaks at June rather than joining May to July.
	if !regexp.MustCompile(`d="M[^"]*M[^"]*"`).MatchString(page) {
		t.Error("no line with a gap for the missing month")
	}
}

// TestHTMLNoData: a report with nothing still makes a page, with charts
// that say so.
func TestHTMLNoData(t *testing.T) {
	page := htmlPage(t, minimalReport())
	checkSelfContained(t, page, 0)
	facts := readSVGs(t, page)
	if facts.bars["chart-backlog"] != 1 || facts.bars["chart-suppliers"] != 0 || facts.points["chart-compliance"] != 0 {
		t.Errorf("bars %v, points %v", facts.bars, facts.points)
	}
	for _, want := range []string{"No agreement measured a ticket.", "No supplier held a ticket.", "No agreement was measured."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestHTMLOddValues: figures no report should have (NaN compliance, a
// negative backlog) still give well-formed charts without NaN or negative
// sizes.
func TestHTMLOddValues(t *testing.T) {
	r := richReport()
	r.Agreements[0].Metrics[0].Compliance = new(math.NaN())
	r.Total.Backlog.Open = -4
	r.Suppliers[0].Figures.Metrics[0].Breached = -2
	page := htmlPage(t, r)
	readSVGs(t, page)
	if strings.Contains(page, "NaN") || regexp.MustCompile(`(width|height)="-`).MatchString(page) {
		t.Error("chart has NaN or a negative size")
	}
}

// TestWriteHTMLRefuses: no report, a nil one, an empty period or two
// reports of one period are refused, and nothing is written.
func TestWriteHTMLRefuses(t *testing.T) {
	empty := minimalReport()
	empty.Period.To = empty.Period.From
	for name, reports := range map[string][]*report.Report{
		"none":        nil,
		"nil":         {minimalReport(), nil},
		"empty":       {empty},
		"same period": {richReport(), minimalReport(), richReport()},
	} {
		var buf bytes.Buffer
		err := report.WriteHTML(&buf, reports...)
		if !itsm.IsCode(err, itsm.CodeInvalid) || buf.Len() != 0 {
			t.Errorf("%s: %v, %d bytes written", name, err, buf.Len())
		}
	}
}
