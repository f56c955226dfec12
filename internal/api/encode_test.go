package api

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/scorecard"
)

// A card appended by hand is the bytes encoding/json makes of its view,
// with every KPI and with a selection.
func TestCardJSONIsEncodingJSON(t *testing.T) {
	snap, _ := generatedSnapshots(t)
	sel := kpiSelection{scorecard.ChangesCompleted, scorecard.ChangeSuccessRatio, scorecard.MTTR, scorecard.AvailabilityRatio}
	compared := 0
	for _, w := range snap.Windows {
		cards := snap.Find(w.Name, "", "")
		require.NotEmpty(t, cards)
		for i := range cards {
			c := &cards[i]
			want, err := json.Marshal(cardView(snap, c, nil))
			require.NoError(t, err)
			require.Equal(t, string(want), string(newCardEncoder(snap, nil).appendCard(nil, c)))
			cv := cardView(snap, c, sel)
			want, err = json.Marshal(selectedCardView{Role: cv.Role, Subject: cv.Subject, NotAccountable: cv.NotAccountable, KPIs: cv.KPIs})
			require.NoError(t, err)
			require.Equal(t, string(want), string(newCardEncoder(snap, sel).appendCard(nil, c)))
			compared++
		}
	}
	assert.Greater(t, compared, 100)
}

func TestJSONNumbersAndStrings(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 123456789.125, 1e20, 1e21, 3e22, -2.5e-12,
		1.0 / 3, 2592000, -86400, 0.1 + 0.2, 1<<53 - 1, -(1<<53 - 1), 1 << 53, 1<<53 + 2, 1 << 60, 1e15 + 0.5, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-100} {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONNum(nil, v)), "%g", v)
	}
	assert.Equal(t, "null", string(appendJSONNum(nil, math.NaN())))
	assert.Equal(t, "null", string(appendJSONNum(nil, math.Inf(1))))
	for _, s := range []string{"", "alice", "team <a&b>", `quote " and \ back`, "tab\there", "café", "\u2028", "bad \xff utf-8", "~!@#$%^*()_+{}|:?"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), "%q", s)
	}
}

// An answer of more cards than one round of chunks encodes is the bytes of
// the whole view, buffered and streamed.
func TestCardsInChunksAreTheWholeEncoding(t *testing.T) {
	snap, _ := generatedSnapshots(t)
	w := snap.Windows[0].Name
	cards := slices.Repeat(snap.Cards[w], 3*runtime.GOMAXPROCS(0)*cardsPerChunk/len(snap.Cards[w])+1)
	want, err := json.Marshal(View(snap, w, cards))
	require.NoError(t, err)
	want = append(want, '\n')
	for _, max := range []int{len(want), blockSize / 3} {
		rec := httptest.NewRecorder()
		out := &spill{w: rec, format: "json", max: max, pool: &bufferPool{}}
		encodeAnswer(out, snap, w, cards, "json", nil)
		body := out.finish(true)
		if max == len(want) {
			assert.Equal(t, string(want), string(body))
		} else {
			assert.Nil(t, body, "streamed")
		}
		assert.Equal(t, string(want), rec.Body.String(), "buffered up to %d bytes", max)
	}
}
