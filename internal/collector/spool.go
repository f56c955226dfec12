package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/steward-sh/steward/record"
)

// Spool is a durable local queue (package spool implements it). Deliveries
// the store cannot take wait there, when their vendor would not send them
// again, until the store is back.
type Spool interface {
	// Append adds an entry once it is durable, or fails (full, disk error).
	Append(data []byte) (seq uint64, err error)
	// First returns the oldest entry; ok is false when there is none.
	First() (seq uint64, data []byte, ok bool, err error)
	// Remove takes the oldest entry, seq, off the queue.
	Remove(seq uint64) error
	Len() (entries int, bytes int64)
	// ID names the spool for as long as its directory lives.
	ID() string
}

// SpoolStore is what draining needs of the record store: writing a
// delivery's records together with the spool position they reach, reading
// that position back after a restart, and telling a store that is down
// from one that refuses a delivery.
type SpoolStore interface {
	CursorStore
	Ping(ctx context.Context) error
}

// Spool results, for SpoolerOptions.Counted.
const (
	SpoolHeld        = "spooled"     // a delivery was written to the spool
	SpoolRefused     = "refused"     // the spool could not take a delivery (503)
	SpoolDrained     = "drained"     // a delivery's records were stored
	SpoolQuarantined = "quarantined" // a delivery the store kept refusing was quarantined whole
)

// SpoolerOptions configure a Spooler. Spool, Holds, Sources, Store and
// Logger are required.
type SpoolerOptions struct {
	Spool Spool
	// Holds says whether a source's deliveries are spooled when the store
	// fails: those of vendors that do not deliver again after an error.
	Holds func(source string) bool
	// Sources returns a source as currently configured, to decode what is
	// drained; false when it is no longer configured.
	Sources func(name string) (Source, bool)
	Store   SpoolStore
	// Prior reads stored records for sources that merge with them.
	Prior  record.Getter
	Logger *slog.Logger
	// Notify is called after drained records were stored; it must not
	// block.
	Notify func()
	// Drained, if set, is told of every batch drained into the store.
	Drained func(kind record.Kind, b record.Batch)
	// Counted, if set, is told of every spool result (SpoolHeld...).
	Counted func(result string)
	// Backoff paces retries while the store is down; Attempts is unused.
	Backoff Backoff
}

// Spooler keeps webhook deliveries in a Spool while the store is down and
// drains them, in order, when it is back (Run).
type Spooler struct {
	o    SpoolerOptions
	wake chan struct{}

	// Drain state, owned by Run.
	applied uint64 // highest sequence number known stored
	known   bool   // applied was read from the store
	refused map[uint64]int
}

// poisonAttempts is how many times the store, while reachable, may refuse
// one delivery before it is quarantined whole rather than retried forever
// in front of every later one.
const poisonAttempts = 5

// NewSpooler returns a Spooler; Run drains it.
func NewSpooler(o SpoolerOptions) *Spooler {
	if o.Notify == nil {
		o.Notify = func() {}
	}
	if o.Counted == nil {
		o.Counted = func(string) {}
	}
	if o.Drained == nil {
		o.Drained = func(record.Kind, record.Batch) {}
	}
	if o.Backoff.Base <= 0 {
		o.Backoff.Base = 100 * time.Millisecond
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = 5 * time.Second
	}
	o.Backoff = o.Backoff.withDefaults()
	return &Spooler{o: o, wake: make(chan struct{}, 1), refused: map[uint64]int{}}
}

// delivery is one spooled webhook request: what its source's Decode needs
// to run again later, and nothing that authenticated it (it was verified
// before it was spooled; secrets are not written to disk).
type delivery struct {
	Source     string      `json:"source"`
	Kind       record.Kind `json:"kind"`
	ReceivedAt time.Time   `json:"received_at"`
	Header     http.Header `json:"header,omitempty"`
	Body       []byte      `json:"body"`
}

// queued reports whether deliveries wait in the spool: then a spooled
// source's new deliveries queue behind them, so that the store sees each
// vendor's events in the order they came.
func (s *Spooler) queued(source string) bool {
	if s == nil || !s.o.Holds(source) {
		return false
	}
	n, _ := s.o.Spool.Len()
	return n > 0
}

