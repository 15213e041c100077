package connect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sigv4"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

const region = "eu-west-2"

type server struct {
	t      *testing.T
	url    string
	signer sigv4.Signer
}

func newServer(t *testing.T, maxActiveChats int) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	for _, id := range []string{"i1", "i2"} {
		err = st.Write(ctx, func(tx store.Tx) error {
			return tx.CreateInstance(store.NewInstance{
				Instance:  store.Instance{ID: id, Region: region, CreatedAt: now},
				AccessKey: store.AccessKey{ID: "AK" + id, InstanceID: id, Secret: "secret-" + id, CreatedAt: now},
				Flows:     []store.ContactFlow{{ID: "flow-" + id, InstanceID: id, Name: "f", Type: "CONTACT_FLOW", Content: "{}", CreatedAt: now}},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := chat.New(st, local.New(), chat.Config{Logger: log, MaxActiveChats: maxActiveChats})
	mux := http.NewServeMux()
	connect.New(connect.Deps{Chat: svc, Auth: auth.SigV4(st, region, time.Now), Region: region, Log: log}).Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL, signer: sigv4.Signer{
		Credentials: sigv4.Credentials{AccessKeyID: "AKi1", SecretAccessKey: "secret-i1"}, Region: region, Service: "connect"}}
}

type response struct {
	status  int
	errType string
	body    map[string]any
}

// do sends a request signed by signer at time at.
func (s *server) do(signer sigv4.Signer, at time.Time, method, path string, body any) response {
	s.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if err := signer.Sign(req, raw, at); err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, errType: resp.Header.Get("x-amzn-ErrorType")}
	json.NewDecoder(resp.Body).Decode(&r.body)
	return r
}

func (s *server) startChat(body map[string]any) response {
	return s.do(s.signer, time.Now(), "PUT", "/contact/chat", body)
}

func chatBody(extra map[string]any) map[string]any {
	b := map[string]any{"InstanceId": "i1", "ContactFlowId": "flow-i1", "ParticipantDetails": map[string]any{"DisplayName": "Customer"}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestSigV4(t *testing.T) {
	t.Parallel()
	s := newServer(t, 0)
	wrongSecret, unknownKey, wrongRegion, wrongService := s.signer, s.signer, s.signer, s.signer
	wrongSecret.Credentials.SecretAccessKey = "nope"
	unknownKey.Credentials.AccessKeyID = "AKNOBODY"
	wrongRegion.Region = "us-west-2"
	wrongService.Service = "execute-api"
	tests := []struct {
		name       string
		signer     sigv4.Signer
		at         time.Time
		wantStatus int
		wantType   string
	}{
		{"valid", s.signer, time.Now(), 200, ""},
		{"wrong secret", wrongSecret, time.Now(), 403, "InvalidSignatureException"},
		{"unknown key", unknownKey, time.Now(), 403, "UnrecognizedClientException"},
		{"wrong region", wrongRegion, time.Now(), 403, "InvalidSignatureException"},
		{"wrong service", wrongService, time.Now(), 403, "InvalidSignatureException"},
		{"clock skewed", s.signer, time.Now().Add(-20 * time.Minute), 403, "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(tt.signer, tt.at, "PUT", "/contact/chat", chatBody(nil))
			if r.status != tt.wantStatus || r.errType != tt.wantType {
				t.Fatalf("got %d %q (%v), want %d %q", r.status, r.errType, r.body, tt.wantStatus, tt.wantType)
			}
		})
	}
	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Post(s.url+"/contact/stop", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
		}
	})
}

func TestConnectAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t, 0)
	ok := s.startChat(chatBody(map[string]any{"Attributes": map[string]string{"topic": "billing"}, "ClientToken": "c1"}))
	if ok.status != 200 || ok.body["ContactId"] == nil || ok.body["ParticipantToken"] == nil {
		t.Fatalf("StartChatContact: %d %v", ok.status, ok.body)
	}
	contactID := ok.body["ContactId"].(string)
	if again := s.startChat(chatBody(map[string]any{"Attributes": map[string]string{"topic": "billing"}, "ClientToken": "c1"})); again.body["ContactId"] != contactID {
		t.Fatalf("same ClientToken started another chat: %v", again.body)
	}

	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantType   string
	}{
		{"duration too short", "PUT", "/contact/chat", chatBody(map[string]any{"ChatDurationInMinutes": 59}), 400, "InvalidParameterException"},
		{"unknown flow", "PUT", "/contact/chat", chatBody(map[string]any{"ContactFlowId": "nope"}), 404, "ResourceNotFoundException"},
		{"another instance's flow", "PUT", "/contact/chat", chatBody(map[string]any{"ContactFlowId": "flow-i2"}), 404, "ResourceNotFoundException"},
		{"another instance", "PUT", "/contact/chat", chatBody(map[string]any{"InstanceId": "i2", "ContactFlowId": "flow-i2"}), 404, "ResourceNotFoundException"},
		{"no participant details", "PUT", "/contact/chat", map[string]any{"InstanceId": "i1", "ContactFlowId": "flow-i1"}, 400, "InvalidParameterException"},
		{"malformed JSON", "PUT", "/contact/chat", []byte(`{"InstanceId":`), 400, "InvalidRequestException"},
		{"persistent with related", "PUT", "/contact/chat", chatBody(map[string]any{"RelatedContactId": contactID, "PersistentChat": map[string]any{"RehydrationType": "FROM_SEGMENT", "SourceContactId": contactID}}), 400, "InvalidRequestException"},
		{"persistent from an active chat", "PUT", "/contact/chat", chatBody(map[string]any{"PersistentChat": map[string]any{"RehydrationType": "FROM_SEGMENT", "SourceContactId": contactID}}), 400, "InvalidRequestException"},
		{"describe", "GET", "/contacts/i1/" + contactID, nil, 200, ""},
		{"describe by ARN", "GET", "/contacts/arn:aws:connect:eu-west-2:000000000000:instance%2Fi1/" + contactID, nil, 200, ""},
		{"describe unknown", "GET", "/contacts/i1/nope", nil, 404, "ResourceNotFoundException"},
		{"describe other instance", "GET", "/contacts/i2/" + contactID, nil, 404, "ResourceNotFoundException"},
		{"get attributes", "GET", "/contact/attributes/i1/" + contactID, nil, 200, ""},
		{"update attributes", "POST", "/contact/attributes", map[string]any{"InstanceId": "i1", "InitialContactId": contactID, "Attributes": map[string]string{"tier": "gold"}}, 200, ""},
		{"update attributes bad key", "POST", "/contact/attributes", map[string]any{"InstanceId": "i1", "InitialContactId": contactID, "Attributes": map[string]string{"bad key": "x"}}, 400, "InvalidParameterException"},
		{"create bot", "POST", "/contact/create-participant", map[string]any{"InstanceId": "i1", "ContactId": contactID, "ParticipantDetails": map[string]any{"ParticipantRole": "CUSTOM_BOT", "DisplayName": "Bot"}}, 200, ""},
		{"create customer", "POST", "/contact/create-participant", map[string]any{"InstanceId": "i1", "ContactId": contactID, "ParticipantDetails": map[string]any{"ParticipantRole": "CUSTOMER"}}, 400, "InvalidRequestException"},
		{"role config", "PUT", "/contact/participant-role-config/i1/" + contactID, map[string]any{"ChannelConfiguration": map[string]any{"Chat": map[string]any{"ParticipantTimerConfigList": []any{
			map[string]any{"ParticipantRole": "CUSTOMER", "TimerType": "IDLE", "TimerValue": map[string]any{"ParticipantTimerDurationInMinutes": 5}},
			map[string]any{"ParticipantRole": "AGENT", "TimerType": "DISCONNECT_NONCUSTOMER", "TimerValue": map[string]any{"ParticipantTimerAction": "Unset"}}}}}}, 200, ""},
		{"role config out of range", "PUT", "/contact/participant-role-config/i1/" + contactID, map[string]any{"ChannelConfiguration": map[string]any{"Chat": map[string]any{"ParticipantTimerConfigList": []any{
			map[string]any{"ParticipantRole": "CUSTOMER", "TimerType": "IDLE", "TimerValue": map[string]any{"ParticipantTimerDurationInMinutes": 1}}}}}}, 400, "InvalidParameterException"},
		{"stop", "POST", "/contact/stop", map[string]any{"InstanceId": "i1", "ContactId": contactID}, 200, ""},
		{"stop again", "POST", "/contact/stop", map[string]any{"InstanceId": "i1", "ContactId": contactID}, 410, "ContactNotFoundException"},
		{"create participant on ended chat", "POST", "/contact/create-participant", map[string]any{"InstanceId": "i1", "ContactId": contactID, "ParticipantDetails": map[string]any{"ParticipantRole": "CUSTOM_BOT"}}, 400, "InvalidRequestException"},
	}
	for _, tt := range tests { // in order: later cases depend on earlier ones
		r := s.do(s.signer, time.Now(), tt.method, tt.path, tt.body)
		if r.status != tt.wantStatus || r.errType != tt.wantType {
			t.Fatalf("%s: got %d %q %v, want %d %q", tt.name, r.status, r.errType, r.body, tt.wantStatus, tt.wantType)
		}
		if r.status != 200 && r.body["message"] == nil {
			t.Fatalf("%s: error without a message: %v", tt.name, r.body)
		}
	}

	d := s.do(s.signer, time.Now(), "GET", "/contacts/i1/"+contactID, nil)
	c := d.body["Contact"].(map[string]any)
	if c["Channel"] != "CHAT" || c["InitiationMethod"] != "API" || c["DisconnectTimestamp"] == nil || c["Id"] != contactID {
		t.Fatalf("DescribeContact after stop = %v", c)
	}
	if _, isNumber := c["InitiationTimestamp"].(float64); !isNumber {
		t.Fatalf("InitiationTimestamp = %v, want epoch seconds", c["InitiationTimestamp"])
	}
	a := s.do(s.signer, time.Now(), "GET", "/contact/attributes/i1/"+contactID, nil)
	if attrs := a.body["Attributes"].(map[string]any); attrs["topic"] != "billing" || attrs["tier"] != "gold" {
		t.Fatalf("attributes after merge = %v", attrs)
	}
}

func TestActiveChatLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, 1)
	if r := s.startChat(chatBody(nil)); r.status != 200 {
		t.Fatalf("first chat: %d %v", r.status, r.body)
	}
	r := s.startChat(chatBody(nil))
	if r.status != 429 || r.errType != "LimitExceededException" {
		t.Fatalf("chat over the limit: %d %q, want 429 LimitExceededException", r.status, r.errType)
	}
}
