package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The CSV form of Report.Requests. Its rows are sections of their own,
// after the trend: requests (key empty: every order), request_type (key:
// the type) and request_item (key: the item's ID, name its name), one row
// each. They fill period_from, period_to, section, key, zone, as_of, closed
// and cancelled, name on an item's row, and the request columns, which
// follow as_of only in a file of a report with Requests, so that a report
// without orders writes the same file as before requests existed: calendar
// (on the requests row only), placed, fulfilled, declined, then the count,
// mean, median and p90 of the lead times and of the approval times, a
// duration no order gave being an empty cell.

// The sections of the request figures, in the order WriteCSV writes them.
const (
	sectionRequests    = "requests"
	sectionRequestType = "request_type"
	sectionRequestItem = "request_item"
)

// reqColumn is a request column, counted from the first after as_of.
type reqColumn int

const (
	rcCalendar reqColumn = iota
	rcPlaced
	rcFulfilled
	rcDeclined
	rcLeadCount
	rcLeadMean
	rcLeadMedian
	rcLeadP90
	rcApprovalCount
	rcApprovalMean
	rcApprovalMedian
	rcApprovalP90
	numReqColumns
)

var reqColumnNames = [numReqColumns]string{
	"calendar", "placed", "fulfilled", "declined",
	"lead_count", "lead_mean", "lead_median", "lead_p90",
	"approval_count", "approval_mean", "approval_median", "approval_p90",
}

// reqPos is the index of request column c in a record of l.
func (l layout) reqPos(c reqColumn) int { return int(numColumns) + len(l.ageing) + int(c) }

// isRequestSection reports whether rows of section s carry request figures.
func isRequestSection(s string) bool {
	return s == sectionRequests || s == sectionRequestType || s == sectionRequestItem
}

// requestRecords returns the rows of rq, each from newRow.
func requestRecords(l layout, rq *Requests, newRow func(section, key string) []string) [][]string {
	row := func(section, key, name string, f *RequestFigures) []string {
		r := newRow(section, key)
		r[l.pos(colName)] = textCell(name)
		r[l.pos(colClosed)] = strconv.Itoa(f.Closed)
		r[l.pos(colCancelled)] = strconv.Itoa(f.Cancelled)
		set := func(c reqColumn, v string) { r[l.reqPos(c)] = v }
		set(rcPlaced, strconv.Itoa(f.Placed))
		set(rcFulfilled, strconv.Itoa(f.Fulfilled))
		set(rcDeclined, strconv.Itoa(f.Declined))
		for _, t := range []struct {
			first reqColumn
			times *Times
		}{{rcLeadCount, &f.LeadTime}, {rcApprovalCount, &f.ApprovalTime}} {
			set(t.first, strconv.Itoa(t.times.Count))
			set(t.first+1, optionalCell(t.times.Mean, Duration.String))
			set(t.first+2, optionalCell(t.times.Median, Duration.String))
			set(t.first+3, optionalCell(t.times.P90, Duration.String))
		}
		return r
	}
	total := row(sectionRequests, "", "", &rq.Total)
	total[l.reqPos(rcCalendar)] = textCell(rq.Calendar)
	out := [][]string{total}
	for _, g := range rq.Types {
		out = append(out, row(sectionRequestType, g.Key, g.Name, &g.Figures))
	}
	for _, g := range rq.Items {
		out = append(out, row(sectionRequestItem, g.Key, g.Name, &g.Figures))
	}
	return out
}

