package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// ReadCSV reads a report that WriteCSV wrote. It checks every cell and the
// shape of the file, and reports the first problem as a CodeInvalid error
// naming the line and column. A byte order mark before the header, as some
// spreadsheets save, is skipped. Empty lists come back as empty slices, not
// nil, as encoding/json reads [].
func ReadCSV(r io.Reader) (*Report, error) {
	rep, err := decodeCSV(r)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report CSV: %v", err)
	}
	return rep, nil
}

// role is what a column holds in the rows of a section.
type role int

const (
	// roleEmpty columns must be empty.
	roleEmpty role = iota
	// roleGroup columns hold the group's own values, the same on each of
	// its rows.
	roleGroup
	// roleMetric columns describe the row's metric, and are empty when it
	// has none.
	roleMetric
)

// roles gives the role of each fixed column per section; an age bucket's
// column is roleGroup where colBacklogOpen is and roleEmpty elsewhere.
var roles = func() map[string][numColumns]role {
	var figures, agreement, trend [numColumns]role
	for c := colRegistered; c <= colBacklogOpen; c++ {
		figures[c] = roleGroup
	}
	for _, c := range []column{colAgreement, colDesk, colKind, colProvider, colObjective, colMetric, colMet, colBreached,
		colCompliance, colShortfall, colStopped, colMean, colMedian, colP90, colMissed} {
		figures[c] = roleMetric
	}
	total := figures
	figures[colName] = roleGroup
	group := figures
	group[colOrganisation] = roleGroup

	for _, c := range []column{colAgreement, colDesk, colKind, colProvider, colConsumer, colProviderName, colConsumerName,
		colObjective, colCreditPercent, colCreditAmount, colCreditCurrency} {
		agreement[c] = roleGroup
	}
	for _, c := range []column{colMetric, colMet, colBreached, colCompliance, colShortfall, colStopped,
		colMean, colMedian, colP90, colMissed} {
		agreement[c] = roleMetric
	}

	for _, c := range []column{colRegistered, colResolved, colBacklogOpen} {
		trend[c] = roleGroup
	}
	for _, c := range []column{colAgreement, colDesk, colProvider, colMetric, colMet, colBreached, colCompliance} {
		trend[c] = roleMetric
	}
	for _, r := range []*[numColumns]role{&total, &figures, &group, &agreement, &trend} {
		r[colPeriodFrom], r[colPeriodTo], r[colSection] = roleGroup, roleGroup, roleGroup
		r[colZone], r[colAsOf] = roleGroup, roleGroup
	}
	var requests, problems [numColumns]role
	for _, c := range []column{colPeriodFrom, colPeriodTo, colSection, colName, colClosed, colCancelled, colZone, colAsOf} {
		requests[c] = roleGroup
	}
	for _, c := range []column{colPeriodFrom, colPeriodTo, colSection, colName, colZone, colAsOf} {
		problems[c] = roleGroup
	}
	return map[string][numColumns]role{
		sectionTotal: total, sectionAgreement: agreement, sectionTrend: trend,
		sectionPriority: figures, sectionSupplier: figures, sectionCategory: figures, sectionGroup: group,
		sectionRequests: requests, sectionRequestType: requests, sectionRequestItem: requests,
		sectionProblems: problems, sectionProblemOrganisation: problems,
	}
}()

// hasFigures holds the sections whose rows carry a group's Figures, and so
// its age buckets.
var hasFigures = map[string]bool{sectionTotal: true, sectionPriority: true, sectionSupplier: true, sectionCategory: true,
	sectionGroup: true}

// decoder reads the records of one file after its header.
type decoder struct {
	cr     *csv.Reader
	l      layout
	rep    *Report
	record []string
	// firstFrom, firstTo, firstZone and firstAsOf are the report's cells
	// of the first row, which every row repeats.
	firstFrom, firstTo, firstZone, firstAsOf string
	firstLine                                int
	haveTotal                                bool
	// haveRequests is set by the requests row, which request rows need;
	// haveProblems by the problems row, which organisation rows need.
	haveRequests, haveProblems bool
	// seen maps each group's identity to its first line, so that a group
	// whose rows are not together is refused rather than split.
	seen map[string]int
	cur  *openGroup
}

