package main

import (
	"context"
	"fmt"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/steward-sh/steward/backstage"
	"github.com/steward-sh/steward/config"
)

// catalogTimeout bounds reading a catalog API at load or reload.
const catalogTimeout = 30 * time.Second

// loadConfig loads the config file and, when it names a catalog, reads the
// catalog and merges it in. config.Load only parses and validates; reading
// the catalog (files or its API, over HTTP with Prometheus's client
// settings) is the loader's.
func loadConfig(ctx context.Context, path string) (*config.Config, error) {
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
