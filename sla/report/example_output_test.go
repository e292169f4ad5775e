package report_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// exampleReport is a small month: one SLA with a credit, its desk and
// customer named, one priority and the month itself as its trend.
func exampleReport() *report.Report {
	desk := itsm.MustParseID("0190a000-0000-7000-8000-000000000001")
	customer := itsm.MustParseID("0190a000-0000-7000-8000-000000000002")
	march := report.Month(2026, time.March, time.UTC)
	resolution := report.MetricFigures{
		Agreement: "SLA Gold", Desk: desk, Kind: sla.KindSLA, Provider: desk, Metric: sla.MetricResolution,
		Met: 18, Breached: 2, Compliance: new(0.9), Objective: 0.95, Shortfall: 0.05, Stopped: 20,
		Mean: new(report.Duration(5 * time.Hour)), Median: new(report.Duration(4*time.Hour + 30*time.Minute)),
		P90: new(report.Duration(9 * time.Hour)),
	}
	figures := report.Figures{
		Registered: 24, Resolved: 20, Closed: 19, FirstContact: 8, FirstContactRate: new(0.4),
		Reassignments: 1, ReopenRate: new(0.0), Backlog: report.Backlog{Open: 4, Ageing: []report.AgeBucket{
			{Over: 0, Count: 3}, {Over: report.Duration(24 * time.Hour), Count: 1},
		}},
		Metrics: []report.MetricFigures{resolution},
	}
	return &report.Report{
		Period: march,
		Total:  figures,
		Agreements: []report.AgreementFigures{{
			Agreement: "SLA Gold", Desk: desk, Kind: sla.KindSLA, Provider: desk, Consumer: customer,
			ProviderName: "Service Desk", ConsumerName: "Lakeside", Objective: 0.95,
			Metrics: []report.MetricFigures{resolution},
			Credit:  &report.Credit{Percent: 5, Amount: 250000, Currency: "SEK"},
		}},
		Priorities: []report.Group{{Key: "P3", Figures: figures}},
		Suppliers:  []report.Group{},
		Categories: []report.Group{},
		Trend: []report.TrendPoint{{Period: march, Registered: 24, Resolved: 20, Backlog: 4,
			Metrics: []report.MetricPoint{{Agreement: "SLA Gold", Desk: desk, Provider: desk, Metric: sla.MetricResolution,
				Met: 18, Breached: 2, Compliance: new(0.9)}}}},
	}
}

// A report as CSV, one row per group and metric, and read back.
func ExampleWriteCSV() {
	r := exampleReport()
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(buf.Bytes())

	back, err := report.ReadCSV(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	a := back.Agreements[0]
	fmt.Printf("read back: %s, %s for %s, p90 %s, credit %d\n", a.Agreement, a.ProviderName, a.ConsumerName, *a.Metrics[0].P90, a.Credit.Amount)
	// Output:
	// period_from,period_to,section,key,name,organisation,registered,resolved,closed,cancelled,first_contact,first_contact_rate,reassignments,ping_pong,moves,reopened,reopen_rate,backlog_open,backlog_over_0s,backlog_over_24h0m0s,agreement,desk,kind,provider,consumer,provider_name,consumer_name,objective,metric,met,breached,compliance,shortfall,stopped,mean,median,p90,missed,credit_percent,credit_amount,credit_currency,zone,as_of
	// 2026-03-01T00:00:00Z,2026-04-01T00:00:00Z,total,,,,24,20,19,0,8,0.4,1,0,0,0,0,4,3,1,SLA Gold,0190a000-0000-7000-8000-000000000001,SLA,0190a000-0000-7000-8000-000000000001,,,,0.95,resolution,18,2,0.9,0.05,20,5h0m0s,4h30m0s,9h0m0s,0,,,,,
	// 2026-03-01T00:00:00Z,2026-04-01T00:00:00Z,agreement,SLA Gold,,,,,,,,,,,,,,,,,SLA Gold,0190a000-0000-7000-8000-000000000001,SLA,0190a000-0000-7000-8000-000000000001,0190a000-0000-7000-8000-000000000002,Service Desk,Lakeside,0.95,resolution,18,2,0.9,0.05,20,5h0m0s,4h30m0s,9h0m0s,0,5,250000,SEK,,
	// 2026-03-01T00:00:00Z,2026-04-01T00:00:00Z,priority,P3,,,24,20,19,0,8,0.4,1,0,0,0,0,4,3,1,SLA Gold,0190a000-0000-7000-8000-000000000001,SLA,0190a000-0000-7000-8000-000000000001,,,,0.95,resolution,18,2,0.9,0.05,20,5h0m0s,4h30m0s,9h0m0s,0,,,,,
	// 2026-03-01T00:00:00Z,2026-04-01T00:00:00Z,trend,2026-03-01T00:00:00Z/2026-04-01T00:00:00Z,,,24,20,,,,,,,,,,4,,,SLA Gold,0190a000-0000-7000-8000-000000000001,,0190a000-0000-7000-8000-000000000001,,,,,resolution,18,2,0.9,,,,,,,,,,,
	// read back: SLA Gold, Service Desk for Lakeside, p90 9h0m0s, credit 250000
}

// A year of monthly reports on one page: WriteHTML draws each month's
// compliance, backlog and supplier breaches as SVG, and a table per month.
func ExampleWriteHTML() {
	var reports []*report.Report
	for m := time.January; m <= time.March; m++ {
		r := exampleReport()
		r.Period = report.Month(2026, m, time.UTC)
		r.Trend = []report.TrendPoint{}
		reports = append(reports, r)
	}
	var page strings.Builder
	if err := report.WriteHTML(&page, reports...); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("charts:", strings.Count(page.String(), "<svg "))
	fmt.Println("scripts:", strings.Count(page.String(), "<script"))
	fmt.Println("backlog bars:", strings.Count(page.String(), `<rect class="bar"`))
	// Output:
	// charts: 3
	// scripts: 0
	// backlog bars: 3
}