// openGroup is the group whose rows are being read.
type openGroup struct {
	identity string
	line     int
	record   []string
	section  string
	// noMetric is set when its row has no metric, which must then be its
	// only row.
	noMetric bool
	// add appends the current row's metric to the group.
	add func() error
}

// cellError is a problem with one cell, or with a whole row when column is
// negative.
type cellError struct {
	line, column int
	name, msg    string
}

func (e *cellError) Error() string {
	if e.column < 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d, column %d (%s): %s", e.line, e.column+1, e.name, e.msg)
}

func decodeCSV(r io.Reader) (*Report, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty: no header row")
	}
	if err != nil {
		return nil, err
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	l, err := readHeader(cr, header)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		cr: cr,
		l:  l,
		rep: &Report{
			Total:      Figures{Backlog: Backlog{Ageing: []AgeBucket{}}, Metrics: []MetricFigures{}},
			Agreements: []AgreementFigures{}, Priorities: []Group{}, Suppliers: []Group{},
			Categories: []Group{}, Trend: []TrendPoint{},
		},
		seen: make(map[string]int),
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		d.record = rec
		if err := d.row(); err != nil {
			return nil, err
		}
	}
	if !d.haveTotal {
		return nil, errors.New("no total row")
	}
	if d.rep.Requests != nil && !d.haveRequests {
		return nil, errors.New("request rows without a requests row")
	}
	if d.rep.Problems != nil && !d.haveProblems {
		return nil, errors.New("problem_organisation rows without a problems row")
	}
	if err := d.rep.inZone(); err != nil {
		return nil, err
	}
	return d.rep, nil
}

// readHeader checks the header and finds the age buckets' columns in it.
func readHeader(cr *csv.Reader, header []string) (layout, error) {
	fail := func(i int, format string, args ...any) error {
		line, _ := cr.FieldPos(min(i, len(header)-1))
		return &cellError{line: line, column: i, name: "header", msg: fmt.Sprintf(format, args...)}
	}
	if len(header) < int(numColumns) {
		return layout{}, fail(len(header)-1, "%d columns, want at least %d", len(header), numColumns)
	}
	// The problem columns come last, the request columns before them.
	nProb := trailingColumns(header, probColumnNames[:])
	nReq := trailingColumns(header[:len(header)-nProb], reqColumnNames[:])
	l := layout{requests: nReq > 0, problems: nProb > 0}
	for i := range len(header) - int(numColumns) - nReq - nProb {
		at := int(colBacklogOpen) + 1 + i
		name, ok := strings.CutPrefix(header[at], ageingPrefix)
		if !ok {
			return layout{}, fail(at, "%q, want an age bucket %s<duration> or %q", header[at], ageingPrefix, columnNames[colAgreement])
		}
		over, err := time.ParseDuration(name)
		if err != nil || over < 0 {
			return layout{}, fail(at, "%q: the age bucket is not a duration from 0", header[at])
		}
		if i > 0 && Duration(over) <= l.ageing[i-1] {
			return layout{}, fail(at, "%q: age buckets must increase", header[at])
		}
		l.ageing = append(l.ageing, Duration(over))
	}
	for c := range numColumns {
		if got := header[l.pos(c)]; got != columnNames[c] {
			return layout{}, fail(l.pos(c), "%q, want %q", got, columnNames[c])
		}
	}
	return l, nil
}

func (d *decoder) cell(c column) string { return d.record[d.l.pos(c)] }

