package sla_test

import (
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Example_readme is the example in README.md, kept identical to it by
// TestREADMEExampleIsCurrent so that README never shows code that no longer
// compiles or prints something else.
func Example_readme() {
	office, err := sla.ParseCalendar([]byte(`{"name": "stockholm-office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]}, "holidays": ["se"]}`))
	if err != nil {
		log.Fatal(err)
	}
	desk, supplier := itsm.NewID(), itsm.NewID()
	uc := sla.Agreement{Name: "network UC", Kind: sla.KindUC, Provider: supplier, Consumer: desk,
		Objective: 0.95, Warnings: []float64{0.5, 0.75},
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour,
			Calendar: office, Pause: []itsm.State{"waiting_user"}, Stop: []itsm.State{"resolved"}}}}
	start := time.Date(2026, 6, 18, 11, 0, 0, 0, office.Location())
	tl := itsm.Timeline{{Start: start, State: "delegated", Holder: supplier, Priority: 2}}
	m, err := uc.Measure(tl, sla.MetricResolution, start.Add(5*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Status, m.Elapsed, m.Due) // running 5h0m0s 2026-06-22 10:00:00 +0200 CEST
	// Output: running 5h0m0s 2026-06-22 10:00:00 +0200 CEST
}

func TestREADMEExampleIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```go block")
	}
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func Example_readme() {\n")
	body, _, _ = strings.Cut(body, "\t// Output:")
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if got := strings.Join(lines, "\n") + "\n"; got != block {
		t.Errorf("README.md's example differs from Example_readme:\nREADME:\n%s\nExample_readme:\n%s", block, got)
	}
}
