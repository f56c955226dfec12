package exporter

import (
	"strconv"
	"strings"
)

// labelText renders a series' labels as {name="value",...} in the family's
// label order, escaping values as both text formats require.
func labelText(f *family, values []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range f.labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteString(`="`)
		labelEscaper.WriteString(&b, values[i])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// value formats a sample value; KPIs are never NaN or infinite (those have
// no value and are not exported).
func value(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
