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
