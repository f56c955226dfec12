package exporter

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/raci"
	"github.com/steward-sh/steward/scorecard"
)

// emitFunc receives one sample. labels are in f.labels order and only valid
// during the call: the walk reuses the slice.
type emitFunc func(f *family, labels []string, v float64)

// walk emits every sample SPEC section 5 defines for a snapshot, within the
// export limits of cfg. The owners of steward_system_owner_info are those of
// cfg at the snapshot's evaluation time.
//
// Order: by window, then card (role, subject), then KPI; the writers that
// need a family's samples together group them themselves.
func walk(s *scorecard.Snapshot, cfg *config.Config, emit emitFunc) {
	var lim config.Export
	if cfg != nil {
		lim = cfg.Export
	}
	buf := make([]string, 0, 4)
	first := true // point-in-time KPIs come from the first exported window only
	for _, w := range s.Windows {
		if !lim.ExportsWindow(w.Name) {
			continue
		}
		for i := range s.Cards[w.Name] {
			c := &s.Cards[w.Name][i]
			if !lim.ExportsRole(string(c.Role)) {
				continue
			}
			card(c, first, buf, emit)
		}
		first = false
	}
	objectives(s.Objectives, buf, emit)
	if cfg != nil {
		owners(cfg, s, buf, emit)
		accountability(cfg, s, buf, emit)
		routes(cfg, s, buf, emit)
	}
}

// routes emits, once per exported subject, who its KPI alerts go to, so
// alert rules can copy them into labels Alertmanager routes on: a system's
// Accountable and Informed for raci.alert_activity (its owner without
// one), a program's manager, and people in their own roles.
func routes(cfg *config.Config, s *scorecard.Snapshot, buf []string, emit emitFunc) {
	for _, w := range s.Windows {
		if !cfg.Export.ExportsWindow(w.Name) {
			continue
		}
		for i := range s.Cards[w.Name] {
			c := &s.Cards[w.Name][i]
			if !cfg.Export.ExportsRole(string(c.Role)) {
				continue
			}
			var accountable string
			var informed []string
			switch c.Role {
			case scorecard.RoleSystem:
				if sys, ok := cfg.System(c.ID); ok {
					accountable, informed = raci.AlertRoute(cfg, sys, s.At)
				}
			case scorecard.RoleProgram:
				if p, ok := cfg.Program(c.ID); ok {
					accountable = p.Manager
				}
			case scorecard.RoleSystemOwner, scorecard.RoleProgramManager, scorecard.RoleProcessOwner, scorecard.RoleProcessManager:
				accountable = c.ID
			}
			if accountable != "" || len(informed) > 0 {
				emit(routeInfo, append(buf[:0], string(c.Role), c.ID, accountable, strings.Join(informed, ",")), 1)
			}
		}
		return // one window gives every subject once
	}
}

// accountability emits the RACI matrix in force at the snapshot's time, one
// series per letter held, and its findings by rule (zeros included, for
// alerting), when the config defines activities.
func accountability(cfg *config.Config, s *scorecard.Snapshot, buf []string, emit emitFunc) {
	if len(cfg.RACI.Activities) == 0 {
		return
	}
	rows := raci.Matrix(cfg, s.At)
	for _, r := range rows {
		for _, l := range raci.Assignments(r) {
			emit(raciInfo, append(buf[:0], r.ScopeKind, r.Scope, r.Activity, l.Party, l.Letter), 1)
		}
	}
	counts := map[[2]string]int{
		{raci.RuleNoAccountable, "violation"}:     0,
		{raci.RuleNoResponsible, "warning"}:       0,
		{raci.RuleAccountableOverload, "warning"}: 0,
	}
	for _, f := range raci.Check(cfg, rows) {
		counts[[2]string{f.Rule, f.Severity}]++
	}
	keys := make([][2]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, k := range keys {
		emit(raciFindings, append(buf[:0], k[0], k[1]), float64(counts[k]))
	}
}

func card(c *scorecard.Card, pointInTime bool, buf []string, emit emitFunc) {
	role := string(c.Role)
	for i, k := range c.Defined {
		f := kpiFamilies[k]
		if f == nil || k.PointInTime() && !pointInTime {
			continue
		}
		l := append(buf[:0], role, c.ID)
		if !k.PointInTime() {
			l = append(l, c.Window)
		}
		if v := c.Value[k]; !math.IsNaN(v) {
			if _, _, lv, _ := k.Metric(); lv != "" {
				l = append(l, lv)
			}
			emit(f, l, v)
		}
		// a summary's _sum and _count follow its last quantile (Defined is
		// in API order), so that each series' samples are together as
		// OpenMetrics wants; they are there whenever the KPI is defined,
		// 0 over an empty population: they are counts
		if sum, ok := c.Summary(k); ok && f.parts != nil && (i+1 == len(c.Defined) || kpiFamilies[c.Defined[i+1]] != f) {
			l = l[:len(f.parts[0].labels)]
			emit(f.parts[0], l, sum.Sum)
			emit(f.parts[1], l, float64(sum.Count))
		}
	}
	if !math.IsNaN(c.Score) {
		emit(score, append(buf[:0], role, c.ID, c.Window), c.Score)
	}
	for _, k := range c.Defined {
		if code, ok := c.Status[k].Code(); ok {
			emit(status, append(buf[:0], role, c.ID, c.Window, k.Name()), code)
		}
	}
}

func objectives(objs map[string]config.Objective, buf []string, emit emitFunc) {
	names := make([]string, 0, len(objs))
	for name := range objs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		emit(objective, append(buf[:0], name), objs[name].Objective)
	}
	for _, name := range names {
		if w := objs[name].Warning; w != nil {
			emit(warning, append(buf[:0], name), *w)
		}
	}
}

// owners emits one steward_system_owner_info per system that has an owner
// at the snapshot's time; steward_systems_unowned counts the others.
func owners(cfg *config.Config, s *scorecard.Snapshot, buf []string, emit emitFunc) {
	for i := range cfg.Systems {
		sys := &cfg.Systems[i]
		owner := sys.OwnerAt(s.At)
		if owner == "" {
			continue
		}
		emit(ownerInfo, append(buf[:0], sys.ID, owner, sys.Program, strconv.Itoa(sys.Tier)), 1)
	}
}
