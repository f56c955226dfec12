package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// ServiceNowSource is the source of records read from ServiceNow.
const ServiceNowSource = "servicenow"

// snTime is how ServiceNow's Table API writes times (values, not display
// values): UTC, to the second.
const snTime = "2006-01-02 15:04:05"

// serviceNowDefaults says where each Steward field comes from when the
// config does not say otherwise. References (cmdb_ci, assignment_group,
// caused_by) take their display value: CI and group names are what people
// write in Steward's config as system ids, aliases and team names; the
// change an incident names in caused_by is keyed by its number.
var serviceNowDefaults = map[string]map[string][]string{
	"incident": {
		"id":               {"number"},
		"system":           {"cmdb_ci.display_value", "business_service.display_value"},
		"team":             {"assignment_group.display_value"},
		"title":            {"short_description"},
		"severity":         {"priority"},
		"category":         {"category"},
		"opened_at":        {"opened_at"},
		"resolved_at":      {"resolved_at"},
		"closed_at":        {"closed_at"},
		"caused_by_change": {"caused_by.display_value"},
	},
	"change": {
		"id":            {"number"},
		"system":        {"cmdb_ci.display_value", "business_service.display_value"},
		"team":          {"assignment_group.display_value"},
		"type":          {"type"},
		"created_at":    {"opened_at"},
		"approved_at":   {"approval_set"},
		"planned_start": {"start_date"},
		"planned_end":   {"end_date"},
		// Without actual work times, the planned ones (and the closing)
		// stand in, and the record says they are estimated.
		"started_at":  {"work_start", "start_date"},
		"finished_at": {"work_end", "end_date", "closed_at"},
		"state":       {"state"},
		"close_code":  {"close_code"},
		"approval":    {"approval"},
	},
}

// HTTPOptions are what a polled source needs to talk HTTP. Zero values use
// http.DefaultClient, the default Backoff, the real clock and no logs.
type HTTPOptions struct {
	Client  *http.Client
	Backoff Backoff
	Sleep   func(ctx context.Context, d time.Duration) error
	Now     func() time.Time
	Logger  *slog.Logger
}

func (o HTTPOptions) fetcher(authorize func(*http.Request)) fetcher {
	f := fetcher{client: o.Client, backoff: o.Backoff, sleep: o.Sleep, now: o.Now, log: o.Logger, authorize: authorize}
	if f.client == nil {
		f.client = &http.Client{Timeout: 2 * time.Minute}
	}
	if f.sleep == nil {
		f.sleep = Sleep
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f
}

// ServiceNowTable polls one table through the Table API. It pages by keyset
// on (sys_updated_on, sys_id) rather than by offset: an offset skips a
// record whenever one before it is updated between two pages (the update
// moves it to the end), a keyset never does, and the cursor alone says
// where to resume after a restart.
type ServiceNowTable struct {
	base     string
	table    string
	kind     record.Kind
	fields   map[string][]string
	impacts  map[string]string
	query    string
	since    time.Time
	pageSize int
	display  bool // some field wants display values: ask for sysparm_display_value=all
	f        fetcher
}

// NewServiceNowTable returns a source for one of c's tables.
func NewServiceNowTable(c *config.ServiceNowPoller, table string, o HTTPOptions) *ServiceNowTable {
	kind := config.TableKind(table)
	fields := map[string][]string{}
	for k, v := range serviceNowDefaults[kind] {
		fields[k] = v
	}
	for k, v := range c.Fields[table] {
		fields[k] = v
	}
	t := &ServiceNowTable{
		base: strings.TrimRight(c.URL, "/"), table: table, kind: record.Kind(kind), fields: fields,
		impacts: c.ImpactMap, query: c.Query, since: c.Since.UTC(), pageSize: c.PageSize,
	}
	if t.pageSize <= 0 {
		t.pageSize = 100
	}
	for _, specs := range fields {
		for _, s := range specs {
			if strings.HasSuffix(s, ".display_value") {
				t.display = true
			}
		}
	}
	user, pass, token := c.Username, c.Password.Reveal(), c.Token.Reveal()
	t.f = o.fetcher(func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		} else {
			r.SetBasicAuth(user, pass)
		}
	})
	return t
}

// Name is "servicenow/<table>".
func (t *ServiceNowTable) Name() string { return ServiceNowSource + "/" + t.table }

