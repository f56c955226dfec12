package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/record"
)

// PagerDutyAPIDefaults is PagerDutyDefaults with its paths rooted at the
// REST API's incident object instead of the webhook's event.data, so that
// polled and pushed incidents map alike.
func PagerDutyAPIDefaults() Mapping {
	m := PagerDutyDefaults()
	for _, l := range []*[]string{&m.System, &m.Team, &m.Title, &m.Severity, &m.Impact, &m.Category, &m.Environment} {
		out := make([]string, len(*l))
		for i, p := range *l {
			out[i] = strings.TrimPrefix(p, "event.data.")
		}
		*l = out
	}
	return m
}

// PagerDutyAPI polls incidents through the PagerDuty REST API. The list
// endpoint filters by creation time only, so the cursor holds three things:
// the creation-time window to read next (a backfill walks from Since to now
// in Window steps, each paged by offset), the offset within it, and the
// incidents seen unresolved, which are re-read one by one once the backfill
// has caught up so that their acknowledgement and resolution are seen.
type PagerDutyAPI struct {
	base     string
	token    string
	since    time.Time
	window   time.Duration
	pageSize int
	m        Mapping
	prior    record.Getter
	f        fetcher
}

// NewPagerDutyAPI returns the feed. prior (may be nil) reads stored
// incidents, to keep an acknowledgement time that PagerDuty no longer lists.
func NewPagerDutyAPI(c *config.PagerDutyPoller, prior record.Getter, o HTTPOptions) *PagerDutyAPI {
	p := &PagerDutyAPI{
		base: strings.TrimRight(c.URL, "/"), token: c.Token.Reveal(), since: c.Since.UTC(), window: c.Window,
		pageSize: c.PageSize, m: PagerDutyAPIDefaults().With(c.Mapping), prior: prior,
	}
	if p.base == "" {
		p.base = "https://api.pagerduty.com"
	}
	if p.window <= 0 {
		p.window = 30 * 24 * time.Hour
	}
	if p.pageSize <= 0 {
		p.pageSize = 100
	}
	p.f = o.fetcher(func(r *http.Request) {
		r.Header.Set("Authorization", "Token token="+p.token)
		r.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	})
	return p
}

// Name is "pagerduty_api".
func (p *PagerDutyAPI) Name() string { return "pagerduty_api" }

// pdCursor is the poller's position, stored as JSON.
type pdCursor struct {
	Next    time.Time `json:"next"`              // start of the next creation-time window
	Offset  int       `json:"offset,omitempty"`  // records of that window already stored
	Open    []string  `json:"open,omitempty"`    // incidents last seen unresolved
	Refresh bool      `json:"refresh,omitempty"` // caught up: re-read Open next
}

type pdIncident struct {
	ID               string `json:"id"`
	Number           int    `json:"incident_number"`
	Status           string `json:"status"`
	HTMLURL          string `json:"html_url"`
	CreatedAt        string `json:"created_at"`
	ResolvedAt       string `json:"resolved_at"`
	LastStatusChange string `json:"last_status_change_at"`
	Acknowledgements []struct {
		At string `json:"at"`
	} `json:"acknowledgements"`
}

// Fetch reads the next page of the backfill, or, once caught up, re-reads
// the incidents still open.
func (p *PagerDutyAPI) Fetch(ctx context.Context, cursor string) (Page, error) {
	now := p.f.now().UTC().Truncate(time.Second)
	cur := pdCursor{Next: p.since}
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return Page{}, fmt.Errorf("pagerduty_api: bad cursor %q: %v", cursor, err)
		}
	}
	if cur.Next.IsZero() {
		cur.Next = now.Add(-90 * 24 * time.Hour)
	}
	var (
		docs []json.RawMessage
		page Page
		err  error
	)
	if cur.Refresh {
		var gone []string
		docs, gone, err = p.refresh(ctx, cur.Open)
		cur.Open = slices.DeleteFunc(cur.Open, func(id string) bool { return slices.Contains(gone, id) })
		cur.Refresh = false
	} else if cur.Next.Before(now) {
		until := cur.Next.Add(p.window)
		if until.After(now) {
			until = now
		}
		var more bool
		docs, more, err = p.list(ctx, cur.Next, until, cur.Offset)
		switch {
		case more:
			cur.Offset += len(docs)
			page.More = true
		default:
			cur.Next, cur.Offset = until, 0
			// A window that reached now ends the backfill; the open
			// incidents are re-read before the cycle ends.
			cur.Refresh = !until.Before(now) && len(cur.Open) > 0
			page.More = until.Before(now) || cur.Refresh
		}
	}
	if err != nil {
		return Page{}, err
	}
	for i, doc := range docs {
		id := p.decode(ctx, &page.Batch, doc, i)
		if id.ID == "" {
			continue
		}
		cur.Open = slices.DeleteFunc(cur.Open, func(s string) bool { return s == id.ID })
		if id.Status != "resolved" {
			cur.Open = append(cur.Open, id.ID)
		}
	}
	b, _ := json.Marshal(cur)
	page.Cursor = string(b)
	return page, nil
}

