package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// TestMonthly runs the example into a temporary directory, on an eighth of the
// default year so that it stays quick, and checks that what it wrote is
// sane: twelve consecutive months and the year, each as JSON and CSV that
// read back to the report computed, registrations that add up to the
// generated number, every compliance within [0, 1], every supplier in every
// month, and an HTML page with charts.
func TestMonthly(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cfg := synth.Config{Seed: 1, Year: 2025, Incidents: 12_000}
	res, err := run(&out, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), dir) {
		t.Errorf("the output does not say where the files are:\n%s", out.String())
	}
	if res.Generated < 11_400 || res.Generated > 12_600 {
		t.Errorf("generated %d incidents, want about %d", res.Generated, cfg.Incidents)
	}

	if len(res.Months) != 12 {
		t.Fatalf("%d monthly reports, want 12", len(res.Months))
	}
	loc := res.Year.Period.From.Location()
	registered := 0
	for i, r := range res.Months {
		want := report.Month(2025, time.Month(i+1), loc)
		if !r.Period.From.Equal(want.From) || !r.Period.To.Equal(want.To) {
			t.Errorf("report %d covers %v, want %v", i, r.Period, want)
		}
		if len(r.Trend) != i+1 {
			t.Errorf("%s: trend of %d periods, want the %d months of the year so far", r.Period.From.Format("2006-01"), len(r.Trend), i+1)
		}
		if len(r.Suppliers) != 4 {
			t.Errorf("%s: %d supplier groups, want 4", r.Period.From.Format("2006-01"), len(r.Suppliers))
		}
		registered += r.Total.Registered
		checkCompliance(t, r)
	}
	checkCompliance(t, res.Year)
	if registered != res.Generated || res.Year.Total.Registered != res.Generated {
		t.Errorf("months register %d, the year %d; generated %d", registered, res.Year.Total.Registered, res.Generated)
	}

	names := []string{"report.html", "2025.json", "2025.csv"}
	for m := 1; m <= 12; m++ {
		names = append(names, time.Date(2025, time.Month(m), 1, 0, 0, 0, 0, loc).Format("2006-01")+".json",
			time.Date(2025, time.Month(m), 1, 0, 0, 0, 0, loc).Format("2006-01")+".csv")
	}
	if len(res.Files) != len(names) {
		t.Errorf("wrote %d files, want %d", len(res.Files), len(names))
	}
	for i, r := range append(res.Months, res.Year) {
		name := "2025"
		if i < 12 {
			name = r.Period.From.Format("2006-01")
		}
		js, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON report.Report
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		f, err := os.Open(filepath.Join(dir, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		fromCSV, err := report.ReadCSV(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.csv: %v", name, err)
		}
		for what, got := range map[string]*report.Report{"json": &fromJSON, "csv": fromCSV} {
			if d := cmp.Diff(r, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
				t.Errorf("%s.%s does not read back as the report computed (-computed +read):\n%s", name, what, d)
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<html", "<svg", "Appcentre", "Lakeside SLA"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// checkCompliance fails on a compliance or shortfall outside [0, 1] anywhere
// in r.
func checkCompliance(t *testing.T, r *report.Report) {
	t.Helper()
	check := func(where string, ms []report.MetricFigures) {
		for _, m := range ms {
			if c := m.Compliance; (c != nil && (*c < 0 || *c > 1)) || m.Shortfall < 0 || m.Shortfall > 1 {
				t.Errorf("%s %s %s %s: compliance %v, shortfall %v", r.Period.From.Format("2006-01"), where, m.Agreement, m.Metric, c, m.Shortfall)
			}
		}
	}
	check("total", r.Total.Metrics)
	for _, a := range r.Agreements {
		check("agreement", a.Metrics)
	}
	for _, gs := range [][]report.Group{r.Priorities, r.Suppliers, r.Categories} {
		for _, g := range gs {
			check(g.Key, g.Figures.Metrics)
		}
	}
}

// TestWritesIntoItsOwnDirectory runs the command as `go run` would, from a
// working directory of its own: without -out the files land in monthly-out
// there, with -out in the directory named, and in neither case does anything
// else appear in the working directory. The output names the absolute
// directory, wherever the program ran.
func TestWritesIntoItsOwnDirectory(t *testing.T) {
	named := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		// dir is where the files must land, relative to the working
		// directory unless absolute; top is the working directory's listing
		// afterwards.
		dir string
		top []string
	}{
		{"default", nil, "monthly-out", []string{"monthly-out"}},
		{"-out", []string{"-out", named}, named, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			var stdout, stderr bytes.Buffer
			args := append([]string{"-incidents", "1200"}, c.args...)
			if code := command(args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit code %d: %s", code, stderr.String())
			}
			var top []string
			entries, err := os.ReadDir(wd)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				top = append(top, e.Name())
			}
			if !slices.Equal(top, c.top) {
				t.Errorf("the working directory holds %q afterwards, want %q", top, c.top)
			}
			dir := c.dir
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(wd, dir)
			}
			written, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(written) != 27 {
				t.Errorf("%s holds %d files, want 27 (13 JSON, 13 CSV, one page)", dir, len(written))
			}
			if !strings.Contains(stdout.String(), "to "+dir+" in ") {
				t.Errorf("the output does not name %s:\n%s", dir, stdout.String())
			}
		})
	}
}

// TestCommandLineRefusals: a stray argument is not taken for a directory,
// and an unknown flag is a usage error; neither writes anything.
func TestCommandLineRefusals(t *testing.T) {
	for _, args := range [][]string{{"reports"}, {"-output", "reports"}} {
		wd := t.TempDir()
		t.Chdir(wd)
		var stdout, stderr bytes.Buffer
		if code := command(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2", args, code)
		}
		if entries, _ := os.ReadDir(wd); len(entries) != 0 {
			t.Errorf("%q wrote %d entries into the working directory", args, len(entries))
		}
		if stderr.Len() == 0 {
			t.Errorf("%q: nothing said on stderr", args)
		}
	}
}
