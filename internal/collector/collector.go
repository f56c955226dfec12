// Package collector turns what vendors send (Alertmanager, PagerDuty,
// GitHub, GitLab and Opsgenie webhooks; pollers and file imports live beside
// them) into Steward's incident and change records.
//
// Each webhook is a pure decode function (vendor payload + Mapping + prior
// record + now → records, rejected items, ignored events), which tests call
// directly, and a thin HTTP handler shared by all vendors that checks the
// vendor's credentials, decodes, writes through record.Store (durably before
// answering 2xx; while the store is down, deliveries of vendors that do not
// retry are kept in a local Spool instead) and tells the KPI engine. Every record a collector makes is
// validated by the record package's own rules, as if it had been posted to
// the API, so a vendor can never store what the API would refuse.
//
// The package must not know about attribution, KPIs or a concrete store, and
// must not import a metrics library: what the handlers, pollers and spool
// did is told to the daemon's callbacks (Observe, Stored, Failed, Counted,
// Drained), which count it in the self-metrics.
package collector

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/internal/limit"
	"github.com/steward-sh/steward/record"
)

// Decoded is what a collector made of one payload.
type Decoded struct {
	Incidents []record.Incident
	Changes   []record.Change
	// Rejected are items of the payload that could not become valid
	// records, for the quarantine; the rest of the payload is still stored.
	Rejected []record.Rejected
	// Ignored says why events were left out: event types or states that
	// Steward does not use, or events older than what is stored.
	Ignored []string
}

// ErrMalformed marks a payload that is not what the vendor sends: not JSON,
// or without the fields that identify it. The handler answers 400 and
// quarantines the body.
var ErrMalformed = errors.New("malformed payload")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Mapping says where a collector finds a record's fields in a payload and
// how vendor values translate into Steward's. Field lists are tried in
// order and the first field with a non-empty value wins; value maps are
// keyed by lower-cased vendor values.
type Mapping struct {
	System, Team, Title, Severity, Impact, Environment []string
	// Category lists where an incident's category comes from; none found
	// leaves it to the record's default (none).
	Category []string

	// SeverityMap decides severity from the first Severity field whose
	// value it knows; DefaultSeverity applies when none does.
	SeverityMap     map[string]int
	DefaultSeverity int
	ImpactMap       map[string]record.Impact
	DefaultImpact   record.Impact
	// EnvironmentMap renames environments; an unmapped value is kept.
	EnvironmentMap map[string]string
}

// With returns m changed by what the config sets: lists replace m's, maps
// are merged over m's, defaults replace m's when set.
func (m Mapping) With(c config.Mapping) Mapping {
	out := m
	replace := func(dst *[]string, src []string) {
		if src != nil {
			*dst = slices.Clone(src)
		}
	}
	replace(&out.System, c.System)
	replace(&out.Team, c.Team)
	replace(&out.Title, c.Title)
	replace(&out.Severity, c.Severity)
	replace(&out.Impact, c.Impact)
	replace(&out.Category, c.Category)
	replace(&out.Environment, c.Environment)
	out.SeverityMap = merged(m.SeverityMap, c.SeverityMap)
	impacts := make(map[string]record.Impact, len(c.ImpactMap))
	for k, v := range c.ImpactMap {
		impacts[k] = record.Impact(v)
	}
	out.ImpactMap = merged(m.ImpactMap, impacts)
	out.EnvironmentMap = merged(m.EnvironmentMap, c.EnvironmentMap)
	if c.DefaultSeverity != 0 {
		out.DefaultSeverity = c.DefaultSeverity
	}
	if c.DefaultImpact != "" {
		out.DefaultImpact = record.Impact(c.DefaultImpact)
	}
	return out
}

// merged returns a new map holding base overridden by over, with the
// lower-cased keys lookups use.
func merged[V any](base, over map[string]V) map[string]V {
	out := make(map[string]V, len(base)+len(over))
	for _, m := range []map[string]V{base, over} {
		for k, v := range m {
			out[strings.ToLower(k)] = v
		}
	}
	return out
}

// fields reads one named field of a payload: its value and whether the
// payload has a non-empty one.
type fields func(name string) (string, bool)

func first(names []string, get fields) (string, bool) {
	for _, n := range names {
		if v, ok := get(n); ok {
			return v, true
		}
	}
	return "", false
}

