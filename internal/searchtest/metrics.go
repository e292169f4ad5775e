package searchtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Cutoff is the depth the metrics look at: the first page a user sees.
const Cutoff = 10

// ReciprocalRank is 1/r for the rank r (from 1) of the first relevant ID
// among the first Cutoff of hits, and 0 when none of them is relevant.
func ReciprocalRank(hits, relevant []string) float64 {
	for i, id := range hits[:min(len(hits), Cutoff)] {
		if slices.Contains(relevant, id) {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// Recall is the share of the relevant IDs among the first Cutoff of hits,
// out of min(Cutoff, len(relevant)): the most a page of Cutoff can hold,
// so that a query with more relevant articles than fit can still score 1.
// It is 0 for a query with no relevant ID.
func Recall(hits, relevant []string) float64 {
	if len(relevant) == 0 {
		return 0
	}
	found := 0
	for i, id := range hits[:min(len(hits), Cutoff)] {
		if slices.Contains(relevant, id) && !slices.Contains(hits[:i], id) {
			found++
		}
	}
	return float64(found) / float64(min(Cutoff, len(relevant)))
}

// Scores are the means over a set of queries.
type Scores struct {
	Queries int
	MRR     float64 // mean ReciprocalRank
	Recall  float64 // mean Recall
}

func (s *Scores) add(rr, recall float64) {
	// Running means, so that Scores never hold a half-computed sum.
	s.Queries++
	s.MRR += (rr - s.MRR) / float64(s.Queries)
	s.Recall += (recall - s.Recall) / float64(s.Queries)
}

// Outcome is what one query found.
type Outcome struct {
	Query  Query
	Hits   []string // the IDs of the first page, best first
	RR     float64
	Recall float64
	// Outside lists the hits the viewer may not read: each is a leak.
	Outside []string
}

// Report is an engine's measurement over the collection.
type Report struct {
	Engine   string
	Overall  Scores
	ByKind   map[QueryKind]Scores
	Outside  int // hits outside the viewer's audience, over every query
	Outcomes []Outcome
}

// Evaluate puts the collection's articles into engine and runs every
// query, asking for the first page of Cutoff hits. A hit whose ID is not
// in the collection is an error, as the engine made it up.
func Evaluate(ctx context.Context, name string, engine Engine, c *Collection) (Report, error) {
	if err := engine.Put(c.Documents()...); err != nil {
		return Report{}, fmt.Errorf("%s: put: %w", name, err)
	}
	r := Report{Engine: name, ByKind: map[QueryKind]Scores{}}
	for _, q := range c.Queries {
		res, err := engine.Search(ctx, q.Search())
		if err != nil {
			return Report{}, fmt.Errorf("%s: query %q: %w", name, q.Text, err)
		}
		o := Outcome{Query: q}
		for _, h := range res.Hits {
			a, ok := c.Article(h.ID)
			if !ok {
				return Report{}, fmt.Errorf("%s: query %q found %q, which is not in the collection", name, q.Text, h.ID)
			}
			if !q.Viewer.Sees(a.Audience) {
				o.Outside = append(o.Outside, h.ID)
			}
			o.Hits = append(o.Hits, h.ID)
		}
		o.RR = ReciprocalRank(o.Hits, q.Relevant)
		o.Recall = Recall(o.Hits, q.Relevant)
		r.Overall.add(o.RR, o.Recall)
		k := r.ByKind[q.Kind]
		k.add(o.RR, o.Recall)
		r.ByKind[q.Kind] = k
		r.Outside += len(o.Outside)
		r.Outcomes = append(r.Outcomes, o)
	}
	return r, nil
}

// Table renders reports side by side as a Markdown table: MRR@10 and
// recall@10 overall and per kind, and the hits outside the audience.
func Table(reports ...Report) string {
	var b strings.Builder
	b.WriteString("| Queries |")
	for _, r := range reports {
		fmt.Fprintf(&b, " %s MRR@10 | %s recall@10 |", r.Engine, r.Engine)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---:|---:|", len(reports)))
	b.WriteString("\n")
	row := func(label string, s func(Report) Scores) {
		n := 0
		if len(reports) > 0 {
			n = s(reports[0]).Queries
		}
		fmt.Fprintf(&b, "| %s (%d) |", label, n)
		for _, r := range reports {
			fmt.Fprintf(&b, " %.3f | %.3f |", s(r).MRR, s(r).Recall)
		}
		b.WriteString("\n")
	}
	row("all", func(r Report) Scores { return r.Overall })
	for _, k := range Kinds {
		row(string(k), func(r Report) Scores { return r.ByKind[k] })
	}
	b.WriteString("| hits outside the audience |")
	for _, r := range reports {
		fmt.Fprintf(&b, " %d | |", r.Outside)
	}
	b.WriteString("\n")
	return b.String()
}
