package mixin

import (
	"fmt"
	"strconv"
)

// reviewActionsOverdue fires for a subject of ReviewRoles with review
// action items past their due time and not done: the follow-up a review
// promised is late.
func (c Config) reviewActionsOverdue() Rule {
	return c.alert(AlertReviewActionsOverdue, "warning",
		c.routed(c.AcrossReplicas(c.Metric("review_actions_overdue", "role=~"+quote(c.ReviewRoles)))+" > 0"),
		"Post-incident review action items are overdue.",
		"{{ $labels.role }} {{ $labels.subject }} has {{ $value }} post-incident review action items past their due time and not done.")
}

// satisfactionDropped fires when a subject's satisfaction from one
// audience over ShortWindow has fallen more than SatisfactionDrop below its
// level over LongWindow, over at least SatisfactionMinResponses responses:
// a fall, whether or not an objective is set (StewardKPIBreach watches
// objectives).
func (c Config) satisfactionDropped() Rule {
	ratio := func(window string) string {
		return c.AcrossReplicas(c.Metric("satisfaction_ratio", "window="+quote(window)))
	}
	expr := "(" + ratio(c.LongWindow) + "\n- ignoring (window)\n" + ratio(c.ShortWindow) + ") > " +
		strconv.FormatFloat(c.SatisfactionDrop, 'g', -1, 64) +
		"\nand ignoring (window)\n" + c.AcrossReplicas(c.Metric("feedback_responses", "window="+quote(c.ShortWindow))) +
		" >= " + strconv.FormatFloat(c.SatisfactionMinResponses, 'g', -1, 64)
	level := func(window string) string {
		return query(c.Metric("satisfaction_ratio", "role=%q", "subject=%q", "audience=%q", "window="+quote(window)),
			[]string{"$labels.role", "$labels.subject", "$labels.audience"}, "", "humanizePercentage", "")
	}
	responses := query(c.Metric("feedback_responses", "role=%q", "subject=%q", "audience=%q", "window="+quote(c.ShortWindow)),
		[]string{"$labels.role", "$labels.subject", "$labels.audience"}, " (", "printf \"%.0f\"", " responses)")
	return c.alert(AlertSatisfactionDropped, "warning", c.routed(expr),
		"Satisfaction has fallen well below its usual level.",
		fmt.Sprintf("The {{ $labels.audience }} satisfaction of {{ $labels.role }} {{ $labels.subject }} is %s over the last %s%s "+
			"against %s over the last %s.", level(c.ShortWindow), c.ShortWindow, responses, level(c.LongWindow), c.LongWindow))
}
