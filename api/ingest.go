package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/steward-sh/steward/limit"
	"github.com/steward-sh/steward/record"
)

// Rejection is one record refused by ingest, as the API answers it.
type Rejection struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

// IngestResult is the answer to an ingest request.
type IngestResult struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected"`
}

// IngestEvent describes one answered ingest request, for Options.Observe.
type IngestEvent struct {
	Kind record.Kind
	// Source is the endpoint's default source ("api"); records may name
	// their own.
	Source string
	Status int          // HTTP status answered
	Batch  record.Batch // what the body decoded to; empty when it could not be read or parsed
	// StoreErr is the store's error writing Batch (then none of it was
	// stored); nil when stored or when there was nothing to store.
	StoreErr error
	Took     time.Duration
}

func (s *Server) ingest(kind record.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ev := IngestEvent{Kind: kind, Source: record.DefaultSource}
		start := time.Now()
		defer func() {
			ev.Took = time.Since(start)
			s.opts.Observe(ev)
		}()
		// MaxBytesReader gets the server's writer: it tells it to close the
		// connection after a too large body.
		limited := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		w = &statusWriter{ResponseWriter: w, status: &ev.Status}
		body, err := limit.ReadAll(limited, r.ContentLength, s.opts.MaxBodyBytes)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes (--web.max-body-bytes); split the batch", tooBig.Limit))
				return
			}
			writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
			return
		}
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		raws, err := record.Split(body, mediaType == "application/x-ndjson")
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if len(raws) > s.opts.MaxBatchRecords {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("batch has %d records, more than the limit of %d (--web.max-batch-records); split it", len(raws), s.opts.MaxBatchRecords))
			return
		}
		batch, res := Decode(kind, record.DefaultSource, raws, time.Now().UTC())
		ev.Batch = batch
		if batch.Len() > 0 {
			if err := s.opts.Store.Write(r.Context(), batch); err != nil {
				ev.StoreErr = err
				s.opts.Logger.Error("ingest: store unavailable", "kind", kind, "records", len(raws), "err", err)
				w.Header().Set("Retry-After", "5")
				writeError(w, http.StatusServiceUnavailable, "records could not be stored durably; nothing was accepted, retry later")
				return
			}
			s.opts.Ingested()
		}
		s.opts.Logger.Debug("ingest", "kind", kind, "accepted", res.Accepted, "rejected", len(res.Rejected))
		writeJSON(w, http.StatusOK, res)
	}
}

// Decode validates raw records of one kind into a batch: valid records to
// upsert (a later record with the same key replaces an earlier one, as a
// later request would) and rejected ones to quarantine.
func Decode(kind record.Kind, source string, raws []json.RawMessage, now time.Time) (record.Batch, IngestResult) {
	var b record.Batch
	res := IngestResult{Rejected: []Rejection{}}
	seen := map[record.Ref]int{}
	for i, raw := range raws {
		var key record.Ref
		var err error
		switch kind {
		case record.KindIncident:
			var in record.Incident
			if in, err = record.ParseIncident(raw, source); err == nil {
				key = in.Key()
				if j, dup := seen[key]; dup {
					b.Incidents[j] = in
				} else {
					seen[key] = len(b.Incidents)
					b.Incidents = append(b.Incidents, in)
				}
			}
		case record.KindChange:
			var c record.Change
			if c, err = record.ParseChange(raw, source); err == nil {
				key = c.Key()
				if j, dup := seen[key]; dup {
					b.Changes[j] = c
				} else {
					seen[key] = len(b.Changes)
					b.Changes = append(b.Changes, c)
				}
			}
		}
		if err != nil {
			id := record.PeekID(raw)
			msg := fmt.Sprintf("%s %d (id %q): %s", kind, i, id, joinErr(err))
			res.Rejected = append(res.Rejected, Rejection{Index: i, ID: id, Error: msg})
			b.Rejected = append(b.Rejected, record.Rejected{
				Kind: kind, Source: source, Index: i, ID: id, Error: msg, Raw: string(raw), ReceivedAt: now,
			})
			continue
		}
		res.Accepted++
	}
	return b, res
}

// joinErr flattens errors.Join's newlines so one rejection reads as one line.
func joinErr(err error) string {
	var multi interface{ Unwrap() []error }
	if !errors.As(err, &multi) {
		return err.Error()
	}
	s := ""
	for i, e := range multi.Unwrap() {
		if i > 0 {
			s += "; "
		}
		s += e.Error()
	}
	return s
}

// statusWriter remembers the status code a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status *int
}

func (w *statusWriter) WriteHeader(code int) {
	if *w.status == 0 {
		*w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if *w.status == 0 {
		*w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
