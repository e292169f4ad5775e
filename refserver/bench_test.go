package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
)

const (
	// The comparison with the baseline runs as many operations as the timed
	// loop, but at least benchMinOps unless that takes longer than
	// benchMinTime, so that -benchtime 1x (what CI runs) still compares more
	// than one of each; the rule of storetest.Benchmark.
	benchMinOps  = 20
	benchMinTime = 200 * time.Millisecond
	// The comparison runs the server and its baseline in turns of this many
	// operations each, so that load from elsewhere on the machine hits both
	// alike; the rule of incident's BenchmarkLifecycle. A GET turn is
	// longer because a GET is a hundred times cheaper than an fsync'd
	// registration.
	benchGetChunk      = 200
	benchRegisterChunk = 10
)

// BenchmarkServer measures the reference server's two targets of issue 6,
// each as a rate against a baseline measured in the same run on the same
// machine, over real TCP on loopback with keep-alive clients. The server is
// the whole process as run builds it (flags aside: --addr 127.0.0.1:0 and a
// new SQLite file in b.TempDir() with the default options), its log going
// to io.Discard; every request carries a desk agent's bearer token.
//
//   - GetIncident: GET /v1/incidents/{id} of one registered incident, through
//     authentication (two store reads), kin-openapi's request validation,
//     the strict handler, the incident read and the metrics and log
//     middleware, from GOMAXPROCS keep-alive clients at once. The baseline
//     is a bare net/http server (same limits and timeouts) whose handler
//     encodes the same incident from a Go value on every request, with the
//     same headers; the setup checks that both answer the same bytes.
//     x_bare is the server's requests/s over the bare server's: the target
//     is x_bare ≥ 0.5.
//   - RegisterIncident: POST /v1/incidents from one client, one request
//     after another. The baseline is sqlitestore's single write on a new
//     file of its own with the same options: one Write that Puts one record,
//     the record a registration stores (body and index values byte for byte,
//     under a new ID and number). x_raw is the server's registrations/s over
//     the baseline's writes/s: the target is x_raw ≥ 0.5.
//
// Each times the server over b.N requests, then, with the timer stopped,
// compares server and baseline in turns over as many operations (at least
// 20 unless that takes 200ms); the ratio comes from the turns, both sides
// driven by the same client code. The turns also report the process's CPU
// time per operation on each side (cpu_us/req and bare_cpu_us/req,
// x_bare_cpu; cpu_us/op and raw_cpu_us/op), clients included: on a machine
// that other processes load, x_bare_cpu is what x_bare would be on an idle
// one, and for registrations it tells the server's CPU apart from the wait
// for the disk.
//
// GETs come from GOMAXPROCS clients because the target is a rate of reads,
// which the server serves in parallel: that many keep the CPUs busy without
// measuring a queue. Registrations come from one client because the target
// is the single-write rate: SQLite takes one writer at a time, and parallel
// clients would let a request's CPU hide behind another's fsync.
func BenchmarkServer(b *testing.B) {
	b.Run("GetIncident", benchGetIncident)
	b.Run("RegisterIncident", benchRegisterIncident)
}

