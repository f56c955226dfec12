package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/csvsafe"
	"github.com/steward-sh/steward/fault"
	"github.com/steward-sh/steward/scorecard"
)

// Scorecards gives the API the KPI engine's answers.
type Scorecards interface {
	// Current is the snapshot as of now, including every stored record.
	Current(ctx context.Context) (*scorecard.Snapshot, error)
	// At computes the snapshot as of any evaluation time.
	At(ctx context.Context, at time.Time) (*scorecard.Snapshot, error)
	// Evaluate computes only the scorecards a query selects (at any time;
	// zero: now); the answer may hold more.
	Evaluate(ctx context.Context, q scorecard.Query) (*scorecard.Snapshot, error)
}

// generations is what Scorecards implement whose past-time answers may be
// kept: the engine's generation changes with every write that may change
// them (records, samples, feedback, config).
type generations interface {
	Generation(ctx context.Context) (uint64, error)
}

// KPIView is one KPI of a scorecard as the API shows it.
type KPIView struct {
	Value     *float64 `json:"value"`
	Objective *float64 `json:"objective"`
	Warning   *float64 `json:"warning"`
	Status    *string  `json:"status"`
	Previous  *float64 `json:"previous"`
	Delta     *float64 `json:"delta"`
}

// CardView is one scorecard as the API shows it.
type CardView struct {
	Role    scorecard.Role `json:"role"`
	Subject string         `json:"subject"`
	Score   *float64       `json:"score"`
	// NotAccountable: a system owner who owned nothing in the window
	// (SPEC 4, Exposure), hence the null score whatever the objectives.
	NotAccountable bool               `json:"not_accountable,omitempty"`
	KPIs           map[string]KPIView `json:"kpis"`
}

// ScorecardsView is the answer of GET /api/v1/scorecards.
type ScorecardsView struct {
	At         time.Time  `json:"at"`
	Window     string     `json:"window"`
	Scorecards []CardView `json:"scorecards"`
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// selectedCardView is a card of an answer of some KPIs (kpi=): it has no
// score, which is taken over every KPI with an objective.
type selectedCardView struct {
	Role           scorecard.Role     `json:"role"`
	Subject        string             `json:"subject"`
	NotAccountable bool               `json:"not_accountable,omitempty"`
	KPIs           map[string]KPIView `json:"kpis"`
}

// View shapes a snapshot's cards for the API.
func View(s *scorecard.Snapshot, window string, cards []scorecard.Card) ScorecardsView {
	out := ScorecardsView{At: s.At, Window: window, Scorecards: make([]CardView, 0, len(cards))}
	for i := range cards {
		out.Scorecards = append(out.Scorecards, cardView(s, &cards[i], nil))
	}
	return out
}

// kpiSelection is the KPIs an answer holds (kpi=); nil: every one.
type kpiSelection []scorecard.KPI

func (sel kpiSelection) has(k scorecard.KPI) bool {
	if sel == nil {
		return true
	}
	_, found := slices.BinarySearch(sel, k)
	return found
}

// key names the selection in the keys of kept answers.
func (sel kpiSelection) key() string {
	if sel == nil {
		return ""
	}
	var b strings.Builder
	for _, k := range sel {
		b.WriteString(k.Name())
		b.WriteByte(',')
	}
	return b.String()
}

// parseRoleKPIs reads the role and kpi parameters of a query of
// scorecards or trends.
func parseRoleKPIs(q url.Values) (scorecard.Role, kpiSelection, error) {
	var role scorecard.Role
	if v := q.Get("role"); v != "" {
		var err error
		if role, err = scorecard.ParseRole(v); err != nil {
			return "", nil, fault.Wrap(fault.Invalid, err)
		}
	}
	sel, err := parseKPIs(q["kpi"])
	return role, sel, err
}

// parseKPIs reads the kpi parameters: KPI names as the API flattens them,
// comma-separated and/or repeated. Absent: nil (every KPI).
func parseKPIs(values []string) (kpiSelection, error) {
	if values == nil {
		return nil, nil
	}
	sel := kpiSelection{}
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			k, ok := scorecard.KPIByName(name)
			if !ok {
				return nil, fault.Errorf(fault.Invalid, "kpi: unknown KPI %q (known: %s)", name, kpiNames())
			}
			sel = append(sel, k)
		}
	}
	if len(sel) == 0 {
		return nil, fault.Errorf(fault.Invalid, "kpi: no KPI named (known: %s)", kpiNames())
	}
	slices.Sort(sel)
	return slices.Compact(sel), nil
}

