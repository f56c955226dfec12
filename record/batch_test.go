package record

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// zeros is an endless JSON array of zeros: "[0,0,0,…".
type zeros struct{ started bool }

func (z *zeros) Read(p []byte) (int, error) {
	i := 0
	if !z.started && len(p) > 0 {
		p[0], i, z.started = '[', 1, true
	}
	for ; i+1 < len(p); i += 2 {
		p[i], p[i+1] = '0', ','
	}
	return i, nil
}

// A body with more records than the limit is refused after reading about
// as far as the limit, whatever follows: a 32 MiB array of zeros no longer
// costs gigabytes before its 413.
func TestBatchDecoderStopsAtTheLimit(t *testing.T) {
	const limit = 1000
	for _, ndjson := range []bool{false, true} {
		var body io.Reader = &zeros{}
		if ndjson {
			body = strings.NewReader(strings.Repeat("{}\n", 10_000_000))
		}
		cr := &countingReader{r: body}
		_, err := BatchDecoder{Kind: KindIncident, NDJSON: ndjson, MaxRecords: limit}.Decode(cr, time.Now())
		var tooMany *TooManyRecordsError
		require.ErrorAs(t, err, &tooMany)
		assert.Equal(t, limit, tooMany.Limit)
		assert.Less(t, cr.n, 80<<10, "bytes read before refusing (ndjson %v)", ndjson)
	}

	big := bytes.Repeat([]byte("0,"), 16<<20)
	big[0] = '['
	allocs := testing.AllocsPerRun(3, func() {
		_, err := BatchDecoder{Kind: KindIncident, MaxRecords: limit}.Decode(bytes.NewReader(big), time.Now())
		require.Error(t, err)
	})
	// each refused record costs a few dozen allocations; the 16 million
	// others cost none
	assert.Less(t, allocs, float64(100*limit))
}

func TestBatchDecoderRejections(t *testing.T) {
	body := `[{"id":"a","system":"s","severity":1,"opened_at":"2026-01-01T00:00:00Z"},
		{"id":"b","system":"s","severity":"2","opened_at":"2026-01-01T00:00:00Z","closed_at":"2025-01-01T00:00:00Z"},
		7,
		{"id":"a","system":"t","severity":2,"opened_at":"2026-01-01T00:00:00Z"}]`
	b, err := BatchDecoder{Kind: KindIncident, DefaultSource: "api", MaxRecords: 4}.Decode(strings.NewReader(body), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, 2, b.Accepted())
	batch := b.Batch()
	require.Len(t, batch.Incidents, 1, "a later record with the same key replaces the earlier")
	assert.Equal(t, "t", batch.Incidents[0].System)
	rj := b.Rejections()
	require.Len(t, rj, 2)
	assert.Equal(t, Rejection{Kind: KindIncident, Index: 1, ID: "b", Problems: []FieldError{
		{Field: "severity", Msg: `must be an integer from 1 to 5, got JSON "2"`},
		{Field: "closed_at", Msg: "2025-01-01T00:00:00Z is before opened_at 2026-01-01T00:00:00Z"},
	}}, rj[0])
	assert.Equal(t, []string{"severity", "closed_at"}, rj[0].Fields())
	assert.Equal(t, Rejection{Kind: KindIncident, Index: 2, Problems: []FieldError{{Msg: "not a JSON object: got JSON number"}}}, rj[1])
	require.Len(t, batch.Rejected, 2)
	assert.Equal(t, rj[0].Error(), batch.Rejected[0].Error)
	assert.Equal(t, "7", batch.Rejected[1].Raw)
	assert.Equal(t, `incident 1 (id "b"): field "severity": must be an integer from 1 to 5, got JSON "2"; field "closed_at": 2025-01-01T00:00:00Z is before opened_at 2026-01-01T00:00:00Z`, rj[0].Error())

	_, err = BatchDecoder{Kind: KindIncident, MaxRecords: 3}.Decode(strings.NewReader(body), time.Now())
	var tooMany *TooManyRecordsError
	require.ErrorAs(t, err, &tooMany)
}

// A reader's own error (a body past its byte limit) is what Decode returns.
func TestBatchDecoderReaderError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`[{"id":"1"},`), iotestErr{})
	_, err := BatchDecoder{Kind: KindIncident}.Decode(r, time.Now())
	require.ErrorIs(t, err, errBoom)
}

var errBoom = io.ErrClosedPipe

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBoom }

// BenchmarkBatchDecoder decodes a 1,000-incident NDJSON body, as the ingest
// API does.
func BenchmarkBatchDecoder(b *testing.B) {
	var body bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&body, `{"id":"INC%06d","source":"api","system":"payments-api","title":"Checkout fails","severity":2,"impact":"outage","category":"availability","opened_at":"2026-01-01T00:00:00Z","acknowledged_at":"2026-01-01T00:05:00Z","resolved_at":"2026-01-01T01:00:00Z","team":"payments","labels":{"region":"eu-west-1"}}`+"\n", i)
	}
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		d, err := BatchDecoder{Kind: KindIncident, NDJSON: true, MaxRecords: 10000}.Decode(bytes.NewReader(body.Bytes()), time.Now())
		if err != nil || d.Accepted() != 1000 {
			b.Fatal(err)
		}
	}
}
