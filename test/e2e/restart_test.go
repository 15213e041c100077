package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Every message acknowledged before a SIGKILL is in the transcript after
// the restart, and the chat's tokens still work, on both stores.
func TestAcknowledgedMessagesSurviveKill(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		ackedSurviveKill(t, Options{})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		ackedSurviveKill(t, Options{DB: PostgresDB(t)})
	})
}

func ackedSurviveKill(t *testing.T, opts Options) {
	srv := Start(t, Build(t), opts)
	c := newAPIClient(t, srv)
	chat := c.startChat("Ada")
	conn, err := c.connect(chat.ParticipantToken)
	if err != nil {
		t.Fatal(err)
	}
	token := conn.ConnectionCredentials.ConnectionToken

	// Four senders write as fast as they can; the server is killed while
	// they do. Whatever was acknowledged must survive.
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				var out struct{ Id string }
				text := fmt.Sprintf("w%d-%d", w, i)
				err := c.do("POST", "/participant/message", token, map[string]string{"ContentType": "text/plain", "Content": text}, &out)
				if err != nil {
					select {
					case <-killed:
						return // expected: the server is gone
					default:
						t.Errorf("SendMessage before the kill: %v", err)
						return
					}
				}
				mu.Lock()
				acked[out.Id] = text
				n := len(acked)
				mu.Unlock()
				if n == 200 {
					close(killed)
					srv.Kill()
				}
			}
		}()
	}
	wg.Wait()
	srv.Restart(t)

	items, err := c.transcript(token)
	if err != nil {
		t.Fatalf("GetTranscript after restart with the old connection token: %v", err)
	}
	stored := map[string]string{}
	for _, it := range items {
		stored[it.Id] = it.Content
	}
	for id, text := range acked {
		if stored[id] != text {
			t.Fatalf("acknowledged message %s (%q) is missing after the restart (transcript has %d items, %d were acknowledged)", id, text, len(items), len(acked))
		}
	}
	// The participant token also still works, and the chat goes on.
	conn2, err := c.connect(chat.ParticipantToken)
	if err != nil {
		t.Fatalf("CreateParticipantConnection after restart: %v", err)
	}
	if err := c.do("POST", "/participant/message", conn2.ConnectionCredentials.ConnectionToken, map[string]string{"ContentType": "text/plain", "Content": "after"}, nil); err != nil {
		t.Fatalf("SendMessage after restart: %v", err)
	}
	t.Logf("%d messages acknowledged before the kill, all present after restart", len(acked))
}

// SIGTERM closes open websockets with 1001 (going away) and the process
// exits cleanly; after a restart the client reconnects with the same
// participant token.
func TestGracefulShutdownClosesSocketsGoingAway(t *testing.T) {
	t.Parallel()
	srv := Start(t, Build(t), Options{})
	c := newAPIClient(t, srv)
	chat := c.startChat("Grace")
	conn, err := c.connect(chat.ParticipantToken)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, conn.Websocket.Url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	ws.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`))
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatalf("subscribe ack: %v", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Stop() }()
	for {
		if _, _, err = ws.Read(ctx); err != nil {
			break
		}
	}
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("socket closed with %v, want 1001 going away", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	srv.Restart(t)
	if _, err := c.connect(chat.ParticipantToken); err != nil {
		t.Fatalf("reconnect after restart: %v", err)
	}
}
