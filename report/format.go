package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/steward-sh/steward/kpi"
)

// Value formats a KPI value for people, by the KPI's unit in the
// catalogue: ratios as percentages, durations as durations, rates per day
// and counts as numbers, and "no data" when there is no value.
func Value(name string, v *float64) string {
	if v == nil {
		return "no data"
	}
	return magnitude(name, *v, "")
}

// Delta formats a change of a KPI value with its sign: percentage points
// for ratios, durations for times.
func Delta(name string, v *float64) string {
	if v == nil {
		return "–"
	}
	x := *v
	sign := "+"
	if x < 0 || (x == 0 && math.Signbit(x)) {
		sign, x = "−", -x
	}
	return sign + magnitude(name, x, " pp")
}

// magnitude formats x in the KPI's unit; points is the suffix of a ratio
// (" %" for a value, " pp" for a difference).
func magnitude(name string, x float64, points string) string {
	k, ok := kpi.ByName(name)
	if !ok {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	switch k.Unit {
	case kpi.UnitRatio:
		if points == "" {
			points = " %"
		}
		return Grouped(strconv.FormatFloat(100*x, 'f', k.Decimals, 64)) + points
	case kpi.UnitSeconds:
		return Duration(x)
	case kpi.UnitPerDay:
		return Grouped(strconv.FormatFloat(x, 'f', k.Decimals, 64)) + "/day"
	}
	return Grouped(strconv.FormatFloat(x, 'f', -1, 64))
}

// Count formats a count for people, with thousands separators (1,234,567).
func Count(n int) string { return Grouped(strconv.Itoa(n)) }

// Grouped puts thousands separators into the integer part of a plain
// decimal number ("-1234567.5" → "-1,234,567.5"): people misread 1234567.
func Grouped(s string) string {
	sign, digits, frac := "", s, ""
	if strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		sign, digits = digits[:1], digits[1:]
	}
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		digits, frac = digits[:i], digits[i:]
	}
	if len(digits) <= 3 || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + frac
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
		return Count(int(days)) + "d " + strconv.Itoa(int(hours)) + "h"
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

// KPITitle is a KPI's name for people (mttr_seconds: "MTTR"). A review
// looks back from the period's end, so a point-in-time KPI is "at end".
func KPITitle(name string) string {
	k, ok := kpi.ByName(name)
	if !ok {
		return name
	}
	if k.PointInTime {
		return k.Title + " at end"
	}
	return k.Title
}
