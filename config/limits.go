package config

import "go.yaml.in/yaml/v3"

// Limits bound what records, which anyone allowed to ingest writes, can make
// Steward keep.
type Limits struct {
	// Teams is how many teams named in records become subjects of their
	// own. Records of teams past it count for one team subject,
	// OverflowTeam, so nothing is dropped; teams declared under teams:
	// never count against it.
	Teams int
}

// DefaultMaxTeams is limits.teams by default: far above the teams of a real
// organisation (the reference one has 200), far below what a flood of
// invented team names would make (each team is some 300 series in
// /metrics).
const DefaultMaxTeams = 1000

// OverflowTeam is the team subject that stands for every team past
// limits.teams.
const OverflowTeam = "(other teams)"

func (d *decoder) limits(n *yaml.Node, l *Limits) {
	const where = "limits"
	d.fields(n, where, map[string]func(*yaml.Node){
		"teams": func(v *yaml.Node) {
			if t, ok := d.integer(v, at(where, "teams")); ok {
				if t < 1 {
					d.errorf(deref(v), where, "teams must be at least 1")
					return
				}
				l.Teams = t
			}
		},
	})
}
