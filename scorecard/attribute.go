package scorecard

import (
	"hash/maphash"
	"runtime"
	"slices"
	"sort"
	"sync"
	"unsafe"

	"github.com/steward-sh/steward/config"
)

// tenure is one owner's stretch of a system, [from, to) in unix micros.
type tenure struct {
	owner    int32
	from, to int64
}

// sysInfo is a configured system with the subjects it is attributed to.
type sysInfo struct {
	cfg     *config.System
	subject int32
	program int32 // -1 without one
	manager int32 // program manager, -1 without one
	tenures []tenure
}

// ownerAt returns the system_owner subject at t, or -1.
func (s *sysInfo) ownerAt(t int64) int32 {
	i := sort.Search(len(s.tenures), func(i int) bool { return s.tenures[i].to > t })
	if i < len(s.tenures) && s.tenures[i].from <= t {
		return s.tenures[i].owner
	}
	return -1
}

// scope is a process manager's scope.
type scope struct {
	subject int32
	teams   map[string]bool
	systems map[string]bool // system ids
}

func (s *scope) covers(team string, sys *sysInfo) bool {
	return (team != "" && s.teams[team]) || (sys != nil && s.systems[sys.cfg.ID])
}

// model is the attribution of every record under one config: it is rebuilt
// when the config changes, so fixing an alias or an owner corrects history.
type model struct {
	cfg       *config.Config
	subj      *subjects
	systems   []sysInfo
	sysByName map[string]int32
	sysBySym  []int32 // by record system symbol; -2 not resolved yet
	global    int32
	// per process kind: owner subject (-1 without a process) and managers
	procOwner    [2]int32
	procManagers [2][]scope
	// per record: its system (-1 unattributed) and its attribution's
	// number in entries
	incSys  []int32
	chgSys  []int32
	incAttr []uint32
	chgAttr []uint32
	lists   attrLists
	scratch []int32
	// entries are the distinct attributions: records of one kind, system,
	// team and owner's tenure share one, found through bySym
	entries []attrEntry
	// bySym lists, per kind and record system symbol, the entries of
	// records naming that system: a few dozen, told apart by team and
	// tenure
	bySym [2][][]entryRef
}

// entryRef is an attribution entry as bySym lists it: what tells apart
// the entries of one system symbol sits in the list, so that finding one
// reads a few bytes in a row rather than entries all over memory.
type entryRef struct {
	team   sym
	tenure int32
	n      uint32
}

// attrEntry is one distinct attribution: the record's configured system
// (-1 none), the owner's tenure of it at the attribution time (-1 none),
// and the number of the list of subjects it counts for; team is the
// record's team symbol.
type attrEntry struct {
	sys, tenure int32
	team        sym
	list        uint32
}

// attrLists keeps each distinct list of subjects once: records share a few
// thousand lists (a system, its owner at the time, a team), so a record
// holds a list number instead of a slice of its own. The lists are found
// through an open-addressing hash table of list numbers, which costs no
// key of its own per list.
type attrLists struct {
	subjects []int32  // every list, back to back
	ends     []uint32 // list n is subjects[ends[n-1]:ends[n]]
	table    []uint32 // list number + 1, 0 for an empty slot; a power of 2 long
	seed     maphash.Seed
}

// get returns list n; callers must not modify it.
func (l *attrLists) get(n uint32) []int32 {
	start := uint32(0)
	if n > 0 {
		start = l.ends[n-1]
	}
	return l.subjects[start:l.ends[n]:l.ends[n]]
}

func (l *attrLists) hash(list []int32) int {
	return int(maphash.Bytes(l.seed, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(list))), 4*len(list))))
}

// number returns the number of a list, adding it if new.
func (l *attrLists) number(list []int32) uint32 {
	if 4*(len(l.ends)+1) > 3*len(l.table) {
		l.rehash(max(64, 2*len(l.table)))
	}
	mask := len(l.table) - 1
	i := l.hash(list) & mask
	for ; l.table[i] != 0; i = (i + 1) & mask {
		if n := l.table[i] - 1; slices.Equal(l.get(n), list) {
			return n
		}
	}
	n := uint32(len(l.ends))
	l.subjects = append(l.subjects, list...)
	l.ends = append(l.ends, uint32(len(l.subjects)))
	l.table[i] = n + 1
	return n
}

