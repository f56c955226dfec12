package scorecard

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// tally is what one subject's populations hold for one window [from, at):
// per population the members placed in the window, the sum of their
// values, and the members placed before `at` (for point-in-time KPIs);
// and the window's values of the populations percentiles are taken of.
type tally struct {
	n     [numPop]int
	sum   [numPop]int64
	below [numPop]int
	ttrs  []int64
	leads []int64
	// collect says which of ttrs and leads are collected (srcTTRs,
	// srcLeads): an evaluation of KPIs that are no percentiles skips them
	collect source
	// near is the scratch of quantiles
	near []int64
}

func (t *tally) reset() {
	ttrs, leads, collect, near := t.ttrs[:0], t.leads[:0], t.collect, t.near
	*t = tally{ttrs: ttrs, leads: leads, collect: collect, near: near}
}

// kinds selects record kinds: a process owner counts only its process's.
type kinds uint8

const (
	kindIncident kinds = 1 << iota
	kindChange
	kindBoth = kindIncident | kindChange
)

func (k kinds) has(p pop) bool {
	if pops[p].change {
		return k&kindChange != 0
	}
	return k&kindIncident != 0
}

// popSet is a set of populations.
type popSet uint64

// counted returns the populations a subject counts: those of its record
// kinds, and the global-only ones for the global subject only.
func counted(k kinds, global bool) popSet {
	var s popSet
	for p := range numPop {
		if k.has(p) && (global || !pops[p].globalOnly) {
			s |= 1 << p
		}
	}
	return s
}

// plan is the windows a multi-window evaluation reads, all of them ending
// at or before the same time: their boundaries once each, in ascending
// order, and each window as the indices of its start and end among them.
// A part's position of every boundary is searched for once (from the
// latest down, each in what the later one left), whatever the number of
// windows that share it: the windows of a card and the previous ones end
// and start at the same instants.
type plan struct {
	bounds []int64
	spans  []planSpan
}

type planSpan struct{ from, to int }

// newPlan returns the plan of the windows [ends[k]-lengths[k], ends[k]).
func newPlan(ends, lengths []int64) *plan {
	pl := &plan{}
	for k := range ends {
		pl.bounds = append(pl.bounds, ends[k]-lengths[k], ends[k])
	}
	slices.Sort(pl.bounds)
	pl.bounds = slices.Compact(pl.bounds)
	for k := range ends {
		from, _ := slices.BinarySearch(pl.bounds, ends[k]-lengths[k])
		to, _ := slices.BinarySearch(pl.bounds, ends[k])
		pl.spans = append(pl.spans, planSpan{from, to})
	}
	return pl
}

// touchPool reads, for each population in ps, the cache lines of pool q
// where addPoolPlan will likely look for pl's boundaries, and
// returns their sum. The loads do not depend on one another, so the
// processor has many of them under way at once, where addPoolPlan,
// waiting for each before deciding where to look next, would have them
// one by one: an evaluation's parts lie all over the index, so most of
// its cost is waiting for memory.
func touchPool(ti *timeIndex, q int32, pl *plan, ps popSet) int64 {
	bd := ti.bounds[q]
	if bd.first >= pl.bounds[len(pl.bounds)-1] || bd.last < pl.bounds[0] {
		return 0
	}
	spans := ti.spans[int(q)*int(numPop):][:numPop]
	var sum int64
	for ps &= ti.held[q]; ps != 0; ps &= ps - 1 {
		p := pop(bits.TrailingZeros64(uint64(ps)))
		sp := spans[p]
		n := int(sp.hi - sp.lo)
		c := class(p)
		keys, pre := &ti.keys[c], ti.pre[c]
		for _, t := range pl.bounds {
			g := min(max(guess(n, bd, t), 0), n-1)
			sum += keys.at(int(sp.lo) + g)
			if hasPre(c) {
				sum += pre[int(sp.lo)+g]
			}
		}
	}
	return sum
}

