package participant_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/api/participant"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

type server struct {
	t        *testing.T
	url      string
	svc      *chat.Service
	gw       *participant.Gateway
	instance string
}

func newServer(t *testing.T) *server {
	t.Helper()
	return newServerWithRate(t, 0)
}

func newServerWithRate(t *testing.T, ratePerToken float64) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: "i1", Region: "us-east-1", CreatedAt: now},
			AccessKey: store.AccessKey{ID: "AK", InstanceID: "i1", Secret: "s", CreatedAt: now},
			Flows:     []store.ContactFlow{{ID: "f1", InstanceID: "i1", Name: "f", Type: "CONTACT_FLOW", Content: "{}", CreatedAt: now}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := local.New()
	svc := chat.New(st, b, chat.Config{Logger: log})
	gw := participant.NewGateway(svc, b, log)
	mux := http.NewServeMux()
	ts := httptest.NewUnstartedServer(mux)
	ts.Start()
	t.Cleanup(ts.Close)
	participant.New(svc, gw, ts.URL, ratePerToken, log).Register(mux)
	return &server{t: t, url: ts.URL, svc: svc, gw: gw, instance: "i1"}
}

// call posts a participant API request and decodes the JSON answer.
func (s *server) call(path, token string, body any, out any) (int, http.Header) {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Bearer", token)
	// What old browser bundles send: a SigV4 header with an empty key,
	// which must be ignored.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("POST %s: decode %q: %v", path, data, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type member struct {
	participantToken string
	connectionToken  string
	wsURL            string
}

func (s *server) join(participantToken string) member {
	s.t.Helper()
	var out struct {
		Websocket             struct{ Url string }
		ConnectionCredentials struct{ ConnectionToken string }
	}
	if code, _ := s.call("/participant/connection", participantToken, map[string]any{"Type": []string{"WEBSOCKET", "CONNECTION_CREDENTIALS"}}, &out); code != 200 {
		s.t.Fatalf("CreateParticipantConnection: status %d", code)
	}
	return member{participantToken, out.ConnectionCredentials.ConnectionToken, out.Websocket.Url}
}

func (s *server) chatWithBot() (customer, bot member) {
	s.t.Helper()
	ctx := context.Background()
	out, err := s.svc.StartChat(ctx, s.instance, chat.StartInput{ContactFlowID: "f1", DisplayName: "Customer"})
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := s.svc.CreateParticipant(ctx, s.instance, out.ContactID, chat.NewParticipantInput{Role: store.RoleCustomBot, DisplayName: "Bot"})
	if err != nil {
		s.t.Fatal(err)
	}
	return s.join(out.ParticipantToken), s.join(b.ParticipantToken)
}

func (s *server) send(m member, text string) string {
	s.t.Helper()
	var out struct{ Id string }
	if code, _ := s.call("/participant/message", m.connectionToken, map[string]string{"ContentType": "text/plain", "Content": text}, &out); code != 200 {
		s.t.Fatalf("SendMessage: status %d", code)
	}
	return out.Id
}

// socket is a test websocket client.
type socket struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, url string, subscribe bool) *socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	s := &socket{t: t, ws: ws}
	if subscribe {
		s.write(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)
		if f := s.next(); f["topic"] != "aws/subscribe" {
			t.Fatalf("first frame after subscribe = %v, want the ack", f)
		}
	}
	return s
}

func (s *socket) write(frame string) {
	s.t.Helper()
	if err := s.ws.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

func (s *socket) next() map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := s.ws.Read(ctx)
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		s.t.Fatalf("frame %q is not JSON", data)
	}
	return f
}

// nextItem reads frames until an aws/chat item arrives and returns it.
func (s *socket) nextItem() chat.Item {
	s.t.Helper()
	for {
		f := s.next()
		if f["topic"] != "aws/chat" {
			continue
		}
		content, ok := f["content"].(string)
		if !ok {
			s.t.Fatalf("aws/chat content is %T, want a JSON string", f["content"])
		}
		var it chat.Item
		if err := json.Unmarshal([]byte(content), &it); err != nil {
			s.t.Fatal(err)
		}
		return it
	}
}

func TestWebsocketProtocol(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cust, bot := s.chatWithBot()
	ws := dial(t, cust.wsURL, false)

	ws.write(`{"topic":"aws/heartbeat"}`)
	if f := ws.next(); f["topic"] != "aws/heartbeat" {
		t.Fatalf("heartbeat reply = %v", f)
	}
	ws.write(`{"topic":"aws/ping"}`)
	if f := ws.next(); f["topic"] != "aws/ping" || f["statusCode"] != float64(200) {
		t.Fatalf("ping reply = %v", f)
	}
	// An item sent before the subscribe is held, then delivered after the ack.
	id := s.send(bot, "early")
	ws.write(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)
	ack := ws.next()
	if content, _ := ack["content"].(map[string]any); ack["topic"] != "aws/subscribe" || content["status"] != "success" {
		t.Fatalf("subscribe ack = %v", ack)
	}
	if it := ws.nextItem(); it.ID != id || it.Content != "early" || it.ContactID == "" || it.InitialContactID == "" {
		t.Fatalf("held item = %+v, want the early message", it)
	}

	// Two sockets of one participant both get everything.
	ws2 := dial(t, s.join(cust.participantToken).wsURL, true)
	id = s.send(bot, "to both")
	for i, w := range []*socket{ws, ws2} {
		if it := w.nextItem(); it.ID != id {
			t.Fatalf("socket %d got %+v, want message %s", i, it, id)
		}
	}

	// The chat ends: chat.ended arrives, then a normal close.
	if code, _ := s.call("/participant/disconnect", cust.connectionToken, map[string]any{}, nil); code != 200 {
		t.Fatalf("DisconnectParticipant: %d", code)
	}
	var last chat.Item
	for last.ContentType != chat.EventChatEnded {
		last = ws2.nextItem()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := ws2.ws.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after chat.ended: %v, want a normal close", err)
	}
	// Tokens no longer work, with the documented error.
	code, hdr := s.call("/participant/connection", cust.participantToken, map[string]any{"Type": []string{"WEBSOCKET"}}, nil)
	if code != 403 || hdr.Get("x-amzn-ErrorType") != "AccessDeniedException" {
		t.Fatalf("CreateParticipantConnection after end: %d %s, want 403 AccessDeniedException", code, hdr.Get("x-amzn-ErrorType"))
	}
}

func TestParticipantAPIErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cust, _ := s.chatWithBot()
	tests := []struct {
		name     string
		path     string
		token    string
		body     string
		wantCode int
		wantType string
	}{
		{"no token", "/participant/message", "", `{"ContentType":"text/plain","Content":"x"}`, 403, "AccessDeniedException"},
		{"participant token where a connection token belongs", "/participant/message", cust.participantToken, `{"ContentType":"text/plain","Content":"x"}`, 403, "AccessDeniedException"},
		{"connection token where a participant token belongs", "/participant/connection", cust.connectionToken, `{"Type":["WEBSOCKET"]}`, 403, "AccessDeniedException"},
		{"malformed JSON", "/participant/message", cust.connectionToken, `{"ContentType":`, 400, "ValidationException"},
		{"wrong JSON type", "/participant/message", cust.connectionToken, `{"ContentType":5}`, 400, "ValidationException"},
		{"over the content limit", "/participant/message", cust.connectionToken, `{"ContentType":"text/plain","Content":"` + strings.Repeat("x", 1025) + `"}`, 400, "ValidationException"},
		{"unlisted content type", "/participant/message", cust.connectionToken, `{"ContentType":"application/json","Content":"{}"}`, 400, "ValidationException"},
		{"body over 1 MiB", "/participant/message", cust.connectionToken, `{"Content":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "ValidationException"},
		{"unknown event", "/participant/event", cust.connectionToken, `{"ContentType":"application/vnd.amazonaws.connect.event.chat.ended"}`, 400, "ValidationException"},
		{"webrtc", "/participant/connection", cust.participantToken, `{"Type":["WEBRTC_CONNECTION"]}`, 400, "ValidationException"},
		{"transcript page too large", "/participant/transcript", cust.connectionToken, `{"MaxResults":101}`, 400, "ValidationException"},
		{"two start positions", "/participant/transcript", cust.connectionToken, `{"StartPosition":{"Id":"a","MostRecent":1}}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.url+tt.path, strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Bearer", tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.wantCode || resp.Header.Get("x-amzn-ErrorType") != tt.wantType || body["message"] == nil {
				t.Fatalf("got %d %q %v, want %d %s with a message", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body, tt.wantCode, tt.wantType)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatal("error response lacks CORS headers: a browser could not read it")
			}
		})
	}
	t.Run("websocket without a valid token", func(t *testing.T) {
		_, resp, err := websocket.Dial(context.Background(), strings.Replace(s.url, "http", "ws", 1)+participant.WebsocketPath+"?token=nope", nil)
		if err == nil || resp == nil || resp.StatusCode != 403 {
			t.Fatalf("dial with a bad token: %v, want a 403", err)
		}
	})
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	req, _ := http.NewRequest("OPTIONS", s.url+"/participant/message", nil)
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-amz-bearer,x-amz-content-sha256,x-amz-date,x-amz-user-agent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-amz-bearer") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
}

func TestShutdownClosesSocketsGoingAway(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cust, _ := s.chatWithBot()
	ws := dial(t, cust.wsURL, true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go s.gw.Shutdown(ctx)
	_, _, err := ws.ws.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("on shutdown: %v, want close 1001 going away", err)
	}
}

func TestThrottledTokenGetsThrottlingException(t *testing.T) {
	t.Parallel()
	s := newServerWithRate(t, 1) // 1/s, bursts of 2
	cust, bot := s.chatWithBot() // one CreateParticipantConnection per token
	codes := []int{}
	var hdr http.Header
	for range 3 {
		var code int
		code, hdr = s.call("/participant/transcript", cust.connectionToken, map[string]any{}, nil)
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 200 429]" || hdr.Get("x-amzn-ErrorType") != "ThrottlingException" {
		t.Fatalf("statuses %v (last %s), want [200 200 429] ThrottlingException", codes, hdr.Get("x-amzn-ErrorType"))
	}
	if code, _ := s.call("/participant/transcript", bot.connectionToken, map[string]any{}, nil); code != 200 {
		t.Fatalf("another token got %d: throttling must be per token", code)
	}
}

// A client may send its first frames in the same packet as its upgrade
// request; the gateway's small-buffer hijack must keep them.
func TestFramesSentWithTheUpgradeRequest(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cust, _ := s.chatWithBot()
	u, err := url.Parse(cust.wsURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	payload := []byte(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)
	mask := []byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload))}
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil { // one write: request and frame together
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, head[1]&0x7f)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	if head[0] != 0x81 || !strings.Contains(string(body), `"aws/subscribe"`) || !strings.Contains(string(body), "success") {
		t.Fatalf("first frame %x %q, want the subscribe acknowledgement", head, body)
	}
}
