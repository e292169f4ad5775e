package candidate_test

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// The BPI Challenge 2013 logs (Volvo IT Belgium), found as incident's
// replay finds them: $SPOC_BPI2013 (the folder), else ../shared/data/bpi2013
// beside the repository root. They are read in place, never copied.
const (
	bpiEnv       = "SPOC_BPI2013"
	bpiIncidents = "bpi2013_incidents_ibm_VINST-new.csv.gz"
	bpiClosed    = "bpi2013_VINST_cases_closed_problems.csv.gz"
	bpiOpen      = "bpi2013_VINST_cases_open_problems.csv.gz"
)

func bpiDir(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(bpiEnv); p != "" {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			p = filepath.Dir(p)
		}
		if _, err := os.Stat(filepath.Join(p, bpiClosed)); err != nil {
			t.Fatalf("%s=%s: %v", bpiEnv, os.Getenv(bpiEnv), err)
		}
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := wd
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if up := filepath.Dir(dir); up != dir {
			dir = up
			continue
		}
		t.Skipf("BPI Challenge 2013 validation skipped: no go.mod in or above %s to find ../shared/data from", wd)
	}
	p := filepath.Join(dir, "..", "shared", "data", "bpi2013")
	if _, err := os.Stat(filepath.Join(p, bpiClosed)); err != nil {
		t.Skipf("BPI Challenge 2013 validation skipped: %s is absent (set %s to its folder to run it)", filepath.Clean(p), bpiEnv)
	}
	return p
}

// readCSV calls row with each record of a gzipped CSV file, by column name.
func readCSV(path string, sep rune, row func(get func(string) string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	r := csv.NewReader(gz)
	r.Comma = sep
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := row(func(name string) string {
			i, ok := col[name]
			if !ok {
				panic(fmt.Sprintf("%s has no column %q", path, name))
			}
			return rec[i]
		}); err != nil {
			return err
		}
	}
}

// TestBPI2013Problems runs the detector on the incident log, grouped by
// product (the log has no summaries or CIs), and compares its candidates
// with the problems the organisation recorded, by product and time (method
// in docs/validation.md). Run with -v for the figures.
func TestBPI2013Problems(t *testing.T) {
	dir := bpiDir(t)
	// An incident is its first row: registered then, on its product.
	var incs []candidate.Incident
	seen := map[string]bool{}
	err := readCSV(filepath.Join(dir, bpiIncidents), ',', func(get func(string) string) error {
		sr := get("SR Number")
		if seen[sr] {
			return nil
		}
		seen[sr] = true
		at, err := time.Parse(time.RFC3339, get("Change Date+Time"))
		if err != nil {
			return err
		}
		id := itsm.ID{}
		copy(id[:], sr)
		incs = append(incs, candidate.Incident{ID: id, Number: sr, Registered: at, Service: get("Product"), Category: "incident"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A problem is opened at its earliest row, on its product.
	type problem struct {
		product string
		opened  time.Time
	}
	opened := map[string]problem{}
	for _, f := range []string{bpiClosed, bpiOpen} {
		err := readCSV(filepath.Join(dir, f), ';', func(get func(string) string) error {
			at, err := time.Parse(time.RFC3339, get("Problem Change Date+Time"))
			if err != nil {
				return err
			}
			n := get("Problem Number")
			if p, ok := opened[n]; !ok || at.Before(p.opened) {
				opened[n] = problem{get("Product"), at}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(incs) != 7554 || len(opened) != 1841 {
		t.Fatalf("read %d incidents and %d problems, want 7554 and 1841 (465 problem numbers are in both files)", len(incs), len(opened))
	}

	// Four weekly windows ending on 1 June 2012 (the log's incidents are
	// nearly all from April and May 2012), each against the four weeks
	// before it, measured in the desk's volume: the log holds the
	// incidents of a period, so its early weeks are thin.
	until := time.Date(2012, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg := candidate.Config{Until: until, Baseline: 28 * 24 * time.Hour, Windows: 4, Exposure: candidate.DeskVolume}
	cs, err := candidate.Detect(source(incs), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A candidate matches a problem of its product opened from one week
	// before its window to four weeks after it.
	const before, after = 7 * 24 * time.Hour, 28 * 24 * time.Hour
	matches := func(product string, w candidate.Span, p problem) bool {
		return p.product == product && !p.opened.Before(w.From.Add(-before)) && p.opened.Before(w.To.Add(after))
	}
	hits := 0
	for _, c := range cs {
		for _, p := range opened {
			if matches(c.Key.Service, c.Window, p) {
				hits++
				break
			}
		}
	}
	// Recall: problems opened in the examined weeks, on a product of the
	// incident log, that some candidate matches.
	first := until.Add(-4 * 7 * 24 * time.Hour)
	products := map[string]bool{}
	for _, in := range incs {
		products[in.Service] = true
	}
	var due, found int
	for _, p := range opened {
		if !products[p.product] || p.opened.Before(first) || !p.opened.Before(until) {
			continue
		}
		due++
		for _, c := range cs {
			if matches(c.Key.Service, c.Window, p) {
				found++
				break
			}
		}
	}
	// Chance: the same match rate for every product-week with at least
	// MinCount incidents, spike or not.
	type pw struct {
		product string
		week    int
	}
	counts := map[pw]int{}
	for _, in := range incs {
		if in.Registered.Before(first) || !in.Registered.Before(until) {
			continue
		}
		counts[pw{in.Service, int(in.Registered.Sub(first) / (7 * 24 * time.Hour))}]++
	}
	var busy, busyHits int
	for k, n := range counts {
		if n < candidate.DefaultMinCount {
			continue
		}
		busy++
		w := candidate.Span{From: first.Add(time.Duration(k.week) * 7 * 24 * time.Hour)}
		w.To = w.From.Add(7 * 24 * time.Hour)
		for _, p := range opened {
			if matches(k.product, w, p) {
				busyHits++
				break
			}
		}
	}
	t.Logf("%d incidents, %d problems; %d candidates in 4 weeks to %s, %d match a problem: precision %.3f",
		len(incs), len(opened), len(cs), until.Format(time.DateOnly), hits, ratio(hits, len(cs)))
	t.Logf("recall %.3f: %d of %d problems opened in those weeks on a product of the incident log", ratio(found, due), found, due)
	t.Logf("chance: %d of %d product-weeks with %d or more incidents match a problem (%.3f)", busyHits, busy, candidate.DefaultMinCount, ratio(busyHits, busy))
	for _, c := range cs {
		t.Logf("  %s %s: %d incidents, %d in baseline, expected %.1f, p %.2g", c.Window.From.Format(time.DateOnly), c.Key.Service, c.Count, c.BaselineCount, c.Expected, c.PValue)
	}
	if len(cs) == 0 {
		t.Error("the detector proposed nothing on the BPI incident log")
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
