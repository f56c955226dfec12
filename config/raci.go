package config

import (
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Team is a team that RACI assignments may name. Teams that only appear in
// records need no declaration.
type Team struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// RACI is the accountability matrix: for each activity, per system and per
// process, who is Responsible, Accountable, Consulted and Informed.
type RACI struct {
	// MaxAccountableSystems warns about a person Accountable for more
	// systems than this (0: no limit).
	MaxAccountableSystems int
	// AlertActivity is the system activity whose Accountable and Informed
	// KPI alerts are routed to (default incident-response).
	AlertActivity string
	Activities    []Activity
	Assignments   []Assignment // sorted by scope, activity, since after Load
}

// DefaultAlertActivity is the activity KPI alerts follow unless
// raci.alert_activity names another.
const DefaultAlertActivity = "incident-response"

// Activity is a piece of accountable work. Scope says what it applies to:
// "system" (every system), "process" (both processes), "incident" or
// "change" (that process only), or "any" (everything).
type Activity struct {
	ID    string
	Scope string
}

// AllSystems, as an assignment's System, makes it the default for every
// system; an assignment naming the system overrides it.
const AllSystems = "*"

// Assignment says who holds which letter for one activity of one system or
// process, from Since until the next assignment of the same scope and
// activity. An empty Accountable means the default: the system owner (at
// each instant) or the process owner.
type Assignment struct {
	System      string // a system id (aliases are resolved by Load), AllSystems, or ""
	Process     string // "incident", "change" or ""
	Activity    string
	Since       time.Time
	Responsible []string
	Accountable string
	Consulted   []string
	Informed    []string
	Line        int
}

// Applies reports whether the activity applies to a scope: kind "system"
// or "process", name the process ("incident", "change") or system id.
func (a Activity) Applies(kind, name string) bool {
	return a.Scope == "any" || a.Scope == kind || (kind == "process" && a.Scope == name)
}

const defaultMaxAccountableSystems = 10

func (d *decoder) teams(n *yaml.Node) []Team {
	items, _ := d.seq(n, "teams")
	out := make([]Team, 0, len(items))
	for i, it := range items {
		where := entryName(it, "team", "teams", i, "id")
		var t Team
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"id":   func(v *yaml.Node) { t.ID, _ = d.str(v, at(where, "id")) },
			"name": func(v *yaml.Node) { t.Name, _ = d.str(v, at(where, "name")) },
		})
		if ok {
			d.declare(&d.teamDecls, it, where, t.ID)
		}
		out = append(out, t)
	}
	return out
}

func (d *decoder) raci(n *yaml.Node, r *RACI) {
	const where = "raci"
	d.fields(n, where, map[string]func(*yaml.Node){
		"max_accountable_systems": func(v *yaml.Node) {
			if x, ok := d.integer(v, at(where, "max_accountable_systems")); ok {
				if x < 0 {
					d.errorf(deref(v), where, "max_accountable_systems %d is negative", x)
				}
				r.MaxAccountableSystems = x
			}
		},
		"alert_activity": func(v *yaml.Node) {
			if a, ok := d.str(v, at(where, "alert_activity")); ok {
				r.AlertActivity, d.alertActivityLine = a, deref(v).Line
			}
		},
		"activities":  func(v *yaml.Node) { r.Activities = d.activities(v) },
		"assignments": func(v *yaml.Node) { r.Assignments = d.assignments(v) },
	})
}

func (d *decoder) activities(n *yaml.Node) []Activity {
	items, _ := d.seq(n, "raci: activities")
	out := make([]Activity, 0, len(items))
	for i, it := range items {
		where := entryName(it, "activity", "activities", i, "id")
		a := Activity{Scope: "any"}
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"id": func(v *yaml.Node) { a.ID, _ = d.str(v, at(where, "id")) },
			"scope": func(v *yaml.Node) {
				if s, ok := d.str(v, at(where, "scope")); ok {
					if !slices.Contains([]string{"system", "process", "incident", "change", "any"}, s) {
						d.errorf(deref(v), where, "scope %q is not one of system, process, incident, change, any", s)
					}
					a.Scope = s
				}
			},
		})
		switch {
		case !ok:
		case a.ID == "":
			d.errorf(deref(it), where, "id is required")
		default:
			d.activityDecls = append(d.activityDecls, decl{a.ID, deref(it).Line})
			out = append(out, a)
		}
	}
	return out
}

func (d *decoder) assignments(n *yaml.Node) []Assignment {
	items, _ := d.seq(n, "raci: assignments")
	out := make([]Assignment, 0, len(items))
	for i, it := range items {
		where := fmt.Sprintf("raci assignments[%d]", i)
		a := Assignment{Line: deref(it).Line}
		parties := func(letter string, dst *[]string) func(*yaml.Node) {
			return func(v *yaml.Node) {
				names, _ := d.strs(v, at(where, letter))
				*dst = names
				for _, name := range names {
					d.parties = append(d.parties, party{where, letter, name, deref(v).Line})
				}
			}
		}
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"system":      func(v *yaml.Node) { a.System, _ = d.str(v, at(where, "system")) },
			"process":     func(v *yaml.Node) { a.Process, _ = d.str(v, at(where, "process")) },
			"activity":    func(v *yaml.Node) { a.Activity, _ = d.str(v, at(where, "activity")) },
			"since":       func(v *yaml.Node) { a.Since, _ = d.instant(v, at(where, "since")) },
			"responsible": parties("responsible", &a.Responsible),
			"consulted":   parties("consulted", &a.Consulted),
			"informed":    parties("informed", &a.Informed),
			"accountable": func(v *yaml.Node) {
				if deref(v).Kind == yaml.SequenceNode {
					d.errorf(deref(v), where, "accountable must be exactly one person, not a list")
					return
				}
				if x, ok := d.str(v, at(where, "accountable")); ok && x != "" {
					a.Accountable = x
					d.parties = append(d.parties, party{where, "accountable", x, deref(v).Line})
				}
			},
		})
		if !ok {
			continue
		}
		switch {
		case a.Activity == "":
			d.errorf(deref(it), where, "activity is required")
		case (a.System == "") == (a.Process == ""):
			d.errorf(deref(it), where, "give exactly one of system or process")
		case a.Process != "" && a.Process != "incident" && a.Process != "change":
			d.errorf(deref(it), where, "process %q is not one of incident, change", a.Process)
		default:
			if a.System != "" && a.System != AllSystems {
				d.refs = append(d.refs, ref{where, "system", a.System, "systems", deref(it).Line})
			}
			out = append(out, a)
		}
	}
	return out
}

