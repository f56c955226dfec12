package raci

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Filter selects rows: by system ids, process names, and rows where a
// person or team holds any letter. Empty fields select everything.
type Filter struct {
	Systems   []string
	Processes []string
	Party     string
}

// Select returns the rows the filter keeps.
func (f Filter) Select(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if len(f.Systems) > 0 || len(f.Processes) > 0 {
			if !(r.ScopeKind == "system" && slices.Contains(f.Systems, r.Scope)) &&
				!(r.ScopeKind == "process" && slices.Contains(f.Processes, r.Scope)) {
				continue
			}
		}
		if f.Party != "" && r.Letters(f.Party) == "" {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Markdown writes the rows as a table. With party set, it writes that
// party's view instead: each row with the letters they hold.
func Markdown(w io.Writer, rows []Row, party string) error {
	var b strings.Builder
	if party != "" {
		fmt.Fprintf(&b, "| Scope | Activity | %s |\n|---|---|---|\n", party)
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s %s | %s | %s |\n", r.ScopeKind, r.Scope, r.Activity, r.Letters(party))
		}
	} else {
		b.WriteString("| Scope | Activity | Responsible | Accountable | Consulted | Informed |\n|---|---|---|---|---|---|\n")
		for _, r := range rows {
			acc := r.Accountable
			switch {
			case acc == "":
				acc = "**nobody**"
			case r.AccountableByDefault:
				acc += " (owner)"
			}
			fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %s | %s |\n", r.ScopeKind, r.Scope, r.Activity,
				list(r.Responsible), acc, list(r.Consulted), list(r.Informed))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func list(names []string) string {
	if len(names) == 0 {
		return "–"
	}
	return strings.Join(names, ", ")
}

// CSV writes one line per letter held: scope_kind, scope, activity,
// letter, party, and whether an Accountable is the owner by default.
func CSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"scope_kind", "scope", "activity", "letter", "party", "by_default"})
	for _, r := range rows {
		for _, a := range Assignments(r) {
			_ = cw.Write([]string{r.ScopeKind, r.Scope, r.Activity, a.Letter, a.Party, fmt.Sprint(a.ByDefault)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSON writes the rows as a JSON array.
func JSON(w io.Writer, rows []Row) error {
	out := make([]Row, len(rows))
	for i, r := range rows {
		for _, l := range []*[]string{&r.Responsible, &r.Consulted, &r.Informed} {
			if *l == nil {
				*l = []string{}
			}
		}
		out[i] = r
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Letter is one letter held by one party in one row.
type Letter struct {
	Letter    string // "R", "A", "C" or "I"
	Party     string
	ByDefault bool
}

// Assignments flattens a row into the letters held, R, A, C, I in order.
func Assignments(r Row) []Letter {
	var out []Letter
	for _, p := range r.Responsible {
		out = append(out, Letter{"R", p, false})
	}
	if r.Accountable != "" {
		out = append(out, Letter{"A", r.Accountable, r.AccountableByDefault})
	}
	for _, p := range r.Consulted {
		out = append(out, Letter{"C", p, false})
	}
	for _, p := range r.Informed {
		out = append(out, Letter{"I", p, false})
	}
	return out
}
