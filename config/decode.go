package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) root(n *yaml.Node, c *Config) {
	d.fields(n, "", map[string]func(*yaml.Node){
		"storage":      func(v *yaml.Node) { d.storage(v, &c.Storage) },
		"windows":      func(v *yaml.Node) { d.windows(v, c) },
		"people":       func(v *yaml.Node) { c.People = d.people(v) },
		"systems":      func(v *yaml.Node) { c.Systems = d.systemList(v) },
		"programs":     func(v *yaml.Node) { c.Programs = d.programs(v) },
		"processes":    func(v *yaml.Node) { d.processes(v, &c.Processes) },
		"policy":       func(v *yaml.Node) { d.policy(v, &c.Policy) },
		"objectives":   func(v *yaml.Node) { c.Objectives = d.objectives(v) },
		"teams":        func(v *yaml.Node) { c.Teams = d.teams(v) },
		"raci":         func(v *yaml.Node) { d.raci(v, &c.RACI) },
		"catalog":      func(v *yaml.Node) { d.catalog(v, &c.Catalog) },
		"export":       func(v *yaml.Node) { d.export(v, n, c) },
		"collectors":   func(v *yaml.Node) { d.collectors(v, &c.Collectors) },
		"pollers":      func(v *yaml.Node) { d.pollers(v, &c.Pollers) },
		"auth":         func(v *yaml.Node) { d.auth(v, &c.Auth) },
		"measurements": func(v *yaml.Node) { c.Measurements = d.measurements(v) },
		"limits":       func(v *yaml.Node) { d.limits(v, &c.Limits) },
	})
}

func (d *decoder) storage(n *yaml.Node, s *Storage) {
	const where = "storage"
	driverLine, dsnGiven := n.Line, false
	d.fields(n, where, map[string]func(*yaml.Node){
		"driver": func(v *yaml.Node) {
			if x, ok := d.str(v, at(where, "driver")); ok {
				s.Driver, driverLine = x, v.Line
			}
		},
		"dsn": func(v *yaml.Node) {
			if x, ok := d.str(v, at(where, "dsn")); ok {
				s.DSN, dsnGiven = x, true
			}
		},
	})
	switch s.Driver {
	case "sqlite":
		if s.DSN == "" {
			d.errs.add(n.Line, "storage: dsn is required")
		}
	case "postgres":
		// The default dsn is a sqlite file name: never hand it to postgres.
		if !dsnGiven || s.DSN == "" {
			d.errs.add(n.Line, "storage: dsn is required for driver postgres")
		}
	default:
		d.errs.add(driverLine, "storage: unknown driver %q (want sqlite or postgres)", s.Driver)
	}
}

func (d *decoder) windows(n *yaml.Node, c *Config) {
	const where = "windows"
	items, ok := d.seq(n, where)
	if !ok {
		return
	}
	if len(items) == 0 {
		d.errorf(deref(n), where, "at least one window is required")
	}
	ws := make([]Window, 0, len(items))
	seen := map[time.Duration]string{}
	for _, it := range items {
		dur, ok := d.duration(it, where)
		if !ok {
			continue
		}
		w := Window{Name: deref(it).Value, Duration: dur}
		switch prev, dup := seen[dur]; {
		case dur <= 0:
			d.errorf(deref(it), where, "window %q is not positive", w.Name)
		case dup && prev == w.Name:
			d.errorf(deref(it), where, "window %q is listed twice", w.Name)
		case dup:
			d.errorf(deref(it), where, "window %q is the same length as %q", w.Name, prev)
		default:
			seen[dur] = w.Name
			ws = append(ws, w)
		}
	}
	c.Windows = ws
}

func (d *decoder) people(n *yaml.Node) []Person {
	items, _ := d.seq(n, "people")
	out := make([]Person, 0, len(items))
	for i, it := range items {
		where := entryName(it, "person", "people", i, "id")
		var p Person
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"id":    func(v *yaml.Node) { p.ID, _ = d.str(v, at(where, "id")) },
			"name":  func(v *yaml.Node) { p.Name, _ = d.str(v, at(where, "name")) },
			"email": func(v *yaml.Node) { p.Email, _ = d.str(v, at(where, "email")) },
		})
		if ok {
			d.declare(&d.personDecls, it, where, p.ID)
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) systemList(n *yaml.Node) []System {
	items, _ := d.seq(n, "systems")
	out := make([]System, 0, len(items))
	for i, it := range items {
		out = append(out, d.system(it, i))
	}
	return out
}

func (d *decoder) system(n *yaml.Node, i int) System {
	where := entryName(n, "system", "systems", i, "id")
	var s System
	var aliases []*yaml.Node
	ok := d.fields(n, where, map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) { s.ID, _ = d.str(v, at(where, "id")) },
		"aliases": func(v *yaml.Node) {
			aliases, _ = d.seq(v, at(where, "aliases"))
		},
		"tier": func(v *yaml.Node) {
			if t, ok := d.integer(v, at(where, "tier")); ok {
				if t < 0 {
					d.errorf(deref(v), where, "tier %d is negative", t)
				}
				s.Tier = t
			}
		},
		"program": func(v *yaml.Node) {
			if p, ok := d.str(v, at(where, "program")); ok && p != "" {
				s.Program = p
				d.refs = append(d.refs, ref{where, "program", p, "programs", deref(v).Line})
			}
		},
		"owners": func(v *yaml.Node) { s.Owners = d.owners(v, where) },
	})
	if !ok {
		return s
	}
	if s.ID == "" {
		d.errorf(deref(n), where, "id is required")
		return s
	}
	d.systemDecls = append(d.systemDecls, decl{s.ID, deref(n).Line})
	for _, a := range aliases {
		name, ok := d.str(a, at(where, "aliases"))
		switch {
		case !ok:
		case name == "":
			d.errorf(deref(a), where, "empty alias")
		default:
			s.Aliases = append(s.Aliases, name)
			d.aliases = append(d.aliases, aliasDecl{name, s.ID, deref(a).Line})
		}
	}
	return s
}

