package impact

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The layers of the generated CMDB, from the bottom up.
const (
	layerSite = iota
	layerNetwork
	layerServer
	layerCluster
	layerApplication
	layerDatabase
	layerService
	layers
)

var layerNames = [layers]string{"site", "network", "server", "cluster", "application", "database", "service"}

// world is a generated CMDB as the graph's nodes and edges, with the
// layer of each node.
type world struct {
	ids     []itsm.ID
	nodes   []Node
	layer   []uint8
	edges   []genEdge
	byLayer [layers][]int32
	members int // nodes with an edge into a group
	r       *rand.Rand
}

type genEdge struct {
	from, to int32
	e        Effect
}

// add adds a node. Its ID is a version 7 UUID, as spoc's are, made as if
// the items had been registered one after another over five years from
// 2021.
func (w *world) add(layer int, n Node) int32 {
	i := int32(len(w.ids))
	ms := 1_609_459_200_000 + uint64(i)*1_500_000 + w.r.Uint64N(1_500_000)
	var id itsm.ID
	binary.BigEndian.PutUint64(id[:8], ms<<16|0x7000|w.r.Uint64()&0x0fff)
	binary.BigEndian.PutUint64(id[8:], w.r.Uint64()&(1<<62-1)|1<<63)
	w.ids, w.nodes, w.layer = append(w.ids, id), append(w.nodes, n), append(w.layer, uint8(layer))
	w.byLayer[layer] = append(w.byLayer[layer], i)
	return i
}

func (w *world) edge(from, to int32, e Effect) {
	w.edges = append(w.edges, genEdge{from, to, e})
	if w.nodes[to].group() {
		w.members++ // every generated member has one edge into its group
	}
}

func (w *world) pick(from []int32) int32 { return from[w.r.IntN(len(from))] }

