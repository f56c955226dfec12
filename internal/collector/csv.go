package collector

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/steward-sh/steward/record"
)

// CSVMapping says how the rows of a CSV file become records: which columns
// give which field, how times are written, which cells mean "no value", and
// whether several rows (an event log's events) make one record.
type CSVMapping struct {
	Kind   record.Kind
	Source string // records' source; default "csv"
	Comma  rune   // field separator; default ','
	// TimeLayouts are Go time layouts tried in order ("2/1/2006 15:04" for
	// 29/2/2016 01:16); RFC 3339 is always tried first.
	TimeLayouts []string
	Location    *time.Location // zone of times without one; default UTC
	Null        []string       // cell values that mean "no value", besides ""
	// GroupBy names a column: consecutive rows with the same value in it
	// are one record's history, and the last of them gives the record.
	GroupBy string
	Fields  map[string]CSVField // by Steward field name
	Labels  map[string]string   // label name -> column; empty cells are left out
	// Derive, when set, adjusts the wire record after the columns are
	// mapped, with the whole group of rows at hand: presets use it for
	// what a column mapping cannot say. It must not drop a value silently.
	Derive func(w Wire, group []CSVRow)
}

// CSVField maps one Steward field: the first of Columns with a value gives
// it, translated through Values when the value is listed there; Default
// applies when no column has a value.
type CSVField struct {
	Columns []string
	Values  map[string]string
	Default string
}

// CSVRow is one row of a CSV file by column name, with where it came from.
type CSVRow struct {
	File  string
	Line  int // 1-based line of the row in its file (the header is line 1)
	Cells map[string]string
}

// CSVRecord is one record made from a group of rows: Raw in Steward's wire
// format, for the record package to validate.
type CSVRecord struct {
	Raw  json.RawMessage
	ID   string
	Rows []CSVRow
	// Err says why the rows cannot make a record at all (a value that
	// cannot even be written in the wire format); the record is rejected.
	Err error
}

// Wire is a record in Steward's JSON wire format under construction.
type Wire = wire

// CSVStats counts what reading a file did.
type CSVStats struct {
	Rows    int // data rows read
	Empty   int // rows with no value at all, skipped
	Records int // records made
}

var incidentTimes = []string{"impact_started_at", "opened_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at"}
var changeTimes = []string{"created_at", "approved_at", "planned_start", "planned_end", "started_at", "finished_at"}
var feedbackTimes = []string{"submitted_at"}

// csvFieldNames are the fields a CSV mapping may set, by kind.
var csvFieldNames = map[record.Kind][]string{
	record.KindIncident: append([]string{"id", "system", "title", "severity", "impact", "category", "team", "caused_by_change",
		"review_required", "review_completed_at", "estimated"}, incidentTimes...),
	record.KindChange:   append([]string{"id", "system", "team", "type", "environment", "outcome", "authorized", "rework", "estimated"}, changeTimes...),
	record.KindFeedback: append([]string{"id", "system", "program", "team", "audience", "score", "scale_min", "scale_max"}, feedbackTimes...),
}

// ReadCSV reads a CSV file (header line first) and calls emit with each
// record it makes, in file order.
func (m *CSVMapping) ReadCSV(r io.Reader, file string, emit func(CSVRecord) error) (CSVStats, error) {
	var st CSVStats
	cr := csv.NewReader(r)
	cr.Comma = m.comma()
	cr.FieldsPerRecord = -1 // trailing empty columns vary in real exports
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return st, fmt.Errorf("%s: reading the header: %w", file, err)
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if err := m.checkColumns(header); err != nil {
		return st, fmt.Errorf("%s: %w", file, err)
	}
	var group []CSVRow
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		rec, err := m.record(group)
		group = nil
		if err != nil {
			return err
		}
		st.Records++
		return emit(rec)
	}
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		st.Rows++
		row := CSVRow{File: file, Line: line, Cells: make(map[string]string, len(header))}
		empty := true
		for i, name := range header {
			if name == "" || i >= len(cells) {
				continue
			}
			row.Cells[name] = cells[i]
			if cells[i] != "" {
				empty = false
			}
		}
		if empty {
			st.Empty++
			continue
		}
		if len(group) > 0 && (m.GroupBy == "" || group[0].Cells[m.GroupBy] != row.Cells[m.GroupBy]) {
			if err := flush(); err != nil {
				return st, err
			}
		}
		group = append(group, row)
	}
	return st, flush()
}

