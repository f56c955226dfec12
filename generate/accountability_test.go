package generate

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

// A generated dataset and the demo data never share a key, so posting the
// one to a daemon that loaded the other adds to it (docs/commands.md: "Loading a
// generated dataset into a running daemon").
func TestGeneratedAndDemoKeysDiffer(t *testing.T) {
	o := DefaultOptions()
	cfg, incidents, changes := generated(t, o)
	demo := Demo(o.To)
	demoIncidents, demoChanges := Records(cfg, demo)
	keys := map[record.Ref]bool{}
	for _, in := range incidents {
		keys[in.Key()] = true
	}
	for _, c := range changes {
		keys[c.Key()] = true
	}
	for _, f := range Feedback(cfg, o) {
		keys[f.Key()] = true
	}
	require.NotEmpty(t, demoIncidents)
	for _, in := range demoIncidents {
		assert.False(t, keys[in.Key()], "incident %v is in both", in.Key())
		assert.Equal(t, SourceDemo, in.Source)
	}
	for _, c := range demoChanges {
		assert.False(t, keys[c.Key()], "change %v is in both", c.Key())
	}
	for _, f := range Feedback(cfg, demo) {
		assert.False(t, keys[f.Key()], "feedback %v is in both", f.Key())
	}
	assert.Equal(t, SourceGenerated, incidents[0].Source)
	for _, in := range demoIncidents {
		if in.CausedByChange != nil {
			assert.Equal(t, SourceDemo, in.CausedByChange.Source, "a cause points into the same dataset")
		}
	}
}

// Every field of accountability is generated, with plausible values that
// pass validation, so the demo shows every KPI with values.
func TestRecordsAccountabilityFields(t *testing.T) {
	o := DefaultOptions()
	cfg, incidents, changes := generated(t, o)
	var security, detected, mitigated, signed, twoSigned, actions, actionsDone, actionsOpen, estimated int
	for _, in := range incidents {
		switch {
		case in.Category == "security":
			security++
		case in.Category == "":
			t.Fatalf("incident %s has no category", in.ID)
		}
		if in.ImpactStartedAt != nil {
			detected++
			assert.True(t, in.ImpactStartedAt.Before(in.OpenedAt))
		}
		if in.MitigatedAt != nil {
			mitigated++
			assert.True(t, !in.MitigatedAt.Before(in.OpenedAt) && !in.MitigatedAt.After(*in.ResolvedAt))
		}
		if len(in.Estimated) > 0 {
			estimated++
		}
		if in.Review == nil {
			continue
		}
		if len(in.Review.Signoffs) > 0 {
			signed++
		}
		if len(in.Review.Signoffs) == 2 {
			twoSigned++
		}
		for _, a := range in.Review.Actions {
			actions++
			if a.DoneAt != nil {
				actionsDone++
			} else {
				actionsOpen++
			}
		}
	}
	for name, n := range map[string]int{"security": security, "detected": detected, "mitigated": mitigated, "signed": signed,
		"signed by two": twoSigned, "actions": actions, "actions done": actionsDone, "actions open": actionsOpen, "estimated": estimated} {
		assert.Positive(t, n, name)
	}
	assert.Less(t, security, len(incidents)/10)

	var approved, planned, rework, retroApproval int
	for _, c := range changes {
		if c.ApprovedAt != nil {
			approved++
			if c.StartedAt != nil && c.ApprovedAt.After(*c.StartedAt) {
				retroApproval++
			}
		}
		if c.PlannedStart != nil {
			planned++
			require.NotNil(t, c.PlannedEnd)
		}
		if c.Rework {
			rework++
		}
	}
	assert.Greater(t, approved, len(changes)/5)
	assert.Greater(t, planned, len(changes)/2)
	assert.Positive(t, rework)
	assert.Positive(t, retroApproval, "some emergency changes are approved after they began")

	fb := Feedback(cfg, o)
	require.Len(t, fb, o.Incidents/4)
	byAudience := map[record.Audience]int{}
	about := map[string]int{}
	for i, f := range fb {
		raw, err := json.Marshal(f)
		require.NoError(t, err)
		back, err := record.ParseFeedback(raw, "")
		require.NoError(t, err, "%s", raw)
		require.Equal(t, f, back)
		byAudience[f.Audience]++
		switch {
		case f.System != "":
			about["system"]++
		case f.Program != "":
			about["program"]++
		case f.Team != "":
			about["team"]++
		}
		assert.True(t, !f.SubmittedAt.Before(o.From) && f.SubmittedAt.Before(o.To))
		if i > 0 {
			assert.False(t, f.SubmittedAt.Before(fb[i-1].SubmittedAt), "ordered by time")
		}
	}
	assert.Positive(t, byAudience[record.AudienceStakeholder])
	assert.Positive(t, byAudience[record.AudienceEmployee])
	assert.Len(t, about, 3)

	again := Feedback(cfg, o)
	assert.Equal(t, fb, again, "deterministic")
}
