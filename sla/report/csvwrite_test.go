package report_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// FuzzWriteCSV: WriteCSV does not read back what it writes, so this proves
// what that check did. The rich report with one value set from the
// fuzzer's (a count, fraction, percentage, amount, duration, age bucket,
// kind, zone or period, at every place the form has one) is either
// refused with an invalid error, writing nothing, or written as a file
// that ReadCSV reads back to the same report, which writes the same bytes
// again.
func FuzzWriteCSV(f *testing.F) {
	f.Add(uint8(0), -1.0, int64(-1), "")
	f.Add(uint8(3), math.NaN(), int64(0), "UC")
	f.Add(uint8(7), 1.0000001, int64(5), "Europe/Stockholm")
	f.Add(uint8(12), 100.5, int64(-60e9), "XLA")
	f.Add(uint8(19), math.Inf(-1), int64(math.MinInt64), "Local")
	f.Fuzz(func(t *testing.T, field uint8, x float64, n int64, s string) {
		r := richReport()
		// The SLA's metrics are the total's too; the UC's the supplier's
		// and the categories'.
		m := &r.Total.Metrics[int(field)%len(r.Total.Metrics)]
		d := report.Duration(n)
		setters := []func(){
			func() { m.Met = int(n) },
			func() { m.Breached = int(n) },
			func() { m.Compliance = &x },
			func() { m.Shortfall = x },
			func() { m.Objective = x },
			func() { m.Median = &d },
			func() { m.Kind = sla.Kind(s) },
			func() { r.Total.FirstContactRate = &x },
			func() { r.Total.Reopened = int(n) },
			func() { r.Total.Backlog.Ageing[1].Over = d },
			func() { r.Total.Backlog.Ageing[3].Count = int(n) },
			func() { r.Agreements[0].Objective = x },
			func() { r.Agreements[0].Credit.Percent = x },
			func() { r.Agreements[0].Credit.Amount = n },
			func() { r.Agreements[1].Kind = sla.Kind(s) },
			func() { r.Suppliers[0].Figures.ReopenRate = &x },
			func() { r.Groups[0].Figures.Moves = int(n) },
			func() { r.Trend[1].Metrics[0].Compliance = &x },
			func() { r.Trend[2].Backlog = int(n) },
			func() { r.Trend[0].Period.To = r.Trend[0].Period.From.Add(time.Duration(n)) },
			func() { r.Period.To = r.Period.From.Add(time.Duration(n)) },
			func() { r.Zone = s },
		}
		setters[int(field)%len(setters)]()

		var buf bytes.Buffer
		if err := report.WriteCSV(&buf, r); err != nil {
			if !itsm.IsCode(err, itsm.CodeInvalid) || buf.Len() != 0 {
				t.Fatalf("refused with %v, having written %d bytes", err, buf.Len())
			}
			return
		}
		written := bytes.Clone(buf.Bytes())
		back, err := report.ReadCSV(&buf)
		if err != nil {
			t.Fatalf("wrote what it cannot read back: %v\n%s", err, written)
		}
		// A zone the report names puts the times read back in it; the
		// instants are the same.
		if d := cmp.Diff(r, back, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
			t.Fatalf("round trip (-written +read):\n%s", d)
		}
		var again bytes.Buffer
		if err := report.WriteCSV(&again, back); err != nil {
			t.Fatalf("cannot write again what it read: %v", err)
		}
		// A zone writes its own offsets the second time: the same
		// instants, and from then on the same bytes.
		if r.Zone == "" && !bytes.Equal(again.Bytes(), written) {
			t.Fatalf("written again differs:\n%s", firstDiff(written, again.Bytes()))
		}
		third, err := report.ReadCSV(bytes.NewReader(again.Bytes()))
		if err != nil {
			t.Fatalf("cannot read what it wrote the second time: %v", err)
		}
		if d := cmp.Diff(back, third); d != "" {
			t.Fatalf("second round trip (-first +second):\n%s", d)
		}
	})
}

// BenchmarkWriteCSV writes December of the synthetic municipality with
// its year's trend: the SLA, four UCs, their breakdowns and eleven trend
// points.
func BenchmarkWriteCSV(b *testing.B) {
	r := yearReport(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := report.WriteCSV(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
