package fault

import (
	"encoding/json"
	"net/http"
)

// statuses is the one table from kind to HTTP status.
var statuses = [...]int{
	Internal:      http.StatusInternalServerError,
	Invalid:       http.StatusBadRequest,
	NotFound:      http.StatusNotFound,
	Conflict:      http.StatusConflict,
	Unauthorized:  http.StatusUnauthorized,
	Forbidden:     http.StatusForbidden,
	TooLarge:      http.StatusRequestEntityTooLarge,
	Unavailable:   http.StatusServiceUnavailable,
	Unprocessable: http.StatusUnprocessableEntity,
}

// Status is the HTTP status that answers an error of kind k.
func (k Kind) Status() int { return statuses[k] }

// Status is the HTTP status that answers err.
func Status(err error) int { return KindOf(err).Status() }

// WriteJSON answers with status and v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Write answers err as JSON, {"error": "..."}, with the status of its kind.
func Write(w http.ResponseWriter, err error) {
	WriteJSON(w, Status(err), map[string]string{"error": err.Error()})
}
