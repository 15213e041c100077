package participant

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	t.Parallel()
	if newThrottle(0) != nil {
		t.Fatal("a zero rate must disable throttling")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(2) // 2/s, bursts of 4
	th.timeNow = func() time.Time { return now }
	allowed := 0
	for range 10 {
		if th.allow("a") {
			allowed++
		}
	}
	if allowed != 4 {
		t.Fatalf("burst allowed %d requests, want 4", allowed)
	}
	if !th.allow("b") {
		t.Fatal("one token's burst throttled another token")
	}
	now = now.Add(time.Second)
	if !th.allow("a") || !th.allow("a") || th.allow("a") {
		t.Fatal("after 1 s at 2/s, want exactly 2 more requests")
	}
	now = now.Add(2 * throttleIdle)
	th.allow("c") // sweeps idle limiters
	if _, kept := th.tokens["a"]; kept {
		t.Fatal("an idle token's limiter was kept")
	}
}
