package api

import (
	"net/http"
	"slices"
)

// DefaultMaxBatchRecords bounds the records of one ingest request (413 past
// it): a client with more splits them, as it would past the body size.
const DefaultMaxBatchRecords = 10000

// routeMux is a ServeMux that remembers its patterns, so that middleware
// deciding by route (authentication, limits) can check that it knows every
// one of them.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes lists the patterns of every route served, in registration order.
func (s *Server) Routes() []string { return slices.Clone(s.mux.patterns) }

// Pattern returns the pattern of the route r matches, "" when none does
// (the answer is then 404 or 405).
func (s *Server) Pattern(r *http.Request) string {
	_, p := s.mux.Handler(r)
	return p
}
