package authority

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// generated is a history of the lists and the questions to ask of it.
type generated struct {
	x         *Index
	events    int
	questions []question
}

type question struct {
	customer itsm.ID
	person   string
	item     itsm.ID
	service  string
	at       time.Time
}

// generate makes days of one customer's lists from 2021 on, for people
// persons: each is granted one to three scopes (an item of 400 or one of
// their 40 services) from a random day in the first half, for 60 to 760
// days, again and again with gaps until the end, some grants ended early,
// and every fifth person approves. It applies the events to a new index
// as CatchUp would.
func generate(tb testing.TB, people, days int) generated {
	zone, err := time.LoadLocation(Stockholm)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(people), uint64(days)))
	customer := itsm.NewID()
	items := make([]itsm.ID, 400)
	for i := range items {
		items[i] = itsm.NewID()
	}
	service := func(i int) string { return fmt.Sprintf("service %d", i%40) }
	start := time.Date(2021, 1, 1, 8, 0, 0, 0, zone)
	x := NewIndex(zone)
	var seq int64
	add := func(subject itsm.ID, p Payload, at time.Time) {
		seq++
		codec := grantCodec
		if _, ok := p.(Absent); ok {
			codec = absenceCodec
		}
		e, err := codec.Encode(subject, p, at)
		if err == nil {
			e.Seq, e.ID = seq, itsm.NewID()
			err = x.st.apply(e, zone)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	g := generated{x: x}
	admin := itsm.Actor{Organisation: customer, Person: "admin"}
	for p := range people {
		person := fmt.Sprintf("person%06d@city.example", p)
		for range 1 + r.IntN(3) {
			it := r.IntN(len(items))
			gr := Grant{Customer: customer, Person: person, Role: RoleRequester, GrantedBy: admin}
			if p%5 == 0 {
				gr.Role = RoleApprover
			}
			if r.IntN(3) == 0 {
				gr.Service = service(it)
			} else {
				gr.Item = items[it]
			}
			// A few grants in a row over the five years, each maybe ended
			// early and followed by a new one.
			day := r.IntN(days / 2)
			for day < days {
				at := start.Add(time.Duration(day) * 24 * time.Hour)
				gr.From = sla.DateOf(at.In(zone))
				length := 60 + r.IntN(700)
				gr.Until = sla.Date{}
				if r.IntN(2) == 0 {
					gr.Until = gr.From.AddDays(length)
				}
				id := itsm.NewID()
				add(id, Granted{gr}, at)
				if r.IntN(3) == 0 {
					end := at.Add(time.Duration(r.IntN(length)) * 24 * time.Hour)
					add(id, Ended{Ending{By: admin, Until: sla.DateOf(end.In(zone)).AddDays(-1)}}, end)
				}
				day += length + r.IntN(200)
			}
			g.questions = append(g.questions, question{customer, person, items[it], service(it), start.Add(time.Duration(r.Int64N(int64(time.Duration(days) * 24 * time.Hour))))})
		}
	}
	g.events = int(seq)
	r.Shuffle(len(g.questions), func(i, j int) { g.questions[i], g.questions[j] = g.questions[j], g.questions[i] })
	return g
}

// BenchmarkMayOrder checks authorised requesters over five years of lists
// of 50,000 people, and reports how many times longer a check takes than
// over a smaller history, measured in the same run: x_short over the same
// people's first half year (about a third of the events: the length of
// the history; 1 is flat), x_few over five years of 5,000 people (a tenth
// of the events: the size of the lists, where the processor's caches
// tell).
func BenchmarkMayOrder(b *testing.B) {
	people, days := 50000, 5*365
	if testing.Short() {
		people, days = 2000, 365 // CI's one run proves the benchmark works, not the figure
	}
	large, short, few := generate(b, people, days), generate(b, people, days/10), generate(b, people/10, days)
	runtime.GC() // the garbage of generating is not the checks'
	yes := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := large.questions[i%len(large.questions)]
		if large.x.MayOrder(q.customer, q.person, q.item, q.service, q.at) {
			yes++
		}
	}
	if yes == 0 {
		b.Fatal("no question was answered yes")
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/short.perOp(), "x_short")
	b.ReportMetric(perOp/few.perOp(), "x_few")
	b.ReportMetric(float64(large.events), "events")
	b.ReportMetric(float64(short.events), "events_short")
}

// perOp times the checks of g's questions for half a second or more.
func (g generated) perOp() float64 {
	for n := 1; ; n *= 2 {
		begin := time.Now()
		for i := range n {
			q := g.questions[i%len(g.questions)]
			g.x.MayOrder(q.customer, q.person, q.item, q.service, q.at)
		}
		if el := time.Since(begin); el > 500*time.Millisecond {
			return float64(el.Nanoseconds()) / float64(n)
		}
	}
}
