package api

import (
	"sync"

	"github.com/steward-sh/steward/scorecard"
)

// maxAnswerBytes bounds the encoded answers kept for the latest snapshot:
// the reference organisation's every-system answer is 15 MiB, its
// every-owner one 3 MiB.
const maxAnswerBytes = 64 << 20

// answerKey is a query of every subject of a role (or of every role) in one
// window, in one format. One subject's answer is cheap to compute and the
// subjects are many, so those are not kept.
type answerKey struct {
	window string
	role   scorecard.Role
	format string
	kpis   string // the KPIs asked for (kpi=), "" every one
}

// answers keeps the encoded scorecard answers of one snapshot, the latest
// one: a snapshot never changes once computed, so its answer to a query is
// the same bytes every time, and encoding the 1,000 owners' scorecards again
// on every request costs more than the rest of the request. The answers
// of an older snapshot are dropped as soon as a newer one is seen, and the
// bytes kept are bounded (the oldest answers go first).
type answers struct {
	max    int
	mu     sync.Mutex
	snap   *scorecard.Snapshot
	bodies map[answerKey][]byte
	order  []answerKey // insertion order, for eviction
	size   int
}

func newAnswers(max int) *answers { return &answers{max: max} }

// get returns the answer to k kept for snap.
func (a *answers) get(snap *scorecard.Snapshot, k answerKey) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if snap != a.snap {
		return nil, false
	}
	b, ok := a.bodies[k]
	return b, ok
}

// put keeps the answer to k for snap, forgetting those of any other
// snapshot.
func (a *answers) put(snap *scorecard.Snapshot, k answerKey, body []byte) {
	if len(body) > a.max {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(snap)
	if _, ok := a.bodies[k]; ok {
		return // a concurrent request put the same bytes
	}
	for a.size+len(body) > a.max {
		old := a.order[0]
		a.order = a.order[1:]
		a.size -= len(a.bodies[old])
		delete(a.bodies, old)
	}
	a.bodies[k] = body
	a.order = append(a.order, k)
	a.size += len(body)
}

// forget drops the answers unless they are snap's.
func (a *answers) forget(snap *scorecard.Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(snap)
}

func (a *answers) reset(snap *scorecard.Snapshot) {
	if snap != a.snap || a.bodies == nil {
		a.snap, a.bodies, a.order, a.size = snap, map[answerKey][]byte{}, nil, 0
	}
}

// maxPastBytes bounds the encoded past-time answers kept: the reference
// organisation's every-owner answer is 5 MiB, with kpi= a tenth of that.
const maxPastBytes = 32 << 20

// pastKey is a past-time query: the evaluation time (Unix nanoseconds),
// the window, role and subject as asked, the KPIs asked for, the format.
type pastKey struct {
	at      int64
	window  string
	role    scorecard.Role
	subject string
	kpis    string
	format  string
}

// pastAnswers keeps encoded answers of past evaluation times (at=), which
// periodic reviews, trend lines and dashboards ask for again and again:
// such an answer only changes with a write (records, samples, feedback) or
// a config reload, which change the engine's generation. Every answer is
// dropped when the generation changes; the bytes kept are bounded (the
// oldest answers go first).
type pastAnswers struct {
	max    int
	mu     sync.Mutex
	gen    uint64
	bodies map[pastKey][]byte
	order  []pastKey // insertion order, for eviction
	size   int
}

func newPastAnswers(max int) *pastAnswers { return &pastAnswers{max: max} }

// get returns the answer to k kept at generation gen.
func (a *pastAnswers) get(gen uint64, k pastKey) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen {
		return nil, false
	}
	b, ok := a.bodies[k]
	return b, ok
}

// put keeps the answer to k, computed at generation gen (or later),
// forgetting those of any other generation. An answer computed from a
// state later than gen is kept under gen: the generation has moved on by
// then, so the next get drops it.
func (a *pastAnswers) put(gen uint64, k pastKey, body []byte) {
	if len(body) > a.max/4 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen || a.bodies == nil {
		if gen < a.gen {
			return // a newer generation's answers are kept already
		}
		a.gen, a.bodies, a.order, a.size = gen, map[pastKey][]byte{}, nil, 0
	}
	if _, ok := a.bodies[k]; ok {
		return
	}
	for a.size+len(body) > a.max {
		old := a.order[0]
		a.order = a.order[1:]
		a.size -= len(a.bodies[old])
		delete(a.bodies, old)
	}
	a.bodies[k] = body
	a.order = append(a.order, k)
	a.size += len(body)
}
