package api

import (
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/record"
)

// Rejection is one record refused by ingest, as the API answers it: Error
// names the record and every problem; Fields lists the fields at fault.
type Rejection struct {
	Index  int      `json:"index"`
	ID     string   `json:"id"`
	Error  string   `json:"error"`
	Fields []string `json:"fields,omitempty"`
}

// IngestResult is the answer to an ingest request.
type IngestResult struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected"`
}

// Result is the answer to a decoded batch.
func Result(b *record.BatchBuilder) IngestResult {
	res := IngestResult{Accepted: b.Accepted(), Rejected: []Rejection{}}
	for _, r := range b.Rejections() {
		res.Rejected = append(res.Rejected, Rejection{Index: r.Index, ID: r.ID, Error: r.Error(), Fields: r.Fields()})
	}
	return res
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
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		// The body is decoded as it is read, and reading stops at the first
		// record past the limit: a huge body costs what its allowed records
		// cost, never its size many times over.
		dec := record.BatchDecoder{Kind: kind, DefaultSource: record.DefaultSource,
			NDJSON: mediaType == "application/x-ndjson", MaxRecords: s.opts.MaxBatchRecords}
		decoded, err := dec.Decode(limited, time.Now().UTC())
		if err != nil {
			var tooBig *http.MaxBytesError
			var tooMany *record.TooManyRecordsError
			switch {
			case errors.As(err, &tooBig):
				fault.Write(w, fault.Errorf(fault.TooLarge, "body exceeds %d bytes (--web.max-body-bytes); split the batch", tooBig.Limit))
			case errors.As(err, &tooMany):
				fault.Write(w, fault.Errorf(fault.TooLarge, "batch has more than the limit of %d records (--web.max-batch-records); split it", tooMany.Limit))
			case errors.Is(err, record.ErrUnparseable):
				fault.Write(w, fault.Wrap(fault.Invalid, err))
			default:
				fault.Write(w, fault.Errorf(fault.Invalid, "reading body: %w", err))
			}
			return
		}
		batch, res := decoded.Batch(), Result(decoded)
		ev.Batch = batch
		if batch.Len() > 0 {
			if err := s.opts.Store.Write(r.Context(), batch); err != nil {
				ev.StoreErr = err
				if errors.Is(err, record.ErrInvalid) {
					// No retry can store it: say so rather than answer 503
					// for ever.
					fault.Write(w, fault.Errorf(fault.Unprocessable, "the store refused the batch, nothing was accepted: %w", err))
					return
				}
				s.opts.Logger.Error("ingest: store unavailable", "kind", kind, "records", batch.Len(), "err", err)
				w.Header().Set("Retry-After", "5")
				fault.Write(w, fault.Errorf(fault.Unavailable, "records could not be stored durably; nothing was accepted, retry later"))
				return
			}
			s.opts.Ingested(batch)
		}
		s.opts.Logger.Debug("ingest", "kind", kind, "accepted", res.Accepted, "rejected", len(res.Rejected))
		fault.WriteJSON(w, http.StatusOK, res)
	}
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