func (d *decoder) failAt(i int, format string, args ...any) error {
	line, _ := d.cr.FieldPos(i)
	return &cellError{line: line, column: i, name: d.l.columnName(i), msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) fail(c column, format string, args ...any) error {
	return d.failAt(d.l.pos(c), format, args...)
}

func (d *decoder) failRow(format string, args ...any) error {
	line, _ := d.cr.FieldPos(0)
	return &cellError{line: line, column: -1, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) count(c column) (int, error) {
	return d.countAt(d.l.pos(c))
}

func (d *decoder) countAt(i int) (int, error) {
	s := d.record[i]
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, d.failAt(i, "%q is not a count (a whole number from 0)", s)
	}
	return n, nil
}

// number reads a finite float within [0, limit].
func (d *decoder) number(c column, limit float64) (float64, error) {
	s := d.cell(c)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !inRange(f, limit) {
		return 0, d.fail(c, "%q is not a number from 0 to %v", s, limit)
	}
	return f, nil
}

func (d *decoder) fraction(c column) (float64, error) { return d.number(c, 1) }

// optional reads the figure of column c with read, or none (nil) from an
// empty cell: it reverses optionalCell.
func optional[T any](d *decoder, c column, read func(column) (T, error)) (*T, error) {
	if d.cell(c) == "" {
		return nil, nil
	}
	v, err := read(c)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (d *decoder) duration(c column) (Duration, error) {
	s := d.cell(c)
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, d.fail(c, "%q is not a duration from 0, such as 26h30m0s", s)
	}
	return Duration(v), nil
}

func (d *decoder) id(c column) (itsm.ID, error) {
	s := d.cell(c)
	id, err := itsm.ParseID(s)
	if err != nil {
		return itsm.ID{}, d.fail(c, "%q is not an ID", s)
	}
	return id, nil
}

func (d *decoder) kind(c column) (sla.Kind, error) {
	if k := sla.Kind(d.cell(c)); knownKind(k) {
		return k, nil
	}
	return "", d.fail(c, "%q is not SLA, OLA or UC", d.cell(c))
}

func (d *decoder) timeOf(c column, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, d.fail(c, "%q is not an RFC 3339 time", s)
	}
	return t, nil
}

func (d *decoder) period(c column, from, to string) (Period, error) {
	f, err := d.timeOf(c, from)
	if err != nil {
		return Period{}, err
	}
	t, err := d.timeOf(c, to)
	if err != nil {
		return Period{}, err
	}
	if !f.Before(t) {
		return Period{}, d.fail(c, "the period %s to %s is empty", from, to)
	}
	return Period{From: f, To: t}, nil
}

