package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/steward-sh/steward/api"
	"github.com/steward-sh/steward/audit"
	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/exporter"
	"github.com/steward-sh/steward/generate"
	"github.com/steward-sh/steward/limit"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/report"
	"github.com/steward-sh/steward/scorecard"
	"github.com/steward-sh/steward/store"
	"github.com/steward-sh/steward/telemetry"
	"github.com/steward-sh/steward/web"
	"github.com/steward-sh/steward/webconfig"
)

type serveOptions struct {
	configFile    string
	listenAddress string
	logLevel      string
	logFormat     string
	interval      time.Duration
	minInterval   time.Duration
	demo          bool
	maxBody       int64
	pushURL       string
	pushInterval  time.Duration
	grafanaURL    string

	// Security and limits (see auth/, webconfig/, limit/ and audit/).
	webConfigFile      string
	readHeaderTimeout  time.Duration
	readTimeout        time.Duration
	writeTimeout       time.Duration
	idleTimeout        time.Duration
	maxBatchRecords    int
	maxConcurrentReads int
	maxBodyInFlight    int64
	trustedOrigins     []string
	auditFile          string
	spool              spoolOptions // --spool.*

	// listening, if set, receives the bound address (tests listen on :0).
	listening func(addr string)
	// now, if set, is the KPI engine's clock (tests fix it).
	now func() time.Time
	// routes, if set, receives the pattern of every route served.
	routes func([]string)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o serveOptions
	fs := newFlags("serve", "Run the Steward daemon: ingest API, KPI engine and scorecards.", stderr)
	fs.StringVar(&o.configFile, "config.file", "steward.yml", "Steward configuration file.")
	fs.StringVar(&o.listenAddress, "web.listen-address", ":9470", "Address to listen on for the API and metrics.")
	fs.StringVar(&o.logLevel, "log.level", "info", "Log level: debug, info, warn, error.")
	fs.StringVar(&o.logFormat, "log.format", "logfmt", "Log format: logfmt or json.")
	fs.DurationVar(&o.interval, "compute.interval", time.Minute, "How often KPIs are recomputed when nothing is ingested (ingest also asks for a recompute, see --compute.min-interval).")
	fs.DurationVar(&o.minInterval, "compute.min-interval", time.Second, "Least time between the starts of two recomputes asked for by ingest; batches arriving faster share one recompute, so that recomputing does not take the CPU ingest needs. The API and web UI always answer with every stored record; /metrics may show a batch up to this much later. 0: recompute after every batch.")
	fs.BoolVar(&o.demo, "demo", false, "Load a small generated demo dataset for the configured systems when the store is empty.")
	fs.Int64Var(&o.maxBody, "web.max-body-bytes", api.DefaultMaxBodyBytes, "Largest ingest request body accepted (413 past it).")
	fs.StringVar(&o.webConfigFile, "web.config.file", "", "Web configuration file (Prometheus exporter-toolkit format) for TLS, basic auth users and response headers; re-read on every request and connection.")
	fs.DurationVar(&o.readHeaderTimeout, "web.read-header-timeout", 10*time.Second, "Longest time to read a request's headers (against slowloris); 0 disables.")
	fs.DurationVar(&o.readTimeout, "web.read-timeout", time.Minute, "Longest time to read a whole request, body included; 0 disables.")
	fs.DurationVar(&o.writeTimeout, "web.write-timeout", 5*time.Minute, "Longest time from the end of a request's headers to the end of its answer; 0 disables.")
	fs.DurationVar(&o.idleTimeout, "web.idle-timeout", 2*time.Minute, "Longest time a keep-alive connection waits for its next request; 0 disables.")
	fs.IntVar(&o.maxBatchRecords, "web.max-batch-records", api.DefaultMaxBatchRecords, "Most records one ingest request may hold (413 past it).")
	fs.IntVar(&o.maxConcurrentReads, "web.max-concurrent-reads", limit.DefaultMaxConcurrent, "Most expensive requests (scorecards with at=, reviews, UI report and subject pages) in progress at once (503 with Retry-After past it).")
	fs.Int64Var(&o.maxBodyInFlight, "web.max-body-bytes-in-flight", limit.DefaultMaxBodyBytesInFlight, "Most bytes of ingest and webhook request bodies read into memory at once (503 with Retry-After past it, before the body is read); a body of unknown length counts as --web.max-body-bytes.")
	fs.Func("web.trusted-origins", "Comma-separated origins (scheme://host[:port]) whose pages may send state-changing requests (POST, PUT, DELETE) from a browser; browsers' cross-origin requests from any other page are refused (403). Requests without browser headers (curl, collectors) are not affected.", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				o.trustedOrigins = append(o.trustedOrigins, s)
			}
		}
		return nil
	})
	fs.StringVar(&o.auditFile, "log.audit-file", "", "Write the audit log of admin actions to this file as JSON lines; default: the daemon's log, with audit=true.")
	fs.StringVar(&o.grafanaURL, "web.grafana-url", "", "Grafana base URL; the UI's subject pages then link to Steward's dashboards there (e.g. https://grafana.example.com).")
	fs.StringVar(&o.pushURL, "push.url", "", "Also push the metrics of /metrics here (PUT, text format), for sites that do not scrape: a Pushgateway's http://host:9091/metrics/job/steward or VictoriaMetrics' http://host:8428/api/v1/import/prometheus.")
	fs.DurationVar(&o.pushInterval, "push.interval", time.Minute, "How often to push to --push.url.")
	addSpoolFlags(fs, &o.spool)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	return serve(ctx, o, logger)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log.format: %q is neither logfmt nor json", format)
}