func benchGetIncident(b *testing.B) {
	w := newBenchWorld(b)
	id := w.register(b)
	url := w.base + "/v1/incidents/" + id.String()
	want := w.fetch(b, url)
	var inc incident.Incident
	if err := json.Unmarshal(want, &inc); err != nil {
		b.Fatalf("decode the incident: %v", err)
	}
	etag := httpapi.ETag(inc.Version)
	bareURL := startBare(b, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("ETag", etag)
		rw.WriteHeader(http.StatusOK)
		if err := json.NewEncoder(rw).Encode(&inc); err != nil {
			log.Printf("bare handler: %v", err)
		}
	})) + "/v1/incidents/" + id.String()
	// An honest baseline does the same work on the wire: the same document,
	// byte for byte.
	if got := w.fetch(b, bareURL); !bytes.Equal(got, want) {
		b.Fatalf("the bare handler answers\n%s\nthe server\n%s", got, want)
	}

	workers := runtime.GOMAXPROCS(0)
	server, bare := newBenchClient(workers), newBenchClient(workers)
	get := func(c *benchClient, url string) func() error {
		return func() error { return c.send(http.MethodGet, url, w.secret, nil, http.StatusOK) }
	}
	var failed asynctest.FirstErr
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			failed.Set(server.send(http.MethodGet, url, w.secret, nil, http.StatusOK))
		}
	})
	d := time.Since(start)
	b.StopTimer()
	if err := failed.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/d.Seconds(), "req/s")
	rates, cpu := inTurns(b, workers, benchGetChunk, get(server, url), get(bare, bareURL))
	b.ReportMetric(rates[1], "bare_req/s")
	b.ReportMetric(rates[0]/rates[1], "x_bare")
	b.ReportMetric(cpu[0], "cpu_us/req")
	b.ReportMetric(cpu[1], "bare_cpu_us/req")
	b.ReportMetric(cpu[1]/cpu[0], "x_bare_cpu")
}

func benchRegisterIncident(b *testing.B) {
	w := newBenchWorld(b)
	body := w.registration()
	post := func() error {
		return w.client.send(http.MethodPost, w.base+"/v1/incidents", w.secret, body, http.StatusCreated)
	}

	// The record a registration stores, read from the server's file by a
	// second handle, as another process may.
	id := w.register(b)
	var rec itsm.Record
	peek := backendtest.SQLite(b, w.db, sqlitestore.Options{})
	err := peek.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		rec, err = tx.Get(incident.Kind, id)
		return err
	})
	if cerr := peek.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatalf("read the registered incident: %v", err)
	}
	raw := backendtest.SQLite(b, filepath.Join(b.TempDir(), "raw.db"), sqlitestore.Options{})
	var k atomic.Int64
	write := func() error {
		r := rec
		r.ID, r.Version = itsm.NewID(), 0
		r.Unique = map[string]string{incident.IndexNumber: fmt.Sprintf("RAW%07d", k.Add(1))}
		return raw.Write(context.Background(), func(tx itsm.WriteTx) error {
			_, err := tx.Put(r)
			return err
		})
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := post(); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/d.Seconds(), "incidents/s")
	b.ReportMetric(float64(len(rec.Body)), "record_bytes")
	rates, cpu := inTurns(b, 1, benchRegisterChunk, post, write)
	b.ReportMetric(rates[1], "raw_writes/s")
	b.ReportMetric(rates[0]/rates[1], "x_raw")
	b.ReportMetric(cpu[0], "cpu_us/op")
	b.ReportMetric(cpu[1], "raw_cpu_us/op")
}

// benchWorld is a running server with a desk, a customer and a desk agent's
// token.
type benchWorld struct {
	base, db, secret string
	customer         itsm.ID
	client           *benchClient
}

// newBenchWorld runs the server in-process on a new SQLite file and sets up
// through its API what a desk agent needs to register incidents.
func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	db := filepath.Join(b.TempDir(), "spoc.db")
	admin := auth.NewSecret()
	getenv := func(k string) string {
		if k == auth.EnvAdminToken {
			return admin
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{line: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", db}, getenv, out, io.Discard) }()
	w := &benchWorld{db: db, client: newBenchClient(1)}
	select {
	case line := <-out.line:
		w.base = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	case err := <-done:
		cancel()
		b.Fatalf("the server stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		b.Fatal("the server did not print its URL within 30s")
	}
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("the server: %v", err)
		}
	})
	if w.base == "" {
		b.Fatalf("the server printed no URL: %q", out.String())
	}

	ctx = context.Background()
	c, err := client.NewClientWithResponses(w.base, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+admin)
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	desk, err := c.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: "Service Desk", Role: itsm.OrgDesk})
	if err != nil || desk.JSON201 == nil {
		b.Fatalf("create the desk: %v", err)
	}
	city, err := c.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: "City", Role: itsm.OrgCustomer})
	if err != nil || city.JSON201 == nil {
		b.Fatalf("create the customer: %v", err)
	}
	w.customer = city.JSON201.ID
	g, err := c.GrantPermissionsWithResponse(ctx, desk.JSON201.ID, api.Rights{Domain: itsm.DomainIncident,
		Access: []api.Access{api.AccessRead, api.AccessWrite}})
	if err != nil || g.JSON200 == nil {
		b.Fatalf("grant the desk: %v", err)
	}
	tok, err := c.IssueTokenWithResponse(ctx, api.TokenInput{Name: "dana's",
		Actor: itsm.Actor{Organisation: desk.JSON201.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}})
	if err != nil || tok.JSON201 == nil {
		b.Fatalf("issue the agent's token: %v", err)
	}
	w.secret = tok.JSON201.Secret
	return w
}