// row reads one record after the header.
func (d *decoder) row() error {
	section := d.cell(colSection)
	roles, ok := roles[section]
	if !ok {
		return d.fail(colSection, "%q is not one of total, agreement, priority, supplier, category, group, trend, requests, request_type, request_item, problems and problem_organisation", section)
	}
	if d.firstLine == 0 {
		p, err := d.period(colPeriodFrom, d.cell(colPeriodFrom), d.cell(colPeriodTo))
		if err != nil {
			return err
		}
		d.rep.Period = p
		if err := d.zoneAndAsOf(); err != nil {
			return err
		}
		d.firstFrom, d.firstTo = d.cell(colPeriodFrom), d.cell(colPeriodTo)
		d.firstZone, d.firstAsOf = d.cell(colZone), d.cell(colAsOf)
		d.firstLine, _ = d.cr.FieldPos(0)
	}
	if d.cell(colPeriodFrom) != d.firstFrom || d.cell(colPeriodTo) != d.firstTo {
		return d.fail(colPeriodFrom, "the period %s to %s is not the one on line %d", d.cell(colPeriodFrom), d.cell(colPeriodTo), d.firstLine)
	}
	if d.cell(colZone) != d.firstZone {
		return d.fail(colZone, "%q is not the zone %q on line %d", d.cell(colZone), d.firstZone, d.firstLine)
	}
	if d.cell(colAsOf) != d.firstAsOf {
		return d.fail(colAsOf, "%q is not the as_of %q on line %d", d.cell(colAsOf), d.firstAsOf, d.firstLine)
	}

	hasMetric := d.cell(colMetric) != ""
	if hasMetric && cellText(d.cell(colMetric)) == "" {
		return d.fail(colMetric, "a metric needs a name")
	}
	for c := range numColumns {
		switch s := d.cell(c); {
		case c == colKey || s == "":
		case roles[c] == roleEmpty:
			return d.fail(c, "must be empty in a %s row", section)
		case roles[c] == roleMetric && !hasMetric:
			return d.fail(c, "must be empty in a row without a metric")
		}
	}
	for i := range d.l.ageing {
		if at := d.l.ageingPos(i); d.record[at] != "" && !hasFigures[section] {
			return d.failAt(at, "must be empty in a %s row", section)
		}
	}

	if err := d.checkRequestCells(section); err != nil {
		return err
	}
	if err := d.checkProblemCells(section); err != nil {
		return err
	}

	identity, err := d.identity(section)
	if err != nil {
		return err
	}
	if d.cur != nil && d.cur.identity == identity {
		return d.continueGroup(roles, hasMetric)
	}
	if first, ok := d.seen[identity]; ok {
		return d.failRow("%s %q appears again after line %d; a group's rows must be together", section, cellText(d.cell(colKey)), first)
	}
	line, _ := d.cr.FieldPos(0)
	d.seen[identity] = line
	d.cur = &openGroup{identity: identity, line: line, record: d.record, section: section, noMetric: !hasMetric}
	if err := d.openGroup(section); err != nil {
		return err
	}
	if hasMetric {
		return d.cur.add()
	}
	return nil
}

// zoneAndAsOf reads the report's zone and as_of from the first row.
func (d *decoder) zoneAndAsOf() error {
	if z := d.cell(colZone); z != "" {
		if _, err := loadZone(z); err != nil {
			return d.fail(colZone, "%q is not a time zone such as Europe/Stockholm", z)
		}
		d.rep.Zone = z
	}
	if s := d.cell(colAsOf); s != "" {
		t, err := d.timeOf(colAsOf, s)
		if err != nil {
			return err
		}
		d.rep.Partial, d.rep.AsOf = true, t
	}
	return nil
}

// identity tells the groups of a file apart by their values, so that two
// spellings of one key cannot make two groups that write back as one.
func (d *decoder) identity(section string) (string, error) {
	key := cellText(d.cell(colKey))
	switch section {
	case sectionTotal:
		if key != "" {
			return "", d.fail(colKey, "must be empty in a total row")
		}
	case sectionAgreement:
		if key != cellText(d.cell(colAgreement)) {
			return "", d.fail(colKey, "%q is not the agreement's name %q", key, cellText(d.cell(colAgreement)))
		}
		desk, err := d.id(colDesk)
		if err != nil {
			return "", err
		}
		key += "\x00" + desk.String()
	case sectionTrend:
		from, to, ok := strings.Cut(key, "/")
		if !ok {
			return "", d.fail(colKey, "%q is not a period from/to", key)
		}
		p, err := d.period(colKey, from, to)
		if err != nil {
			return "", err
		}
		key = periodIdentity(p)
	case sectionProblemOrganisation:
		// One organisation, however its ID is spelled, is one row.
		org, err := itsm.ParseID(key)
		if err != nil || org.IsZero() {
			return "", d.fail(colKey, "%q is not an organisation's ID", key)
		}
		key = org.String()
	}
	return section + "\x00" + key, nil
}

