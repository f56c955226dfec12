package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

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
	Role    scorecard.Role     `json:"role"`
	Subject string             `json:"subject"`
	Score   *float64           `json:"score"`
	KPIs    map[string]KPIView `json:"kpis"`
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

// View shapes a snapshot's cards for the API.
func View(s *scorecard.Snapshot, window string, cards []scorecard.Card) ScorecardsView {
	out := ScorecardsView{At: s.At, Window: window, Scorecards: make([]CardView, 0, len(cards))}
	for i := range cards {
		c := &cards[i]
		cv := CardView{Role: c.Role, Subject: c.ID, Score: num(c.Score), KPIs: make(map[string]KPIView, len(c.Defined))}
		for _, k := range c.Defined {
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
		out.Scorecards = append(out.Scorecards, cv)
	}
	return out
}

func (s *Server) scorecards(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var role scorecard.Role
	if v := q.Get("role"); v != "" {
		var err error
		if role, err = scorecard.ParseRole(v); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	var snap *scorecard.Snapshot
	var err error
	var t time.Time
	at, subject := q.Get("at"), q.Get("subject")
	if at != "" {
		var perr error
		if t, perr = time.Parse(time.RFC3339Nano, at); perr != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("at: not an RFC 3339 time: %q", at))
			return
		}
	}
	switch {
	case subject != "" || (role != "" && at != ""):
		// only what is asked for is evaluated
		snap, err = s.opts.Scorecards.Evaluate(r.Context(), scorecard.Query{At: t, Window: q.Get("window"), Role: role, Subject: subject})
	case at != "":
		snap, err = s.opts.Scorecards.At(r.Context(), t)
	default:
		snap, err = s.opts.Scorecards.Current(r.Context())
	}
	if err != nil {
		s.opts.Logger.Error("scorecards", "err", err)
		writeError(w, http.StatusServiceUnavailable, "scorecards unavailable: "+err.Error())
		return
	}
	window, ok := pickWindow(snap, q.Get("window"))
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown window %q (configured: %s)", q.Get("window"), windowNames(snap)))
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	// Only the latest snapshot's answers are kept: a past one (at) is
	// computed for the request and gone after it.
	key, keep := answerKey{window: window, role: role, format: format}, at == "" && subject == ""
	if keep {
		if body, ok := s.answers.get(snap, key); ok {
			writeAnswer(w, format, body)
			return
		}
	}
	cards := snap.Find(window, role, subject)
	if subject != "" && len(cards) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no subject %q with role %q", subject, role))
		return
	}
	body, ok := encodeAnswer(View(snap, window, cards), format)
	if !ok {
		writeError(w, http.StatusBadRequest, "format must be json or csv")
		return
	}
	if keep {
		// Kept in a slice of its own size: the encoder's buffer may be
		// up to twice as large.
		s.answers.put(snap, key, bytes.Clone(body))
	}
	writeAnswer(w, format, body)
}

// SnapshotComputed drops the scorecard answers kept for an earlier
// snapshot, so they do not outlive it; call it when the engine publishes
// one.
func (s *Server) SnapshotComputed(snap *scorecard.Snapshot) {
	if s != nil {
		s.answers.forget(snap)
	}
}

// encodeAnswer encodes a view in format ("json" or "csv"); ok is false for
// any other format.
func encodeAnswer(v ScorecardsView, format string) (body []byte, ok bool) {
	var b bytes.Buffer
	switch format {
	case "json":
		_ = json.NewEncoder(&b).Encode(v)
	case "csv":
		writeCSV(&b, v)
	default:
		return nil, false
	}
	return b.Bytes(), true
}

func writeAnswer(w http.ResponseWriter, format string, body []byte) {
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// pickWindow defaults to 30d when configured, else the first window.
func pickWindow(s *scorecard.Snapshot, want string) (string, bool) {
	if want == "" {
		for _, w := range s.Windows {
			if w.Name == "30d" {
				return w.Name, true
			}
		}
		if len(s.Windows) > 0 {
			return s.Windows[0].Name, true
		}
		return "", false
	}
	for _, w := range s.Windows {
		if w.Name == want {
			return want, true
		}
	}
	return "", false
}

func windowNames(s *scorecard.Snapshot) string {
	out := ""
	for i, w := range s.Windows {
		if i > 0 {
			out += ", "
		}
		out += w.Name
	}
	return out
}

// writeCSV writes one row per subject and KPI, in API order.
func writeCSV(w io.Writer, v ScorecardsView) {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"at", "window", "role", "subject", "score", "kpi", "value", "objective", "warning", "status", "previous", "delta"})
	at := v.At.Format(time.RFC3339)
	for _, c := range v.Scorecards {
		for _, k := range scorecard.AllKPIs() {
			kv, ok := c.KPIs[k.Name()]
			if !ok {
				continue
			}
			status := ""
			if kv.Status != nil {
				status = *kv.Status
			}
			_ = cw.Write([]string{at, v.Window, string(c.Role), c.Subject, fmtNum(c.Score), k.Name(),
				fmtNum(kv.Value), fmtNum(kv.Objective), fmtNum(kv.Warning), status, fmtNum(kv.Previous), fmtNum(kv.Delta)})
		}
	}
	cw.Flush()
}

func fmtNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}
