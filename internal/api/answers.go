package api

import (
	"sync"

	"github.com/steward-sh/steward/scorecard"
)

// maxAnswerBytes bounds the encoded answers kept for the latest snapshot,
// none over a quarter of it (maxStreamedBuffer): the reference
// organisation's every-owner answer is 5 MiB; its every-system one, 23 MiB,
// streams and is not kept.
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
	mu     sync.Mutex
	snap   *scorecard.Snapshot
	bodies fifo[answerKey]
}

func newAnswers(max int) *answers { return &answers{bodies: fifo[answerKey]{max: max}} }

// get returns the answer to k kept for snap.
func (a *answers) get(snap *scorecard.Snapshot, k answerKey) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if snap != a.snap {
		return nil, false
	}
	return a.bodies.get(k)
}

// put keeps the answer to k for snap, forgetting those of any other
// snapshot.
func (a *answers) put(snap *scorecard.Snapshot, k answerKey, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(snap)
	a.bodies.add(k, body)
}

// forget drops the answers unless they are snap's.
func (a *answers) forget(snap *scorecard.Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset(snap)
}

func (a *answers) reset(snap *scorecard.Snapshot) {
	if snap != a.snap {
		a.snap = snap
		a.bodies.clear()
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
	mu     sync.Mutex
	gen    uint64
	bodies fifo[pastKey]
}

func newPastAnswers(max int) *pastAnswers { return &pastAnswers{bodies: fifo[pastKey]{max: max}} }

// get returns the answer to k kept at generation gen.
func (a *pastAnswers) get(gen uint64, k pastKey) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen {
		return nil, false
	}
	return a.bodies.get(k)
}

// put keeps the answer to k, computed at generation gen (or later),
// forgetting those of any other generation. An answer computed from a
// state later than gen is kept under gen: the generation has moved on by
// then, so the next get drops it.
func (a *pastAnswers) put(gen uint64, k pastKey, body []byte) {
	if len(body) > a.bodies.max/4 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case gen < a.gen:
		return // a newer generation's answers are kept already
	case gen > a.gen:
		a.gen = gen
		a.bodies.clear()
	}
	a.bodies.add(k, body)
}

// fifo holds encoded answers by key, at most max bytes of them: the
// oldest go first. Its callers lock it.
type fifo[K comparable] struct {
	max    int
	bodies map[K][]byte
	order  []K // insertion order, for eviction
	size   int
}

func (f *fifo[K]) get(k K) ([]byte, bool) {
	b, ok := f.bodies[k]
	return b, ok
}

// add keeps body under k unless it is larger than max or k is kept
// already (a concurrent request put the same bytes).
func (f *fifo[K]) add(k K, body []byte) {
	if len(body) > f.max {
		return
	}
	if f.bodies == nil {
		f.bodies = map[K][]byte{}
	}
	if _, ok := f.bodies[k]; ok {
		return
	}
	for f.size+len(body) > f.max {
		old := f.order[0]
		f.order = f.order[1:]
		f.size -= len(f.bodies[old])
		delete(f.bodies, old)
	}
	f.bodies[k] = body
	f.order = append(f.order, k)
	f.size += len(body)
}

func (f *fifo[K]) clear() { f.bodies, f.order, f.size = nil, nil, 0 }
