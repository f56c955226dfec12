// Package dashboardtest reads generated Grafana dashboards (plain JSON) for
// tests: their panels, queries and template variables, and expands Grafana
// variables in a query to the values a test picks.
//
// It is test support: only tests import it, never the daemon. It reads the
// JSON the way Grafana does (untyped), not through the generator's types,
// so that it checks what is committed rather than what the SDK meant.
package dashboardtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dashboard is one dashboard's JSON, with what tests look at pulled out.
type Dashboard struct {
	File          string
	UID, Title    string
	SchemaVersion float64
	Panels        []Panel
	Variables     []Variable
	Raw           map[string]any
}

// Panel is a panel or a row.
type Panel struct {
	ID          float64
	Type, Title string
	Unit        string // fieldConfig.defaults.unit
	Datasource  map[string]any
	Targets     []Target
	X, Y, W, H  float64
	Raw         map[string]any
}

// Target is one query of a panel.
type Target struct {
	RefID, Expr, Legend string
	Datasource          map[string]any
	Instant, Range      bool
}

// Variable is a template variable.
type Variable struct {
	Name, Type string
	Query      string // a query variable's query (label_values(...))
	Datasource map[string]any
	Multi      bool
	AllValue   string
}

// Load reads every *.json of dir, sorted by file name.
func Load(dir string) ([]Dashboard, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		d, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		d.File = f
		out = append(out, d)
	}
	return out, nil
}

// Parse reads one dashboard's JSON.
func Parse(b []byte) (Dashboard, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{Raw: raw, UID: str(raw["uid"]), Title: str(raw["title"])}
	d.SchemaVersion, _ = raw["schemaVersion"].(float64)
	for _, p := range list(raw["panels"]) {
		d.Panels = append(d.Panels, panel(obj(p)))
	}
	for _, v := range list(obj(raw["templating"])["list"]) {
		m := obj(v)
		vv := Variable{Name: str(m["name"]), Type: str(m["type"]), Datasource: obj(m["datasource"]), AllValue: str(m["allValue"])}
		vv.Multi, _ = m["multi"].(bool)
		if q, ok := m["query"].(string); ok {
			vv.Query = q
		}
		d.Variables = append(d.Variables, vv)
	}
	return d, nil
}

func panel(m map[string]any) Panel {
	p := Panel{Raw: m, Type: str(m["type"]), Title: str(m["title"]), Datasource: obj(m["datasource"])}
	p.ID, _ = m["id"].(float64)
	p.Unit = str(obj(obj(m["fieldConfig"])["defaults"])["unit"])
	g := obj(m["gridPos"])
	p.X, _ = g["x"].(float64)
	p.Y, _ = g["y"].(float64)
	p.W, _ = g["w"].(float64)
	p.H, _ = g["h"].(float64)
	for _, t := range list(m["targets"]) {
		tm := obj(t)
		tt := Target{RefID: str(tm["refId"]), Expr: str(tm["expr"]), Legend: str(tm["legendFormat"]), Datasource: obj(tm["datasource"])}
		tt.Instant, _ = tm["instant"].(bool)
		tt.Range, _ = tm["range"].(bool)
		p.Targets = append(p.Targets, tt)
	}
	return p
}

// Visualizations returns the dashboard's panels that are not rows.
func (d Dashboard) Visualizations() []Panel {
	var out []Panel
	for _, p := range d.Panels {
		if p.Type != "row" {
			out = append(out, p)
		}
	}
	return out
}

// variableRef matches Grafana's variable syntaxes: $var, ${var},
// ${var:format} and [[var]].
var variableRef = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]`)

// References returns the names of the variables s refers to, in order of
// appearance, once each. Numbers ($1 in a label_replace replacement) are
// not variables: Grafana leaves them alone as it leaves any unknown name.
func References(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
		name := m[1] + m[2] + m[3]
		if isNumber(name) || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out
}

// Expand replaces every variable reference of s whose name is in values.
func Expand(s string, values map[string]string) string {
	return variableRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		if v, ok := values[m[1]+m[2]+m[3]]; ok {
			return v
		}
		return ref
	})
}

var labelValues = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// LabelValues splits a label_values(selector, label) variable query.
func LabelValues(query string) (selector, label string, ok bool) {
	m := labelValues.FindStringSubmatch(strings.TrimSpace(query))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
