package scorecard

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/generate"
)

// The engine holds one incident and one change per record and one
// placement per change: a field more can grow each by 8 bytes, 8 MB at the
// reference dataset, so their sizes are pinned here.
func TestPerRecordSizes(t *testing.T) {
	assert.EqualValues(t, 80, unsafe.Sizeof(incident{}))
	assert.EqualValues(t, 88, unsafe.Sizeof(change{}))
	assert.EqualValues(t, 16, unsafe.Sizeof(placement{}))
	assert.EqualValues(t, 16, unsafe.Sizeof(succ{}))
}

// A sync takes a bulk load in pages, so the record arrays grow by appends;
// building the state gives their slack back.
func TestBulkLoadKeepsNoSlack(t *testing.T) {
	o := generate.Reference(3000)
	o.From = o.To.AddDate(0, -3, 0)
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	e := New(Options{Config: func() *config.Config { return cfg }})
	for p := range 10 {
		lo, hi := p*len(incidents)/10, (p+1)*len(incidents)/10
		clo, chi := p*len(changes)/10, (p+1)*len(changes)/10
		e.take(incidents[lo:hi], changes[clo:chi], p == 9)
	}
	x := e.x
	require.Len(t, x.incidents, len(incidents))
	for name, fill := range map[string][2]int{
		"incidents": {len(x.incidents), cap(x.incidents)}, "changes": {len(x.changes), cap(x.changes)},
		"incident keys": {len(x.incKeys.data), cap(x.incKeys.data)}, "change links": {len(x.chgLinks), cap(x.chgLinks)},
	} {
		assert.LessOrEqual(t, fill[1]-fill[0], fill[0]/16, name)
	}
}

// Builds counts the builds of the state from every record, which a new
// config causes and new records do not.
func TestBuildsCountsStateBuilds(t *testing.T) {
	o := generate.Reference(300)
	o.From = o.To.AddDate(0, -1, 0)
	cfg, err := config.Parse(generate.Config(o))
	require.NoError(t, err)
	incidents, changes := generate.Records(cfg, o)
	current := cfg
	e := New(Options{Config: func() *config.Config { return current }})
	assert.Zero(t, e.Builds())
	e.take(incidents[:100], changes[:100], true)
	assert.EqualValues(t, 1, e.Builds())
	e.take(incidents[100:], changes[100:], true)
	assert.EqualValues(t, 1, e.Builds(), "new records go to the delta")
	current, err = config.Parse(generate.Config(o))
	require.NoError(t, err)
	_, err = e.Current(t.Context())
	require.NoError(t, err)
	assert.EqualValues(t, 2, e.Builds(), "a new config")
}
