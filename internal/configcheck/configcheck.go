// Package configcheck is steward check-config: it loads a config file as
// the daemon would, checks what config.Load leaves to others (the PromQL
// of the measurement queries), and reports the config's size, what a
// catalog contributed and the RACI matrix's findings.
package configcheck

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/internal/promql"
	"github.com/steward-sh/steward/raci"
)

// Check checks the config file and writes its report to w. It fails when
// the config has a problem or the RACI matrix, as of now, a violation (an
// activity nobody is Accountable for); warnings alone do not fail it.
func Check(ctx context.Context, file string, w io.Writer, now time.Time) error {
	cfg, err := configload.Load(ctx, file)
	if err == nil {
		err = checkQueries(cfg)
	}
	if err != nil {
		return fmt.Errorf("%s is invalid:\n%w", file, err)
	}
	fmt.Fprintf(w, "%s is valid: %d people, %d systems, %d programs, windows", file, len(cfg.People), len(cfg.Systems), len(cfg.Programs))
	for _, win := range cfg.Windows {
		fmt.Fprintf(w, " %s", win.Name)
	}
	fmt.Fprintln(w)
	if r := cfg.CatalogReport; r != nil {
		fmt.Fprintf(w, "imported from the catalog at %s: %d people, %d programs, %d systems, %d aliases; %d conflicts\n",
			r.Source, r.People, r.Programs, r.Systems, r.Aliases, len(r.Conflicts))
		for _, c := range r.Conflicts {
			fmt.Fprintf(w, "conflict: %s\n", c)
		}
	}
	// A violation (an activity nobody is Accountable for) fails the check
	// as a config error would; warnings alone do not.
	if n := raci.PrintFindings(w, cfg, now); n > 0 {
		return fmt.Errorf("%s: the RACI matrix has %d violation%s", file, n, map[bool]string{true: "s"}[n > 1])
	}
	return nil
}

// checkQueries checks the measurement queries' PromQL, which config.Load
// leaves to the query API (the daemon does not carry Prometheus's parser).
func checkQueries(cfg *config.Config) error {
	m := cfg.Measurements
	if m == nil {
		return nil
	}
	var errs config.Errors
	for _, q := range []struct {
		name string
		q    *config.MeasurementQuery
	}{{"uptime", m.Uptime}, {"response_time", m.ResponseTime}} {
		if q.q == nil {
			continue
		}
		if err := promql.CheckGrouping(q.q.Query, q.q.By); err != nil {
			errs = append(errs, config.Error{Line: q.q.Line, Msg: fmt.Sprintf("measurements: %s: query: %v", q.name, err)})
		}
	}
	if len(errs) > 0 {
		return &errs
	}
	return nil
}
