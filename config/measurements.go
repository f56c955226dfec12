package config

import (
	"fmt"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Measurements configures reading uptime and response-time measurements
// from a Prometheus-compatible query API (SPEC section 9). Nil when the
// config has no measurements section.
type Measurements struct {
	Source MeasurementSource
	// Step is the time between samples; samples are aligned to multiples of
	// it since the Unix epoch and one stands for [t, t+Step).
	Step time.Duration
	// Since is where reading starts on the first start; zero means 90 days
	// before that start.
	Since        time.Time
	Uptime       *MeasurementQuery
	ResponseTime *MeasurementQuery
}

// MeasurementSource is the query API and how to reach it.
type MeasurementSource struct {
	URL string
	// HTTP is Prometheus's own HTTP client configuration: basic_auth,
	// authorization, bearer_token_file, oauth2, tls_config, proxy_url...
	// Relative file paths are relative to the config file's directory.
	HTTP promconfig.HTTPClientConfig
}

// MeasurementQuery is one PromQL query and the label naming the system in
// its result. Objective is the response-time objective in seconds (0 for
// uptime).
type MeasurementQuery struct {
	Query     string
	By        string
	Objective float64
	Line      int // the query's line, for check-config's findings
}

const defaultMeasurementStep = 5 * time.Minute

func (d *decoder) measurements(n *yaml.Node) *Measurements {
	const where = "measurements"
	m := &Measurements{Step: defaultMeasurementStep}
	var sourceGiven bool
	if !d.fields(n, where, map[string]func(*yaml.Node){
		"source": func(v *yaml.Node) { sourceGiven = d.measurementSource(v, &m.Source) },
		"step": func(v *yaml.Node) {
			m.Step = d.positiveDuration(v, where, "step", m.Step)
			if m.Step < time.Second {
				d.errorf(deref(v), where, "step %s is shorter than a second", m.Step)
			}
		},
		"since":         func(v *yaml.Node) { m.Since, _ = d.instant(v, at(where, "since")) },
		"uptime":        func(v *yaml.Node) { m.Uptime = d.measurementQuery(v, at(where, "uptime"), false) },
		"response_time": func(v *yaml.Node) { m.ResponseTime = d.measurementQuery(v, at(where, "response_time"), true) },
	}) {
		return m
	}
	line := deref(n).Line
	if !sourceGiven {
		d.errs.add(line, "%s: source is required", where)
	}
	if m.Uptime == nil && m.ResponseTime == nil {
		d.errs.add(line, "%s: give uptime, response_time or both: nothing would be read", where)
	}
	return m
}

// measurementSource decodes url itself and hands every other key to
// Prometheus's HTTP client configuration.
func (d *decoder) measurementSource(n *yaml.Node, s *MeasurementSource) bool {
	const where = "measurements.source"
	var ok bool
	s.HTTP, ok = d.fieldsWithHTTP(n, where, map[string]func(*yaml.Node){
		"url": func(v *yaml.Node) { s.URL = d.baseURL(v, at(where, "url")) },
	})
	if ok && s.URL == "" && missing(n, "url") {
		d.errs.add(deref(n).Line, "%s: url is required", where)
	}
	return ok
}

func (d *decoder) measurementQuery(n *yaml.Node, where string, objective bool) *MeasurementQuery {
	q := &MeasurementQuery{Line: deref(n).Line}
	set := map[string]func(*yaml.Node){
		"query": func(v *yaml.Node) {
			q.Query, _ = d.str(v, at(where, "query"))
			q.Line = deref(v).Line
		},
		"by": func(v *yaml.Node) {
			if s, ok := d.str(v, at(where, "by")); ok {
				if !model.LabelName(s).IsValidLegacy() {
					d.errorf(deref(v), where, "by %q is not a label name", s)
				}
				q.By = s
			}
		},
	}
	if objective {
		set["objective"] = func(v *yaml.Node) {
			if o, ok := d.duration(v, at(where, "objective")); ok {
				if o <= 0 {
					d.errorf(deref(v), where, "objective must be positive")
				}
				q.Objective = o.Seconds()
			}
		}
	}
	if !d.fields(n, where, set) {
		return q
	}
	line := deref(n).Line
	for _, k := range []string{"query", "by"} {
		if missing(n, k) {
			d.errs.add(line, "%s: %s is required", where, k)
		}
	}
	if objective && missing(n, "objective") {
		d.errs.add(line, "%s: objective is required (the response time a sample must not exceed, e.g. 300ms)", where)
	}
	return q
}

// String names the source for logs: its URL, never its credentials.
func (s MeasurementSource) String() string { return fmt.Sprintf("query API %s", s.URL) }