// continueGroup reads another row of the open group.
func (d *decoder) continueGroup(roles [numColumns]role, hasMetric bool) error {
	g := d.cur
	if g.noMetric || !hasMetric {
		return d.failRow("%s %q has a row without a metric, which must then be its only row (line %d)",
			g.section, cellText(d.cell(colKey)), g.line)
	}
	same := func(i int) error {
		if d.record[i] != g.record[i] {
			return d.failAt(i, "%q differs from %q on line %d, the group's first row", d.record[i], g.record[i], g.line)
		}
		return nil
	}
	for c := range numColumns {
		if roles[c] == roleGroup || c == colKey {
			if err := same(d.l.pos(c)); err != nil {
				return err
			}
		}
	}
	if hasFigures[g.section] {
		for i := range d.l.ageing {
			if err := same(d.l.ageingPos(i)); err != nil {
				return err
			}
		}
	}
	return g.add()
}

// openGroup reads the group's own cells from its first row and sets add.
func (d *decoder) openGroup(section string) error {
	switch section {
	case sectionTotal:
		d.haveTotal = true
		return d.figuresGroup(&d.rep.Total)
	case sectionAgreement:
		return d.agreementGroup()
	case sectionTrend:
		return d.trendGroup()
	case sectionRequests, sectionRequestType, sectionRequestItem:
		return d.requestGroup(section)
	case sectionProblems, sectionProblemOrganisation:
		return d.problemGroup(section)
	}
	g := Group{Key: cellText(d.cell(colKey)), Name: cellText(d.cell(colName))}
	if section == sectionGroup && d.cell(colOrganisation) != "" {
		org, err := d.id(colOrganisation)
		if err != nil {
			return err
		}
		g.Organisation = org
	}
	list := map[string]*[]Group{
		sectionPriority: &d.rep.Priorities, sectionSupplier: &d.rep.Suppliers, sectionCategory: &d.rep.Categories,
		sectionGroup: &d.rep.Groups,
	}[section]
	*list = append(*list, g)
	return d.figuresGroup(&(*list)[len(*list)-1].Figures)
}

