// Package daemon is the Steward daemon: Run wires the store, the KPI
// engine, the ingest API and webhooks, the pollers and measurements, the
// exporter, the web UI and the security layers together and serves them
// until its context ends. Its Options are what steward serve's flags give;
// cmd/steward only parses them. Nothing but commands imports this package.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/common/promslog"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/internal/api"
	"github.com/steward-sh/steward/internal/audit"
	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/internal/exporter"
	"github.com/steward-sh/steward/internal/limit"
	"github.com/steward-sh/steward/internal/review"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/internal/web"
	"github.com/steward-sh/steward/internal/webconfig"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
)

// Options are what steward serve's flags give, and the hooks tests use.
type Options struct {
	ConfigFile    string
	ListenAddress string
	Interval      time.Duration // --compute.interval
	MinInterval   time.Duration // --compute.min-interval
	Demo          bool
	MaxBody       int64
	PushURL       string
	PushInterval  time.Duration
	GrafanaURL    string

	// Security and limits (see auth/, webconfig/, limit/ and audit/).
	WebConfigFile      string
	ReadHeaderTimeout  time.Duration
	ReadTimeout        time.Duration
	WriteTimeout       time.Duration
	IdleTimeout        time.Duration
	MaxBatchRecords    int
	MaxConcurrentReads int
	MaxBodyInFlight    int64
	TrustedOrigins     []string
	AuditFile          string
	Spool              SpoolOptions // --spool.*

	// ServingGCPercent is GOGC once the store is loaded, outside bulk
	// loads through the API, which run at Go's default (see gcPace); 0
	// leaves GOGC as the environment set it.
	ServingGCPercent int

	// Version is the daemon's, for its self-metrics and its logs.
	Version string
	// Logger is the daemon's log (see NewLogger).
	Logger *slog.Logger

	// Listening, if set, receives the bound address (tests listen on :0).
	Listening func(addr string)
	// Now, if set, is the KPI engine's clock (tests fix it).
	Now func() time.Time
	// Routes, if set, receives the pattern of every route served.
	Routes func([]string)
}

// DefaultOptions are steward serve's defaults.
func DefaultOptions() Options {
	return Options{
		ConfigFile: "steward.yml", ListenAddress: ":9470", Interval: time.Minute, MinInterval: time.Second,
		MaxBody: api.DefaultMaxBodyBytes, PushInterval: time.Minute,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
		MaxBatchRecords: api.DefaultMaxBatchRecords, MaxConcurrentReads: limit.DefaultMaxConcurrent,
		MaxBodyInFlight:  limit.DefaultMaxBodyBytesInFlight,
		Spool:            SpoolOptions{Dir: "steward-spool", MaxBytes: 256 << 20, MaxEntries: 100000, Sources: DefaultSpooled},
		ServingGCPercent: ServingGCPercent,
	}
}

// NewLogger builds the daemon's logger as Prometheus's own components do
// (prometheus/common/promslog): the same --log.level and --log.format
// values and defaults, and each line's source file and line.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	cfg := promslog.Config{Level: promslog.NewLevel(), Format: promslog.NewFormat(), Writer: w}
	if err := cfg.Level.Set(level); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	if err := cfg.Format.Set(format); err != nil {
		return nil, fmt.Errorf("--log.format: %w", err)
	}
	return promslog.New(&cfg), nil
}

// computed passes each snapshot the engine computes on to the parts that
// keep something of it. The engine is built first (the API and the
// exporter read it), so they subscribe once they exist, before the engine
// runs.
type computed struct {
	mu   sync.Mutex
	subs []func(*scorecard.Snapshot, time.Duration)
}

func (c *computed) subscribe(fn func(*scorecard.Snapshot, time.Duration)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, fn)
}

func (c *computed) publish(s *scorecard.Snapshot, took time.Duration) {
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	for _, fn := range subs {
		fn(s, took)
	}
}

// returnBuildScratch tells pace of the first snapshot after each state
// build (the load at start, a new config), which sets the serving pace
// and gives the build's scratch back to the system (see gcPace).
func returnBuildScratch(engine *scorecard.Engine, pace *gcPace) func(*scorecard.Snapshot, time.Duration) {
	var freed atomic.Uint64
	return func(*scorecard.Snapshot, time.Duration) {
		if b := engine.Builds(); freed.Swap(b) != b {
			go pace.built()
		}
	}
}

