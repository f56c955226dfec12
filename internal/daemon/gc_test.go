package daemon

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// pacer is a gcPace on a fake clock whose GOGC settings, frees and
// timers are recorded; its timers never fire by themselves.
type pacer struct {
	*gcPace
	clock   time.Time
	percent int
	sets    []int
	frees   int
	timers  []time.Duration
}

func newPacer(serving int) *pacer {
	p := &pacer{clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), percent: 100}
	p.gcPace = &gcPace{serving: serving,
		setPercent: func(v int) int { old := p.percent; p.percent = v; p.sets = append(p.sets, v); return old },
		free:       func() { p.frees++ },
		now:        func() time.Time { return p.clock },
		afterFunc: func(d time.Duration, _ func()) *time.Timer {
			p.timers = append(p.timers, d)
			return time.NewTimer(time.Hour)
		},
	}
	p.start()
	return p
}

func (p *pacer) after(d time.Duration) { p.clock = p.clock.Add(d) }

func TestGCPace(t *testing.T) {
	tests := []struct {
		name    string
		serving int
		run     func(p *pacer)
		percent int   // GOGC at the end
		sets    []int // every GOGC set, in order
		frees   int
	}{
		{"the load at start runs at the bulk pace, then serves at the serving one and frees the build's scratch", 25,
			func(p *pacer) { p.built() }, 25, []int{100, 25}, 1},
		{"a GOGC from the environment is left alone; the build's scratch is still freed", 0,
			func(p *pacer) { p.built(); p.ingested(50000) }, 100, nil, 1},
		{"a trickle of deliveries keeps the serving pace", 25,
			func(p *pacer) {
				p.built()
				for range 1000 {
					p.after(time.Second)
					p.ingested(100) // 100 records/s
				}
			}, 25, []int{100, 25}, 1},
		{"a bulk load through the API runs at the bulk pace until it has been quiet a while", 25,
			func(p *pacer) {
				p.built()
				for range 20 {
					p.after(time.Second)
					p.ingested(5000)
				}
				p.after(bulkQuiet / 2)
				p.calm() // too early: waits for the rest
				assert.Equal(t, 100, p.percent)
				p.after(bulkQuiet / 2)
				p.calm()
			}, 25, []int{100, 25, 100, 25}, 2},
		{"a build during a bulk load leaves the pace to the end of the load", 25,
			func(p *pacer) {
				p.built()
				p.ingested(20000)
				p.built()
				assert.Equal(t, 100, p.percent)
				p.after(bulkQuiet)
				p.calm()
			}, 25, []int{100, 25, 100, 25}, 2},
		{"a bulk load during the load at start", 25,
			func(p *pacer) {
				p.ingested(20000)
				p.built()
				p.after(bulkQuiet)
				p.calm()
			}, 25, []int{100, 25}, 1},
		{"a bulk load that ends before the load at start keeps the bulk pace until the load ends", 25,
			func(p *pacer) {
				p.ingested(20000)
				p.after(bulkQuiet)
				p.calm()
				assert.Equal(t, 100, p.percent)
				p.built()
			}, 25, []int{100, 25}, 1},
		{"stop gives back the GOGC from before", 25,
			func(p *pacer) { p.built(); p.stop(); p.built() }, 100, []int{100, 25, 100}, 2},
		{"stop during the load: a late snapshot leaves GOGC alone", 25,
			func(p *pacer) { p.ingested(20000); p.stop(); p.built(); p.calm() }, 100, []int{100, 100}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.serving)
			tt.run(p)
			assert.Equal(t, tt.percent, p.percent)
			assert.Equal(t, tt.sets, p.sets)
			assert.Equal(t, tt.frees, p.frees)
		})
	}
}
