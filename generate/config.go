package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// configPlan is the generated configuration before it is written as YAML.
type configPlan struct {
	people     []person
	systems    []systemPlan
	programs   []programPlan
	incident   processPlan
	change     processPlan
	objectives []objectivePlan
}

type person struct{ id, name, email string }

type systemPlan struct {
	id      string
	aliases []string
	tier    int
	program string
	owners  []ownership
}

type ownership struct {
	owner string
	since time.Time
}

type programPlan struct{ id, manager string }

type processPlan struct {
	owner    string
	managers []managerPlan
}

type managerPlan struct {
	manager        string
	teams, systems []string
}

type objectivePlan struct {
	kpi                string
	objective, warning float64
}

// Config returns a configuration in the YAML format of the specification:
// o.Systems systems (sys-0001, ...) with one or two aliases, a tier, a
// program and effective-dated owners (about 20% change owner within
// [From, To), about 2% have none), programs with managers, both processes
// with scoped managers, the default policy and objectives. People are
// p0001, ...; most hold one role, a few hold two.
func Config(o Options) []byte {
	o = o.normalized()
	return planConfig(o).yaml(o.Seed)
}

func planConfig(o Options) *configPlan {
	r := newRand(o.Seed, streamConfig)
	p := &configPlan{}
	book := peopleBook{r: r, emails: map[string]bool{}}

	owners := make([]string, o.Owners)
	for i := range owners {
		owners[i] = book.add()
	}
	// Fewer managers than programs, so some manage two; the last one also
	// owns systems.
	pms := make([]string, max(1, (2*o.Programs+2)/3))
	for i := range pms {
		if i > 0 && i == len(pms)-1 && o.Owners >= 2 {
			pms[i] = owners[o.Owners-1]
		} else {
			pms[i] = book.add()
		}
	}
	for j := range o.Programs {
		p.programs = append(p.programs, programPlan{id: nth(programNames, j, "program"), manager: pms[j%len(pms)]})
	}
	p.incident.owner = book.add()
	p.change.owner = book.add()
	p.systems = planSystems(r, o, owners, p.programs)

	teams := make([]string, min(o.Teams, 4))
	for i := range teams {
		teams[i] = nth(teamNames, i, "team")
		p.incident.managers = append(p.incident.managers, managerPlan{manager: book.add(), teams: teams[i : i+1]})
	}
	// The engineering manager runs changes for the same team too (one
	// process_manager, two scopes); the systems-scoped incident manager
	// also manages changes of tier-1 systems.
	eng := p.incident.managers[min(2, len(teams)-1)]
	p.change.managers = append(p.change.managers, managerPlan{manager: eng.manager, teams: eng.teams})
	bySystem := book.add()
	p.incident.managers = append(p.incident.managers, managerPlan{manager: bySystem, systems: scopeSystems(p.systems, 3, true)})
	if len(p.systems) >= 2 {
		p.change.managers = append(p.change.managers, managerPlan{manager: bySystem, systems: scopeSystems(p.systems, 5, false)})
	}
	p.people = book.people

	days := o.To.Sub(o.From).Hours() / 24
	deploys := niceCeil(float64(o.Changes) * 0.7 / days / float64(o.Systems))
	p.objectives = []objectivePlan{
		{"change_success_ratio", 0.95, 0.90},
		{"availability_ratio", 0.999, 0.995},
		{"mttr_seconds", 14400, 28800},
		{"review_compliance_ratio", 1.0, 0.8},
		{"deployments_per_day", deploys, deploys / 2},
	}
	return p
}

// peopleBook hands out p0001, p0002, ... with distinct e-mail addresses.
type peopleBook struct {
	r      *rand.Rand
	people []person
	emails map[string]bool
}

