// Package api serves Steward's HTTP API: record ingest, health, readiness and
// config reload. It speaks JSON over net/http and reaches storage and KPIs only
// through the interfaces it is given; it wires no concrete store itself.
package api

import (
	"log/slog"
	"net/http"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// DefaultMaxBodyBytes bounds an ingest request body (413 past it).
const DefaultMaxBodyBytes = 32 << 20

// Options configure a Server. Store and Logger are required.
type Options struct {
	Store  record.Store
	Logger *slog.Logger
	// MaxBodyBytes bounds ingest bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxBatchRecords bounds the records of one ingest request (413 past
	// it); 0 means DefaultMaxBatchRecords.
	MaxBatchRecords int
	// Ready reports whether the daemon can serve (config loaded and so on),
	// beyond the store being reachable, which the server checks itself.
	Ready func() error
	// Reload reloads the configuration; nil disables POST /-/reload.
	Reload func() error
	// Scorecards answers GET /api/v1/scorecards; nil leaves it out.
	Scorecards Scorecards
	// Config, if set, is the config in force: a system's alias then names
	// the system as a subject of GET /api/v1/scorecards.
	Config func() *config.Config
	// Ingested is called with each batch stored, after its commit and
	// before the answer: with the Seqs the store gave its records, so
	// that the KPI engine takes them in without reading them back
	// (scorecard.Engine.Written), and a client that was answered sees its
	// records in its next read.
	Ingested func(record.Batch)
	// Observe, if set, is told about every ingest request, for the
	// daemon's own metrics. It must not block.
	Observe func(IngestEvent)
}

// Server is Steward's HTTP API.
type Server struct {
	opts    Options
	mux     *routeMux
	answers *answers     // encoded scorecard answers of the latest snapshot
	past    *pastAnswers // encoded scorecard answers of past evaluation times
	buffers bufferPool   // what answers are encoded and buffered in
}

// New builds a Server with its routes.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Ingested == nil {
		opts.Ingested = func(record.Batch) {}
	}
	if opts.Observe == nil {
		opts.Observe = func(IngestEvent) {}
	}
	if opts.MaxBatchRecords <= 0 {
		opts.MaxBatchRecords = DefaultMaxBatchRecords
	}
	s := &Server{opts: opts, mux: &routeMux{ServeMux: http.NewServeMux()}, answers: newAnswers(maxAnswerBytes), past: newPastAnswers(maxPastBytes)}
	s.mux.HandleFunc("POST /api/v1/incidents", s.ingest(record.KindIncident))
	s.mux.HandleFunc("POST /api/v1/changes", s.ingest(record.KindChange))
	s.mux.HandleFunc("POST /api/v1/feedback", s.ingest(record.KindFeedback))
	s.mux.HandleFunc("GET /api/v1/quarantine", s.quarantine)
	if opts.Scorecards != nil {
		s.mux.HandleFunc("GET /api/v1/scorecards", s.scorecards)
		if _, ok := opts.Scorecards.(trendSource); ok {
			s.mux.HandleFunc("GET /api/v1/trends", s.trends)
		}
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("POST /-/reload", s.reload)
	return s
}

// Handle adds a route, for parts of Steward served beside the API (metrics,
// webhooks, UI).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