// reserve makes room for n more lists, holding `subjects` subjects in
// all: numbering them then neither rehashes the table nor grows the arrays.
func (l *attrLists) reserve(n, subjects int) {
	size := max(64, len(l.table))
	for 4*(len(l.ends)+n+1) > 3*size {
		size *= 2
	}
	if size != len(l.table) {
		l.rehash(size)
	}
	l.ends = slices.Grow(l.ends, n)
	l.subjects = slices.Grow(l.subjects, subjects)
}

func (l *attrLists) rehash(size int) {
	if l.table == nil {
		l.seed = maphash.MakeSeed()
	}
	l.table = make([]uint32, size)
	mask := size - 1
	for n := range l.ends {
		i := l.hash(l.get(uint32(n))) & mask
		for l.table[i] != 0 {
			i = (i + 1) & mask
		}
		l.table[i] = uint32(n + 1)
	}
}

// incSubjects and chgSubjects return the subjects record i counts for.
func (m *model) incSubjects(i int) []int32 { return m.subjectsOf(m.incAttr[i]) }

func (m *model) chgSubjects(i int) []int32 { return m.subjectsOf(m.chgAttr[i]) }

// subjectsOf returns the subjects of attribution entry n.
func (m *model) subjectsOf(n uint32) []int32 { return m.lists.get(m.entries[n].list) }

const (
	procIncident = 0
	procChange   = 1
)

func newModel(cfg *config.Config) *model {
	m := &model{cfg: cfg, subj: newSubjects(cfg), sysByName: map[string]int32{}}
	m.global = m.subj.lookup(Subject{RoleGlobal, GlobalSubject})
	for i := range cfg.Systems {
		s := &cfg.Systems[i]
		info := sysInfo{cfg: s, subject: m.subj.lookup(Subject{RoleSystem, s.ID}), program: -1, manager: -1}
		if p, ok := cfg.Program(s.Program); ok {
			info.program = m.subj.lookup(Subject{RoleProgram, p.ID})
			info.manager = m.subj.lookup(Subject{RoleProgramManager, p.Manager})
		}
		for j, o := range s.Owners {
			t := tenure{owner: m.subj.lookup(Subject{RoleSystemOwner, o.Owner}), from: micros(o.Since), to: math64Max}
			if j+1 < len(s.Owners) {
				t.to = micros(s.Owners[j+1].Since)
			}
			info.tenures = append(info.tenures, t)
		}
		m.sysByName[s.ID] = int32(len(m.systems))
		m.systems = append(m.systems, info)
	}
	m.procOwner = [2]int32{-1, -1}
	for k, p := range [2]*config.Process{cfg.Processes.Incident, cfg.Processes.Change} {
		if p == nil {
			continue
		}
		m.procOwner[k] = m.subj.lookup(Subject{RoleProcessOwner, p.Owner})
		for _, mg := range p.Managers {
			sc := scope{subject: m.subj.lookup(Subject{RoleProcessManager, mg.Manager}), teams: map[string]bool{}, systems: map[string]bool{}}
			for _, t := range mg.Teams {
				sc.teams[t] = true
			}
			for _, s := range mg.Systems {
				if sys, ok := cfg.System(s); ok {
					sc.systems[sys.ID] = true
				}
			}
			m.procManagers[k] = append(m.procManagers[k], sc)
		}
	}
	return m
}

const math64Max = int64(^uint64(0) >> 1)

// system resolves a record's system name to a configured system (-1 if none).
func (m *model) system(name string) int32 {
	if i, ok := m.sysByName[name]; ok {
		return i
	}
	i := int32(-1)
	if s, ok := m.cfg.System(name); ok {
		if j, ok := m.sysByName[s.ID]; ok {
			i = j
		}
	}
	m.sysByName[name] = i
	return i
}

// attribute lists the subjects a record counts for (SPEC section 1) and
// returns the list's number.
func (m *model) attribute(kind int, si int32, team string, tenure int) uint32 {
	m.scratch = m.subjectList(m.scratch[:0], kind, si, team, tenure, m.teamOf(team))
	return m.lists.number(m.scratch)
}

// teamOf returns the subject of a record's team (-1 none), adding it the
// first time it is seen.
func (m *model) teamOf(team string) int32 {
	if team == "" {
		return -1
	}
	return m.subj.team(team)
}

