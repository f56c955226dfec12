package integration

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	steward "github.com/steward-sh/steward/internal/daemon"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/pgtest"
	"github.com/steward-sh/steward/internal/store"
)

// Several replicas on one PostgreSQL database (see replicas.go).

// replicaConfig names more subjects than testConfig, so that several roles
// have scorecards worth comparing.
const replicaConfig = `
storage: {driver: postgres, dsn: %q}
windows: [7d, 30d]
people: [{id: alice}, {id: bob}, {id: carol}, {id: erin}, {id: windy}]
systems:
  - {id: payments-api, aliases: [payments], program: checkout, owners: [{owner: alice, since: 2025-01-01T00:00:00Z}]}
  - {id: search, program: checkout, owners: [{owner: bob, since: 2025-01-01T00:00:00Z}]}
programs: [{id: checkout, manager: carol}]
processes:
  incident: {owner: erin, managers: [{manager: windy, teams: [sre]}]}
  change: {owner: erin}
objectives:
  mttr_seconds: {objective: 14400, warning: 28800}
  change_success_ratio: {objective: 0.95, warning: 0.9}
`

// startReplica runs the daemon in-process like startDaemonWith, with the
// KPI engine's clock fixed at now (so that replicas computing at different
// instants agree to the digit) and its log written to logs.
func startReplica(t *testing.T, configText string, now time.Time, logs io.Writer) *daemon {
	t.Helper()
	started := make(chan struct{})
	close(started)
	return startReplicaWhen(t, configText, now, logs, started)
}

// startReplicaWhen is startReplica that starts serving once start is closed.
func startReplicaWhen(t *testing.T, configText string, now time.Time, logs io.Writer, start <-chan struct{}) *daemon {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(configText), 0o600))
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		<-start
		done <- steward.Run(ctx, steward.Options{
			ConfigFile: cfgFile, ListenAddress: "127.0.0.1:0", Interval: time.Hour,
			Listening: func(a string) { addr <- a }, Now: func() time.Time { return now },
			Logger: slog.New(slog.NewTextHandler(logs, nil)),
		})
	}()
	var d *daemon
	select {
	case a := <-addr:
		d = &daemon{url: "http://" + a, configFile: cfgFile}
	case err := <-done:
		t.Fatalf("replica did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "replica shutdown")
		case <-time.After(30 * time.Second):
			t.Error("replica did not shut down")
		}
	})
	return d
}

