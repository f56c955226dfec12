package config

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Collectors configures the vendor webhooks served under /hooks/<vendor>. A
// vendor without a section is not served (404), and a section must name the
// credentials the vendor presents: no webhook is open by default.
type Collectors struct {
	Alertmanager *Webhook
	PagerDuty    *Webhook
	GitHub       *Webhook
	GitLab       *Webhook
	Opsgenie     *Webhook
}

// Webhook is one vendor's webhook: the credentials its requests must carry
// and where its payloads keep the fields of a record. Which credential
// applies depends on the vendor: Token for Alertmanager (bearer), GitLab
// (X-Gitlab-Token) and Opsgenie; BasicAuth for Alertmanager; Secret (the
// HMAC signing key) for PagerDuty and GitHub.
type Webhook struct {
	Token     Secret
	BasicAuth *BasicAuth
	Secret    Secret
	Mapping   Mapping
}

// BasicAuth is a username and password, as Alertmanager's http_config
// basic_auth sends them.
type BasicAuth struct {
	Username string
	Password Secret
}

// Mapping says where a collector finds a record's fields in a vendor's
// payload and how vendor values translate. Field lists are label names for
// Alertmanager and dotted paths into the JSON body for the other vendors;
// the first field with a value wins. Nil lists and maps, and zero defaults,
// keep the collector's defaults for the vendor: a list replaces the default
// list, a map is merged over the default map. Map keys are matched without
// regard to case and are stored lower-cased.
type Mapping struct {
	System      []string
	Team        []string
	Title       []string
	Severity    []string
	Impact      []string
	Category    []string
	Environment []string

	SeverityMap     map[string]int
	DefaultSeverity int
	ImpactMap       map[string]string // values: outage, degraded, none
	DefaultImpact   string
	EnvironmentMap  map[string]string
}

// Secret is a credential. It prints as <secret> so that it never reaches a
// log, an error or a config dump; Reveal gives the value to the code that
// checks requests.
type Secret string

func (s Secret) String() string { return "<secret>" }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `"<secret>"` }

// MarshalYAML and MarshalJSON keep a marshalled config free of secrets.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"<secret>"`), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// hookKind says what a vendor's webhook accepts in its section.
type hookKind struct {
	token, basicAuth, secret bool
	incident                 bool // mapping keys for incidents, else for changes
}

var hookKinds = map[string]hookKind{
	"alertmanager": {token: true, basicAuth: true, incident: true},
	"pagerduty":    {secret: true, incident: true},
	"github":       {secret: true},
	"gitlab":       {token: true},
	"opsgenie":     {token: true, incident: true},
}

func (d *decoder) collectors(n *yaml.Node, c *Collectors) {
	hook := func(name string, dst **Webhook) func(*yaml.Node) {
		return func(v *yaml.Node) { *dst = d.webhook(v, name, hookKinds[name]) }
	}
	d.fields(n, "collectors", map[string]func(*yaml.Node){
		"alertmanager": hook("alertmanager", &c.Alertmanager),
		"pagerduty":    hook("pagerduty", &c.PagerDuty),
		"github":       hook("github", &c.GitHub),
		"gitlab":       hook("gitlab", &c.GitLab),
		"opsgenie":     hook("opsgenie", &c.Opsgenie),
	})
}

// webhook decodes a vendor's section. A present but empty section still
// enables the webhook, so it is held to needing credentials like any other.
func (d *decoder) webhook(n *yaml.Node, name string, k hookKind) *Webhook {
	where := "collectors." + name
	w := &Webhook{}
	set := map[string]func(*yaml.Node){
		"mapping": func(v *yaml.Node) { w.Mapping = d.mapping1(v, at(where, "mapping"), k.incident) },
	}
	var token, secret *secretField
	if k.token {
		token = d.secretField(set, where, "token", &w.Token)
	}
	if k.secret {
		secret = d.secretField(set, where, "secret", &w.Secret)
	}
	if k.basicAuth {
		set["basic_auth"] = func(v *yaml.Node) { w.BasicAuth = d.basicAuth(v, at(where, "basic_auth")) }
	}
	if !d.fields(n, where, set) {
		return w
	}
	token.check(d)
	secret.check(d)
	switch line := deref(n).Line; {
	case k.secret && w.Secret == "":
		d.errs.add(line, "%s: secret or secret_file is required: the webhook's signatures are checked with it", where)
	case !k.secret && w.Token == "" && w.BasicAuth == nil:
		if k.basicAuth {
			d.errs.add(line, "%s: token, token_file or basic_auth is required: requests must authenticate", where)
		} else {
			d.errs.add(line, "%s: token or token_file is required: requests must authenticate", where)
		}
	}
	return w
}

