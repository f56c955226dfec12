package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"

	"github.com/steward-sh/steward/backstage"
)

// Catalog names where ownership already lives, to import it. The config
// file's own entries always take precedence over imported ones. Parsing
// the config does not read the catalog: whoever loads the config reads it
// (a directory or the catalog API) and merges it with WithCatalog.
type Catalog struct {
	Backstage *BackstageCatalog
}

// BackstageCatalog imports Components as systems (spec.owner as owner,
// spec.system as program, chosen annotations as aliases), Systems as
// programs and Users as people.
type BackstageCatalog struct {
	// Path is a directory of catalog-info.yaml files, or one file; a
	// relative path is made absolute from the config file's directory.
	Path string
	URL  string // a catalog API base URL (instead of Path)
	// HTTP is how to reach URL: Prometheus's HTTP client configuration
	// (authorization, bearer_token_file, tls_config...). token_file is kept
	// as a name for a bearer token file.
	HTTP promconfig.HTTPClientConfig
	// Since is when imported owners took over (the catalog has no history).
	Since time.Time
	// AliasAnnotations are the annotations whose values become aliases.
	AliasAnnotations []string
	// GroupAccountable names the person accountable for a group, for
	// entities owned by a group (Steward's owners are people).
	GroupAccountable map[string]string
}

// CatalogReport says what an import brought in and what it left out.
type CatalogReport struct {
	Source                    string
	People, Programs, Systems int
	Aliases                   int
	Conflicts                 []string
}

var defaultAliasAnnotations = []string{"pagerduty.com/service-id", "opsgenie.com/component-selector", "backstage.io/kubernetes-id", "servicenow.com/ci"}

func (d *decoder) catalog(n *yaml.Node, c *Catalog) {
	const where = "catalog"
	d.fields(n, where, map[string]func(*yaml.Node){
		"backstage": func(v *yaml.Node) { c.Backstage = d.backstage(v) },
	})
}

func (d *decoder) backstage(v *yaml.Node) *BackstageCatalog {
	const where = "catalog.backstage"
	b := &BackstageCatalog{AliasAnnotations: defaultAliasAnnotations, GroupAccountable: map[string]string{}}
	var tokenFile string
	var ok bool
	b.HTTP, ok = d.fieldsWithHTTP(v, where, map[string]func(*yaml.Node){
		"path":       func(v *yaml.Node) { b.Path, _ = d.str(v, at(where, "path")) },
		"url":        func(v *yaml.Node) { b.URL, _ = d.str(v, at(where, "url")) },
		"token_file": func(v *yaml.Node) { tokenFile, _ = d.str(v, at(where, "token_file")) },
		"since":      func(v *yaml.Node) { b.Since, _ = d.instant(v, at(where, "since")) },
		"alias_annotations": func(v *yaml.Node) {
			if a, ok := d.strs(v, at(where, "alias_annotations")); ok {
				b.AliasAnnotations = a
			}
		},
		"group_accountable": func(v *yaml.Node) {
			pairs, _ := d.mapping(v, at(where, "group_accountable"))
			for _, p := range pairs {
				if person, ok := d.str(p.value, at(where, "group_accountable", p.key.Value)); ok {
					b.GroupAccountable[p.key.Value] = person
					d.refs = append(d.refs, ref{where, "group_accountable person", person, "people", deref(p.value).Line})
				}
			}
		},
	})
	if !ok {
		return b
	}
	if (b.Path == "") == (b.URL == "") {
		d.errorf(deref(v), where, "give exactly one of path or url")
	}
	if b.Path != "" && !filepath.IsAbs(b.Path) && d.dir != "" {
		b.Path = filepath.Join(d.dir, b.Path)
	}
	if tokenFile != "" {
		if b.HTTP.Authorization != nil || b.HTTP.BasicAuth != nil || b.HTTP.OAuth2 != nil {
			d.errorf(deref(v), where, "give token_file or Prometheus's authorization settings, not both")
		} else {
			b.HTTP.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: promconfig.JoinDir(d.dir, tokenFile)}
		}
	}
	return b
}

