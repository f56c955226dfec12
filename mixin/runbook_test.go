package mixin

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runbooks is the directory of the alerts' runbook pages, from mixin/.
const runbooks = "../docs/runbooks"

// runbookSections are the headings every runbook page has, in this order.
var runbookSections = []string{"## What it means", "## Why it matters", "## How to investigate", "## How to fix"}

// Every alert of the rules has a runbook page under docs/runbooks/ named
// after it, its runbook_url points at that page in the repository, and
// every page there belongs to an alert: an alert added without its page,
// or a page left behind by a removed alert, fails here.
func TestEveryAlertHasARunbookPage(t *testing.T) {
	cfg := DefaultConfig()
	var alerts []string
	for _, g := range Alerts(cfg).Groups {
		for _, r := range g.Rules {
			if slices.Contains(alerts, r.Alert) {
				continue
			}
			alerts = append(alerts, r.Alert)
			u, err := url.Parse(r.Annotations["runbook_url"])
			require.NoError(t, err, r.Alert)
			assert.Equal(t, "https", u.Scheme, r.Alert)
			assert.Equal(t, "/steward-sh/steward/blob/main/docs/runbooks/"+r.Alert+".md", u.Path,
				"%s: runbook_url is its page in the repository", r.Alert)
		}
	}
	pages, err := filepath.Glob(filepath.Join(runbooks, "*.md"))
	require.NoError(t, err)
	var names []string
	for _, p := range pages {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".md"))
	}
	assert.ElementsMatch(t, alerts, names, "one page per alert under docs/runbooks/, and no other")
	assert.ElementsMatch(t, AlertNames, alerts)

	for _, name := range alerts {
		text, err := os.ReadFile(filepath.Join(runbooks, name+".md"))
		if !assert.NoError(t, err, "%s has no runbook page", name) {
			continue
		}
		lines := strings.Split(string(text), "\n")
		assert.Equal(t, "# "+name, lines[0], "%s: the page's title is the alert's name", name)
		at := 0
		for _, section := range runbookSections {
			i := slices.Index(lines[at:], section)
			if assert.GreaterOrEqual(t, i, 0, "%s: no %q after line %d", name, section, at+1) {
				at += i + 1
			}
		}
	}
}

// The runbook base URL is configurable: a site with its own copies of the
// pages gets their URLs in every alert.
func TestRunbookURLFollowsTheConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RunbookURL = "https://git.example.com/ops/steward-runbooks/"
	for _, g := range Alerts(cfg).Groups {
		for _, r := range g.Rules {
			assert.Equal(t, "https://git.example.com/ops/steward-runbooks/"+r.Alert+".md", r.Annotations["runbook_url"])
		}
	}
}