// secretField tracks a secret given either inline (name) or in a file
// (name_file), so that check can refuse both at once.
type secretField struct {
	where, name  string
	inline, file *yaml.Node
}

// secretField registers the keys name and name_file in set.
func (d *decoder) secretField(set map[string]func(*yaml.Node), where, name string, dst *Secret) *secretField {
	f := &secretField{where: where, name: name}
	set[name] = func(v *yaml.Node) {
		if s, ok := d.str(v, at(where, name)); ok {
			f.inline = deref(v)
			if s == "" {
				d.errorf(deref(v), where, "%s is empty", name)
			}
			*dst = Secret(s)
		}
	}
	set[name+"_file"] = func(v *yaml.Node) {
		if path, ok := d.str(v, at(where, name+"_file")); ok {
			f.file = deref(v)
			if s, ok := d.readSecret(deref(v), where, name+"_file", path); ok {
				*dst = Secret(s)
			}
		}
	}
	return f
}

// check reports a secret given both inline and in a file; a nil field (a
// key the vendor does not take) has nothing to check.
func (f *secretField) check(d *decoder) {
	if f != nil && f.inline != nil && f.file != nil {
		d.errorf(f.file, f.where, "give %s or %s_file, not both", f.name, f.name)
	}
}

// readSecret reads a secret file, as Prometheus does: surrounding white
// space (the trailing newline editors add) is not part of the secret.
// Relative paths are relative to Steward's working directory.
func (d *decoder) readSecret(n *yaml.Node, where, key, path string) (string, bool) {
	if path == "" {
		d.errorf(n, where, "%s is empty", key)
		return "", false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		d.errorf(n, where, "%s: %v", key, err)
		return "", false
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		d.errorf(n, where, "%s: file %s is empty", key, path)
		return "", false
	}
	return s, true
}

func (d *decoder) basicAuth(n *yaml.Node, where string) *BasicAuth {
	b := &BasicAuth{}
	set := map[string]func(*yaml.Node){
		"username": func(v *yaml.Node) { b.Username, _ = d.str(v, at(where, "username")) },
	}
	password := d.secretField(set, where, "password", &b.Password)
	if !d.fields(n, where, set) {
		return b
	}
	password.check(d)
	if b.Username == "" || b.Password == "" {
		d.errorf(deref(n), where, "username and password (or password_file) are required")
	}
	return b
}

func (d *decoder) mapping1(n *yaml.Node, where string, incident bool) Mapping {
	var m Mapping
	list := func(dst *[]string, key string) func(*yaml.Node) {
		return func(v *yaml.Node) { *dst = d.fieldList(v, at(where, key)) }
	}
	set := map[string]func(*yaml.Node){
		"system": list(&m.System, "system"),
		"team":   list(&m.Team, "team"),
	}
	if incident {
		set["title"] = list(&m.Title, "title")
		set["severity"] = list(&m.Severity, "severity")
		set["impact"] = list(&m.Impact, "impact")
		set["category"] = list(&m.Category, "category")
		set["severity_map"] = func(v *yaml.Node) { m.SeverityMap = d.severityMap(v, at(where, "severity_map")) }
		set["default_severity"] = func(v *yaml.Node) {
			if s, ok := d.integer(v, at(where, "default_severity")); ok {
				if s < 1 || s > 5 {
					d.errorf(deref(v), where, "default_severity %d is not one of 1..5", s)
				}
				m.DefaultSeverity = s
			}
		}
		set["impact_map"] = func(v *yaml.Node) { m.ImpactMap = d.impactMap(v, at(where, "impact_map")) }
		set["default_impact"] = func(v *yaml.Node) {
			if s, ok := d.str(v, at(where, "default_impact")); ok {
				if !isImpact(s) {
					d.errorf(deref(v), where, "default_impact %q is not one of outage, degraded, none", s)
				}
				m.DefaultImpact = s
			}
		}
	} else {
		set["environment"] = list(&m.Environment, "environment")
		set["environment_map"] = func(v *yaml.Node) { m.EnvironmentMap = d.stringMap(v, at(where, "environment_map")) }
	}
	d.fields(n, where, set)
	return m
}

