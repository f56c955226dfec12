// Package backstage reads entities from a Backstage software catalog: the
// catalog-info.yaml files of a directory tree, or the catalog's REST API.
// It only parses the entities Steward maps (Component, System, User, Group);
// turning them into Steward's systems, owners and aliases is config's job.
package backstage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Entity is the part of a catalog entity Steward reads.
type Entity struct {
	APIVersion string   `yaml:"apiVersion" json:"apiVersion"`
	Kind       string   `yaml:"kind" json:"kind"`
	Metadata   Metadata `yaml:"metadata" json:"metadata"`
	Spec       Spec     `yaml:"spec" json:"spec"`
	// Source says where the entity was read (file path or URL), for reports.
	Source string `yaml:"-" json:"-"`
}

// Metadata is an entity's metadata.
type Metadata struct {
	Name        string            `yaml:"name" json:"name"`
	Namespace   string            `yaml:"namespace" json:"namespace"`
	Title       string            `yaml:"title" json:"title"`
	Annotations map[string]string `yaml:"annotations" json:"annotations"`
}

// Spec holds the spec fields of the kinds Steward maps.
type Spec struct {
	Type    string  `yaml:"type" json:"type"`
	Owner   string  `yaml:"owner" json:"owner"`
	System  string  `yaml:"system" json:"system"`
	Profile Profile `yaml:"profile" json:"profile"`
}

// Profile is a User's or Group's profile.
type Profile struct {
	DisplayName string `yaml:"displayName" json:"displayName"`
	Email       string `yaml:"email" json:"email"`
}

// Ref is a parsed entity reference such as "user:default/alice".
type Ref struct {
	Kind, Namespace, Name string
}

// ParseRef parses an entity reference. Without a kind, defaultKind is used
// (Backstage takes an owner without a kind to be a group).
func ParseRef(s, defaultKind string) Ref {
	r := Ref{Kind: defaultKind, Namespace: "default"}
	if k, rest, ok := strings.Cut(s, ":"); ok {
		r.Kind, s = strings.ToLower(k), rest
	}
	if ns, name, ok := strings.Cut(s, "/"); ok {
		r.Namespace, s = ns, name
	}
	r.Name = s
	return r
}

// ReadDir reads every *.yaml and *.yml file under dir (or the file dir
// names) as a stream of entity documents. Documents of other kinds are
// kept; callers pick the kinds they map.
func ReadDir(dir string) ([]Entity, error) {
	var out []Entity
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		entities, err := parseYAML(data, path)
		if err != nil {
			return err
		}
		out = append(out, entities...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backstage: %w", err)
	}
	return out, nil
}

func parseYAML(data []byte, source string) ([]Entity, error) {
	var out []Entity
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var e Entity
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, i+1, err)
		}
		if e.Kind == "" {
			continue // an empty document
		}
		e.Source = source
		out = append(out, e)
	}
}

// Fetch reads entities of the mapped kinds from a catalog's REST API
// (GET {base}/api/catalog/entities?filter=kind=...), with a bearer token when
// one is given.
func Fetch(ctx context.Context, client *http.Client, base, token string) ([]Entity, error) {
	u, err := url.Parse(strings.TrimSuffix(base, "/") + "/api/catalog/entities")
	if err != nil {
		return nil, fmt.Errorf("backstage: catalog url: %w", err)
	}
	q := url.Values{}
	q.Set("filter", "kind=component,kind=system,kind=user,kind=group")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("backstage: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("backstage: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("backstage: GET %s: %s: %s", u.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	var out []Entity
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("backstage: GET %s: %w", u.Redacted(), err)
	}
	for i := range out {
		out[i].Source = u.Redacted()
	}
	return out, nil
}