func (m Mapping) severity(get fields) (int, bool) {
	for _, n := range m.Severity {
		if v, ok := get(n); ok {
			if s, known := m.SeverityMap[strings.ToLower(v)]; known {
				return s, true
			}
		}
	}
	return 0, false
}

func (m Mapping) impact(get fields) (record.Impact, bool) {
	for _, n := range m.Impact {
		if v, ok := get(n); ok {
			if i, known := m.ImpactMap[strings.ToLower(v)]; known {
				return i, true
			}
		}
	}
	return "", false
}

// fillIncident sets an incident's mapped fields from a payload. A field the
// payload lacks keeps the prior version's value (vendors send partial
// events), else the mapping's default.
func (m Mapping) fillIncident(in *record.Incident, get fields, prior *record.Incident) {
	var ok bool
	if in.System, ok = first(m.System, get); !ok && prior != nil {
		in.System = prior.System
	}
	if in.Team, ok = first(m.Team, get); !ok && prior != nil {
		in.Team = prior.Team
	}
	if in.Title, ok = first(m.Title, get); !ok && prior != nil {
		in.Title = prior.Title
	}
	switch s, ok := m.severity(get); {
	case ok:
		in.Severity = s
	case prior != nil:
		in.Severity = prior.Severity
	default:
		in.Severity = m.DefaultSeverity
	}
	switch i, ok := m.impact(get); {
	case ok:
		in.Impact = i
	case prior != nil:
		in.Impact = prior.Impact
	default:
		in.Impact = m.DefaultImpact
	}
	if in.Category, ok = first(m.Category, get); ok {
		in.Category = strings.ToLower(in.Category)
	} else if prior != nil {
		in.Category = prior.Category
	}
}

// fillChange is fillIncident for changes.
func (m Mapping) fillChange(c *record.Change, get fields, prior *record.Change) {
	var ok bool
	if c.System, ok = first(m.System, get); !ok && prior != nil {
		c.System = prior.System
	}
	if c.Team, ok = first(m.Team, get); !ok && prior != nil {
		c.Team = prior.Team
	}
	env, ok := first(m.Environment, get)
	switch {
	case ok:
		if mapped, known := m.EnvironmentMap[strings.ToLower(env)]; known {
			env = mapped
		}
		c.Environment = env
	case prior != nil:
		c.Environment = prior.Environment
	default:
		c.Environment = "production"
	}
}

// jsonFields reads dotted paths ("event.data.service.summary",
// "event.data.teams.0.summary") from a JSON document decoded with
// UseNumber. Strings, numbers and booleans have values; null, objects,
// lists and empty strings do not.
func jsonFields(doc any) fields {
	return func(path string) (string, bool) {
		v := doc
		for _, part := range strings.Split(path, ".") {
			switch x := v.(type) {
			case map[string]any:
				v = x[part]
			case []any:
				i, err := strconv.Atoi(part)
				if err != nil || i < 0 || i >= len(x) {
					return "", false
				}
				v = x[i]
			default:
				return "", false
			}
		}
		switch x := v.(type) {
		case string:
			return x, x != ""
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
}

// parseDoc decodes a JSON object for jsonFields.
func parseDoc(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed("not a JSON object: %v", err)
	}
	if doc == nil {
		return nil, malformed("not a JSON object: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("trailing data after the JSON object")
	}
	return doc, nil
}

// checkIncident validates an incident by the record package's rules, as if
// it had been posted to the API, and returns it as the API would store it
// (UTC, microsecond precision).
func checkIncident(in record.Incident) (record.Incident, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return record.Incident{}, err
	}
	return record.ParseIncident(raw, in.Source)
}

// checkChange is checkIncident for changes.
func checkChange(c record.Change) (record.Change, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return record.Change{}, err
	}
	return record.ParseChange(raw, c.Source)
}

// addIncident validates in and adds it to d, or quarantines it with raw,
// the vendor item it was made from. what names the item in messages
// ("alert 3").
func (d *Decoded) addIncident(in record.Incident, raw []byte, what string, m Mapping, now time.Time) {
	valid, err := checkIncident(in)
	if err == nil {
		d.Incidents = append(d.Incidents, valid)
		return
	}
	d.reject(record.KindIncident, in.Source, in.ID, len(d.Incidents)+len(d.Rejected), raw, what, hint(err, in.System, m.System), now)
}

// addChange is addIncident for changes.
func (d *Decoded) addChange(c record.Change, raw []byte, what string, m Mapping, now time.Time) {
	valid, err := checkChange(c)
	if err == nil {
		d.Changes = append(d.Changes, valid)
		return
	}
	d.reject(record.KindChange, c.Source, c.ID, len(d.Changes)+len(d.Rejected), raw, what, hint(err, c.System, m.System), now)
}