// layered generates a municipality's CMDB of n nodes and e edges, in the
// shape a real one has, bottom up:
//
//   - offices, schools and care homes (one site per 700 nodes), each with
//     a router behind one WAN link or, at every other site, two in a
//     group (Min 1), a core switch and 5 to 40 access switches (their
//     workstations and phones are not in the graph: they affect nothing);
//   - two data centres, each with two core switches in a group (Min 1)
//     and forty top-of-rack switches;
//   - physical servers (4 %) in the data centres, each on one rack switch
//     and connected to a second (weaken); a fifth of them hypervisor
//     hosts, in clusters of eight across both data centres (Min 4: a
//     cluster survives the loss of a data centre);
//   - virtual servers (the rest) on the hypervisor clusters, some of them
//     in application clusters of three or four (Percent 50) and database
//     clusters of two (Min 1);
//   - databases (12 %) on the database clusters or on virtual servers;
//   - applications (30 %) on application clusters or virtual servers,
//     most with a database (full), a third signing in through one of
//     three identity services (full) and a third using one of seventeen
//     integration platforms (weaken); these twenty are the platform, the
//     others each of one business service's domain, in which each uses
//     others (weaken, cycles too) until the graph has e edges;
//   - business services (1 %), each needing two applications of its
//     domain and using up to eight more.
//
// About 10 % of the nodes are members of a redundancy group. A failure
// reaches thousands of nodes from the data centres' network, the
// hypervisor hosts and what the platform runs on: about one node in a
// hundred.
func layered(n, e int, seed uint64) *world {
	w := &world{r: rand.New(rand.NewPCG(seed, 18))}
	for o := range max(1, n/700) {
		site := w.add(layerSite, Node{})
		router := w.add(layerNetwork, Node{})
		w.edge(site, router, Full)
		if o%2 == 0 {
			wan := w.add(layerNetwork, Node{Min: 1})
			for range 2 {
				link := w.add(layerNetwork, Node{})
				w.edge(site, link, Full)
				w.edge(link, wan, Full)
			}
			w.edge(wan, router, Full)
		} else {
			link := w.add(layerNetwork, Node{})
			w.edge(site, link, Full)
			w.edge(link, router, Full)
		}
		core := w.add(layerNetwork, Node{})
		w.edge(site, core, Full)
		w.edge(router, core, Full)
		for range 5 + w.r.IntN(36) {
			access := w.add(layerNetwork, Node{})
			w.edge(site, access, Full)
			w.edge(core, access, Full)
		}
	}

	var dcs [2]int32
	var racks [2][]int32
	for d := range dcs {
		dcs[d] = w.add(layerSite, Node{})
		pair := w.add(layerNetwork, Node{Min: 1})
		for range 2 {
			core := w.add(layerNetwork, Node{})
			w.edge(dcs[d], core, Full)
			w.edge(core, pair, Full)
		}
		for range 40 {
			tor := w.add(layerNetwork, Node{})
			w.edge(dcs[d], tor, Full)
			w.edge(pair, tor, Full)
			racks[d] = append(racks[d], tor)
		}
	}
	var hosts []int32
	for i := range n * 4 / 100 {
		d := i % 2
		srv := w.add(layerServer, Node{})
		w.edge(dcs[d], srv, Full)
		w.edge(w.pick(racks[d]), srv, Full)
		w.edge(w.pick(racks[d]), srv, Weaken)
		if i/2%5 == 0 {
			hosts = append(hosts, srv)
		}
	}
	var hypervisors []int32
	for c := range slices.Chunk(hosts, 8) { // alternately in each data centre
		cl := w.add(layerCluster, Node{Min: max(1, len(c)/2)}) // survives a data centre
		for _, h := range c {
			w.edge(h, cl, Full)
		}
		hypervisors = append(hypervisors, cl)
	}

	appClusters, dbClusters := n*15/1000, n*18/1000
	databases, applications, services := n*12/100, n*30/100, n/100
	vms := n - len(w.ids) - appClusters - dbClusters - databases - applications - services
	if vms < 4*appClusters+2*dbClusters {
		panic(fmt.Sprintf("layered: %d nodes leave %d virtual servers", n, vms))
	}
	var free []int32
	for range vms {
		vm := w.add(layerServer, Node{})
		w.edge(w.pick(hypervisors), vm, Full)
		free = append(free, vm)
	}
	cluster := func(k int, n Node) int32 {
		cl := w.add(layerCluster, n)
		for _, vm := range free[:k] {
			w.edge(vm, cl, Full)
		}
		free = free[k:]
		return cl
	}
	var appCl, dbCl []int32
	for range appClusters {
		appCl = append(appCl, cluster(3+w.r.IntN(2), Node{Percent: 50}))
	}
	for range dbClusters {
		dbCl = append(dbCl, cluster(2, Node{Min: 1}))
	}

	// hosted adds the i-th node of a layer, running on the clusters, per
	// on each, while they last, then on a virtual server.
	hosted := func(layer, i int, clusters []int32, per int) int32 {
		n := w.add(layer, Node{})
		host := w.pick(free)
		if i < per*len(clusters) {
			host = clusters[i/per]
		}
		w.edge(host, n, Full)
		return n
	}
	for i := range databases {
		hosted(layerDatabase, i, dbCl, 2)
	}
	domains := make([][]int32, services)
	for i := range applications {
		app := hosted(layerApplication, i, appCl, 3)
		if i < 20 {
			continue // the platform, of no domain: identity (0-2) and integration (3-19)
		}
		domains[i%services] = append(domains[i%services], app)
		apps := w.byLayer[layerApplication]
		if w.r.IntN(10) < 7 {
			w.edge(w.pick(w.byLayer[layerDatabase]), app, Full)
		}
		if w.r.IntN(3) == 0 {
			w.edge(w.pick(apps[:3]), app, Full)
		}
		if w.r.IntN(3) == 0 {
			w.edge(w.pick(apps[3:20]), app, Weaken)
		}
	}
	for _, apps := range domains {
		svc := w.add(layerService, Node{})
		k := min(len(apps), 2+w.r.IntN(9))
		for j, a := range apps[:k] {
			w.edge(a, svc, Effect(min(j/2, 1)))
		}
	}
	for len(w.edges) < e {
		apps := domains[w.r.IntN(len(domains))]
		if a, b := w.pick(apps), w.pick(apps); a != b {
			w.edge(b, a, Weaken)
		}
	}
	if len(w.ids) != n || len(w.edges) != e {
		panic(fmt.Sprintf("layered: %d nodes and %d edges, asked for %d and %d", len(w.ids), len(w.edges), n, e))
	}
	return w
}