// liveConfig holds the config in force and swaps it on reload, keeping the
// old one when the new one is invalid.
type liveConfig struct {
	path    string
	logger  *slog.Logger
	mu      sync.Mutex // serializes reloads
	current atomic.Pointer[config.Config]
	// reloaded, if set, is told each reload's outcome.
	reloaded func(ok bool)
	// check, if set, is a last check of a valid new config against the
	// one in force; a reload it refuses keeps the old config.
	check func(old, new *config.Config) error
}

func (l *liveConfig) get() *config.Config { return l.current.Load() }

func (l *liveConfig) reload() (err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		if l.reloaded != nil {
			l.reloaded(err == nil)
		}
	}()
	cfg, err := loadConfig(context.Background(), l.path)
	if err != nil {
		l.logger.Error("config reload failed; the previous config stays in force", "file", l.path, "err", err)
		return err
	}
	old := l.get()
	if old != nil && old.Storage != cfg.Storage {
		err := errors.New("storage settings changed: restart Steward to use them")
		l.logger.Error("config reload refused; the previous config stays in force", "file", l.path, "err", err)
		return err
	}
	if old != nil && l.check != nil {
		if err := l.check(old, cfg); err != nil {
			l.logger.Error("config reload refused; the previous config stays in force", "file", l.path, "err", err)
			return err
		}
	}
	l.current.Store(cfg)
	l.logger.Info("config reloaded", "file", l.path)
	return nil
}

