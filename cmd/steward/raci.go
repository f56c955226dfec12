package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steward-sh/steward/internal/cli"
	"github.com/steward-sh/steward/internal/configload"
	"github.com/steward-sh/steward/raci"
)

// strList is a repeatable string flag.
type strList []string

func (s *strList) String() string     { return strings.Join(*s, ",") }
func (s *strList) Set(v string) error { *s = append(*s, v); return nil }

var _ flag.Value = (*strList)(nil)

func runRACI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("raci", "Print the accountability matrix (who is Responsible, Accountable, Consulted, Informed\nfor each activity of each system and process) as of a date, and what breaks its rules.", stderr)
	file := fs.String("config.file", "steward.yml", "Steward configuration file.")
	atFlag := fs.String("at", "", "Date of the matrix, RFC 3339 or YYYY-MM-DD (default: now).")
	format := fs.String("format", "markdown", "Output format: markdown, csv or json.")
	person := fs.String("person", "", "Show one person's (or team's) view: everything they are R, A, C or I for.")
	var f raci.Filter
	fs.Var((*strList)(&f.Systems), "system", "Only this system (id or alias); repeatable.")
	fs.Var((*strList)(&f.Processes), "process", "Only this process (incident or change); repeatable.")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	cfg, err := configload.Load(ctx, *file)
	if err != nil {
		return err
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		if at, err = parseDate(*atFlag); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	f.Party = *person
	return raci.View(stdout, cfg, *file, at, f, *format)
}

// parseDate takes RFC 3339 or a plain date (midnight UTC).
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}
