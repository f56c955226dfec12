// Package configload loads Steward's configuration file as every command
// uses it: config.Load parses and validates the file, and configload reads
// what the file only points at (a Backstage catalog, from files or its
// API) and merges it in. It does nothing else: the daemon's reload, which
// also checks a new config against the one in force, is internal/daemon's.
package configload

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/steward-sh/steward/backstage"
	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/store"
)

// catalogTimeout bounds reading a catalog API at load or reload.
const catalogTimeout = 30 * time.Second

// Load loads the config file and, when it names a catalog, reads the
// catalog and merges it in. config.Load only parses and validates; reading
// the catalog (files or its API, over HTTP with Prometheus's client
// settings) is the loader's.
func Load(ctx context.Context, path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	b := cfg.Catalog.Backstage
	if b == nil {
		return cfg, nil
	}
	entities, source, err := readCatalog(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("catalog.backstage: %w", err)
	}
	return cfg.WithCatalog(entities, source), nil
}

func readCatalog(ctx context.Context, b *config.BackstageCatalog) ([]backstage.Entity, string, error) {
	if b.Path != "" {
		entities, err := backstage.ReadDir(b.Path)
		return entities, b.Path, err
	}
	client, err := promconfig.NewClientFromConfig(b.HTTP, "backstage")
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, catalogTimeout)
	defer cancel()
	entities, err := backstage.Fetch(ctx, client, b.URL, "")
	return entities, b.URL, err
}

// OpenStore loads a config file and opens the store it names, for the
// commands that work on stored records outside the daemon.
func OpenStore(ctx context.Context, configFile string) (*config.Config, *store.DB, error) {
	cfg, err := Load(ctx, configFile)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.Storage.Driver, cfg.Storage.DSN, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}
