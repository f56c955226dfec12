package scorecard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFind(t *testing.T) {
	card := func(r Role, id string) Card { return Card{Subject: Subject{Role: r, ID: id}} }
	// ordered by role then subject, as a snapshot's cards are
	all := []Card{card(RoleSystem, "a"), card(RoleSystem, "b"), card(RoleTeam, "a"), card(RoleTeam, "c")}
	snap := &Snapshot{Cards: map[string][]Card{"30d": all}}
	ids := func(cs []Card) (out []string) {
		for _, c := range cs {
			out = append(out, string(c.Role)+"/"+c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name         string
		role         Role
		subject      string
		want         []string
		snapshotsOwn bool
	}{
		{"every card", "", "", []string{"system/a", "system/b", "team/a", "team/c"}, true},
		{"a role", RoleTeam, "", []string{"team/a", "team/c"}, true},
		{"a subject of a role", RoleSystem, "b", []string{"system/b"}, true},
		{"a subject across roles", "", "a", []string{"system/a", "team/a"}, false},
		{"none", RoleTeam, "b", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := snap.Find("30d", tc.role, tc.subject)
			assert.Equal(t, tc.want, ids(got))
			if len(got) > 0 {
				assert.Equal(t, tc.snapshotsOwn, inSnapshot(&got[0], all), "the snapshot's own cards, not a copy")
				_ = append(got, card(RoleGlobal, "x")) // must not write into the snapshot
			}
			assert.Equal(t, []string{"system/a", "system/b", "team/a", "team/c"}, ids(all))
		})
	}
	assert.Nil(t, snap.Find("7d", "", ""), "an unknown window")
}

// inSnapshot says whether c is one of all's elements.
func inSnapshot(c *Card, all []Card) bool {
	for i := range all {
		if c == &all[i] {
			return true
		}
	}
	return false
}
