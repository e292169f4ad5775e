package candidate_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// The synthetic stream: the municipality's year of sla/report/synth, whose
// tickets arrive by weekday, hour and season, each given a configuration
// item and a summary drawn from Zipf distributions (a few CIs and words are
// common, most rare), plus planted problems: bursts of incidents on one CI
// with one symptom, at a known onset.

// vocabulary is the words summaries are made of; words[i] is the i-th most
// common.
var vocabulary = func() []string {
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "bri", "dun", "fel", "gor", "hal", "jin", "kor", "lum"}
	var out []string
	for _, a := range syll {
		for _, b := range syll {
			out = append(out, a+b+"x")
		}
	}
	return out // 256 words
}()

// details gives a ticket a CI of its service and a summary of four words,
// both decided by the ticket's ID so that every run agrees.
func details(seed uint64) candidate.Details {
	return func(t report.Ticket) (string, string) {
		r := rand.New(rand.NewPCG(seed, binary.LittleEndian.Uint64(t.ID[8:])))
		ci := zipf(r, 150)
		words := make([]string, 4)
		for i := range words {
			words[i] = vocabulary[zipf(r, len(vocabulary))]
		}
		return fmt.Sprintf("%s-%03d", t.Service, ci), strings.Join(words, " ") + " 4711"
	}
}

// zipf draws 0..n-1 with probability proportional to 1/(i+1).
func zipf(r *rand.Rand, n int) int {
	h := math.Log(float64(n)) + 0.5772
	for {
		i := int(math.Exp(r.Float64()*h)) - 1
		if i >= 0 && i < n {
			return i
		}
	}
}

// planted is one problem planted in the stream.
type planted struct {
	onset, end time.Time
	incidents  map[itsm.ID]bool
}

// world is a year of incidents with planted problems.
type world struct {
	incidents []candidate.Incident
	problems  []planted
	gen       *synth.Generator
}

// newWorld generates a year of about n incidents, with seed, and plants
// problems (one every four weeks on average, after the first baseline):
// each lasts 5 to 14 days and brings 8 to 30 incidents registered in
// office hours, with one CI and a summary of two rare words (ranks 100 to
// 255) and two common ones.
func newWorld(t testing.TB, seed uint64, n int, problems int) *world {
	t.Helper()
	g, err := synth.New(synth.Config{Seed: seed, Year: 2025, Incidents: n})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{gen: g}
	for in, err := range candidate.FromTickets(g.Tickets(), details(seed)) {
		if err != nil {
			t.Fatal(err)
		}
		w.incidents = append(w.incidents, in)
	}
	r := rand.New(rand.NewPCG(seed, 99))
	loc := g.Delivery().Office.Location()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Add(candidate.DefaultBaseline + 7*24*time.Hour)
	span := time.Date(2025, 12, 10, 0, 0, 0, 0, loc).Sub(start)
	background := len(w.incidents)
	for p := range problems {
		like := w.incidents[r.IntN(background)]
		onset := start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(24 * time.Hour)
		days := 5 + r.IntN(10)
		count := 8 + r.IntN(23)
		summary := fmt.Sprintf("%s %s %s %s", vocabulary[100+r.IntN(156)], vocabulary[r.IntN(10)], vocabulary[100+r.IntN(156)], vocabulary[r.IntN(30)])
		ci := fmt.Sprintf("%s-%03d", like.Service, r.IntN(150))
		pl := planted{onset: onset, end: onset.AddDate(0, 0, days), incidents: map[itsm.ID]bool{}}
		for i := range count {
			var at time.Time
			for {
				at = onset.Add(time.Duration(r.Int64N(int64(days) * int64(24*time.Hour))))
				if g.Delivery().Office.IsWorking(at) {
					break
				}
			}
			id := itsm.ID{}
			binary.BigEndian.PutUint64(id[:8], seed)
			binary.BigEndian.PutUint32(id[8:], uint32(p))
			binary.BigEndian.PutUint32(id[12:], uint32(i))
			pl.incidents[id] = true
			w.incidents = append(w.incidents, candidate.Incident{ID: id, Number: fmt.Sprintf("PLANT%03d-%02d", p, i),
				Registered: at, Service: like.Service, Category: like.Category, CI: ci, Summary: summary})
		}
		w.problems = append(w.problems, pl)
	}
	return w
}

func (w *world) source() candidate.Source {
	return func(yield func(candidate.Incident, error) bool) {
		for _, in := range w.incidents {
			if !yield(in, nil) {
				return
			}
		}
	}
}

// score is how a scan's candidates line up with the planted problems.
type score struct {
	found, problems int
	falsePos        int
	months          float64
}

// grade matches candidates to planted problems: a candidate finds a
// problem when half or more of its incidents are that problem's and its
// window overlaps the problem's weeks; a candidate that finds none is a
// false positive. months is the time the scan examined.
func (w *world) grade(cs []candidate.Candidate, months float64) score {
	s := score{problems: len(w.problems), months: months}
	found := make([]bool, len(w.problems))
	for _, c := range cs {
		hit := false
		for i, p := range w.problems {
			n := 0
			for _, id := range c.Incidents {
				if p.incidents[id] {
					n++
				}
			}
			if 2*n >= len(c.Incidents) && c.Window.From.Before(p.end) && c.Window.To.After(p.onset) {
				found[i], hit = true, true
			}
		}
		if !hit {
			s.falsePos++
		}
	}
	for _, f := range found {
		if f {
			s.found++
		}
	}
	return s
}
