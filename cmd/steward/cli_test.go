package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steward --help answers about steward: the commands, like steward help;
// steward serve --help still gives the daemon's flags.
func TestHelpListsCommands(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help", "help"} {
		out, _, err := runCLI(t, arg)
		require.NoError(t, err, arg)
		for _, c := range commands() {
			assert.Contains(t, out, "  "+c.name+" ", arg)
		}
	}
	_, stderr, err := runCLI(t, "serve", "--help")
	require.ErrorIs(t, err, errHelp)
	assert.Contains(t, stderr, "Usage: steward serve [flags]")
	assert.Contains(t, stderr, "-web.listen-address")
}

// check-config fails on a RACI violation (an activity nobody is
// Accountable for), not on warnings alone.
func TestCheckConfigRACI(t *testing.T) {
	const base = `
people: [{id: alice}]
systems:
  - id: api
    owners: [{owner: alice, since: 2026-01-01}]
raci:
  activities: [{id: deploy, scope: system}]
`
	dir := t.TempDir()
	write := func(name, text string) string {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
		return file
	}
	warnings := write("warnings.yml", base) // deploy has nobody Responsible
	out, _, err := runCLI(t, "check-config", "--config.file", warnings)
	require.NoError(t, err)
	assert.Contains(t, out, "warning: system api: activity deploy has nobody Responsible")

	violation := write("violation.yml", `
people: [{id: alice}]
systems:
  - id: api
    owners: [{owner: alice, since: 2026-01-01}]
  - id: db # no owner
raci:
  activities: [{id: deploy, scope: system}]
`)
	out, _, err = runCLI(t, "check-config", "--config.file", violation)
	require.Error(t, err)
	assert.NotErrorIs(t, err, errUsage)
	assert.EqualError(t, err, violation+": the RACI matrix has 1 violation")
	assert.Contains(t, out, "violation: system db: activity deploy has nobody Accountable")

	_, _, err = runCLI(t, "check-config", "--config.file", "../../examples/steward.yml")
	assert.EqualError(t, err, "../../examples/steward.yml: the RACI matrix has 3 violations", "legacy-reporting has no owner on purpose")
}

func TestRACIUnknownPerson(t *testing.T) {
	_, _, err := runCLI(t, "raci", "--config.file", "../../examples/steward.yml", "--person", "nobody")
	assert.EqualError(t, err, `--person: no person or team "nobody" in ../../examples/steward.yml`)
	out, _, err := runCLI(t, "raci", "--config.file", "../../examples/steward.yml", "--person", "bob")
	require.NoError(t, err)
	assert.Contains(t, out, "| bob |")
}

// make run starts a daemon with authentication off: it listens on this
// machine only, whatever the daemon's own default.
func TestMakeRunListensOnLoopback(t *testing.T) {
	out, err := exec.Command("make", "-s", "-n", "-C", "../..", "run").CombinedOutput()
	require.NoError(t, err, string(out))
	var serve string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "./cmd/steward serve") {
			serve = line
		}
	}
	require.NotEmpty(t, serve, string(out))
	fs := newFlags("serve", "", &strings.Builder{})
	listen := fs.String("web.listen-address", ":9470", "")
	fs.String("config.file", "", "")
	fs.Bool("demo", false, "")
	args := strings.Fields(serve[strings.Index(serve, " serve ")+len(" serve "):])
	require.NoError(t, fs.Parse(args), serve)
	assert.Equal(t, "127.0.0.1:9470", *listen)
}