// list reads one page of incidents created in [since, until).
func (p *PagerDutyAPI) list(ctx context.Context, since, until time.Time, offset int) ([]json.RawMessage, bool, error) {
	q := url.Values{
		"since":     {since.Format(time.RFC3339)},
		"until":     {until.Format(time.RFC3339)},
		"offset":    {strconv.Itoa(offset)},
		"limit":     {strconv.Itoa(p.pageSize)},
		"total":     {"true"},
		"time_zone": {"UTC"},
		"sort_by":   {"created_at:asc"},
	}
	var resp struct {
		Incidents []json.RawMessage `json:"incidents"`
		More      bool              `json:"more"`
	}
	if _, err := p.f.get(ctx, p.base+"/incidents?"+q.Encode(), &resp); err != nil {
		return nil, false, fmt.Errorf("pagerduty_api: list incidents: %w", err)
	}
	return resp.Incidents, resp.More && len(resp.Incidents) > 0, nil
}

// refresh re-reads incidents by id; those PagerDuty no longer has (404)
// are returned as gone, so that they stop being re-read.
func (p *PagerDutyAPI) refresh(ctx context.Context, ids []string) (docs []json.RawMessage, gone []string, err error) {
	for _, id := range ids {
		var resp struct {
			Incident json.RawMessage `json:"incident"`
		}
		_, err := p.f.get(ctx, p.base+"/incidents/"+url.PathEscape(id), &resp)
		var he *httpError
		switch {
		case errors.As(err, &he) && he.Code == http.StatusNotFound:
			gone = append(gone, id)
		case err != nil:
			return nil, nil, fmt.Errorf("pagerduty_api: get incident %s: %w", id, err)
		default:
			docs = append(docs, resp.Incident)
		}
	}
	return docs, gone, nil
}

// pdKey is what Fetch needs to track an incident as open.
type pdKey struct{ ID, Status string }

// decode maps one REST incident into b and returns its id and status (an
// empty id when the document has none).
func (p *PagerDutyAPI) decode(ctx context.Context, b *record.Batch, doc json.RawMessage, index int) pdKey {
	now := p.f.now().UTC()
	var w pdIncident
	reject := func(id, msg string) {
		b.Rejected = append(b.Rejected, record.Rejected{
			Kind: record.KindIncident, Source: "pagerduty", Index: index, ID: id,
			Error: fmt.Sprintf("pagerduty_api incident %d (id %q): %s", index, id, msg), Raw: string(doc), ReceivedAt: now,
		})
	}
	fields, err := parseDoc(doc)
	if err == nil {
		err = json.Unmarshal(doc, &w)
	}
	if err != nil || w.ID == "" {
		reject(w.ID, fmt.Sprintf("not a PagerDuty incident: %v", err))
		return pdKey{}
	}
	in := record.Incident{ID: w.ID, Source: "pagerduty"}
	p.m.fillIncident(&in, jsonFields(fields), nil)
	in.Category = pdCategory(in.Category)
	in.Labels = map[string]string{"status": w.Status, "url": w.HTMLURL}
	if w.Number != 0 {
		in.Labels["number"] = strconv.Itoa(w.Number)
	}
	for label, path := range map[string]string{"urgency": "urgency", "priority": "priority.summary", "service_id": "service.id",
		"incident_type": "incident_type.name"} {
		if v, ok := jsonFields(fields)(path); ok {
			in.Labels[label] = v
		}
	}
	var bad []string
	parse := func(field, s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			bad = append(bad, fmt.Sprintf("field %q: not an RFC 3339 time: %q", field, s))
			return nil
		}
		return ptr(t.UTC())
	}
	if t := parse("created_at", w.CreatedAt); t != nil {
		in.OpenedAt = *t
	}
	if last := parse("last_status_change_at", w.LastStatusChange); last != nil {
		// Webhook events older than this are stale (see DecodePagerDuty).
		in.Labels[labelLastEvent] = stamp(*last)
	}
	for i, a := range w.Acknowledgements {
		if t := parse(fmt.Sprintf("acknowledgements.%d.at", i), a.At); t != nil && (in.AcknowledgedAt == nil || t.Before(*in.AcknowledgedAt)) {
			in.AcknowledgedAt = t
		}
	}
	if in.AcknowledgedAt == nil && p.prior != nil {
		// PagerDuty lists only current acknowledgements: after a resolve
		// the stored first acknowledgement is the only trace.
		if old, err := p.prior.Incident(ctx, "pagerduty", w.ID); err == nil && old != nil {
			in.AcknowledgedAt = old.AcknowledgedAt
		}
	}
	if w.Status == "resolved" {
		in.ResolvedAt = parse("resolved_at", w.ResolvedAt)
		if in.ResolvedAt == nil {
			in.ResolvedAt = parse("last_status_change_at", w.LastStatusChange)
		}
	}
	if len(bad) > 0 {
		reject(w.ID, strings.Join(bad, "; "))
		return pdKey{}
	}
	valid, err := checkIncident(in)
	if err != nil {
		reject(w.ID, hint(err, in.System, p.m.System))
		return pdKey{}
	}
	b.Incidents = append(b.Incidents, valid)
	return pdKey{w.ID, w.Status}
}
