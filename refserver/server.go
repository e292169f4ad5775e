package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/problem"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
)

// Limits of what a client may send, and how long the server waits for it.
// They bound the memory and the connections one slow or hostile client can
// hold.
const (
	MaxHeaderBytes    = 64 << 10
	MaxBodyBytes      = 1 << 20
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// ShutdownGrace is how long requests in flight get to finish after a
	// signal before their connections are closed.
	ShutdownGrace = 15 * time.Second
)

// The environment variables that stand for flags, for deployments that pass
// no arguments; a flag given wins.
const (
	// EnvWebhookAllow is --webhook-allow's.
	EnvWebhookAllow = "SPOC_WEBHOOK_ALLOW"
	// EnvWebhookMaxPerOrg is --webhook-max-per-org's.
	EnvWebhookMaxPerOrg = "SPOC_WEBHOOK_MAX_PER_ORG"
)

// options are the command line's.
type options struct {
	addr string
	db   string
	demo bool
	// hookAllow is the allow-list of webhook destinations besides public
	// addresses, and hookMax the most subscriptions per organisation.
	hookAllow netguard.Policy
	hookMax   int
	// fulfiller and verifier are the host's code for orders of type A and
	// for the secret answers of forms (httpapi.Hooks); no flag sets them,
	// so the server on its own fulfils nothing in code.
	fulfiller request.Fulfiller
	verifier  request.Verifier
	// model is the CMDB's model, read from --cmdb-model; the zero Model
	// is cmdb.DefaultModel().
	model cmdb.Model
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&o.db, "db", "spoc.db", "SQLite file, or a postgres:// URL for PostgreSQL")
	fs.BoolVar(&o.demo, "demo", false, "seed a new database with a desk, a customer, two suppliers, calendars, agreements, three months of incident history and today's incidents, and print tokens to try them; webhooks may then reach loopback addresses")
	allow := getenv(EnvWebhookAllow)
	fs.StringVar(&allow, "webhook-allow", allow, "networks (CIDR), addresses and host names that webhook receivers may have besides public addresses, comma-separated, such as 10.20.0.0/16,hooks.internal (or $"+EnvWebhookAllow+")")
	o.hookMax = webhook.DefaultMaxPerOwner
	if env := getenv(EnvWebhookMaxPerOrg); env != "" {
		n, err := strconv.Atoi(env)
		if err != nil || n < 1 {
			return o, fmt.Errorf("%s=%q is not a whole number of at least 1", EnvWebhookMaxPerOrg, env)
		}
		o.hookMax = n
	}
	fs.IntVar(&o.hookMax, "webhook-max-per-org", o.hookMax, "the most webhook subscriptions an organisation may hold (or $"+EnvWebhookMaxPerOrg+")")
	var modelFile string
	fs.StringVar(&modelFile, "cmdb-model", "", "JSON file of the CMDB's classes and relation types (its schema: /schemas/cmdb.model.json); without it, the default model of a municipality")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	if o.hookAllow, err = netguard.Parse(allow); err != nil {
		from := "$" + EnvWebhookAllow
		if given["webhook-allow"] {
			from = "--webhook-allow"
		}
		return o, fmt.Errorf("%s: %w", from, err)
	}
	if o.hookMax < 1 {
		return o, fmt.Errorf("--webhook-max-per-org %d: at least 1", o.hookMax)
	}
	if modelFile != "" {
		if o.model, err = readModel(modelFile); err != nil {
			return o, fmt.Errorf("--cmdb-model %s: %w", modelFile, err)
		}
	}
	return o, nil
}

// readModel reads the CMDB's model from the JSON file at path, strictly
// (cmdb.LoadModel), so that a typo in a deployment's model stops the
// server at its start rather than refusing items later.
func readModel(path string) (cmdb.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return cmdb.Model{}, err
	}
	defer f.Close()
	return cmdb.LoadModel(f)
}

// openStore opens the store the --db flag names.
func openStore(ctx context.Context, db string) (itsm.Store, string, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		s, err := pgstore.Open(ctx, db, pgstore.Options{})
		return s, "postgresql", err
	}
	s, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
	return s, "sqlite " + db, err
}