func (d *decoder) figuresGroup(f *Figures) error {
	var err error
	counts := []struct {
		c column
		v *int
	}{
		{colRegistered, &f.Registered}, {colResolved, &f.Resolved}, {colClosed, &f.Closed},
		{colCancelled, &f.Cancelled}, {colFirstContact, &f.FirstContact},
		{colReassignments, &f.Reassignments}, {colPingPong, &f.PingPong}, {colMoves, &f.Moves}, {colReopened, &f.Reopened},
		{colBacklogOpen, &f.Backlog.Open},
	}
	for _, n := range counts {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	if f.FirstContactRate, err = optional(d, colFirstContactRate, d.fraction); err != nil {
		return err
	}
	if f.ReopenRate, err = optional(d, colReopenRate, d.fraction); err != nil {
		return err
	}
	f.Backlog.Ageing = []AgeBucket{}
	for i, over := range d.l.ageing {
		at := d.l.ageingPos(i)
		if d.record[at] == "" {
			continue
		}
		n, err := d.countAt(at)
		if err != nil {
			return err
		}
		f.Backlog.Ageing = append(f.Backlog.Ageing, AgeBucket{Over: over, Count: n})
	}
	f.Metrics = []MetricFigures{}
	d.cur.add = func() error {
		var m MetricFigures
		var err error
		m.Agreement = cellText(d.cell(colAgreement))
		if m.Desk, err = d.id(colDesk); err != nil {
			return err
		}
		if m.Kind, err = d.kind(colKind); err != nil {
			return err
		}
		if m.Provider, err = d.id(colProvider); err != nil {
			return err
		}
		if m.Objective, err = d.fraction(colObjective); err != nil {
			return err
		}
		if err := d.metric(&m); err != nil {
			return err
		}
		f.Metrics = append(f.Metrics, m)
		return nil
	}
	return nil
}

// metric reads the columns that every metric row of a figures or agreement
// group has.
func (d *decoder) metric(m *MetricFigures) error {
	var err error
	m.Metric = sla.Metric(cellText(d.cell(colMetric)))
	for _, n := range []struct {
		c column
		v *int
	}{{colMet, &m.Met}, {colBreached, &m.Breached}, {colStopped, &m.Stopped}, {colMissed, &m.Missed}} {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	if m.Compliance, err = optional(d, colCompliance, d.fraction); err != nil {
		return err
	}
	if m.Shortfall, err = d.fraction(colShortfall); err != nil {
		return err
	}
	for _, n := range []struct {
		c column
		v **Duration
	}{{colMean, &m.Mean}, {colMedian, &m.Median}, {colP90, &m.P90}} {
		if *n.v, err = optional(d, n.c, d.duration); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) agreementGroup() error {
	a := AgreementFigures{Agreement: cellText(d.cell(colAgreement)), ProviderName: cellText(d.cell(colProviderName)),
		ConsumerName: cellText(d.cell(colConsumerName)), Metrics: []MetricFigures{}}
	var err error
	if a.Desk, err = d.id(colDesk); err != nil {
		return err
	}
	if a.Kind, err = d.kind(colKind); err != nil {
		return err
	}
	if a.Provider, err = d.id(colProvider); err != nil {
		return err
	}
	if a.Consumer, err = d.id(colConsumer); err != nil {
		return err
	}
	if a.Objective, err = d.fraction(colObjective); err != nil {
		return err
	}
	if d.cell(colCreditPercent) != "" {
		c := &Credit{Currency: cellText(d.cell(colCreditCurrency))}
		if c.Percent, err = d.number(colCreditPercent, 100); err != nil {
			return err
		}
		s := d.cell(colCreditAmount)
		if c.Amount, err = strconv.ParseInt(s, 10, 64); err != nil || c.Amount < 0 {
			return d.fail(colCreditAmount, "%q is not an amount in minor units from 0", s)
		}
		a.Credit = c
	} else {
		for _, c := range []column{colCreditAmount, colCreditCurrency} {
			if d.cell(c) != "" {
				return d.fail(c, "must be empty when credit_percent is")
			}
		}
	}
	d.rep.Agreements = append(d.rep.Agreements, a)
	i := len(d.rep.Agreements) - 1
	d.cur.add = func() error {
		a := &d.rep.Agreements[i]
		m := MetricFigures{Agreement: a.Agreement, Desk: a.Desk, Kind: a.Kind, Provider: a.Provider, Objective: a.Objective}
		if err := d.metric(&m); err != nil {
			return err
		}
		a.Metrics = append(a.Metrics, m)
		return nil
	}
	return nil
}

func (d *decoder) trendGroup() error {
	key := cellText(d.cell(colKey))
	from, to, _ := strings.Cut(key, "/")
	p := TrendPoint{Metrics: []MetricPoint{}}
	var err error
	if p.Period, err = d.period(colKey, from, to); err != nil {
		return err
	}
	for _, n := range []struct {
		c column
		v *int
	}{{colRegistered, &p.Registered}, {colResolved, &p.Resolved}, {colBacklogOpen, &p.Backlog}} {
		if *n.v, err = d.count(n.c); err != nil {
			return err
		}
	}
	d.rep.Trend = append(d.rep.Trend, p)
	i := len(d.rep.Trend) - 1
	d.cur.add = func() error {
		m := MetricPoint{Agreement: cellText(d.cell(colAgreement)), Metric: sla.Metric(cellText(d.cell(colMetric)))}
		var err error
		if m.Desk, err = d.id(colDesk); err != nil {
			return err
		}
		if m.Provider, err = d.id(colProvider); err != nil {
			return err
		}
		if m.Met, err = d.count(colMet); err != nil {
			return err
		}
		if m.Breached, err = d.count(colBreached); err != nil {
			return err
		}
		if m.Compliance, err = optional(d, colCompliance, d.fraction); err != nil {
			return err
		}
		d.rep.Trend[i].Metrics = append(d.rep.Trend[i].Metrics, m)
		return nil
	}
	return nil
}
