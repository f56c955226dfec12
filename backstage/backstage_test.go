package backstage

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"user:default/alice", Ref{"user", "default", "alice"}},
		{"User:alice", Ref{"user", "default", "alice"}},
		{"search-team", Ref{"group", "default", "search-team"}},
		{"group:ops/sre", Ref{"group", "ops", "sre"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ParseRef(tt.in, "group"), tt.in)
	}
}

func TestReadDir(t *testing.T) {
	es, err := ReadDir("../examples/backstage")
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, e := range es {
		kinds[e.Kind]++
	}
	assert.Equal(t, map[string]int{"Component": 4, "System": 2, "Group": 1, "User": 2}, kinds)
	assert.Equal(t, "PXYZ123", es[0].Metadata.Annotations["pagerduty.com/service-id"])
	assert.Equal(t, "user:default/alice", es[0].Spec.Owner)
	assert.Equal(t, "checkout", es[0].Spec.System)
	_, err = ReadDir("../examples/steward.yml-missing")
	assert.Error(t, err)
}

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		assert.Equal(t, "/api/catalog/entities", r.URL.Path)
		assert.Equal(t, "kind=component,kind=system,kind=user,kind=group", r.URL.Query().Get("filter"))
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": map[string]any{"name": "api"}, "spec": map[string]any{"owner": "user:alice"}},
		})
	}))
	defer srv.Close()
	es, err := Fetch(context.Background(), srv.Client(), srv.URL+"/", "s3cret")
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, "api", es[0].Metadata.Name)
	_, err = Fetch(context.Background(), srv.Client(), srv.URL, "wrong")
	assert.ErrorContains(t, err, "401 Unauthorized")
}