// kpiLines returns the KPI samples of a replica's /metrics (those with a
// role label), sorted: what dashboards and alerts read.
func kpiLines(t *testing.T, d *daemon) []string {
	t.Helper()
	code, body := d.get(t, "/metrics")
	require.Equal(t, http.StatusOK, code)
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "steward_") && strings.Contains(line, `role="`) {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// Three replicas take ingest, each a share of it; each replica's KPIs
// follow writes made through the others at once (the recompute interval
// is an hour: only the notification can bring them), and every replica
// answers the same scorecards.
func TestReplicasConverge(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	now := time.Now().UTC().Truncate(time.Minute)
	cfg := fmt.Sprintf(replicaConfig, dsn)
	var rs []*daemon
	for range 3 {
		rs = append(rs, startReplica(t, cfg, now, io.Discard))
	}
	ts := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	for i, d := range rs {
		var incs, chgs []string
		for j := range 4 {
			id := fmt.Sprintf("INC-%d-%d", i, j)
			system := []string{"payments", "search"}[j%2]
			incs = append(incs, fmt.Sprintf(`{"id":%q,"system":%q,"team":"sre","severity":%d,"impact":"outage","opened_at":%q,"resolved_at":%q}`,
				id, system, 1+j%3, ts(time.Duration(24*(i+1)+j)*time.Hour), ts(time.Duration(24*(i+1)+j-2)*time.Hour)))
			outcome := []string{"success", "success", "failed", "rolled_back"}[(i+j)%4]
			chgs = append(chgs, fmt.Sprintf(`{"id":"CHG-%d-%d","system":%q,"outcome":%q,"created_at":%q,"finished_at":%q}`,
				i, j, system, outcome, ts(time.Duration(50+i*10+j)*time.Hour), ts(time.Duration(40+i*10+j)*time.Hour)))
		}
		code, res := d.post(t, "/api/v1/incidents", "application/json", "["+strings.Join(incs, ",")+"]")
		require.Equal(t, http.StatusOK, code, "%v", res)
		require.EqualValues(t, 4, res["accepted"], "%v", res)
		code, res = d.post(t, "/api/v1/changes", "application/json", "["+strings.Join(chgs, ",")+"]")
		require.Equal(t, http.StatusOK, code, "%v", res)
		require.EqualValues(t, 4, res["accepted"], "%v", res)
	}
	// Replica 0 changes a record first written through replica 2 and adds
	// one: the others know of both only through the notification.
	code, _ := rs[0].post(t, "/api/v1/incidents", "application/json", fmt.Sprintf(
		`[{"id":"INC-2-0","system":"payments","team":"sre","severity":1,"impact":"outage","opened_at":%q,"resolved_at":%q},
		  {"id":"LAST","system":"search","team":"sre","severity":5,"opened_at":%q,"resolved_at":%q}]`,
		ts(72*time.Hour), ts(60*time.Hour), ts(time.Hour), ts(30*time.Minute)))
	require.Equal(t, http.StatusOK, code)

	want := `steward_incidents_opened{role="global",severity="5",subject="all",window="7d"} 1`
	require.Eventually(t, func() bool {
		first := kpiLines(t, rs[0])
		for _, d := range rs[1:] {
			if !slices.Equal(first, kpiLines(t, d)) {
				return false
			}
		}
		return slices.Contains(first, want)
	}, 20*time.Second, 50*time.Millisecond, "every replica's /metrics shows the same KPIs, the last write included")
	lines := kpiLines(t, rs[1])
	for _, want := range []string{
		`steward_incidents_resolved{role="system",subject="search",window="7d"} 7`,
		// INC-2-0 as replica 0 rewrote it (12h) with five other 2h incidents
		`steward_mttr_seconds{role="system_owner",subject="alice",window="7d"} 13200`,
	} {
		assert.True(t, slices.Contains(lines, want), want)
	}

	for _, role := range []string{"global", "system", "system_owner", "program_manager", "process_owner", "process_manager", "team"} {
		for _, query := range []string{"?role=" + role, "?window=7d&role=" + role, "?role=" + role + "&at=" + now.Format(time.RFC3339)} {
			var bodies []string
			for _, d := range rs {
				code, body := d.get(t, "/api/v1/scorecards"+query)
				require.Equal(t, http.StatusOK, code, string(body))
				var v map[string]any
				require.NoError(t, json.Unmarshal(body, &v))
				require.NotEmpty(t, v["scorecards"], query)
				delete(v, "at") // now, as each replica's API sees it
				b, err := json.Marshal(v)
				require.NoError(t, err)
				bodies = append(bodies, string(b))
			}
			assert.Equal(t, bodies[0], bodies[1], query)
			assert.Equal(t, bodies[0], bodies[2], query)
		}
	}
}

// Three replicas started at the same instant on an empty database apply
// each migration once between them, and all of them serve.
func TestReplicasMigrateOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cfg := fmt.Sprintf(replicaConfig, dsn)
	start := make(chan struct{})
	logs := make([]*syncBuffer, 3)
	rs := make([]*daemon, 3)
	var wg sync.WaitGroup
	for i := range rs {
		logs[i] = &syncBuffer{}
		wg.Go(func() { rs[i] = startReplicaWhen(t, cfg, time.Now(), logs[i], start) })
	}
	close(start)
	wg.Wait()
	for _, d := range rs {
		require.NotNil(t, d, "every replica started")
		require.Eventually(t, func() bool { code, _ := d.get(t, "/readyz"); return code == http.StatusOK },
			10*time.Second, 20*time.Millisecond, "every replica is ready")
	}

	db, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer db.Close()
	var versions, distinct, applied int
	require.NoError(t, db.QueryRow(`SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations`).Scan(&versions, &distinct, &applied))
	assert.Equal(t, versions, distinct)
	assert.Equal(t, applied, versions, "every version from 1 up is recorded")
	total := 0
	for _, l := range logs {
		total += strings.Count(l.String(), "applied schema migration")
	}
	assert.Equal(t, versions, total, "each migration was applied by one replica")
}