// snCursor is the (sys_updated_on, sys_id) of the last record stored.
type snCursor struct {
	updated, sysID string
}

func parseSNCursor(s string) (snCursor, error) {
	if s == "" {
		return snCursor{}, nil
	}
	updated, id, ok := strings.Cut(s, "|")
	if _, err := time.Parse(snTime, updated); !ok || err != nil || id == "" {
		return snCursor{}, fmt.Errorf("bad cursor %q: want \"YYYY-MM-DD hh:mm:ss|sys_id\"", s)
	}
	return snCursor{updated, id}, nil
}

func (c snCursor) String() string {
	if c.updated == "" {
		return ""
	}
	return c.updated + "|" + c.sysID
}

// snList is a Table API list response.
type snList struct {
	Result []map[string]json.RawMessage `json:"result"`
}

// Fetch reads the records after cursor: first those updated in the same
// second with a greater sys_id, then, if that does not fill a page, those
// updated later. Both queries are plain conjunctions, which every
// ServiceNow release understands.
func (t *ServiceNowTable) Fetch(ctx context.Context, cursor string) (Page, error) {
	cur, err := parseSNCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	var rows []map[string]json.RawMessage
	limit := t.pageSize
	if cur.updated != "" {
		same, err := t.list(ctx, "sys_updated_on="+cur.updated+"^sys_id>"+cur.sysID+"^ORDERBYsys_id", limit)
		if err != nil {
			return Page{}, err
		}
		rows = same
		limit -= len(same)
	}
	more := limit == 0
	if limit > 0 {
		var cond string
		switch {
		case cur.updated != "":
			cond = "sys_updated_on>" + cur.updated + "^"
		case !t.since.IsZero():
			cond = "sys_updated_on>=" + t.since.Format(snTime) + "^"
		}
		later, err := t.list(ctx, cond+"ORDERBYsys_updated_on^ORDERBYsys_id", limit)
		if err != nil {
			return Page{}, err
		}
		rows = append(rows, later...)
		more = len(later) == limit
	}
	page := Page{Cursor: cursor, More: more}
	for i, row := range rows {
		next := snCursor{updated: snField(row, "sys_updated_on", false), sysID: snField(row, "sys_id", false)}
		if _, err := parseSNCursor(next.String()); err != nil {
			return Page{}, fmt.Errorf("servicenow %s: record %d has no usable sys_updated_on and sys_id", t.table, i)
		}
		page.Cursor = next.String()
		t.decode(&page.Batch, row, i)
	}
	return page, nil
}

// list GETs one page of the table matching cond (plus the configured query).
func (t *ServiceNowTable) list(ctx context.Context, cond string, limit int) ([]map[string]json.RawMessage, error) {
	if t.query != "" {
		cond = t.query + "^" + cond
	}
	display := "false"
	if t.display {
		display = "all"
	}
	q := url.Values{
		"sysparm_query":                  {cond},
		"sysparm_limit":                  {strconv.Itoa(limit)},
		"sysparm_display_value":          {display},
		"sysparm_exclude_reference_link": {"true"},
		"sysparm_no_count":               {"true"},
	}
	var resp snList
	if _, err := t.f.get(ctx, t.base+"/api/now/table/"+url.PathEscape(t.table)+"?"+q.Encode(), &resp); err != nil {
		return nil, fmt.Errorf("servicenow %s: %w", t.table, err)
	}
	return resp.Result, nil
}

// decode maps one Table API record and validates it into b.
func (t *ServiceNowTable) decode(b *record.Batch, row map[string]json.RawMessage, index int) {
	var raw []byte
	var err error
	if t.kind == record.KindChange {
		raw, err = json.Marshal(t.changeFields(row))
	} else {
		var w wire
		if w, err = t.incidentFields(row); err == nil {
			raw, err = json.Marshal(w)
		}
	}
	if err == nil {
		err = addRecord(b, t.kind, ServiceNowSource, raw)
	}
	if err != nil {
		original, _ := json.Marshal(row)
		b.Rejected = append(b.Rejected, record.Rejected{
			Kind: t.kind, Source: ServiceNowSource, Index: index, ID: t.get(row, "id"),
			Error: fmt.Sprintf("servicenow %s record %s (sys_id %s): %v", t.table, t.get(row, "id"), snField(row, "sys_id", false), err),
			Raw:   string(original), ReceivedAt: t.f.now().UTC(),
		})
	}
}

