package api

import (
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/steward-sh/steward/scorecard"
)

// The JSON of a card is appended by hand: encoding/json's reflection,
// sorting of map keys and boxing of values made the encoding of the
// reference organisation's every-owner answer (5 MiB, 1,000 cards of about
// 45 KPIs) cost more than evaluating it. The bytes are those of
// json.Marshal(cardView(...)) (a test compares them).

// kpisByName lists every KPI in the order of their names: the order
// encoding/json writes a map's keys in.
var kpisByName = func() []scorecard.KPI {
	ks := scorecard.AllKPIs()
	slices.SortFunc(ks, func(a, b scorecard.KPI) int {
		switch an, bn := a.Name(), b.Name(); {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	})
	return ks
}()

// cardEncoder appends cards as JSON, with the KPIs of one selection and
// the objectives of one snapshot: a KPI's name and objectives are the same
// in every card of an answer, so their bytes are made once.
type cardEncoder struct {
	sel  kpiSelection
	kpis []kpiJSON // the KPIs selected, in the order of their names
}

// kpiJSON is what every card's entry of one KPI starts with.
type kpiJSON struct {
	k scorecard.KPI
	// head is `"<name>":{"value":`; objective follows the value:
	// `,"objective":…,"warning":…,"status":` with the card's status to
	// come, or the three nulls of a KPI without objectives (scored false).
	head, objective string
	scored          bool
}

func newCardEncoder(s *scorecard.Snapshot, sel kpiSelection) *cardEncoder {
	e := &cardEncoder{sel: sel}
	for _, k := range kpisByName {
		if !sel.has(k) {
			continue
		}
		kj := kpiJSON{k: k, head: string(appendJSONString(nil, k.Name())) + `:{"value":`,
			objective: `,"objective":null,"warning":null,"status":null`}
		if o, ok := s.Objectives[k.Name()]; ok {
			b := appendJSONNum([]byte(`,"objective":`), o.Objective)
			b = append(b, `,"warning":`...)
			if o.Warning != nil {
				b = appendJSONNum(b, *o.Warning)
			} else {
				b = append(b, "null"...)
			}
			kj.objective, kj.scored = string(append(b, `,"status":`...)), true
		}
		e.kpis = append(e.kpis, kj)
	}
	return e
}

// appendCard appends card c as json.Marshal writes cardView(s, c, sel)
// (or its selectedCardView for a selection).
func (e *cardEncoder) appendCard(b []byte, c *scorecard.Card) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, string(c.Role))
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, c.ID)
	if e.sel == nil {
		b = append(b, `,"score":`...)
		b = appendJSONNum(b, c.Score)
	}
	if c.NotAccountable {
		b = append(b, `,"not_accountable":true`...)
	}
	b = append(b, `,"kpis":{`...)
	var defined uint64
	for _, k := range c.Defined {
		defined |= 1 << k
	}
	first := true
	for i := range e.kpis {
		kj := &e.kpis[i]
		if defined&(1<<kj.k) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, kj.head...)
		b = appendJSONNum(b, c.Value[kj.k])
		b = append(b, kj.objective...)
		if kj.scored {
			b = appendJSONString(b, c.Status[kj.k].String())
		}
		b = append(b, `,"previous":`...)
		b = appendJSONNum(b, c.Previous[kj.k])
		b = append(b, `,"delta":`...)
		b = appendJSONNum(b, c.Delta(kj.k))
		b = append(b, '}')
	}
	return append(b, "}}"...)
}

// appendJSONNum appends v as encoding/json writes a float64, null for no
// value (as num makes it).
func appendJSONNum(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	// Most values are counts: an integer of at most 53 bits is its
	// shortest representation (but for -0).
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 && (v != 0 || !math.Signbit(v)) {
		return strconv.AppendInt(b, int64(v), 10)
	}
	// encoding/json's floatEncoder: ES6 number formatting
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, v, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString appends s quoted as encoding/json does: plain ASCII
// directly, anything it would escape through it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// cardsPerChunk is how many cards one goroutine encodes at a time: the
// reference organisation's owner's every-KPI card is about 5 KiB.
const cardsPerChunk = 64

// writeCards writes the cards, comma-separated, to w. They are encoded on
// every CPU, a chunk of cards each, in rounds whose chunks are written in
// order: the reference organisation's every-owner answer (1,000 cards,
// 5 MiB) takes about as much CPU to encode as to evaluate.
func (e *cardEncoder) writeCards(w *spill, cards []scorecard.Card) {
	bufs := make([]*[]byte, min(runtime.GOMAXPROCS(0), (len(cards)+cardsPerChunk-1)/cardsPerChunk))
	for i := range bufs {
		bufs[i] = w.pool.get()
	}
	round := len(bufs) * cardsPerChunk
	for start := 0; start < len(cards); start += round {
		var wg sync.WaitGroup
		for i := len(bufs) - 1; i >= 0; i-- { // the first chunk on this goroutine
			lo := min(start+i*cardsPerChunk, len(cards))
			hi := min(lo+cardsPerChunk, len(cards))
			encode := func() {
				b := (*bufs[i])[:0]
				for j := lo; j < hi; j++ {
					if j > 0 {
						b = append(b, ',')
					}
					b = e.appendCard(b, &cards[j])
				}
				*bufs[i] = b
			}
			if i == 0 {
				encode()
			} else {
				wg.Go(encode)
			}
		}
		wg.Wait()
		for _, b := range bufs {
			_, _ = w.Write(*b)
		}
	}
	for _, b := range bufs {
		w.pool.put(b)
	}
}

// blockSize is the size of the blocks answers are buffered in.
const blockSize = 256 << 10

// bufferPool reuses the buffers answers are encoded and buffered in, so
// that an answer of many MiB leaves no garbage but its kept copy: the
// daemon serves with a low GOGC, where garbage turns into collections. A
// nil pool allocates.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) get() *[]byte {
	if bp != nil {
		if b, ok := bp.p.Get().(*[]byte); ok {
			*b = (*b)[:0]
			return b
		}
	}
	b := make([]byte, 0, blockSize)
	return &b
}

// put gives b back, unless it grew past a few blocks.
func (bp *bufferPool) put(b *[]byte) {
	if bp != nil && cap(*b) <= 4*blockSize {
		bp.p.Put(b)
	}
}