// addPoolPlan adds pool q's members of the populations in ps to ts[k] for
// each window k of pl; pos is scratch as long as pl.bounds. It counts what
// [from, at) holds the members with from ≤ key < at (counted when
// they count at `at`), and below those with key < at.
func addPoolPlan(ts []tally, ti *timeIndex, q int32, pl *plan, ps popSet, pos []int) {
	spans := ti.spans[int(q)*int(numPop):][:numPop]
	ps &= ti.held[q]
	bs := pl.bounds
	last := len(bs) - 1
	bd := ti.bounds[q]
	if bd.first >= bs[last] { // every member comes after every window
		return
	}
	before := bd.last < bs[0] // every member comes before every window
	for ; ps != 0; ps &= ps - 1 {
		p := pop(bits.TrailingZeros64(uint64(ps)))
		if before {
			n := int(spans[p].hi - spans[p].lo)
			for k := range pl.spans {
				ts[k].below[p] += n
			}
			continue
		}
		keys, pre, until := ti.part(spans[p], p)
		hi := keys.n
		for k := last; k >= 0; k-- {
			switch t := bs[k]; {
			case t > bd.last: // every member is earlier
			case t <= bd.first: // none is
				hi = 0
			default:
				hi = lowerBoundNear(keys, hi, t, guess(keys.n, bd, t))
			}
			pos[k] = hi
		}
		for k, sp := range pl.spans {
			ts[k].addRange(p, keys, pre, until, pos[sp.from], pos[sp.to], bs[sp.to])
		}
	}
}

// addPoolTrend adds pool q's members of the populations in ps to ts[k]
// for each window [ats[k]-length, ats[k]), ats in ascending order. Each
// window's positions are searched for from the last one's, so that the
// points of a trend cost little more than one.
func addPoolTrend(ts []tally, ti *timeIndex, q int32, ats []int64, length int64, ps popSet) {
	spans := ti.spans[int(q)*int(numPop):][:numPop]
	for ps &= ti.held[q]; ps != 0; ps &= ps - 1 {
		p := pop(bits.TrailingZeros64(uint64(ps)))
		keys, pre, until := ti.part(spans[p], p)
		a, b := 0, 0
		for k, at := range ats {
			b = lowerBound(keys, b, keys.n, at)
			a = lowerBound(keys, a, b, at-length)
			ts[k].addRange(p, keys, pre, until, a, b, at)
		}
	}
}

// part returns the keys of pool part sp of population p, and the prefix
// sums of their values and their until times (nil for a population
// without).
func (ti *timeIndex) part(sp part, p pop) (keys stamps, pre, until []int64) {
	c := class(p)
	keys = ti.keys[c].slice(int(sp.lo), int(sp.hi))
	if hasPre(c) {
		pre = ti.pre[c][sp.lo : sp.hi+1]
	}
	if hasUntil(c) {
		until = ti.until[sp.lo:sp.hi]
	}
	return keys, pre, until
}

// partIDs returns the record slots of the members of pool part sp of
// population p, nil for a population that is not listed.
func (ti *timeIndex) partIDs(sp part, p pop) []int32 {
	if c := class(p); hasIDs(c) {
		return ti.ids[c][sp.lo:sp.hi]
	}
	return nil
}

// addRange adds members [a, b) of a part of population p, those placed in
// the window, with b those placed before `at`; pre and until are the
// part's prefix sums and until times (nil for a population without).
func (t *tally) addRange(p pop, keys stamps, pre, until []int64, a, b int, at int64) {
	t.below[p] += b
	if a == b {
		return
	}
	if pre == nil {
		t.n[p] += b - a
		return
	}
	if until != nil {
		for i := a; i < b; i++ {
			if at <= until[i] {
				t.n[p]++
				t.sum[p] += pre[i+1] - pre[i]
			}
		}
		return
	}
	if pops[p].conditional {
		for i := a; i < b; i++ {
			if v := pre[i+1] - pre[i]; counts(keys.at(i), v, at) {
				t.n[p]++
				t.sum[p] += v
			}
		}
		return
	}
	t.n[p] += b - a
	t.sum[p] += pre[b] - pre[a]
	switch {
	case p == popResolved && t.collect&srcTTRs != 0:
		t.ttrs = appendDiffs(t.ttrs, pre[a:b+1])
	case p == popLead && t.collect&srcLeads != 0:
		t.leads = appendDiffs(t.leads, pre[a:b+1])
	}
}

