package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/scorecard"
)

// SPEC 8: a period that starts at or after now is refused, naming it.
func TestPeriodNotStarted(t *testing.T) {
	b, _ := scenario(t) // now is 2026-11-25T08:00Z
	starting, err := RangePeriod(generated, generated.Add(24*time.Hour))
	require.NoError(t, err)
	for _, name := range []string{"2027-Q2", "2027", "2026-12"} {
		p, err := ParsePeriod(name)
		require.NoError(t, err)
		_, err = b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: p})
		require.Error(t, err, name)
		assert.Equal(t, fault.Invalid, fault.KindOf(err), name)
		assert.ErrorContains(t, err, "period "+name+" has not started")
	}
	_, err = b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: starting})
	assert.ErrorContains(t, err, "period 2026-11-25T08:00:00Z/2026-11-26T08:00:00Z has not started", "one starting now has not started")
}

// SPEC 8: a period that has started but not ended is provisional in every
// format; a finished one is not.
func TestProvisionalInEveryFormat(t *testing.T) {
	b, _ := scenario(t)
	ctx := context.Background()
	q4, err := ParsePeriod("2026-Q4")
	require.NoError(t, err)
	rep, err := b.Build(ctx, Request{Role: scorecard.RoleSystem, Subject: "api", Period: q4})
	require.NoError(t, err)
	assert.True(t, rep.Provisional)
	q1, err := ParsePeriod("2026-Q1")
	require.NoError(t, err)
	done, err := b.Build(ctx, Request{Role: scorecard.RoleSystem, Subject: "api", Period: q1})
	require.NoError(t, err)
	assert.False(t, done.Provisional)

	render := func(r *Report, format string) string {
		var out bytes.Buffer
		require.NoError(t, Write(&out, r, format))
		return out.String()
	}
	var js map[string]any
	require.NoError(t, json.Unmarshal([]byte(render(rep, "json")), &js))
	assert.Equal(t, true, js["provisional"])
	require.NoError(t, json.Unmarshal([]byte(render(done, "json")), &js))
	assert.Equal(t, false, js["provisional"])

	notice := "the period has not ended: it ends 2027-01-01 00:00"
	assert.Contains(t, render(rep, "markdown"), "> **Provisional:** "+notice)
	assert.NotContains(t, render(done, "markdown"), "Provisional")
	assert.Contains(t, render(rep, "html"), `<p class="provisional" role="note"><strong>Provisional:</strong> `+notice)
	assert.NotContains(t, render(done, "html"), `class="provisional"`)

	for r, want := range map[*Report]string{rep: "true", done: "false"} {
		lines := strings.Split(strings.TrimSpace(render(r, "csv")), "\n")
		header := strings.Split(lines[0], ",")
		require.Equal(t, "provisional", header[len(header)-1])
		require.Greater(t, len(lines), 1)
		for _, l := range lines[1:] {
			assert.True(t, strings.HasSuffix(l, ","+want), l)
		}
	}
}

// SPEC 8: a provisional review is not frozen unless forced; once the
// period has ended, freezing stores the final version even if no number
// moved.
func TestFreezeProvisional(t *testing.T) {
	b, db := scenario(t)
	ctx := context.Background()
	q4, err := ParsePeriod("2026-Q4")
	require.NoError(t, err)
	req := Request{Role: scorecard.RoleSystem, Subject: "api", Period: q4}
	rep, err := b.Build(ctx, req)
	require.NoError(t, err)

	err = b.Freeze(ctx, rep, false)
	require.Error(t, err)
	assert.Equal(t, fault.Conflict, fault.KindOf(err))
	assert.ErrorContains(t, err, "period 2026-Q4 has not ended")
	versions, err := db.Snapshots(ctx, "system", "api", "2026-Q4")
	require.NoError(t, err)
	assert.Empty(t, versions)

	require.NoError(t, b.Freeze(ctx, rep, true))
	assert.Equal(t, 1, rep.Subjects[0].Frozen.Version)
	versions, err = db.Snapshots(ctx, "system", "api", "2026-Q4")
	require.NoError(t, err)
	require.Len(t, versions, 1)
	var stored Review
	require.NoError(t, json.Unmarshal(versions[0].Content, &stored))
	assert.True(t, stored.Provisional, "a forced freeze keeps that it was provisional")

	b.Now = func() time.Time { return time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC) }
	rep, err = b.Build(ctx, req)
	require.NoError(t, err)
	assert.False(t, rep.Provisional)
	assert.Nil(t, rep.Subjects[0].Restatement, "no number moved")
	require.NoError(t, b.Freeze(ctx, rep, false))
	assert.Equal(t, 2, rep.Subjects[0].Frozen.Version, "the final version replaces the provisional one")
	rep, err = b.Build(ctx, req)
	require.NoError(t, err)
	require.NoError(t, b.Freeze(ctx, rep, false))
	assert.Equal(t, 2, rep.Subjects[0].Frozen.Version, "and is not frozen again")
}

// CSV numbers are plain decimals, never 1e+06, whatever their size.
func TestCSVNumbersArePlain(t *testing.T) {
	p, err := ParsePeriod("2026-Q1")
	require.NoError(t, err)
	rep := &Report{Period: p, Subjects: []Subject{{Review: Review{Role: scorecard.RoleGlobal, Subject: "global", Period: p, Score: f(1e-7),
		KPIs: []KPI{{Name: "downtime_seconds", Value: f(7776000), Previous: f(1.2e7), Delta: f(7776000 - 1.2e7)}}}}}}
	var out bytes.Buffer
	require.NoError(t, Write(&out, rep, "csv"))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "2026-Q1,2026-01-01T00:00:00Z,2026-04-01T00:00:00Z,global,global,0.0000001,,downtime_seconds,7776000,,,,12000000,-4224000,,,,,false", lines[1])
}
