package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-sh/steward/fault"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("Steward is Healthy.\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Store.Ping(ctx); err != nil {
		http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("Steward is Ready.\n"))
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Reload == nil {
		http.Error(w, "reload is not enabled", http.StatusNotFound)
		return
	}
	if err := s.opts.Reload(); err != nil {
		http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte("config reloaded\n"))
}

func (s *Server) quarantine(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fault.Write(w, fault.Errorf(fault.Invalid, "limit must be a positive integer"))
			return
		}
		limit = n
	}
	rows, err := s.opts.Store.Quarantined(r.Context(), limit)
	if err != nil {
		fault.Write(w, fault.Errorf(fault.Unavailable, "store unavailable: %w", err))
		return
	}
	fault.WriteJSON(w, http.StatusOK, map[string]any{"quarantined": rows})
}