// registration is the body of every registration: the P3 incident of
// incident's BenchmarkLifecycle.
func (w *benchWorld) registration() []byte {
	return fmt.Appendf(nil, `{"customer":%q,"caller":{"person":"ulla","name":"Ulla User","contact":"+46701234567"},`+
		`"channel":"phone","service":"school network","category":"network","summary":"Wifi down in the north wing",`+
		`"description":"The user says the wifi in the north wing of the school is down since this morning; the classrooms cannot reach the learning platform.",`+
		`"impact":2,"urgency":2}`, w.customer)
}

// register registers one incident and returns its ID.
func (w *benchWorld) register(b *testing.B) itsm.ID {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, w.base+"/v1/incidents", bytes.NewReader(w.registration()))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var inc incident.Incident
	if err := json.NewDecoder(resp.Body).Decode(&inc); err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	return inc.ID
}

// fetch returns the body of a GET of url that must answer 200.
func (w *benchWorld) fetch(b *testing.B, url string) []byte {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.secret)
	resp, err := w.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, body)
	}
	return body
}

// startBare serves h as run serves the API, with the same limits and
// timeouts, on a listener of its own, and returns its base URL.
func startBare(b *testing.B, h http.Handler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: h, MaxHeaderBytes: MaxHeaderBytes, ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout: ReadTimeout, WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = hs.Serve(ln) }()
	b.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// benchClient keeps one connection alive per worker.
type benchClient struct{ *http.Client }

func newBenchClient(workers int) *benchClient {
	return &benchClient{&http.Client{Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}}
}

// send makes one request and reads the whole answer, so that its
// connection goes back to the pool; a status other than want is an error.
func (c *benchClient) send(method, url, secret string, body []byte, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	return err
}

// inTurns runs each of sides in turns of chunk operations, from workers
// goroutines at once, until each has run b.N operations, and at least
// benchMinOps unless that took benchMinTime. It returns each side's
// operations per second, and the process's CPU time (user and system, from
// getrusage) per operation, which the load of other processes on the
// machine does not inflate as it does the rates.
func inTurns(b *testing.B, workers, chunk int, sides ...func() error) (rates, cpu []float64) {
	b.Helper()
	took := make([]time.Duration, len(sides))
	used := make([]time.Duration, len(sides))
	done := 0
	for start := time.Now(); done < b.N || (done < benchMinOps && time.Since(start) < benchMinTime); {
		n := chunk
		if done < b.N {
			n = min(n, b.N-done)
		}
		for i, op := range sides {
			c0 := cpuTime(b)
			d, err := runOps(workers, n, op)
			if err != nil {
				b.Fatal(err)
			}
			took[i] += d
			used[i] += cpuTime(b) - c0
		}
		done += n
	}
	rates, cpu = make([]float64, len(sides)), make([]float64, len(sides))
	for i := range sides {
		rates[i] = float64(done) / took[i].Seconds()
		cpu[i] = float64(used[i].Microseconds()) / float64(done)
	}
	return rates, cpu
}

// cpuTime returns the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runOps calls op n times from workers goroutines and returns the time it
// took and the first error.
func runOps(workers, n int, op func() error) (time.Duration, error) {
	var next atomic.Int64
	var failed asynctest.FirstErr
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := op(); err != nil {
					failed.Set(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), failed.Err()
}
