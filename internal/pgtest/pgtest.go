// Package pgtest gives tests a fresh PostgreSQL database of their own on the
// server at STEWARD_TEST_POSTGRES_DSN (default the local one), dropped when
// the test ends. Without a server the test skips, except with CI=true, where
// PostgreSQL tests must run and so fail instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq" // PostgreSQL driver
)

// DefaultDSN is the server tests use unless STEWARD_TEST_POSTGRES_DSN says otherwise.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// AdminDSN is the DSN of the server's maintenance database.
func AdminDSN() string {
	if v := os.Getenv("STEWARD_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return DefaultDSN
}

// NewDatabase creates an empty database and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("postgres", AdminDSN())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: PostgreSQL at %s is required in CI: %v", AdminDSN(), err)
		}
		t.Skipf("pgtest: PostgreSQL at %s is not reachable (set STEWARD_TEST_POSTGRES_DSN or start it): %v", AdminDSN(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "steward_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminDSN())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Outage makes a test database refuse connections and ends the open ones,
// as if the server had gone away; the returned func restores it.
func Outage(t testing.TB, dsn string) (restore func()) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := u.Path[1:]
	admin, err := sql.Open("postgres", AdminDSN())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	exec := func(q string) {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("pgtest: %s: %v", q, err)
		}
	}
	exec(fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS false", name))
	exec(fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()", name))
	return func() {
		exec(fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS true", name))
		admin.Close()
	}
}
