package report

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	golden "github.com/steward-sh/steward/internal/scenario"
	"github.com/steward-sh/steward/internal/store"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// archive keeps frozen reviews in a real store, as cmd/steward wires it.
type archive struct{ db *store.DB }

func (a archive) Save(ctx context.Context, f Frozen) (Frozen, error) {
	s, err := a.db.SaveSnapshot(ctx, store.Snapshot{Role: f.Role, Subject: f.Subject, Period: f.Period, CreatedAt: f.CreatedAt, Content: f.Content})
	return Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt, Content: s.Content}, err
}

func (a archive) Versions(ctx context.Context, role, subject, period string) ([]Frozen, error) {
	ss, err := a.db.Snapshots(ctx, role, subject, period)
	out := make([]Frozen, len(ss))
	for i, s := range ss {
		out[i] = Frozen{ID: s.ID, Role: s.Role, Subject: s.Subject, Period: s.Period, Version: s.Version, CreatedAt: s.CreatedAt, Content: s.Content}
	}
	return out, err
}

var generated = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

// scenario is a Builder over the golden scenario of the scorecard package
// (scorecard/testdata, explained in scorecard/scenario_test.go), stored in
// SQLite and read by a real engine.
func scenario(t *testing.T) (*Builder, *store.DB) {
	t.Helper()
	ctx := context.Background()
	cfg := golden.Config(t)
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "steward.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	b := golden.Batch(t)
	require.NoError(t, db.Write(ctx, b))
	eng := scorecard.New(scorecard.Options{Store: db, Config: func() *config.Config { return cfg }, Logger: slog.New(slog.DiscardHandler)})
	return &Builder{Engine: eng, Archive: archive{db}, Now: func() time.Time { return generated }}, db
}

func addRecord(t *testing.T, b *record.Batch, kind, line string) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &m))
	delete(m, "kind")
	raw, _ := json.Marshal(m)
	if kind == "change" {
		c, err := record.ParseChange(raw, "api")
		require.NoError(t, err)
		b.Changes = append(b.Changes, c)
		return
	}
	in, err := record.ParseIncident(raw, "api")
	require.NoError(t, err)
	b.Incidents = append(b.Incidents, in)
}