// graph builds the world's graph as the cmdb package would from its
// items: every node set, then every edge added.
func (w *world) graph() *Graph {
	g := New()
	for i, id := range w.ids {
		g.SetNode(id, w.nodes[i])
	}
	for _, e := range w.edges {
		g.AddEdge(w.ids[e.from], w.ids[e.to], e.e)
	}
	return g
}

// benchSize is the target's 100,000 nodes and 300,000 edges, a tenth of
// it under -short.
func benchSize() (nodes, edges int) {
	if testing.Short() {
		return 10_000, 30_000
	}
	return 100_000, 300_000
}

var shared struct {
	sync.Mutex
	n     int
	world *world
	graph *Graph
}

// sharedWorld is the generated world and its graph, made once per size.
func sharedWorld() (*world, *Graph) {
	n, e := benchSize()
	shared.Lock()
	defer shared.Unlock()
	if shared.n != n {
		shared.n, shared.world = n, layered(n, e, 42)
		shared.graph = shared.world.graph()
	}
	return shared.world, shared.graph
}

// TestLayeredWorld checks the generator: the sizes asked for, a tenth of
// the nodes in groups, every layer present, and the graph built from it
// agreeing with its bookkeeping.
func TestLayeredWorld(t *testing.T) {
	w := layered(10_000, 30_000, 1)
	if share := float64(w.members) / float64(len(w.ids)); share < 0.09 || share > 0.11 {
		t.Errorf("%.1f %% of the nodes in groups", 100*share)
	}
	for l, nodes := range w.byLayer {
		if len(nodes) == 0 {
			t.Errorf("no %s", layerNames[l])
		}
	}
	g := w.graph()
	if n, e := g.Len(); n != 10_000 || e != 30_000 {
		t.Errorf("Len %d, %d", n, e)
	}
	// A data centre's failure takes down its servers; the clusters across
	// both data centres hold their quorum, at risk, and keep what runs on
	// them running.
	sites := w.byLayer[layerSite]
	r := g.Analyse([]Failure{{Node: w.ids[sites[len(sites)-1]], Health: Down}})
	var down, degraded, atRisk int
	for _, a := range r.Affected() {
		switch {
		case a.Health == Down:
			down++
		case a.AtRisk:
			atRisk++
		default:
			degraded++
		}
	}
	if down < 100 || atRisk < 5 {
		t.Errorf("a data centre down: %d down, %d degraded, %d at risk", down, degraded, atRisk)
	}
	t.Logf("a data centre down: %d down, %d degraded, %d at risk", down, degraded, atRisk)
}

// bfs is the baseline of an analysis: the nodes reachable from one along
// the same arcs, breadth-first, with none of the rules (effects, groups,
// explanations, order).
type bfs struct {
	seen  []uint32
	epoch uint32
	queue []int32
}

func (b *bfs) reach(g *Graph, from int32) int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if len(b.seen) < len(g.ids) {
		b.seen = make([]uint32, len(g.ids))
	}
	b.epoch++
	b.queue = append(b.queue[:0], from)
	b.seen[from] = b.epoch
	for q := 0; q < len(b.queue); q++ {
		for _, a := range g.arcs.list(g.out[b.queue[q]]) {
			if t := a.to(); b.seen[t] != b.epoch {
				b.seen[t] = b.epoch
				b.queue = append(b.queue, t)
			}
		}
	}
	return len(b.queue)
}

