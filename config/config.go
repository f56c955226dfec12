// Package config loads and validates Steward's YAML configuration: storage,
// windows, people, systems with effective-dated owners, programs, processes,
// policy and objectives. It answers attribution questions about the
// configuration (which system a name means, who owned it when) but knows
// nothing of stored records or KPIs.
package config

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Config is Steward's whole configuration. Build it with Load or Parse, which
// apply defaults, validate it and build the look-up indexes.
type Config struct {
	Storage    Storage              `yaml:"storage"`
	Windows    []Window             `yaml:"windows"`
	People     []Person             `yaml:"people"`
	Systems    []System             `yaml:"systems"`
	Programs   []Program            `yaml:"programs"`
	Processes  Processes            `yaml:"processes"`
	Policy     Policy               `yaml:"policy"`
	Objectives map[string]Objective `yaml:"objectives"`
	Teams      []Team               `yaml:"teams"`
	RACI       RACI                 `yaml:"raci"`
	Catalog    Catalog              `yaml:"catalog"`
	// CatalogReport says what the catalog import brought in (nil without one).
	CatalogReport *CatalogReport `yaml:"-"`
	Export        Export         `yaml:"export"`
	Collectors    Collectors     `yaml:"collectors"`
	Pollers       Pollers        `yaml:"pollers"`
	Auth          Auth           `yaml:"auth"`
	Measurements  *Measurements  `yaml:"measurements"`
	Limits        Limits         `yaml:"limits"`

	systemByName map[string]*System
	programByID  map[string]*Program
	personByID   map[string]*Person
}

// Storage selects the record store.
type Storage struct {
	Driver string `yaml:"driver"` // "sqlite" or "postgres"
	DSN    string `yaml:"dsn"`
}

// Window is a KPI window length. Name is the string as configured (a label
// value in metrics, e.g. "30d").
type Window struct {
	Name     string
	Duration time.Duration
}

// PickWindow returns the window of windows named want. With want empty it
// returns the one pages and answers default to: 30d if configured, else the
// first configured.
func PickWindow(windows []Window, want string) (Window, bool) {
	if want == "" {
		want = "30d"
		if !slices.ContainsFunc(windows, func(w Window) bool { return w.Name == want }) && len(windows) > 0 {
			want = windows[0].Name
		}
	}
	for _, w := range windows {
		if w.Name == want {
			return w, true
		}
	}
	return Window{}, false
}

// WindowNames lists the names of windows, comma separated, for messages.
func WindowNames(windows []Window) string {
	names := make([]string, len(windows))
	for i, w := range windows {
		names[i] = w.Name
	}
	return strings.Join(names, ", ")
}

// Person is someone who can hold a role. Only ID leaves Steward in metrics.
type Person struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

// System is a service, application or configuration item.
type System struct {
	ID      string      `yaml:"id"`
	Aliases []string    `yaml:"aliases"`
	Tier    int         `yaml:"tier"`
	Program string      `yaml:"program"`
	Owners  []Ownership `yaml:"owners"` // sorted by Since after Load
}

// Ownership makes Owner accountable for a system from Since until the next
// entry's Since.
type Ownership struct {
	Owner string    `yaml:"owner"`
	Since time.Time `yaml:"since"`
}

// Program is a named group of systems. Manager is optional.
type Program struct {
	ID      string `yaml:"id"`
	Manager string `yaml:"manager"`
}

// Processes holds the two ITSM processes Steward measures. Both are
// optional: a nil process is one the file does not name, and then its
// process_owner and process_manager roles have no subject for that kind.
type Processes struct {
	Incident *Process `yaml:"incident"`
	Change   *Process `yaml:"change"`
}

// Process has exactly one owner and any number of scoped managers; each
// manager appears once per process.
type Process struct {
	Owner    string           `yaml:"owner"`
	Managers []ProcessManager `yaml:"managers"`
}

// ProcessManager runs a process for the records whose team or system is in
// their scope. A manager with neither teams nor systems has nothing
// attributed (but still a scorecard).
type ProcessManager struct {
	Manager string   `yaml:"manager"`
	Teams   []string `yaml:"teams"`
	Systems []string `yaml:"systems"` // system ids or aliases, resolved by Load to ids
}