// fieldList accepts one field name or a list of them.
func (d *decoder) fieldList(n *yaml.Node, where string) []string {
	if isNull(n) {
		return nil
	}
	if deref(n).Kind == yaml.ScalarNode {
		s, _ := d.str(n, where)
		if s == "" {
			d.errorf(deref(n), where, "empty field name")
			return nil
		}
		return []string{s}
	}
	out, _ := d.strs(n, where)
	if len(out) == 0 {
		d.errorf(deref(n), where, "empty list: give at least one field")
	}
	return out
}

// stringMap decodes a map of vendor values (lower-cased, matched without
// regard to case) to Steward values.
func (d *decoder) stringMap(n *yaml.Node, where string) map[string]string {
	entries, _ := d.mapping(n, where)
	out := make(map[string]string, len(entries))
	seen := map[string]bool{}
	for _, p := range entries {
		key := strings.ToLower(p.key.Value)
		if seen[key] {
			d.errorf(p.key, where, "%q is given twice (keys are matched without regard to case)", p.key.Value)
			continue
		}
		seen[key] = true
		v, ok := d.str(p.value, at(where, fmt.Sprintf("%q", p.key.Value)))
		if !ok {
			continue
		}
		if v == "" {
			d.errorf(deref(p.value), where, "%q maps to an empty value", p.key.Value)
			continue
		}
		out[key] = v
	}
	return out
}

func (d *decoder) severityMap(n *yaml.Node, where string) map[string]int {
	entries, _ := d.mapping(n, where)
	out := make(map[string]int, len(entries))
	seen := map[string]bool{}
	for _, p := range entries {
		key := strings.ToLower(p.key.Value)
		if seen[key] {
			d.errorf(p.key, where, "%q is given twice (keys are matched without regard to case)", p.key.Value)
			continue
		}
		seen[key] = true
		s, ok := d.integer(p.value, at(where, fmt.Sprintf("%q", p.key.Value)))
		if !ok {
			continue
		}
		if s < 1 || s > 5 {
			d.errorf(deref(p.value), where, "%q maps to severity %d, not one of 1..5", p.key.Value, s)
			continue
		}
		out[key] = s
	}
	return out
}

func (d *decoder) impactMap(n *yaml.Node, where string) map[string]string {
	m := d.stringMap(n, where)
	for _, p := range pairsOf(n) {
		if v, ok := m[strings.ToLower(p.key.Value)]; ok && !isImpact(v) {
			d.errorf(deref(p.value), where, "%q maps to impact %q, not one of outage, degraded, none", p.key.Value, v)
			delete(m, strings.ToLower(p.key.Value))
		}
	}
	return m
}

// pairsOf lists a mapping node's entries without reporting anything (the
// caller has decoded and reported them already).
func pairsOf(n *yaml.Node) []pair {
	if isNull(n) || deref(n).Kind != yaml.MappingNode {
		return nil
	}
	var out []pair
	c := deref(n).Content
	for i := 0; i+1 < len(c); i += 2 {
		out = append(out, pair{deref(c[i]), c[i+1]})
	}
	return out
}

func isImpact(s string) bool { return s == "outage" || s == "degraded" || s == "none" }
