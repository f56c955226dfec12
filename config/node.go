package config

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// decoder turns YAML nodes into Config values. It decodes by hand rather
// than with yaml's struct decoding so that every problem, including unknown
// keys, carries the line of the offending entry, and so that it can go on
// after a problem and report them all.
type decoder struct {
	errs Errors
	dir  string // the config file's directory: relative paths start there

	// Declarations and references, checked by crossCheck once the whole
	// file has been read (people may be declared after the systems they own).
	personDecls, programDecls, systemDecls []decl
	teamDecls, activityDecls               []decl
	parties                                []party
	alertActivityLine                      int
	aliases                                []aliasDecl
	refs                                   []ref
}

type decl struct {
	name string
	line int
}

type aliasDecl struct {
	alias, system string
	line          int
}

// ref is a name that must be declared: what names its role in ctx ("owner",
// "manager", "program", "system") and under the list it must appear in.
type ref struct {
	ctx, what, name, under string
	line                   int
}

func (d *decoder) errorf(n *yaml.Node, where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	d.errs.add(n.Line, "%s", msg)
}

// at joins the parts of a message's subject, skipping empty ones:
// at(`system "a"`, "tier") is `system "a": tier`.
func at(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ": ")
}

// deref follows YAML aliases (*name) to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports an explicit null or an empty value: both mean "not given".
func isNull(n *yaml.Node) bool {
	if n == nil {
		return true
	}
	n = deref(n)
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

type pair struct{ key, value *yaml.Node }

// pairs returns the entries of mapping n. Keys given twice are errors. Merge
// keys (<<: *anchor) are expanded; explicit keys override merged ones.
func (d *decoder) pairs(n *yaml.Node, where string) []pair {
	var merged, explicit []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, where, "keys must be strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(v, where)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, where, "key %q is given twice (first on line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		explicit = append(explicit, pair{k, v})
	}
	var out []pair
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key.Line
			out = append(out, p)
		}
	}
	return append(out, explicit...)
}

func (d *decoder) mergePairs(v *yaml.Node, where string) []pair {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, where)
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			out = append(out, d.mergePairs(m, where)...)
		}
		return out
	}
	d.errorf(v, where, "<<: expected a mapping or a list of mappings")
	return nil
}

// mapping returns the entries of n, which must be a mapping; a null n is an
// empty one. ok is false when n is something else, which is reported.
func (d *decoder) mapping(n *yaml.Node, where string) (entries []pair, ok bool) {
	if isNull(n) {
		return nil, true
	}
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, where, "expected a mapping, got %s", describe(n))
		return nil, false
	}
	return d.pairs(n, where), true
}

// fields decodes mapping n by calling set[key] for each of its keys; keys
// not in set are errors. It returns false when n is not a mapping, so that
// the caller does not go on to report the fields as missing.
func (d *decoder) fields(n *yaml.Node, where string, set map[string]func(v *yaml.Node)) bool {
	entries, ok := d.mapping(n, where)
	for _, p := range entries {
		f, known := set[p.key.Value]
		if !known {
			d.errorf(p.key, where, "unknown key %q", p.key.Value)
			continue
		}
		f(p.value)
	}
	return ok
}

// The scalar and list helpers below return ok=false both for a null value
// (not given: the caller keeps its default) and for an invalid one, which
// they report.

func (d *decoder) seq(n *yaml.Node, where string) ([]*yaml.Node, bool) {
	if isNull(n) {
		return nil, false
	}
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, where, "expected a list, got %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

func (d *decoder) str(n *yaml.Node, where string) (string, bool) {
	if isNull(n) {
		return "", false
	}
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, where, "expected a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) strs(n *yaml.Node, where string) ([]string, bool) {
	items, ok := d.seq(n, where)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := d.str(it, where)
		if !ok {
			continue
		}
		if s == "" {
			d.errorf(it, where, "empty string in list")
			continue
		}
		out = append(out, s)
	}
	return out, true
}

func (d *decoder) integer(n *yaml.Node, where string) (int, bool) {
	if isNull(n) {
		return 0, false
	}
	n = deref(n)
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		d.errorf(n, where, "expected an integer, got %s", describe(n))
		return 0, false
	}
	return i, true
}

func (d *decoder) number(n *yaml.Node, where string) (float64, bool) {
	if isNull(n) {
		return 0, false
	}
	n = deref(n)
	var f float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" || n.Decode(&f) != nil ||
		math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, where, "expected a number, got %s", describe(n))
		return 0, false
	}
	return f, true
}

func (d *decoder) boolean(n *yaml.Node, where string) (bool, bool) {
	if isNull(n) {
		return false, false
	}
	n = deref(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, where, "expected true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// duration parses Prometheus duration syntax ("30d", "1h30m").
func (d *decoder) duration(n *yaml.Node, where string) (time.Duration, bool) {
	s, ok := d.str(n, where)
	if !ok {
		return 0, false
	}
	md, err := model.ParseDuration(s)
	if err != nil {
		d.errorf(deref(n), where, "bad duration %q: %v", s, err)
		return 0, false
	}
	return time.Duration(md), true
}

// instant parses RFC 3339, or a plain date as midnight UTC, into UTC.
func (d *decoder) instant(n *yaml.Node, where string) (time.Time, bool) {
	s, ok := d.str(n, where)
	if !ok {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	d.errorf(deref(n), where, "bad time %q: want RFC 3339 (2025-01-01T00:00:00Z) or a date (2025-01-01)", s)
	return time.Time{}, false
}

// missing reports whether a required key is absent from n, which is null or
// a mapping. (Any other n has been reported as not a mapping already.)
func missing(n *yaml.Node, key string) bool {
	if isNull(n) {
		return true
	}
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return isNull(n.Content[i+1])
		}
	}
	return true
}

// entryName is how messages name the i-th entry of a list: by its key field
// when it has one (`system "payments-api"`), else by position (`systems[2]`).
func entryName(n *yaml.Node, kind, list string, i int, key string) string {
	n = deref(n)
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value != key {
				continue
			}
			if v := deref(n.Content[j+1]); v.Kind == yaml.ScalarNode && !isNull(v) && v.Value != "" {
				return fmt.Sprintf("%s %q", kind, v.Value)
			}
		}
	}
	return fmt.Sprintf("%s[%d]", list, i)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}
