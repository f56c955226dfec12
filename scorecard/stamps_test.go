package scorecard

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stamps give back every key exactly, to the microsecond, in 6 bytes while
// the keys span less than 2⁴⁸ µs and in 8 beyond, and setting a key leaves
// its neighbours alone.
func TestStamps(t *testing.T) {
	day := int64(86_400_000_000)
	for _, tt := range []struct {
		name  string
		keys  []int64
		width int
	}{
		{"none", nil, 6},
		{"one", []int64{1_700_000_000_123_457}, 6},
		{"sub-second, two years", []int64{1_700_000_000_000_001, 1_700_000_000_000_002, 1_700_000_000_000_001 + 730*day}, 6},
		{"just under 2^48", []int64{-5, -5 + 1<<48 - 1}, 6},
		{"2^48", []int64{-5, -5 + 1<<48}, 8},
		{"the whole range", []int64{math.MinInt64, -1, 0, math.MaxInt64}, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := stampsOf(tt.keys)
			require.Equal(t, tt.width, s.w)
			require.Equal(t, len(tt.keys), s.n)
			for i, k := range tt.keys {
				assert.Equal(t, k, s.at(i), "key %d", i)
				assert.Equal(t, k, s.atExact(i), "key %d, read exactly", i)
			}
			if s.n > 0 {
				s.set(0, tt.keys[len(tt.keys)-1])
				assert.Equal(t, tt.keys[len(tt.keys)-1], s.at(0))
				rest := s.slice(1, s.n)
				for i, k := range tt.keys[1:] {
					assert.Equal(t, k, rest.at(i), "key %d after setting the first", i+1)
				}
			}
			// packed into the front of a run, the keys leave the key
			// after them as it was, as set does
			after := tt.keys[len(tt.keys)/2:]
			run := newStamps(len(tt.keys)+1, s.stampCode)
			for _, k := range after {
				run.set(len(tt.keys), k)
				front := run.slice(0, len(tt.keys))
				front.pack(tt.keys)
				for i, k := range tt.keys {
					assert.Equal(t, k, run.at(i), "key %d packed", i)
				}
				assert.Equal(t, k, run.atExact(len(tt.keys)), "the key after those packed")
			}
		})
	}
}
