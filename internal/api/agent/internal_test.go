package agent

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/routing"
)

func TestSlowSocketStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		events   int
		wantStop bool
	}{
		{"buffer not full", EventBuffer - 1, false},
		{"buffer exactly full", EventBuffer, false},
		{"one past the buffer", EventBuffer + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &socket{events: make(chan routing.AgentEvent, EventBuffer), quit: make(chan struct{})}
			for range tt.events {
				s.push(routing.AgentEvent{Type: routing.EventStatus})
			}
			select {
			case <-s.quit:
				if !tt.wantStop {
					t.Fatalf("socket stopped after %d events with a buffer of %d", tt.events, EventBuffer)
				}
				if s.code != websocket.StatusTryAgainLater {
					t.Fatalf("stopped with %d, want %d (try again later)", s.code, websocket.StatusTryAgainLater)
				}
			default:
				if tt.wantStop {
					t.Fatalf("socket still running after %d events with a buffer of %d", tt.events, EventBuffer)
				}
			}
		})
	}
}

func TestStopFirstCodeWins(t *testing.T) {
	t.Parallel()
	s := &socket{quit: make(chan struct{})}
	s.stop(websocket.StatusPolicyViolation, "session ended")
	s.stop(websocket.StatusGoingAway, "server shutting down")
	if s.code != websocket.StatusPolicyViolation || s.reason != "session ended" {
		t.Fatalf("got %d %q, want the first stop's code and reason", s.code, s.reason)
	}
}

func TestCheckOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, host, origin string
		ok                 bool
	}{
		{"none", "parley.example", "", true},
		{"same", "parley.example", "https://parley.example", true},
		{"same with port", "parley.example:8080", "http://parley.example:8080", true},
		{"case differs", "Parley.Example", "https://parley.example", true},
		{"other host", "parley.example", "https://evil.example", false},
		{"other port", "parley.example:8080", "http://parley.example:9090", false},
		{"null", "parley.example", "null", false},
		{"garbage", "parley.example", "://", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptestRequest(tt.host, tt.origin)
			if err := checkOrigin(r); (err == nil) != tt.ok {
				t.Fatalf("checkOrigin(host %q, origin %q) = %v, want ok %v", tt.host, tt.origin, err, tt.ok)
			}
		})
	}
}

func httptestRequest(host, origin string) *http.Request {
	r := httptest.NewRequest("POST", "/api/agent/status", nil)
	r.Host = host
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}

func TestSocketsPerSession(t *testing.T) {
	t.Parallel()
	ss := newSockets()
	newSocket := func(token string) *socket {
		return &socket{session: sessionKey(token), quit: make(chan struct{})}
	}
	var mine []*socket
	for range MaxSocketsPerSession + 1 {
		s := newSocket("a")
		if !ss.add(s) {
			t.Fatal("add refused")
		}
		mine = append(mine, s)
	}
	other := newSocket("b")
	ss.add(other)
	for i, s := range mine {
		select {
		case <-s.quit:
			if i != 0 {
				t.Errorf("socket %d of the session was stopped, want only the oldest", i)
			}
		default:
			if i == 0 {
				t.Errorf("the oldest socket still runs with %d open for its session", len(mine))
			}
		}
	}
	ss.endSession("b")
	select {
	case <-other.quit:
	default:
		t.Error("endSession left the session's socket running")
	}
	select {
	case <-mine[1].quit:
		t.Error("endSession of another session stopped this one's socket")
	default:
	}
}
