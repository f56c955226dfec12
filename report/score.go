package report

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
)

// Explanation is a score with what it is made of, so that a page shows
// the formula of SPEC 4 beside the number a review meeting talks about.
type Explanation struct {
	Score *float64
	// NotAccountable: the subject had no exposure in the window or period
	// (SPEC 4 Exposure), so it has no score by rule, not for lack of data.
	NotAccountable bool
	// The names of the KPIs with an objective, by status.
	Meets, Warnings, Breaches, NoData []string
}

// Explain sorts a subject's KPIs by status for its score.
func Explain(score *float64, kpis []KPI) Explanation {
	e := Explanation{Score: score}
	for _, k := range kpis {
		switch k.Status {
		case "meets":
			e.Meets = append(e.Meets, k.Name)
		case "warning":
			e.Warnings = append(e.Warnings, k.Name)
		case "breach":
			e.Breaches = append(e.Breaches, k.Name)
		case "no_data":
			e.NoData = append(e.NoData, k.Name)
		}
	}
	return e
}

// Scored is the number of KPIs the score divides by: those with an
// objective and a value.
func (e Explanation) Scored() int { return len(e.Meets) + len(e.Warnings) + len(e.Breaches) }

// Text is the score for people, or why there is none.
func (e Explanation) Text() string {
	switch {
	case e.NotAccountable:
		return "not accountable in this period"
	case e.Score == nil:
		return "no score"
	}
	return Score(e.Score)
}

// Formula is the score's arithmetic with its inputs, e.g. "= 100 × (3
// meets + 0.5 × 1 warning) / 4 KPIs with an objective and a value", or why
// there is no score.
func (e Explanation) Formula() string {
	switch {
	case e.NotAccountable:
		return "the subject answered for nothing in this period, so it is not scored"
	case e.Score == nil && len(e.NoData) > 0:
		return "no KPI with an objective has a value"
	case e.Score == nil:
		return "no KPI of this role has an objective"
	}
	return fmt.Sprintf("= 100 × (%s + 0.5 × %s) / %s with an objective and a value",
		plural(len(e.Meets), "meets", "meets"), plural(len(e.Warnings), "warning", "warnings"), plural(e.Scored(), "KPI", "KPIs"))
}

// Short is the formula in few characters, for a table cell.
func (e Explanation) Short() string {
	if e.Score == nil || e.NotAccountable {
		return ""
	}
	return fmt.Sprintf("100 × (%d + 0.5 × %d) / %d", len(e.Meets), len(e.Warnings), e.Scored())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// Titles lists KPI names as their titles, comma separated.
func Titles(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = KPITitle(n)
	}
	return strings.Join(out, ", ")
}

// Explained is the review's score with its inputs. (A review of a subject
// without exposure will set NotAccountable here.)
func (r *Review) Explained() Explanation { return Explain(r.Score, r.KPIs) }

// ScoredKPIs are the review's KPIs with an objective, which its score is
// made of.
func (r *Review) ScoredKPIs() []KPI { return r.kpisWhere(true) }

// UnscoredKPIs are the review's KPIs without an objective.
func (r *Review) UnscoredKPIs() []KPI { return r.kpisWhere(false) }

func (r *Review) kpisWhere(scored bool) []KPI {
	var out []KPI
	for _, k := range r.KPIs {
		if (k.Status != "") == scored {
			out = append(out, k)
		}
	}
	return out
}

// ScoreHTML renders a score with its formula and inputs as the HTML report
// does, for the web UI's pages.
func ScoreHTML(e Explanation) (htmltemplate.HTML, error) {
	var b strings.Builder
	if err := htmlTmpl.ExecuteTemplate(&b, "score", e); err != nil {
		return "", fmt.Errorf("report: score: %w", err)
	}
	return htmltemplate.HTML(b.String()), nil // rendered by html/template
}
