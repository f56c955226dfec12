package daemon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --log.level and --log.format take promslog's values; a line says where
// it was logged from.
func TestNewLogger(t *testing.T) {
	for _, tt := range []struct {
		level, format string
		logged        []string // of debug, info, warn, error
		err           string
	}{
		{level: "info", format: "logfmt", logged: []string{"info", "warn", "error"}},
		{level: "debug", format: "json", logged: []string{"debug", "info", "warn", "error"}},
		{level: "WARN", format: "logfmt", logged: []string{"warn", "error"}},
		{level: "error", format: "json", logged: []string{"error"}},
		{level: "verbose", format: "logfmt", err: "--log.level: unrecognized log level verbose"},
		{level: "info", format: "text", err: "--log.format: unrecognized log format text"},
	} {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := NewLogger(&out, tt.level, tt.format)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			logger.Debug("debug")
			logger.Info("info")
			logger.Warn("warn")
			logger.Error("error")
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			require.Len(t, lines, len(tt.logged))
			for i, line := range lines {
				if tt.format == "json" {
					var rec map[string]any
					require.NoError(t, json.Unmarshal([]byte(line), &rec))
					assert.Equal(t, tt.logged[i], rec["msg"])
					assert.Contains(t, rec["source"], "log_test.go:")
					continue
				}
				assert.Contains(t, line, "msg="+tt.logged[i])
				assert.Contains(t, line, "source=log_test.go:")
			}
		})
	}
}
