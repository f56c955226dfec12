package scorecard

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// SampleSource is where the engine reads measurement samples (SPEC section
// 9) from: the store, which the measurements reader fills.
type SampleSource interface {
	Samples(ctx context.Context, after int64, limit int) ([]record.Sample, error)
}

// unmeasured is the set of measurement KPIs cfg does not read: they are
// defined for no subject, so a config without measurements shows none.
func unmeasured(cfg *config.Config) set {
	all := set(1<<MeasuredUptimeRatio | 1<<ResponseTimeComplianceRatio | 1<<MeasurementCoverageRatio | 1<<UnattributedMeasurements)
	m := cfg.Measurements
	if m == nil {
		return all
	}
	var s set
	if m.Uptime == nil {
		s |= 1 << MeasuredUptimeRatio
	}
	if m.ResponseTime == nil {
		s |= 1 << ResponseTimeComplianceRatio
	}
	return s
}

// measurements holds every sample read from the store, by key, and a view
// of them by configured system, built for the config in force when it or
// the samples change. Attribution to owners, programs and the global
// subject reads the subjects' spans (exposure.go): the systems each one
// answers for, and when.
type measurements struct {
	mu   sync.Mutex
	seq  int64
	raw  map[record.SampleKey]float64
	gen  uint64
	view *measView
}

// numMeasures: uptime is measure 0, response time 1.
const numMeasures = 2

func measureIndex(m record.Measure) int {
	if m == record.MeasureResponseTime {
		return 1
	}
	return 0
}

// series is one system's samples of one measure, by time, with prefix sums
// of their values and prefix counts of those within the objective.
type series struct {
	at  []int64 // micros, ascending
	pre []float64
	ok  []int32
}

// window returns the samples in [from, to) as index bounds.
func (s *series) window(from, to int64) (int, int) {
	a, _ := slices.BinarySearch(s.at, from)
	b, _ := slices.BinarySearch(s.at, to)
	return a, b
}

type measView struct {
	cfg          *config.Config
	gen          uint64
	step         int64 // micros
	measures     int   // how many are read
	sys          [][numMeasures]series
	unattributed [numMeasures]series
}

// syncSamples takes in the measurement samples written since the last
// sync; new ones make a new generation, as new records do.
func (e *Engine) syncSamples(ctx context.Context) error {
	if e.opts.Samples == nil {
		return nil
	}
	took, err := e.meas.sync(ctx, e.opts.Samples)
	if took {
		e.mu.Lock()
		e.gen++
		e.mu.Unlock()
	}
	return err
}

// sync reads the samples written since the last sync; it reports whether
// any came.
func (ms *measurements) sync(ctx context.Context, src SampleSource) (bool, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.raw == nil {
		ms.raw = map[record.SampleKey]float64{}
	}
	took := false
	for {
		page, err := src.Samples(ctx, ms.seq, syncPage)
		if err != nil {
			return took, fmt.Errorf("scorecard: read measurements: %w", err)
		}
		for i := range page {
			ms.raw[page[i].Key()] = page[i].Value
			ms.seq = max(ms.seq, page[i].Seq)
		}
		if len(page) > 0 {
			took = true
			ms.gen++
		}
		if len(page) < syncPage {
			return took, nil
		}
	}
}