// subjectList appends to out the subjects a record of a kind, system si,
// team (whose subject is teamSubj) and tenure counts for, each once. It
// only reads the model: attributeAll runs it on every CPU.
func (m *model) subjectList(out []int32, kind int, si int32, team string, tenure int, teamSubj int32) []int32 {
	base := len(out)
	add := func(s int32) {
		if s < 0 || slices.Contains(out[base:], s) {
			return
		}
		out = append(out, s)
	}
	var sys *sysInfo
	if si >= 0 {
		sys = &m.systems[si]
		add(sys.subject)
		if tenure >= 0 {
			add(sys.tenures[tenure].owner)
		}
		add(sys.program)
		add(sys.manager)
	}
	add(m.procOwner[kind])
	for i := range m.procManagers[kind] {
		if sc := &m.procManagers[kind][i]; sc.covers(team, sys) {
			add(sc.subject)
		}
	}
	add(teamSubj)
	add(m.global)
	return out
}

// entry returns the number of a record's attribution entry, attributing it
// the first time its key is seen. Records repeat a few tens of thousands
// of keys, so most records cost one lookup.
func (m *model) entry(x *index, kind int, system, team sym, at int64) uint32 {
	si := m.sysOf(x, system)
	n, isNew := m.entryOf(kind, system, team, si, m.tenureOf(si, at))
	if isNew {
		en := &m.entries[n]
		en.list = m.attribute(kind, si, x.syms.name(team), int(en.tenure))
	}
	return n
}

// sysOf resolves a record system symbol to a configured system (-1 none).
func (m *model) sysOf(x *index, system sym) int32 {
	for int(system) >= len(m.sysBySym) {
		m.sysBySym = append(m.sysBySym, -2)
	}
	si := m.sysBySym[system]
	if si == -2 {
		si = m.system(x.syms.name(system))
		m.sysBySym[system] = si
	}
	return si
}

// tenureOf returns the tenure of system si holding t (-1 none).
func (m *model) tenureOf(si int32, t int64) int32 {
	if si < 0 {
		return -1
	}
	return int32(m.systems[si].tenureAt(t))
}

// entryOf returns the number of the entry of a key, adding it (without
// its list) if new.
func (m *model) entryOf(kind int, system, team sym, si, tenure int32) (n uint32, isNew bool) {
	by := &m.bySym[kind]
	for int(system) >= len(*by) {
		*by = append(*by, nil)
	}
	list := (*by)[system]
	if n, ok := find(list, team, tenure); ok {
		return n, false
	}
	n = uint32(len(m.entries))
	m.entries = append(m.entries, attrEntry{sys: si, tenure: tenure, team: team})
	(*by)[system] = append((*by)[system], entryRef{team, tenure, n})
	return n, true
}

// find looks for the entry of a team and tenure in a system symbol's list.
func find(list []entryRef, team sym, tenure int32) (uint32, bool) {
	for i, ref := range list {
		if ref.team == team && ref.tenure == tenure {
			// most records of a system share a team and tenure: keep
			// the last one found first
			list[0], list[i] = list[i], list[0]
			return ref.n, true
		}
	}
	return 0, false
}

// update brings the attribution up to date with the index: all records for
// a new model, only the touched ones otherwise.
func (m *model) update(x *index, full bool) {
	if full {
		m.attributeAll(x)
		return
	}
	for _, i := range x.touchedInc {
		for len(m.incSys) <= i {
			m.incSys, m.incAttr = append(m.incSys, -1), append(m.incAttr, 0)
		}
		m.attributeIncident(x, i)
	}
	for _, i := range x.touchedChg {
		for len(m.chgSys) <= i {
			m.chgSys, m.chgAttr = append(m.chgSys, -1), append(m.chgAttr, 0)
		}
		m.attributeChange(x, i)
	}
}

