package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/steward-sh/steward/collector"
	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/store"
	"github.com/steward-sh/steward/telemetry"
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
// pollers section takes effect at the next restart. The returned counters
// are the pollers' health, by feed name.
func startPollers(ctx context.Context, wg *sync.WaitGroup, o pollerOptions) *collector.Health {
	feeds := pollerFeeds(o)
	names := make([]string, len(feeds))
	for i, f := range feeds {
		names[i] = f.Name()
	}
	health := collector.NewHealth(names...)
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
			Interval: intervals[f.Name()], Logger: o.logger, Health: health,
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
	return health
}