func (d *Decoded) reject(kind record.Kind, source, id string, index int, raw []byte, what, msg string, now time.Time) {
	d.Rejected = append(d.Rejected, record.Rejected{
		Kind: kind, Source: source, Index: index, ID: id,
		Error: fmt.Sprintf("%s (%s id %q): %s", what, kind, id, msg),
		Raw:   string(raw), ReceivedAt: now,
	})
}

// hint flattens a validation error to one line and, when the system is
// missing, says where the mapping looked for it: the usual reason.
func hint(err error, system string, looked []string) string {
	var msgs []string
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		for _, e := range multi.Unwrap() {
			msgs = append(msgs, e.Error())
		}
	} else {
		msgs = []string{err.Error()}
	}
	if system == "" {
		msgs = append(msgs, fmt.Sprintf("no value in any of the mapping's system fields %q", looked))
	}
	return strings.Join(msgs, "; ")
}

// Request is what a source decodes.
type Request struct {
	Body   []byte
	Header http.Header
	Now    time.Time
	// Prior reads stored records, for vendors whose events carry part of a
	// record's state; nil when the store cannot.
	Prior record.Getter
}

// Source is one vendor's webhook as the handler serves it.
type Source struct {
	// Name is the records' source and the self-metrics' source label.
	Name string
	// Kind is what the vendor's records are, so that a malformed body is
	// quarantined as that kind.
	Kind record.Kind
	// Admit checks what of the request's credentials can be checked
	// before its body is read: the whole credential of a token scheme, the
	// presence and form of a signature. A request it refuses is answered
	// 401 without its body being read, so senders without credentials
	// cannot make the daemon hold their bodies. Nil admits every request.
	Admit func(r *http.Request) error
	// Verify checks the request's credentials; body is the raw body, for
	// signatures. It must not say which part of a credential was wrong.
	// Nil when Admit checks everything.
	Verify func(r *http.Request, body []byte) error
	Decode func(ctx context.Context, req Request) (Decoded, error)
	// Merges says Decode reads prior records: the handler then serialises
	// the source's requests, so that two events of one incident arriving
	// together cannot both build on the same prior version.
	Merges bool
	// Headers names the request headers Decode reads besides the body:
	// they are kept with a spooled delivery (never credentials).
	Headers []string
}

// DefaultMaxBodyBytes bounds a webhook body unless Options say otherwise.
const DefaultMaxBodyBytes = 10 << 20

// Options configure webhook handlers. Store and Logger are required.
type Options struct {
	Store record.Store
	// Prior reads stored records for the vendors whose events carry part of
	// a record; nil uses Store when it implements record.Getter.
	Prior  record.Getter
	Logger *slog.Logger
	// Notify is called after records were stored, so KPIs are recomputed
	// soon. It must not block.
	Notify func()
	// Observe, if set, is told about every answered request (for the
	// daemon's ingest metrics). It must not block.
	Observe func(Event)
	// Now is the clock; nil is time.Now.
	Now          func() time.Time
	MaxBodyBytes int64
	// Spooler, if set, keeps the deliveries of the sources it holds when
	// the store fails, and answers them 202 (see spool.go).
	Spooler *Spooler
	// Bodies, if set, bounds the bodies read into memory at once, shared
	// with the ingest API: past it a delivery is answered 503 with
	// Retry-After before its body is read.
	Bodies *limit.Bodies
	// Turns, if set, runs the part of a merging source's delivery that
	// reads prior records and writes the merge, once the body is read and
	// verified, in the source's turn across replicas (the handler already
	// serialises it within one). It returns an error, without running fn,
	// when the turn cannot be taken: the handler then runs fn alone, to be
	// spooled or refused as the store allows.
	Turns func(ctx context.Context, source string, fn func()) error
}

// Event describes one answered webhook request, for Options.Observe.
type Event struct {
	Source string
	Kind   record.Kind
	Status int          // HTTP status answered
	Batch  record.Batch // what was to be stored; empty when nothing was
	// StoreErr is the store's error writing Batch (none of it was stored).
	StoreErr error
	Took     time.Duration
}