// get returns the first non-empty value of the ServiceNow fields mapped to
// the Steward field name.
func (t *ServiceNowTable) get(row map[string]json.RawMessage, name string) string {
	v, _ := t.getFrom(row, name)
	return v
}

// getFrom is get, also saying whether the value came from the first
// column of the field's list (the field itself rather than a stand-in).
func (t *ServiceNowTable) getFrom(row map[string]json.RawMessage, name string) (string, bool) {
	for i, spec := range t.fields[name] {
		field, display := spec, false
		if f, ok := strings.CutSuffix(spec, ".display_value"); ok {
			field, display = f, true
		} else if f, ok := strings.CutSuffix(spec, ".value"); ok {
			field = f
		}
		if v := snField(row, field, display); v != "" {
			return v, i == 0
		}
	}
	return "", false
}

// wire is a record in Steward's JSON wire format, built field by field so
// that absent values stay absent and the record package validates them.
type wire map[string]any

func (w wire) set(key, value string) {
	if value != "" {
		w[key] = value
	}
}

// setTime converts a ServiceNow time to RFC 3339; a value that does not
// parse is passed on as it is, for the record package to reject by name.
func (w wire) setTime(key, value string) {
	if value == "" {
		return
	}
	if ts, err := time.Parse(snTime, value); err == nil {
		value = ts.UTC().Format(time.RFC3339)
	}
	w[key] = value
}

func (t *ServiceNowTable) incidentFields(row map[string]json.RawMessage) (wire, error) {
	w := wire{"source": ServiceNowSource}
	w.set("id", t.get(row, "id"))
	w.set("system", t.get(row, "system"))
	w.set("team", t.get(row, "team"))
	w.set("title", t.get(row, "title"))
	if s := t.get(row, "severity"); s != "" {
		n, err := severityNumber(s)
		if err != nil {
			return nil, err
		}
		w["severity"] = n
	}
	if v := t.get(row, "impact"); v != "" {
		if m, ok := t.impacts[strings.ToLower(v)]; ok {
			v = m
		}
		w["impact"] = strings.ToLower(v)
	}
	// Every record of the security incident table is a security incident;
	// its own category (Phishing, Malware…) is kept as a label. Other
	// tables' categories (software, network…) are the category.
	category := t.get(row, "category")
	if t.table == "sn_si_incident" {
		category = "security"
	}
	w.set("category", strings.ToLower(category))
	for _, k := range []string{"opened_at", "acknowledged_at", "resolved_at", "closed_at"} {
		w.setTime(k, t.get(row, k))
	}
	if c := t.get(row, "caused_by_change"); c != "" {
		w["caused_by_change"] = map[string]string{"source": ServiceNowSource, "id": c}
	}
	w["labels"] = t.labels(row)
	return w, nil
}

func (t *ServiceNowTable) changeFields(row map[string]json.RawMessage) wire {
	w := wire{"source": ServiceNowSource}
	w.set("id", t.get(row, "id"))
	w.set("system", t.get(row, "system"))
	w.set("team", t.get(row, "team"))
	w.set("environment", t.get(row, "environment"))
	typ := strings.ToLower(t.get(row, "type"))
	w.set("type", typ)
	outcome := snOutcome(t.get(row, "state"), t.get(row, "close_code"))
	w["outcome"] = outcome
	w.setTime("created_at", t.get(row, "created_at"))
	w.setTime("planned_start", t.get(row, "planned_start"))
	w.setTime("planned_end", t.get(row, "planned_end"))
	var estimated []string
	started, actual := t.getFrom(row, "started_at")
	w.setTime("started_at", started)
	if started != "" && !actual {
		estimated = append(estimated, "started_at")
	}
	// Until a change ends its planned end_date is only a plan: attribution
	// goes by its start while it is unfinished (spec section 4).
	if outcome != string(record.OutcomeInProgress) {
		finished, actual := t.getFrom(row, "finished_at")
		w.setTime("finished_at", finished)
		if finished != "" && !actual {
			estimated = append(estimated, "finished_at")
		}
	}
	if len(estimated) > 0 {
		w["estimated"] = estimated
	}
	approval := t.get(row, "approval")
	if strings.EqualFold(approval, "approved") {
		// approval_set is when the approval was decided.
		w.setTime("approved_at", t.get(row, "approved_at"))
	}
	w["authorized"] = snAuthorized(approval, typ)
	w["labels"] = t.labels(row)
	return w
}

