// Package webconfig reads the web configuration file of the Prometheus
// ecosystem (--web.config.file, the format of prometheus/exporter-toolkit):
// TLS server settings, basic auth users, response headers and a rate limit.
// It serves a listener with TLS re-read on every connection and hands the
// users to the authentication middleware.
//
// It uses exporter-toolkit's own types, validation and TLS setup, so a file
// that works for Prometheus or node_exporter works here with the same
// meaning. It does not use the toolkit's HTTP handler, which puts basic
// auth in front of every path: Steward keeps /healthz, /readyz and the
// vendor webhooks open to their own schemes and accepts bearer tokens too.
// It must not decide who may do what (package auth does).
package webconfig

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"
	"golang.org/x/time/rate"
)

// Config is the file's content, in the toolkit's own type.
type Config = web.Config

// File is a web configuration file. Its content is re-read on every
// request and connection, as the toolkit does, so rotated certificates,
// users and headers apply without a restart; it is parsed again only when
// the content changed. When the file becomes unreadable or invalid (or a
// change fails the check given to SetCheck), the last good content stays
// in force and the error is logged once: a half-written file must not turn
// every request, webhooks and health checks included, into an error. A nil
// *File is no file: plain HTTP, no users, no headers.
type File struct {
	path   string
	logger *slog.Logger

	mu    sync.Mutex
	read  bool // raw holds the content last read
	raw   []byte
	cfg   *web.Config // the last good content, in force
	err   error       // why raw is not in force; nil when it is
	check func(old, new *web.Config) error
	tls   *tls.Config   // the last TLS settings that loaded
	rate  *rate.Limiter // from the file as first read, as in the toolkit
}

// Load reads and validates the file at path: its syntax (strict: unknown
// keys are errors), the bcrypt hashes of its users, its headers and, when it
// configures TLS, the certificate and key. An empty path is no file.
func Load(path string, logger *slog.Logger) (*File, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("web config: %w", err)
	}
	cfg, err := parse(path, raw)
	if err != nil {
		return nil, fmt.Errorf("web config %s: %w", path, err)
	}
	f := &File{path: path, logger: logger, read: true, raw: raw, cfg: cfg}
	if rl := cfg.RateLimiterConfig; rl.Interval != 0 {
		f.rate = rate.NewLimiter(rate.Every(rl.Interval), rl.Burst)
	}
	return f, nil
}

// Path is the file's path.
func (f *File) Path() string {
	if f == nil {
		return ""
	}
	return f.path
}

// SetCheck sets a check every change of the file must pass to come into
// force (for instance: it must not remove the last credential); a change
// it refuses is treated as an invalid file.
func (f *File) SetCheck(check func(old, new *web.Config) error) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.check = check
}

// Config returns the file's configuration in force: its content as it is
// now, or the last good content while the file is unreadable or invalid.
// It never fails once Load succeeded.
func (f *File) Config() (*web.Config, error) {
	if f == nil {
		return &web.Config{}, nil
	}
	raw, err := os.ReadFile(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && f.read && bytes.Equal(raw, f.raw) {
		return f.cfg, nil
	}
	if err != nil {
		f.read = false
		err = fmt.Errorf("web config: %w", err)
	} else {
		f.read, f.raw = true, raw
		var cfg *web.Config
		if cfg, err = parse(f.path, raw); err == nil && f.check != nil {
			err = f.check(f.cfg, cfg)
		}
		if err == nil {
			if f.err != nil {
				f.logger.Info("the web config file is valid again and in force", "file", f.path)
			}
			f.cfg, f.err = cfg, nil
			return cfg, nil
		}
		err = fmt.Errorf("web config %s: %w", f.path, err)
	}
	if f.err == nil || f.err.Error() != err.Error() {
		f.logger.Error("the web config file is invalid: its last good content stays in force until it is fixed", "file", f.path, "err", err)
	}
	f.err = err
	return f.cfg, nil
}

// Err is why the file as it is now is not in force; nil when it is.
func (f *File) Err() error {
	if f == nil {
		return nil
	}
	_, _ = f.Config()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// parse decodes raw as the toolkit does (the same defaults, strict YAML,
// paths relative to the file) and validates it with the toolkit's Validate,
// which also checks users' bcrypt hashes and the certificate and key.
func parse(path string, raw []byte) (*web.Config, error) {
	c := &web.Config{
		TLSConfig: web.TLSConfig{
			MinVersion:               tls.VersionTLS12,
			MaxVersion:               tls.VersionTLS13,
			PreferServerCipherSuites: true,
		},
		HTTPConfig: web.HTTPConfig{HTTP2: true},
	}
	if err := yaml.UnmarshalStrict(raw, c); err != nil {
		return nil, err
	}
	c.TLSConfig.SetDirectory(filepath.Dir(path))
	if err := web.Validate(path); err != nil {
		return nil, err
	}
	return c, nil
}

// Users returns the basic auth users: name → bcrypt hash.
func (f *File) Users() (map[string]string, error) {
	c, err := f.Config()
	if err != nil {
		return nil, err
	}
	users := make(map[string]string, len(c.Users))
	for name, hash := range c.Users {
		users[name] = string(hash)
	}
	return users, nil
}

// TLS reports whether the file, as it is now, configures TLS.
func (f *File) TLS() bool {
	c, err := f.Config()
	return err == nil && c.TLSConfig.IsEnabled()
}

// Wrap applies the file's http_server_config.headers to every response and
// its rate_limit to every request (429 past it), as the toolkit does.
func (f *File) Wrap(next http.Handler) http.Handler {
	if f == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := f.Config()
		if err != nil {
			http.Error(w, "the server's web config file is invalid; see its log", http.StatusInternalServerError)
			return
		}
		if f.rate != nil && !f.rate.Allow() {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(f.rate)))
			http.Error(w, "rate limit of the web config file reached; retry later", http.StatusTooManyRequests)
			return
		}
		for k, v := range c.HTTPConfig.Header {
			w.Header().Set(k, v)
		}
		next.ServeHTTP(w, r)
	})
}

func retryAfter(l *rate.Limiter) int {
	s := int(1 / float64(l.Limit()))
	return max(s, 1)
}

// Serve serves srv on ln: over TLS when the file configures it, each
// connection's handshake reading the file and the certificate files again
// (so rotated certificates apply to new connections), else plain HTTP.
// Whether TLS is on at all, and HTTP/2, are decided here once: changing
// them needs a restart, as in Prometheus.
func (f *File) Serve(srv *http.Server, ln net.Listener) error {
	c, err := f.Config()
	if err != nil {
		return err
	}
	if !c.TLSConfig.IsEnabled() {
		return srv.Serve(ln)
	}
	tc, err := web.ConfigToTLSConfig(&c.TLSConfig)
	if err != nil {
		return fmt.Errorf("web config %s: %w", f.path, err)
	}
	protos := []string{"h2", "http/1.1"}
	if !c.HTTPConfig.HTTP2 {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		protos = []string{"http/1.1"}
	}
	tc.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := f.Config()
		if err != nil {
			return nil, err
		}
		now, err := web.ConfigToTLSConfig(&c.TLSConfig)
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil {
			// A certificate or key half written while rotated: the last
			// settings that loaded serve until the files are whole.
			f.logger.Error("the web config's TLS settings do not load; the last ones that did stay in force", "file", f.path, "err", err)
			if f.tls == nil {
				return nil, err
			}
			return f.tls, nil
		}
		now.NextProtos = protos
		f.tls = now
		return now, nil
	}
	srv.TLSConfig = tc
	return srv.ServeTLS(ln, "", "")
}
