package exporter

import (
	"bytes"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// Render writes a snapshot's metrics in the Prometheus text format, or in
// OpenMetrics (ending with # EOF), each family's samples together.
func Render(snap *scorecard.Snapshot, cfg *config.Config, openMetrics bool) []byte {
	return bytes.Join(render(snap, cfg, openMetrics), nil)
}

// renderChunk is the size of the pieces a family's samples are written
// into: large enough for few writes, small enough that the last, partly
// filled piece of each family wastes little, and nothing is copied to grow.
const renderChunk = 64 << 10

// render is Render in pieces, in exposition order.
func render(snap *scorecard.Snapshot, cfg *config.Config, openMetrics bool) [][]byte {
	var out [][]byte
	if snap != nil {
		bodies := make(map[*family]*chunked, len(families))
		var line []byte
		walk(snap, cfg, func(f *family, labels []string, v float64) {
			line = appendSample(line[:0], f, labels, v, nil)
			c := bodies[f.root()] // a summary's parts follow its quantiles, series by series
			if c == nil {
				c = &chunked{}
				bodies[f.root()] = c
			}
			c.write(line)
		})
		head := appendHeader(nil, stamp)
		out = append(out, appendSample(head, stamp, nil, float64(snap.At.UnixMilli())/1000, nil))
		for _, f := range families {
			if c := bodies[f]; c != nil {
				out = append(out, appendHeader(nil, f))
				out = append(out, c.pieces...)
			}
		}
	}
	if openMetrics {
		out = append(out, []byte("# EOF\n"))
	}
	return out
}

// chunked is a growing text kept in renderChunk pieces.
type chunked struct{ pieces [][]byte }

func (c *chunked) write(b []byte) {
	n := len(c.pieces)
	if n == 0 || len(c.pieces[n-1])+len(b) > cap(c.pieces[n-1]) {
		c.pieces = append(c.pieces, make([]byte, 0, max(renderChunk, len(b))))
		n++
	}
	c.pieces[n-1] = append(c.pieces[n-1], b...)
}
