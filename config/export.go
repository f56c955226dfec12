package config

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Export limits what GET /metrics, push and backfill export, to bound the
// number of series a Prometheus has to hold. The API is never limited.
type Export struct {
	// Roles exported; nil means every role.
	Roles []string `yaml:"roles"`
	// Windows exported, by name as configured under windows; nil means
	// every window.
	Windows []string `yaml:"windows"`
}

// ExportRoles are the role names export.roles accepts (SPEC section 1).
// config cannot import the scorecard package, so they are listed here too.
var ExportRoles = []string{"system", "system_owner", "program", "program_manager",
	"process_owner", "process_manager", "team", "global"}

// ExportsRole reports whether scorecards of a role are exported.
func (e Export) ExportsRole(role string) bool {
	return e.Roles == nil || slices.Contains(e.Roles, role)
}

// ExportsWindow reports whether scorecards of a window are exported.
func (e Export) ExportsWindow(name string) bool {
	return e.Windows == nil || slices.Contains(e.Windows, name)
}

// export decodes the export section. root is the whole document: window
// names are checked against its windows key wherever that key is in the
// file (before or after export), or against the defaults when it is absent.
func (d *decoder) export(n *yaml.Node, root *yaml.Node, c *Config) {
	const where = "export"
	d.fields(n, where, map[string]func(*yaml.Node){
		"roles": func(v *yaml.Node) {
			roles, ok := d.exportList(v, at(where, "roles"), ExportRoles, "role")
			if ok {
				c.Export.Roles = roles
			}
		},
		"windows": func(v *yaml.Node) {
			windows, ok := d.exportList(v, at(where, "windows"), configuredWindows(root, c), "window")
			if ok {
				c.Export.Windows = windows
			}
		},
	})
}

// exportList decodes a non-empty list of names, each one of known and
// listed once.
func (d *decoder) exportList(n *yaml.Node, where string, known []string, what string) ([]string, bool) {
	items, ok := d.seq(n, where)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		d.errorf(deref(n), where, "the list is empty: nothing would be exported (leave the key out to export every %s)", what)
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := d.str(it, where)
		switch {
		case !ok:
		case !slices.Contains(known, s):
			d.errorf(deref(it), where, "unknown %s %q (one of %s)", what, s, strings.Join(known, ", "))
		case slices.Contains(out, s):
			d.errorf(deref(it), where, "%s %q is listed twice", what, s)
		default:
			out = append(out, s)
		}
	}
	return out, true
}

// configuredWindows lists the window names of the document: those written
// under its windows key, or the defaults (still in c) when there is none.
// Problems with the windows themselves are reported by windows().
func configuredWindows(root *yaml.Node, c *Config) []string {
	root = deref(root)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "windows" {
			continue
		}
		var names []string
		if v := deref(root.Content[i+1]); v.Kind == yaml.SequenceNode {
			for _, it := range v.Content {
				names = append(names, deref(it).Value)
			}
		}
		return names
	}
	var names []string
	for _, w := range c.Windows {
		names = append(names, w.Name)
	}
	return names
}
