package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/configload"
)

// Coordinator holds the config in force and replaces it on reload, as
// alertmanager's config.Coordinator does: every step that can fail comes
// first (reading the file and the catalog it names, validating, the checks
// of the new config against the one in force), then the new config is
// swapped in at once, then the subscribers are told in the order they
// subscribed. A reload that fails at any step leaves the old config in
// force and tells no subscriber.
//
// The daemon's parts read the config in force through Config at each use
// (each request, each recompute, each render), so a swap applies to them
// at once; subscribers are for what must act on a change (a recompute, a
// log line).
type Coordinator struct {
	path   string
	logger *slog.Logger

	mu          sync.Mutex // serializes reloads and guards the lists
	current     atomic.Pointer[config.Config]
	checks      []func(old, new *config.Config) error
	subscribers []func(*config.Config)
	outcomes    []func(ok bool)
}

// NewCoordinator loads the config file and returns its coordinator, or
// the error that keeps the daemon from starting.
func NewCoordinator(ctx context.Context, path string, logger *slog.Logger) (*Coordinator, error) {
	cfg, err := configload.Load(ctx, path)
	if err != nil {
		return nil, err
	}
	c := &Coordinator{path: path, logger: logger}
	c.current.Store(cfg)
	return c, nil
}

// Config returns the config in force.
func (c *Coordinator) Config() *config.Config { return c.current.Load() }

// Path is the config file's.
func (c *Coordinator) Path() string { return c.path }

// Check adds a last check of a valid new config against the one in force;
// a reload it refuses keeps the old config.
func (c *Coordinator) Check(fn func(old, new *config.Config) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks = append(c.checks, fn)
}

// Subscribe adds what is told each new config, after the swap.
func (c *Coordinator) Subscribe(fn func(*config.Config)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribers = append(c.subscribers, fn)
}

// Outcome adds what is told whether each reload succeeded, before the
// subscribers (the self-metrics' last-reload-successful gauge).
func (c *Coordinator) Outcome(fn func(ok bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outcomes = append(c.outcomes, fn)
}

// Reload reads the config file again and puts it in force when it is valid
// and passes the checks; otherwise the previous config stays in force and
// the error says why (it is logged too).
func (c *Coordinator) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg, err := c.prepare()
	for _, fn := range c.outcomes {
		fn(err == nil)
	}
	if err != nil {
		return err
	}
	for _, fn := range c.subscribers {
		fn(cfg)
	}
	return nil
}

// prepare does every fallible step of a reload and, when all pass, swaps
// the new config in.
func (c *Coordinator) prepare() (*config.Config, error) {
	cfg, err := configload.Load(context.Background(), c.path)
	if err != nil {
		c.logger.Error("config reload failed; the previous config stays in force", "file", c.path, "err", err)
		return nil, err
	}
	old := c.Config()
	if old.Storage != cfg.Storage {
		err := errors.New("storage settings changed: restart Steward to use them")
		c.logger.Error("config reload refused; the previous config stays in force", "file", c.path, "err", err)
		return nil, err
	}
	for _, check := range c.checks {
		if err := check(old, cfg); err != nil {
			c.logger.Error("config reload refused; the previous config stays in force", "file", c.path, "err", err)
			return nil, err
		}
	}
	c.current.Store(cfg)
	c.logger.Info("config reloaded", "file", c.path)
	return cfg, nil
}
