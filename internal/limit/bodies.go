package limit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// DefaultMaxBodyBytesInFlight bounds the request bodies read into memory
// at once, across ingest and webhooks: two bodies of the default maximum
// size (32 MiB), or thousands of the usual webhook deliveries.
const DefaultMaxBodyBytesInFlight = 64 << 20

// Bodies bounds the bytes of request bodies held in memory at once. Ingest
// and webhook handlers read a whole body before they can answer (a
// signature covers all of it, a batch is stored in one transaction), so
// without a bound, N clients sending the largest body the server accepts
// make it hold N of them. A request reserves its Content-Length before its
// body is read (the largest accepted body when the length is unknown) and
// gives it back when answered; past the bound it is answered 503 with
// Retry-After at once, before anything is read or acknowledged, so a
// sender retrying loses nothing.
//
// Large bodies (over 1/64 of the bound: 1 MiB by default) may fill only
// 7/8 of it, so that the small deliveries of collectors and vendors keep
// flowing while large ones come in; one large body is always admitted when
// no other is in flight, so a bound below the largest body never refuses
// every large one.
type Bodies struct {
	mu      sync.Mutex
	max     int64 // bytes that may be reserved at once
	used    int64 // by all bodies
	large   int64 // by large bodies
	maxBody int64 // what a body of unknown length reserves
	flag    string
}

// NewBodies bounds bodies in flight to max bytes (DefaultMaxBodyBytesInFlight
// when max <= 0). maxBody is the largest body a handler reads; flag names
// the setting for the 503's message.
func NewBodies(max, maxBody int64, flag string) *Bodies {
	if max <= 0 {
		max = DefaultMaxBodyBytesInFlight
	}
	return &Bodies{max: max, maxBody: maxBody, flag: flag}
}

// Take reserves room for r's body. It returns a release function to call
// once the body is no longer held, or ok false when the bound is reached.
// A nil *Bodies admits everything.
func (b *Bodies) Take(r *http.Request) (release func(), ok bool) {
	if b == nil {
		return func() {}, true
	}
	n := r.ContentLength
	if n < 0 || n > b.maxBody {
		// Unknown length, or more than a handler reads (it answers 413
		// after reading one byte past the maximum).
		n = b.maxBody + 1
	}
	if n == 0 {
		return func() {}, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	large := int64(0)
	if n > b.max/64 {
		large = n
		if b.large > 0 && b.used+n > b.max-b.max/8 {
			return nil, false
		}
	} else if b.used+n > b.max {
		return nil, false
	}
	b.used += n
	b.large += large
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.large -= large
			b.mu.Unlock()
		})
	}, true
}

// InFlight is the bytes reserved now.
func (b *Bodies) InFlight() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Refuse answers a request Take did not admit: 503 with Retry-After, in
// JSON, naming the flag to raise.
func (b *Bodies) Refuse(w http.ResponseWriter) {
	msg := fmt.Sprintf("request bodies of %d bytes in all are being read, the limit set by %s; nothing was accepted, retry later", b.max, b.flag)
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Wrap puts the bound in front of next for the requests holds reports, by
// their route pattern (the ingest API).
func (b *Bodies) Wrap(next http.Handler, pattern func(*http.Request) string, holds func(pattern string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !holds(pattern(r)) {
			next.ServeHTTP(w, r)
			return
		}
		release, ok := b.Take(r)
		if !ok {
			b.Refuse(w)
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

// ReadAll reads body whole. size is what the request announced
// (Content-Length, -1 when unknown): when it is at most max, the buffer is
// allocated once at that size, rather than grown by doubling, which would
// allocate about twice the body before the last copy; a larger announced
// size allocates nothing on the client's word. body should be an
// http.MaxBytesReader of max, so that no length announced reads past it.
func ReadAll(body io.Reader, size, max int64) ([]byte, error) {
	if size <= 0 || size > max {
		return io.ReadAll(body)
	}
	buf := make([]byte, 0, size+1) // +1: room to see EOF
	for {
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == cap(buf): // longer than announced
			buf = append(buf, 0)[:len(buf)]
		}
	}
}