// owners decodes a system's effective-dated owners. Order in the file does
// not matter (Parse sorts them), but two entries with one since would make
// the owner at that instant ambiguous.
func (d *decoder) owners(n *yaml.Node, system string) []Ownership {
	items, _ := d.seq(n, at(system, "owners"))
	out := make([]Ownership, 0, len(items))
	seen := map[int64]bool{}
	for i, it := range items {
		where := at(system, entryName(it, "owner", "owners", i, "owner"))
		var o Ownership
		ownerLine, sinceGiven := deref(it).Line, false
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"owner": func(v *yaml.Node) {
				if x, ok := d.str(v, at(where, "owner")); ok {
					o.Owner, ownerLine = x, deref(v).Line
				}
			},
			"since": func(v *yaml.Node) { o.Since, sinceGiven = d.instant(v, at(where, "since")) },
		})
		if !ok {
			continue
		}
		if o.Owner == "" {
			d.errorf(deref(it), where, "owner is required")
		} else {
			d.refs = append(d.refs, ref{system, "owner", o.Owner, "people", ownerLine})
		}
		if !sinceGiven {
			if missing(it, "since") {
				d.errorf(deref(it), where, "since is required")
			}
			out = append(out, o)
			continue
		}
		if seen[o.Since.UnixNano()] {
			d.errorf(deref(it), system, "two owners with the same since %s", o.Since.Format(time.RFC3339Nano))
		}
		seen[o.Since.UnixNano()] = true
		out = append(out, o)
	}
	return out
}

func (d *decoder) programs(n *yaml.Node) []Program {
	items, _ := d.seq(n, "programs")
	out := make([]Program, 0, len(items))
	for i, it := range items {
		where := entryName(it, "program", "programs", i, "id")
		var p Program
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"id": func(v *yaml.Node) { p.ID, _ = d.str(v, at(where, "id")) },
			"manager": func(v *yaml.Node) {
				if m, ok := d.str(v, at(where, "manager")); ok && m != "" {
					p.Manager = m
					d.refs = append(d.refs, ref{where, "manager", m, "people", deref(v).Line})
				}
			},
		})
		if ok {
			d.declare(&d.programDecls, it, where, p.ID)
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) processes(n *yaml.Node, ps *Processes) {
	entries, _ := d.mapping(n, "processes")
	for _, p := range entries {
		switch k := p.key.Value; k {
		case "incident":
			ps.Incident = d.process(p.value, k, p.key.Line)
		case "change":
			ps.Change = d.process(p.value, k, p.key.Line)
		default:
			d.errorf(p.key, "processes", "unknown key %q", k)
		}
	}
}

// process decodes the process named on line. Naming a process in the file,
// even with an empty value, declares it, so it needs its one owner.
func (d *decoder) process(n *yaml.Node, kind string, line int) *Process {
	where := fmt.Sprintf("process %q", kind)
	p := &Process{}
	ok := d.fields(n, where, map[string]func(*yaml.Node){
		"owner": func(v *yaml.Node) {
			if o, ok := d.str(v, at(where, "owner")); ok && o != "" {
				p.Owner = o
				d.refs = append(d.refs, ref{where, "owner", o, "people", deref(v).Line})
			}
		},
		"managers": func(v *yaml.Node) { p.Managers = d.managers(v, where) },
	})
	if ok && p.Owner == "" {
		d.errs.add(line, "%s: owner is required", where)
	}
	return p
}

func (d *decoder) managers(n *yaml.Node, process string) []ProcessManager {
	items, _ := d.seq(n, at(process, "managers"))
	out := make([]ProcessManager, 0, len(items))
	first := map[string]int{}
	for i, it := range items {
		where := at(process, entryName(it, "manager", "managers", i, "manager"))
		var m ProcessManager
		managerLine := deref(it).Line
		ok := d.fields(it, where, map[string]func(*yaml.Node){
			"manager": func(v *yaml.Node) {
				if x, ok := d.str(v, at(where, "manager")); ok {
					m.Manager, managerLine = x, deref(v).Line
				}
			},
			"teams": func(v *yaml.Node) { m.Teams, _ = d.strs(v, at(where, "teams")) },
			"systems": func(v *yaml.Node) {
				items, _ := d.seq(v, at(where, "systems"))
				for _, s := range items {
					if name, ok := d.str(s, at(where, "systems")); ok && name != "" {
						m.Systems = append(m.Systems, name)
						d.refs = append(d.refs, ref{where, "system", name, "systems", deref(s).Line})
					}
				}
			},
		})
		switch line, dup := first[m.Manager]; {
		case !ok:
		case m.Manager == "":
			d.errorf(deref(it), where, "manager is required")
		case dup:
			d.errorf(deref(it), process, "manager %q is listed twice (first on line %d): give one entry with the whole scope", m.Manager, line)
		default:
			first[m.Manager] = deref(it).Line
			d.refs = append(d.refs, ref{process, "manager", m.Manager, "people", managerLine})
		}
		out = append(out, m)
	}
	return out
}
