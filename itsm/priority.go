package itsm

import "strconv"

// Priority orders work: 1 is the most urgent. How many levels exist depends on
// the Matrix in use, and service-level targets are set per level.
type Priority int

// String returns the short form people use, such as "P1".
func (p Priority) String() string { return "P" + strconv.Itoa(int(p)) }

// Impact is how much of the business an issue affects: 1 is the highest. How
// many levels exist is up to the Matrix in use; three is the usual choice.
type Impact int

// The levels of a three-level scale.
const (
	ImpactHigh   Impact = 1
	ImpactMedium Impact = 2
	ImpactLow    Impact = 3
)

// String names the levels of a three-level scale ("high", "medium", "low")
// and numbers any other, such as "Impact(4)".
func (i Impact) String() string { return levelName("Impact", int(i)) }

// Urgency is how soon the issue hurts: 1 is the highest. How many levels
// exist is up to the Matrix in use; three is the usual choice.
type Urgency int

// The levels of a three-level scale.
const (
	UrgencyHigh   Urgency = 1
	UrgencyMedium Urgency = 2
	UrgencyLow    Urgency = 3
)

// String names the levels of a three-level scale ("high", "medium", "low")
// and numbers any other, such as "Urgency(4)".
func (u Urgency) String() string { return levelName("Urgency", int(u)) }

func levelName(kind string, level int) string {
	switch level {
	case 1:
		return "high"
	case 2:
		return "medium"
	case 3:
		return "low"
	}
	return kind + "(" + strconv.Itoa(level) + ")"
}

// Matrix derives a ticket's priority from its impact and urgency (IM-2). Each
// customer configures its own, so the size is not fixed: rows are impact
// levels, columns urgency levels, and the priorities used are 1 to Levels
// with none left out, so that every level has service-level targets and
// "the lowest priority" is well defined.
//
// A Matrix is immutable and safe for concurrent use. The zero Matrix has no
// cells; Priority reports an error for it rather than panicking.
type Matrix struct {
	cells     []Priority // row by row: impact 1 first, then impact 2, ...
	urgencies int
	levels    int
}

// NewMatrix returns the Matrix whose row i-1 holds the priorities for impact
// i and whose column u-1 holds those for urgency u. The table must have at
// least one row and one column, every row the same length, every cell 1 or
// more, and together the cells must use every priority from 1 to the highest
// one. Errors are *Error with CodeInvalid naming the impact (row) and urgency
// (column) at fault. NewMatrix copies cells, so the caller may reuse them.
func NewMatrix(cells [][]Priority) (Matrix, error) {
	if len(cells) == 0 {
		return Matrix{}, Errorf(CodeInvalid, "priority matrix has no rows (impact levels)")
	}
	urgencies := len(cells[0])
	if urgencies == 0 {
		return Matrix{}, Errorf(CodeInvalid, "priority matrix row 1 (impact 1) has no columns (urgency levels)")
	}
	m := Matrix{cells: make([]Priority, 0, len(cells)*urgencies), urgencies: urgencies}
	for r, row := range cells {
		if len(row) != urgencies {
			return Matrix{}, Errorf(CodeInvalid, "priority matrix row %d (impact %d) has %d columns, row 1 has %d",
				r+1, r+1, len(row), urgencies)
		}
		for c, p := range row {
			if p < 1 {
				return Matrix{}, Errorf(CodeInvalid, "priority matrix row %d (impact %d), column %d (urgency %d): priority %d is not 1 or more",
					r+1, r+1, c+1, c+1, p)
			}
			m.levels = max(m.levels, int(p))
			m.cells = append(m.cells, p)
		}
	}
	// n cells can use at most n levels, so a gap, if any, lies at or below
	// n; sizing by n keeps a stray huge priority from costing memory.
	n := len(m.cells)
	used := make([]bool, n+1)
	for _, p := range m.cells {
		if int(p) <= n {
			used[p] = true
		}
	}
	for p := 1; p <= min(m.levels, n); p++ {
		if !used[p] {
			return Matrix{}, Errorf(CodeInvalid, "priority matrix uses priorities up to %s but not %s; levels must run from P1 with no gap",
				Priority(m.levels), Priority(p))
		}
	}
	return m, nil
}

// ITILMatrix returns the textbook three-by-three matrix with five levels:
// priority = impact + urgency - 1, so high impact and high urgency is P1 and
// low impact and low urgency is P5.
func ITILMatrix() Matrix {
	return formulaMatrix(3, 3, func(i, u int) int { return i + u - 1 })
}

// ServiceNowMatrix returns the three-by-three matrix with four levels seen in
// real ServiceNow incident data (priorities Critical, High, Moderate and Low):
// priority = min(4, impact + urgency - 1), which merges what ITILMatrix ranks
// P4 and P5 into P4. Use it when importing or comparing with such data.
func ServiceNowMatrix() Matrix {
	return formulaMatrix(3, 3, func(i, u int) int { return min(4, i+u-1) })
}

// formulaMatrix builds a Matrix from a formula known to be valid.
func formulaMatrix(impacts, urgencies int, f func(i, u int) int) Matrix {
	cells := make([][]Priority, impacts)
	for i := range cells {
		cells[i] = make([]Priority, urgencies)
		for u := range cells[i] {
			cells[i][u] = Priority(f(i+1, u+1))
		}
	}
	m, err := NewMatrix(cells)
	if err != nil {
		panic(err) // a bug in the formula, caught by the package tests
	}
	return m
}

// Priority returns the priority for impact i and urgency u, or an *Error with
// CodeInvalid when either is outside the matrix (or the matrix is the zero
// Matrix).
func (m Matrix) Priority(i Impact, u Urgency) (Priority, error) {
	if len(m.cells) == 0 {
		return 0, Errorf(CodeInvalid, "priority matrix is empty; build it with NewMatrix")
	}
	if i < 1 || int(i) > m.Impacts() {
		return 0, Errorf(CodeInvalid, "impact %d is outside 1 to %d", int(i), m.Impacts())
	}
	if u < 1 || int(u) > m.urgencies {
		return 0, Errorf(CodeInvalid, "urgency %d is outside 1 to %d", int(u), m.urgencies)
	}
	return m.cells[(int(i)-1)*m.urgencies+int(u)-1], nil
}

// Impacts returns the number of impact levels (rows); 0 for the zero Matrix.
func (m Matrix) Impacts() int {
	if m.urgencies == 0 {
		return 0
	}
	return len(m.cells) / m.urgencies
}

// Urgencies returns the number of urgency levels (columns); 0 for the zero
// Matrix.
func (m Matrix) Urgencies() int { return m.urgencies }

// Levels returns the number of priorities the matrix uses, which is also the
// lowest of them; 0 for the zero Matrix.
func (m Matrix) Levels() int { return m.levels }

// Cells returns a copy of the table in the form NewMatrix takes, so that a
// configured matrix can be shown or stored and built again.
func (m Matrix) Cells() [][]Priority {
	if len(m.cells) == 0 {
		return nil
	}
	rows := make([][]Priority, m.Impacts())
	for r := range rows {
		rows[r] = append([]Priority(nil), m.cells[r*m.urgencies:(r+1)*m.urgencies]...)
	}
	return rows
}