func kpiNames() string {
	names := make([]string, 0, len(scorecard.AllKPIs()))
	for _, k := range scorecard.AllKPIs() {
		names = append(names, k.Name())
	}
	return strings.Join(names, ", ")
}

// cardView shapes one card for the API, with the KPIs of sel only.
func cardView(s *scorecard.Snapshot, c *scorecard.Card, sel kpiSelection) CardView {
	cv := CardView{Role: c.Role, Subject: c.ID, Score: num(c.Score), NotAccountable: c.NotAccountable, KPIs: make(map[string]KPIView, len(c.Defined))}
	if sel != nil {
		cv.Score = nil
	}
	for _, k := range c.Defined {
		if !sel.has(k) {
			continue
		}
		kv := KPIView{Value: num(c.Value[k]), Previous: num(c.Previous[k]), Delta: num(c.Delta(k))}
		if o, ok := s.Objectives[k.Name()]; ok {
			kv.Objective = num(o.Objective)
			if o.Warning != nil {
				kv.Warning = num(*o.Warning)
			}
			st := c.Status[k].String()
			kv.Status = &st
		}
		cv.KPIs[k.Name()] = kv
	}
	return cv
}

func (s *Server) scorecards(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	role, sel, err := parseRoleKPIs(q)
	if err != nil {
		fault.Write(w, err)
		return
	}
	var snap *scorecard.Snapshot
	var t time.Time
	at, subject := q.Get("at"), q.Get("subject")
	if at != "" {
		var perr error
		if t, perr = time.Parse(time.RFC3339Nano, at); perr != nil {
			fault.Write(w, fault.Errorf(fault.Invalid, "at: not an RFC 3339 time: %q", at))
			return
		}
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	// A past answer (at) is kept until the engine's generation changes.
	pastKey := pastKey{at: t.UnixNano(), window: q.Get("window"), role: role, subject: subject, kpis: sel.key(), format: format}
	gen, keepPast := uint64(0), false
	if g, ok := s.opts.Scorecards.(generations); ok && at != "" && (format == "json" || format == "csv") {
		if gen, err = g.Generation(r.Context()); err == nil {
			if body, ok := s.past.get(gen, pastKey); ok {
				writeAnswer(w, format, body)
				return
			}
			keepPast = true
		}
	}
	switch {
	case subject != "" || (role != "" && at != "") || (at != "" && sel != nil):
		// only what is asked for is evaluated
		query := scorecard.Query{At: t, Window: q.Get("window"), Role: role, Subject: subject, KPIs: sel}
		snap, err = s.opts.Scorecards.Evaluate(r.Context(), query)
		if id := s.systemID(role, subject); err == nil && id != subject && !hasSubject(snap, role, subject) {
			query.Subject = id // a system's alias
			snap, err = s.opts.Scorecards.Evaluate(r.Context(), query)
		}
	case at != "":
		snap, err = s.opts.Scorecards.At(r.Context(), t)
	default:
		snap, err = s.opts.Scorecards.Current(r.Context())
	}
	if err != nil {
		s.opts.Logger.Error("scorecards", "err", err)
		fault.Write(w, fault.Errorf(fault.Unavailable, "scorecards unavailable: %w", err))
		return
	}
	win, ok := config.PickWindow(snap.Windows, q.Get("window"))
	if !ok {
		fault.Write(w, fault.Errorf(fault.Invalid, "unknown window %q (configured: %s)", q.Get("window"), config.WindowNames(snap.Windows)))
		return
	}
	window := win.Name
	// The latest snapshot's answers are kept with it; a past one (at) until
	// the engine's generation changes (above).
	key, keep := answerKey{window: window, role: role, format: format, kpis: sel.key()}, at == "" && subject == ""
	if keep {
		if body, ok := s.answers.get(snap, key); ok {
			writeAnswer(w, format, body)
			return
		}
	}
	if format != "json" && format != "csv" {
		fault.Write(w, fault.Errorf(fault.Invalid, "format must be json or csv"))
		return
	}
	cards := snap.Find(window, role, subject)
	if id := s.systemID(role, subject); len(cards) == 0 && id != subject {
		cards = snap.Find(window, role, id)
	}
	if subject != "" && len(cards) == 0 {
		fault.Write(w, fault.Errorf(fault.NotFound, "no subject %q with role %q", subject, role))
		return
	}
	// An answer is encoded card by card into a buffer that, past a bound,
	// spills into the response: a small answer goes out whole with its
	// Content-Length (and is kept), a large one (every team of a big
	// organisation) is streamed instead of being built whole in memory.
	max := maxStreamedBuffer
	switch {
	case keep:
		max = s.answers.bodies.max / 4
	case keepPast:
		max = s.past.bodies.max / 4
	}
	out := &spill{w: w, format: format, max: max, pool: &s.buffers}
	encodeAnswer(out, snap, window, cards, format, sel)
	body := out.finish(keep || keepPast)
	switch {
	case body == nil:
	case keep:
		s.answers.put(snap, key, body)
	case keepPast:
		s.past.put(gen, pastKey, body)
	}
}

// maxStreamedBuffer is how much of an answer that is not kept is buffered
// before it spills into the response. An answer that may be kept is
// buffered up to a quarter of the kept answers' bound (16 MiB; the
// reference organisation's every-system answer, 23 MiB, is not kept), so the
// concurrent reads --web.max-concurrent-reads admits hold at most that
// each.
const maxStreamedBuffer = 1 << 20

// hasSubject reports whether snap has a card of subject in any window.
func hasSubject(snap *scorecard.Snapshot, role scorecard.Role, subject string) bool {
	for w := range snap.Cards {
		if len(snap.Find(w, role, subject)) > 0 {
			return true
		}
	}
	return false
}

// SnapshotComputed drops the scorecard answers kept for an earlier
// snapshot, so they do not outlive it; call it when the engine publishes
// one.
func (s *Server) SnapshotComputed(snap *scorecard.Snapshot) {
	if s != nil {
		s.answers.forget(snap)
	}
}

// encodeAnswer writes the cards in format ("json" or "csv"), with the
// KPIs of sel only: the bytes are those of encoding View(snap, window,
// cards) whole (for sel nil).
func encodeAnswer(w *spill, snap *scorecard.Snapshot, window string, cards []scorecard.Card, format string, sel kpiSelection) {
	if format == "csv" {
		writeCSVHeader(w)
		at := snap.At.Format(time.RFC3339)
		for i := range cards {
			writeCSVCard(w, at, window, cardView(snap, &cards[i], sel))
		}
		return
	}
	head, _ := json.Marshal(struct {
		At     time.Time `json:"at"`
		Window string    `json:"window"`
	}{snap.At, window})
	_, _ = w.Write(head[:len(head)-1])
	_, _ = io.WriteString(w, `,"scorecards":[`)
	newCardEncoder(snap, sel).writeCards(w, cards)
	_, _ = io.WriteString(w, "]}\n")
}

// spill buffers an answer in blocks, up to max bytes; past that it sends
// what it holds and streams the rest, a block at a time. Its blocks come
// from pool (nil: allocated) and go back to it.
type spill struct {
	w         http.ResponseWriter
	format    string
	max       int
	pool      *bufferPool
	blocks    []*[]byte // what is not sent yet, in order
	size      int       // bytes written
	streaming bool
}

func (s *spill) Write(p []byte) (int, error) {
	n := len(p)
	if !s.streaming && s.size+n > s.max {
		setContentType(s.w, s.format)
		s.w.WriteHeader(http.StatusOK)
		s.streaming = true
		if err := s.pass(); err != nil {
			return 0, err
		}
	}
	s.size += n
	for len(p) > 0 {
		if s.full() {
			if s.streaming {
				if err := s.pass(); err != nil {
					return 0, err
				}
			}
			s.blocks = append(s.blocks, s.pool.get())
		}
		last := s.blocks[len(s.blocks)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// full says the last block can take no more (or there is none).
func (s *spill) full() bool {
	return len(s.blocks) == 0 || len(*s.blocks[len(s.blocks)-1]) == cap(*s.blocks[len(s.blocks)-1])
}

// send writes the blocks held.
func (s *spill) send() error {
	for _, b := range s.blocks {
		if _, err := s.w.Write(*b); err != nil {
			return err
		}
	}
	return nil
}

// release gives the blocks held back.
func (s *spill) release() {
	for _, b := range s.blocks {
		s.pool.put(b)
	}
	s.blocks = s.blocks[:0]
}

// pass sends the blocks held and gives them back.
func (s *spill) pass() error {
	defer s.release()
	return s.send()
}

// finish sends a buffered answer whole, with its length, or ends the
// stream. With keep, it returns an answer sent whole, in a slice of its
// own size, to be kept (nil for a streamed one): copied once the answer
// is sent, so that the client does not wait for the copy.
func (s *spill) finish(keep bool) []byte {
	defer s.release()
	if s.streaming {
		_ = s.send()
		return nil
	}
	setContentType(s.w, s.format)
	s.w.Header().Set("Content-Length", strconv.Itoa(s.size))
	s.w.WriteHeader(http.StatusOK)
	if s.send() != nil || !keep {
		return nil
	}
	_ = http.NewResponseController(s.w).Flush()
	body := make([]byte, 0, s.size)
	for _, b := range s.blocks {
		body = append(body, *b...)
	}
	return body
}

func setContentType(w http.ResponseWriter, format string) {
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
}

func writeAnswer(w http.ResponseWriter, format string, body []byte) {
	setContentType(w, format)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeCSV writes one row per subject and KPI, in API order.
func writeCSV(w io.Writer, v ScorecardsView) {
	writeCSVHeader(w)
	at := v.At.Format(time.RFC3339)
	for _, c := range v.Scorecards {
		writeCSVCard(w, at, v.Window, c)
	}
}

func writeCSVHeader(w io.Writer) {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"at", "window", "role", "subject", "score", "kpi", "value", "objective", "warning", "status", "previous", "delta"})
	cw.Flush()
}

// writeCSVCard writes a card's rows, one per KPI, in API order.
func writeCSVCard(w io.Writer, at, window string, c CardView) {
	cw := csv.NewWriter(w)
	for _, k := range scorecard.AllKPIs() {
		kv, ok := c.KPIs[k.Name()]
		if !ok {
			continue
		}
		status := ""
		if kv.Status != nil {
			status = *kv.Status
		}
		_ = cw.Write([]string{at, csvsafe.Text(window), string(c.Role), csvsafe.Text(c.Subject), fmtNum(c.Score), k.Name(),
			fmtNum(kv.Value), fmtNum(kv.Objective), fmtNum(kv.Warning), status, fmtNum(kv.Previous), fmtNum(kv.Delta)})
	}
	cw.Flush()
}

func fmtNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64) // never 1e+06: spreadsheets and scripts read plain numbers
}

// systemID is the id of the system an alias names, for a subject of role
// system (or of any role); name itself otherwise.
func (s *Server) systemID(role scorecard.Role, name string) string {
	if name == "" || s.opts.Config == nil || (role != "" && role != scorecard.RoleSystem) {
		return name
	}
	if sys, ok := s.opts.Config().System(name); ok {
		return sys.ID
	}
	return name
}