// Policy holds the rules KPIs are computed by.
type Policy struct {
	ChangeFailureFromIncidents bool                  `yaml:"change_failure_from_incidents"`
	ChangeEnvironments         []string              `yaml:"change_environments"`
	Review                     ReviewPolicy          `yaml:"review"`
	SLA                        map[int]time.Duration `yaml:"-"` // resolution target by severity
	Availability               AvailabilityPolicy    `yaml:"availability"`
	// SecurityCategories are the incident categories that are security
	// incidents (default [security]).
	SecurityCategories []string `yaml:"security_categories"`
}

// ReviewPolicy says which incidents need a post-incident review and when it
// is due after resolution.
type ReviewPolicy struct {
	SeverityThreshold int           `yaml:"severity_threshold"`
	Due               time.Duration `yaml:"-"`
	// Signoff lists the roles (record.SignoffRoles) whose sign-off a
	// required review needs besides completed_at; empty: none.
	Signoff []string `yaml:"signoff"`
	// ActionDue is the due time of a review action item without one,
	// after the review's own due time.
	ActionDue time.Duration `yaml:"-"`
}

// AvailabilityPolicy says how much degraded time counts as downtime (0..1).
type AvailabilityPolicy struct {
	DegradedWeight float64 `yaml:"degraded_weight"`
}

// Objective is a scorecard target for one KPI. Warning is optional: without
// it a value is either meeting the objective or in breach.
type Objective struct {
	Objective float64  `yaml:"objective"`
	Warning   *float64 `yaml:"warning"`
}

// System returns the system a record's system field names, by id or alias.
// Names match exactly (case matters).
func (c *Config) System(name string) (*System, bool) {
	if c.systemByName == nil { // a Config built as a literal, not by Parse
		for i := range c.Systems {
			if s := &c.Systems[i]; s.ID == name || slices.Contains(s.Aliases, name) {
				return s, true
			}
		}
		return nil, false
	}
	s, ok := c.systemByName[name]
	return s, ok
}

// Program returns a program by id.
func (c *Config) Program(id string) (*Program, bool) {
	if c.programByID == nil {
		i := slices.IndexFunc(c.Programs, func(p Program) bool { return p.ID == id })
		if i < 0 {
			return nil, false
		}
		return &c.Programs[i], true
	}
	p, ok := c.programByID[id]
	return p, ok
}

// Person returns a person by id.
func (c *Config) Person(id string) (*Person, bool) {
	if c.personByID == nil {
		i := slices.IndexFunc(c.People, func(p Person) bool { return p.ID == id })
		if i < 0 {
			return nil, false
		}
		return &c.People[i], true
	}
	p, ok := c.personByID[id]
	return p, ok
}

// index sorts each system's owners by since, resolves the systems in process
// managers' scopes to ids and builds the look-up maps. Parse calls it once
// the configuration is valid, so every name resolves.
func (c *Config) index() {
	c.personByID = make(map[string]*Person, len(c.People))
	for i := range c.People {
		c.personByID[c.People[i].ID] = &c.People[i]
	}
	c.programByID = make(map[string]*Program, len(c.Programs))
	for i := range c.Programs {
		c.programByID[c.Programs[i].ID] = &c.Programs[i]
	}
	c.systemByName = make(map[string]*System, len(c.Systems))
	for i := range c.Systems {
		s := &c.Systems[i]
		sort.SliceStable(s.Owners, func(a, b int) bool { return s.Owners[a].Since.Before(s.Owners[b].Since) })
		c.systemByName[s.ID] = s
		for _, a := range s.Aliases {
			c.systemByName[a] = s
		}
	}
	c.indexRACI()
	for _, p := range []*Process{c.Processes.Incident, c.Processes.Change} {
		if p == nil {
			continue
		}
		for i := range p.Managers {
			m := &p.Managers[i]
			var ids []string
			for _, name := range m.Systems {
				if s, ok := c.systemByName[name]; ok && !slices.Contains(ids, s.ID) {
					ids = append(ids, s.ID)
				}
			}
			m.Systems = ids
		}
	}
}

// OwnerAt returns who owned the system at t, or "" if nobody did.
func (s *System) OwnerAt(t time.Time) string {
	i := sort.Search(len(s.Owners), func(i int) bool { return s.Owners[i].Since.After(t) })
	if i == 0 {
		return ""
	}
	return s.Owners[i-1].Owner
}
