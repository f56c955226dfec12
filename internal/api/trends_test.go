package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/scorecard"
)

func getTrends(t *testing.T, h http.Handler, query string) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/trends?"+query, nil))
	return rec.Code, rec.Body.Bytes()
}

type trendsAnswer struct {
	Window string      `json:"window"`
	At     []time.Time `json:"at"`
	Trends []struct {
		Role    string                `json:"role"`
		Subject string                `json:"subject"`
		KPIs    map[string][]*float64 `json:"kpis"`
	} `json:"trends"`
}

// Each point of a trend line is the value the scorecards answer gives at
// that evaluation time, for every subject of a role and every KPI defined
// for it (or those asked for); in JSON and CSV.
func TestTrendsEqualScorecardsAtEachTime(t *testing.T) {
	_, _, srv := kpiOrg(t)
	ats := []time.Time{
		time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 11, 3, 7, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), // out of order: points come in the order asked
	}
	var list []string
	for _, at := range ats {
		list = append(list, at.Format(time.RFC3339))
	}
	for _, tc := range []struct{ name, query, kpi string }{
		{"owners, every KPI", "role=system_owner&window=30d", ""},
		{"systems, a selection", "role=system&window=7d", "&kpi=mttr_seconds,change_success_ratio&kpi=availability_ratio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := getTrends(t, srv, tc.query+tc.kpi+"&at="+list[0]+"&at="+strings.Join(list[1:], ","))
			require.Equal(t, http.StatusOK, code, string(body))
			var got trendsAnswer
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, ats, got.At)
			require.NotEmpty(t, got.Trends)
			values := 0
			for k, at := range ats {
				code, _, raw := get(t, srv, tc.query+tc.kpi+"&at="+at.Format(time.RFC3339))
				require.Equal(t, http.StatusOK, code)
				var cards struct {
					Scorecards []struct {
						Subject string
						KPIs    map[string]struct{ Value *float64 }
					}
				}
				require.NoError(t, json.Unmarshal(raw, &cards))
				require.Len(t, got.Trends, len(cards.Scorecards))
				for i, c := range cards.Scorecards {
					line := got.Trends[i]
					require.Equal(t, c.Subject, line.Subject)
					require.Len(t, line.KPIs, len(c.KPIs), "%s: the KPIs of the card", c.Subject)
					for name, kv := range c.KPIs {
						require.Len(t, line.KPIs[name], len(ats))
						if kv.Value == nil {
							assert.Nil(t, line.KPIs[name][k], "%s %s at %s", c.Subject, name, at)
							continue
						}
						values++
						require.NotNil(t, line.KPIs[name][k], "%s %s at %s", c.Subject, name, at)
						assert.InDelta(t, *kv.Value, *line.KPIs[name][k], 1e-9, "%s %s at %s", c.Subject, name, at)
					}
				}
			}
			assert.Positive(t, values)

			code, raw := getTrends(t, srv, tc.query+tc.kpi+"&format=csv&at="+strings.Join(list, ","))
			require.Equal(t, http.StatusOK, code)
			rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
			require.NoError(t, err)
			assert.Equal(t, []string{"at", "window", "role", "subject", "kpi", "value"}, rows[0])
			n := 0
			for _, line := range got.Trends {
				n += len(line.KPIs) * len(ats)
			}
			assert.Len(t, rows[1:], n, "a row per subject, KPI and time")
		})
	}
}

func TestTrendsRefusesBadQueries(t *testing.T) {
	_, _, srv := kpiOrg(t)
	many := make([]string, maxTrendPoints+1)
	for i := range many {
		many[i] = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.RFC3339)
	}
	for _, tc := range []struct{ query, says string }{
		{"role=system_owner", "give the evaluation times"},
		{"role=system_owner&at=yesterday", `not an RFC 3339 time`},
		{"role=nobody&at=2025-10-01T00:00:00Z", `unknown role`},
		{"role=system&window=1y&at=2025-10-01T00:00:00Z", `unknown window`},
		{"role=system&kpi=nope&at=2025-10-01T00:00:00Z", `unknown KPI`},
		{"role=system&format=xml&at=2025-10-01T00:00:00Z", "format must be json or csv"},
		{"at=" + strings.Join(many, ","), "at most 366"},
	} {
		t.Run(tc.says, func(t *testing.T) {
			code, body := getTrends(t, srv, tc.query)
			assert.Equal(t, http.StatusBadRequest, code, string(body))
			assert.Contains(t, string(body), tc.says)
		})
	}
	code, body := getTrends(t, srv, "role=system&subject=nothing-of-that-name&at=2025-10-01T00:00:00Z")
	assert.Equal(t, http.StatusNotFound, code, string(body))
}

// A query past its MaxPoints is refused before anything is evaluated.
func TestTrendsMaxPoints(t *testing.T) {
	org, _, _ := kpiOrg(t)
	ats := []time.Time{time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)}
	q := scorecard.TrendQuery{Role: scorecard.RoleSystem, Length: 30 * 24 * time.Hour, Ats: ats, MaxPoints: 2 * len(org.Config.Systems)}
	series, err := org.Engine.Trends(t.Context(), q)
	require.NoError(t, err)
	assert.Len(t, series, len(org.Config.Systems))
	q.MaxPoints--
	_, err = org.Engine.Trends(t.Context(), q)
	var tooMany *scorecard.TooManyPoints
	require.ErrorAs(t, err, &tooMany)
	assert.Equal(t, scorecard.TooManyPoints{Subjects: len(org.Config.Systems), Ats: 2, Max: 2*len(org.Config.Systems) - 1}, *tooMany)
}
