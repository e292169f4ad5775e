package impact

import (
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

func (w *world) add(layer int, n Node) int32 {
	var id itsm.ID
	binary.BigEndian.PutUint64(id[:8], w.r.Uint64())
	binary.BigEndian.PutUint64(id[8:], w.r.Uint64()|1)
	i := int32(len(w.ids))
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

// layered generates a municipality's CMDB of n nodes and e edges, the
// shape a real one has, bottom up:
//
//   - sites (one per 2,500 nodes), each with two core routers behind a
//     redundant pair (Min 1), ten distribution switches and fifty access
//     switches, half of them with two uplinks (network links from two
//     distribution switches, in a group of Min 1), half with one;
//   - physical servers (12 %) at a site, on an access switch, with a
//     second network connection (weaken); a fifth of them hypervisor
//     hosts, in clusters of eight across the two sites of a region
//     (Min 6);
//   - virtual servers on the hypervisor clusters, some in application
//     clusters of three (Percent 50) and database clusters of two (Min 1);
//   - databases (12 %) on database clusters or virtual servers;
//   - applications (30 %), each but the platform's twenty of one business
//     service's domain, on an
//     application cluster or a virtual server, most with a database
//     (full), a third signing in through one of three identity services
//     (full) and a third using one of the integration platforms (weaken),
//     and, to reach e edges, each using others of its domain (weaken,
//     with cycles);
//   - business services (1 %), each needing two applications of its
//     domain and using up to eight more.
//
// About 10 % of the nodes are members of a redundancy group.
func layered(n, e int, seed uint64) *world {
	w := &world{r: rand.New(rand.NewPCG(seed, 18))}
	sites := max(2, n/2500)
	access := make([][]int32, sites)
	for s := range sites {
		site := w.add(layerSite, Node{})
		pair := w.add(layerNetwork, Node{Min: 1})
		for range 2 {
			core := w.add(layerNetwork, Node{})
			w.edge(site, core, Full)
			w.edge(core, pair, Full)
		}
		dist := make([]int32, 10)
		for j := range dist {
			dist[j] = w.add(layerNetwork, Node{})
			w.edge(site, dist[j], Full)
			w.edge(pair, dist[j], Full)
		}
		for j := range 50 {
			a := w.add(layerNetwork, Node{})
			w.edge(site, a, Full)
			if j%2 == 0 {
				up := w.add(layerNetwork, Node{Min: 1})
				for k := range 2 {
					link := w.add(layerNetwork, Node{})
					w.edge(dist[(j+k)%10], link, Full)
					w.edge(link, up, Full)
				}
				w.edge(up, a, Full)
			} else {
				link := w.add(layerNetwork, Node{})
				w.edge(dist[j%10], link, Full)
				w.edge(link, a, Full)
			}
			access[s] = append(access[s], a)
		}
	}

	physical := n * 12 / 100
	hostsByRegion := make([][]int32, (sites+1)/2)
	for i := range physical {
		s := i % sites
		srv := w.add(layerServer, Node{})
		w.edge(w.byLayer[layerSite][s], srv, Full)
		w.edge(w.pick(access[s]), srv, Full)
		w.edge(w.pick(access[s]), srv, Weaken)
		if i%5 == 0 {
			hostsByRegion[s/2] = append(hostsByRegion[s/2], srv)
		}
	}
	var hypervisors []int32
	for _, hosts := range hostsByRegion {
		w.r.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
		for c := range slices.Chunk(hosts, 8) {
			cl := w.add(layerCluster, Node{Min: max(1, len(c)-2)})
			for _, h := range c {
				w.edge(h, cl, Full)
			}
			hypervisors = append(hypervisors, cl)
		}
	}

	appClusters, dbClusters := n/100, n*13/1000
	databases, applications, services := n*12/100, n*30/100, n/100
	vms := n - len(w.ids) - appClusters - dbClusters - databases - applications - services
	if vms < 3*appClusters+2*dbClusters {
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
		appCl = append(appCl, cluster(3, Node{Percent: 50}))
	}
	for range dbClusters {
		dbCl = append(dbCl, cluster(2, Node{Min: 1}))
	}

	for i := range databases {
		db := w.add(layerDatabase, Node{})
		host := w.pick(free)
		if i < 3*len(dbCl) {
			host = dbCl[i/3]
		}
		w.edge(host, db, Full)
	}
	domains := make([][]int32, services)
	for i := range applications {
		app := w.add(layerApplication, Node{})
		host := w.pick(free)
		if i < 3*len(appCl) {
			host = appCl[i/3]
		}
		w.edge(host, app, Full)
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
	// A site's failure reaches its servers and degrades what the
	// clusters keep running.
	r := g.Analyse([]Failure{{Node: w.ids[w.byLayer[layerSite][0]], Health: Down}})
	var down, degraded int
	for _, a := range r.Affected() {
		if a.Health == Down {
			down++
		} else {
			degraded++
		}
	}
	if down < 100 || degraded < 100 {
		t.Errorf("a site down: %d down, %d degraded", down, degraded)
	}
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
		for _, a := range g.out[b.queue[q]] {
			if b.seen[a.to] != b.epoch {
				b.seen[a.to] = b.epoch
				b.queue = append(b.queue, a.to)
			}
		}
	}
	return len(b.queue)
}

func p99(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*99/100)]
}

// BenchmarkAnalyse measures one failed node's analysis (Analyse and its
// Affected list) on the layered CMDB of 100,000 nodes and 300,000 edges:
// the 99th percentile over b.N random nodes ("any": drawn from all nodes;
// the others from one layer), against the baseline of a plain
// breadth-first search from the same nodes in the same run (what the
// rules cost beyond walking the edges).
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
			sample := make([]int32, max(b.N, 1000))
			for i := range sample {
				sample[i] = from[r.IntN(len(from))]
			}
			var base bfs
			baseline := make([]time.Duration, len(sample))
			for i, v := range sample {
				start := time.Now()
				base.reach(g, g.index[w.ids[v]])
				baseline[i] = time.Since(start)
			}
			d := make([]time.Duration, 0, b.N)
			affected := 0
			f := make([]Failure, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f[0] = Failure{Node: w.ids[sample[i]], Health: Down}
				start := time.Now()
				affected += len(g.Analyse(f).Affected())
				d = append(d, time.Since(start))
			}
			b.StopTimer()
			worst := slices.Max(d)
			p, bp := p99(d), p99(baseline)
			b.ReportMetric(float64(p.Nanoseconds()), "p99-ns/op")
			b.ReportMetric(float64(bp.Nanoseconds()), "bfs-p99-ns/op")
			b.ReportMetric(float64(p)/float64(bp), "p99/bfs")
			b.ReportMetric(float64(worst.Nanoseconds()), "max-ns/op")
			b.ReportMetric(float64(affected)/float64(b.N), "affected/op")
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