func appendDiffs(out, pre []int64) []int64 {
	for i := 1; i < len(pre); i++ {
		out = append(out, pre[i]-pre[i-1])
	}
	return out
}

// addMembers adds (sign +1) or takes back (sign -1) one record version's
// members of the populations in ps placed in the window, as addPoolPlan
// counts them.
func (t *tally) addMembers(ms []member, from, at int64, ps popSet, sign int) {
	for _, mb := range ms {
		p := mb.pop
		info := &pops[p]
		if ps&(1<<p) == 0 {
			continue
		}
		if mb.key < at {
			t.below[p] += sign
		}
		if mb.key < from || mb.key >= at || (info.conditional && !counts(mb.key, mb.val, at)) || (info.expiring && at > mb.until) {
			continue
		}
		t.n[p] += sign
		t.sum[p] += int64(sign) * mb.val
		switch {
		case p == popResolved && t.collect&srcTTRs != 0:
			t.ttrs = changeValues(t.ttrs, mb.val, sign)
		case p == popLead && t.collect&srcLeads != 0:
			t.leads = changeValues(t.leads, mb.val, sign)
		}
	}
}

// changeValues adds v to the multiset, or takes one occurrence out.
func changeValues(vs []int64, v int64, sign int) []int64 {
	if sign > 0 {
		return append(vs, v)
	}
	for i, w := range vs {
		if w == v {
			vs[i] = vs[len(vs)-1]
			return vs[:len(vs)-1]
		}
	}
	return vs
}

// values turns a subject's tally into KPI values; the availability and
// systems_unowned are set by the caller.
func (t *tally) values(length int64) Values {
	days := (time.Duration(length) * time.Microsecond).Hours() / 24
	v := noValues()
	completed, failed := t.n[popCompleted], t.n[popFailedOutcome]+t.n[popCauseLinked]
	v[ChangesCompleted] = float64(completed)
	v[ChangesFailed] = float64(failed)
	v[ChangeSuccessRatio] = ratio(completed-failed, completed)
	v[EmergencyChangeRatio] = ratio(t.n[popEmergency], completed)
	v[UnauthorizedChanges] = float64(t.n[popUnauthorized])
	v[DeploymentsPerDay] = float64(completed-t.n[popFailedOutcome]) / days
	v[ChangeLeadTimeP50], v[ChangeLeadTimeP90] = t.quantiles(t.leads)
	total, openedBefore := 0, 0
	for sev := range 5 {
		v[IncidentsOpenedSev1+KPI(sev)] = float64(t.n[popOpened1+pop(sev)])
		total += t.n[popOpened1+pop(sev)]
		openedBefore += t.below[popOpened1+pop(sev)]
	}
	v[IncidentsOpened] = float64(total)
	resolved := t.n[popResolved]
	v[IncidentsResolved] = float64(resolved + t.n[popResolvedEstimated])
	v[MTTR] = mean(t.sum[popResolved], resolved)
	v[TimeToRestoreP50], v[TimeToRestoreP90] = t.quantiles(t.ttrs)
	v[MTTA] = mean(t.sum[popAcked]+t.sum[popAckedEarly], t.n[popAcked]+t.n[popAckedEarly])
	v[SLABreachRatio] = ratio(t.n[popBreach], resolved-t.n[popUntargeted])
	v[IncidentsOpen] = float64(openedBefore - t.below[popResolved] - t.below[popResolvedEstimated])
	v[ReviewComplianceRatio] = ratio(t.n[popReviewOnTime], t.n[popReviewDue])
	v[ReviewsOverdue] = float64(t.below[popReviewDue] - t.below[popReviewSettled])
	v[UnattributedIncidents] = float64(t.n[popUnattributedInc])
	v[UnattributedChanges] = float64(t.n[popUnattributedChg])
	v[RetroactiveChanges] = float64(t.n[popRetroactive])
	v[ChangeApprovalSeconds] = mean(t.sum[popApproved], t.n[popApproved])
	v[ChangeScheduleAdherenceRatio] = ratio(t.n[popOnSchedule], t.n[popPlanned])
	v[ReworkRatio] = ratio(t.n[popRework], completed)
	v[SecurityIncidents] = float64(t.n[popSecurity])
	v[SecurityMTTR] = mean(t.sum[popSecurityTTR], t.n[popSecurityTTR])
	v[MTTD] = mean(t.sum[popDetected], t.n[popDetected])
	v[TimeToMitigate] = mean(t.sum[popMitigated], t.n[popMitigated])
	v[EstimatedIncidents] = float64(t.n[popEstimatedInc])
	v[EstimatedChanges] = float64(t.n[popEstimatedChg])
	v[FailedDeploymentRecovery] = mean(t.sum[popRecovery], t.n[popRecovery])
	v[ReviewActionsOpen] = float64(t.below[popActionOpen] - t.below[popActionDone])
	v[ReviewActionsOverdue] = float64(t.below[popActionDue] - t.below[popActionDueDone])
	return v
}