// run is the whole server; main only gives it the process's arguments,
// environment and output, so that tests run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		// Asked for: the usage is printed, and that is a success.
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	// Listen first: a wrong address then fails before a database file is
	// created for nothing.
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	store, what, err := openStore(ctx, opts.db)
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer store.Close()

	// The first start prints the administrator's token, this once.
	if err := auth.Bootstrap(ctx, store, getenv(auth.EnvAdminToken), stdout); err != nil {
		return fmt.Errorf("bootstrap the administrator: %w", err)
	}
	hooks := httpapi.Hooks{Config: webhook.Config{Destinations: opts.hookAllow, MaxPerOwner: opts.hookMax},
		Fulfiller: opts.fulfiller, Verifier: opts.verifier, Model: opts.model}
	if opts.demo {
		// The demo's supplier (examples/supplier) receives on this
		// machine: allowed explicitly, and said so.
		hooks.Config.Destinations = hooks.Config.Destinations.With(netguard.MustParse(netguard.Loopback))
		fmt.Fprintf(stdout, "demo: webhooks may reach loopback addresses (%s) besides public ones, so that examples/supplier on this machine receives them; without --demo only --webhook-allow widens what they reach.\n", netguard.Loopback)
		if hooks.Fulfiller == nil && hooks.Verifier == nil {
			if hooks.Fulfiller, hooks.Verifier, err = demoReset(ctx, store, log, stdout); err != nil {
				return fmt.Errorf("the demo's password reset: %w", err)
			}
		}
	}
	log.Info("webhook destinations", "public", true, "allowed", hooks.Config.Destinations.String(), "max_per_org", opts.hookMax)
	parts, err := newAPI(ctx, store, log, hooks)
	if err != nil {
		return err
	}
	// The followers of the log, the knowledge base's and the CMDB's, stop
	// last but the store: after the requests in flight, the dispatcher and
	// the order service.
	defer func() {
		if err := parts.close(); err != nil {
			log.Error("the followers of the log", "err", err)
		}
	}()
	// The dispatcher stops, and is waited for, before the store closes
	// (deferred calls run last first), whichever way run returns.
	dctx, stopDispatch := context.WithCancel(ctx)
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		if err := parts.dispatcher.Run(dctx); err != nil {
			log.Error("webhook dispatcher", "err", err)
		}
	}()
	defer func() { stopDispatch(); <-dispatched }()
	// So does the order service's runner, which fulfils orders of type A
	// and chases approvals.
	rctx, stopRequests := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		if err := parts.requests.Run(rctx, 0); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("order service", "err", err)
		}
	}()
	defer func() { stopRequests(); <-ran }()

	srv := newServer(store, log)
	srv.api = notifyOnSuccess(parts.handler, parts.dispatcher.Notify)
	srv.registerWebhookStats(parts.webhooks)
	hs := &http.Server{
		Handler:           srv.handler(),
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if opts.demo {
		// The demo is seeded through the API it serves, as a client would.
		if err := seedDemo(ctx, "http://"+dialable(ln.Addr()), parts.tokens, store, stdout); err != nil {
			_ = hs.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "spoc listening on http://%s (store: %s)\n", ln.Addr(), what)
	log.Info("listening", "addr", ln.Addr().String(), "store", what)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Refuse new work first, so that a load balancer moves on, then let
	// the requests in flight finish.
	srv.ready.Store(false)
	log.Info("shutting down", "grace", ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// apiParts are what newAPI builds: the handler of the REST API, the
// webhook service with the dispatcher that delivers it, and the order
// service, whose runner run starts with the dispatcher.
type apiParts struct {
	handler    http.Handler
	webhooks   *webhook.Service
	dispatcher *webhook.Dispatcher
	tokens     *auth.Tokens
	requests   *request.Service
	// close stops the knowledge base's and the CMDB's following of the
	// log.
	close func() error
}

// newAPI builds the REST API over store (httpapi.Build).
func newAPI(ctx context.Context, store itsm.Store, log *slog.Logger, hooks httpapi.Hooks) (apiParts, error) {
	st, err := httpapi.Build(ctx, store, log, hooks)
	if err != nil {
		return apiParts{}, err
	}
	return apiParts{handler: st.Handler, webhooks: st.Webhooks, dispatcher: st.Dispatcher, tokens: st.Tokens, requests: st.Requests,
		close: st.Close}, nil
}

// notifyOnSuccess calls notify after every request that may have appended
// events (any method but GET, HEAD and OPTIONS) and succeeded, so that
// webhooks go out at once rather than at the dispatcher's next poll. A
// request that changed nothing costs one look at the log.
func notifyOnSuccess(next http.Handler, notify func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		rec := &successRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 || rec.status < 300 {
			notify()
		}
	})
}

// successRecorder remembers the status written. It is not a RouteSetter, so
// the route still reaches the metrics' statusRecorder through Unwrap.
type successRecorder struct {
	http.ResponseWriter
	status int
}

func (w *successRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *successRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// registerWebhookStats exposes the webhook service's counters.
func (s *server) registerWebhookStats(hooks *webhook.Service) {
	counter := func(name, help string, v func(webhook.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(hooks.Stats())) })
	}
	s.registry.MustRegister(
		counter("spoc_webhook_delivered_total", "Webhook events answered with 2xx.",
			func(st webhook.Stats) int64 { return st.Delivered }),
		counter("spoc_webhook_failed_total", "Failed webhook attempts, the last before a dead letter included.",
			func(st webhook.Stats) int64 { return st.Failed }),
		counter("spoc_webhook_dead_lettered_total", "Webhook events that became dead letters.",
			func(st webhook.Stats) int64 { return st.DeadLettered }),
	)
}

