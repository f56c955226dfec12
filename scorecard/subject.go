package scorecard

import (
	"fmt"
	"slices"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/kpi"
)

// Role is what a subject is accountable as (SPEC section 1).
type Role string

const (
	RoleSystem         Role = "system"
	RoleSystemOwner    Role = "system_owner"
	RoleProgram        Role = "program"
	RoleProgramManager Role = "program_manager"
	RoleProcessOwner   Role = "process_owner"
	RoleProcessManager Role = "process_manager"
	RoleTeam           Role = "team"
	RoleGlobal         Role = "global"
)

// Roles lists every role in the order scorecards are listed.
var Roles = []Role{RoleSystem, RoleSystemOwner, RoleProgram, RoleProgramManager,
	RoleProcessOwner, RoleProcessManager, RoleTeam, RoleGlobal}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (one of system, system_owner, program, program_manager, process_owner, process_manager, team, global)", s)
}

// GlobalSubject is the id of the one global subject.
const GlobalSubject = "all"

// Subject is one accountable party: a role and an id.
type Subject struct {
	Role Role   `json:"role"`
	ID   string `json:"subject"`
}

func (s Subject) String() string { return string(s.Role) + "/" + s.ID }

// subjects numbers every subject of a config (plus teams seen in records)
// and says which KPIs each has.
type subjects struct {
	list    []Subject
	defined []set
	index   map[Subject]int32
	kpis    map[set][]KPI // the KPIs of each defined set, in API order, shared by cards
	order   []int32       // sorted, cached

	// Teams come from records, so they are bounded (config limits.teams):
	// past maxTeams, a new team's records count for the overflow team.
	maxTeams   int
	teams      int                 // teams made subjects, declared ones aside
	declared   map[string]bool     // teams declared in the config
	overflowed map[string]struct{} // team names counted for the overflow team
	// hidden are KPIs defined by role that the config does not measure
	// (the measurements it does not read)
	hidden set
}

// definedKPIs lists the KPIs defined for subject si, in API order.
func (ss *subjects) definedKPIs(si int32) []KPI {
	def := ss.defined[si]
	if l, ok := ss.kpis[def]; ok {
		return l
	}
	var l []KPI
	for k := range numKPI {
		if def.has(k) {
			l = append(l, k)
		}
	}
	if ss.kpis == nil {
		ss.kpis = map[set][]KPI{}
	}
	ss.kpis[def] = l
	return l
}

func (ss *subjects) add(s Subject, kpis set) int32 {
	kpis &^= ss.hidden
	if i, ok := ss.index[s]; ok {
		ss.defined[i] |= kpis
		return i
	}
	i := int32(len(ss.list))
	ss.list = append(ss.list, s)
	ss.defined = append(ss.defined, kpis)
	ss.index[s] = i
	return i
}

func (ss *subjects) lookup(s Subject) int32 {
	if i, ok := ss.index[s]; ok {
		return i
	}
	return -1
}

// newSubjects lists the subjects the config names (SPEC section 1) with the
// KPIs defined for each. Teams are added as records name them.
func newSubjects(cfg *config.Config) *subjects {
	ss := &subjects{index: map[Subject]int32{}, maxTeams: cfg.Limits.Teams, declared: map[string]bool{},
		overflowed: map[string]struct{}{}}
	if ss.maxTeams <= 0 {
		ss.maxTeams = config.DefaultMaxTeams
	}
	for _, t := range cfg.Teams {
		ss.declared[t.ID] = true
	}
	ss.hidden = unmeasured(cfg)
	for i := range cfg.Systems {
		ss.add(Subject{RoleSystem, cfg.Systems[i].ID}, definedFor(RoleSystem, ""))
	}
	for i := range cfg.Systems {
		for _, o := range cfg.Systems[i].Owners {
			ss.add(Subject{RoleSystemOwner, o.Owner}, definedFor(RoleSystemOwner, ""))
		}
	}
	for _, p := range cfg.Programs {
		ss.add(Subject{RoleProgram, p.ID}, definedFor(RoleProgram, ""))
	}
	for _, p := range cfg.Programs {
		ss.add(Subject{RoleProgramManager, p.Manager}, definedFor(RoleProgramManager, ""))
	}
	for _, pk := range processKinds(cfg) {
		ss.add(Subject{RoleProcessOwner, pk.proc.Owner}, pk.kpis)
	}
	for _, pk := range processKinds(cfg) {
		for _, m := range pk.proc.Managers {
			ss.add(Subject{RoleProcessManager, m.Manager}, pk.kpis)
		}
	}
	ss.add(Subject{RoleGlobal, GlobalSubject}, definedFor(RoleGlobal, ""))
	return ss
}

// team returns the subject of a team named in a record: its own while
// fewer than maxTeams undeclared teams have one, else the overflow team's.
// Names counted for the overflow team are kept (bounded by the records
// held anyway) so that how many there are can be told.
func (ss *subjects) team(name string) int32 {
	s := Subject{RoleTeam, name}
	if i, ok := ss.index[s]; ok {
		return i
	}
	if !ss.declared[name] {
		if ss.teams >= ss.maxTeams {
			ss.overflowed[name] = struct{}{}
			s.ID = config.OverflowTeam
		} else {
			ss.teams++
		}
	}
	return ss.add(s, definedFor(RoleTeam, ""))
}

type processKind struct {
	proc *config.Process
	kpis set // the process roles' KPIs for this kind of process
}

func processKinds(cfg *config.Config) []processKind {
	var out []processKind
	if cfg.Processes.Incident != nil {
		out = append(out, processKind{cfg.Processes.Incident, definedFor(RoleProcessOwner, kpi.ProcessIncident)})
	}
	if cfg.Processes.Change != nil {
		out = append(out, processKind{cfg.Processes.Change, definedFor(RoleProcessOwner, kpi.ProcessChange)})
	}
	return out
}

// selected returns the numbers of the subjects of role (every role if "")
// with id subject (every one if ""), ordered as sorted orders them.
func (ss *subjects) selected(role Role, subject string) []int32 {
	if role != "" && subject != "" {
		if si := ss.lookup(Subject{role, subject}); si >= 0 {
			return []int32{si}
		}
		return nil
	}
	var out []int32
	for _, si := range ss.sorted() {
		s := ss.list[si]
		if (role == "" || s.Role == role) && (subject == "" || s.ID == subject) {
			out = append(out, si)
		}
	}
	return out
}

// sorted returns subject numbers ordered by role (as in Roles) then id.
// The order is kept until a subject is added; callers must not modify it.
func (ss *subjects) sorted() []int32 {
	if len(ss.order) != len(ss.list) {
		ss.order = ss.sort()
	}
	return ss.order
}

func (ss *subjects) sort() []int32 {
	rank := map[Role]int{}
	for i, r := range Roles {
		rank[r] = i
	}
	out := make([]int32, len(ss.list))
	for i := range out {
		out[i] = int32(i)
	}
	slices.SortFunc(out, func(a, b int32) int {
		sa, sb := ss.list[a], ss.list[b]
		if d := rank[sa.Role] - rank[sb.Role]; d != 0 {
			return d
		}
		switch {
		case sa.ID < sb.ID:
			return -1
		case sa.ID > sb.ID:
			return 1
		}
		return 0
	})
	return out
}