// viewFor returns the samples by configured system of cfg, building them
// when cfg or the samples changed; nil when cfg reads no measurements.
func (ms *measurements) viewFor(cfg *config.Config) *measView {
	if cfg.Measurements == nil {
		return nil
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if v := ms.view; v != nil && v.cfg == cfg && v.gen == ms.gen {
		return v
	}
	ms.view = buildMeasView(cfg, ms.raw, ms.gen)
	return ms.view
}

type point struct {
	at int64
	v  float64
}

func buildMeasView(cfg *config.Config, raw map[record.SampleKey]float64, gen uint64) *measView {
	m := cfg.Measurements
	v := &measView{cfg: cfg, gen: gen, step: m.Step.Microseconds(), sys: make([][numMeasures]series, len(cfg.Systems))}
	if m.Uptime != nil {
		v.measures++
	}
	if m.ResponseTime != nil {
		v.measures++
	}
	objective := 0.0
	if m.ResponseTime != nil {
		objective = m.ResponseTime.Objective
	}
	index := make(map[string]int, len(cfg.Systems))
	for i := range cfg.Systems {
		index[cfg.Systems[i].ID] = i
	}
	bySys := make([][numMeasures][]point, len(cfg.Systems))
	var unattributed [numMeasures][]point
	for k, val := range raw {
		mi := measureIndex(k.Measure)
		if s, ok := cfg.System(k.Series); ok {
			i := index[s.ID]
			bySys[i][mi] = append(bySys[i][mi], point{k.At, val})
		} else {
			unattributed[mi] = append(unattributed[mi], point{k.At, val})
		}
	}
	for i := range bySys {
		for mi := range numMeasures {
			v.sys[i][mi] = newSeries(bySys[i][mi], objective)
		}
	}
	for mi := range numMeasures {
		v.unattributed[mi] = newSeries(unattributed[mi], objective)
	}
	return v
}

// newSeries sorts points by time; the points of one step from several
// series naming the same system (its id and an alias) are one sample,
// their mean.
func newSeries(ps []point, objective float64) series {
	slices.SortFunc(ps, func(a, b point) int { return cmp.Compare(a.at, b.at) })
	s := series{pre: []float64{0}, ok: []int32{0}}
	for i := 0; i < len(ps); {
		j, sum := i, 0.0
		for ; j < len(ps) && ps[j].at == ps[i].at; j++ {
			sum += ps[j].v
		}
		mean := sum / float64(j-i)
		s.at = append(s.at, ps[i].at)
		s.pre = append(s.pre, s.pre[len(s.pre)-1]+mean)
		ok := s.ok[len(s.ok)-1]
		if mean <= objective {
			ok++
		}
		s.ok = append(s.ok, ok)
		i = j
	}
	return s
}

// gridSteps counts the steps t (multiples of step since the epoch) with
// from ≤ t < to.
func gridSteps(from, to, step int64) int64 {
	ceil := func(a int64) int64 {
		q := a / step
		if a%step != 0 && a > 0 {
			q++
		}
		return q
	}
	return max(0, ceil(to)-ceil(from))
}

// measured is what samples add up to over some systems and times: the
// measurement KPIs' numerators and denominators.
type measured struct {
	n     [numMeasures]int // samples
	sum   float64          // of the uptime samples
	ok    int32            // response-time samples within the objective
	pairs int64            // (step, system) pairs in scope
}

// add counts system sys's samples and steps in [lo, hi).
func (v *measView) add(m *measured, sys int32, lo, hi int64) {
	m.pairs += gridSteps(lo, hi, v.step)
	s := &v.sys[sys]
	a, b := s[0].window(lo, hi)
	m.n[0] += b - a
	m.sum += s[0].pre[b] - s[0].pre[a]
	a, b = s[1].window(lo, hi)
	m.n[1] += b - a
	m.ok += s[1].ok[b] - s[1].ok[a]
}

// uptime, compliance and coverage are the KPIs of SPEC section 9 over what
// m counted; NaN without samples (or steps).
func (v *measView) ratios(m *measured) (uptime, compliance, coverage float64) {
	uptime, compliance, coverage = math.NaN(), math.NaN(), math.NaN()
	if m.n[0] > 0 {
		uptime = m.sum / float64(m.n[0])
	}
	if m.n[1] > 0 {
		compliance = float64(m.ok) / float64(m.n[1])
	}
	if m.pairs > 0 && v.measures > 0 {
		coverage = float64(m.n[0]+m.n[1]) / float64(m.pairs*int64(v.measures))
	}
	return uptime, compliance, coverage
}

// spanRange is the part of [from, at) span sp of a subject covers: a
// system owner's tenure, or the whole of it for the other roles.
func (st *state) spanRange(sp sysSpan, from, at int64) (int64, int64) {
	if sp.tenure < 0 {
		return from, at
	}
	t := st.m.systems[sp.sys].tenures[sp.tenure]
	return max(t.from, from), min(t.to, at)
}

// fill sets subject si's measurement KPIs over [from, at) (SPEC section
// 9): the samples of the systems it answers for, each while it did.
func (v *measView) fill(out *Values, st *state, si int32, from, at int64) {
	if v == nil || int(si) >= len(st.spans) {
		return
	}
	var m measured
	for _, sp := range st.spans[si] {
		if lo, hi := st.spanRange(sp, from, at); lo < hi {
			v.add(&m, sp.sys, lo, hi)
		}
	}
	u, c, cov := v.ratios(&m)
	if !math.IsNaN(u) {
		out[MeasuredUptimeRatio] = u
	}
	if !math.IsNaN(c) {
		out[ResponseTimeComplianceRatio] = c
	}
	if !math.IsNaN(cov) {
		out[MeasurementCoverageRatio] = cov
	}
	if si == st.m.global {
		count := 0
		for mi := range numMeasures {
			a, b := v.unattributed[mi].window(from, at)
			count += b - a
		}
		out[UnattributedMeasurements] = float64(count)
	}
}

// evidence is, for each system subject si answered for in [from, at), what
// its samples say over the subject's part of the window: the same spans
// and arithmetic as fill, system by system. nil when v is.
func (v *measView) evidence(st *state, si int32, from, at int64) map[int32]*MeasurementEvidence {
	if v == nil || int(si) >= len(st.spans) {
		return nil
	}
	bySys := map[int32]*measured{}
	for _, sp := range st.spans[si] {
		if lo, hi := st.spanRange(sp, from, at); lo < hi {
			m := bySys[sp.sys]
			if m == nil {
				m = &measured{}
				bySys[sp.sys] = m
			}
			v.add(m, sp.sys, lo, hi)
		}
	}
	out := make(map[int32]*MeasurementEvidence, len(bySys))
	for sys, m := range bySys {
		u, c, cov := v.ratios(m)
		e := &MeasurementEvidence{Steps: m.pairs, CoverageRatio: finite(cov), UptimeRatio: finite(u), ResponseTimeComplianceRatio: finite(c)}
		if v.cfg.Measurements.Uptime != nil {
			e.UptimeSamples = ptrInt(m.n[0])
		}
		if v.cfg.Measurements.ResponseTime != nil {
			e.ResponseTimeSamples = ptrInt(m.n[1])
		}
		out[sys] = e
	}
	return out
}

func finite(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func ptrInt(n int) *int { return &n }