// checkRequestsCSV reports what of rq the CSV form would lose or ReadCSV
// refuse: two types or two items of one key, a negative count or duration,
// a total with a name, text with a carriage return before a line feed.
func checkRequestsCSV(rq *Requests) error {
	if rq == nil {
		return nil
	}
	invalid := func(format string, args ...any) error {
		return itsm.Errorf(itsm.CodeInvalid, "report: cannot write as CSV: requests: "+format, args...)
	}
	check := func(where string, f *RequestFigures) error {
		for _, n := range []int{f.Placed, f.Fulfilled, f.Closed, f.Declined, f.Cancelled, f.LeadTime.Count, f.ApprovalTime.Count} {
			if n < 0 {
				return invalid("%s: a count is negative", where)
			}
		}
		for _, d := range []*Duration{f.LeadTime.Mean, f.LeadTime.Median, f.LeadTime.P90,
			f.ApprovalTime.Mean, f.ApprovalTime.Median, f.ApprovalTime.P90} {
			if d != nil && *d < 0 {
				return invalid("%s: duration %s is negative", where, *d)
			}
		}
		return nil
	}
	texts := []string{rq.Calendar}
	if err := check("total", &rq.Total); err != nil {
		return err
	}
	for _, s := range []struct {
		what   string
		groups []RequestGroup
	}{{"type", rq.Types}, {"item", rq.Items}} {
		seen := map[string]bool{}
		for _, g := range s.groups {
			where := fmt.Sprintf("%s %q", s.what, g.Key)
			if seen[g.Key] {
				return invalid("%s appears twice", where)
			}
			seen[g.Key] = true
			if err := check(where, &g.Figures); err != nil {
				return err
			}
			texts = append(texts, g.Key, g.Name)
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "\r\n") {
			return invalid("text %q has a carriage return before a line feed, which CSV does not keep", s)
		}
	}
	return nil
}

// trailingColumns returns how many columns names take at the end of
// header: all of them, or none in a file without them.
func trailingColumns(header, names []string) int {
	n := len(names)
	if len(header) < int(numColumns)+n || !slices.Equal(header[len(header)-n:], names) {
		return 0
	}
	return n
}

// checkRequestCells refuses request cells where section has none.
func (d *decoder) checkRequestCells(section string) error {
	if !d.l.requests {
		return nil
	}
	for c := range numReqColumns {
		at := d.l.reqPos(c)
		switch {
		case d.record[at] == "":
		case !isRequestSection(section):
			return d.failAt(at, "must be empty in a %s row", section)
		case c == rcCalendar && section != sectionRequests:
			return d.failAt(at, "must be empty in a %s row: the calendar is on the requests row", section)
		}
	}
	return nil
}

// requestGroup reads a row of request figures.
func (d *decoder) requestGroup(section string) error {
	if !d.l.requests {
		return d.fail(colSection, "a %s row needs the request columns, which the header lacks", section)
	}
	if d.rep.Requests == nil {
		d.rep.Requests = &Requests{Types: []RequestGroup{}, Items: []RequestGroup{}}
	}
	rq := d.rep.Requests
	var f RequestFigures
	var err error
	for _, c := range []struct {
		at int
		v  *int
	}{
		{d.l.pos(colClosed), &f.Closed}, {d.l.pos(colCancelled), &f.Cancelled},
		{d.l.reqPos(rcPlaced), &f.Placed}, {d.l.reqPos(rcFulfilled), &f.Fulfilled}, {d.l.reqPos(rcDeclined), &f.Declined},
		{d.l.reqPos(rcLeadCount), &f.LeadTime.Count}, {d.l.reqPos(rcApprovalCount), &f.ApprovalTime.Count},
	} {
		if *c.v, err = d.countAt(c.at); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		at int
		v  **Duration
	}{
		{d.l.reqPos(rcLeadMean), &f.LeadTime.Mean}, {d.l.reqPos(rcLeadMedian), &f.LeadTime.Median}, {d.l.reqPos(rcLeadP90), &f.LeadTime.P90},
		{d.l.reqPos(rcApprovalMean), &f.ApprovalTime.Mean}, {d.l.reqPos(rcApprovalMedian), &f.ApprovalTime.Median},
		{d.l.reqPos(rcApprovalP90), &f.ApprovalTime.P90},
	} {
		s := d.record[c.at]
		if s == "" {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return d.failAt(c.at, "%q is not a duration from 0, such as 26h30m0s", s)
		}
		*c.v = new(Duration(v))
	}
	key, name := cellText(d.cell(colKey)), cellText(d.cell(colName))
	switch section {
	case sectionRequests:
		if key != "" || name != "" {
			return d.fail(colKey, "must be empty, as name must, in a requests row")
		}
		d.haveRequests = true
		rq.Total, rq.Calendar = f, cellText(d.record[d.l.reqPos(rcCalendar)])
	case sectionRequestType:
		rq.Types = append(rq.Types, RequestGroup{Key: key, Name: name, Figures: f})
	default:
		rq.Items = append(rq.Items, RequestGroup{Key: key, Name: name, Figures: f})
	}
	return nil
}