// summaries are the populations the percentiles are taken of: the same
// members as t.ttrs and t.leads.
func (t *tally) summaries() Summaries {
	return Summaries{
		ChangeLeadTime: Summary{Count: t.n[popLead], Sum: seconds(t.sum[popLead])},
		TimeToRestore:  Summary{Count: t.n[popResolved], Sum: seconds(t.sum[popResolved])},
	}
}

// quantiles is quantiles(vs), taking the ranks of a large vs from the
// values near them only (see nearRanks).
func (t *tally) quantiles(vs []int64) (p50, p90 float64) {
	if len(vs) >= nearMin {
		if cap(t.near) < len(vs) {
			t.near = make([]int64, len(vs))
		}
		if p50, p90, ok := nearRanks(vs, t.near[:len(vs)]); ok {
			return p50, p90
		}
	}
	return quantiles(vs)
}

// nearMin is the least number of values nearRanks is worth its sample for.
const nearMin = 4096

// nearRanks returns the 0.5 and 0.9 percentiles of vs, as quantiles does,
// in about one pass over vs: the ranks each reads (floor(q·(n-1)) and the
// next one) are bracketed by values of a sorted sample of vs, a pass
// counts the values below each bracket and copies those inside it to
// scratch (as long as vs), and the ranks are selected among those. When a
// rank falls outside its bracket (the sample misled it, or many equal
// values straddle it) it reports !ok. vs is not modified.
func nearRanks(vs, scratch []int64) (p50, p90 float64, ok bool) {
	const m, reach = 1024, 64 // sample size; bracket half-width in sample ranks (4σ)
	n := len(vs)
	var sample [m]int64
	for i := range sample {
		sample[i] = vs[i*n/m]
	}
	slices.Sort(sample[:])
	ranks := [2]int{int(math.Floor(0.5 * float64(n-1))), int(math.Floor(0.9 * float64(n-1)))}
	var lo, hi [2]int64
	for r, rank := range ranks {
		i := rank * m / n
		lo[r], hi[r] = math.MinInt64, math.MaxInt64
		if i-reach >= 0 {
			lo[r] = sample[i-reach]
		}
		if i+reach < m {
			hi[r] = sample[i+reach]
		}
	}
	if hi[0] >= lo[1] { // the brackets overlap: many equal values
		return 0, 0, false
	}
	below := [2]int{}
	front, back := 0, n // bracket 0's values fill scratch from the front, 1's from the back
	for _, v := range vs {
		switch {
		case v < lo[0]:
			below[0]++
			below[1]++
		case v <= hi[0]:
			scratch[front] = v
			front++
			below[1]++
		case v < lo[1]:
			below[1]++
		case v <= hi[1]:
			back--
			scratch[back] = v
		}
	}
	var out [2]float64
	for r, in := range [2][]int64{scratch[:front], scratch[back:]} {
		k := ranks[r] - below[r]
		if k < 0 || k >= len(in) || ranks[r]+1 < n && k+1 >= len(in) {
			return 0, 0, false
		}
		x := selectRank(in, k)
		out[r] = seconds(x)
		if ranks[r]+1 < n {
			y := in[k+1]
			for _, v := range in[k+2:] {
				y = min(y, v)
			}
			q := []float64{0.5, 0.9}[r]
			pos := q * float64(n-1)
			a, b := seconds(x), seconds(y)
			out[r] = a + (pos-float64(ranks[r]))*(b-a)
		}
	}
	return out[0], out[1], true
}

