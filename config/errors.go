package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a configuration file. Line is 1-based; 0
// means the problem has no single place in the file.
type Error struct {
	Line int
	Msg  string
}

func (e Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Errors is every problem found in a configuration file, sorted by line.
// Parse and Load return it (as *Errors) so that a user sees all problems at
// once rather than one per attempt.
type Errors []Error

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(*e))
	for i, err := range *e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

func (e *Errors) add(line int, format string, args ...any) {
	*e = append(*e, Error{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err returns e sorted by line, or nil when there is no problem. Problems on
// one line keep the order they were found in; a problem found twice (a YAML
// anchor used in two places) is kept once.
func (e *Errors) err() error {
	if len(*e) == 0 {
		return nil
	}
	seen := map[Error]bool{}
	kept := (*e)[:0]
	for _, x := range *e {
		if !seen[x] {
			seen[x] = true
			kept = append(kept, x)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Line < kept[j].Line })
	*e = kept
	return e
}
