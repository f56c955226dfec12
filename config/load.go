package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Load reads and parses the configuration file at path. See Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(data, filepath.Dir(path))
}

// Parse parses a YAML configuration: it applies the defaults to absent keys,
// validates everything, sorts each system's owners by since, resolves the
// systems in process managers' scopes to ids and builds the look-up indexes.
// An invalid configuration returns a *Errors holding every problem found,
// each with its line.
func Parse(data []byte) (*Config, error) { return parse(data, "") }

// parse is Parse with the directory relative paths in the file start from.
func parse(data []byte, dir string) (*Config, error) {
	root, err := document(data)
	if err != nil {
		return nil, err
	}
	c := defaults()
	d := &decoder{dir: dir}
	if root != nil {
		d.root(root, &c)
	}
	d.crossCheck()
	d.checkRACI(&c)
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	c.index()
	return &c, nil
}

// document returns the root node of the single YAML document in data, or
// nil for an empty file.
func document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxError(err)
	}
	if err := dec.Decode(&extra); err == nil {
		return nil, &Errors{{Line: extra.Line, Msg: "a second YAML document: the file must hold one"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Errors{{Line: line, Msg: "bad YAML: " + m[2]}}
	}
	return &Errors{{Msg: "bad YAML: " + err.Error()}}
}