func (t *ServiceNowTable) labels(row map[string]json.RawMessage) map[string]string {
	l := map[string]string{"servicenow_table": t.table, "servicenow_sys_id": snField(row, "sys_id", false)}
	if s := snField(row, "state", true); s != "" {
		l["servicenow_state"] = s
	}
	if c := snField(row, "category", true); c != "" && t.table == "sn_si_incident" {
		l["servicenow_category"] = c
	}
	return l
}

// snOutcome maps a change's state and close_code. State values are the
// base system's (3 closed, 4 canceled); display values work too.
func snOutcome(state, closeCode string) string {
	switch strings.ToLower(closeCode) {
	case "successful", "successful_issues", "successful with issues":
		return string(record.OutcomeSuccess)
	case "unsuccessful":
		return string(record.OutcomeFailed)
	case "":
	default:
		return closeCode // unknown: the record is rejected naming it
	}
	switch strings.ToLower(state) {
	case "4", "canceled", "cancelled":
		return string(record.OutcomeCancelled)
	case "3", "closed":
		// Closed without a close code: nothing says it failed.
		return string(record.OutcomeSuccess)
	}
	return string(record.OutcomeInProgress)
}

// snAuthorized reads the approval field: approved is authorized, rejected
// is not; a change never approved is authorized only if it is a standard
// (pre-approved) change.
func snAuthorized(approval, changeType string) bool {
	switch strings.ToLower(approval) {
	case "approved":
		return true
	case "rejected":
		return false
	}
	return changeType == string(record.TypeStandard)
}

// severityNumber reads "1" or "1 - Critical" (a display value) as a JSON
// number. Anything else is an error worded as the record package words it,
// since it cannot be put in the wire format for the record package to judge.
func severityNumber(s string) (json.Number, error) {
	if m := leadingNumberRE.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return json.Number(m[1]), nil
	}
	return "", &record.FieldError{Field: "severity", Msg: fmt.Sprintf("must be an integer from 1 to 5, got %q", s)}
}

var leadingNumberRE = regexp.MustCompile(`^(\d+)(?:\s*-\s.*)?$`)

// snField reads a field in any shape the Table API gives it: a string, a
// number or boolean (display_value=all), {"value", "display_value"}, or a
// reference {"link", "value"}. display picks the display value when there
// is one. Numbers print without a ".0".
func snField(row map[string]json.RawMessage, name string, display bool) string {
	raw, ok := row[name]
	if !ok {
		return ""
	}
	var obj struct {
		Value        json.RawMessage `json:"value"`
		DisplayValue json.RawMessage `json:"display_value"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &obj) == nil {
		if display && len(obj.DisplayValue) > 0 {
			return scalar(obj.DisplayValue)
		}
		return scalar(obj.Value)
	}
	return scalar(raw)
}

func scalar(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if len(raw) == 0 || dec.Decode(&v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		if f, err := x.Float64(); err == nil && f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// addRecord validates one wire record and adds it to b as accepted, or
// returns why it is rejected.
func addRecord(b *record.Batch, kind record.Kind, source string, raw []byte) error {
	switch kind {
	case record.KindIncident:
		in, err := record.ParseIncident(raw, source)
		if err != nil {
			return flatten(err)
		}
		b.Incidents = append(b.Incidents, in)
	case record.KindChange:
		c, err := record.ParseChange(raw, source)
		if err != nil {
			return flatten(err)
		}
		b.Changes = append(b.Changes, c)
	default:
		return fmt.Errorf("unknown record kind %q", kind)
	}
	return nil
}

// flatten puts errors.Join's lines on one line.
func flatten(err error) error {
	var multi interface{ Unwrap() []error }
	if !errors.As(err, &multi) {
		return err
	}
	parts := make([]string, 0, len(multi.Unwrap()))
	for _, e := range multi.Unwrap() {
		parts = append(parts, e.Error())
	}
	return errors.New(strings.Join(parts, "; "))
}
