package collector

import (
	"slices"
	"sort"
)

// csvPresets are the mappings of public ITSM datasets that Steward can
// import as they are published, by preset name.
var csvPresets = map[string]func() *CSVMapping{
	"uci-incident":      uciIncident,
	"bpic2014-incident": bpic2014Incident,
	"bpic2014-change":   bpic2014Change,
}

// CSVPreset returns a dataset's mapping by name.
func CSVPreset(name string) (*CSVMapping, bool) {
	f, ok := csvPresets[name]
	if !ok {
		return nil, false
	}
	return f(), true
}

// CSVPresets lists the preset names, sorted.
func CSVPresets() []string {
	names := make([]string, 0, len(csvPresets))
	for n := range csvPresets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// distinct lists a column's distinct non-empty values over a group of rows,
// in order of first appearance.
func distinct(m *CSVMapping, group []CSVRow, column string) []string {
	var out []string
	for _, r := range group {
		if v := m.cell(r, column); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
