package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// The CSV form of Report.Problems. Its rows are sections of their own,
// after the trend and the request rows: problems (key empty: in total) and
// problem_organisation (key: the organisation's ID, name its name), one
// row each. They fill period_from, period_to, section, key, zone, as_of,
// name on an organisation's row, and the problem columns, which come last
// only in a file of a report with Problems, so that a report without them
// writes the same file as before problems existed: problems_opened,
// problems_resolved, problems_open, known_errors_unfixed,
// incidents_resolved, by_workaround and workaround_share (empty when no
// incident was resolved).

// The sections of the problem figures, in the order WriteCSV writes them.
const (
	sectionProblems            = "problems"
	sectionProblemOrganisation = "problem_organisation"
)

// probColumn is a problem column, counted from the first after the
// request columns, or after as_of in a file without them.
type probColumn int

const (
	pcOpened probColumn = iota
	pcResolved
	pcOpen
	pcKnownErrors
	pcIncidents
	pcByWorkaround
	pcWorkaroundShare
	numProbColumns
)

var probColumnNames = [numProbColumns]string{
	"problems_opened", "problems_resolved", "problems_open", "known_errors_unfixed",
	"incidents_resolved", "by_workaround", "workaround_share",
}

// probPos is the index of problem column c in a record of l.
func (l layout) probPos(c probColumn) int {
	at := int(numColumns) + len(l.ageing) + int(c)
	if l.requests {
		at += int(numReqColumns)
	}
	return at
}

// isProblemSection reports whether rows of section s carry problem
// figures.
func isProblemSection(s string) bool {
	return s == sectionProblems || s == sectionProblemOrganisation
}

// problemRecords returns the rows of pb, each from newRow.
func problemRecords(l layout, pb *Problems, newRow func(section, key string) []string) [][]string {
	row := func(section, key, name string, f *ProblemFigures) []string {
		r := newRow(section, key)
		r[l.pos(colName)] = textCell(name)
		for c, n := range map[probColumn]int{pcOpened: f.Opened, pcResolved: f.Resolved, pcOpen: f.Open,
			pcKnownErrors: f.KnownErrorsUnfixed, pcIncidents: f.IncidentsResolved, pcByWorkaround: f.ByWorkaround} {
			r[l.probPos(c)] = strconv.Itoa(n)
		}
		r[l.probPos(pcWorkaroundShare)] = optionalCell(f.WorkaroundShare, floatCell)
		return r
	}
	out := [][]string{row(sectionProblems, "", "", &pb.Total)}
	for _, g := range pb.Organisations {
		out = append(out, row(sectionProblemOrganisation, g.Organisation.String(), g.Name, &g.Figures))
	}
	return out
}

// checkProblemsCSV reports what of pb the CSV form would lose or ReadCSV
// refuse: an organisation without an ID or twice, a negative count, a
// share outside [0, 1], text with a carriage return before a line feed.
func checkProblemsCSV(pb *Problems) error {
	if pb == nil {
		return nil
	}
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: cannot write as CSV: problems: "+format, args...)
	}
	check := func(where string, f *ProblemFigures) error {
		for _, n := range []int{f.Opened, f.Resolved, f.Open, f.KnownErrorsUnfixed, f.IncidentsResolved, f.ByWorkaround} {
			if n < 0 {
				return invalid("%s: a count is negative", where)
			}
		}
		if s := f.WorkaroundShare; s != nil && !inRange(*s, 1) {
			return invalid("%s: workaround share %v is not a number from 0 to 1", where, *s)
		}
		return nil
	}
	if err := check("total", &pb.Total); err != nil {
		return err
	}
	seen := map[itsm.ID]bool{}
	for _, g := range pb.Organisations {
		where := fmt.Sprintf("organisation %s", g.Organisation)
		switch {
		case g.Organisation.IsZero():
			return invalid("an organisation has no ID")
		case seen[g.Organisation]:
			return invalid("%s appears twice", where)
		case strings.Contains(g.Name, "\r\n"):
			return invalid("text %q has a carriage return before a line feed, which CSV does not keep", g.Name)
		}
		seen[g.Organisation] = true
		if err := check(where, &g.Figures); err != nil {
			return err
		}
	}
	return nil
}

// checkProblemCells refuses problem cells where section has none.
func (d *decoder) checkProblemCells(section string) error {
	if !d.l.problems || isProblemSection(section) {
		return nil
	}
	for c := range numProbColumns {
		if at := d.l.probPos(c); d.record[at] != "" {
			return d.failAt(at, "must be empty in a %s row", section)
		}
	}
	return nil
}

// problemGroup reads a row of problem figures.
func (d *decoder) problemGroup(section string) error {
	if !d.l.problems {
		return d.fail(colSection, "a %s row needs the problem columns, which the header lacks", section)
	}
	if d.rep.Problems == nil {
		d.rep.Problems = &Problems{Organisations: []ProblemGroup{}}
	}
	pb := d.rep.Problems
	var f ProblemFigures
	for _, c := range []struct {
		c probColumn
		v *int
	}{
		{pcOpened, &f.Opened}, {pcResolved, &f.Resolved}, {pcOpen, &f.Open}, {pcKnownErrors, &f.KnownErrorsUnfixed},
		{pcIncidents, &f.IncidentsResolved}, {pcByWorkaround, &f.ByWorkaround},
	} {
		var err error
		if *c.v, err = d.countAt(d.l.probPos(c.c)); err != nil {
			return err
		}
	}
	if at := d.l.probPos(pcWorkaroundShare); d.record[at] != "" {
		s, err := strconv.ParseFloat(d.record[at], 64)
		if err != nil || !inRange(s, 1) {
			return d.failAt(at, "%q is not a number from 0 to 1", d.record[at])
		}
		f.WorkaroundShare = &s
	}
	name := cellText(d.cell(colName))
	if section == sectionProblems {
		if d.cell(colKey) != "" || name != "" {
			return d.fail(colKey, "must be empty, as name must, in a problems row")
		}
		d.haveProblems = true
		pb.Total = f
		return nil
	}
	org, err := itsm.ParseID(cellText(d.cell(colKey)))
	if err != nil || org.IsZero() {
		return d.fail(colKey, "%q is not an organisation's ID", d.cell(colKey))
	}
	pb.Organisations = append(pb.Organisations, ProblemGroup{Organisation: org, Name: name, Figures: f})
	return nil
}
