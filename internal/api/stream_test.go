package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStreamedAnswersAreTheWholeEncoding encodes every role's cards one at
// a time, through a buffer small enough to spill, and compares the bytes
// with encoding the whole view at once, in JSON and CSV.
func TestStreamedAnswersAreTheWholeEncoding(t *testing.T) {
	snap, _ := generatedSnapshots(t)
	for _, w := range snap.Windows {
		cards := snap.Find(w.Name, "", "")
		require.NotEmpty(t, cards)
		var whole bytes.Buffer
		require.NoError(t, json.NewEncoder(&whole).Encode(View(snap, w.Name, cards)))
		var csvWhole bytes.Buffer
		writeCSV(&csvWhole, View(snap, w.Name, cards))
		for format, want := range map[string][]byte{"json": whole.Bytes(), "csv": csvWhole.Bytes()} {
			rec := httptest.NewRecorder()
			out := &spill{w: rec, format: format, max: 4096}
			encodeAnswer(out, snap, w.Name, cards, format, nil)
			assert.Nil(t, out.finish(true), "%s spills past 4 KiB", format)
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Empty(t, rec.Header().Get("Content-Length"), "streamed")
			assert.Equal(t, string(want), rec.Body.String(), "%s %s", w.Name, format)

			rec = httptest.NewRecorder()
			out = &spill{w: rec, format: format, max: len(want)}
			encodeAnswer(out, snap, w.Name, cards, format, nil)
			body := out.finish(true)
			assert.Equal(t, string(want), string(body), "fits")
			assert.Equal(t, string(want), rec.Body.String())
		}
	}
}