// server holds what the handlers share.
type server struct {
	store itsm.Store
	log   *slog.Logger
	// api serves /v1/, /openapi.yaml and /schemas/; nil serves none of them.
	api      http.Handler
	ready    atomic.Bool
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newServer(store itsm.Store, log *slog.Logger) *server {
	s := &server{store: store, log: log, registry: prometheus.NewRegistry()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "spoc_http_requests_total", Help: "HTTP requests by route and status.",
	}, []string{"route", "method", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "spoc_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"})
	s.registry.MustRegister(s.requests, s.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.ready.Store(true)
	return s
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	if s.api != nil {
		mux.Handle("/v1/", s.api)
		mux.Handle("GET /openapi.yaml", s.api)
		mux.Handle("GET /schemas/{name}", s.api)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, s.log, itsm.Errorf(itsm.CodeNotFound, "no resource at %s %s", r.Method, r.URL.Path))
	})
	// Probes and metrics get the API's headers too: a browser pointed at
	// any of the server's addresses reads nothing as a page it is not.
	return s.observe(limitBody(httpapi.PageHeaders(problem.NoAsterisk(mux, s.log))))
}

// readyz answers 200 while the server takes work and its store answers, so
// that an orchestrator routes requests only to replicas that can serve them.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.store.Read(ctx, func(tx itsm.ReadTx) error {
		_, err := tx.Events(0, 1)
		return err
	})
	if problem.ClientGone(r) {
		// The prober stopped waiting: the request log says so, and the
		// store is not to blame.
		return
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "store unavailable")
		return
	}
	fmt.Fprintln(w, "ready")
}

// limitBody caps every request body, so that no handler reads more than
// MaxBodyBytes whatever it does with the body; the upload of an inventory
// (httpapi.ImportPath), a file streamed into its dry run, is capped at
// httpapi.MaxImportBytes instead.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBodyBytes)
		if r.Method == http.MethodPost && r.URL.Path == httpapi.ImportPath {
			limit = httpapi.MaxImportBytes
		}
		if r.ContentLength > limit {
			problem.Write(w, r, nil, problem.TooLarge(limit,
				fmt.Sprintf("the body has %d bytes; at most %d are accepted", r.ContentLength, limit)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, and the route of the
// API operation it served, for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	route  string
}

var _ httpapi.RouteSetter = (*statusRecorder)(nil)

// SetRoute implements httpapi.RouteSetter: the API reports the route of the
// operation, which the mux, seeing only "/v1/", cannot.
func (w *statusRecorder) SetRoute(pattern string) { w.route = pattern }

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs and counts every request by its route pattern, not its path,
// so that IDs in paths do not make a metric series per incident. A request
// whose client went away before it was answered is logged and counted as
// problem.StatusClientClosed, not as the 503 of a store that gave up with
// it, unless the handler failed for a reason of its own (another 5xx).
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		status := rec.status
		var gone []any
		if problem.ClientGone(r) && status < 500 {
			status = problem.StatusClientClosed
			gone = []any{"client_gone", true}
			if rec.status != status {
				// Answered, and maybe done, before the client left.
				gone = append(gone, "answered", rec.status)
			}
		}
		route := r.Pattern
		if rec.route != "" {
			route = rec.route
		}
		if route == "" || route == "/" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.requests.WithLabelValues(route, r.Method, fmt.Sprint(status)).Inc()
		s.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
		s.log.Info("request", append([]any{"method", r.Method, "path", r.URL.Path, "route", route,
			"status", status, "duration_ms", float64(d.Microseconds()) / 1000}, gone...)...)
	})
}
