// Command monthly makes a year of service-level reports from synthetic
// incidents: it generates the year of a municipality of 46,000 users served
// by one desk and four suppliers (package sla/report/synth), computes each
// month's report against the customer's SLA and each supplier's UC, and
// writes every month as JSON and CSV, the year as JSON and CSV, and one HTML
// page with all twelve months, into the directory -out names: monthly-out
// in the current directory unless told otherwise (.gitignore keeps it out of
// the repository), so that a run from the repository root leaves the tree as
// it was. It prints the absolute path of what it wrote.
//
//	go run ./examples/monthly                   # into ./monthly-out
//	go run ./examples/monthly -out /tmp/reports
//
// See docs/monthly.md for what the files hold and how to read them.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// defaultOut is where the reports go unless -out says otherwise: a folder of
// their own, never the current directory itself, whose 27 files would
// otherwise mix with whatever is there (the repository's own, when run from
// its root as the README shows).
const defaultOut = "monthly-out"

func main() {
	os.Exit(command(os.Args[1:], os.Stdout, os.Stderr))
}

// command parses the command line args and runs the example, writing what
// it did to stdout and errors and usage to stderr. It returns the exit code:
// 2 for a command line it cannot parse, 1 for a failed run.
func command(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monthly", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", defaultOut, "directory to write the reports into, made if missing")
	seed := fs.Uint64("seed", 1, "seed of the synthetic year")
	year := fs.Int("year", 2025, "calendar year of the incidents")
	n := fs.Int("incidents", synth.DefaultIncidents, "expected number of incidents in the year")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2 // the flag set has said what is wrong, and how to call
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monthly: unexpected arguments %q; name the output directory with -out\n", fs.Args())
		return 2
	}
	if _, err := run(stdout, *out, synth.Config{Seed: *seed, Year: *year, Incidents: *n}); err != nil {
		fmt.Fprintln(stderr, "monthly:", err)
		return 1
	}
	return 0
}

// result is what run made, for the tests.
type result struct {
	// Generated is the number of tickets the generator made.
	Generated int
	// Months are the twelve monthly reports, Year the yearly one.
	Months []*report.Report
	Year   *report.Report
	// Files are the paths written.
	Files []string
}

// run generates the year, computes and writes the reports into dir and
// tells w what it did.
func run(w io.Writer, dir string, cfg synth.Config) (*result, error) {
	start := time.Now()
	g, err := synth.New(cfg)
	if err != nil {
		return nil, err
	}
	// The year's tickets are held in memory once (a hundred thousand take
	// about a hundred megabytes) and read thirteen times; a larger year
	// would pass g.Tickets() to Compute instead and generate it again for
	// each report, in constant memory.
	var tickets []report.Ticket
	for t, err := range g.Tickets() {
		if err != nil {
			return nil, err
		}
		tickets = append(tickets, t)
	}
	generated := time.Since(start)
	d := g.Delivery()
	res := &result{Generated: len(tickets)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Said absolute, so that the reader finds the files whatever directory
	// the program ran in.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	year := g.Year()
	loc := year.From.Location()
	// The generated year is over as far as its tickets go, whatever the
	// date: its reports are measured at the ends of their periods.
	spec := report.Spec{Agreements: d.Agreements(), Names: d.Names(), Now: year.To}
	for m := time.January; m <= time.December; m++ {
		spec.Period = report.Month(year.From.Year(), m, loc)
		// Each month trends the months of the year before it.
		spec.Previous = int(m - 1)
		r, err := report.Compute(spec, report.Tickets(tickets))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Period.From.Format("2006-01"), err)
		}
		if err := res.write(dir, spec.Period.From.Format("2006-01"), r); err != nil {
			return nil, err
		}
		res.Months = append(res.Months, r)
	}
	spec.Period, spec.Previous = year, 0
	if res.Year, err = report.Compute(spec, report.Tickets(tickets)); err != nil {
		return nil, fmt.Errorf("the year: %w", err)
	}
	if err := res.write(dir, year.From.Format("2006"), res.Year); err != nil {
		return nil, err
	}
	html := filepath.Join(dir, "report.html")
	if err := writeFile(html, func(f io.Writer) error { return report.WriteHTML(f, res.Months...) }); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, html)
	summarise(w, d, tickets, res, generated)
	fmt.Fprintf(w, "\nWrote %d files to %s in %s: YYYY-MM.json and .csv for each month, %d.json and .csv for the year, report.html.\n",
		len(res.Files), dir, time.Since(start).Round(time.Millisecond), year.From.Year())
	return res, nil
}

