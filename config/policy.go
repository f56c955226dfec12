package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/steward-sh/steward/kpi"
	"github.com/steward-sh/steward/record"
)

func (d *decoder) policy(n *yaml.Node, p *Policy) {
	const where = "policy"
	d.fields(n, where, map[string]func(*yaml.Node){
		"change_failure_from_incidents": func(v *yaml.Node) {
			if b, ok := d.boolean(v, at(where, "change_failure_from_incidents")); ok {
				p.ChangeFailureFromIncidents = b
			}
		},
		"change_environments": func(v *yaml.Node) {
			envs, ok := d.strs(v, at(where, "change_environments"))
			if !ok {
				return
			}
			if len(envs) == 0 {
				d.errorf(deref(v), where, "change_environments is empty: no change would count")
			}
			p.ChangeEnvironments = envs
		},
		"security_categories": func(v *yaml.Node) {
			if cs, ok := d.strs(v, at(where, "security_categories")); ok {
				p.SecurityCategories = cs
			}
		},
		"review":       func(v *yaml.Node) { d.review(v, &p.Review) },
		"sla":          func(v *yaml.Node) { p.SLA = d.sla(v) },
		"availability": func(v *yaml.Node) { d.availability(v, &p.Availability) },
	})
}

func (d *decoder) review(n *yaml.Node, r *ReviewPolicy) {
	const where = "policy.review"
	d.fields(n, where, map[string]func(*yaml.Node){
		"severity_threshold": func(v *yaml.Node) {
			t, ok := d.integer(v, at(where, "severity_threshold"))
			if !ok {
				return
			}
			if t < 0 || t > 5 {
				d.errorf(deref(v), where, "severity_threshold %d is out of range 0..5", t)
			}
			r.SeverityThreshold = t
		},
		"due": func(v *yaml.Node) {
			if due, ok := d.duration(v, at(where, "due")); ok {
				r.Due = due
			}
		},
		"signoff": func(v *yaml.Node) {
			if roles, ok := d.signoff(v); ok {
				r.Signoff = roles
			}
		},
		"action_due": func(v *yaml.Node) {
			due, ok := d.duration(v, at(where, "action_due"))
			if !ok {
				return
			}
			if due < 0 {
				d.errorf(deref(v), where, "action_due %s is negative", v.Value)
				return
			}
			r.ActionDue = due
		},
	})
}

// signoff decodes the roles whose sign-off a required review needs: each
// an accountable role of SPEC section 1 that signs reviews, once.
func (d *decoder) signoff(n *yaml.Node) ([]string, bool) {
	const where = "policy.review"
	items, ok := d.seq(n, at(where, "signoff"))
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		role, ok := d.str(it, at(where, "signoff"))
		if !ok {
			continue
		}
		switch {
		case !slices.Contains(record.SignoffRoles, role):
			d.errorf(it, where, "signoff: role %q is not one of %s", role, strings.Join(record.SignoffRoles, ", "))
		case slices.Contains(out, role):
			d.errorf(it, where, "signoff: role %q is listed twice", role)
		default:
			out = append(out, role)
		}
	}
	return out, true
}

// sla decodes resolution targets by severity. Keys may be quoted ("1") or
// not (1): YAML makes the second an integer, the meaning is the same.
func (d *decoder) sla(n *yaml.Node) map[int]time.Duration {
	const where = "policy.sla"
	out := map[int]time.Duration{}
	entries, _ := d.mapping(n, where)
	for _, p := range entries {
		sev, err := strconv.Atoi(strings.TrimSpace(p.key.Value))
		if err != nil || sev < 1 || sev > 5 {
			d.errorf(p.key, where, "severity %q is not one of 1..5", p.key.Value)
			continue
		}
		if _, dup := out[sev]; dup {
			d.errorf(p.key, where, "severity %d is given twice", sev)
			continue
		}
		target, ok := d.duration(p.value, at(where, fmt.Sprintf("severity %d", sev)))
		if !ok {
			continue
		}
		if target <= 0 {
			d.errorf(deref(p.value), where, "target for severity %d is not positive", sev)
			continue
		}
		out[sev] = target
	}
	return out
}

func (d *decoder) availability(n *yaml.Node, a *AvailabilityPolicy) {
	const where = "policy.availability"
	d.fields(n, where, map[string]func(*yaml.Node){
		"degraded_weight": func(v *yaml.Node) {
			w, ok := d.number(v, at(where, "degraded_weight"))
			if !ok {
				return
			}
			if w < 0 || w > 1 {
				d.errorf(deref(v), where, "degraded_weight %g is out of range 0..1", w)
			}
			a.DegradedWeight = w
		},
	})
}

func (d *decoder) objectives(n *yaml.Node) map[string]Objective {
	const where = "objectives"
	out := map[string]Objective{}
	entries, _ := d.mapping(n, where)
	for _, p := range entries {
		k, ok := kpi.ByName(p.key.Value)
		if !ok {
			d.errorf(p.key, where, "unknown KPI %q", p.key.Value)
			continue
		}
		if o, ok := d.objective(p.value, k, p.key.Line); ok {
			out[k.Name] = o
		}
	}
	return out
}

func (d *decoder) objective(n *yaml.Node, k *kpi.KPI, line int) (Objective, bool) {
	where := fmt.Sprintf("objective %q", k.Name)
	var o Objective
	given, valid := false, true
	ok := d.fields(n, where, map[string]func(*yaml.Node){
		"objective": func(v *yaml.Node) {
			o.Objective, given = d.number(v, at(where, "objective"))
			valid = valid && d.inRange(v, where, k, "objective", o.Objective)
		},
		"warning": func(v *yaml.Node) {
			if w, ok := d.number(v, at(where, "warning")); ok {
				o.Warning = &w
				valid = valid && d.inRange(v, where, k, "warning", w)
			}
		},
	})
	if !ok {
		return o, false
	}
	if !given {
		if missing(n, "objective") {
			d.errs.add(line, "%s: objective is required", where)
		}
		return o, false
	}
	if o.Warning != nil && valid && better(k, *o.Warning, o.Objective) {
		d.errs.add(line, "%s: warning %g is better than the objective %g", where, *o.Warning, o.Objective)
		return o, false
	}
	return o, valid
}

// inRange checks that a target is a possible value of kpi: ratios are in
// 0..1, every other KPI is a count, rate or duration and never negative.
func (d *decoder) inRange(n *yaml.Node, where string, k *kpi.KPI, field string, x float64) bool {
	switch {
	case k.Unit == kpi.UnitRatio && (x < 0 || x > 1):
		d.errorf(deref(n), where, "%s %g is out of range 0..1", field, x)
	case x < 0:
		d.errorf(deref(n), where, "%s %g is negative", field, x)
	default:
		return true
	}
	return false
}

// better reports whether a is strictly better than b for k.
func better(k *kpi.KPI, a, b float64) bool {
	if k.HigherIsBetter {
		return a > b
	}
	return a < b
}
