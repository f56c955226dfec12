package dashboards

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/dashboards/dashboardtest"
)

// rateIntervalSample stands for $__rate_interval: a duration no query
// writes by hand, so the lint can tell it apart.
const rateIntervalSample = "1h2m3s"

// sampleValues are what Grafana could put in place of the variables.
var sampleValues = map[string]string{
	"datasource":      "prometheus",
	"role":            "system_owner",
	"subject":         "alice|bob",
	"system":          "payments-api",
	"program":         "checkout|platform",
	"window":          "30d",
	"__rate_interval": rateIntervalSample,
	"__interval":      "1m",
	"__range":         "30d",
}

// Every panel query parses with Prometheus's own PromQL parser once
// Grafana has filled in the variables, and so does the selector of every
// label_values variable query.
func TestQueriesParse(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	n := 0
	for _, d := range loadCommitted(t) {
		for _, panel := range d.Visualizations() {
			for _, q := range panel.Targets {
				expr := dashboardtest.Expand(q.Expr, sampleValues)
				_, err := p.ParseExpr(expr)
				assert.NoError(t, err, "%s panel %q query %s: %s", d.UID, panel.Title, q.RefID, expr)
				n++
			}
		}
		for _, v := range d.Variables {
			if v.Type != "query" {
				continue
			}
			sel, label, ok := dashboardtest.LabelValues(v.Query)
			require.True(t, ok, "%s variable %s: %s is not label_values(selector, label)", d.UID, v.Name, v.Query)
			_, err := p.ParseMetricSelector(dashboardtest.Expand(sel, sampleValues))
			assert.NoError(t, err, "%s variable %s: %s", d.UID, v.Name, sel)
			assert.NotEmpty(t, label)
		}
	}
	t.Logf("%d panel queries parsed", n)
}

// Expand fills in every variable syntax Grafana knows, and nothing else.
func TestExpand(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`x{role="$role"}`, `x{role="system_owner"}`},
		{`x{window="${window}"}`, `x{window="30d"}`},
		{`x{subject=~"${subject:regex}"}`, `x{subject=~"alice|bob"}`},
		{`x{system="[[system]]"}`, `x{system="payments-api"}`},
		{`rate(x[$__rate_interval])`, `rate(x[1h2m3s])`},
		{`label_replace(x, "s", "$1", "p", "(.*)")`, `label_replace(x, "s", "$1", "p", "(.*)")`},
		{`x{a="$unknown"}`, `x{a="$unknown"}`},
	} {
		assert.Equal(t, tc.want, dashboardtest.Expand(tc.in, sampleValues), tc.in)
	}
	assert.Equal(t, []string{"role", "__rate_interval"}, dashboardtest.References(`x{r="$role",q="${role}"}[$__rate_interval] "$1"`))
}
