package config

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pollers configures the collectors that fetch records from vendor APIs on
// an interval, as opposed to webhooks that vendors call. A vendor without a
// section is not polled.
type Pollers struct {
	ServiceNow   *ServiceNowPoller
	PagerDutyAPI *PagerDutyPoller
}

// ServiceNowPoller reads incident and change_request records through the
// ServiceNow Table API, incrementally by sys_updated_on.
type ServiceNowPoller struct {
	URL      string // instance base URL, e.g. https://acme.service-now.com
	Username string // basic auth, with Password
	Password Secret
	Token    Secret        // OAuth bearer token; instead of Username/Password
	Tables   []string      // default [incident, change_request]
	Interval time.Duration // default 5m
	PageSize int           // sysparm_limit, default 100
	Query    string        // encoded query ANDed to every request, e.g. "active=true"
	// Since bounds the first run: records updated before it are not read.
	// Zero reads the whole table.
	Since time.Time
	// Fields overrides where a record's fields come from, by table then by
	// Steward field: a list of ServiceNow fields, the first with a value
	// wins; "cmdb_ci.display_value" takes a reference's display value.
	Fields map[string]map[string][]string
	// ImpactMap translates the value of the field mapped to impact (a u_*
	// custom field: ServiceNow has none for availability) to outage,
	// degraded or none. Keys are lower-cased.
	ImpactMap map[string]string
}

// TableKind says which record kind a ServiceNow table holds: change_request
// is changes, every other table (incident, sn_si_incident...) incidents.
func TableKind(table string) string {
	if table == "change_request" {
		return "change"
	}
	return "incident"
}

// ServiceNowFieldNames are the Steward fields a ServiceNow table's mapping
// may set, by record kind.
var ServiceNowFieldNames = map[string][]string{
	"incident": {"id", "system", "team", "title", "severity", "impact", "category", "opened_at", "acknowledged_at",
		"resolved_at", "closed_at", "caused_by_change"},
	"change": {"id", "system", "team", "type", "environment", "created_at", "approved_at", "planned_start", "planned_end",
		"started_at", "finished_at", "state", "close_code", "approval"},
}

// PagerDutyPoller reads incidents through the PagerDuty REST API: first a
// backfill of the history since Since, in windows, then new and changed
// incidents every Interval.
type PagerDutyPoller struct {
	URL      string // API base URL, default https://api.pagerduty.com
	Token    Secret // REST API key (Authorization: Token token=...)
	Interval time.Duration
	// Since is where the backfill starts on the first run. Zero means 90
	// days before that first run.
	Since  time.Time
	Window time.Duration // backfill window per request series, default 30d (PagerDuty allows up to 6 months)
	// PageSize is the limit per request, default 100 (PagerDuty's maximum).
	PageSize int
	// Mapping is as for the PagerDuty webhook, with paths into the REST
	// API's incident object ("service.summary", not "event.data.service.summary").
	Mapping Mapping
}

const (
	defaultPollInterval = 5 * time.Minute
	defaultPagerDutyURL = "https://api.pagerduty.com"
)

func (d *decoder) pollers(n *yaml.Node, p *Pollers) {
	d.fields(n, "pollers", map[string]func(*yaml.Node){
		"servicenow":    func(v *yaml.Node) { p.ServiceNow = d.serviceNowPoller(v) },
		"pagerduty_api": func(v *yaml.Node) { p.PagerDutyAPI = d.pagerDutyPoller(v) },
	})
}

func (d *decoder) serviceNowPoller(n *yaml.Node) *ServiceNowPoller {
	const where = "pollers.servicenow"
	s := &ServiceNowPoller{Interval: defaultPollInterval, PageSize: 100, Tables: []string{"incident", "change_request"}}
	var fieldsNode *yaml.Node
	set := map[string]func(*yaml.Node){
		"url":      func(v *yaml.Node) { s.URL = d.baseURL(v, at(where, "url")) },
		"username": func(v *yaml.Node) { s.Username, _ = d.str(v, at(where, "username")) },
		"tables": func(v *yaml.Node) {
			if ts, ok := d.strs(v, at(where, "tables")); ok {
				if len(ts) == 0 {
					d.errorf(deref(v), where, "tables is empty: nothing would be polled")
				}
				for i, t := range ts {
					if slices.Contains(ts[:i], t) {
						d.errorf(deref(v), where, "table %q is listed twice", t)
					}
				}
				s.Tables = ts
			}
		},
		"interval":   func(v *yaml.Node) { s.Interval = d.positiveDuration(v, where, "interval", s.Interval) },
		"page_size":  func(v *yaml.Node) { s.PageSize = d.pageSize(v, where, 10000, s.PageSize) },
		"query":      func(v *yaml.Node) { s.Query, _ = d.str(v, at(where, "query")) },
		"since":      func(v *yaml.Node) { s.Since, _ = d.instant(v, at(where, "since")) },
		"fields":     func(v *yaml.Node) { fieldsNode = v },
		"impact_map": func(v *yaml.Node) { s.ImpactMap = d.impactMap(v, at(where, "impact_map")) },
	}
	password := d.secretField(set, where, "password", &s.Password)
	token := d.secretField(set, where, "token", &s.Token)
	if !d.fields(n, where, set) {
		return s
	}
	password.check(d)
	token.check(d)
	line := deref(n).Line
	switch {
	case s.URL == "" && missing(n, "url"):
		d.errs.add(line, "%s: url is required", where)
	}
	switch {
	case s.Token != "" && (s.Username != "" || s.Password != ""):
		d.errs.add(line, "%s: give token (OAuth) or username and password, not both", where)
	case s.Token == "" && (s.Username == "" || s.Password == ""):
		d.errs.add(line, "%s: username and password (or password_file), or token (or token_file), are required", where)
	}
	if fieldsNode != nil {
		s.Fields = d.serviceNowFields(fieldsNode, at(where, "fields"), s.Tables)
	}
	return s
}

