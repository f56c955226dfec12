package generate

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// Streams keep the config and the records independent: changing a record
// count does not reshuffle the people or the systems.
const (
	streamConfig  = 0x636f6e666967
	streamChanges = 0x6368616e6765
	streamIncid   = 0x696e63696465
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// logNormal draws a duration in microseconds with the given median and
// spread (sigma of the underlying normal), at least one microsecond.
func logNormal(r *rand.Rand, median time.Duration, sigma float64) int64 {
	us := float64(median.Microseconds()) * math.Exp(sigma*r.NormFloat64())
	return max(int64(us), 1)
}

// weighted picks indexes with probabilities proportional to weights.
type weighted []float64 // cumulative, ends at 1

func newWeighted(w []float64) weighted {
	cum := make(weighted, len(w))
	var sum float64
	for i, x := range w {
		sum += x
		cum[i] = sum
	}
	for i := range cum {
		cum[i] /= sum
	}
	return cum
}

func (c weighted) pick(r *rand.Rand) int {
	i := sort.SearchFloat64s(c, r.Float64())
	return min(i, len(c)-1)
}

// spread draws n lognormal weights: a few busy items and a long quiet tail,
// as real systems have.
func spread(r *rand.Rand, n int, sigma float64) weighted {
	w := make([]float64, n)
	for i := range w {
		w[i] = math.Exp(sigma * r.NormFloat64())
	}
	return newWeighted(w)
}

const (
	usPerHour = int64(time.Hour / time.Microsecond)
	usPerDay  = 24 * usPerHour
)

// workHours reports whether a Unix microsecond instant falls on a weekday
// between 08:00 and 18:00 UTC.
func workHours(us int64) bool {
	day := floorDiv(us, usPerDay)
	weekday := (day + 4) % 7 // 1970-01-01 was a Thursday; Sunday is 0
	hour := (us - day*usPerDay) / usPerHour
	return weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// instant draws a time in [from, to), keeping off-hours draws with
// probability offHours so that work is denser in working hours.
func instant(r *rand.Rand, from, to int64, offHours float64) int64 {
	for {
		t := from + r.Int64N(to-from)
		if offHours >= 1 || workHours(t) || chance(r, offHours) {
			return t
		}
	}
}

// ids returns prefix0000001, prefix0000002, ... sharing one backing string,
// so a million ids cost one allocation.
func ids(prefix string, n int) []string {
	width := max(7, len(strconv.Itoa(n)))
	size := len(prefix) + width
	buf := make([]byte, 0, n*size)
	for i := 1; i <= n; i++ {
		buf = append(buf, prefix...)
		d := strconv.Itoa(i)
		for range width - len(d) {
			buf = append(buf, '0')
		}
		buf = append(buf, d...)
	}
	all := string(buf)
	out := make([]string, n)
	for i := range out {
		out[i] = all[i*size : (i+1)*size]
	}
	return out
}

// timeSlab hands out *time.Time from shared chunks: records hold optional
// times by pointer, and one allocation per time would dominate at scale.
type timeSlab struct{ buf []time.Time }

func (s *timeSlab) at(us int64) *time.Time {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]time.Time, 0, 4096)
	}
	s.buf = append(s.buf, time.UnixMicro(us).UTC())
	return &s.buf[len(s.buf)-1]
}