// percentile returns the q-th quantile of d, which it sorts.
func percentile(d []time.Duration, q float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// BenchmarkAnalyse measures one failed node's analysis (Analyse and its
// Affected list) on the layered CMDB of 100,000 nodes and 300,000 edges,
// over b.N random nodes: "any" drawn from all nodes, the others from one
// layer. Its baseline is a plain breadth-first search from the same node
// along the same arcs, run just before each analysis so that both see
// the same machine (ns/op counts both; the metrics separate them): the
// ratio is what the rules, the explanations and the order cost beyond
// walking the edges.
//
// Metrics: the 50th and 99th percentiles and the worst of the analyses,
// the baseline's 99th percentile and the ratio of the two, the mean
// number of nodes affected, the number affected by the analysis at the
// 99th percentile (which says what kind of failure sets it), and the
// share of analyses over the target's millisecond.
func BenchmarkAnalyse(b *testing.B) {
	w, g := sharedWorld()
	b.Logf("%d nodes, %d edges, %d members of groups", len(w.ids), len(w.edges), w.members)
	all := make([]int32, len(w.ids))
	for i := range all {
		all[i] = int32(i)
	}
	for l := -1; l < layers; l++ {
		name, from := "any", all
		if l >= 0 {
			name, from = layerNames[l], w.byLayer[l]
		}
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(7, uint64(l+1)))
			var base bfs
			type op struct {
				d        time.Duration
				affected int
			}
			ops := make([]op, 0, b.N)
			baseline := make([]time.Duration, 0, b.N)
			f := make([]Failure, 1)
			total := 0
			b.ReportAllocs()
			for range b.N {
				v := from[r.IntN(len(from))]
				start := time.Now()
				base.reach(g, g.index[w.ids[v]])
				baseline = append(baseline, time.Since(start))
				f[0] = Failure{Node: w.ids[v], Health: Down}
				start = time.Now()
				n := len(g.Analyse(f).Affected())
				ops = append(ops, op{time.Since(start), n})
				total += n
			}
			slices.SortFunc(ops, func(a, b op) int { return cmp.Compare(a.d, b.d) })
			at := func(q float64) op { return ops[min(len(ops)-1, int(q*float64(len(ops))))] }
			p99, bp99 := at(0.99), percentile(baseline, 0.99)
			b.ReportMetric(float64(at(0.5).d.Nanoseconds()), "p50-ns/op")
			b.ReportMetric(float64(p99.d.Nanoseconds()), "p99-ns/op")
			b.ReportMetric(float64(ops[len(ops)-1].d.Nanoseconds()), "max-ns/op")
			b.ReportMetric(float64(bp99.Nanoseconds()), "bfs-p99-ns/op")
			b.ReportMetric(float64(p99.d)/float64(bp99), "p99/bfs")
			b.ReportMetric(float64(total)/float64(b.N), "affected/op")
			b.ReportMetric(float64(p99.affected), "p99-affected")
			over, _ := slices.BinarySearchFunc(ops, time.Millisecond, func(o op, d time.Duration) int { return cmp.Compare(o.d, d) })
			b.ReportMetric(100*float64(len(ops)-over)/float64(len(ops)), "%>1ms")
		})
	}
}

// BenchmarkBuild measures building the graph of the layered CMDB of
// 100,000 nodes and 300,000 edges from its list of nodes and edges (the
// in-memory part of building it from the store), against the baseline
// of the same IDs put into a map and plain adjacency lists.
func BenchmarkBuild(b *testing.B) {
	w, _ := sharedWorld()
	var baseline time.Duration
	{
		start := time.Now()
		index := make(map[itsm.ID]int32)
		adj := make([][]int32, 0)
		for _, id := range w.ids {
			index[id] = int32(len(adj))
			adj = append(adj, nil)
		}
		for _, e := range w.edges {
			f := index[w.ids[e.from]]
			adj[f] = append(adj[f], index[w.ids[e.to]])
		}
		baseline = time.Since(start)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.graph()
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/build")
	b.ReportMetric(float64(per)/float64(baseline), "build/baseline")
}