// party is a name an assignment gives a letter to: a person or a team.
type party struct {
	ctx, letter, name string
	line              int
}

// checkRACI runs once everything is decoded: every party exists, an
// Accountable is a person, activities and processes exist and fit the
// scope, and no scope has two assignments of one activity at one instant.
func (d *decoder) checkRACI(c *Config) {
	people, teams := names(d.personDecls), names(d.teamDecls)
	for _, p := range d.parties {
		isPerson, isTeam := people[p.name], teams[p.name]
		switch {
		case p.letter == "accountable" && isTeam && !isPerson:
			d.errs.add(p.line, "%s: accountable %q is a team; the Accountable must be a person", p.ctx, p.name)
		case !isPerson && !isTeam:
			d.errs.add(p.line, "%s: %s %q is not declared under people or teams", p.ctx, p.letter, p.name)
		}
	}
	activities := map[string]Activity{}
	for _, a := range c.RACI.Activities {
		activities[a.ID] = a
	}
	if line := d.alertActivityLine; line > 0 {
		if a, ok := activities[c.RACI.AlertActivity]; !ok {
			d.errs.add(line, "raci: alert_activity %q is not declared under raci.activities", c.RACI.AlertActivity)
		} else if !a.Applies("system", "") {
			d.errs.add(line, "raci: alert_activity %q does not apply to systems", c.RACI.AlertActivity)
		}
	}
	systemID := map[string]string{}
	for _, s := range c.Systems {
		systemID[s.ID] = s.ID
		for _, al := range s.Aliases {
			systemID[al] = s.ID
		}
	}
	seen := map[string]int{}
	for i, a := range c.RACI.Assignments {
		where := fmt.Sprintf("raci assignments[%d]", i)
		act, ok := activities[a.Activity]
		kind, scope := a.ScopeKind(), a.Scope()
		if id, ok := systemID[scope]; ok && kind == "system" {
			scope = id
		}
		switch {
		case !ok:
			d.errs.add(a.Line, "%s: activity %q is not declared under raci.activities", where, a.Activity)
			continue
		case !act.Applies(kind, scope) && scope != AllSystems:
			d.errs.add(a.Line, "%s: activity %q has scope %s: it does not apply to %s %q", where, a.Activity, act.Scope, kind, scope)
		case scope == AllSystems && !act.Applies(kind, ""):
			d.errs.add(a.Line, "%s: activity %q has scope %s: it does not apply to systems", where, a.Activity, act.Scope)
		case kind == "process" && processOf(c, scope) == nil:
			d.errs.add(a.Line, "%s: process %q is not configured under processes", where, scope)
		}
		key := kind + "/" + scope + "/" + a.Activity + "/" + a.Since.String()
		if line, dup := seen[key]; dup {
			d.errs.add(a.Line, "%s %q: activity %q has two assignments with the same since %s (first on line %d): only one may be Accountable at a time",
				kind, scope, a.Activity, a.Since.Format(time.RFC3339), line)
		}
		seen[key] = a.Line
	}
}

func names(decls []decl) map[string]bool {
	out := make(map[string]bool, len(decls))
	for _, x := range decls {
		out[x.name] = true
	}
	return out
}

// ScopeKind is "system" or "process".
func (a *Assignment) ScopeKind() string {
	if a.Process != "" {
		return "process"
	}
	return "system"
}

// Scope is the system id (or AllSystems) or process name.
func (a *Assignment) Scope() string {
	if a.Process != "" {
		return a.Process
	}
	return a.System
}

func processOf(c *Config, name string) *Process {
	switch name {
	case "incident":
		return c.Processes.Incident
	case "change":
		return c.Processes.Change
	}
	return nil
}

// indexRACI resolves assignment aliases to system ids and sorts the
// assignments by scope, activity and since, so the one in force at an
// instant is the last one starting at or before it.
func (c *Config) indexRACI() {
	for i := range c.RACI.Assignments {
		a := &c.RACI.Assignments[i]
		if s, ok := c.systemByName[a.System]; ok {
			a.System = s.ID
		}
	}
	slices.SortStableFunc(c.RACI.Assignments, func(x, y Assignment) int {
		if v := cmpStr(x.ScopeKind(), y.ScopeKind()); v != 0 {
			return v
		}
		if v := cmpStr(x.Scope(), y.Scope()); v != 0 {
			return v
		}
		if v := cmpStr(x.Activity, y.Activity); v != 0 {
			return v
		}
		return x.Since.Compare(y.Since)
	})
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Team returns a declared team by id.
func (c *Config) Team(id string) (*Team, bool) {
	for i := range c.Teams {
		if c.Teams[i].ID == id {
			return &c.Teams[i], true
		}
	}
	return nil, false
}
