package generate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// Records generates o.Incidents incidents and o.Changes changes in
// [o.From, o.To) for the systems of cfg, ordered by id, which follows
// opened_at for incidents and started_at for changes. The same cfg and
// Options give the same records.
//
// A record names its system by id (80%) or an alias, and about 1% name no
// configured system. Teams are those of the process managers' scopes plus
// a couple more. Severities lean to 3 and 4; time to acknowledge and to
// restore are lognormal by severity (outages are restored faster); about
// 10% of incidents follow a production change on the same system and name
// it in caused_by_change. Changes are mostly standard, successful and in
// production, with failures, rollbacks, cancellations, emergency and
// unauthorized changes, and a few still in progress at To. Nothing happens
// at or after To. Every record has the source o.Source (default generated),
// and the fields of accountability: categories (some security), detection
// and mitigation times, review sign-offs and action items, approval and
// planned windows, rework and a few estimated times.
func Records(cfg *config.Config, o Options) (incidents []record.Incident, changes []record.Change) {
	o = o.normalized()
	w := newWorld(cfg, o)
	changes = w.changes(newRand(o.Seed, streamChanges))
	incidents = w.incidents(newRand(o.Seed, streamIncid), changes)
	detail(cfg, o, incidents, changes)
	return incidents, changes
}

// world is what records are drawn from: system names (configured systems
// first, then a few unknown ones), teams, and per-system traits.
type world struct {
	from, to int64 // Unix microseconds
	nIncid   int
	nChange  int

	known    int        // systems[:known] are configured
	names    [][]string // per system: id, then aliases
	titles   [][3][]string
	teams    []string
	teamOf   []int // primary team per system
	incSys   weighted
	chgSys   weighted
	risk     []float64 // per system: how failure-prone its changes are
	slowness []float64 // per team: how slow it restores service
	thresh   int
	dueUS    int64
	slab     timeSlab
	unknown  []string

	changeSys []int32 // system index of each generated change
	source    string
}

func newWorld(cfg *config.Config, o Options) *world {
	r := newRand(o.Seed, streamConfig+1)
	w := &world{
		from:    o.From.UnixMicro(),
		to:      o.To.UnixMicro(),
		nIncid:  o.Incidents,
		nChange: o.Changes,
		thresh:  cfg.Policy.Review.SeverityThreshold,
		source:  o.source(),
		dueUS:   cfg.Policy.Review.Due.Microseconds(),
	}
	if w.dueUS <= 0 {
		w.dueUS = (120 * time.Hour).Microseconds()
	}
	taken := map[string]bool{}
	for _, s := range cfg.Systems {
		names := append([]string{s.ID}, s.Aliases...)
		for _, n := range names {
			taken[n] = true
		}
		w.names = append(w.names, names)
	}
	w.known = len(w.names)
	for i := 0; len(w.unknown) < 6; i++ {
		n := nth([]string{"legacy-crm", "old-intranet", "fax-gateway", "CI0000000", "lab-printer", "unknown"}, i, "host")
		if !taken[n] {
			taken[n] = true
			w.unknown = append(w.unknown, n)
			w.names = append(w.names, []string{n})
		}
	}
	for _, names := range w.names {
		w.titles = append(w.titles, titlesFor(names[0]))
	}
	w.teams = recordTeams(cfg, o.Teams)
	w.teamOf = make([]int, len(w.names))
	for i := range w.teamOf {
		w.teamOf[i] = r.IntN(len(w.teams))
		if len(w.teams) > 1 {
			w.teamOf[i] = 1 + r.IntN(len(w.teams)-1) // teams[0] is the first-line desk
		}
	}
	known := max(w.known, 1)
	w.incSys = spread(r, known, 0.8)
	w.chgSys = spread(r, known, 0.8)
	w.risk = make([]float64, len(w.names))
	for i := range w.risk {
		w.risk[i] = math.Exp(0.6 * r.NormFloat64())
	}
	w.slowness = make([]float64, len(w.teams))
	for i := range w.slowness {
		w.slowness[i] = math.Exp(0.7 * r.NormFloat64())
	}
	return w
}

// recordTeams lists the teams of the process managers' scopes, then the
// first o.Teams generated names, then enough more that a couple of teams
// appear in records only.
func recordTeams(cfg *config.Config, n int) []string {
	var teams []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			teams = append(teams, t)
		}
	}
	for _, p := range []*config.Process{cfg.Processes.Incident, cfg.Processes.Change} {
		if p == nil {
			continue
		}
		for _, m := range p.Managers {
			for _, t := range m.Teams {
				add(t)
			}
		}
	}
	want := len(teams) + 2
	for i := 0; i < n || len(teams) < want; i++ {
		add(nth(teamNames, i, "team"))
	}
	return teams
}

// system picks a system: configured ones by weight, an unknown one with
// probability 1%. It returns the index into w.names.
func (w *world) system(r *rand.Rand, weights weighted) int {
	if w.known == 0 || chance(r, 0.01) {
		return w.known + r.IntN(len(w.unknown))
	}
	return weights.pick(r)
}

// name is how a record refers to system s: by id mostly, else an alias.
func (w *world) name(r *rand.Rand, s int) string {
	names := w.names[s]
	if len(names) == 1 || chance(r, 0.8) {
		return names[0]
	}
	return names[1+r.IntN(len(names)-1)]
}

// team picks the index of the team a record is assigned to, -1 for none:
// the system's own team, the first-line desk, or any.
func (w *world) team(r *rand.Rand, s int, primary, desk float64) int {
	switch u := r.Float64(); {
	case u < primary:
		return w.teamOf[s]
	case u < primary+desk:
		return 0
	case u < 0.95:
		return r.IntN(len(w.teams))
	}
	return -1
}

func (w *world) teamName(i int) string {
	if i < 0 {
		return ""
	}
	return w.teams[i]
}

func (w *world) at(us int64) *time.Time { return w.slab.at(us) }

var titleSuffixes = [3][]string{
	{" is down", " unreachable", ": all requests failing"},
	{": elevated error rate", ": slow responses", ": partial outage in one region", ": queue backlog growing"},
	{": disk usage above 90%", ": certificate expires in 14 days", ": nightly job failed", ": user reports a display error", ": monitoring gap"},
}

// titlesFor builds a system's titles once so records share the strings.
func titlesFor(name string) [3][]string {
	var t [3][]string
	for i, suffixes := range titleSuffixes {
		for _, s := range suffixes {
			t[i] = append(t[i], name+s)
		}
	}
	return t
}