// Handler serves one vendor's webhook. source returns the vendor's source as
// currently configured, or false when it is not configured (404): it is
// called on every request so that a config reload applies at once.
func Handler(source func() (Source, bool), o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Notify == nil {
		o.Notify = func() {}
	}
	if o.Observe == nil {
		o.Observe = func(Event) {}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Prior == nil {
		o.Prior, _ = o.Store.(record.Getter)
	}
	return &handler{source: source, o: o}
}

type handler struct {
	source func() (Source, bool)
	o      Options
	mu     sync.Mutex // serialises sources that merge with prior records
	// told says the 404 of an unconfigured vendor was logged, once until
	// the vendor is configured again: a sender retrying must not flood
	// the log, and an operator must learn why deliveries are refused.
	told atomic.Bool
}

// Answer is the JSON a webhook answers with.
type Answer struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected"`
	Ignored  []string    `json:"ignored"`
	Error    string      `json:"error,omitempty"`
	// Spooled says the delivery waits in the local spool for the store:
	// its records are stored (and Accepted counts them) later.
	Spooled bool `json:"spooled,omitempty"`
}

// Rejection is one item of a payload that was quarantined.
type Rejection struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	src, ok := h.source()
	if !ok {
		if !h.told.Swap(true) && h.o.Logger != nil {
			h.o.Logger.Warn("webhook: answered 404: the config has no collectors section for this vendor; add one to accept its deliveries (logged once)",
				"path", r.URL.Path, "remote", r.RemoteAddr)
		}
		http.NotFound(w, r)
		return
	}
	h.told.Store(false)
	start := time.Now()
	ev := Event{Source: src.Name, Kind: src.Kind}
	h.serve(w, r, src, &ev)
	ev.Took = time.Since(start)
	h.o.Observe(ev)
}

// serve checks a delivery's credentials, reads its body within the bounds
// and stores it, in turn when its source merges with prior records.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, src Source, ev *Event) {
	log := h.o.Logger.With("source", src.Name)
	reply := func(status int, a Answer) {
		ev.Status = status
		writeAnswer(w, status, a)
	}
	refuse := func(err error) {
		log.Warn("webhook: request refused", "remote", r.RemoteAddr, "err", err)
		reply(http.StatusUnauthorized, Answer{Error: err.Error()})
	}
	if src.Admit != nil {
		if err := src.Admit(r); err != nil {
			refuse(err)
			return
		}
	}
	tooBig := func() {
		reply(http.StatusRequestEntityTooLarge, Answer{Error: fmt.Sprintf("body exceeds %d bytes", h.o.MaxBodyBytes)})
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		tooBig() // refused before reading a byte of it
		return
	}
	release, ok := h.o.Bodies.Take(r)
	if !ok {
		ev.Status = http.StatusServiceUnavailable
		h.o.Bodies.Refuse(w)
		return
	}
	defer release()
	body, err := limit.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes), r.ContentLength, h.o.MaxBodyBytes)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			tooBig()
			return
		}
		reply(http.StatusBadRequest, Answer{Error: "reading body: " + err.Error()})
		return
	}
	if src.Verify != nil {
		if err := src.Verify(r, body); err != nil {
			refuse(err)
			return
		}
	}
	if !src.Merges {
		h.store(w, r, src, body, ev)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.o.Turns == nil {
		h.store(w, r, src, body, ev)
		return
	}
	ran := false
	err = h.o.Turns(r.Context(), src.Name, func() { ran = true; h.store(w, r, src, body, ev) })
	if err != nil && !ran {
		if r.Context().Err() != nil {
			return // the sender gave up waiting
		}
		log.Warn("webhook: cannot take the replicas' turn; handling the delivery alone", "err", err)
		h.store(w, r, src, body, ev)
	}
}

