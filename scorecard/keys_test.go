package scorecard

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-sh/steward/record"
)

func TestKeys(t *testing.T) {
	ks := newKeys()
	const n = 5000 // enough to grow the table several times
	for i := range n {
		k, added := ks.add(sym(i%3), fmt.Sprintf("INC%d", i))
		require.True(t, added)
		require.Equal(t, i, k, "keys are numbered in the order added")
	}
	tests := []struct {
		name   string
		source sym
		id     string
		want   int
	}{
		{"first", 0, "INC0", 0},
		{"last", sym((n - 1) % 3), fmt.Sprintf("INC%d", n-1), n - 1},
		{"same id, other source", 1, "INC0", -1},
		{"prefix of a key", 0, "INC", -1},
		{"empty id", 0, "", -1},
		{"id that looks like a source number", 2, "5", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ks.find(tt.source, tt.id))
			if tt.want >= 0 {
				source, id := ks.key(tt.want)
				assert.Equal(t, tt.source, source)
				assert.Equal(t, tt.id, id)
			}
		})
	}
	k, added := ks.add(1, "INC1")
	assert.False(t, added, "adding a known key")
	assert.Equal(t, 1, k)
	assert.Equal(t, n, ks.len())
}

func TestSymbolsFixEnumNumbers(t *testing.T) {
	s := newSymbols()
	for want, name := range map[sym]string{
		symEmpty: "", symOutage: string(record.ImpactOutage), symDegraded: string(record.ImpactDegraded),
		symImpactNone: string(record.ImpactNone), symStandard: string(record.TypeStandard), symNormal: string(record.TypeNormal),
		symEmergency: string(record.TypeEmergency), symSuccess: string(record.OutcomeSuccess), symFailed: string(record.OutcomeFailed),
		symRolledBack: string(record.OutcomeRolledBack), symCancelled: string(record.OutcomeCancelled),
		symInProgress: string(record.OutcomeInProgress),
	} {
		assert.Equal(t, want, s.id(name), name)
		assert.Equal(t, name, s.name(want))
	}
	other := s.id("sys-1")
	assert.Equal(t, other, s.id("sys-1"))
	assert.Equal(t, "sys-1", s.name(other))
}

// The earliest incident naming a change follows the incidents as they
// arrive, change their cause, and as the change itself arrives late.
func TestLinkCauses(t *testing.T) {
	at := func(h int) string { return fmt.Sprintf("2026-01-01T%02d:00:00Z", h) }
	cites := func(id string, h int, change string) *record.Incident {
		in := &record.Incident{Source: "pd", ID: id, System: "s", Severity: 3, OpenedAt: ts(at(h))}
		if change != "" {
			in.CausedByChange = &record.Ref{Source: "gh", ID: change}
		}
		return in
	}
	x := newIndex()
	// linked returns the earlier causeOpened of each change linkCauses changed
	linked := func() map[int]int64 {
		out := map[int]int64{}
		for j, old := range x.linkCauses() {
			out[j] = old.causeOpened
		}
		return out
	}
	x.putIncident(cites("a", 5, "c1"))
	x.putIncident(cites("b", 3, "c1"))
	x.putChange(&record.Change{Source: "gh", ID: "c0"})
	assert.Empty(t, linked(), "c1 is not stored yet")

	x.putChange(&record.Change{Source: "gh", ID: "c1"})
	assert.Equal(t, map[int]int64{1: absent}, linked(), "c1 arrives: linked to b, the earliest")
	assert.Equal(t, micros(ts(at(3))), x.changes[1].causeOpened)

	x.putIncident(cites("b", 3, "c0")) // b now blames c0
	assert.Equal(t, map[int]int64{0: absent, 1: micros(ts(at(3)))}, linked())
	assert.Equal(t, micros(ts(at(3))), x.changes[0].causeOpened)
	assert.Equal(t, micros(ts(at(5))), x.changes[1].causeOpened, "only a names c1 now")

	x.putIncident(cites("a", 5, ""))
	x.putIncident(cites("c", 1, "c0"))
	assert.Equal(t, map[int]int64{0: micros(ts(at(3))), 1: micros(ts(at(5)))}, linked())
	assert.Equal(t, micros(ts(at(1))), x.changes[0].causeOpened)
	assert.Equal(t, int64(absent), x.changes[1].causeOpened)

	assert.Equal(t, record.Ref{Source: "gh", ID: "c0"}, x.causeKey(&x.incidents[1]))
	assert.Equal(t, record.Ref{Source: "pd", ID: "b"}, x.incKey(1))
	assert.Equal(t, record.Ref{Source: "gh", ID: "c1"}, x.chgKey(1))
}
