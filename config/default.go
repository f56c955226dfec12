package config

import "time"

// defaults returns what an empty file means. Parse decodes the file over it:
// a key present in the file replaces the default, an absent or null key
// keeps it. A function rather than a variable so that no caller shares (and
// mutates) the default slices and maps.
// DefaultActionDue is policy.review.action_due when the file gives none:
// thirty days after the review's due time, the span SPEC's example sets.
const DefaultActionDue = 720 * time.Hour

func defaults() Config {
	const day = 24 * time.Hour
	return Config{
		Storage: Storage{Driver: "sqlite", DSN: "steward.db"},
		Windows: []Window{
			{Name: "7d", Duration: 7 * day},
			{Name: "30d", Duration: 30 * day},
			{Name: "90d", Duration: 90 * day},
		},
		Policy: Policy{
			ChangeFailureFromIncidents: true,
			ChangeEnvironments:         []string{"production"},
			Review:                     ReviewPolicy{SeverityThreshold: 2, Due: 120 * time.Hour, Signoff: []string{}, ActionDue: DefaultActionDue},
			SLA:                        map[int]time.Duration{}, // unlisted severities have no target
			Availability:               AvailabilityPolicy{DegradedWeight: 0},
			SecurityCategories:         []string{"security"},
		},
		Objectives: map[string]Objective{},
		RACI:       RACI{MaxAccountableSystems: defaultMaxAccountableSystems, AlertActivity: DefaultAlertActivity},
		Limits:     Limits{Teams: DefaultMaxTeams},
	}
}
