package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/sla"
)

// This file holds the CSV form that WriteCSV (csv_write.go) writes and
// ReadCSV (csv_read.go) reads: its sections and columns, its cells, and the
// rules for values that both apply.

// The sections, in the order WriteCSV writes them.
const (
	sectionTotal     = "total"
	sectionAgreement = "agreement"
	sectionPriority  = "priority"
	sectionSupplier  = "supplier"
	sectionCategory  = "category"
	sectionGroup     = "group"
	sectionTrend     = "trend"
)

// column is a fixed column of the CSV form. The age buckets' columns come
// between colBacklogOpen and colAgreement.
type column int

const (
	colPeriodFrom column = iota
	colPeriodTo
	colSection
	colKey
	colName
	colOrganisation
	colRegistered
	colResolved
	colClosed
	colCancelled
	colFirstContact
	colFirstContactRate
	colReassignments
	colPingPong
	colMoves
	colReopened
	colReopenRate
	colBacklogOpen
	colAgreement
	colDesk
	colKind
	colProvider
	colConsumer
	colProviderName
	colConsumerName
	colObjective
	colMetric
	colMet
	colBreached
	colCompliance
	colShortfall
	colStopped
	colMean
	colMedian
	colP90
	colMissed
	colCreditPercent
	colCreditAmount
	colCreditCurrency
	colZone
	colAsOf
	numColumns
)

var columnNames = [numColumns]string{
	"period_from", "period_to", "section", "key", "name", "organisation",
	"registered", "resolved", "closed", "cancelled", "first_contact", "first_contact_rate",
	"reassignments", "ping_pong", "moves", "reopened", "reopen_rate", "backlog_open",
	"agreement", "desk", "kind", "provider", "consumer", "provider_name", "consumer_name",
	"objective", "metric", "met", "breached",
	"compliance", "shortfall", "stopped", "mean", "median", "p90", "missed",
	"credit_percent", "credit_amount", "credit_currency", "zone", "as_of",
}

// ageingPrefix starts the name of an age bucket's column.
const ageingPrefix = "backlog_over_"

// layout places the columns of one file, whose age buckets depend on the
// report, as whether it has the request columns (csv_requests.go) and the
// problem columns (csv_problems.go).
type layout struct {
	ageing             []Duration
	requests, problems bool
}

// pos is the index of a fixed column in a record.
func (l layout) pos(c column) int {
	if c > colBacklogOpen {
		return int(c) + len(l.ageing)
	}
	return int(c)
}

// ageingPos is the index of the i-th age bucket's column.
func (l layout) ageingPos(i int) int { return int(colBacklogOpen) + 1 + i }

func (l layout) width() int {
	if l.problems {
		return l.probPos(numProbColumns)
	}
	if l.requests {
		return l.reqPos(numReqColumns)
	}
	return int(numColumns) + len(l.ageing)
}

func (l layout) header() []string {
	out := make([]string, 0, l.width())
	out = append(out, columnNames[:colBacklogOpen+1]...)
	for _, over := range l.ageing {
		out = append(out, ageingPrefix+over.String())
	}
	out = append(out, columnNames[colBacklogOpen+1:]...)
	if l.requests {
		out = append(out, reqColumnNames[:]...)
	}
	if l.problems {
		out = append(out, probColumnNames[:]...)
	}
	return out
}

// columnName names the column at index i of a record.
func (l layout) columnName(i int) string {
	switch a := i - int(colBacklogOpen) - 1; {
	case a >= 0 && a < len(l.ageing):
		return ageingPrefix + l.ageing[a].String()
	case l.problems && i >= l.probPos(0):
		return probColumnNames[i-l.probPos(0)]
	case i >= int(numColumns)+len(l.ageing):
		return reqColumnNames[i-int(numColumns)-len(l.ageing)]
	case a >= len(l.ageing):
		return columnNames[i-len(l.ageing)]
	}
	return columnNames[i]
}

// timeCell writes t as RFC 3339, or says why that would not read back as
// the same instant (RFC 3339 has no seconds in an offset and four-digit
// years).
func timeCell(t time.Time) (string, error) {
	s := t.Format(time.RFC3339Nano)
	back, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !back.Equal(t) {
		return "", fmt.Errorf("%s cannot be written as RFC 3339", t)
	}
	return s, nil
}

// trendKey is the period as an ISO 8601 interval. RFC 3339 times hold no
// slash, so the key splits back unambiguously.
func trendKey(p Period) string {
	from, _ := timeCell(p.From)
	to, _ := timeCell(p.To)
	return from + "/" + to
}

// periodIdentity is the same for two periods of the same instants written
// in different zones.
func periodIdentity(p Period) string {
	return p.From.UTC().Format(time.RFC3339Nano) + "/" + p.To.UTC().Format(time.RFC3339Nano)
}

func floatCell(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// optionalCell is the cell of a figure that tickets may not have given
// (decision 43): cell(*v), or empty for none (nil); optional reads it back.
func optionalCell[T any](v *T, cell func(T) string) string {
	if v == nil {
		return ""
	}
	return cell(*v)
}

// formulaStarts are the characters that make a spreadsheet read a cell as a
// formula, and their full-width forms, which some spreadsheets fold to them.
const formulaStarts = "=+-@＝＋－＠"

// textCell keeps a spreadsheet from taking text for a formula (CSV
// injection, after OWASP): text that needsGuard gets a leading apostrophe,
// which writeRecord then quotes.
func textCell(s string) string {
	if needsGuard(s) {
		return "'" + s
	}
	return s
}

// needsGuard reports whether a spreadsheet could run s as a formula: it
// starts with a tab or a carriage return, or with = + - @ (or full-width
// ＝＋－＠) once leading white space and invisible formatting characters
// such as a byte order mark or a zero-width space are skipped, as some
// spreadsheets skip them. Text that starts with the guard's apostrophe is
// guarded too, so that cellText removes exactly one.
func needsGuard(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '\t', '\r', '\'':
		return true
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	first, _ := utf8.DecodeRuneInString(rest)
	return rest != "" && strings.ContainsRune(formulaStarts, first)
}

// cellText reverses textCell.
func cellText(s string) string { return strings.TrimPrefix(s, "'") }

// inRange reports whether f is a number from 0 to limit, which NaN is not:
// a rule of the form for fractions (limit 1) and percentages (100), which
// WriteCSV checks before it writes and ReadCSV as it reads.
func inRange(f, limit float64) bool { return f >= 0 && f <= limit }

// knownKind reports whether k is a kind of agreement that the form
// carries, for WriteCSV and ReadCSV alike.
func knownKind(k sla.Kind) bool {
	switch k {
	case sla.KindSLA, sla.KindOLA, sla.KindUC:
		return true
	}
	return false
}
