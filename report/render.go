package report

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/steward-sh/steward/csvsafe"
	"github.com/steward-sh/steward/kpi"
	"github.com/steward-sh/steward/record"
	"github.com/steward-sh/steward/scorecard"
)

// Formats lists the output formats of Write.
var Formats = []string{"markdown", "html", "csv", "json"}

//go:embed templates
var templateFiles embed.FS

//go:embed templates/report.css
var stylesheet string

// Stylesheet is the CSS of HTML reports, which the web UI shares.
func Stylesheet() string { return stylesheet }

// Funcs are the template functions reports use; the web UI uses them too,
// so a value reads the same everywhere.
func Funcs() map[string]any {
	return map[string]any{
		"value":     Value,
		"count":     Count,
		"kpiTitles": Titles,
		"delta":     Delta,
		"score":     Score,
		"status":    Status,
		"time":      Time,
		"date":      func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"instant":   func(t time.Time) string { return Time(&t) },
		"dur":       func(v *float64) string { return durPtr(v) },
		"seconds":   Duration,
		"kpiTitle":  KPITitle,
		"kpiHelp":   kpi.Help,
		"trend":     Trend,
		"kpiRow":    func(s Subject, k KPI) kpiRow { return kpiRow{s, k} },
		"num":       func(v *float64) string { return numText(v) },
		"failure":   Failure,
		"ref":       func(r *record.Ref) string { return refText(r) },
		"refs":      refsText,
		"spans":     spansText,
		"owners":    ownersText,
		"sla":       SLA,
		"review":    ReviewText,
		"first":     first,
		"samples":   samplesText,
		// estimated times (estimated.go)
		"has":            has,
		"join":           func(l []string) string { return strings.Join(l, ", ") },
		"anyEstimated":   anyEstimated,
		"estimatedTitle": estimatedTitle,
		"leftOutTitle":   leftOutTitle,
		"estimatedMark":  func() string { return EstimatedMark },
		"estimatedNote":  func() string { return EstimatedNote },
	}
}

// first returns the first n elements of a slice (all when n ≤ 0).
func first(n int, list any) any {
	v := reflect.ValueOf(list)
	if n <= 0 || v.Len() <= n {
		return list
	}
	return v.Slice(0, n).Interface()
}

