// Package raci computes the accountability matrix of a configuration as of
// any instant: for every activity of every system and process, who is
// Responsible, Accountable, Consulted and Informed, and what breaks the
// rules (no Accountable, no Responsible, too many systems on one person).
// It reads only the configuration; it knows nothing of records or KPIs.
package raci

import (
	"fmt"
	"slices"
	"time"

	"github.com/steward-sh/steward/config"
)

// Row is one activity of one system or process as of an instant.
type Row struct {
	ScopeKind   string   `json:"scope_kind"` // "system" or "process"
	Scope       string   `json:"scope"`
	Activity    string   `json:"activity"`
	Responsible []string `json:"responsible"`
	Accountable string   `json:"accountable"` // "" when nobody is
	// AccountableByDefault is true when the Accountable is the system or
	// process owner because no assignment names one.
	AccountableByDefault bool      `json:"accountable_by_default"`
	Consulted            []string  `json:"consulted"`
	Informed             []string  `json:"informed"`
	Since                time.Time `json:"since,omitzero"` // start of the assignment in force
}

// Letters returns the letters a party holds in the row ("RA", "I", ...).
func (r *Row) Letters(party string) string {
	var out string
	if slices.Contains(r.Responsible, party) {
		out += "R"
	}
	if r.Accountable == party {
		out += "A"
	}
	if slices.Contains(r.Consulted, party) {
		out += "C"
	}
	if slices.Contains(r.Informed, party) {
		out += "I"
	}
	return out
}

// Matrix returns every row as of at: each system with each activity that
// applies to systems, then each configured process with each activity that
// applies to processes, in config order.
func Matrix(cfg *config.Config, at time.Time) []Row {
	var rows []Row
	for i := range cfg.Systems {
		s := &cfg.Systems[i]
		for _, act := range cfg.RACI.Activities {
			if !act.Applies("system", s.ID) {
				continue
			}
			row := Row{ScopeKind: "system", Scope: s.ID, Activity: act.ID}
			a := inForce(cfg, "system", s.ID, act.ID, at)
			if a == nil {
				a = inForce(cfg, "system", config.AllSystems, act.ID, at)
			}
			fill(&row, a, s.OwnerAt(at))
			rows = append(rows, row)
		}
	}
	for _, p := range []struct {
		name string
		proc *config.Process
	}{{"incident", cfg.Processes.Incident}, {"change", cfg.Processes.Change}} {
		if p.proc == nil {
			continue
		}
		for _, act := range cfg.RACI.Activities {
			if !act.Applies("process", p.name) {
				continue
			}
			row := Row{ScopeKind: "process", Scope: p.name, Activity: act.ID}
			fill(&row, inForce(cfg, "process", p.name, act.ID, at), p.proc.Owner)
			rows = append(rows, row)
		}
	}
	return rows
}

// inForce returns the assignment of an activity for a scope in force at at.
// Assignments are sorted by scope and since (config.Load does it).
func inForce(cfg *config.Config, kind, scope, activity string, at time.Time) *config.Assignment {
	var found *config.Assignment
	for i := range cfg.RACI.Assignments {
		a := &cfg.RACI.Assignments[i]
		if a.ScopeKind() == kind && a.Scope() == scope && a.Activity == activity && !a.Since.After(at) {
			found = a
		}
	}
	return found
}

func fill(row *Row, a *config.Assignment, owner string) {
	row.Accountable, row.AccountableByDefault = owner, owner != ""
	if a == nil {
		return
	}
	row.Since = a.Since
	row.Responsible, row.Consulted, row.Informed = a.Responsible, a.Consulted, a.Informed
	if a.Accountable != "" {
		row.Accountable, row.AccountableByDefault = a.Accountable, false
	}
}

// Finding is a rule the matrix breaks. Violations are errors of the data
// (an activity with nobody Accountable); warnings are worth a look.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"` // "violation" or "warning"
	Scope    string `json:"scope,omitempty"`
	Activity string `json:"activity,omitempty"`
	Person   string `json:"person,omitempty"`
	Message  string `json:"message"`
}

// Rules, as the `rule` label of steward_raci_findings.
const (
	RuleNoAccountable       = "no_accountable"
	RuleNoResponsible       = "no_responsible"
	RuleAccountableOverload = "accountable_overload"
)

// Check lists what the matrix as of at breaks.
func Check(cfg *config.Config, rows []Row) []Finding {
	var out []Finding
	systems := map[string][]string{}
	for _, r := range rows {
		scope := r.ScopeKind + " " + r.Scope
		if r.Accountable == "" {
			out = append(out, Finding{Rule: RuleNoAccountable, Severity: "violation", Scope: scope, Activity: r.Activity,
				Message: fmt.Sprintf("%s: activity %s has nobody Accountable (no assignment names one and the %s has no owner)", scope, r.Activity, r.ScopeKind)})
		}
		if len(r.Responsible) == 0 {
			out = append(out, Finding{Rule: RuleNoResponsible, Severity: "warning", Scope: scope, Activity: r.Activity,
				Message: fmt.Sprintf("%s: activity %s has nobody Responsible", scope, r.Activity)})
		}
		if r.ScopeKind == "system" && r.Accountable != "" && !slices.Contains(systems[r.Accountable], r.Scope) {
			systems[r.Accountable] = append(systems[r.Accountable], r.Scope)
		}
	}
	if max := cfg.RACI.MaxAccountableSystems; max > 0 {
		for _, p := range sortedKeys(systems) {
			if n := len(systems[p]); n > max {
				out = append(out, Finding{Rule: RuleAccountableOverload, Severity: "warning", Person: p,
					Message: fmt.Sprintf("person %s is Accountable for %d systems (more than raci.max_accountable_systems %d)", p, n, max)})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// AlertRoute says who a KPI alert about a system goes to: the Accountable
// and the Informed of raci.alert_activity in force at at, or the system's
// owner when the config has no such activity.
func AlertRoute(cfg *config.Config, s *config.System, at time.Time) (accountable string, informed []string) {
	for _, act := range cfg.RACI.Activities {
		if act.ID != cfg.RACI.AlertActivity || !act.Applies("system", s.ID) {
			continue
		}
		row := Row{}
		a := inForce(cfg, "system", s.ID, act.ID, at)
		if a == nil {
			a = inForce(cfg, "system", config.AllSystems, act.ID, at)
		}
		fill(&row, a, s.OwnerAt(at))
		return row.Accountable, row.Informed
	}
	return s.OwnerAt(at), nil
}
