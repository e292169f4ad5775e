package candidate

import (
	"cmp"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Incident is what the detector reads of an incident.
type Incident struct {
	ID         itsm.ID
	Number     string
	Registered time.Time
	Service    string
	Category   string
	// CI names the configuration item the incident is about; empty when
	// unknown.
	CI string
	// Summary is the incident's short description, the text Tokens reads.
	Summary string
}

// Source yields the incidents the detector reads, in any order, or an error
// that ends the detection.
type Source = iter.Seq2[Incident, error]

// Details returns what a report ticket lacks of an incident: its
// configuration item and summary.
type Details func(report.Ticket) (ci, summary string)

// FromTickets reads a source of report tickets, as reports do, from a store
// or a log file, and yields its incidents (orders and tasks are skipped),
// with the CI and summary that details gives; details may be nil, and then
// incidents group by service and category alone.
func FromTickets(src report.Source, details Details) Source {
	return func(yield func(Incident, error) bool) {
		for t, err := range src {
			if err != nil {
				yield(Incident{}, err)
				return
			}
			if t.Kind.Request() {
				continue
			}
			in := Incident{ID: t.ID, Number: t.Number, Registered: t.Registered, Service: t.Service, Category: t.Category}
			if details != nil {
				in.CI, in.Summary = details(t)
			}
			if !yield(in, nil) {
				return
			}
		}
	}
}

// Key is what the incidents of a group share: always their service and
// category, and at most one of a configuration item or a summary key token.
type Key struct {
	Service  string `json:"service"`
	Category string `json:"category"`
	CI       string `json:"ci,omitempty"`
	Token    string `json:"token,omitempty"`
}

// String shows the key for people: "service / category", then "CI x" or
// the quoted token.
func (k Key) String() string {
	s := k.Service + " / " + k.Category
	if k.CI != "" {
		s += " / CI " + k.CI
	}
	if k.Token != "" {
		s += " / \"" + k.Token + "\""
	}
	return s
}

// Span is a half-open interval of time, [From, To).
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Candidate is a proposed problem with its evidence.
type Candidate struct {
	Key Key `json:"key"`
	// Window is the recent window, Baseline the longer one just before it.
	Window   Span `json:"window"`
	Baseline Span `json:"baseline"`
	// Incidents are those of the group registered in the window, in order
	// of registration (dismissed ones left out), Numbers their numbers;
	// they are what a problem opened from the candidate links.
	Incidents []itsm.ID `json:"incidents"`
	Numbers   []string  `json:"numbers"`
	// Count is len(Incidents); BaselineCount the group's incidents in the
	// baseline window, and Expected the count the window would see at the
	// baseline's rate: BaselineCount times the windows' exposure ratio.
	Count         int     `json:"count"`
	BaselineCount int     `json:"baseline_count"`
	Expected      float64 `json:"expected"`
	// PValue is the probability of Count or more under the baseline's
	// rate (the conditional test of the package documentation), and Score
	// its -log10, which stays finite and ordered where PValue underflows.
	PValue float64 `json:"p_value"`
	Score  float64 `json:"score"`
	// Tested is how many groups were tested in the window: the m of the
	// Benjamini-Hochberg procedure.
	Tested int `json:"tested"`
}

// Exposure says what a window's size is measured in.
type Exposure int

const (
	// WorkingTime measures windows in the working time of
	// Config.Calendar (wall time without one): a rate is incidents per
	// working hour.
	WorkingTime Exposure = iota
	// DeskVolume measures windows by the number of all incidents the desk
	// registered in them: a group is unusual when its share of the desk's
	// incidents rose, which discounts the seasons (summer, Christmas)
	// that raise or lower every group alike.
	DeskVolume
)

// Config says where and how to look.
type Config struct {
	// Until ends the last recent window; zero means the end of the hour of
	// the latest incident read.
	Until time.Time
	// Window is the length of a recent window (default 7 days) and
	// Baseline that of the baseline before it, a whole multiple of Window
	// (default 12 windows).
	Window, Baseline time.Duration
	// Windows is how many successive recent windows, ending at Until and
	// stepping back by Window, are examined; 0 or 1 means the last alone,
	// -1 every window with a whole baseline after the earliest incident.
	Windows int
	// Exposure and Calendar say how windows are measured; a nil Calendar
	// means wall time.
	Exposure Exposure
	Calendar *sla.Calendar
	// FDR is the false discovery rate that the Benjamini-Hochberg
	// procedure keeps in each window (default 0.01).
	FDR float64
	// MinCount is the fewest incidents a candidate has (default 4), and
	// MinRatio the least factor by which Count exceeds Expected (default
	// 2): a rise too small to act on is no problem even when certain.
	MinCount int
	MinRatio float64
	// Dismissed are the dismissals so far; their incidents no longer count
	// in any group's recent windows (they still do in baselines).
	Dismissed []Dismissal
}

// Defaults of Config.
const (
	DefaultWindow   = 7 * 24 * time.Hour
	DefaultBaseline = 12 * DefaultWindow
	DefaultFDR      = 0.01
	DefaultMinCount = 4
	DefaultMinRatio = 2.0
)

func (c *Config) check() error {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Baseline == 0 {
		c.Baseline = 12 * c.Window
	}
	if c.FDR == 0 {
		c.FDR = DefaultFDR
	}
	if c.MinCount == 0 {
		c.MinCount = DefaultMinCount
	}
	if c.MinRatio == 0 {
		c.MinRatio = DefaultMinRatio
	}
	switch {
	case c.Window < time.Hour:
		return itsm.Errorf(itsm.CodeInvalid, "the detector's window is %v, shorter than an hour", c.Window)
	case c.Baseline < c.Window || c.Baseline%c.Window != 0:
		return itsm.Errorf(itsm.CodeInvalid, "the detector's baseline of %v is not a whole number of its %v windows", c.Baseline, c.Window)
	case c.Baseline/c.Window > 520:
		return itsm.Errorf(itsm.CodeInvalid, "the detector's baseline is %d windows, more than 520", c.Baseline/c.Window)
	case c.Windows < -1 || c.Windows > 10_000:
		return itsm.Errorf(itsm.CodeInvalid, "the detector cannot examine %d windows: give -1 to 10,000", c.Windows)
	case c.Exposure != WorkingTime && c.Exposure != DeskVolume:
		return itsm.Errorf(itsm.CodeInvalid, "the detector's exposure %d is neither working time nor desk volume", c.Exposure)
	case !(c.FDR > 0 && c.FDR < 1):
		return itsm.Errorf(itsm.CodeInvalid, "the detector's false discovery rate %v is not between 0 and 1", c.FDR)
	case c.MinCount < 1:
		return itsm.Errorf(itsm.CodeInvalid, "the detector's minimum count %d is below 1", c.MinCount)
	case !(c.MinRatio >= 1) || math.IsInf(c.MinRatio, 1):
		return itsm.Errorf(itsm.CodeInvalid, "the detector's minimum ratio %v is not a number of at least 1", c.MinRatio)
	}
	return nil
}

// read is one incident as the detector keeps it.
type read struct {
	at     int64 // Unix nanoseconds
	id     itsm.ID
	number string
}

// member is one incident in one group.
type member struct {
	key int32
	inc int32
}

// Detect reads src and returns the candidate problems of the windows cfg
// names, most unusual first (highest Score; then the later window, then
// Key and the first incident's number, so the order is the same on every
// run). It keeps the incidents' IDs, numbers and times and one entry per
// group an incident belongs to (at most 2+MaxTokens), so its memory and
// time grow with the number of incidents.
func Detect(src Source, cfg Config) ([]Candidate, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	var (
		incs    []read
		members []member
		keys    []Key
		index   = map[Key]int32{}
		latest  int64
		earlist int64 = math.MaxInt64
	)
	group := func(k Key, inc int32) {
		id, ok := index[k]
		if !ok {
			id = int32(len(keys))
			index[k] = id
			keys = append(keys, k)
		}
		members = append(members, member{id, inc})
	}
	until := cfg.Until.UnixNano()
	for in, err := range src {
		if err != nil {
			return nil, err
		}
		at := in.Registered.UnixNano()
		if !cfg.Until.IsZero() && at >= until {
			continue
		}
		if len(incs) == math.MaxInt32 {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the detector reads at most %d incidents", math.MaxInt32)
		}
		inc := int32(len(incs))
		incs = append(incs, read{at: at, id: in.ID, number: in.Number})
		latest, earlist = max(latest, at), min(earlist, at)
		k := Key{Service: in.Service, Category: in.Category}
		group(k, inc)
		if in.CI != "" {
			group(Key{Service: k.Service, Category: k.Category, CI: in.CI}, inc)
		}
		for _, tok := range Tokens(in.Summary) {
			group(Key{Service: k.Service, Category: k.Category, Token: tok}, inc)
		}
	}
	if len(incs) == 0 {
		return nil, nil
	}
	if cfg.Until.IsZero() {
		until = time.Unix(0, latest).Truncate(time.Hour).Add(time.Hour).UnixNano()
	}
	d := detector{cfg: cfg, incs: incs, keys: keys, until: until, step: int64(cfg.Window), base: int(cfg.Baseline / cfg.Window), loc: time.UTC}
	if cfg.Calendar != nil {
		d.loc = cfg.Calendar.Location()
	}
	d.windows(earlist)
	return d.run(members), nil
}

// detector holds one detection: buckets are the windows of length step
// ending at until, numbered from the earliest needed (bucket 0).
type detector struct {
	cfg   Config
	incs  []read
	keys  []Key
	until int64
	step  int64
	base  int // baseline length in buckets
	// buckets is the number of buckets; the recent windows examined are
	// the last `examined` of them.
	buckets, examined int
	// data is the bucket of the earliest incident: a window whose baseline
	// begins before it has no whole history and is not examined.
	data     int
	exposure []float64
	loc      *time.Location
	// gone are the incidents of every dismissal: they count in no group's
	// recent window, under any key, so a dismissed spike does not come back
	// under another of its groups.
	gone map[itsm.ID]bool
}

// windows sets the buckets to examine and measures each bucket's exposure.
func (d *detector) windows(earliest int64) {
	span := (d.until - earliest + d.step - 1) / d.step // buckets holding incidents
	switch n := d.cfg.Windows; {
	case n == -1:
		d.examined = max(int(span)-d.base, 0)
	case n <= 1:
		d.examined = 1
	default:
		d.examined = n
	}
	d.buckets = d.examined + d.base
	d.data = max(d.bucket(earliest), 0)
	d.exposure = make([]float64, d.buckets)
	if d.cfg.Exposure == DeskVolume {
		for _, in := range d.incs {
			if b := d.bucket(in.at); b >= 0 {
				d.exposure[b]++
			}
		}
		return
	}
	for b := range d.exposure {
		from, to := d.start(b), d.start(b+1)
		if d.cfg.Calendar == nil {
			d.exposure[b] = float64(to.Sub(from))
		} else {
			d.exposure[b] = float64(d.cfg.Calendar.Between(from, to))
		}
	}
}

// start returns when bucket b begins.
func (d *detector) start(b int) time.Time {
	return time.Unix(0, d.until-int64(d.buckets-b)*d.step).In(d.loc)
}

// bucket returns the bucket of time at, or -1 before the first.
func (d *detector) bucket(at int64) int {
	back := (d.until - 1 - at) / d.step // whole buckets before the last
	if back >= int64(d.buckets) {
		return -1
	}
	return d.buckets - 1 - int(back)
}

// test is one group in one window that could be a candidate.
type test struct {
	key     int32
	bucket  int
	members []int32 // incidents in the window, dismissed ones left out
	count   int
	basen   int
	ratio   float64 // window exposure over baseline exposure
	logp    float64
}

func (d *detector) run(members []member) []Candidate {
	// Group the members by key, each key's in time order (then number, so
	// that ties do not depend on the source's order).
	slices.SortFunc(members, func(a, b member) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		x, y := &d.incs[a.inc], &d.incs[b.inc]
		if c := cmp.Compare(x.at, y.at); c != 0 {
			return c
		}
		return strings.Compare(x.number, y.number)
	})
	d.gone = map[itsm.ID]bool{}
	for _, ds := range d.cfg.Dismissed {
		for _, id := range ds.Incidents {
			d.gone[id] = true
		}
	}
	first := max(d.buckets-d.examined, d.data+d.base)
	active := make([]int, d.buckets+d.base+2) // difference array of groups active per window
	var tests []test
	for lo := 0; lo < len(members); {
		key := members[lo].key
		hi := lo
		for hi < len(members) && members[hi].key == key {
			hi++
		}
		tests = d.group(members[lo:hi], active, first, tests)
		lo = hi
	}
	// BH per window: a test passes when its p-value is at most FDR*i/m
	// for some i at or above its rank.
	tested := make([]int, d.buckets)
	for b, run := 0, 0; b < d.buckets; b++ {
		run += active[b]
		tested[b] = run
	}
	slices.SortFunc(tests, func(a, b test) int {
		if c := cmp.Compare(a.bucket, b.bucket); c != 0 {
			return c
		}
		return cmp.Compare(a.logp, b.logp)
	})
	var out []Candidate
	for lo := 0; lo < len(tests); {
		b := tests[lo].bucket
		hi := lo
		for hi < len(tests) && tests[hi].bucket == b {
			hi++
		}
		m := float64(tested[b])
		pass := 0
		for i := lo; i < hi; i++ {
			if tests[i].logp <= math.Log(d.cfg.FDR*float64(i-lo+1)/m) {
				pass = i - lo + 1
			}
		}
		out = d.keep(out, tests[lo:lo+pass], tested[b])
		lo = hi
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := b.Window.To.Compare(a.Window.To); c != 0 {
			return c
		}
		if c := strings.Compare(a.Key.String(), b.Key.String()); c != 0 {
			return c
		}
		return strings.Compare(a.Numbers[0], b.Numbers[0])
	})
	return out
}

