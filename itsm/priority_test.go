package itsm_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
)

func TestLevelStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{itsm.Priority(1).String(), "P1"},
		{itsm.Priority(5).String(), "P5"},
		{itsm.Priority(0).String(), "P0"},
		{itsm.ImpactHigh.String(), "high"},
		{itsm.ImpactMedium.String(), "medium"},
		{itsm.ImpactLow.String(), "low"},
		{itsm.Impact(4).String(), "Impact(4)"},
		{itsm.Impact(0).String(), "Impact(0)"},
		{itsm.UrgencyHigh.String(), "high"},
		{itsm.UrgencyMedium.String(), "medium"},
		{itsm.UrgencyLow.String(), "low"},
		{itsm.Urgency(-1).String(), "Urgency(-1)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}

// checkFormula compares m cell by cell with f.
func checkFormula(t *testing.T, m itsm.Matrix, impacts, urgencies, levels int, f func(i, u int) int) {
	t.Helper()
	if m.Impacts() != impacts || m.Urgencies() != urgencies || m.Levels() != levels {
		t.Fatalf("size %dx%d with %d levels, want %dx%d with %d",
			m.Impacts(), m.Urgencies(), m.Levels(), impacts, urgencies, levels)
	}
	for i := 1; i <= impacts; i++ {
		for u := 1; u <= urgencies; u++ {
			p, err := m.Priority(itsm.Impact(i), itsm.Urgency(u))
			if err != nil {
				t.Fatalf("Priority(%d, %d): %v", i, u, err)
			}
			if want := itsm.Priority(f(i, u)); p != want {
				t.Errorf("Priority(impact %d, urgency %d) = %s, want %s", i, u, p, want)
			}
		}
	}
}

func TestITILMatrix(t *testing.T) {
	checkFormula(t, itsm.ITILMatrix(), 3, 3, 5, func(i, u int) int { return i + u - 1 })
}

func TestServiceNowMatrix(t *testing.T) {
	checkFormula(t, itsm.ServiceNowMatrix(), 3, 3, 4, func(i, u int) int { return min(4, i+u-1) })
}

func TestReadyMatricesAreFresh(t *testing.T) {
	// Cells hands out copies, so one caller cannot change another's matrix.
	cells := itsm.ITILMatrix().Cells()
	cells[0][0] = 9
	if p, _ := itsm.ITILMatrix().Priority(1, 1); p != 1 {
		t.Errorf("ITILMatrix().Priority(1, 1) = %s after editing a copy, want P1", p)
	}
}

func TestNewMatrix(t *testing.T) {
	tests := []struct {
		name    string
		cells   [][]itsm.Priority
		levels  int
		wantErr string // a part of the error message; "" for success
	}{
		{"1x1", [][]itsm.Priority{{1}}, 1, ""},
		{"2x3", [][]itsm.Priority{{1, 1, 2}, {2, 3, 3}}, 3, ""},
		{"4x4", [][]itsm.Priority{{1, 2, 3, 4}, {2, 3, 4, 4}, {3, 4, 4, 4}, {4, 4, 4, 4}}, 4, ""},
		{"not monotone is allowed", [][]itsm.Priority{{2, 1}}, 2, ""},
		{"nil", nil, 0, "no rows"},
		{"no rows", [][]itsm.Priority{}, 0, "no rows"},
		{"no columns", [][]itsm.Priority{{}}, 0, "no columns"},
		{"no columns anywhere", [][]itsm.Priority{{}, {}}, 0, "no columns"},
		{"ragged short", [][]itsm.Priority{{1, 2}, {2}}, 0, "row 2 (impact 2) has 1 columns, row 1 has 2"},
		{"ragged long", [][]itsm.Priority{{1, 2}, {2, 3}, {3, 3, 3}}, 0, "row 3 (impact 3) has 3 columns"},
		{"zero cell", [][]itsm.Priority{{1, 2}, {2, 0}}, 0, "row 2 (impact 2), column 2 (urgency 2): priority 0"},
		{"negative cell", [][]itsm.Priority{{-1}}, 0, "row 1 (impact 1), column 1 (urgency 1): priority -1"},
		{"gap", [][]itsm.Priority{{1, 2}, {2, 4}}, 0, "not P3"},
		{"no P1", [][]itsm.Priority{{2, 2}, {2, 3}}, 0, "not P1"},
		{"huge priority", [][]itsm.Priority{{1, 1 << 30}}, 0, "not P2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := itsm.NewMatrix(tt.cells)
			if tt.wantErr != "" {
				wantCode(t, err, itsm.CodeInvalid)
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				if m.Levels() != 0 {
					t.Errorf("NewMatrix failed but returned a matrix with %d levels", m.Levels())
				}
				return
			}
			wantCode(t, err, "")
			if m.Levels() != tt.levels {
				t.Errorf("Levels() = %d, want %d", m.Levels(), tt.levels)
			}
			if diff := cmp.Diff(tt.cells, m.Cells()); diff != "" {
				t.Errorf("Cells() differs from the input (-in +out):\n%s", diff)
			}
			checkFormula(t, m, len(tt.cells), len(tt.cells[0]), tt.levels,
				func(i, u int) int { return int(tt.cells[i-1][u-1]) })
		})
	}
}

func TestNewMatrixCopiesInput(t *testing.T) {
	cells := [][]itsm.Priority{{1, 2}, {2, 3}}
	m, err := itsm.NewMatrix(cells)
	if err != nil {
		t.Fatal(err)
	}
	cells[0][0] = 3
	if p, _ := m.Priority(1, 1); p != 1 {
		t.Errorf("Priority(1, 1) = %s after the caller changed its table, want P1", p)
	}
}

func TestMatrixPriorityOutOfRange(t *testing.T) {
	m := itsm.ITILMatrix()
	tests := []struct {
		i       itsm.Impact
		u       itsm.Urgency
		wantErr string
	}{
		{0, 1, "impact 0 is outside 1 to 3"},
		{4, 1, "impact 4 is outside 1 to 3"},
		{-1, 1, "impact -1"},
		{1, 0, "urgency 0 is outside 1 to 3"},
		{3, 4, "urgency 4 is outside 1 to 3"},
	}
	for _, tt := range tests {
		p, err := m.Priority(tt.i, tt.u)
		wantCode(t, err, itsm.CodeInvalid)
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Priority(%d, %d): error %q does not contain %q", tt.i, tt.u, err, tt.wantErr)
		}
		if p != 0 {
			t.Errorf("Priority(%d, %d) = %s with an error, want 0", tt.i, tt.u, p)
		}
	}
}

func TestZeroMatrix(t *testing.T) {
	var m itsm.Matrix
	_, err := m.Priority(1, 1)
	wantCode(t, err, itsm.CodeInvalid)
	if m.Impacts() != 0 || m.Urgencies() != 0 || m.Levels() != 0 || m.Cells() != nil {
		t.Errorf("zero Matrix: %d impacts, %d urgencies, %d levels, cells %v; want all zero",
			m.Impacts(), m.Urgencies(), m.Levels(), m.Cells())
	}
}
