package api

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/steward-sh/steward/config"
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

// objectivesOf looks an answer's objectives up once, by KPI.
func objectivesOf(s *scorecard.Snapshot) []*config.Objective {
	out := make([]*config.Objective, len(scorecard.AllKPIs()))
	for _, k := range scorecard.AllKPIs() {
		if o, ok := s.Objectives[k.Name()]; ok {
			out[k] = &o
		}
	}
	return out
}

// appendCardJSON appends card c with the KPIs of sel (nil: every one, and
// the score), as json.Marshal writes cardView(s, c, sel) (or its
// selectedCardView).
func appendCardJSON(b []byte, c *scorecard.Card, objectives []*config.Objective, sel kpiSelection) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, string(c.Role))
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, c.ID)
	if sel == nil {
		b = append(b, `,"score":`...)
		b = appendJSONNum(b, c.Score)
	}
	if c.NotAccountable {
		b = append(b, `,"not_accountable":true`...)
	}
	b = append(b, `,"kpis":{`...)
	var defined [64]bool
	for _, k := range c.Defined {
		defined[k] = true
	}
	first := true
	for _, k := range kpisByName {
		if !defined[k] || !sel.has(k) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k.Name())
		b = append(b, `:{"value":`...)
		b = appendJSONNum(b, c.Value[k])
		b = append(b, `,"objective":`...)
		o := objectives[k]
		if o == nil {
			b = append(b, `null,"warning":null,"status":null`...)
		} else {
			b = appendJSONNum(b, o.Objective)
			b = append(b, `,"warning":`...)
			if o.Warning != nil {
				b = appendJSONNum(b, *o.Warning)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `,"status":`...)
			b = appendJSONString(b, c.Status[k].String())
		}
		b = append(b, `,"previous":`...)
		b = appendJSONNum(b, c.Previous[k])
		b = append(b, `,"delta":`...)
		b = appendJSONNum(b, c.Delta(k))
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
