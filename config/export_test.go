package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExport(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		roles   []string // nil: every role
		windows []string // nil: every window
		err     string
	}{
		{name: "absent exports everything", yaml: "windows: [7d]\n"},
		{name: "empty section exports everything", yaml: "export: {}\n"},
		{
			name:  "roles and windows",
			yaml:  "windows: [7d, 30d]\nexport: {roles: [system, global], windows: [30d]}\n",
			roles: []string{"system", "global"}, windows: []string{"30d"},
		},
		{
			name:    "windows declared after export",
			yaml:    "export: {windows: [1w]}\nwindows: [1w, 4w]\n",
			windows: []string{"1w"},
		},
		{
			name:    "default windows when none are declared",
			yaml:    "export: {windows: [90d]}\n",
			windows: []string{"90d"},
		},
		{
			name: "a window that is not configured",
			yaml: "windows: [7d, 30d]\nexport:\n  windows: [30d, 90d]\n",
			err:  `line 3: export: windows: unknown window "90d" (one of 7d, 30d)`,
		},
		{
			name: "an unknown role",
			yaml: "export:\n  roles: [system, owner]\n",
			err:  `line 2: export: roles: unknown role "owner"`,
		},
		{
			name: "a role listed twice",
			yaml: "export:\n  roles: [team, team]\n",
			err:  `line 2: export: roles: role "team" is listed twice`,
		},
		{
			name: "an empty list",
			yaml: "export:\n  roles: []\n",
			err:  "line 2: export: roles: the list is empty",
		},
		{
			name: "an unknown key",
			yaml: "export:\n  subjects: [a]\n",
			err:  `line 2: export: unknown key "subjects"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.roles, c.Export.Roles)
			assert.Equal(t, tt.windows, c.Export.Windows)
		})
	}
}

func TestExportsRoleAndWindow(t *testing.T) {
	all := Export{}
	assert.True(t, all.ExportsRole("team"))
	assert.True(t, all.ExportsWindow("365d"))
	some := Export{Roles: []string{"system"}, Windows: []string{"30d"}}
	assert.True(t, some.ExportsRole("system"))
	assert.False(t, some.ExportsRole("team"))
	assert.True(t, some.ExportsWindow("30d"))
	assert.False(t, some.ExportsWindow("7d"))
}