// hold writes a delivery to the spool, durably.
func (s *Spooler) hold(src Source, h http.Header, body []byte, now time.Time) error {
	d := delivery{Source: src.Name, Kind: src.Kind, ReceivedAt: now, Body: body}
	for _, name := range src.Headers {
		if v := h.Values(name); len(v) > 0 {
			if d.Header == nil {
				d.Header = http.Header{}
			}
			d.Header[textproto.CanonicalMIMEHeaderKey(name)] = v
		}
	}
	data, err := json.Marshal(d)
	if err == nil {
		_, err = s.o.Spool.Append(data)
	}
	if err != nil {
		s.o.Counted(SpoolRefused)
		return err
	}
	s.o.Counted(SpoolHeld)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// spooled answers a delivery that the store could not take, when its
// source is spooled: with status and a once the delivery is durable in the
// spool, 503 when the spool refuses it. For other sources it answers
// nothing and returns false. A spooled delivery's records are counted in
// ev when they are drained, not now.
func (h *handler) spooled(w http.ResponseWriter, r *http.Request, src Source, body []byte, now time.Time,
	status int, a Answer, reply func(int, Answer), ev *Event) bool {
	sp := h.o.Spooler
	if sp == nil || !sp.o.Holds(src.Name) {
		return false
	}
	if err := sp.hold(src, r.Header, body, now); err != nil {
		h.o.Logger.Error("webhook: the store is unavailable and the spool refused the delivery", "source", src.Name, "err", err)
		w.Header().Set("Retry-After", "30")
		reply(http.StatusServiceUnavailable, Answer{Error: "the store is unavailable and the spool cannot take the delivery (" +
			err.Error() + "); nothing was accepted, retry later"})
		return true
	}
	ev.Batch, ev.StoreErr = record.Batch{}, nil
	h.o.Logger.Info("webhook: delivery spooled until the store is back", "source", src.Name)
	reply(status, a)
	return true
}

// spooledAnswer is what a spooled delivery is told: accepted, stored later.
func spooledAnswer() Answer {
	return Answer{Rejected: []Rejection{}, Ignored: []string{}, Spooled: true}
}

// queuedAnswer is what a delivery queued behind spooled ones is told: 400
// when it is malformed (it is spooled all the same, to be quarantined in
// its turn), else 202. Decoding without prior records tells a malformed
// payload without reading the store.
func queuedAnswer(ctx context.Context, src Source, req Request) (int, Answer) {
	if _, err := src.Decode(ctx, req); errors.Is(err, ErrMalformed) {
		return http.StatusBadRequest, Answer{Rejected: []Rejection{{Error: err.Error()}}, Ignored: []string{}, Error: err.Error()}
	}
	return http.StatusAccepted, spooledAnswer()
}

// Run drains the spool until ctx ends: oldest delivery first, each decoded
// as its source is configured now and as of when it was received, and
// removed only once its records are committed. Deliveries a previous run
// left behind are drained first. While the store is down it retries with
// backoff.
func (s *Spooler) Run(ctx context.Context) {
	if s == nil {
		return
	}
	retry := 0
	for ctx.Err() == nil {
		more, err := s.step(ctx)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			retry++
			wait := s.o.Backoff.wait(retry)
			s.o.Logger.Warn("spool: drain failed; retrying", "in", wait, "err", err)
			_ = Sleep(ctx, wait)
		case more:
			retry = 0
		default:
			retry = 0
			select {
			case <-ctx.Done():
			case <-s.wake:
			}
		}
	}
}

// Drain stores what the spool holds until it is empty or a step fails. It
// is Run without the waiting, for tests and tools, and must not run beside
// Run.
func (s *Spooler) Drain(ctx context.Context) error {
	for {
		more, err := s.step(ctx)
		if err != nil || !more {
			return err
		}
	}
}

func (s *Spooler) cursor() string { return "spool/" + s.o.Spool.ID() }

