package report

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// point is one point of a trend line: a KPI over [From, To).
type point struct {
	From, To time.Time
	Value    *float64
}

// trendPoints pairs trend values with the consecutive buckets they cover
// (Period.Buckets): the first starts at from, each ends at its at.
func trendPoints(from time.Time, ats []time.Time, values []*float64) []point {
	out := make([]point, 0, len(values))
	for i, v := range values {
		if i >= len(ats) {
			break
		}
		out = append(out, point{From: from, To: ats[i], Value: v})
		from = ats[i]
	}
	return out
}

// when is a bucket bound for people: a date at midnight, else to the minute.
func when(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04")
}

// pointTitle is what a point says when pointed at: its span and value.
func pointTitle(kpi string, p point) string {
	return when(p.From) + " – " + when(p.To) + ": " + Value(kpi, p.Value)
}

// Trend draws a KPI's trend over consecutive buckets starting at from and
// ending at ats (Period.Buckets) as inline SVG, with a title (tooltip) per
// point giving its dates and value and the first and last dates under it.
// Points without a value leave a gap in the line and have no dot; the image
// is labelled for screen readers with the first and last values and dates.
func Trend(kpi string, from time.Time, ats []time.Time, values []*float64) template.HTML {
	points := trendPoints(from, ats, values)
	const w, h, pad = 240.0, 36.0, 4.0
	lo, hi, n := 0.0, 0.0, 0
	first, last := -1, -1
	for i, p := range points {
		if p.Value == nil {
			continue
		}
		v := *p.Value
		if n == 0 || v < lo {
			lo = v
		}
		if n == 0 || v > hi {
			hi = v
		}
		if first < 0 {
			first = i
		}
		last = i
		n++
	}
	label := fmt.Sprintf("Trend of %s over %d points: no data", KPITitle(kpi), len(points))
	if n > 0 {
		label = fmt.Sprintf("Trend of %s over %d points, from %s (%s) to %s (%s)", KPITitle(kpi), len(points),
			Value(kpi, points[first].Value), when(points[first].To), Value(kpi, points[last].Value), when(points[last].To))
	}
	x := func(i int) float64 {
		if len(points) < 2 {
			return w / 2
		}
		return pad + float64(i)*(w-2*pad)/float64(len(points)-1)
	}
	y := func(v float64) float64 {
		if hi == lo {
			return h / 2
		}
		return h - pad - (v-lo)*(h-2*pad)/(hi-lo)
	}
	var b strings.Builder
	b.WriteString(`<figure class="trend">`)
	fmt.Fprintf(&b, `<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s"><title>%s</title>`,
		w, h, w, h, html.EscapeString(label), html.EscapeString(label))
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#d0d7de" stroke-width="1"/>`, h-0.5, w, h-0.5)
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="#0b5cad" stroke-width="1.5" points="%s"/>`, strings.Join(seg, " "))
		}
		seg = seg[:0]
	}
	for i, p := range points {
		if p.Value == nil {
			flush()
			continue
		}
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(i), y(*p.Value)))
	}
	flush()
	for i, p := range points {
		if p.Value == nil {
			continue
		}
		r := 2.0
		if i == last {
			r = 3
		}
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="%g" fill="#0b5cad"><title>%s</title></circle>`,
			x(i), y(*p.Value), r, html.EscapeString(pointTitle(kpi, p)))
	}
	b.WriteString(`</svg>`)
	if len(points) > 0 {
		fmt.Fprintf(&b, `<figcaption class="trend-dates"><span>%s</span><span>%s</span></figcaption>`,
			points[0].To.UTC().Format(time.DateOnly), points[len(points)-1].To.UTC().Format(time.DateOnly))
	}
	b.WriteString(`</figure>`)
	return template.HTML(b.String()) // built from numbers and escaped text only
}
