package report

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Sparkline draws a small inline SVG line of a KPI's trend: points without
// a value leave a gap, the last value is marked with a dot. The image is
// labelled for screen readers with the first and last values, since a line
// alone says nothing to them.
func Sparkline(kpi string, points []*float64) template.HTML {
	const w, h, pad = 120.0, 28.0, 3.0
	lo, hi, n := 0.0, 0.0, 0
	first, last := -1, -1
	for i, p := range points {
		if p == nil {
			continue
		}
		if n == 0 || *p < lo {
			lo = *p
		}
		if n == 0 || *p > hi {
			hi = *p
		}
		if first < 0 {
			first = i
		}
		last = i
		n++
	}
	var b strings.Builder
	label := fmt.Sprintf("Trend of %s over %d points: no data", KPITitle(kpi), len(points))
	if n > 0 {
		label = fmt.Sprintf("Trend of %s over %d points, from %s to %s", KPITitle(kpi), len(points), Value(kpi, points[first]), Value(kpi, points[last]))
	}
	fmt.Fprintf(&b, `<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s"><title>%s</title>`,
		w, h, w, h, html.EscapeString(label), html.EscapeString(label))
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#d0d7de" stroke-width="1"/>`, h-0.5, w, h-0.5)
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
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="#0b5cad" stroke-width="1.5" points="%s"/>`, strings.Join(seg, " "))
		}
		seg = seg[:0]
	}
	for i, p := range points {
		if p == nil {
			flush()
			continue
		}
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(i), y(*p)))
	}
	flush()
	if last >= 0 {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#0b5cad"/>`, x(last), y(*points[last]))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped text only
}