func (m *CSVMapping) comma() rune {
	if m.Comma == 0 {
		return ','
	}
	return m.Comma
}

// checkColumns refuses a file that lacks a mapped column: a typo in a
// mapping would otherwise quietly leave a field empty in every record.
func (m *CSVMapping) checkColumns(header []string) error {
	var missing []string
	need := slices.Collect(maps.Values(m.Labels))
	for _, f := range m.Fields {
		need = append(need, f.Columns...)
	}
	if m.GroupBy != "" {
		need = append(need, m.GroupBy)
	}
	for _, c := range need {
		if !slices.Contains(header, c) && !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("columns %q are mapped but not in the header", missing)
	}
	return nil
}

// cell returns a row's value in column, or "" for a null one.
func (m *CSVMapping) cell(row CSVRow, column string) string {
	v := strings.TrimSpace(row.Cells[column])
	if slices.Contains(m.Null, v) {
		return ""
	}
	return v
}

// value maps one field from a row.
func (m *CSVMapping) value(row CSVRow, name string) string {
	f, ok := m.Fields[name]
	if !ok {
		return ""
	}
	for _, c := range f.Columns {
		if v := m.cell(row, c); v != "" {
			if mapped, ok := f.Values[v]; ok {
				return mapped
			}
			return v
		}
	}
	return f.Default
}

// Time converts a cell written in one of the mapping's layouts to RFC 3339.
// A value no layout reads is returned as it is, for the record package to
// reject by field name.
func (m *CSVMapping) Time(v string) string {
	if v == "" {
		return ""
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return v
	}
	loc := m.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range m.TimeLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return v
}

// record maps the last row of a group (the latest state of the record).
func (m *CSVMapping) record(group []CSVRow) (CSVRecord, error) {
	row := group[len(group)-1]
	source := m.Source
	if source == "" {
		source = "csv"
	}
	w := wire{"source": source}
	var problems []error
	for _, name := range csvFieldNames[m.Kind] {
		v := m.value(row, name)
		if v == "" {
			continue
		}
		switch {
		case slices.Contains(incidentTimes, name), slices.Contains(changeTimes, name), slices.Contains(feedbackTimes, name),
			name == "review_completed_at":
			v = m.Time(v)
		}
		switch name {
		case "severity":
			n, err := severityNumber(v)
			if err != nil {
				problems = append(problems, err)
			}
			w[name] = n
		case "authorized", "review_required", "rework":
			w[name] = boolish(v)
		case "score", "scale_min", "scale_max":
			w[name] = numberish(v)
		case "estimated":
			// a list in one cell: "opened_at,closed_at"
			var names []string
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			w[name] = names
		case "caused_by_change":
			w[name] = map[string]string{"id": v}
		default:
			w[name] = v
		}
	}
	if r, ok := w["review_required"]; ok {
		delete(w, "review_required")
		w.review()["required"] = r
	}
	if c, ok := w["review_completed_at"]; ok {
		delete(w, "review_completed_at")
		w.review()["completed_at"] = c
	}
	labels := map[string]string{}
	for name, col := range m.Labels {
		if v := m.cell(row, col); v != "" {
			labels[name] = v
		}
	}
	w["labels"] = labels
	if m.Derive != nil {
		m.Derive(w, group)
	}
	if len(labels) == 0 {
		delete(w, "labels")
	}
	id, _ := w["id"].(string)
	if len(problems) > 0 {
		return CSVRecord{ID: id, Rows: group, Err: errors.Join(problems...)}, nil
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return CSVRecord{}, fmt.Errorf("%s:%d: %w", row.File, row.Line, err)
	}
	return CSVRecord{Raw: raw, ID: id, Rows: group}, nil
}

func (w wire) review() map[string]any {
	r, ok := w["review"].(map[string]any)
	if !ok {
		r = map[string]any{}
		w["review"] = r
	}
	return r
}

// Labels returns the record's labels, to add to in Derive.
func (w wire) Labels() map[string]string {
	l, ok := w["labels"].(map[string]string)
	if !ok {
		l = map[string]string{}
		w["labels"] = l
	}
	return l
}