// step stores the oldest delivery and removes it. more is false when the
// spool was empty.
func (s *Spooler) step(ctx context.Context) (more bool, err error) {
	seq, data, ok, err := s.o.Spool.First()
	if err != nil || !ok {
		return false, err
	}
	if !s.known {
		v, err := s.o.Store.Cursor(ctx, s.cursor())
		if err != nil {
			return false, fmt.Errorf("spool: read progress: %w", err)
		}
		if v != "" {
			if s.applied, err = strconv.ParseUint(v, 10, 64); err != nil {
				return false, fmt.Errorf("spool: progress %q: %w", v, err)
			}
		}
		s.known = true
	}
	if seq <= s.applied {
		// Stored before a crash kept it from being removed: the cursor
		// committed with its records says so. Storing it again would
		// quarantine its rejected items twice.
		return true, s.o.Spool.Remove(seq)
	}
	d, b, err := s.decode(ctx, data)
	if err != nil {
		return false, err
	}
	b.Cursor = &record.Cursor{Name: s.cursor(), Value: strconv.FormatUint(seq, 10)}
	result := SpoolDrained
	if err := s.o.Store.Write(ctx, b); err != nil {
		if b, err = s.poisoned(ctx, seq, d, b, err); err != nil {
			return false, err
		}
		result = SpoolQuarantined
	}
	delete(s.refused, seq)
	s.applied = seq
	s.o.Counted(result)
	s.o.Drained(d.Kind, b)
	s.o.Notify()
	s.o.Logger.Debug("spool: delivery stored", "source", d.Source, "seq", seq,
		"records", len(b.Incidents)+len(b.Changes), "rejected", len(b.Rejected))
	return true, s.o.Spool.Remove(seq)
}

// decode turns a spooled delivery into the batch to store. A delivery that
// can no longer be decoded (malformed, or its source no longer configured)
// becomes a quarantined item, so it is kept for inspection and never blocks
// the spool. An error means the decoder could not read the store: retry.
func (s *Spooler) decode(ctx context.Context, data []byte) (delivery, record.Batch, error) {
	var d delivery
	if err := json.Unmarshal(data, &d); err != nil {
		d = delivery{Source: "spool", Kind: record.KindIncident, ReceivedAt: time.Now().UTC(), Body: data}
		return d, quarantine(d, fmt.Sprintf("unreadable spooled delivery: %v", err)), nil
	}
	src, ok := s.o.Sources(d.Source)
	if !ok {
		return d, quarantine(d, fmt.Sprintf("spooled %s delivery: the %s webhook is no longer configured", d.Source, d.Source)), nil
	}
	dec, err := src.Decode(ctx, Request{Body: d.Body, Header: d.Header, Now: d.ReceivedAt, Prior: s.o.Prior})
	switch {
	case errors.Is(err, ErrMalformed):
		return d, quarantine(d, err.Error()), nil
	case err != nil:
		return d, record.Batch{}, fmt.Errorf("spool: decode %s delivery: %w", d.Source, err)
	}
	return d, record.Batch{Incidents: dec.Incidents, Changes: dec.Changes, Rejected: dec.Rejected}, nil
}

func quarantine(d delivery, msg string) record.Batch {
	return record.Batch{Rejected: []record.Rejected{{Kind: d.Kind, Source: d.Source, Error: msg, Raw: string(d.Body), ReceivedAt: d.ReceivedAt}}}
}

// poisoned handles a write the store refused. While the store cannot be
// reached the error stands (retry). A delivery the reachable store keeps
// refusing is quarantined whole, with the store's reason, and the batch
// that was stored instead is returned.
func (s *Spooler) poisoned(ctx context.Context, seq uint64, d delivery, b record.Batch, werr error) (record.Batch, error) {
	werr = fmt.Errorf("spool: store %s delivery %d: %w", d.Source, seq, werr)
	if s.o.Store.Ping(ctx) != nil {
		return b, werr
	}
	if s.refused[seq]++; s.refused[seq] < poisonAttempts {
		return b, werr
	}
	q := quarantine(d, fmt.Sprintf("spooled delivery refused by the store %d times: %v", poisonAttempts, werr))
	q.Cursor = b.Cursor
	if err := s.o.Store.Write(ctx, q); err != nil {
		return b, errors.Join(werr, err)
	}
	s.o.Logger.Error("spool: delivery quarantined whole: the store keeps refusing it", "source", d.Source, "seq", seq, "err", werr)
	return q, nil
}
