package config

import (
	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"
)

// fieldsWithHTTP is fields for a section that reaches a server over HTTP:
// the keys in set are Steward's, and every other key is Prometheus's own
// HTTP client configuration (basic_auth, authorization, bearer_token_file,
// oauth2, tls_config, proxy_url...), decoded strictly and validated by
// prometheus/common so that the settings and their errors are exactly
// Prometheus's. Relative files are relative to the config file's directory.
func (d *decoder) fieldsWithHTTP(n *yaml.Node, where string, set map[string]func(v *yaml.Node)) (promconfig.HTTPClientConfig, bool) {
	h := promconfig.DefaultHTTPClientConfig
	entries, ok := d.mapping(n, where)
	rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range entries {
		if f, known := set[p.key.Value]; known {
			f(p.value)
			continue
		}
		rest.Content = append(rest.Content, p.key, p.value)
	}
	if len(rest.Content) > 0 {
		b, err := yaml.Marshal(rest)
		if err == nil {
			var c *promconfig.HTTPClientConfig
			if c, err = promconfig.LoadHTTPConfig(string(b)); err == nil {
				h = *c
			}
		}
		if err != nil {
			d.errorf(deref(n), where, "%v", err)
		}
	}
	h.SetDirectory(d.dir)
	return h, ok
}