func serve(ctx context.Context, o serveOptions, logger *slog.Logger) error {
	cfg, err := loadConfig(ctx, o.configFile)
	if err != nil {
		return err
	}
	live := &liveConfig{path: o.configFile, logger: logger}
	live.current.Store(cfg)
	webCfg, err := webconfig.Load(o.webConfigFile, logger)
	if err != nil {
		return fmt.Errorf("--web.config.file: %w", err)
	}
	auditLog, auditFile, err := audit.Open(o.auditFile, logger)
	if err != nil {
		return fmt.Errorf("--log.audit-file: %w", err)
	}
	defer auditFile.Close()

	st, err := store.Open(ctx, cfg.Storage.Driver, cfg.Storage.DSN, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.demo {
		if err := loadDemo(ctx, st, cfg, logger); err != nil {
			return err
		}
	}

	tel := telemetry.New(version, time.Now)
	tel.ConfigReloaded(true)
	counted := tel.Store(st)
	var scraper *exporter.Scraper // renders /metrics ahead of the next scrape
	var srv *api.Server           // keeps the latest snapshot's scorecard answers
	engine := scorecard.New(scorecard.Options{Store: counted, Samples: st, Config: live.get, Logger: logger, Now: o.now, MinInterval: o.minInterval,
		Computed: func(s *scorecard.Snapshot, took time.Duration) {
			tel.Recomputed(took)
			srv.SnapshotComputed(s)
			go scraper.Warm()
		}})
	// written follows this daemon's own writes: the engine takes the new
	// records in before the writer is answered, so that its next read sees
	// them (reads never go to the store), and /metrics follows soon.
	written := func() {
		if err := engine.Sync(ctx); err != nil {
			logger.Error("KPI engine: reading the records just written", "err", err)
		}
		engine.Notify()
	}
	live.reloaded = func(ok bool) {
		tel.ConfigReloaded(ok)
		if ok {
			engine.Notify() // so /metrics follows the new config soon
		}
	}
	spooler, closeSpool, err := openSpooler(o.spool, spoolDeps{config: live.get, store: spoolStore{Store: counted, cursor: st.Cursor},
		prior: st, notify: engine.Notify, tel: tel, logger: logger})
	if err != nil {
		return err
	}
	defer closeSpool()
	scraper = metricsHandler(engine, live.get, tel, logger)
	srv = api.New(api.Options{
		Store: counted, Logger: logger, MaxBodyBytes: o.maxBody, MaxBatchRecords: o.maxBatchRecords,
		Scorecards: engine, Config: live.get, Reload: live.reload, Ingested: written, Observe: observeIngest(tel),
		Ready: readiness(live.get, engine, scraper),
	})
	bodies := limit.NewBodies(o.maxBodyInFlight, o.maxBody, "--web.max-body-bytes-in-flight")
	mountHooks(srv, hookOptions{config: live.get, store: counted, prior: st, notify: written, spooler: spooler,
		observe: observeHook(tel), logger: logger, maxBody: o.maxBody, bodies: bodies, turns: takeTurns(st)})
	gatherer := metricsGatherer(engine, live.get, tel)
	srv.Handle("GET /metrics", scraper)
	mountUI(srv, o, engine, st, live.get, logger)
	var pusher *exporter.Pusher
	if o.pushURL != "" {
		if pusher, err = exporter.NewPusher(o.pushURL, gatherer, &http.Client{Timeout: 30 * time.Second}, logger, tel.Pushed); err != nil {
			return fmt.Errorf("--push.url: %w", err)
		}
	}

	crossOrigin, err := crossOriginProtection(o.trustedOrigins)
	if err != nil {
		return err
	}
	handler, guard := secured(srv, live.get, webCfg, auditLog, o.maxConcurrentReads, bodies, crossOrigin, logger)
	keepCredentials(live, webCfg)
	if o.routes != nil {
		o.routes(srv.Routes())
	}
	logAuthState(guard, cfg, webCfg, logger)
	onReload := live.reloaded
	live.reloaded = func(ok bool) {
		onReload(ok)
		if ok {
			logAuthState(guard, live.get(), webCfg, logger)
		}
	}
	ln, err := net.Listen("tcp", o.listenAddress)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listenAddress, err)
	}
	if o.listening != nil {
		o.listening(ln.Addr().String())
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: o.readHeaderTimeout, ReadTimeout: o.readTimeout,
		WriteTimeout: o.writeTimeout, IdleTimeout: o.idleTimeout}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { engine.Run(ctx, o.interval) })
	wg.Go(func() { followWrites(ctx, st, engine, logger) })
	wg.Go(func() { spooler.Run(ctx) }) // drains what a previous run left first
	wg.Go(func() { reloadOnHUP(ctx, live, auditLog) })
	pollers := pollerOptions{config: cfg, store: st, notify: engine.Notify, tel: tel, logger: logger}
	startPollers(ctx, &wg, pollers)
	if err := startMeasurements(ctx, &wg, pollers); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	if pusher != nil {
		wg.Go(func() { pusher.Run(ctx, o.pushInterval) })
	}

	errc := make(chan error, 1)
	go func() { errc <- webCfg.Serve(httpSrv, ln) }()
	logger.Info("Steward is listening", "address", ln.Addr().String(), "tls", webCfg.TLS(), "store", cfg.Storage.Driver, "config", o.configFile, "version", version)

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
func mountUI(srv *api.Server, o serveOptions, engine *scorecard.Engine, st *store.DB, cfg func() *config.Config, logger *slog.Logger) {
	reports := &report.Builder{Engine: engine, Archive: snapshotArchive{st}, Titles: st, Now: time.Now}
	ui := web.New(web.Options{Engine: engine, Reports: reports, Config: cfg, Logger: logger, Titles: st, GrafanaURL: o.grafanaURL})
	srv.Handle("GET /{$}", ui)
	srv.Handle("/ui/", ui)
	// Reading reviews and freezing them need different scopes (auth's
	// route table), so each method is its own route.
	reviews := ui.Reviews()
	srv.Handle("GET /api/v1/reviews", reviews)
	srv.Handle("POST /api/v1/reviews", reviews)
}

func reloadOnHUP(ctx context.Context, live *liveConfig, auditLog *audit.Log) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			err := live.reload() // logged by reload
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
