package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
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
	if err := parseFlags(fs, args); err != nil {
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
	for i, name := range f.Systems {
		s, ok := cfg.System(name)
		if !ok {
			return fmt.Errorf("--system: no system or alias %q in %s", name, *file)
		}
		f.Systems[i] = s.ID
	}
	f.Party = *person
	matrix := raci.Matrix(cfg, at)
	if *person != "" && !knownParty(cfg, matrix, *person) {
		return fmt.Errorf("--person: no person or team %q in %s", *person, *file)
	}
	rows := f.Select(matrix)
	switch *format {
	case "markdown", "md":
		return raci.Markdown(stdout, rows, *person)
	case "csv":
		return raci.CSV(stdout, rows)
	case "json":
		return raci.JSON(stdout, rows)
	}
	return fmt.Errorf("--format: %q is not markdown, csv or json", *format)
}

// knownParty reports whether the config names party as a person or a team,
// or the matrix gives them a letter: a view of someone nobody knows is a
// typo, not an empty matrix.
func knownParty(cfg *config.Config, matrix []raci.Row, party string) bool {
	if _, ok := cfg.Person(party); ok {
		return true
	}
	if _, ok := cfg.Team(party); ok {
		return true
	}
	for _, r := range matrix {
		if r.Letters(party) != "" {
			return true
		}
	}
	return false
}

// parseDate takes RFC 3339 or a plain date (midnight UTC).
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}

// printFindings writes the matrix's violations and warnings as of now and
// returns how many violations there are.
func printFindings(w io.Writer, cfg *config.Config, now time.Time) int {
	violations := 0
	for _, f := range raci.Check(cfg, raci.Matrix(cfg, now)) {
		fmt.Fprintf(w, "%s: %s\n", f.Severity, f.Message)
		if f.Severity == "violation" {
			violations++
		}
	}
	return violations
}
