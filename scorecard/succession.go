package scorecard

import (
	"cmp"
	"slices"
)

// successions sets each failed change's next: the finished_at of the next
// success change of the same system after it (SPEC 4, Recovery), among
// the completed changes in a counted environment. The same system is the
// same configured system, or for a change whose system matches none the
// same unmatched name; both follow the config, so the state keeps them.
type successions struct {
	// groups lists, per system key, the change slots placed in it (some
	// may have moved on since: a group is filtered when relinked)
	groups map[int64][]int32
	// placed is each change slot's system key, noGroup when not counted
	placed []int64
}

const noGroup = int64(-1) << 62

// groupKey is the system key of change i: its configured system, else its
// system name's symbol (negative); noGroup for a change no recovery reads.
func groupKey(st *state, x *index, i int) int64 {
	c := &x.changes[i]
	switch {
	case !st.r.counted(c) || !completed(c) || c.finished == absent:
		return noGroup
	case st.m.chgSys[i] >= 0:
		return int64(st.m.chgSys[i])
	}
	return -1 - int64(c.system)
}

// newSuccessions groups every change and sets every next.
func newSuccessions(st *state, x *index) *successions {
	s := &successions{groups: map[int64][]int32{}}
	all := make([]int, len(x.changes))
	for i := range all {
		all[i] = i
	}
	s.update(st, x, all)
	return s
}

// update places the changes in slots (new or replaced) and relinks the
// groups they left or joined. It returns the changes whose next changed,
// as they were before.
func (s *successions) update(st *state, x *index, slots []int) map[int]change {
	dirty := map[int64]bool{}
	for _, i := range slots {
		for len(s.placed) <= i {
			s.placed = append(s.placed, noGroup)
		}
		k := groupKey(st, x, i)
		if old := s.placed[i]; old != noGroup {
			dirty[old] = true
		}
		s.placed[i] = k
		if k != noGroup {
			dirty[k] = true
			s.groups[k] = append(s.groups[k], int32(i))
		}
	}
	changed := map[int]change{}
	for k := range dirty {
		s.relink(x, k, changed)
	}
	return changed
}

// relink sets the next of the failed changes of group k.
func (s *successions) relink(x *index, k int64, changed map[int]change) {
	slots := slices.DeleteFunc(s.groups[k], func(i int32) bool { return s.placed[i] != k })
	slices.Sort(slots)
	slots = slices.Compact(slots)
	s.groups[k] = slots
	if len(slots) == 0 {
		delete(s.groups, k)
		return
	}
	type done struct {
		at  int64
		est bool
	}
	var successes []done
	for _, i := range slots {
		if c := &x.changes[i]; c.outcome == symSuccess {
			successes = append(successes, done{c.finished, c.estimated&estFinished != 0})
		}
	}
	slices.SortFunc(successes, func(a, b done) int { return cmp.Compare(a.at, b.at) })
	for _, i := range slots {
		c := &x.changes[i]
		if c.outcome == symSuccess {
			continue
		}
		next, est := int64(absent), false
		j, _ := slices.BinarySearchFunc(successes, c.finished+1, func(d done, t int64) int { return cmp.Compare(d.at, t) })
		if j < len(successes) {
			// several successes finished at once: the time is known if
			// any of them measured it
			next, est = successes[j].at, true
			for ; j < len(successes) && successes[j].at == next; j++ {
				est = est && successes[j].est
			}
		}
		if c.next != next || c.nextEst != est {
			if _, seen := changed[int(i)]; !seen {
				changed[int(i)] = *c
			}
			c.next, c.nextEst = next, est
		}
	}
}
