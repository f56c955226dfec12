package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/internal/spool"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/record"
)

// SpoolOptions are the --spool.* flags.
type SpoolOptions struct {
	Dir        string
	MaxBytes   int64
	MaxEntries int
	Sources    string
}

// DefaultSpooled are the webhooks of vendors that do not deliver again
// after an error: GitHub (failed deliveries are only redelivered by hand),
// GitLab (it disables a failing hook instead) and Opsgenie (no documented
// retry). Alertmanager and PagerDuty retry and are answered 503.
const DefaultSpooled = "github,gitlab,opsgenie"

// spoolStore is what the drainer writes through: the counted store, with
// the cursor read from the database itself.
type spoolStore struct {
	record.Store
	cursor func(ctx context.Context, name string) (string, error)
}

func (s spoolStore) Cursor(ctx context.Context, name string) (string, error) {
	return s.cursor(ctx, name)
}

// spoolDeps is what openSpooler needs from the daemon.
type spoolDeps struct {
	config func() *config.Config
	store  collector.SpoolStore
	prior  record.Getter
	notify func()
	tel    *telemetry.Telemetry
	logger *slog.Logger
}

// openSpooler opens the spool directory and returns the webhooks' Spooler
// (nil when spooling is off) and what releases the spool. Deliveries left
// from before a restart are drained by the Spooler's Run.
func openSpooler(o SpoolOptions, d spoolDeps) (*collector.Spooler, func(), error) {
	held, err := spooledSources(o.Sources)
	if err != nil {
		return nil, nil, err
	}
	if o.Dir == "" || len(held) == 0 {
		d.logger.Warn("webhook spool disabled: deliveries from vendors that do not retry are answered 503 while the store is unavailable, and lost")
		return nil, func() {}, nil
	}
	sp, err := spool.Open(spool.Options{Dir: o.Dir, MaxBytes: o.MaxBytes, MaxEntries: o.MaxEntries})
	if err != nil {
		return nil, nil, fmt.Errorf("--spool.dir: %w", err)
	}
	if rec := sp.Recovered(); rec.TornBytes > 0 {
		d.logger.Info("spool: cut off an entry torn by a crash (it had not been acknowledged)", "bytes", rec.TornBytes)
	}
	if rec := sp.Recovered(); rec.Corrupt > 0 {
		d.logger.Error("spool: corrupt segment bytes skipped; acknowledged deliveries may be lost", "bytes", rec.Corrupt, "entries", rec.Lost, "dir", o.Dir)
	}
	if n, size := sp.Len(); n > 0 {
		d.logger.Info("spool: deliveries from before the restart wait for the store", "deliveries", n, "bytes", size)
	}
	d.tel.WatchSpool(sp.Len)
	spooler := collector.NewSpooler(collector.SpoolerOptions{
		Spool: sp, Store: d.store, Prior: d.prior, Logger: d.logger, Notify: d.notify,
		Holds: func(name string) bool { return slices.Contains(held, name) },
		Sources: func(name string) (collector.Source, bool) {
			return configuredHook(d.config(), name)
		},
		Drained: d.tel.Drained, Counted: d.tel.Spooled,
	})
	d.logger.Info("webhook spool ready", "dir", o.Dir, "sources", strings.Join(held, ","), "max_bytes", o.MaxBytes, "max_entries", o.MaxEntries)
	return spooler, func() {
		if err := sp.Close(); err != nil {
			d.logger.Error("spool: close", "err", err)
		}
	}, nil
}

// spooledSources parses --spool.sources.
func spooledSources(list string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		known := false
		for _, h := range hookSources {
			known = known || h.name == name
		}
		if !known {
			return nil, fmt.Errorf("--spool.sources: %q is not a webhook source", name)
		}
		out = append(out, name)
	}
	return out, nil
}

// configuredHook returns a webhook source as cfg configures it.
func configuredHook(cfg *config.Config, name string) (collector.Source, bool) {
	for _, h := range hookSources {
		if h.name != name {
			continue
		}
		if w := h.section(&cfg.Collectors); w != nil {
			return h.source(w), true
		}
	}
	return collector.Source{}, false
}