// store decodes a verified delivery and stores its records, or spools it
// while the store cannot take them.
func (h *handler) store(w http.ResponseWriter, r *http.Request, src Source, body []byte, ev *Event) {
	log := h.o.Logger.With("source", src.Name)
	reply := func(status int, a Answer) {
		ev.Status = status
		writeAnswer(w, status, a)
	}
	unavailable := func(msg string, err error) {
		log.Error("webhook: store unavailable", "err", err)
		w.Header().Set("Retry-After", "5")
		reply(http.StatusServiceUnavailable, Answer{Error: msg})
	}
	now := h.o.Now().UTC()
	if h.o.Spooler.queued(src.Name) {
		status, a := queuedAnswer(r.Context(), src, Request{Body: body, Header: r.Header, Now: now})
		if h.spooled(w, r, src, body, now, status, a, reply, ev) {
			return
		}
	}
	dec, err := src.Decode(r.Context(), Request{Body: body, Header: r.Header, Now: now, Prior: h.o.Prior})
	switch {
	case errors.Is(err, ErrMalformed):
		// Kept for inspection; if even that cannot be stored the sender
		// is asked to retry.
		rj := record.Rejected{Kind: src.Kind, Source: src.Name, Error: err.Error(), Raw: string(body), ReceivedAt: now}
		ev.Batch = record.Batch{Rejected: []record.Rejected{rj}}
		if ev.StoreErr = h.o.Store.Write(r.Context(), ev.Batch); ev.StoreErr != nil {
			// Spooled, it is quarantined once drained.
			bad := Answer{Rejected: []Rejection{{Error: err.Error()}}, Ignored: []string{}, Error: err.Error()}
			if h.spooled(w, r, src, body, now, http.StatusBadRequest, bad, reply, ev) {
				return
			}
			unavailable("the payload could not be quarantined; retry later", ev.StoreErr)
			return
		}
		log.Warn("webhook: malformed payload quarantined", "err", err)
		reply(http.StatusBadRequest, Answer{Rejected: []Rejection{{Error: err.Error()}}, Ignored: []string{}, Error: err.Error()})
		return
	case err != nil:
		if h.spooled(w, r, src, body, now, http.StatusAccepted, spooledAnswer(), reply, ev) {
			return
		}
		unavailable("stored records could not be read; nothing was accepted, retry later", err)
		return
	}
	ans := Answer{Accepted: len(dec.Incidents) + len(dec.Changes), Rejected: []Rejection{}, Ignored: dec.Ignored}
	if ans.Ignored == nil {
		ans.Ignored = []string{}
	}
	for _, rj := range dec.Rejected {
		ans.Rejected = append(ans.Rejected, Rejection{Index: rj.Index, ID: rj.ID, Error: rj.Error})
	}
	if ans.Accepted+len(dec.Rejected) == 0 {
		log.Debug("webhook: nothing to store", "ignored", dec.Ignored)
		reply(http.StatusAccepted, ans)
		return
	}
	ev.Batch = record.Batch{Incidents: dec.Incidents, Changes: dec.Changes, Rejected: dec.Rejected}
	if ev.StoreErr = h.o.Store.Write(r.Context(), ev.Batch); ev.StoreErr != nil {
		if h.spooled(w, r, src, body, now, http.StatusAccepted, spooledAnswer(), reply, ev) {
			return
		}
		unavailable("records could not be stored durably; nothing was accepted, retry later", ev.StoreErr)
		return
	}
	h.o.Notify()
	log.Debug("webhook: stored", "accepted", ans.Accepted, "rejected", len(dec.Rejected), "ignored", len(dec.Ignored))
	reply(http.StatusOK, ans)
}

func writeAnswer(w http.ResponseWriter, status int, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if a.Error != "" && a.Rejected == nil {
		_ = json.NewEncoder(w).Encode(map[string]string{"error": a.Error})
		return
	}
	_ = json.NewEncoder(w).Encode(a)
}

// errUnauthorized is what a refused request is told: no more, so that a
// prober learns nothing about which part was wrong.
var errUnauthorized = errors.New("missing or invalid credentials")

// equal compares secrets in constant time, also hiding their lengths.
func equal(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// hmacForm reports whether sig could be an HMAC-SHA256 in hex: checked
// before the body is read, so that unsigned requests are refused without
// holding their bodies.
func hmacForm(sig string) bool {
	b, err := hex.DecodeString(strings.TrimSpace(sig))
	return err == nil && len(b) == sha256.Size
}

// validHMAC reports whether sig (hex) is the HMAC-SHA256 of body keyed with
// secret.
func validHMAC(sig string, body []byte, secret string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// stale reports whether an event that happened at t is older than the last
// one applied to the prior record (its last_event_at label): vendors may
// deliver events out of order, and an older one must not undo a newer one.
func stale(prior map[string]string, t time.Time) bool {
	last, err := time.Parse(time.RFC3339Nano, prior[labelLastEvent])
	return err == nil && t.Before(last)
}

// labelLastEvent is the label holding when the event a record was last built
// from happened.
const labelLastEvent = "last_event_at"

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func ptr[T any](v T) *T { return &v }

// labels builds a record's labels from name, value pairs, leaving out
// empty values.
func labels(kv ...string) map[string]string {
	out := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}