func (b *peopleBook) add() string {
	first, last := firstNames[b.r.IntN(len(firstNames))], lastNames[b.r.IntN(len(lastNames))]
	local := strings.ToLower(first + "." + last)
	email := local + "@example.com"
	for k := 2; b.emails[email]; k++ {
		email = fmt.Sprintf("%s%d@example.com", local, k)
	}
	b.emails[email] = true
	id := fmt.Sprintf("p%04d", len(b.people)+1)
	b.people = append(b.people, person{id: id, name: first + " " + last, email: email})
	return id
}

func planSystems(r *rand.Rand, o Options, owners []string, programs []programPlan) []systemPlan {
	systems := make([]systemPlan, o.Systems)
	taken := map[string]bool{}
	for i := range systems {
		s := &systems[i]
		s.id = fmt.Sprintf("sys-%04d", i+1)
		switch u := r.Float64(); {
		case u < 0.2:
			s.tier = 1
		case u < 0.6:
			s.tier = 2
		default:
			s.tier = 3
		}
		named := chance(r, 0.7)
		if named {
			s.aliases = append(s.aliases, uniqueName(r, taken))
		} else {
			s.aliases = append(s.aliases, cmdbID(r, taken))
		}
		if chance(r, 0.5) {
			if named {
				s.aliases = append(s.aliases, cmdbID(r, taken))
			} else {
				s.aliases = append(s.aliases, fmt.Sprintf("APP%04d", i+1))
			}
		}
	}
	// Round-robin over shuffles: every owner owns and every program holds
	// at least one system when there are enough systems.
	for i, k := range r.Perm(len(systems)) {
		systems[k].program = programs[i%len(programs)].id
	}
	ownerOf := make([]int, len(systems))
	for i, k := range r.Perm(len(systems)) {
		ownerOf[k] = i % len(owners)
	}
	unowned := int(math.Round(0.02 * float64(len(systems))))
	if len(systems) >= 10 {
		unowned = max(unowned, 1)
	}
	moved := int(math.Round(0.2 * float64(len(systems))))
	if len(systems) >= 2 && len(owners) >= 2 {
		moved = max(moved, 1)
	}
	if len(owners) < 2 {
		moved = 0
	}
	order := r.Perm(len(systems))
	for n, k := range order {
		if n < unowned {
			continue
		}
		s := &systems[k]
		since := o.From.Truncate(24*time.Hour).AddDate(0, 0, -30-r.IntN(700))
		s.owners = append(s.owners, ownership{owner: owners[ownerOf[k]], since: since})
		if n < unowned+moved {
			at := o.From.Add(time.Duration(r.Int64N(int64(o.To.Sub(o.From))))).Truncate(time.Second)
			next := (ownerOf[k] + 1 + r.IntN(len(owners)-1)) % len(owners)
			s.owners = append(s.owners, ownership{owner: owners[next], since: at})
		}
	}
	return systems
}

func uniqueName(r *rand.Rand, taken map[string]bool) string {
	base := serviceNames[r.IntN(len(serviceNames))]
	name := base
	for k := 2; taken[name]; k++ {
		name = fmt.Sprintf("%s-%d", base, k)
	}
	taken[name] = true
	return name
}

// cmdbID returns an unused CMDB configuration item id such as CI0001234.
func cmdbID(r *rand.Rand, taken map[string]bool) string {
	for {
		id := fmt.Sprintf("CI%07d", r.IntN(10_000_000))
		if !taken[id] {
			taken[id] = true
			return id
		}
	}
}

// scopeSystems names up to n systems for a manager's scope, tier 1 first;
// byAlias names the second by its first alias, as people often do.
func scopeSystems(systems []systemPlan, n int, byAlias bool) []string {
	var out []string
	for tier := 1; tier <= 3 && len(out) < n; tier++ {
		for _, s := range systems {
			if s.tier != tier || len(out) == n {
				continue
			}
			name := s.id
			if byAlias && len(out) == 1 && len(s.aliases) > 0 {
				name = s.aliases[0]
			}
			out = append(out, name)
		}
	}
	return out
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}
