package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value formats a KPI value for people: ratios as percentages, *_seconds
// as durations, deployments_per_day with two decimals, counts as integers,
// and "no data" when there is no value.
func Value(kpi string, v *float64) string {
	if v == nil {
		return "no data"
	}
	x := *v
	switch {
	case kpi == "availability_ratio":
		return strconv.FormatFloat(100*x, 'f', 3, 64) + " %"
	case strings.HasSuffix(kpi, "_ratio"):
		return strconv.FormatFloat(100*x, 'f', 1, 64) + " %"
	case strings.HasSuffix(kpi, "_seconds"):
		return Duration(x)
	case kpi == "deployments_per_day":
		return strconv.FormatFloat(x, 'f', 2, 64) + "/day"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// Delta formats a change of a KPI value with its sign: percentage points
// for ratios, durations for times.
func Delta(kpi string, v *float64) string {
	if v == nil {
		return "–"
	}
	x := *v
	sign := "+"
	if x < 0 || (x == 0 && math.Signbit(x)) {
		sign, x = "−", -x
	}
	switch {
	case kpi == "availability_ratio":
		return sign + strconv.FormatFloat(100*x, 'f', 3, 64) + " pp"
	case strings.HasSuffix(kpi, "_ratio"):
		return sign + strconv.FormatFloat(100*x, 'f', 1, 64) + " pp"
	case strings.HasSuffix(kpi, "_seconds"):
		return sign + Duration(x)
	case kpi == "deployments_per_day":
		return sign + strconv.FormatFloat(x, 'f', 2, 64) + "/day"
	}
	return sign + strconv.FormatFloat(x, 'f', -1, 64)
}

// Score formats a scorecard score (0..100).
func Score(v *float64) string {
	if v == nil {
		return "no data"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// Duration formats seconds as the two largest units: 45s, 12m 5s, 4h 40m,
// 2d 3h.
func Duration(sec float64) string {
	if sec < 60 {
		return strconv.FormatFloat(math.Round(sec*10)/10, 'f', -1, 64) + "s"
	}
	d := time.Duration(math.Round(sec)) * time.Second
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	minutes, d := d/time.Minute, d%time.Minute
	secs := d / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, minutes)
	}
	return fmt.Sprintf("%dm %ds", minutes, secs)
}

// Status is a KPI status for people: "meets", "warning", "breach", "no
// data", or "not scored" for a KPI without an objective.
func Status(s string) string {
	switch s {
	case "":
		return "not scored"
	case "no_data":
		return "no data"
	}
	return s
}

// Time formats a time in UTC to the minute, "" for none.
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// KPITitle is a KPI's name for people (mttr_seconds: "MTTR").
func KPITitle(name string) string {
	if t, ok := titles[name]; ok {
		return t
	}
	return name
}

var titles = map[string]string{
	"changes_completed":             "Changes completed",
	"changes_failed":                "Changes failed",
	"change_success_ratio":          "Change success",
	"emergency_change_ratio":        "Emergency changes",
	"unauthorized_changes":          "Unauthorized changes",
	"deployments_per_day":           "Deployments per day",
	"change_lead_time_p50_seconds":  "Change lead time p50",
	"change_lead_time_p90_seconds":  "Change lead time p90",
	"incidents_opened":              "Incidents opened",
	"incidents_opened_sev1":         "Incidents opened, sev 1",
	"incidents_opened_sev2":         "Incidents opened, sev 2",
	"incidents_opened_sev3":         "Incidents opened, sev 3",
	"incidents_opened_sev4":         "Incidents opened, sev 4",
	"incidents_opened_sev5":         "Incidents opened, sev 5",
	"incidents_resolved":            "Incidents resolved",
	"mttr_seconds":                  "MTTR",
	"time_to_restore_p50_seconds":   "Time to restore p50",
	"time_to_restore_p90_seconds":   "Time to restore p90",
	"mtta_seconds":                  "MTTA",
	"sla_breach_ratio":              "SLA breaches",
	"incidents_open":                "Incidents open at end",
	"review_compliance_ratio":       "Review compliance",
	"reviews_overdue":               "Reviews overdue at end",
	"downtime_seconds":              "Downtime",
	"availability_ratio":            "Availability",
	"systems_unowned":               "Systems unowned",
	"unattributed_records_incident": "Unattributed incidents",
	"unattributed_records_change":   "Unattributed changes",
}