var (
	markdownTmpl = template.Must(template.New("report.md.tmpl").Funcs(Funcs()).Funcs(template.FuncMap{"md": mdEscape}).
			ParseFS(templateFiles, "templates/report.md.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(Funcs()).
			ParseFS(templateFiles, "templates/report.html.tmpl", "templates/report.css"))
)

// Write renders a report in one of Formats.
func Write(w io.Writer, rep *Report, format string) error {
	var err error
	switch format {
	case "markdown", "md", "":
		err = markdownTmpl.Execute(w, rep)
	case "html":
		err = htmlTmpl.Execute(w, rep)
	case "csv":
		err = writeCSV(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	default:
		return fmt.Errorf("report: unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	return nil
}

// ReviewHTML renders a report as the HTML report's body, without the
// document around it, for the web UI to show in its own pages.
func ReviewHTML(rep *Report) (htmltemplate.HTML, error) {
	var b strings.Builder
	if err := htmlTmpl.ExecuteTemplate(&b, "review", rep); err != nil {
		return "", fmt.Errorf("report: review: %w", err)
	}
	return htmltemplate.HTML(b.String()), nil // rendered by html/template
}

// kpiRow is a KPI with the subject it belongs to, for a template row.
type kpiRow struct {
	Subject Subject
	KPI     KPI
}

// EvidenceHTML renders a review's evidence lists as the HTML report does,
// for pages that show them outside a report (the web UI).
func EvidenceHTML(r *Review) (htmltemplate.HTML, error) {
	var b strings.Builder
	if err := htmlTmpl.ExecuteTemplate(&b, "evidence", r); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	return htmltemplate.HTML(b.String()), nil // rendered by html/template
}

// writeCSV writes one row per subject and KPI, with the frozen value where
// a frozen version was restated, each measured system's share of a
// measurement KPI, and whether the period is provisional.
func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"period", "from", "to", "role", "subject", "score", "previous_score", "kpi", "value", "objective", "warning",
		"status", "previous", "delta", "frozen_version", "frozen_value", "restated", "measured_systems", "provisional"})
	for _, s := range rep.Subjects {
		restated := map[string]KPIChange{}
		version := ""
		if s.Frozen != nil {
			version = strconv.Itoa(s.Frozen.Version)
		}
		if s.Restatement != nil {
			for _, k := range s.Restatement.KPIs {
				restated[k.Name] = k
			}
		}
		measured := s.MeasuredSystems()
		for _, k := range s.KPIs {
			frozen, flag := "", ""
			if s.Frozen != nil {
				frozen, flag = numText(k.Value), "false"
				if ch, ok := restated[k.Name]; ok {
					frozen, flag = numText(ch.Old), "true"
				}
			}
			_ = cw.Write([]string{csvsafe.Text(rep.Period.Name), rep.Period.From.Format(time.RFC3339), rep.Period.To.Format(time.RFC3339),
				string(s.Role), csvsafe.Text(s.Subject), numText(s.Score), numText(s.PreviousScore), k.Name, numText(k.Value), numText(k.Objective),
				numText(k.Warning), csvsafe.Text(k.Status), numText(k.Previous), numText(k.Delta), version, frozen, flag,
				csvsafe.Text(measuredText(k.Name, measured)), strconv.FormatBool(rep.Provisional)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func numText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64) // never 1e+06: spreadsheets and scripts read plain numbers
}

func durPtr(v *float64) string {
	if v == nil {
		return ""
	}
	return Duration(*v)
}

// Failure says why a change counts as failed.
func Failure(c scorecard.ChangeEvidence) string {
	var why []string
	if c.Outcome == string(record.OutcomeFailed) || c.Outcome == string(record.OutcomeRolledBack) {
		why = append(why, strings.ReplaceAll(c.Outcome, "_", " "))
	}
	if c.FailedByIncident {
		why = append(why, "caused "+refsText(c.CausedIncidents))
	}
	return strings.Join(why, "; ")
}

// SLA describes an incident's standing against its SLA target as of at
// (the evaluation time): an incident still open past its target is already
// breaching, and says since when.
func SLA(in scorecard.IncidentEvidence, at time.Time) string {
	switch {
	case in.SLATargetSeconds == nil:
		return "no target"
	case in.SLABreached:
		return "breached (target " + Duration(*in.SLATargetSeconds) + ")"
	case in.ResolvedAt == nil:
		due := in.OpenedAt.Add(time.Duration(*in.SLATargetSeconds * float64(time.Second)))
		if at.After(due) {
			return "open, SLA breached " + Duration(at.Sub(due).Seconds()) + " ago (target " + Duration(*in.SLATargetSeconds) + ")"
		}
		return "open (target " + Duration(*in.SLATargetSeconds) + ")"
	}
	return "met (target " + Duration(*in.SLATargetSeconds) + ")"
}

// ReviewText describes an incident's post-incident review, naming the
// sign-offs policy needs that it lacks.
func ReviewText(in scorecard.IncidentEvidence) string {
	text := reviewStatusText(in)
	if len(in.ReviewSignoffsMissing) > 0 && in.ReviewStatus != scorecard.ReviewNotRequired {
		text += " (no sign-off by the " + strings.ReplaceAll(strings.Join(in.ReviewSignoffsMissing, ", "), "_", " ") + ")"
	}
	return text
}

func reviewStatusText(in scorecard.IncidentEvidence) string {
	switch in.ReviewStatus {
	case scorecard.ReviewNotRequired:
		return "not required"
	case scorecard.ReviewNotDue:
		return "due after resolution"
	case scorecard.ReviewMissing:
		return "missing"
	case scorecard.ReviewOnTime:
		return "on time"
	}
	return in.ReviewStatus
}

func refText(r *record.Ref) string {
	if r == nil {
		return ""
	}
	return r.Source + "/" + r.ID
}

func refsText(rs []record.Ref) string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = refText(&rs[i])
	}
	return strings.Join(out, ", ")
}

func spansText(ss []scorecard.Span) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Time(&s.From) + " – " + Time(&s.To)
	}
	return strings.Join(out, ", ")
}

func ownersText(cs []scorecard.OwnerChange) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		from := c.From
		if from == "" {
			from = "nobody"
		}
		out[i] = Time(&c.At) + ": " + from + " → " + c.To
	}
	return strings.Join(out, "; ")
}

var mdReplacer = strings.NewReplacer(`\`, `\\`, "|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "&", "&amp;", "`", "\\`",
	"[", `\[`, "]", `\]`) // no link or image without brackets

// mdEscape makes text safe in a Markdown table cell: it cannot end the
// cell or the row, nor make a link, an image or HTML (an incident titled
// ![](https://tracker.example/pixel) must not load anything when the
// review is viewed).
func mdEscape(s string) string { return mdReplacer.Replace(s) }
