package main

import (
	"context"
	"fmt"
	"io"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/dashboards"
	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/mixin"
)

const dashboardsSummary = "Write the monitoring mixin: Grafana dashboards (JSON and provisioning files) into --output.dir " +
	"and the Prometheus alerting and recording rules into --mixin.dir. " +
	"With --config.file, the dashboards' KPI colours follow that file's objectives and the windows are checked against it."

func runDashboards(_ context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := mixin.DefaultConfig()
	fs := newFlags("dashboards", dashboardsSummary, stderr)
	out := fs.String("output.dir", "dashboards", "Directory of the dashboards: json/ and provisioning/ are written under it.")
	mixinDir := fs.String("mixin.dir", "mixin", "Directory of the rule files (alerts.yml, rules.yml).")
	file := fs.String("config.file", "", "Steward configuration to take objectives and windows from (default: the mixin's defaults).")
	fs.StringVar(&cfg.Selector, "selector", cfg.Selector, "Label matchers selecting the daemon's own series: up and its self-metrics (its scrape job).")
	fs.StringVar(&cfg.KPISelector, "kpi.selector", cfg.KPISelector, "Label matchers selecting the KPI series (none by default: backfilled history has no job label).")
	fs.StringVar(&cfg.BreachWindow, "window.breach", cfg.BreachWindow, "Window whose KPI statuses StewardKPIBreach watches.")
	fs.StringVar(&cfg.ShortWindow, "window.short", cfg.ShortWindow, "Short window of the regression rules.")
	fs.StringVar(&cfg.LongWindow, "window.long", cfg.LongWindow, "Long window the regression rules compare the short one with.")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	windows := []string{"7d", "30d", "90d"} // Steward's default windows
	if *file != "" {
		c, err := config.Load(*file)
		if err != nil {
			return err
		}
		windows = windows[:0]
		for _, w := range c.Windows {
			windows = append(windows, w.Name)
		}
		cfg.Objectives = map[string]mixin.Objective{}
		for name, o := range c.Objectives {
			cfg.Objectives[name] = mixin.Objective{Objective: o.Objective, Warning: o.Warning}
		}
	}
	if err := cfg.Validate(windows); err != nil {
		return err
	}
	if err := dashboards.Write(*out, cfg); err != nil {
		return err
	}
	if err := mixin.Write(*mixinDir, cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote dashboards to %s and rules to %s\n", *out, *mixinDir)
	return nil
}
