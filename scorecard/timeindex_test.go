package scorecard

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
)

// sortPart sorts by insertion while the input is nearly sorted and hands
// the rest to sortSpread past its budget, which spreads keys bunched
// together again: either way keys end sorted and each value, until time
// and record slot stays with its key.
func TestSortPart(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nearly := func(n, reach int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i*10 + rng.IntN(reach*10+1))
		}
		return out
	}
	random := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = rng.Int64N(int64(n / 2)) // with repeats
		}
		return out
	}
	reversed := make([]int64, 300)
	for i := range reversed {
		reversed[i] = int64(len(reversed) - i)
	}
	tests := []struct {
		name string
		keys []int64
	}{
		{"empty", nil},
		{"one", []int64{5}},
		{"sorted", []int64{1, 2, 2, 3, 9}},
		{"two swapped", []int64{2, 1}},
		{"nearly sorted", nearly(2000, 3)},
		{"reversed, past the budget", reversed},
		{"random with repeats, past the budget", random(5000)},
		{"nearly sorted with far outliers", append(nearly(1000, 2), -5, -7, math.MinInt64+1)},
		{"random, bunched but for one far key", append(random(3000), 1<<50)},
		{"random over the whole range", append(random(2000), math.MinInt64, math.MaxInt64, 0, -1)},
		{"reversed powers of two", func() []int64 {
			out := make([]int64, 0, 63*8)
			for range 8 {
				for b := 62; b >= 0; b-- {
					out = append(out, 1<<b)
				}
			}
			return out
		}()},
	}
	for _, tt := range tests {
		for _, valued := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				keys := slices.Clone(tt.keys)
				var vals []int64
				want := make([][2]int64, len(keys))
				for i, k := range keys {
					want[i] = [2]int64{k, 0}
				}
				if valued {
					vals = make([]int64, len(keys))
					for i := range vals {
						vals[i] = rng.Int64N(1 << 40)
						want[i][1] = vals[i]
					}
				}
				var until []int64
				if valued {
					until = make([]int64, len(keys))
					for i := range until {
						until[i] = vals[i] ^ 0x5a5a
					}
				}
				var ids []int32
				if valued {
					ids = make([]int32, len(keys))
					for i := range ids {
						ids[i] = int32(i)
					}
				}
				before, valsBefore := slices.Clone(keys), slices.Clone(vals)
				sortPart(keys, extras{vals, until, ids})
				assert.True(t, slices.IsSorted(keys), "keys sorted")
				for i := range until {
					require.Equal(t, vals[i]^0x5a5a, until[i], "each until time stays with its value")
				}
				for i, id := range ids {
					require.Equal(t, before[id], keys[i], "each record slot stays with its key")
					require.Equal(t, valsBefore[id], vals[i], "each record slot stays with its value")
				}
				got := make([][2]int64, len(keys))
				for i, k := range keys {
					got[i] = [2]int64{k, 0}
					if valued {
						got[i][1] = vals[i]
					}
				}
				byBoth := func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
				slices.SortFunc(want, byBoth)
				slices.SortFunc(got, byBoth)
				assert.Equal(t, want, got, "the same (key, value) pairs")
			})
		}
	}
}

// The time index sorts each part whatever order records came in: records
// taken in shuffled give every subject the values of records taken in
// time order.
func TestRecordOrderDoesNotMatter(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 25, 20, 3000, 5000
	cfg, inOrder, incidents, changes := generated(t, o)
	rng := rand.New(rand.NewPCG(9, 10))
	rng.Shuffle(len(incidents), func(i, j int) { incidents[i], incidents[j] = incidents[j], incidents[i] })
	rng.Shuffle(len(changes), func(i, j int) { changes[i], changes[j] = changes[j], changes[i] })
	shuffled := newIndex()
	for i := range changes {
		shuffled.putChange(&changes[i])
	}
	for i := range incidents {
		shuffled.putIncident(&incidents[i])
	}
	for _, at := range []time.Time{o.To, o.To.Add(-40*24*time.Hour - 3*time.Hour), o.From.Add(50 * 24 * time.Hour)} {
		assert.Greater(t, assertSameCards(t, cfg, snapshot(cfg, inOrder, at), snapshot(cfg, shuffled, at)), 1000, "at %s", at)
	}
}

