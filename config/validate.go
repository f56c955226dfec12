package config

import "go.yaml.in/yaml/v3"

// crossCheck checks what no single entry can check alone: ids are unique,
// aliases are unique across all system ids and aliases, and every reference
// names something declared.
func (d *decoder) crossCheck() {
	people := d.unique(d.personDecls, "person")
	programs := d.unique(d.programDecls, "program")
	systems := d.unique(d.systemDecls, "system")
	d.unique(d.teamDecls, "team")
	d.unique(d.activityDecls, "activity")

	// Ids first, so that an alias clashing with an id is reported at the
	// alias wherever the two systems are in the file.
	owner := make(map[string]string, len(systems))
	for id := range systems {
		owner[id] = id
	}
	for _, a := range d.aliases {
		switch other, used := owner[a.alias]; {
		case !used:
			owner[a.alias] = a.system
		case other != a.system:
			d.errs.add(a.line, "alias %q of system %q is already used by system %q", a.alias, a.system, other)
		}
	}

	declared := map[string]map[string]string{"people": people, "programs": programs, "systems": owner}
	for _, r := range d.refs {
		if _, ok := declared[r.under][r.name]; !ok {
			d.errs.add(r.line, "%s: %s %q is not declared under %s", r.ctx, r.what, r.name, r.under)
		}
	}
}

// declare records an entry's id for the cross-checks, or reports it
// missing.
func (d *decoder) declare(decls *[]decl, n *yaml.Node, where, id string) {
	if id == "" {
		d.errorf(deref(n), where, "id is required")
		return
	}
	*decls = append(*decls, decl{id, deref(n).Line})
}

// unique reports ids declared twice and returns the set of declared ids.
func (d *decoder) unique(decls []decl, kind string) map[string]string {
	first := make(map[string]int, len(decls))
	set := make(map[string]string, len(decls))
	for _, x := range decls {
		if line, dup := first[x.name]; dup {
			d.errs.add(x.line, "%s %q is declared twice (first on line %d)", kind, x.name, line)
			continue
		}
		first[x.name] = x.line
		set[x.name] = x.name
	}
	return set
}