// group tests one group's windows, appending to tests, and marks in active
// the windows where it has incidents in the window or its baseline.
func (d *detector) group(ms []member, active []int, first int, tests []test) []test {
	// Runs of members by bucket, in bucket order.
	type run struct{ bucket, lo, hi int }
	var runs []run
	for i, m := range ms {
		b := d.bucket(d.incs[m.inc].at)
		if b < 0 {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].bucket == b {
			runs[n-1].hi = i + 1
		} else {
			runs = append(runs, run{b, i, i + 1})
		}
	}
	covered := -1
	basen, tail := 0, 0 // members in the baseline of the current run; runs[tail:] are inside it
	for r, cur := range runs {
		from := max(cur.bucket, covered+1)
		active[from]++
		active[cur.bucket+d.base+1]--
		covered = cur.bucket + d.base
		for ; tail < r && runs[tail].bucket < cur.bucket-d.base; tail++ {
			basen -= runs[tail].hi - runs[tail].lo
		}
		if cur.bucket >= first {
			t := d.test(ms[cur.lo:cur.hi], cur.bucket, basen)
			if t.count > 0 {
				tests = append(tests, t)
			}
		}
		basen += cur.hi - cur.lo
	}
	return tests
}

// test tests one group in bucket b, which holds ms, with basen incidents in
// its baseline.
func (d *detector) test(ms []member, b, basen int) test {
	t := test{key: ms[0].key, bucket: b, basen: basen}
	for _, m := range ms {
		if !d.gone[d.incs[m.inc].id] {
			t.members = append(t.members, m.inc)
		}
	}
	t.count = len(t.members)
	var baseExp float64
	for _, e := range d.exposure[b-d.base : b] {
		baseExp += e
	}
	if t.count < d.cfg.MinCount || baseExp <= 0 || d.exposure[b] <= 0 {
		t.count = 0
		return t
	}
	t.ratio = d.exposure[b] / baseExp
	if float64(t.count) < d.cfg.MinRatio*float64(basen)*t.ratio {
		t.count = 0
		return t
	}
	// Given n incidents of the group in both windows, each falls in the
	// recent one with probability e/(e+E) under an unchanged rate.
	t.logp = logUpperTail(t.count, t.count+basen, d.exposure[b]/(d.exposure[b]+baseExp))
	return t
}

