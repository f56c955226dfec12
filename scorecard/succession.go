package scorecard

import (
	"cmp"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
)

// successions sets each failed change's next: the finished_at of the next
// success change of the same system after it (SPEC 4, Recovery), among
// the completed changes in a counted environment. The same system is the
// same configured system, or for a change whose system matches none the
// same unmatched name; both follow the config, so the state keeps them.
// Per system it keeps the successes and the failures sorted by finish, so
// that a write recomputes only the failures whose next it can move.
type successions struct {
	groups map[int32]*succGroup
	placed []placement // by change slot
}

// placement is where a change slot was last placed.
type placement struct {
	finished int64
	key      int32 // its group, noGroup when no recovery reads it
	success  bool
}

type succGroup struct {
	successes []succ // sorted by at
	failures  []succ // sorted by at, then slot
}

type succ struct {
	at   int64
	slot int32
	est  bool
}

// noGroup is below every group key: configured systems number from 0 up,
// unmatched names from -1 down by symbol, and symbols stay far below 2³¹.
// Keys are 32 bits so that a placement, one per change, takes 16 bytes.
const noGroup = int32(math.MinInt32)

// placementOf says where change i belongs: its configured system, else
// its system name's symbol (negative); noGroup for a change no recovery
// reads.
func placementOf(st *state, x *index, i int) placement {
	c := &x.changes[i]
	if !st.r.counted(c) || !completed(c) || c.finished == absent {
		return placement{key: noGroup}
	}
	p := placement{key: -1 - int32(c.system), finished: c.finished, success: c.outcome == symSuccess}
	if st.m.chgSys[i] >= 0 {
		p.key = st.m.chgSys[i]
	}
	return p
}

func compareSucc(a, b succ) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.slot, b.slot)
}

// newSuccessions places every change and sets every next, on every CPU.
func newSuccessions(st *state, x *index) *successions {
	s := &successions{placed: make([]placement, len(x.changes))}
	workers := min(2, runtime.GOMAXPROCS(0))
	// each CPU places a share of the changes in groups of its own, joined
	// share after share: the order of the groups' changes does not
	// matter, they are sorted next
	shares := make([]successions, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			own := &shares[w]
			own.groups = map[int32]*succGroup{}
			lo, hi := share(len(x.changes), w, workers)
			for i := lo; i < hi; i++ {
				p := placementOf(st, x, i)
				s.placed[i] = p
				if p.key == noGroup {
					continue
				}
				g := own.group(p.key)
				e := succ{at: p.finished, slot: int32(i), est: x.changes[i].estimated&estFinished != 0}
				if p.success {
					g.successes = append(g.successes, e)
				} else {
					g.failures = append(g.failures, e)
				}
			}
		})
	}
	wg.Wait()
	s.groups = shares[0].groups
	for _, sh := range shares[1:] {
		for k, g := range sh.groups {
			if into := s.groups[k]; into != nil {
				into.successes = append(into.successes, g.successes...)
				into.failures = append(into.failures, g.failures...)
			} else {
				s.groups[k] = g
			}
		}
	}
	// each group sets the nexts of its own failures: the groups are
	// shared out to every CPU
	groups := slices.Collect(maps.Values(s.groups))
	for w := range workers {
		wg.Go(func() {
			for j := w; j < len(groups); j += workers {
				g := groups[j]
				// without the appends' slack: a fifth of the successes' memory
				g.successes, g.failures = fit(g.successes), fit(g.failures)
				slices.SortFunc(g.successes, compareSucc)
				slices.SortFunc(g.failures, compareSucc)
				for _, f := range g.failures {
					g.setNext(x, f, nil)
				}
			}
		})
	}
	wg.Wait()
	return s
}

func (s *successions) group(k int32) *succGroup {
	g := s.groups[k]
	if g == nil {
		g = &succGroup{}
		s.groups[k] = g
	}
	return g
}

// update places the changes in slots (new or replaced) again. It returns
// the changes whose next changed, as they were before.
func (s *successions) update(st *state, x *index, slots []int) map[int]change {
	changed := map[int]change{}
	// the failures to set again: per group, those finished in [lo, hi)
	type span struct{ lo, hi int64 }
	spans := map[int32][]span{}
	var fresh []succ // failures placed anew
	for _, i := range slots {
		for len(s.placed) <= i {
			s.placed = append(s.placed, placement{key: noGroup})
		}
		old, now := s.placed[i], placementOf(st, x, i)
		if old == now && !now.success {
			// the same failure: its next may still move if a success moved
			fresh = append(fresh, succ{at: now.finished, slot: int32(i)})
			continue
		}
		if old.key != noGroup {
			g := s.groups[old.key]
			e := succ{at: old.finished, slot: int32(i)}
			if old.success {
				g.successes = remove(g.successes, e)
				spans[old.key] = append(spans[old.key], span{g.before(old.finished), old.finished})
			} else {
				g.failures = remove(g.failures, e)
			}
		}
		s.placed[i] = now
		if now.key == noGroup {
			continue
		}
		g := s.group(now.key)
		e := succ{at: now.finished, slot: int32(i), est: x.changes[i].estimated&estFinished != 0}
		if now.success {
			g.successes = insert(g.successes, e)
			spans[now.key] = append(spans[now.key], span{g.before(now.finished), now.finished})
		} else {
			g.failures = insert(g.failures, e)
			fresh = append(fresh, e)
		}
	}
	for k, ss := range spans {
		g := s.groups[k]
		for _, sp := range ss {
			lo, _ := slices.BinarySearchFunc(g.failures, sp.lo, func(e succ, t int64) int { return cmp.Compare(e.at, t) })
			for j := lo; j < len(g.failures) && g.failures[j].at < sp.hi; j++ {
				g.setNext(x, g.failures[j], changed)
			}
		}
	}
	for _, f := range fresh {
		if p := s.placed[f.slot]; p.key != noGroup && !p.success {
			s.groups[p.key].setNext(x, f, changed)
		}
	}
	return changed
}

// before is the finish of the latest success before t, MinInt64 none: the
// failures from it up to t are those a success at t can be next for.
func (g *succGroup) before(t int64) int64 {
	j, _ := slices.BinarySearchFunc(g.successes, t, func(e succ, t int64) int { return cmp.Compare(e.at, t) })
	if j == 0 {
		return math.MinInt64
	}
	return g.successes[j-1].at
}

// setNext sets failure f's next from the group's successes, noting in
// changed (when not nil) its earlier version if it moves.
func (g *succGroup) setNext(x *index, f succ, changed map[int]change) {
	next, est := int64(absent), false
	j, _ := slices.BinarySearchFunc(g.successes, f.at+1, func(e succ, t int64) int { return cmp.Compare(e.at, t) })
	if j < len(g.successes) {
		// several successes finished at once: the time is known if any
		// of them measured it
		next, est = g.successes[j].at, true
		for ; j < len(g.successes) && g.successes[j].at == next; j++ {
			est = est && g.successes[j].est
		}
	}
	c := &x.changes[f.slot]
	if c.next == next && c.nextEst == est {
		return
	}
	if changed != nil {
		if _, seen := changed[int(f.slot)]; !seen {
			changed[int(f.slot)] = *c
		}
	}
	c.next, c.nextEst = next, est
}

func insert(s []succ, e succ) []succ {
	j, _ := slices.BinarySearchFunc(s, e, compareSucc)
	return slices.Insert(s, j, e)
}

func remove(s []succ, e succ) []succ {
	if j, found := slices.BinarySearchFunc(s, e, compareSucc); found {
		return slices.Delete(s, j, j+1)
	}
	return s
}