// serviceNowFields decodes per-table field overrides; each table must be one
// that is polled and each key a field of the table's record kind.
func (d *decoder) serviceNowFields(n *yaml.Node, where string, tables []string) map[string]map[string][]string {
	entries, _ := d.mapping(n, where)
	out := map[string]map[string][]string{}
	for _, p := range entries {
		table := p.key.Value
		if !slices.Contains(tables, table) {
			d.errorf(p.key, where, "table %q is not in tables", table)
			continue
		}
		tw := at(where, table)
		allowed := ServiceNowFieldNames[TableKind(table)]
		fields := map[string][]string{}
		set := map[string]func(*yaml.Node){}
		for _, name := range allowed {
			set[name] = func(v *yaml.Node) {
				if l := d.fieldList(v, at(tw, name)); l != nil {
					fields[name] = l
				}
			}
		}
		entriesBefore := len(d.errs)
		d.fields(p.value, tw, set)
		if len(d.errs) > entriesBefore {
			// Say what is allowed once, at the table, rather than per key.
			sorted := slices.Clone(allowed)
			sort.Strings(sorted)
			d.errorf(p.key, tw, "fields of a %s table: %s", TableKind(table), strings.Join(sorted, ", "))
		}
		out[table] = fields
	}
	return out
}

func (d *decoder) pagerDutyPoller(n *yaml.Node) *PagerDutyPoller {
	const where = "pollers.pagerduty_api"
	p := &PagerDutyPoller{URL: defaultPagerDutyURL, Interval: defaultPollInterval, Window: 30 * 24 * time.Hour, PageSize: 100}
	set := map[string]func(*yaml.Node){
		"url":       func(v *yaml.Node) { p.URL = d.baseURL(v, at(where, "url")) },
		"interval":  func(v *yaml.Node) { p.Interval = d.positiveDuration(v, where, "interval", p.Interval) },
		"since":     func(v *yaml.Node) { p.Since, _ = d.instant(v, at(where, "since")) },
		"window":    func(v *yaml.Node) { p.Window = d.positiveDuration(v, where, "window", p.Window) },
		"page_size": func(v *yaml.Node) { p.PageSize = d.pageSize(v, where, 100, p.PageSize) },
		"mapping":   func(v *yaml.Node) { p.Mapping = d.mapping1(v, at(where, "mapping"), true) },
	}
	token := d.secretField(set, where, "token", &p.Token)
	if !d.fields(n, where, set) {
		return p
	}
	token.check(d)
	if p.Token == "" {
		d.errs.add(deref(n).Line, "%s: token or token_file is required", where)
	}
	if p.Window > 180*24*time.Hour {
		d.errs.add(deref(n).Line, "%s: window %s is longer than the 180 days PagerDuty allows", where, p.Window)
	}
	return p
}

// baseURL accepts an absolute http(s) URL and drops a trailing slash.
func (d *decoder) baseURL(n *yaml.Node, where string) string {
	s, ok := d.str(n, where)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		d.errorf(deref(n), where, "%q is not an http(s) base URL (scheme and host, no query or credentials)", s)
		return ""
	}
	return strings.TrimRight(s, "/")
}

func (d *decoder) positiveDuration(n *yaml.Node, where, key string, def time.Duration) time.Duration {
	v, ok := d.duration(n, at(where, key))
	if !ok {
		return def
	}
	if v <= 0 {
		d.errorf(deref(n), where, "%s must be positive", key)
		return def
	}
	return v
}

func (d *decoder) pageSize(n *yaml.Node, where string, most, def int) int {
	v, ok := d.integer(n, at(where, "page_size"))
	if !ok {
		return def
	}
	if v < 1 || v > most {
		d.errorf(deref(n), where, "page_size %d is not in 1..%d", v, most)
		return def
	}
	return v
}