// keep adds the passing tests of one window as candidates, most unusual
// first, leaving out each whose incidents are mostly (half or more) in a
// candidate already kept: the tokens of one summary and its CI are several
// groups of the same incidents, and one problem is one candidate.
func (d *detector) keep(out []Candidate, pass []test, tested int) []Candidate {
	slices.SortStableFunc(pass, func(a, b test) int {
		if c := cmp.Compare(a.logp, b.logp); c != 0 {
			return c
		}
		return cmp.Compare(b.count, a.count)
	})
	taken := map[int32]bool{}
	for _, t := range pass {
		seen := 0
		for _, m := range t.members {
			if taken[m] {
				seen++
			}
		}
		if 2*seen >= len(t.members) {
			continue
		}
		for _, m := range t.members {
			taken[m] = true
		}
		c := Candidate{
			Key:           d.keys[t.key],
			Window:        Span{d.start(t.bucket), d.start(t.bucket + 1)},
			Baseline:      Span{d.start(t.bucket - d.base), d.start(t.bucket)},
			Count:         t.count,
			BaselineCount: t.basen,
			Expected:      float64(t.basen) * t.ratio,
			PValue:        math.Exp(t.logp),
			Score:         -t.logp / math.Ln10,
			Tested:        tested,
		}
		for _, m := range t.members {
			c.Incidents = append(c.Incidents, d.incs[m].id)
			c.Numbers = append(c.Numbers, d.incs[m].number)
		}
		out = append(out, c)
	}
	return out
}
