package scorecard

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveQuantile is the percentile definition written plainly: sort, then
// interpolate between closest ranks.
func naiveQuantile(vals []int64, q float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	xs := slices.Sorted(slices.Values(vals))
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(xs) {
		return seconds(xs[lo])
	}
	a, b := seconds(xs[lo]), seconds(xs[lo+1])
	return a + (pos-float64(lo))*(b-a)
}

// naiveRemove removes one occurrence of v, if any.
func naiveRemove(vals []int64, v int64) []int64 {
	if i := slices.Index(vals, v); i >= 0 {
		return slices.Delete(vals, i, i+1)
	}
	return vals
}

// checkDist asserts the chunk invariants and that d holds exactly want.
func checkDist(t *testing.T, d *dist, want []int64) {
	t.Helper()
	d.place()
	require.Empty(t, d.pending)
	if d.chunks == nil {
		require.LessOrEqual(t, len(d.vals), maxChunk, "one slice")
		require.True(t, slices.IsSorted(d.vals))
		require.Nil(t, d.tops)
		require.Equal(t, len(d.vals), d.n)
		require.Equal(t, append([]int64{}, slices.Sorted(slices.Values(want))...), append([]int64{}, d.vals...))
		return
	}
	require.Empty(t, d.vals, "chunks hold the values")
	require.GreaterOrEqual(t, len(d.chunks), 2)
	require.Len(t, d.tops, len(d.chunks))
	var all []int64
	for i, c := range d.chunks {
		require.NotEmpty(t, c, "chunk %d", i)
		require.LessOrEqual(t, len(c), maxChunk, "chunk %d", i)
		require.True(t, slices.IsSorted(c), "chunk %d", i)
		require.Equal(t, c[len(c)-1], d.tops[i], "top of chunk %d", i)
		if i > 0 {
			prev := d.chunks[i-1]
			require.LessOrEqual(t, prev[len(prev)-1], c[0], "chunks %d and %d out of order", i-1, i)
		}
		all = append(all, c...)
	}
	// a chunk's spare capacity must not hold another chunk's values
	for i, c := range d.chunks {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(c))) + uintptr(len(c))*8
		hi := uintptr(unsafe.Pointer(unsafe.SliceData(c))) + uintptr(cap(c))*8
		for j, o := range d.chunks {
			olo := uintptr(unsafe.Pointer(unsafe.SliceData(o)))
			ohi := olo + uintptr(len(o))*8
			require.False(t, i != j && olo < hi && lo < ohi, "chunk %d's spare capacity overlaps chunk %d", i, j)
		}
	}
	require.Equal(t, len(all), d.n)
	require.Equal(t, append([]int64{}, slices.Sorted(slices.Values(want))...), append([]int64{}, all...))
}

func TestDistQuantiles(t *testing.T) {
	tests := []struct {
		name    string
		add     []int64
		remove  []int64
		p50     float64
		p90     float64
		content []int64
	}{
		{name: "no values", p50: math.NaN(), p90: math.NaN()},
		{name: "one value", add: []int64{7e6}, p50: 7, p90: 7, content: []int64{7e6}},
		{name: "two values", add: []int64{20e6, 10e6}, p50: 15, p90: 19, content: []int64{10e6, 20e6}},
		{name: "three values", add: []int64{3e6, 1e6, 2e6}, p50: 2, p90: 2.8, content: []int64{1e6, 2e6, 3e6}},
		{name: "four values", add: []int64{4e6, 1e6, 3e6, 2e6}, p50: 2.5, p90: 3.7, content: []int64{1e6, 2e6, 3e6, 4e6}},
		{name: "duplicates", add: []int64{5e6, 5e6, 5e6, 1e6}, p50: 5, p90: 5, content: []int64{1e6, 5e6, 5e6, 5e6}},
		{name: "removing an absent value changes nothing", add: []int64{1e6, 2e6}, remove: []int64{3e6, 0, -1},
			p50: 1.5, p90: 1.9, content: []int64{1e6, 2e6}},
		{name: "removing from an empty one changes nothing", remove: []int64{1e6}, p50: math.NaN(), p90: math.NaN()},
		{name: "removing a repeated value takes one occurrence each time", add: []int64{5e6, 5e6, 5e6, 1e6},
			remove: []int64{5e6, 5e6}, p50: 3, p90: 4.6, content: []int64{1e6, 5e6}},
		{name: "removing more occurrences than there are", add: []int64{5e6, 1e6}, remove: []int64{5e6, 5e6},
			p50: 1, p90: 1, content: []int64{1e6}},
		{name: "removing everything", add: []int64{2e6, 1e6}, remove: []int64{1e6, 2e6}, p50: math.NaN(), p90: math.NaN()},
		{name: "negative durations sort first", add: []int64{-2e6, 4e6, 0}, p50: 0, p90: 3.2, content: []int64{-2e6, 0, 4e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d dist
			for _, v := range tt.add {
				d.change(v, 1)
			}
			for _, v := range tt.remove {
				d.change(v, -1)
			}
			for q, want := range map[float64]float64{0.5: tt.p50, 0.9: tt.p90} {
				got := d.quantile(q)
				if math.IsNaN(want) {
					assert.True(t, math.IsNaN(got), "p%v = %v", q*100, got)
				} else {
					assert.InDelta(t, want, got, 1e-9, "p%v", q*100)
				}
			}
			checkDist(t, &d, tt.content)
		})
	}
}