// attributeAll attributes every record on two CPUs. Each lists the
// distinct keys (kind, system symbol, team, tenure) of its share of the
// records, numbering each record's key in its list; the entries are then
// made from the lists, incidents' first, share after share and each in
// the order its keys were first seen, which is the order a single pass
// over the records would make them in (and see teams in, which matters
// past the teams limit); and each share's records renumbered.
func (m *model) attributeAll(x *index) {
	m.incSys, m.incAttr = make([]int32, len(x.incidents)), make([]uint32, len(x.incidents))
	m.chgSys, m.chgAttr = make([]int32, len(x.changes)), make([]uint32, len(x.changes))
	for s := range x.syms.names {
		m.sysOf(x, sym(s)) // so that the shares only read sysBySym
	}
	shares := min(2, runtime.GOMAXPROCS(0))
	seen := make([]shareKeys, shares)
	var wg sync.WaitGroup
	for w := range shares {
		wg.Go(func() {
			l := &seen[w]
			lo, hi := len(x.incidents)*w/shares, len(x.incidents)*(w+1)/shares
			for i := lo; i < hi; i++ {
				in := &x.incidents[i]
				si := m.sysBySym[in.system]
				m.incAttr[i] = l.number(procIncident, in.system, in.team, si, m.tenureOf(si, in.opened))
			}
			lo, hi = len(x.changes)*w/shares, len(x.changes)*(w+1)/shares
			for i := lo; i < hi; i++ {
				c := &x.changes[i]
				si := m.sysBySym[c.system]
				m.chgAttr[i] = l.number(procChange, c.system, c.team, si, m.tenureOf(si, c.attrTime()))
			}
		})
	}
	wg.Wait()
	m.makeEntries(x, seen)
	for w := range shares {
		wg.Go(func() {
			entry := seen[w].entry
			lo, hi := len(x.incidents)*w/shares, len(x.incidents)*(w+1)/shares
			for i := lo; i < hi; i++ {
				n := entry[procIncident][m.incAttr[i]]
				m.incSys[i], m.incAttr[i] = m.entries[n].sys, n
			}
			lo, hi = len(x.changes)*w/shares, len(x.changes)*(w+1)/shares
			for i := lo; i < hi; i++ {
				n := entry[procChange][m.chgAttr[i]]
				m.chgSys[i], m.chgAttr[i] = m.entries[n].sys, n
			}
		})
	}
	wg.Wait()
}

// makeEntries gives each share's keys their entries. The entries, and the
// team subjects, are made in order, one CPU finding the new keys; the
// lists of subjects of the new entries are then made on every CPU, and
// numbered in order again.
func (m *model) makeEntries(x *index, seen []shareKeys) {
	type fresh struct {
		n        uint32
		kind     int
		teamSubj int32
	}
	var made []fresh
	keys := 0
	for w := range seen {
		keys += len(seen[w].keys[procIncident]) + len(seen[w].keys[procChange])
	}
	m.entries = slices.Grow(m.entries, keys)
	for kind := range 2 {
		for w := range seen {
			l := &seen[w]
			l.entry[kind] = make([]uint32, len(l.keys[kind]))
			for j, k := range l.keys[kind] {
				n, isNew := m.entryOf(kind, k.system, k.team, k.si, k.tenure)
				if isNew {
					made = append(made, fresh{n, kind, m.teamOf(x.syms.name(k.team))})
				}
				l.entry[kind][j] = n
			}
		}
	}
	shares := len(seen)
	lists, ends := make([][]int32, shares), make([][]int, shares)
	var wg sync.WaitGroup
	for w := range shares {
		wg.Go(func() {
			lo, hi := share(len(made), w, shares)
			ends[w] = make([]int, 0, hi-lo)
			for _, f := range made[lo:hi] {
				en := &m.entries[f.n]
				lists[w] = m.subjectList(lists[w], f.kind, en.sys, x.syms.name(en.team), int(en.tenure), f.teamSubj)
				ends[w] = append(ends[w], len(lists[w]))
			}
		})
	}
	wg.Wait()
	subjects := 0
	for _, l := range lists {
		subjects += len(l)
	}
	m.lists.reserve(len(made), subjects)
	j := 0
	for w := range shares {
		start := 0
		for _, end := range ends[w] {
			m.entries[made[j].n].list = m.lists.number(lists[w][start:end])
			start, j = end, j+1
		}
	}
}

// shareKeys lists, per kind, the distinct attribution keys of a share of
// the records, found as bySym finds entries.
type shareKeys struct {
	by    [2][][]entryRef // n: the key's number in keys
	keys  [2][]attrKey
	entry [2][]uint32 // each key's entry, once made
}

type attrKey struct {
	system, team sym
	si, tenure   int32
}

func (l *shareKeys) number(kind int, system, team sym, si, tenure int32) uint32 {
	by := &l.by[kind]
	for int(system) >= len(*by) {
		*by = append(*by, nil)
	}
	if n, ok := find((*by)[system], team, tenure); ok {
		return n
	}
	n := uint32(len(l.keys[kind]))
	l.keys[kind] = append(l.keys[kind], attrKey{system, team, si, tenure})
	(*by)[system] = append((*by)[system], entryRef{team, tenure, n})
	return n
}

func (m *model) attributeIncident(x *index, i int) {
	in := &x.incidents[i]
	n := m.entry(x, procIncident, in.system, in.team, in.opened)
	m.incSys[i], m.incAttr[i] = m.entries[n].sys, n
}

func (m *model) attributeChange(x *index, i int) {
	c := &x.changes[i]
	n := m.entry(x, procChange, c.system, c.team, c.attrTime())
	m.chgSys[i], m.chgAttr[i] = m.entries[n].sys, n
}
