// Command steward is the Steward daemon and its tools. main only parses
// flags and wires the packages together; each subcommand is a function that
// takes a context, so the whole daemon runs inside a test.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/steward-sh/steward/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the daemon (the default when no command is given)", runServe},
		{"check-config", "validate a config file and print every problem", runCheckConfig},
		{"quarantine", "list records rejected by ingest (quarantine list)", runQuarantine},
		{"generate", "write a synthetic dataset (config and NDJSON records)", runGenerate},
		{"import", "import incidents or changes from CSV or NDJSON files (public dataset presets too)", runImport},
		{"report", "write a performance review of a period (Markdown, HTML, CSV, JSON); --freeze keeps it", runReport},
		{"backfill", "write past KPI values as metrics (OpenMetrics file or VictoriaMetrics import)", runBackfill},
		{"raci", "print the accountability matrix (RACI) as of a date", runRACI},
		{"dashboards", "write the Grafana dashboards and the Prometheus alerting and recording rules", runDashboards},
		{"token", "make API credentials: a bearer token and its hash, or a bcrypt password hash", runToken},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintf(stdout, "steward %s\n", version)
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Steward makes accountability for IT systems measurable.\n\nUsage: steward [command] [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'steward COMMAND --help' for a command's flags (the daemon's: 'steward serve --help').\n")
}

// errUsage and errHelp are cli's, under the names the commands use.
var errUsage, errHelp = cli.ErrUsage, cli.ErrHelp

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// steward --help is a question about steward, not about serve (the
	// default command): it lists the commands like steward help.
	if len(args) == 1 && slices.Contains([]string{"-h", "-help", "--help"}, args[0]) {
		usage(stdout)
		return nil
	}
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

// newFlags makes a FlagSet whose --help explains the command.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlags("steward "+name, summary, stderr)
}

func main() { cli.Main("steward", run) }