// WithCatalog returns a copy of c with the catalog's entities merged in:
// the config's own people, programs, systems and aliases win, and what the
// catalog says differently is reported as a conflict and left out. source
// names where the entities came from, for the report. c is not changed.
func (c *Config) WithCatalog(entities []backstage.Entity, source string) *Config {
	b := c.Catalog.Backstage
	if b == nil {
		return c
	}
	out := *c
	out.People, out.Programs, out.Systems = slices.Clone(c.People), slices.Clone(c.Programs), slices.Clone(c.Systems)
	out.CatalogReport = out.mergeBackstage(b, entities)
	out.CatalogReport.Source = source
	out.index()
	return &out
}

func (c *Config) mergeBackstage(b *BackstageCatalog, entities []backstage.Entity) *CatalogReport {
	r := &CatalogReport{}
	conflict := func(e backstage.Entity, format string, args ...any) {
		r.Conflicts = append(r.Conflicts, fmt.Sprintf("%s %q (%s): ", strings.ToLower(e.Kind), e.Metadata.Name, e.Source)+fmt.Sprintf(format, args...))
	}
	person := map[string]bool{}
	for _, p := range c.People {
		person[p.ID] = true
	}
	// owner resolves an owner reference to a person, or "" with a reason.
	owner := func(ref string) (string, string) {
		if ref == "" {
			return "", "has no spec.owner"
		}
		r := backstage.ParseRef(ref, "group")
		switch r.Kind {
		case "user":
			if !person[r.Name] {
				return "", fmt.Sprintf("owner %q is neither declared under people nor a catalog User", ref)
			}
			return r.Name, ""
		case "group":
			if p, ok := b.GroupAccountable[r.Name]; ok {
				return p, ""
			}
			return "", fmt.Sprintf("owner %q is a group; name its accountable person in catalog.backstage.group_accountable", ref)
		}
		return "", fmt.Sprintf("owner %q is not a user or group", ref)
	}

	for _, e := range entities {
		if e.Kind == "User" && !person[e.Metadata.Name] {
			c.People = append(c.People, Person{ID: e.Metadata.Name, Name: e.Spec.Profile.DisplayName, Email: e.Spec.Profile.Email})
			person[e.Metadata.Name] = true
			r.People++
		}
	}
	programs := map[string]bool{}
	for _, p := range c.Programs {
		programs[p.ID] = true
	}
	for _, e := range entities {
		if e.Kind != "System" {
			continue
		}
		if programs[e.Metadata.Name] {
			continue // the config's program wins
		}
		mgr, why := owner(e.Spec.Owner)
		if why != "" {
			conflict(e, "%s: imported without a manager", why)
		}
		c.Programs = append(c.Programs, Program{ID: e.Metadata.Name, Manager: mgr})
		programs[e.Metadata.Name] = true
		r.Programs++
	}
	used := map[string]string{}
	for _, s := range c.Systems {
		used[s.ID] = s.ID
		for _, a := range s.Aliases {
			used[a] = s.ID
		}
	}
	for _, e := range entities {
		if e.Kind != "Component" {
			continue
		}
		id := e.Metadata.Name
		if by, ok := used[id]; ok {
			conflict(e, "system %q is already in the config (as %q); the config's entry is kept", id, by)
			continue
		}
		s := System{ID: id}
		used[id] = id
		if e.Spec.System != "" {
			if programs[e.Spec.System] {
				s.Program = e.Spec.System
			} else {
				conflict(e, "spec.system %q is neither a program in the config nor a catalog System", e.Spec.System)
			}
		}
		if o, why := owner(e.Spec.Owner); why != "" {
			conflict(e, "%s: imported without an owner", why)
		} else {
			s.Owners = []Ownership{{Owner: o, Since: b.Since}}
		}
		for _, key := range b.AliasAnnotations {
			for _, alias := range strings.Split(e.Metadata.Annotations[key], ",") {
				alias = strings.TrimSpace(alias)
				if alias == "" {
					continue
				}
				if by, ok := used[alias]; ok {
					conflict(e, "alias %q (annotation %s) is already used by system %q", alias, key, by)
					continue
				}
				used[alias] = id
				s.Aliases = append(s.Aliases, alias)
				r.Aliases++
			}
		}
		c.Systems = append(c.Systems, s)
		r.Systems++
	}
	slices.Sort(r.Conflicts)
	return r
}
