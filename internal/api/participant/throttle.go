package participant

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits the request rate of each bearer token on this node.
// Parley has no rate limit by default (a single node must take thousands of
// messages a second); an operator exposing the participant API to the
// internet can set one to bound what one misbehaving client can cost.
type throttle struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	tokens  map[string]*tokenRate
	swept   time.Time
	timeNow func() time.Time
}

type tokenRate struct {
	lim  *rate.Limiter
	seen time.Time
}

// throttleIdle is how long a token's limiter is kept after its last use.
const throttleIdle = 5 * time.Minute

// newThrottle allows perSecond requests a second per token, with bursts of
// twice that. perSecond <= 0 disables throttling (nil).
func newThrottle(perSecond float64) *throttle {
	if perSecond <= 0 {
		return nil
	}
	return &throttle{rate: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), tokens: map[string]*tokenRate{}, timeNow: time.Now}
}

// allow reports whether token may make a request now.
func (t *throttle) allow(token string) bool {
	now := t.timeNow()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.swept) > throttleIdle {
		for k, e := range t.tokens {
			if now.Sub(e.seen) > throttleIdle {
				delete(t.tokens, k)
			}
		}
		t.swept = now
	}
	e := t.tokens[token]
	if e == nil {
		e = &tokenRate{lim: rate.NewLimiter(t.rate, t.burst)}
		t.tokens[token] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
