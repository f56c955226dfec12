package raci

import (
	"fmt"
	"io"
	"time"

	"github.com/steward-sh/steward/config"
)

// View writes the matrix as of at, narrowed by f, in format (markdown,
// md, csv or json): what steward raci prints. The filter's systems may be
// ids or aliases, and its party must be a person or team the config names
// or the matrix gives a letter: a view of someone nobody knows is a typo,
// not an empty matrix. Errors name the config as file.
func View(w io.Writer, cfg *config.Config, file string, at time.Time, f Filter, format string) error {
	f.Systems = append([]string(nil), f.Systems...)
	for i, name := range f.Systems {
		s, ok := cfg.System(name)
		if !ok {
			return fmt.Errorf("--system: no system or alias %q in %s", name, file)
		}
		f.Systems[i] = s.ID
	}
	matrix := Matrix(cfg, at)
	if f.Party != "" && !knownParty(cfg, matrix, f.Party) {
		return fmt.Errorf("--person: no person or team %q in %s", f.Party, file)
	}
	rows := f.Select(matrix)
	switch format {
	case "markdown", "md":
		return Markdown(w, rows, f.Party)
	case "csv":
		return CSV(w, rows)
	case "json":
		return JSON(w, rows)
	}
	return fmt.Errorf("--format: %q is not markdown, csv or json", format)
}

// knownParty reports whether the config names party as a person or a team,
// or the matrix gives them a letter.
func knownParty(cfg *config.Config, matrix []Row, party string) bool {
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

// PrintFindings writes the matrix's violations and warnings as of now and
// returns how many violations there are.
func PrintFindings(w io.Writer, cfg *config.Config, now time.Time) int {
	violations := 0
	for _, f := range Check(cfg, Matrix(cfg, now)) {
		fmt.Fprintf(w, "%s: %s\n", f.Severity, f.Message)
		if f.Severity == "violation" {
			violations++
		}
	}
	return violations
}
