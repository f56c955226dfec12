package integration

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shutting down (SIGTERM) lets a request in flight finish and store its
// records before the daemon stops.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "s.db")
	d := startDaemon(t, "sqlite", dsn, 0)
	pr, pw := io.Pipe()
	type answer struct {
		code int
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post(d.url+"/api/v1/incidents", "application/x-ndjson", pr)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		resp.Body.Close()
		answered <- answer{code: resp.StatusCode}
	}()
	line := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"system":"payments","severity":3,"opened_at":"2026-01-01T00:00:00Z"}`+"\n", id)
	}
	// The client sends the headers and the first records once its buffer
	// (4 KiB) fills; give the server a moment to start handling them.
	first := ""
	for i := range 100 {
		first += line(fmt.Sprintf("in-flight-a%d", i))
	}
	_, err := io.WriteString(pw, first)
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)

	stopped := make(chan error, 1)
	go func() { stopped <- d.shutdown() }()
	select {
	case err := <-stopped:
		t.Fatalf("the daemon stopped with a request in flight (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	_, err = io.WriteString(pw, line("in-flight-b"))
	require.NoError(t, err)
	require.NoError(t, pw.Close())

	a := <-answered
	require.NoError(t, a.err)
	assert.Equal(t, http.StatusOK, a.code)
	require.NoError(t, <-stopped)
	incs, _ := d.stored(t)
	require.Len(t, incs, 101, "every record of the request in flight is stored")
	_, err = http.Get(d.url + "/healthz")
	assert.Error(t, err, "no new connections after shutdown")
}
