package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Audit lines keep this much of an admin call's request body (what was
// asked: a review to freeze) and of a failed answer (why it failed).
const (
	maxAuditRequest = 1024
	maxAuditReason  = 512
)

// recorder keeps what the audit line of an admin call needs: who, the
// status answered, the start of the request body as the handler reads it
// and the start of an error answer.
type recorder struct {
	http.ResponseWriter
	request *http.Request
	who     principal
	why     string
	code    int
	body    limitedBuffer // of the request
	answer  limitedBuffer // of the response, when it is an error
}

func newRecorder(w http.ResponseWriter, r *http.Request) *recorder {
	rec := &recorder{ResponseWriter: w}
	rec.body.max, rec.answer.max = maxAuditRequest, maxAuditReason
	r2 := r.Clone(r.Context())
	r2.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, &rec.body), r.Body}
	rec.request = r2
	return rec
}

func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 {
		rec.code = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if rec.code >= 400 {
		_, _ = rec.answer.Write(b) // a bytes.Buffer
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) status() int {
	if rec.code == 0 {
		return http.StatusOK
	}
	return rec.code
}

// reason is the error an answer gave: the "error" of a JSON answer, else
// its text.
func (rec *recorder) reason() string {
	raw := rec.answer.Bytes()
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(raw))
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
