package report

import (
	"reflect"
	"slices"
	"strings"
)

// Estimated times in the evidence (SPEC 4, Times): a record's times that a
// collector had to estimate are marked ≈, and a duration on one is shown
// as left out, as the KPIs leave it out.

// EstimatedMark is the marker of an estimated time or a duration left out.
const EstimatedMark = "≈"

// EstimatedNote explains the marker once below a table that has it.
const EstimatedNote = EstimatedMark + " marks a time a collector had to estimate (the record's estimated fields). " +
	"A duration that starts or ends on one is left out of every mean, percentile and ratio; " +
	"the record still counts everywhere else."

// estimatedTitle says which of a record's times were estimated.
func estimatedTitle(fields []string) string {
	return "Estimated by the collector: " + strings.Join(fields, ", ") +
		". A duration on an estimated time is left out of every mean, percentile and ratio."
}

// leftOutTitles say what a duration left out is missing from, by its
// name in the evidence's left_out.
var leftOutTitles = map[string]string{
	"time_to_restore": "Left out of the MTTR, the time-to-restore percentiles and the SLA breach ratio: " +
		"it starts or ends on an estimated time. The incident still counts as resolved.",
}

func leftOutTitle(name string) string { return leftOutTitles[name] }

// has reports whether a list of field or duration names holds name.
func has(list []string, name string) bool { return slices.Contains(list, name) }

// anyEstimated reports whether some element of a slice of evidence rows
// (incidents or changes) has an estimated time.
func anyEstimated(rows any) bool {
	v := reflect.ValueOf(rows)
	for i := range v.Len() {
		if f := v.Index(i).FieldByName("Estimated"); f.IsValid() && f.Len() > 0 {
			return true
		}
	}
	return false
}