func scenarioPeriod(t *testing.T) Period {
	p, err := RangePeriod(ts("2026-01-01T00:00:00Z"), ts("2026-01-11T00:00:00Z"))
	require.NoError(t, err)
	return p
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func f(v float64) *float64 { return &v }

// kpis maps each KPI of a review to its value (nil: no value).
func kpis(r *Review) map[string]*float64 {
	out := map[string]*float64{}
	for _, k := range r.KPIs {
		out[k.Name] = k.Value
	}
	return out
}

func assertValues(t *testing.T, r *Review, want map[string]*float64) {
	t.Helper()
	got := kpis(r)
	for name, w := range want {
		require.Contains(t, got, name)
		if w == nil {
			assert.Nil(t, got[name], name)
			continue
		}
		require.NotNil(t, got[name], name)
		assert.InDelta(t, *w, *got[name], 1e-9, name)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func incidentIDs(xs []scorecard.IncidentEvidence) []string {
	return ids(xs, func(x scorecard.IncidentEvidence) string { return x.ID })
}

func changeIDs(xs []scorecard.ChangeEvidence) []string {
	return ids(xs, func(x scorecard.ChangeEvidence) string { return x.ID })
}

// Every number and list of the api system's review of the scenario's ten
// days, by hand (see scorecard/scenario_test.go for the story).
func TestReportScenarioSystem(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: scenarioPeriod(t)})
	require.NoError(t, err)
	assert.Equal(t, "2026-01-01/2026-01-11", rep.Period.Name)
	assert.Equal(t, Period{Name: "2025-12-22/2026-01-01", From: ts("2025-12-22T00:00:00Z"), To: ts("2026-01-01T00:00:00Z")}, rep.Previous)
	require.Len(t, rep.Subjects, 1)
	s := &rep.Subjects[0]
	assert.Nil(t, s.Frozen)
	assert.Nil(t, s.Restatement)

	assertValues(t, &s.Review, map[string]*float64{
		"changes_completed": f(3), "changes_failed": f(1), "change_success_ratio": f(2.0 / 3), "emergency_change_ratio": f(1.0 / 3),
		"unauthorized_changes": f(1), "deployments_per_day": f(0.3),
		"change_lead_time_p50_seconds": f((10800 + 259200) / 2.0), "change_lead_time_p90_seconds": f(10800 + 0.9*(259200-10800)),
		"incidents_opened": f(3), "incidents_opened_sev1": f(1), "incidents_opened_sev2": f(1), "incidents_opened_sev3": f(1),
		"incidents_opened_sev4": f(0), "incidents_opened_sev5": f(0),
		"incidents_resolved": f(3), "mttr_seconds": f(16800), "time_to_restore_p50_seconds": f(7200),
		"time_to_restore_p90_seconds": f(7200 + 0.8*(36000-7200)), "mtta_seconds": f(900), "sla_breach_ratio": f(0),
		"incidents_open": f(0), "review_compliance_ratio": f(0.5), "reviews_overdue": f(1),
		"downtime_seconds": f(28800), "availability_ratio": f(1 - 28800.0/864000),
	})
	assert.InDelta(t, 100*0.5/3, *s.Score, 1e-9)
	// the ten days before: nothing happened to api, so availability 1 meets
	// its objective and nothing else has a value
	assert.InDelta(t, 100, *s.PreviousScore, 1e-9)
	mttr, _ := s.KPI("mttr_seconds")
	assert.Equal(t, "breach", mttr.Status)
	assert.Equal(t, 3600.0, *mttr.Objective)
	assert.Equal(t, 7200.0, *mttr.Warning)
	assert.Nil(t, mttr.Previous)
	assert.Nil(t, mttr.Delta)
	assert.Equal(t, "no_data", mttr.PreviousStatus)
	avail, _ := s.KPI("availability_ratio")
	assert.Equal(t, "warning", avail.Status)
	assert.InDelta(t, -28800.0/864000, *avail.Delta, 1e-12)
	opened, _ := s.KPI("incidents_opened")
	assert.Equal(t, "", opened.Status, "no objective")
	assert.Equal(t, 0.0, *opened.Previous)

	// ten daily buckets: I1 and I2 resolved on day 2, I3 on day 7
	require.Len(t, rep.TrendAt, 10)
	assert.Equal(t, ts("2026-01-02T00:00:00Z"), rep.TrendAt[0])
	assert.Equal(t, ts("2026-01-11T00:00:00Z"), rep.TrendAt[9])
	assert.Equal(t, []*float64{nil, f(7200), nil, nil, nil, nil, f(36000), nil, nil, nil}, s.Trends["mttr_seconds"])
	assert.Equal(t, []*float64{f(1), f(0), f(1), f(0), f(0), f(0), f(0), f(0), f(1), f(0)}, s.Trends["changes_completed"],
		"C2 on 01-01, C1 on 01-03, C4 on 01-09")

	assert.Equal(t, []string{"C2"}, changeIDs(s.FailedChanges()))
	assert.Equal(t, "caused api/I1", Failure(s.FailedChanges()[0]))
	assert.Equal(t, 3, s.CompletedChanges())
	assert.Equal(t, []string{"I1", "I2", "I3"}, incidentIDs(s.Incidents()))
	assert.Equal(t, []string{"I2"}, incidentIDs(s.ReviewsMissingOrLate()))
	assert.Empty(t, s.SLABreaches())
	require.Len(t, s.Systems(), 1)
	sys := s.Systems()[0]
	assert.Equal(t, "api", sys.ID)
	assert.Equal(t, "bob", sys.OwnerAtEnd)
	assert.Equal(t, []scorecard.OwnerChange{{At: ts("2026-01-06T00:00:00Z"), From: "alice", To: "bob"}}, sys.OwnerChanges)
	assert.Equal(t, 28800.0, sys.DowntimeSeconds)
	assert.Equal(t, 1, s.OwnershipChanges())
}

// --role alone reviews every subject of the role.
func TestReportScenarioRole(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystemOwner, Period: scenarioPeriod(t)})
	require.NoError(t, err)
	require.Equal(t, []string{"alice", "bob", "carol"}, ids(rep.Subjects, func(s Subject) string { return s.Subject }))
	alice, bob, carol := &rep.Subjects[0].Review, &rep.Subjects[1].Review, &rep.Subjects[2].Review
	assertValues(t, alice, map[string]*float64{"changes_completed": f(2), "changes_failed": f(1), "incidents_opened": f(2),
		"downtime_seconds": f(10800), "availability_ratio": f(1 - 10800.0/432000)})
	assertValues(t, bob, map[string]*float64{"changes_completed": f(1), "changes_failed": f(0), "change_success_ratio": f(1),
		"incidents_opened": f(1), "mttr_seconds": f(36000), "downtime_seconds": f(18000), "change_lead_time_p50_seconds": nil})
	assert.InDelta(t, 50, *bob.Score, 1e-9)
	assertValues(t, carol, map[string]*float64{"changes_completed": f(1), "changes_failed": f(1), "change_success_ratio": f(0),
		"mttr_seconds": nil, "incidents_open": f(1), "downtime_seconds": f(14400)})
	mttr, _ := carol.KPI("mttr_seconds")
	assert.InDelta(t, 3600, *mttr.Previous, 1e-9, "I6 in the ten days before")
	assert.InDelta(t, 25, *carol.Score, 1e-9)

	assert.Equal(t, []string{"I1", "I2"}, incidentIDs(alice.Incidents()))
	assert.Equal(t, []string{"C2"}, changeIDs(alice.FailedChanges()))
	assert.Equal(t, []scorecard.Span{{From: ts("2026-01-01T00:00:00Z"), To: ts("2026-01-06T00:00:00Z")}}, alice.Systems()[0].Owned)
	assert.Equal(t, []string{"I3"}, incidentIDs(bob.Incidents()))
	assert.Empty(t, bob.FailedChanges())
	assert.Equal(t, []string{"I4"}, incidentIDs(carol.Incidents()))
	assert.Equal(t, []string{"C3"}, changeIDs(carol.FailedChanges()))
	assert.Equal(t, "rolled back", Failure(carol.FailedChanges()[0]))

	_, err = b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "nope", Period: scenarioPeriod(t)})
	assert.EqualError(t, err, `report: no subject "nope" with role "system"`)
}