// assertSameCards asserts that got has want's cards and values, and
// returns how many values it compared.
func assertSameCards(t *testing.T, cfg *config.Config, want, got *Snapshot) int {
	t.Helper()
	compared := 0
	for _, w := range cfg.Windows {
		require.Len(t, got.Cards[w.Name], len(want.Cards[w.Name]))
		for j, c := range want.Cards[w.Name] {
			g := got.Cards[w.Name][j]
			require.Equal(t, c.Subject, g.Subject)
			for _, k := range c.Defined {
				for _, pair := range [][2]float64{{c.Value[k], g.Value[k]}, {c.Previous[k], g.Previous[k]}} {
					if math.IsNaN(pair[0]) {
						assert.True(t, math.IsNaN(pair[1]), "%s %s %s at %s", c.Subject, w.Name, k.Name(), want.At)
						continue
					}
					compared++
					assert.Equal(t, pair[0], pair[1], "%s %s %s at %s", c.Subject, w.Name, k.Name(), want.At)
				}
			}
		}
	}
	return compared
}

// Keys spanning 2⁴⁸ µs or more (here an incident opened in about 2200)
// are stored in 8 bytes each rather than 6, and give the same values. The
// incident is opened a multiple of 2⁴⁸ µs after a time within the
// windows: kept to 6 bytes, it would count in them.
func TestWideKeysGiveTheSameValues(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 25, 20, 2000, 3000
	cfg, narrow, incidents, changes := generated(t, o)
	wide := newIndex()
	for i := range incidents {
		wide.putIncident(&incidents[i])
	}
	for i := range changes {
		wide.putChange(&changes[i])
	}
	late := incidents[0]
	late.ID, late.ResolvedAt, late.ClosedAt = "late", nil, nil
	late.OpenedAt = o.To.Add(-10*24*time.Hour + 20*(1<<48)*time.Microsecond)
	wide.putIncident(&late)
	assert.Equal(t, 6, newState(cfg, narrow).ti.keys[plain].w)
	assert.Equal(t, 8, newState(cfg, wide).ti.keys[plain].w)
	for _, at := range []time.Time{o.To, o.To.Add(-40*24*time.Hour - 3*time.Hour)} {
		assert.Greater(t, assertSameCards(t, cfg, snapshot(cfg, narrow, at), snapshot(cfg, wide, at)), 1000, "at %s", at)
	}
}

// A trend evaluates its points together, each searched for from the one
// before: every point must equal an evaluation of that window alone,
// whatever order the points come in, with records taken in since the index
// was built (the delta) as well.
func TestTrendEqualsEvaluations(t *testing.T) {
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 25, 20, 3000, 5000
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	e := New(Options{Config: func() *config.Config { return cfg }})
	held := 200
	e.take(incidents[:len(incidents)-held], changes[:len(changes)-held], true)
	e.take(incidents[len(incidents)-held:], changes[len(changes)-held:], true) // the delta
	ctx := context.Background()
	st, _, done, err := e.read(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, st.delta, "records taken in after the build")
	var subjects []Subject
	for _, s := range st.m.subj.list {
		if s.Role != RoleTeam || len(subjects) < 40 {
			subjects = append(subjects, s)
		}
	}
	done()
	ats := []time.Time{o.To, o.From.Add(-24 * time.Hour), o.To.AddDate(0, -7, 0), o.To.AddDate(0, -1, 0), o.To.AddDate(0, -7, 0),
		o.From.Add(40*24*time.Hour + 3*time.Hour), o.To.Add(90 * 24 * time.Hour)}
	for _, length := range []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 400 * 24 * time.Hour} {
		trend, err := e.Trend(ctx, subjects, length, ats)
		require.NoError(t, err)
		require.Len(t, trend, len(subjects))
		compared := 0
		for _, s := range subjects {
			for k, at := range ats {
				snap, err := e.Evaluate(ctx, Query{At: at, Windows: []config.Window{{Name: "w", Duration: length}}, Role: s.Role, Subject: s.ID, NoPrevious: true})
				require.NoError(t, err)
				require.Len(t, snap.Cards["w"], 1)
				want, got := snap.Cards["w"][0].Value, trend[s][k]
				for kpi := range want {
					if math.IsNaN(want[kpi]) {
						assert.True(t, math.IsNaN(got[kpi]), "%s at %s over %s: %s", s, at, length, KPI(kpi).Name())
						continue
					}
					compared++
					assert.Equal(t, want[kpi], got[kpi], "%s at %s over %s: %s", s, at, length, KPI(kpi).Name())
				}
			}
		}
		assert.Greater(t, compared, 5000)
	}
}