// Run serves the daemon until ctx ends, then finishes the requests in
// flight and returns. Everything that can fail at start (the config and
// the catalog it names, the web config, the audit file, the trusted
// origins, the store, the spool) fails before the daemon listens.
func Run(ctx context.Context, o Options) error {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	live, err := NewCoordinator(ctx, o.ConfigFile, logger)
	if err != nil {
		return err
	}
	cfg := live.Config()
	webCfg, err := webconfig.Load(o.WebConfigFile, logger)
	if err != nil {
		return fmt.Errorf("--web.config.file: %w", err)
	}
	auditLog, auditFile, err := audit.Open(o.AuditFile, logger)
	if err != nil {
		return fmt.Errorf("--log.audit-file: %w", err)
	}
	defer auditFile.Close()
	crossOrigin, err := crossOriginProtection(o.TrustedOrigins)
	if err != nil {
		return err
	}

	st, err := store.Open(ctx, cfg.Storage.Driver, cfg.Storage.DSN, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.Demo {
		if err := loadDemo(ctx, st, cfg, logger); err != nil {
			return err
		}
	}
	pace := newGCPace(o.ServingGCPercent)
	defer pace.stop()
	d := &daemon{o: o, logger: logger, live: live, webCfg: webCfg, auditLog: auditLog, st: st, pace: pace}
	closeSpool, err := d.wire(ctx, crossOrigin)
	if err != nil {
		return err
	}
	defer closeSpool()
	return d.serve(ctx)
}

// daemon holds the parts Run opened and wire builds, for serve to run.
type daemon struct {
	o        Options
	logger   *slog.Logger
	live     *Coordinator
	webCfg   *webconfig.File
	auditLog *audit.Log
	st       *store.DB
	pace     *gcPace

	tel     *telemetry.Telemetry
	engine  *scorecard.Engine
	spooler *collector.Spooler // nil: no spool
	pusher  *exporter.Pusher   // nil: no --push.url
	handler http.Handler
}

// wire builds the engine and everything that serves from it, each part
// given what it needs at construction, and subscribes the parts that act
// on a new snapshot or a new config. It returns what releases the spool.
func (d *daemon) wire(ctx context.Context, crossOrigin *http.CrossOriginProtection) (func(), error) {
	o, live, st, logger := d.o, d.live, d.st, d.logger
	tel := telemetry.New(o.Version, time.Now)
	tel.ConfigReloaded(true)
	tel.WatchPools(st.Pools())
	counted := tel.Store(st)
	snapshots := &computed{}
	engine := scorecard.New(scorecard.Options{Store: counted, Samples: st, Config: live.Config, Logger: logger, Now: o.Now,
		MinInterval: o.MinInterval, Computed: snapshots.publish})
	snapshots.subscribe(func(_ *scorecard.Snapshot, took time.Duration) { tel.Recomputed(took) })
	snapshots.subscribe(returnBuildScratch(engine, d.pace))
	// written follows this daemon's own writes: the engine takes the new
	// records in before the writer is answered, so that its next read sees
	// them (reads never go to the store), and /metrics follows soon. The
	// API's batches are taken as written, with the Seqs the store gave
	// them; the webhooks' are read back.
	written := func() {
		if err := engine.Sync(ctx); err != nil {
			logger.Error("KPI engine: reading the records just written", "err", err)
		}
		engine.NotifyTaken()
	}
	ingested := func(b record.Batch) {
		d.pace.ingested(b.Len())
		if err := engine.Written(ctx, b); err != nil {
			logger.Error("KPI engine: reading the records just written", "err", err)
		}
		engine.NotifyTaken()
	}
	spooler, closeSpool, err := openSpooler(o.Spool, spoolDeps{config: live.Config, store: spoolStore{Store: counted, cursor: st.Cursor},
		prior: st, notify: engine.Notify, tel: tel, logger: logger})
	if err != nil {
		return nil, err
	}

	// /metrics is rendered ahead of the next scrape, once per snapshot.
	scraper := metricsHandler(engine, live.Config, tel, logger)
	srv := api.New(api.Options{
		Store: counted, Logger: logger, MaxBodyBytes: o.MaxBody, MaxBatchRecords: o.MaxBatchRecords,
		Scorecards: engine, Config: live.Config, Reload: live.Reload, Ingested: ingested, Observe: observeIngest(tel),
		Ready: readiness(live.Config, engine, scraper),
	})
	snapshots.subscribe(func(s *scorecard.Snapshot, _ time.Duration) { srv.SnapshotComputed(s) })
	snapshots.subscribe(func(*scorecard.Snapshot, time.Duration) { go scraper.Warm() })
	bodies := limit.NewBodies(o.MaxBodyInFlight, o.MaxBody, "--web.max-body-bytes-in-flight")
	mountHooks(srv, hookOptions{config: live.Config, store: counted, prior: st, notify: written, spooler: spooler,
		observe: observeHook(tel), logger: logger, maxBody: o.MaxBody, bodies: bodies, turns: takeTurns(st)})
	srv.Handle("GET /metrics", scraper)
	mountUI(srv, o, engine, st, live.Config, logger)
	var pusher *exporter.Pusher
	if o.PushURL != "" {
		if pusher, err = exporter.NewPusher(o.PushURL, scraper.WriteText, &http.Client{Timeout: 30 * time.Second}, logger, tel.Pushed); err != nil {
			closeSpool()
			return nil, fmt.Errorf("--push.url: %w", err)
		}
	}
	handler, guard := secured(srv, live.Config, d.webCfg, d.auditLog, o.MaxConcurrentReads, bodies, crossOrigin, logger)
	if o.Routes != nil {
		o.Routes(srv.Routes())
	}

	// A reload's checks run before the swap, its subscribers after, in
	// this order: the self-metrics, a recompute so that /metrics follows
	// the new config soon, then whether authentication is on.
	keepCredentials(live, d.webCfg)
	live.Outcome(tel.ConfigReloaded)
	live.Subscribe(func(*config.Config) { engine.Notify() })
	live.Subscribe(func(cfg *config.Config) { logAuthState(guard, cfg, d.webCfg, logger) })
	logAuthState(guard, live.Config(), d.webCfg, logger)

	d.tel, d.engine, d.spooler, d.pusher, d.handler = tel, engine, spooler, pusher, handler
	return closeSpool, nil
}

// serve listens and runs the engine, the spool's drainer, the pollers,
// the measurements and the pusher until ctx ends or the server fails.
func (d *daemon) serve(ctx context.Context) error {
	o, logger := d.o, d.logger
	cfg := d.live.Config() // pollers and measurements follow the config Steward started with
	ln, err := net.Listen("tcp", o.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.ListenAddress, err)
	}
	if o.Listening != nil {
		o.Listening(ln.Addr().String())
	}
	httpSrv := &http.Server{Handler: d.handler, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { d.engine.Run(ctx, o.Interval) })
	wg.Go(func() { followWrites(ctx, d.st, d.engine, logger) })
	wg.Go(func() { d.spooler.Run(ctx) }) // drains what a previous run left first
	wg.Go(func() { reloadOnHUP(ctx, d.live, d.auditLog) })
	pollers := pollerOptions{config: cfg, store: d.st, notify: d.engine.Notify, tel: d.tel, logger: logger}
	startPollers(ctx, &wg, pollers)
	if err := startMeasurements(ctx, &wg, pollers); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	if d.pusher != nil {
		wg.Go(func() { d.pusher.Run(ctx, o.PushInterval) })
	}

	errc := make(chan error, 1)
	go func() { errc <- d.webCfg.Serve(httpSrv, ln) }()
	logger.Info("Steward is listening", "address", ln.Addr().String(), "tls", d.webCfg.TLS(), "store", cfg.Storage.Driver,
		"config", o.ConfigFile, "version", o.Version)

	select {
	case err := <-errc:
		cancel()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down; finishing requests in flight")
	shutdownCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	err = httpSrv.Shutdown(shutdownCtx)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// mountUI serves the web UI at / and /ui/ and the reviews API. The
// authentication middleware wraps the whole mux (secured), so the UI needs
// the read scope like the read API, and freezing reviews needs admin.
func mountUI(srv *api.Server, o Options, engine *scorecard.Engine, st *store.DB, cfg func() *config.Config, logger *slog.Logger) {
	reports := &report.Builder{Engine: engine, Archive: review.NewArchive(st), Titles: st, Now: time.Now}
	ui := web.New(web.Options{Engine: engine, Reports: reports, Config: cfg, Logger: logger, Titles: st, GrafanaURL: o.GrafanaURL})
	srv.Handle("GET /{$}", ui)
	srv.Handle("/ui/", ui)
	// Reading reviews and freezing them need different scopes (auth's
	// route table), so each method is its own route.
	reviews := ui.Reviews()
	srv.Handle("GET /api/v1/reviews", reviews)
	srv.Handle("POST /api/v1/reviews", reviews)
}

func reloadOnHUP(ctx context.Context, live *Coordinator, auditLog *audit.Log) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			err := live.Reload() // logged by Reload
			e := audit.Entry{Actor: "SIGHUP", ActorKind: audit.KindSignal, Action: "config.reload", Outcome: audit.Success}
			if err != nil {
				e.Outcome, e.Reason = audit.Failure, err.Error()
			}
			auditLog.Record(ctx, e)
		}
	}
}

// loadDemo fills an empty store with generated records for the configured
// systems, so a newcomer sees real scorecards at once.
func loadDemo(ctx context.Context, st record.Store, cfg *config.Config, logger *slog.Logger) error {
	inc, err := st.Incidents(ctx, 0, 1)
	if err != nil {
		return err
	}
	chg, err := st.Changes(ctx, 0, 1)
	if err != nil {
		return err
	}
	fb, err := st.Feedback(ctx, 0, 1)
	if err != nil {
		return err
	}
	if len(inc) > 0 || len(chg) > 0 || len(fb) > 0 {
		return nil
	}
	// Source demo: a generated dataset posted later adds to the demo data
	// rather than replacing records of the same ids.
	opts := generate.Demo(time.Now().UTC().Truncate(time.Hour))
	incidents, changes := generate.Records(cfg, opts)
	feedback := generate.Feedback(cfg, opts)
	if err := st.Write(ctx, record.Batch{Incidents: incidents, Changes: changes, Feedback: feedback}); err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	logger.Info("store was empty: loaded demo data", "incidents", len(incidents), "changes", len(changes), "feedback", len(feedback))
	return nil
}