func TestRenderScenario(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: scenarioPeriod(t)})
	require.NoError(t, err)

	var md bytes.Buffer
	require.NoError(t, Write(&md, rep, "markdown"))
	for _, line := range []string{
		"# Performance review 2026-01-01/2026-01-11\n",
		"## system api\n",
		"Score **16.7** (previous period 100.0).\n\nScore = 100 × (0 meets + 0.5 × 1 warning) / 3 KPIs with an objective and a value. Warning: Availability. Breach: Change success, MTTR.\n",
		"| Scored KPI | Value | Status | Objective | Previous | Change |\n",
		"| Not scored: no objective | Value | Status | Objective | Previous | Change |\n",
		"| MTTR | 4h 40m | breach | 1h 0m (warning 2h 0m) | no data | – |\n",
		"| Change success | 66.7 % | breach | 90.0 % (warning 80.0 %) | no data | – |\n",
		"| Availability | 96.667 % | warning | 99.000 % (warning 95.000 %) | 100.000 % | −3.333 pp |\n",
		"| Incidents opened | 3 | not scored |  | 0 | +3 |\n",
		"### Failed changes (1 of 3 completed)\n",
		"| api/C2 | api | success | 2026-01-01 23:00 | caused api/I1 |\n",
		"| api/I3 | api |  | 3 | 2026-01-07 00:00 | 2026-01-07 10:00 | 10h 0m | no target | not required |\n",
		"### Reviews missing or late (1)\n",
		"| api/I2 | api | 2 | 2026-01-03 03:00 |  | missing |\n",
		"### SLA breaches (0)\n\nNone.\n",
		"### Failed changes recovered (1)\n",
		"| api/C2 | api | 2026-01-01 23:00 | 2026-01-02 02:00 | 3h 0m |\n",
		"### Review actions overdue (0)\n\nNone.\n",
		"| api |  | checkout | bob |  | 2026-01-06 00:00: alice → bob | 8h 0m |\n",
	} {
		assert.Contains(t, md.String(), line)
	}

	var js bytes.Buffer
	require.NoError(t, Write(&js, rep, "json"))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, 16800.0, *kpis(&back.Subjects[0].Review)["mttr_seconds"])
	assert.Len(t, back.Subjects[0].Evidence.Incidents, 3)

	var csvOut bytes.Buffer
	require.NoError(t, Write(&csvOut, rep, "csv"))
	assert.Contains(t, csvOut.String(), "period,from,to,role,subject,score,previous_score,kpi,value,objective,warning,status,previous,delta,frozen_version,frozen_value,restated,measured_systems,provisional\n")
	assert.Contains(t, csvOut.String(), "2026-01-01/2026-01-11,2026-01-01T00:00:00Z,2026-01-11T00:00:00Z,system,api,16.666666666666668,100,mttr_seconds,16800,3600,7200,breach,,,,,,,false\n")

	assert.ErrorContains(t, Write(&csvOut, rep, "pdf"), `unknown format "pdf"`)
}