// write saves r as name.json and name.csv in dir.
func (res *result) write(dir, name string, r *report.Report) error {
	js := filepath.Join(dir, name+".json")
	err := writeFile(js, func(f io.Writer) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
	if err != nil {
		return err
	}
	csv := filepath.Join(dir, name+".csv")
	if err := writeFile(csv, func(f io.Writer) error { return report.WriteCSV(f, r) }); err != nil {
		return err
	}
	res.Files = append(res.Files, js, csv)
	return nil
}

// writeFile writes path through fn, reporting the first error of writing
// and closing.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// summarise prints what was generated and each month's headline figures.
func summarise(w io.Writer, d *synth.Delivery, tickets []report.Ticket, res *result, took time.Duration) {
	var prio [5]int
	var fcr, pingPong, reopened, cancelled int
	for _, t := range tickets {
		prio[t.Timeline[0].Priority]++
		fcr += b2i(t.FirstContact)
		pingPong += b2i(t.PingPong > 0)
		reopened += b2i(t.Reopened > 0)
		cancelled += b2i(t.Timeline[len(t.Timeline)-1].State == synth.StateCancelled)
	}
	n := float64(len(tickets))
	pct := func(k int) float64 { return 100 * float64(k) / n }
	fmt.Fprintf(w, "Generated %d incidents of %s in %s: P1 %.1f%%, P2 %.1f%%, P3 %.1f%%, P4 %.1f%%;\n",
		len(tickets), d.Customer.Name, took.Round(time.Millisecond), pct(prio[1]), pct(prio[2]), pct(prio[3]), pct(prio[4]))
	fmt.Fprintf(w, "first contact %.1f%%, ping-pong %.1f%%, reopened %.1f%%, cancelled %.1f%%.\n\n",
		pct(fcr), pct(pingPong), pct(reopened), pct(cancelled))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "month\tregistered\tresolved\tbacklog\tSLA resolution\tworst UC resolution\tcredits (SEK)\t\n")
	var yearCredit int64
	for _, r := range append(slices.Clone(res.Months), res.Year) {
		desk, worst, worstName := 1.0, 1.0, ""
		var credit int64
		for _, a := range r.Agreements {
			if a.Credit != nil {
				credit += a.Credit.Amount
			}
			for _, m := range a.Metrics {
				if m.Metric != sla.MetricResolution || m.Compliance == nil {
					continue // no ticket decided, no figure
				}
				if a.Provider == d.Desk.ID {
					desk = *m.Compliance
				} else if *m.Compliance < worst {
					worst, worstName = *m.Compliance, d.Names()[a.Provider]
				}
			}
		}
		label := r.Period.From.Format("2006-01")
		yearCredit += credit
		if r == res.Year {
			// Credits are settled month by month; the year's own figure
			// applies the steps to a monthly fee once.
			label, credit = r.Period.From.Format("2006"), yearCredit-credit
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\t%.1f%% %s\t%s\t\n", label, r.Total.Registered, r.Total.Resolved,
			r.Total.Backlog.Open, 100*desk, 100*worst, worstName, sek(credit))
	}
	tw.Flush()
}

// sek formats an amount in öre as whole kronor.
func sek(ore int64) string { return fmt.Sprintf("%d", (ore+50)/100) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
