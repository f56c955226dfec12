package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/collector"
	"github.com/steward-sh/steward/internal/measure"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/internal/telemetry"
	"github.com/steward-sh/steward/record"
)

// pollerOptions is what startPollers needs from the daemon.
type pollerOptions struct {
	config *config.Config
	store  *store.DB // the concrete store: pollers keep their cursors in it
	notify func()
	tel    *telemetry.Telemetry
	logger *slog.Logger
	client *http.Client // nil: a client with a 2-minute timeout
	// lead tunes the election of the replica that runs each poller
	// (PostgreSQL); zero values are the defaults.
	lead store.LeadOptions
}

// pollerFeeds builds a feed for every poller the config names.
func pollerFeeds(o pollerOptions) []collector.Feed {
	var feeds []collector.Feed
	h := collector.HTTPOptions{Client: o.client, Logger: o.logger}
	if sn := o.config.Pollers.ServiceNow; sn != nil {
		for _, table := range sn.Tables {
			feeds = append(feeds, collector.NewServiceNowTable(sn, table, h))
		}
	}
	if pd := o.config.Pollers.PagerDutyAPI; pd != nil {
		feeds = append(feeds, collector.NewPagerDutyAPI(pd, o.store, h))
	}
	return feeds
}

// startPollers runs the configured pollers until ctx ends, each in its own
// goroutine on wg and, on PostgreSQL, in one replica at a time. Pollers
// follow the config Steward started with: a reload that changes the
// pollers section takes effect at the next restart. Pages stored and
// failed count in the self-metrics as ingest requests of the feed.
func startPollers(ctx context.Context, wg *sync.WaitGroup, o pollerOptions) {
	feeds := pollerFeeds(o)
	intervals := map[string]time.Duration{}
	kinds := map[string]record.Kind{}
	if sn := o.config.Pollers.ServiceNow; sn != nil {
		for _, t := range sn.Tables {
			intervals[collector.ServiceNowSource+"/"+t] = sn.Interval
			kinds[collector.ServiceNowSource+"/"+t] = record.Kind(config.TableKind(t))
		}
	}
	if pd := o.config.Pollers.PagerDutyAPI; pd != nil {
		intervals["pagerduty_api"] = pd.Interval
		kinds["pagerduty_api"] = record.KindIncident
	}
	for _, f := range feeds {
		p := collector.NewPoller(f, newFencedCursors(o.store), collector.PollerOptions{
			Interval: intervals[f.Name()], Logger: o.logger,
			Stored: func(b record.Batch, took time.Duration) {
				if o.tel != nil {
					o.tel.Ingested(kinds[f.Name()], f.Name(), http.StatusOK, b, nil, took)
				}
				if o.notify != nil {
					o.notify()
				}
			},
			// A page that failed counts as a request answered 502: the
			// vendor (or the store) failed, not the daemon's caller.
			Failed: func(_ error, took time.Duration) {
				if o.tel != nil {
					o.tel.Ingested(kinds[f.Name()], f.Name(), http.StatusBadGateway, record.Batch{}, nil, took)
				}
			},
		})
		// One replica polls each feed (see replicas.go).
		wg.Go(func() { leadTask(ctx, o.store, "poller/"+f.Name(), o.lead, o.tel, p.Run) })
	}
}

// startMeasurements reads the configured measurements (SPEC section 9)
// until ctx ends, in one replica at a time like the pollers, and on the
// config Steward started with.
func startMeasurements(ctx context.Context, wg *sync.WaitGroup, o pollerOptions) error {
	m := o.config.Measurements
	if m == nil {
		return nil
	}
	r, err := measure.New(m, o.store, measure.Options{
		Logger: o.logger,
		Stored: func(ms record.Measure, n int, through time.Time) {
			if o.tel != nil {
				o.tel.MeasurementsStored(ms, n, through)
			}
			if o.notify != nil && n > 0 {
				o.notify()
			}
		},
		Failed: func(ms record.Measure, _ error) {
			if o.tel != nil {
				o.tel.MeasurementFailed(ms)
			}
		},
	})
	if err != nil {
		return err
	}
	if o.tel != nil {
		var ms []record.Measure
		if m.Uptime != nil {
			ms = append(ms, record.MeasureUptime)
		}
		if m.ResponseTime != nil {
			ms = append(ms, record.MeasureResponseTime)
		}
		o.tel.MeasurementsStarted(ms...)
	}
	wg.Go(func() { leadTask(ctx, o.store, "measurements", o.lead, o.tel, r.Run) })
	return nil
}
