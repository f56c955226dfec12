package exporter

import (
	"strconv"
	"strings"
)

// The one writer of the hand-rendered exposition: /metrics, the
// OpenMetrics backfill and the VictoriaMetrics import all write their
// headers, series and samples through these, so the three cannot disagree
// on escaping, label order or number format.

// appendHeader writes a family's HELP and TYPE lines, as both the text
// format and OpenMetrics read them.
func appendHeader(b []byte, f *family) []byte {
	b = append(append(append(b, "# HELP "...), f.name...), ' ')
	b = append(append(b, escaper.Replace(f.help)...), '\n')
	return append(append(append(append(append(b, "# TYPE "...), f.name...), ' '), f.typ...), '\n')
}

// appendSeries writes a series: the family's name and {name="value",...},
// labels by name (as client_golang writes them), values escaped as both
// formats require. values are in f.labels order.
func appendSeries(b []byte, f *family, values []string) []byte {
	b = append(b, f.name...)
	if len(f.labels) == 0 {
		return b
	}
	b = append(b, '{')
	for n, i := range f.order {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(append(b, f.labels[i]...), `="`...)
		b = append(b, escaper.Replace(values[i])...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendValue ends a sample line after its series: the value and, when ts
// is not empty, a timestamp already formatted (seconds in OpenMetrics,
// milliseconds in the text format). KPIs are never NaN or infinite: those
// have no value and are not exported.
func appendValue(b []byte, v float64, ts []byte) []byte {
	b = strconv.AppendFloat(append(b, ' '), v, 'g', -1, 64)
	if len(ts) > 0 {
		b = append(append(b, ' '), ts...)
	}
	return append(b, '\n')
}

// appendSample writes one sample line.
func appendSample(b []byte, f *family, values []string, v float64, ts []byte) []byte {
	return appendValue(appendSeries(b, f, values), v, ts)
}

// escaper escapes label values and HELP texts: \, newline and the double
// quote (OpenMetrics requires it in HELP too; the text format accepts it).
var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
