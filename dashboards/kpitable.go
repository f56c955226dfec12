package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
)

// column is one column of a KPI table: an instant query whose series
// carry exactly the table's row labels.
type column struct {
	title, unit string
	expr        string
	// colors, if set, colour the cells' text (a KPI's objective).
	colors *dashboard.ThresholdsConfigBuilder
}

// kpiColumn is a KPI as a table column with the given row labels.
func (g gen) kpiColumn(k kpi, rows []string, window string, subject ...string) column {
	return column{title: k.title, unit: k.unit, expr: g.exprBy(k, rows, window, subject...), colors: g.kpiThresholds(k)}
}

// kpiTable is a table with one row per value of the row labels and one
// column per query, merged on the row labels, sorted by the first row
// label (descending with desc).
func kpiTable(title, description string, rows []string, desc bool, cols []column) *table.PanelBuilder {
	rename := map[string]string{}
	order := map[string]int{}
	for i, r := range rows {
		rename[r] = strings.ToUpper(r[:1]) + r[1:]
		order[r] = i
	}
	p := newTable(title, unitNone, description)
	for i, c := range cols {
		ref := string(rune('A' + i))
		p.WithTarget(tableQuery(ref, c.expr))
		field := "Value #" + ref
		if len(cols) == 1 {
			field = "Value"
		}
		rename[field] = c.title
		order[field] = len(rows) + i
		p.OverrideByName(c.title, c.properties())
	}
	org := organize(rename)
	org.Options.(map[string]any)["indexByName"] = order
	return p.
		WithTransformation(merge()).
		WithTransformation(sortBy(rows[0], desc)).
		WithTransformation(org)
}

// properties are the column's unit and, for a KPI with an objective, its
// colours.
func (c column) properties() []dashboard.DynamicConfigValue {
	props := []dashboard.DynamicConfigValue{{Id: "unit", Value: c.unit}}
	if c.colors == nil {
		return props
	}
	th, err := c.colors.Build()
	if err != nil {
		panic(err) // thresholds built in this package are always valid
	}
	return append(props,
		dashboard.DynamicConfigValue{Id: "thresholds", Value: th},
		dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}})
}