// boolish reads the usual spellings of yes and no; anything else is passed
// on for the record package to reject.
func boolish(v string) any {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1":
		return true
	case "false", "no", "n", "0":
		return false
	}
	return v
}

// numberish passes a number on as a JSON number; anything else (a decimal
// comma, a word) as a string, for the record package to reject by field.
func numberish(v string) any {
	if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") {
		if n := json.Number(v); json.Valid([]byte(n)) {
			return n
		}
	}
	return v
}

// RawRows renders a record's source rows as JSON lines, for the quarantine:
// a rejected record is kept as the rows it was made from.
func (r CSVRecord) RawRows() string {
	var buf bytes.Buffer
	for _, row := range r.Rows {
		cells := map[string]string{}
		for k, v := range row.Cells {
			if v != "" {
				cells[k] = strings.ToValidUTF8(v, string(utf8.RuneError))
			}
		}
		b, _ := json.Marshal(map[string]any{"file": row.File, "line": row.Line, "row": cells})
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.String()
}

// csvMappingFile is a mapping as users write it in YAML.
type csvMappingFile struct {
	Kind        string                  `yaml:"kind"`
	Source      string                  `yaml:"source"`
	Delimiter   string                  `yaml:"delimiter"`
	TimeLayouts []string                `yaml:"time_layouts"`
	Timezone    string                  `yaml:"timezone"`
	NullValues  []string                `yaml:"null_values"`
	GroupBy     string                  `yaml:"group_by"`
	Fields      map[string]csvFieldFile `yaml:"fields"`
	Labels      map[string]string       `yaml:"labels"`
}

// csvFieldFile is a column name, a list of them, or the long form.
type csvFieldFile struct {
	Columns []string          `yaml:"columns"`
	Column  string            `yaml:"column"`
	Values  map[string]string `yaml:"values"`
	Default string            `yaml:"default"`
}

func (f *csvFieldFile) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		f.Columns = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		return n.Decode(&f.Columns)
	}
	type plain csvFieldFile
	var p plain
	dec := n.Decode(&p)
	*f = csvFieldFile(p)
	if f.Column != "" {
		f.Columns = append([]string{f.Column}, f.Columns...)
	}
	return dec
}

// ParseCSVMapping reads a mapping file. Unknown keys and fields are errors.
func ParseCSVMapping(data []byte) (*CSVMapping, error) {
	var f csvMappingFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("csv mapping: %w", err)
	}
	m := &CSVMapping{Kind: record.Kind(f.Kind), Source: f.Source, TimeLayouts: f.TimeLayouts, Null: f.NullValues,
		GroupBy: f.GroupBy, Labels: f.Labels, Fields: map[string]CSVField{}}
	if !slices.Contains(record.Kinds, m.Kind) {
		return nil, fmt.Errorf("csv mapping: kind %q: want incident, change or feedback", f.Kind)
	}
	switch utf8.RuneCountInString(f.Delimiter) {
	case 0:
	case 1:
		m.Comma, _ = utf8.DecodeRuneInString(f.Delimiter)
	default:
		return nil, fmt.Errorf("csv mapping: delimiter %q: want one character", f.Delimiter)
	}
	if f.Timezone != "" {
		loc, err := time.LoadLocation(f.Timezone)
		if err != nil {
			return nil, fmt.Errorf("csv mapping: timezone: %w", err)
		}
		m.Location = loc
	}
	for name, ff := range f.Fields {
		if !slices.Contains(csvFieldNames[m.Kind], name) {
			return nil, fmt.Errorf("csv mapping: field %q is not a field of a %s (fields: %s)", name, m.Kind, strings.Join(csvFieldNames[m.Kind], ", "))
		}
		if len(ff.Columns) == 0 && ff.Default == "" {
			return nil, fmt.Errorf("csv mapping: field %q: give a column, columns or a default", name)
		}
		m.Fields[name] = CSVField{Columns: ff.Columns, Values: ff.Values, Default: ff.Default}
	}
	if _, ok := m.Fields["id"]; !ok {
		return nil, errors.New("csv mapping: field \"id\" is required")
	}
	return m, nil
}
