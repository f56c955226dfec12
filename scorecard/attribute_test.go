package scorecard

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/generate"
)

// A full attribution runs on two CPUs and must come out as one pass over
// the records would make it: the same entries in the same order, and,
// past the teams limit, the same teams with subjects of their own (the
// first ones seen).
func TestAttributionOnTwoCPUsEqualsOnePass(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	o := generate.DefaultOptions()
	o.Systems, o.Owners, o.Incidents, o.Changes = 40, 30, 4000, 6000
	cfg, x, _, _ := generated(t, o)
	cfg.Limits.Teams = 3

	shared := newModel(cfg)
	shared.update(x, true)
	one := newModel(cfg)
	one.incSys, one.incAttr = make([]int32, len(x.incidents)), make([]uint32, len(x.incidents))
	one.chgSys, one.chgAttr = make([]int32, len(x.changes)), make([]uint32, len(x.changes))
	for i := range x.incidents {
		one.attributeIncident(x, i)
	}
	for i := range x.changes {
		one.attributeChange(x, i)
	}

	require.NotEmpty(t, one.subj.overflowed, "the dataset goes past the teams limit")
	require.Greater(t, len(one.entries), 100)
	require.Equal(t, one.entries, shared.entries)
	require.Equal(t, one.incSys, shared.incSys)
	require.Equal(t, one.incAttr, shared.incAttr)
	require.Equal(t, one.chgSys, shared.chgSys)
	require.Equal(t, one.chgAttr, shared.chgAttr)
	require.Equal(t, one.subj.list, shared.subj.list)
	require.Equal(t, one.subj.overflowed, shared.subj.overflowed)
	require.Equal(t, one.lists.subjects, shared.lists.subjects)
}