// quantiles returns the 0.5 and 0.9 percentiles of durations (micros) in
// seconds; it reorders vs. The 0.9 one is taken first: the selection
// leaves the values below its rank in front, where the 0.5 one then only
// looks.
func quantiles(vs []int64) (p50, p90 float64) {
	p90 = quantile(vs, 0.9)
	if len(vs) > 0 {
		if k := int(math.Floor(0.9 * float64(len(vs)-1))); k+1 < len(vs) {
			// vs[:k+1] holds the k+1 smallest values, so the 0.5 ranks
			// (at most k) are found among them: rank k+1 is read from the
			// whole slice only when the 0.5 rank is k itself
			lo := int(math.Floor(0.5 * float64(len(vs)-1)))
			if lo+1 <= k {
				x := selectRank(vs[:k+1], lo)
				y := vs[lo+1]
				for _, v := range vs[lo+2 : k+1] {
					y = min(y, v)
				}
				pos := 0.5 * float64(len(vs)-1)
				a, b := seconds(x), seconds(y)
				return a + (pos-float64(lo))*(b-a), p90
			}
		}
	}
	return quantile(vs, 0.5), p90
}

// quantile interpolates linearly between closest ranks, as PostgreSQL's
// percentile_cont and NumPy's default do, and converts micros to seconds.
// It selects the two ranks it needs rather than sorting: the cost is
// linear in the window's values. It reorders vs.
func quantile(vs []int64, q float64) float64 {
	n := len(vs)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	x := selectRank(vs, lo)
	if lo+1 >= n {
		return seconds(x)
	}
	y := vs[lo+1]
	for _, v := range vs[lo+2:] {
		y = min(y, v)
	}
	a, b := seconds(x), seconds(y)
	return a + (pos-float64(lo))*(b-a)
}

// selectRank returns the k-th smallest value (from 0), leaving vs
// partitioned around it: vs[:k] ≤ vs[k] ≤ vs[k+1:].
func selectRank(vs []int64, k int) int64 {
	lo, hi := 0, len(vs)-1
	for hi > lo {
		if hi-lo < 16 {
			for i := lo + 1; i <= hi; i++ {
				for j := i; j > lo && vs[j] < vs[j-1]; j-- {
					vs[j], vs[j-1] = vs[j-1], vs[j]
				}
			}
			break
		}
		mid := lo + (hi-lo)/2
		// median of three as pivot
		if vs[mid] < vs[lo] {
			vs[mid], vs[lo] = vs[lo], vs[mid]
		}
		if vs[hi] < vs[lo] {
			vs[hi], vs[lo] = vs[lo], vs[hi]
		}
		if vs[hi] < vs[mid] {
			vs[hi], vs[mid] = vs[mid], vs[hi]
		}
		pivot := vs[mid]
		i, j := lo, hi
		for i <= j {
			for vs[i] < pivot {
				i++
			}
			for vs[j] > pivot {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return vs[k]
		}
	}
	return vs[k]
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

func ratio(n, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return float64(n) / float64(d)
}

// mean of n durations summing to sum micros, in seconds.
func mean(sum int64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(sum) / 1e6 / float64(n)
}
