package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/internal/htmltest"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// A review marks the times a collector estimated and shows a time to
// restore on one as left out, in JSON, Markdown and HTML.
func TestEstimatedTimesInTheEvidence(t *testing.T) {
	ctx := context.Background()
	b, db := scenario(t)
	var more record.Batch
	addRecord(t, &more, "incident", `{"id":"E1","system":"api","severity":3,"opened_at":"2026-01-04T00:00:00Z","resolved_at":"2026-01-04T09:00:00Z","estimated":["opened_at"]}`)
	addRecord(t, &more, "incident", `{"id":"E2","system":"api","severity":3,"opened_at":"2026-01-04T00:00:00Z","closed_at":"2026-01-04T03:00:00Z","acknowledged_at":"2026-01-04T01:00:00Z","estimated":["acknowledged_at"]}`)
	require.NoError(t, db.Write(ctx, more))
	require.NoError(t, b.Engine.(*scorecard.Engine).Sync(ctx))
	rep, err := b.Build(ctx, Request{Role: scorecard.RoleSystem, Subject: "api", Period: scenarioPeriod(t)})
	require.NoError(t, err)
	// api's MTTR is the scenario's 4h 40m over I1-I3 and E2's 3h, without E1's 9h
	mttr, _ := rep.Subjects[0].KPI("mttr_seconds")
	assert.Equal(t, (3*16800.0+3*3600)/4, *mttr.Value)

	render := func(format string) string {
		var out bytes.Buffer
		require.NoError(t, Write(&out, rep, format))
		return out.String()
	}

	t.Run("json", func(t *testing.T) {
		var js struct {
			Subjects []struct {
				Evidence struct {
					Incidents []map[string]any
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(render("json")), &js))
		byID := map[string]map[string]any{}
		for _, in := range js.Subjects[0].Evidence.Incidents {
			byID[in["id"].(string)] = in
		}
		assert.Equal(t, []any{"opened_at"}, byID["E1"]["estimated"])
		assert.Equal(t, []any{"time_to_restore"}, byID["E1"]["left_out"])
		assert.NotContains(t, byID["E1"], "ttr_seconds")
		assert.Equal(t, true, byID["E1"]["resolved_in_period"], "it still counts as resolved")
		assert.Equal(t, []any{"acknowledged_at"}, byID["E2"]["estimated"])
		assert.Equal(t, []any{"time_to_acknowledge"}, byID["E2"]["left_out"])
		assert.Equal(t, 10800.0, byID["E2"]["ttr_seconds"])
		assert.NotContains(t, byID["I1"], "estimated")
		assert.NotContains(t, byID["I1"], "left_out")
	})

	t.Run("markdown", func(t *testing.T) {
		md := render("markdown")
		assert.Contains(t, md, "| api/E1 (≈ opened_at) | api |  | 3 | ≈ 2026-01-04 00:00 | 2026-01-04 09:00 | left out (≈) |")
		assert.Contains(t, md, "| api/E2 (≈ acknowledged_at) | api |  | 3 | 2026-01-04 00:00 | 2026-01-04 03:00 | 3h 0m |")
		assert.Contains(t, md, "\n"+EstimatedNote+" A time to restore left out counts in no MTTR, percentile or SLA breach ratio.\n")
		assert.Contains(t, md, "| api/I1 | api |", "no mark without an estimated time")
	})

	t.Run("html", func(t *testing.T) {
		h := render("html")
		htmltest.WellFormed(t, []byte(h))
		i := strings.Index(h, `<th scope="row">api/E1`)
		require.Positive(t, i)
		row := h[i : i+strings.Index(h[i:], "</tr>")]
		assert.Contains(t, row, `api/E1 <abbr class="estimated" title="Estimated by the collector: opened_at. A duration on an estimated time is left out of every mean, percentile and ratio.">≈</abbr></th>`)
		assert.Contains(t, row, `<td><abbr class="estimated" title="Estimated by the collector: opened_at.`)
		assert.Contains(t, row, `<td class="num"><abbr class="estimated left-out" title="Left out of the MTTR, the time-to-restore percentiles and the SLA breach ratio: it starts or ends on an estimated time. The incident still counts as resolved.">left out ≈</abbr></td>`)
		assert.True(t, strings.Contains(h, `<p class="muted estimated-note">≈ marks a time a collector had to estimate`), "a note explains the marks")
		i = strings.Index(h, `<th scope="row">api/I1`)
		require.Positive(t, i)
		assert.NotContains(t, h[i:i+strings.Index(h[i:], "</tr>")], "estimated")
	})
}
