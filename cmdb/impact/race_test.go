package impact

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestConcurrentAnalyse runs analyses in parallel with a writer that
// keeps changing the graph (run it with -race). A part of the graph the
// writer never touches must always give the same answer; an edge the
// writer toggles must be seen either present or absent, never half; and
// every answer must hold up against the reference of the graph it saw,
// which for the churning part is checked by the writer between changes.
func TestConcurrentAnalyse(t *testing.T) {
	rounds := 3000
	if testing.Short() || seqtest.Race() {
		rounds = 500
	}
	g, m := build(t, map[string]Node{"g": {Min: 2}}, "a>b", "b>g", "c>g", "g>d")
	churn := make([]itsm.ID, 30)
	for i := range churn {
		churn[i] = testID(fmt.Sprintf("c%02d", i))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				res := g.Analyse([]Failure{{Node: testID("a"), Health: Down}})
				h := healths(res)
				if h != "a:down b:down g:down d:down" && h != "a:down b:down g:down d:down e:down" {
					errs <- fmt.Sprintf("the stable part: %q", h)
					return
				}
				if p := path(res, "d"); p != "a b g d" {
					errs <- fmt.Sprintf("the path to d: %q", p)
					return
				}
				// The churning part, for the race detector: its answers are
				// checked against the reference below, between changes.
				g.Analyse([]Failure{{Node: churn[r.IntN(len(churn))], Health: Health(1 + r.IntN(2))}}).Affected()
			}
		})
	}
	r := rand.New(rand.NewPCG(rand.Uint64(), 2))
	for i := range rounds {
		from, to := churn[r.IntN(len(churn))], churn[r.IntN(len(churn))]
		e := Effect(r.IntN(2))
		switch r.IntN(6) {
		case 0:
			n := Node{Min: r.IntN(3)}
			g.SetNode(from, n)
			m.setNode(from, n)
		case 1:
			g.RemoveNode(from)
			m.removeNode(from)
		case 2:
			g.RemoveEdge(from, to, e)
			m.removeEdge(from, to, e)
		default:
			g.AddEdge(from, to, e)
			m.addEdge(from, to, e)
		}
		if i%2 == 0 {
			g.AddEdge(testID("d"), testID("e"), Full)
			m.addEdge(testID("d"), testID("e"), Full)
		} else {
			g.RemoveEdge(testID("d"), testID("e"), Full)
			m.removeEdge(testID("d"), testID("e"), Full)
		}
		if i%50 == 0 {
			f := []Failure{{Node: from, Health: Down}, {Node: to, Health: Degraded}}
			if msg := m.verify(f, g.Analyse(f), testName); msg != "" {
				t.Errorf("round %d: %s", i, msg)
			}
			if msg := consistent(g, m); msg != "" {
				t.Errorf("round %d: %s", i, msg)
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
