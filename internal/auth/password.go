package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// passwords checks basic auth passwords against the web config's bcrypt
// hashes. Each comparison costs tens to hundreds of milliseconds of CPU,
// which makes three things matter under attack:
//
//   - Comparisons run a few at a time (half the CPUs by default), not one
//     at a time: a flood of wrong passwords must not take every core, nor
//     queue a real user's first login behind all of it.
//   - Only successful verifications are remembered (by a hash of user,
//     stored hash and password, a few per user), so a client sending its
//     password on every request pays bcrypt once, and wrong passwords, which
//     anyone can send, can neither fill the cache nor evict what is in it.
//   - An unknown user is compared against a hash of the same cost as the
//     configured users' hashes, so the answer's timing does not tell which
//     users exist.
type passwords struct {
	slots   chan struct{}
	compare func(hash, password []byte) error

	mu     sync.Mutex
	known  map[[32]byte]*list.Element // verified credentials
	byUser map[string]*list.List      // of [32]byte, most recent first
	dummy  map[int][]byte             // cost → a hash no password matches
}

// verifiedPerUser is how many verified credentials are kept per user: a
// password change in the web config, or a few clients, each keep theirs.
const verifiedPerUser = 4

func newPasswords(parallel int, compare func(hash, password []byte) error) *passwords {
	if parallel <= 0 {
		parallel = max(1, runtime.GOMAXPROCS(0)/2)
	}
	return &passwords{slots: make(chan struct{}, parallel), compare: compare,
		known: map[[32]byte]*list.Element{}, byUser: map[string]*list.List{}, dummy: map[int][]byte{}}
}

// check reports whether pass is user's password. It waits for a slot
// while the bound is reached, and gives up (false) when ctx ends.
func (p *passwords) check(ctx context.Context, users map[string]string, name, pass string) bool {
	hash, known := users[name]
	if !known {
		hash = string(p.dummyHash(users))
	}
	key := sha256.Sum256([]byte(name + "\x00" + hash + "\x00" + pass))
	if known && p.verified(name, key) {
		return true
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	ok := p.compare([]byte(hash), []byte(pass)) == nil
	<-p.slots
	if ok && known {
		p.remember(name, key)
	}
	return ok && known
}

func (p *passwords) verified(name string, key [32]byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.known[key]
	if ok {
		p.byUser[name].MoveToFront(e)
	}
	return ok
}

func (p *passwords) remember(name string, key [32]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.known[key]; ok {
		return
	}
	l := p.byUser[name]
	if l == nil {
		l = list.New()
		p.byUser[name] = l
	}
	p.known[key] = l.PushFront(key)
	if l.Len() > verifiedPerUser {
		delete(p.known, l.Remove(l.Back()).([32]byte))
	}
}

// dummyHash is the hash an unknown user's password is compared with: of
// the highest cost among the configured hashes (what `steward token
// bcrypt` made them with), made once per cost. No password matches it:
// it hashes random-free but unguessable... it does not matter, since a
// match for an unknown user is refused anyway.
func (p *passwords) dummyHash(users map[string]string) []byte {
	cost := bcrypt.DefaultCost
	first := true
	for _, h := range users {
		if c, err := bcrypt.Cost([]byte(h)); err == nil && (first || c > cost) {
			cost, first = c, false
		}
	}
	p.mu.Lock()
	h, ok := p.dummy[cost]
	p.mu.Unlock()
	if ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte("steward: no such user"), cost)
	if err != nil { // only for a cost out of bcrypt's range, which Cost refused
		h = []byte(fallbackHash)
	}
	p.mu.Lock()
	p.dummy[cost] = h
	p.mu.Unlock()
	return h
}

// fallbackHash is a bcrypt hash of cost 10, never needed in practice.
const fallbackHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
