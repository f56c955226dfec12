package promql

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckGrouping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query, by string
		want      string // "" when valid
	}{
		{`min by (system) (probe_success)`, "system", ""},
		{`probe_success`, "system", ""},
		{`avg_over_time(probe_success[5m])`, "system", ""},
		{`histogram_quantile(0.95, sum by (system, le) (rate(http_request_duration_seconds_bucket[5m])))`, "system", ""},
		{`slo:sli_error:ratio_rate5m{sloth_service="checkout"}`, "sloth_service", ""},
		{`1 - avg by (service) (rate(errors_total[5m])) / avg by (service) (rate(requests_total[5m]))`, "service", ""},
		{`label_replace(min(probe_success), "system", "all", "", "")`, "system", ""},
		{`max without (instance) (probe_success)`, "system", ""},
		{`topk(5, probe_success)`, "system", ""},
		{`min(probe_success)`, "system", `the query's result has no "system" label: aggregate with by (system, ...)`},
		{`min by (job) (probe_success)`, "system", `the query's result has no "system" label: aggregate with by (system, ...)`},
		{`histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))`, "system", `the query's result has no "system" label: aggregate with by (system, ...)`},
		{`max without (system) (probe_success)`, "system", `the query's result has no "system" label: aggregate with by (system, ...)`},
		{`sum(up) * on() group_left(system) info`, "system", ""},
		{`1`, "system", `the query returns a scalar, not an instant vector with one series per system`},
		{`probe_success[5m]`, "system", `the query returns a matrix, not an instant vector with one series per system`},
		{`min by (system (probe_success)`, "system", `1:16: parse error: unexpected "(" in grouping opts, expected "," or ")"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			err := CheckGrouping(tt.query, tt.by)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.want)
		})
	}
}
