package scorecard

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/generate"
)

// Successions are built on two CPUs, each placing its share of the changes
// in groups of its own: the groups and every failure's next must come out
// as placing the changes one by one (as writes do) makes them.
func TestSuccessionsOnTwoCPUsEqualPlacingOneByOne(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 40, 30, 4000, 6000
	cfg, x, _, _ := generated(t, o)
	st := newState(cfg, x)
	type next struct {
		at  int64
		est bool
	}
	built, nexts := make([]next, len(x.changes)), 0
	slots := make([]int, len(x.changes))
	for i := range x.changes {
		c := &x.changes[i]
		built[i], slots[i] = next{c.next, c.nextEst}, i
		if c.next != absent {
			nexts++
		}
		c.next, c.nextEst = absent, false
	}
	one := &successions{groups: map[int32]*succGroup{}}
	one.update(st, x, slots)

	require.Greater(t, nexts, 100, "failures with a next success")
	require.Equal(t, one.placed, st.nx.placed)
	require.Equal(t, one.groups, st.nx.groups)
	for i := range x.changes {
		require.Equal(t, built[i], next{x.changes[i].next, x.changes[i].nextEst}, "change %d", i)
	}
}
