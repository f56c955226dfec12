package auth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// recordingCompare is bcrypt's comparison, counting the calls and the cost
// of the hash each was made against.
type recordingCompare struct {
	mu    sync.Mutex
	costs []int
	// fast, if set, matches password "right" without bcrypt, for tests of
	// thousands of comparisons.
	fast bool
}

func (c *recordingCompare) compare(hash, password []byte) error {
	cost, err := bcrypt.Cost(hash)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.costs = append(c.costs, cost)
	c.mu.Unlock()
	if c.fast {
		if string(password) != "right" {
			return bcrypt.ErrMismatchedHashAndPassword
		}
		return nil
	}
	return bcrypt.CompareHashAndPassword(hash, password)
}

func (c *recordingCompare) calls() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.costs...)
}

// TestUnknownUserCostsTheSame checks the cost parameter of the bcrypt
// comparison made for a known user with a wrong password and for an
// unknown user: the same, whatever cost the configured hashes have.
func TestUnknownUserCostsTheSame(t *testing.T) {
	for _, cost := range []int{bcrypt.MinCost, 6, 8} {
		t.Run(fmt.Sprint(cost), func(t *testing.T) {
			hash, err := bcrypt.GenerateFromPassword([]byte("right"), cost)
			require.NoError(t, err)
			users := map[string]string{"alice": string(hash)}
			rec := &recordingCompare{}
			p := newPasswords(2, rec.compare)
			assert.False(t, p.check(context.Background(), users, "alice", "wrong"))
			assert.False(t, p.check(context.Background(), users, "mallory", "wrong"))
			assert.False(t, p.check(context.Background(), users, "mallory", "right"))
			assert.Equal(t, []int{cost, cost, cost}, rec.calls(), "bcrypt cost: known user, unknown user twice")
		})
	}
}

// TestWrongPasswordsDoNotEvict verifies a user's password once, then sends
// thousands of wrong passwords for known and unknown users: the valid
// credential is still known without a new bcrypt comparison.
func TestWrongPasswordsDoNotEvict(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	require.NoError(t, err)
	users := map[string]string{"alice": string(hash), "bob": string(hash)}
	rec := &recordingCompare{fast: true}
	p := newPasswords(4, rec.compare)
	ctx := context.Background()
	require.True(t, p.check(ctx, users, "alice", "right"))
	require.Len(t, rec.calls(), 1)

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				assert.False(t, p.check(ctx, users, "alice", fmt.Sprintf("guess-%d-%d", w, i)))
				assert.False(t, p.check(ctx, users, fmt.Sprintf("user-%d-%d", w, i), "right"))
			}
		})
	}
	wg.Wait()
	// bob logs in with several clients' passwords over time: only his own
	// entries rotate.
	require.True(t, p.check(ctx, users, "bob", "right"))
	before := len(rec.calls())
	assert.Equal(t, 1+4*1000*2+1, before)
	assert.True(t, p.check(ctx, users, "alice", "right"))
	assert.True(t, p.check(ctx, users, "bob", "right"))
	assert.Len(t, rec.calls(), before, "verified credentials answered from the cache")
	assert.Len(t, p.known, 2, "only successful verifications are kept")
}

// TestBcryptRunsInParallelWithinABound holds comparisons in progress and
// checks that as many as the bound run at once, and no more.
func TestBcryptRunsInParallelWithinABound(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	slow := func([]byte, []byte) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return bcrypt.ErrMismatchedHashAndPassword
	}
	p := newPasswords(3, slow)
	users := map[string]string{"alice": "$2a$04$0123456789012345678901uOG9fWLCjXj0qUbMYIFnx1ZTZcFoVRi"}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { p.check(context.Background(), users, "alice", fmt.Sprint(i)) })
	}
	require.Eventually(t, func() bool { return running.Load() == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // a fourth would have started by now
	assert.Equal(t, int32(3), peak.Load())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, p.check(ctx, users, "alice", "x"), "a request that gave up does not wait for a slot")
	close(release)
	wg.Wait()
	assert.Equal(t, int32(3), peak.Load())
}