// The deployment examples stay true to the daemon: the Kubernetes config
// is valid, and the flags the manifests and the systemd unit pass exist.
func TestDeployExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy")
	raw, err := os.ReadFile(filepath.Join(dir, "kubernetes", "configmap.yaml"))
	require.NoError(t, err)
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cm))
	cfgFile := filepath.Join(t.TempDir(), "steward.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cm.Data["steward.yml"]), 0o600))
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"check-config", "--config.file", cfgFile}, &stdout, &stderr), stderr.String())
	cfg, err := config.Load(cfgFile)
	require.NoError(t, err)
	assert.Equal(t, "postgres", cfg.Storage.Driver)

	raw, err = os.ReadFile(filepath.Join(dir, "kubernetes", "deployment.yaml"))
	require.NoError(t, err)
	var deploy struct {
		Spec struct {
			Replicas int `yaml:"replicas"`
			Template struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &deploy))
	assert.Equal(t, 3, deploy.Spec.Replicas)
	k8sArgs := deploy.Spec.Template.Spec.Containers[0].Args

	raw, err = os.ReadFile(filepath.Join(dir, "systemd", "steward.service"))
	require.NoError(t, err)
	_, exec, ok := strings.Cut(string(raw), "\nExecStart=/usr/local/bin/steward ")
	require.True(t, ok)
	exec, _, _ = strings.Cut(exec, "\nExecReload")
	unitArgs := strings.Fields(strings.ReplaceAll(exec, "\\\n", " "))

	for name, args := range map[string][]string{"kubernetes": k8sArgs, "systemd": unitArgs} {
		require.Equal(t, "serve", args[0], name)
		// A missing config file fails after the flags parsed.
		args = append(slices.Clone(args[1:]), "--config.file="+filepath.Join(t.TempDir(), "absent.yml"))
		err := run(context.Background(), append([]string{"serve"}, args...), &stdout, &stderr)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "absent.yml", "%s: the flags parse; only the config is missing", name)
	}
}

// Deliveries of a webhook that merges with stored records wait for the
// replicas' lock on that webhook; other webhooks do not.
func TestMergingWebhooksTakeTurnsAcrossReplicas(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	d := startReplica(t, fmt.Sprintf(testConfig, "postgres", dsn)+`
collectors:
  alertmanager: {token: am-token}
  pagerduty: {secret: pd-secret}
`, time.Now(), io.Discard)
	trigger := hookFixture(t, "pagerduty/v3/incident.triggered.json")
	firing := hookFixture(t, "alertmanager/alertmanager-bot/firing.json")
	other, err := store.Open(context.Background(), "postgres", dsn, nil) // another replica
	require.NoError(t, err)
	defer other.Close()

	held, release := make(chan struct{}), make(chan struct{})
	go func() {
		assert.NoError(t, other.WithLock(context.Background(), "hook/pagerduty", func() { close(held); <-release }))
	}()
	<-held
	answered := make(chan int, 1)
	go func() {
		code, body := hookPost(t, d.url+"/hooks/pagerduty", trigger, "X-PagerDuty-Signature", pdSign("pd-secret", trigger))
		assert.Equal(t, http.StatusOK, code, body)
		answered <- code
	}()
	admin, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer admin.Close()
	require.Eventually(t, func() bool {
		var waiting int
		require.NoError(t, admin.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = x'5374776d'::int`).Scan(&waiting))
		return waiting == 1
	}, 10*time.Second, 10*time.Millisecond, "the PagerDuty delivery waits for the lock another replica holds")

	code, body := hookPost(t, d.url+"/hooks/alertmanager", firing, "Authorization", "Bearer am-token")
	assert.Equal(t, http.StatusOK, code, "Alertmanager's alerts do not merge: no turn to wait for: %s", body)
	select {
	case <-answered:
		t.Fatal("the PagerDuty delivery was handled while another replica held the lock")
	default:
	}
	close(release)
	select {
	case code := <-answered:
		assert.Equal(t, http.StatusOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("the PagerDuty delivery was not handled once the lock was free")
	}
	incidents, _, _ := storedKeys(t, "postgres", dsn)
	assert.True(t, incidents["PFQZPSY"])
}
