package dashboards

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/dashboards/dashboardtest"
)

// The lint rules of the committed dashboards (grafana's dashboard-linter
// cannot be installed here). Each rule reports every offending panel.

var stableUIDs = []string{UIDAccountability, UIDOwner, UIDProcess, UIDProgram, UIDReview, UIDSystem}

// grafanaGlobals are the variables Grafana defines itself.
var grafanaGlobals = []string{"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
	"__from", "__to", "__all", "__dashboard", "__name", "__org", "__user", "__timezone"}

func loadCommitted(t *testing.T) []dashboardtest.Dashboard {
	t.Helper()
	ds, err := dashboardtest.Load("json")
	require.NoError(t, err)
	require.NotEmpty(t, ds)
	return ds
}

func TestLintDashboards(t *testing.T) {
	ds := loadCommitted(t)

	t.Run("stable UIDs, one file each, sensible Grafana JSON", func(t *testing.T) {
		var uids []string
		for _, d := range ds {
			uids = append(uids, d.UID)
			assert.Equal(t, d.UID+".json", filepath.Base(d.File))
			assert.True(t, strings.HasPrefix(d.Title, "Steward / "), "%s: title %q", d.UID, d.Title)
			assert.Positive(t, d.SchemaVersion, "%s: schemaVersion", d.UID)
			assert.Contains(t, d.Raw["tags"], "steward", d.UID)
			assert.NotEmpty(t, d.Visualizations(), d.UID)
		}
		assert.ElementsMatch(t, stableUIDs, uids)
	})

	t.Run("every panel has a title, a unit, the datasource variable and queries", func(t *testing.T) {
		for _, d := range ds {
			for _, p := range d.Visualizations() {
				where := fmt.Sprintf("%s panel %q", d.UID, p.Title)
				assert.NotEmpty(t, p.Title, "%s: %s panel without a title", d.UID, p.Type)
				assert.NotEmpty(t, p.Unit, "%s: no unit", where)
				assert.Equal(t, map[string]any{"type": "prometheus", "uid": "${datasource}"}, p.Datasource, where)
				require.NotEmpty(t, p.Targets, where)
				var refs []string
				for _, q := range p.Targets {
					assert.NotEmpty(t, q.Expr, where)
					assert.Equal(t, "${datasource}", q.Datasource["uid"], where)
					assert.NotEmpty(t, q.RefID, "%s: query without refId", where)
					assert.NotContains(t, refs, q.RefID, "%s: refId %s twice", where, q.RefID)
					refs = append(refs, q.RefID)
					instant := p.Type == "stat" || p.Type == "table" || p.Type == "bargauge"
					assert.Equal(t, instant, q.Instant, "%s: stats, tables and bar gauges show the latest value", where)
					assert.Equal(t, !instant, q.Range, "%s: graphs show a range", where)
				}
			}
		}
	})

	t.Run("no hard-coded datasource UID anywhere", func(t *testing.T) {
		for _, d := range ds {
			walk(d.Raw, "", func(path string, key string, v any) {
				if key != "datasource" {
					return
				}
				m, ok := v.(map[string]any)
				if assert.True(t, ok, "%s %s: datasource is not a reference", d.UID, path) {
					assert.Equal(t, "${datasource}", m["uid"], "%s %s", d.UID, path)
				}
			})
			require.NotEmpty(t, d.Variables, d.UID)
			ds := d.Variables[0]
			assert.Equal(t, dashboardtest.Variable{Name: "datasource", Type: "datasource", Query: "prometheus"},
				dashboardtest.Variable{Name: ds.Name, Type: ds.Type, Query: ds.Query}, "%s: the datasource variable comes first", d.UID)
		}
	})

	t.Run("rate queries use $__rate_interval", func(t *testing.T) {
		for _, d := range ds {
			for _, p := range d.Visualizations() {
				for _, q := range p.Targets {
					expr, err := parser.NewParser(parser.Options{}).ParseExpr(dashboardtest.Expand(q.Expr, sampleValues))
					require.NoError(t, err, q.Expr)
					parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
						call, ok := n.(*parser.Call)
						if !ok || !slices.Contains([]string{"rate", "irate", "increase", "deriv"}, call.Func.Name) {
							return nil
						}
						ms, ok := call.Args[0].(*parser.MatrixSelector)
						if assert.True(t, ok, "%s %q: %s", d.UID, p.Title, q.Expr) {
							assert.Equal(t, rateIntervalSample, ms.Range.String(), "%s %q: %s of %s", d.UID, p.Title, call.Func.Name, q.Expr)
						}
						return nil
					})
				}
			}
		}
	})

	t.Run("template variables resolve, in order, and are all used", func(t *testing.T) {
		for _, d := range ds {
			defined := slices.Clone(grafanaGlobals)
			for _, v := range d.Variables {
				for _, ref := range dashboardtest.References(v.Query) {
					assert.Contains(t, defined, ref, "%s: variable %s uses $%s before it is defined", d.UID, v.Name, ref)
				}
				assert.NotContains(t, defined, v.Name, "%s: variable %s twice", d.UID, v.Name)
				defined = append(defined, v.Name)
			}
			used := map[string]bool{}
			walk(d.Raw, "", func(path, key string, v any) {
				s, ok := v.(string)
				if !ok || key == "__generated" {
					return
				}
				for _, ref := range dashboardtest.References(s) {
					used[ref] = true
					assert.Contains(t, defined, ref, "%s %s: $%s is not defined", d.UID, path, ref)
				}
			})
			for _, v := range d.Variables {
				assert.True(t, used[v.Name], "%s: variable %s is never used", d.UID, v.Name)
			}
		}
	})

	t.Run("panels have unique ids and fit the grid without overlapping", func(t *testing.T) {
		for _, d := range ds {
			ids := map[float64]string{}
			for i, p := range d.Panels {
				where := fmt.Sprintf("%s panel %q", d.UID, p.Title)
				assert.Positive(t, p.ID, where)
				assert.Empty(t, ids[p.ID], "%s: id %v also used by %q", where, p.ID, ids[p.ID])
				ids[p.ID] = p.Title
				assert.True(t, p.W > 0 && p.H > 0 && p.X >= 0 && p.X+p.W <= 24, "%s: gridPos %v,%v %vx%v", where, p.X, p.Y, p.W, p.H)
				for _, o := range d.Panels[:i] {
					overlap := p.X < o.X+o.W && o.X < p.X+p.W && p.Y < o.Y+o.H && o.Y < p.Y+p.H
					assert.False(t, overlap, "%s overlaps %q", where, o.Title)
				}
			}
		}
	})
}

// walk calls f for every value of a JSON document, with its path and key.
func walk(v any, path string, f func(path, key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			f(path+"."+k, k, c)
			walk(c, path+"."+k, f)
		}
	case []any:
		for i, c := range x {
			walk(c, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}