// A frozen quarter, then late data: a resolution recorded afterwards and a
// new incident that names a change of the quarter as its cause. The report
// shows the restatement and the records behind it; freezing again makes a
// new version that today's data matches.
func TestFreezeAndRestate(t *testing.T) {
	ctx := context.Background()
	b, db := scenario(t)
	q1, err := ParsePeriod("2026-Q1")
	require.NoError(t, err)
	req := Request{Role: scorecard.RoleSystem, Subject: "api", Period: q1}
	rep, err := b.Build(ctx, req)
	require.NoError(t, err)
	assertValues(t, &rep.Subjects[0].Review, map[string]*float64{"incidents_opened": f(4), "incidents_resolved": f(3),
		"mttr_seconds": f(16800), "changes_failed": f(1), "sla_breach_ratio": f(0)})
	require.NoError(t, b.Freeze(ctx, rep, false))
	require.NotNil(t, rep.Subjects[0].Frozen)
	assert.Equal(t, 1, rep.Subjects[0].Frozen.Version)

	rep, err = b.Build(ctx, req)
	require.NoError(t, err)
	assert.Nil(t, rep.Subjects[0].Restatement, "nothing changed yet")
	require.NoError(t, b.Freeze(ctx, rep, false))
	versions, err := db.Snapshots(ctx, "system", "api", "2026-Q1")
	require.NoError(t, err)
	assert.Len(t, versions, 1, "freezing an unchanged review adds no version")

	var late record.Batch
	addRecord(t, &late, "incident", `{"id":"I7","system":"api","severity":3,"opened_at":"2026-01-12T00:00:00Z","resolved_at":"2026-01-12T05:00:00Z"}`)
	addRecord(t, &late, "incident", `{"id":"I9","system":"api","severity":2,"opened_at":"2026-02-01T00:00:00Z","resolved_at":"2026-02-01T10:00:00Z","caused_by_change":{"id":"C4"},"title":"Checkout <b>down</b> | again","review":{"completed_at":"2026-02-01T12:00:00Z"}}`)
	require.NoError(t, db.Write(ctx, late))
	require.NoError(t, b.Engine.(*scorecard.Engine).Sync(ctx), "the writer tells the engine, as the ingest path does")

	rep, err = b.Build(ctx, req)
	require.NoError(t, err)
	s := rep.Subjects[0]
	require.NotNil(t, s.Restatement)
	assert.Equal(t, 1, s.Frozen.Version)
	got := map[string][2]*float64{}
	for _, k := range s.Restatement.KPIs {
		got[k.Name] = [2]*float64{k.Old, k.New}
	}
	want := map[string][2]*float64{
		"incidents_opened": {f(4), f(5)}, "incidents_opened_sev2": {f(1), f(2)},
		"incidents_resolved": {f(3), f(5)}, "mttr_seconds": {f(16800), f((50400 + 18000 + 36000) / 5.0)},
		"time_to_restore_p50_seconds": {f(7200), f(18000)}, "time_to_restore_p90_seconds": {f(7200 + 0.8*(36000-7200)), f(36000)},
		"changes_failed": {f(1), f(2)}, "change_success_ratio": {f(2.0 / 3), f(1.0 / 3)},
		"sla_breach_ratio": {f(0), f(1.0 / 3)}, "review_compliance_ratio": {f(0.5), f(2.0 / 3)},
		"incidents_open": {f(1), f(0)}, // I7 was open at the quarter's end
		// C2 recovered 3 h after it finished, when I1 was resolved; I9 makes
		// C4 failed, recovered when I9 was resolved 23 days 10 h after C4
		"failed_deployment_recovery_seconds": {f(10800), f((10800 + 23*86400 + 36000) / 2.0)},
	}
	require.Len(t, got, len(want), "%v", got)
	for name, w := range want {
		require.Contains(t, got, name)
		assert.InDelta(t, *w[0], *got[name][0], 1e-9, name)
		assert.InDelta(t, *w[1], *got[name][1], 1e-9, name)
	}
	records := map[string]RecordChange{}
	for _, r := range s.Restatement.Records {
		records[r.Kind+" "+r.Source+"/"+r.ID] = r
	}
	require.Len(t, records, 3, "%+v", s.Restatement.Records)
	assert.Equal(t, "added", records["incident api/I9"].Change)
	i7 := records["incident api/I7"]
	assert.Equal(t, "changed", i7.Change)
	assert.Contains(t, i7.Fields, FieldChange{Field: "resolved_at", Old: "", New: "2026-01-12T05:00:00Z"})
	assert.Contains(t, i7.Fields, FieldChange{Field: "ttr_seconds", Old: "", New: "18000"})
	c4 := records["change api/C4"]
	assert.Contains(t, c4.Fields, FieldChange{Field: "failed", Old: "false", New: "true"})
	assert.Contains(t, c4.Fields, FieldChange{Field: "failed_by_incident", Old: "false", New: "true"})
	assert.Contains(t, c4.Fields, FieldChange{Field: "caused_incidents", Old: "", New: `[{"id":"I9","source":"api"}]`})
	assert.Equal(t, []string{"I9"}, incidentIDs(s.SLABreaches()))

	var md bytes.Buffer
	require.NoError(t, Write(&md, rep, "markdown"))
	for _, line := range []string{
		"### Restatement since frozen version 1\n",
		"| Changes failed | 1 | 2 | not scored | not scored |\n",
		"| MTTR | 4h 40m | 5h 48m | breach | breach |\n",
		"| incident api/I9 | added |  |\n",
		"| change api/C4 | changed | caused\\_incidents",
		"| api/I9 | api | Checkout &lt;b&gt;down&lt;/b&gt; \\| again | 2 |",
	} {
		assert.Contains(t, md.String(), strings.ReplaceAll(line, `\_`, "_"))
	}
	var csvOut bytes.Buffer
	require.NoError(t, Write(&csvOut, rep, "csv"))
	assert.Contains(t, csvOut.String(), ",system,api,")
	assert.Contains(t, csvOut.String(), ",changes_failed,2,,,,0,2,1,1,true,,false\n")

	require.NoError(t, b.Freeze(ctx, rep, false))
	assert.Equal(t, 2, rep.Subjects[0].Frozen.Version)
	rep, err = b.Build(ctx, req)
	require.NoError(t, err)
	assert.Nil(t, rep.Subjects[0].Restatement)
	assert.Equal(t, 2, rep.Subjects[0].Frozen.Version)
}

// With a row limit, each evidence table shows that many rows, the most
// recent, and says how many there are; the counts in the captions stay
// whole.
func TestEvidenceRowLimit(t *testing.T) {
	b, _ := scenario(t)
	rep, err := b.Build(context.Background(), Request{Role: scorecard.RoleSystem, Subject: "api", Period: scenarioPeriod(t)})
	require.NoError(t, err)
	r := rep.Subjects[0].Review
	all, err := EvidenceHTML(&r)
	require.NoError(t, err)
	assert.NotContains(t, string(all), "every one is in")

	r.RowLimit = 1
	limited, err := EvidenceHTML(&r)
	require.NoError(t, err)
	incidents := string(limited)[strings.Index(string(limited), "<h3>Incidents</h3>"):]
	incidents = incidents[:len("<h3>")+strings.Index(incidents[len("<h3>"):], "<h3>")]
	assert.Contains(t, incidents, "Incidents opened or resolved in the period or open at its end (3)")
	assert.Equal(t, 1, strings.Count(incidents, `<tr><th scope="row">`))
	assert.Contains(t, incidents, "The latest 1 of 3, the most recent first;")
	assert.Contains(t, incidents, `<th scope="row">api/I3</th>`, "the incident opened last")
}
