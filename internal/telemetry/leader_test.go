package telemetry

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLeading(t *testing.T) {
	tel := New("v1", nil)
	tel.Leading("poller/servicenow/incident", false)
	tel.Leading("poller/pagerduty_api", false)
	tel.Leading("poller/pagerduty_api", true)
	out := written(tel)
	assert.Contains(t, out, `steward_leader{task="poller/servicenow/incident"} 0`)
	assert.Contains(t, out, `steward_leader{task="poller/pagerduty_api"} 1`)
	assert.Contains(t, out, "# TYPE steward_leader gauge")

	tel.Leading("poller/pagerduty_api", false)
	assert.Contains(t, written(tel), `steward_leader{task="poller/pagerduty_api"} 0`, "a lost lead shows as 0, not as a vanished series")
}