// lowerBoundNear finds the first member ≥ t whatever its guess: before,
// on or after the answer, out of range, in parts with repeated keys.
func TestLowerBoundNear(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 2000 {
		n := rng.IntN(70)
		s := make([]int64, n)
		for i := range s {
			s[i] = rng.Int64N(int64(n/2 + 1)) // with repeats
		}
		slices.Sort(s)
		for range 20 {
			at := rng.Int64N(int64(n/2+3)) - 1
			want, _ := slices.BinarySearch(s, at)
			g := rng.IntN(n+5) - 2
			require.Equal(t, want, lowerBoundNear(stampsOf(s), n, at, g), "s=%v t=%d g=%d", s, at, g)
			require.Equal(t, want, lowerBound(stampsOf(s), 0, n, at))
			lo := rng.IntN(n + 1)
			require.Equal(t, max(want, lo), lowerBound(stampsOf(s), lo, n, at), "from %d", lo)
		}
	}
}

// A plan lists each boundary once and each window by its boundaries.
func TestNewPlan(t *testing.T) {
	pl := newPlan([]int64{100, 70, 100, 93}, []int64{30, 30, 7, 7})
	assert.Equal(t, []int64{40, 70, 86, 93, 100}, pl.bounds)
	assert.Equal(t, []planSpan{{1, 4}, {0, 1}, {3, 4}, {2, 3}}, pl.spans)
}

// TestIndexHoldsEveryMemberInItsPart builds the time index with pools
// grouped every way (each pool alone, the default, as many as tags allow)
// on one CPU and two, and compares each part with the members the rules
// give each record, placed one by one and sorted by key (ties in record
// order), and each pool's bounds and populations with theirs.
func TestIndexHoldsEveryMemberInItsPart(t *testing.T) {
	o := generate.DefaultOptions()
	// more pools than a group can hold
	o.Systems, o.Owners, o.Incidents, o.Changes = groupPools+300, 300, 8000, 8000
	cfg, x, _, _ := generated(t, o)
	st := newState(cfg, x)
	m, r := st.m, st.r

	type placed struct {
		key, val, until int64
		slot            int32
	}
	ep := newEntryPools(m, st.ti)
	want := map[int][]placed{} // by q*numPop+p
	place := func(ms []member, pools []int32, slot int32) {
		for _, mb := range ms {
			ps := pools
			if pops[mb.pop].globalOnly {
				ps = []int32{st.ti.unattributed}
			}
			for _, q := range ps {
				i := int(q)*int(numPop) + int(mb.pop)
				want[i] = append(want[i], placed{mb.key, mb.val, mb.until, slot})
			}
		}
	}
	for i := range x.incidents {
		place(r.incidentMembers(nil, &x.incidents[i], m.incAttr[i]), ep.of(m.incAttr[i]), int32(i))
	}
	for i := range x.changes {
		place(r.changeMembers(nil, &x.changes[i], m.chgSys[i]), ep.of(m.chgAttr[i]), int32(i))
	}
	for _, list := range want {
		slices.SortStableFunc(list, func(a, b placed) int { return cmp.Compare(a.key, b.key) })
	}

	defer func(n int) { groupMembers = n }(groupMembers)
	for _, records := range []int{1, groupMembers, math.MaxInt} {
		for _, cpus := range []int{1, 2} {
			groupMembers = records
			prev := runtime.GOMAXPROCS(cpus)
			ti := buildTimeIndex(m, x, r)
			runtime.GOMAXPROCS(prev)
			for q := range ti.pools {
				var held popSet
				bd := bounds{first: math64Max, last: math.MinInt64}
				for p := range numPop {
					list, sp := want[q*int(numPop)+int(p)], ti.spans[q*int(numPop)+int(p)]
					require.Len(t, list, int(sp.hi-sp.lo), "pool %d population %d", q, p)
					if len(list) == 0 {
						continue
					}
					held |= 1 << p
					bd.first, bd.last = min(bd.first, list[0].key), max(bd.last, list[len(list)-1].key)
					keys, pre, until := ti.part(sp, p)
					ids := ti.partIDs(sp, p)
					for i, w := range list {
						got := placed{key: keys.at(i), slot: -1}
						if pre != nil {
							got.val = pre[i+1] - pre[i]
						} else {
							w.val = 0
						}
						if until != nil {
							got.until = until[i]
						} else {
							w.until = 0
						}
						if ids != nil {
							got.slot = ids[i]
						} else {
							w.slot = -1
						}
						require.Equal(t, w, got, "pool %d population %d member %d, grouped by %d members on %d CPUs", q, p, i, records, cpus)
					}
				}
				require.Equal(t, held, ti.held[q], "pool %d", q)
				require.Equal(t, bd, ti.bounds[q], "pool %d", q)
			}
		}
	}
}