// TestDistRandom checks the chunked distribution against a plain sorted one
// over random additions and removals, in batches like an incremental
// recompute's, at sizes that make chunks split and join; the quantiles
// must match bit for bit.
func TestDistRandom(t *testing.T) {
	tests := []struct {
		name        string
		build       int
		remove, add int   // most values removed and added per round
		spread      int64 // values are drawn from [0, spread): small spreads repeat values
		hot         int64 // if set, values added after the build are the top hot of the spread
		rounds      int
	}{
		{name: "tiny, many duplicates", build: 3, remove: 4, add: 4, spread: 3, rounds: 200},
		{name: "one chunk", build: 200, remove: 50, add: 50, spread: 1000, rounds: 100},
		{name: "a few chunks", build: 3000, remove: 300, add: 300, spread: 1e9, rounds: 60},
		{name: "many chunks, duplicates across chunk edges", build: 20000, remove: 2000, add: 2000, spread: 50, rounds: 30},
		{name: "many chunks, batches larger than chunks", build: 20000, remove: 5000, add: 5000, spread: 1e12, rounds: 20},
		{name: "grows from nothing", remove: 1500, add: 1500, spread: 1e6, rounds: 30},
		{name: "shrinks to nothing", build: 10000, remove: 1000, spread: 1e9, rounds: 30},
		// chunks holding high values grow while the others shrink and join them
		{name: "drifts", build: 10000, remove: 600, add: 600, spread: 1e9, hot: 1e8, rounds: 60},
		{name: "large batches in one chunk", build: 3000, remove: 100, add: 5000, spread: 1e9, hot: 1e3, rounds: 5},
	}
	qs := []float64{0, 0.1, 0.5, 0.9, 0.99, 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.build)))
			var d dist
			var ref []int64
			draw := func() int64 { return rng.Int64N(tt.spread) }
			for range tt.build {
				v := draw()
				d.add(v)
				ref = append(ref, v)
			}
			for round := range tt.rounds {
				// remove present values (and now and then an absent one),
				// then add, then read
				for range rng.IntN(tt.remove + 1) {
					var v int64
					if len(ref) > 0 && rng.IntN(10) > 0 {
						v = ref[rng.IntN(len(ref))]
					} else {
						v = tt.spread + rng.Int64N(10) // never added
						if rng.IntN(2) == 0 {
							v = draw() // most likely not there
						}
					}
					d.remove(v)
					ref = naiveRemove(ref, v)
				}
				for range rng.IntN(tt.add + 1) {
					v := draw()
					if tt.hot > 0 {
						v = tt.spread - 1 - rng.Int64N(tt.hot)
					}
					d.add(v)
					ref = append(ref, v)
				}
				for _, q := range qs {
					want, got := naiveQuantile(ref, q), d.quantile(q)
					if math.IsNaN(want) {
						require.True(t, math.IsNaN(got), "round %d p%v", round, q*100)
					} else {
						require.Equal(t, math.Float64bits(want), math.Float64bits(got), "round %d p%v: %v, want %v", round, q*100, got, want)
					}
				}
				if round%5 == 0 {
					checkDist(t, &d, ref)
				}
			}
			checkDist(t, &d, ref)
		})
	}
}

func TestDistJoinCutsAgain(t *testing.T) {
	var d dist
	var ref []int64
	for v := range int64(4 * chunkSize) {
		d.add(v)
		ref = append(ref, v)
	}
	d.place()
	require.Equal(t, []int{chunkSize, chunkSize, maxChunk}, chunkLens(&d))
	// the middle chunk shrinks below minChunk and joins the full last one
	for v := int64(chunkSize); v <= chunkSize*2-minChunk; v++ {
		d.remove(v)
		ref = naiveRemove(ref, v)
	}
	n := (minChunk - 1 + maxChunk)
	assert.Equal(t, []int{chunkSize, n / 2, n - n/2}, chunkLens(&d), "joined and cut again")
	for _, q := range []float64{0, 0.3, 0.5, 0.9, 1} {
		assert.Equal(t, naiveQuantile(ref, q), d.quantile(q), "p%v", q*100)
	}
	checkDist(t, &d, ref)
}

func chunkLens(d *dist) []int {
	var lens []int
	for _, c := range d.chunks {
		lens = append(lens, len(c))
	}
	return lens
}
