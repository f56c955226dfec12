package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

const defaultTestPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func TestPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t) // skip once, not in every subtest
	testStore(t, func(t *testing.T) record.Store {
		return openTestDB(t, "postgres", newPostgresDatabase(t))
	})
}

// postgresDSN returns the test server's DSN (STEWARD_TEST_POSTGRES_DSN, else
// a local server). When the server cannot be reached the test is skipped,
// or fails when CI=true, so CI never passes without PostgreSQL.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("STEWARD_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = defaultTestPostgresDSN
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("STEWARD_TEST_POSTGRES_DSN must be a postgres:// URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", dsn)
	if err == nil {
		err = db.PingContext(ctx)
		_ = db.Close()
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable at %s: %v (set STEWARD_TEST_POSTGRES_DSN to test against another server)", u.Redacted(), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires PostgreSQL")
		}
		t.Skip(msg + "; skipping PostgreSQL tests")
	}
	return dsn
}

// newPostgresDatabase creates an empty database with a random name, drops it
// when the test ends, and returns its DSN.
func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	dsn := postgresDSN(t)
	admin, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	name := "steward_test_" + strings.ToLower(rand.Text())
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		assert.NoError(t, err)
		_ = admin.Close()
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// TestPostgresConcurrentOpen starts several stores on one new database at
// once, as several replicas might: each migration must run exactly once.
func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn := newPostgresDatabase(t)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dbs := make([]*DB, 5)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), "postgres", dsn, logger) })
	}
	wg.Wait()
	for i := range dbs {
		require.NoError(t, errs[i])
		defer dbs[i].Close()
	}
	ms := appliedMigrations(t, dbs[0])
	assert.Equal(t, len(ms), strings.Count(logs.String(), "applied schema migration"))
}
