package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// widgetOrigin is the page origin the test widgets allow.
const widgetOrigin = "http://127.0.0.1:9999"

// widgetResp is one answer of the public widget API.
type widgetResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r widgetResp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errorCode is the "error" member of a JSON error answer.
func (r widgetResp) errorCode(t *testing.T) string {
	t.Helper()
	var e struct{ Error, Message string }
	r.json(t, &e)
	if e.Message == "" {
		t.Fatalf("error answer without message: %s", r.Body)
	}
	return e.Error
}

// widgetCall calls the public widget API as a browser on origin would
// (no Origin header when origin is empty).
func widgetCall(t *testing.T, srv *Server, method, path, origin string, body any) widgetResp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, srv.Endpoint+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return widgetResp{resp.StatusCode, resp.Header, raw}
}

// signHS256 signs claims as a company's backend would; alg overrides the
// header's algorithm (the signature stays HS256).
func signHS256(t *testing.T, claims map[string]any, secret, alg string) string {
	t.Helper()
	header, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc(header) + "." + enc(payload)
	if alg == "none" {
		return signing + "."
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc(mac.Sum(nil))
}

type widgetStarted struct {
	ContactID              string `json:"contactId"`
	ParticipantID          string `json:"participantId"`
	ParticipantToken       string `json:"participantToken"`
	ParticipantTokenExpiry string `json:"participantTokenExpiry"`
}

// TestWidgetAPI drives the chat widget's public endpoints and their admin
// API over the real binary: CORS by allowed origin, pre-chat fields, the
// rate limit and customer JWTs, down to the chat the default flow greets.
func TestWidgetAPI(t *testing.T) {
	t.Parallel()
	srv := Start(t, Build(t), Options{})
	c := newAPIClient(t, srv)
	inst := srv.Bootstrap.InstanceID

	create := func(t *testing.T, cfg map[string]any) (id, secret string) {
		t.Helper()
		var out struct{ WidgetId, JwtSecret string }
		if err := c.do("PUT", "/parley/widgets/"+inst, "", cfg, &out); err != nil {
			t.Fatalf("create widget: %v", err)
		}
		if out.WidgetId == "" || len(out.JwtSecret) != 64 {
			t.Fatalf("create widget: got %+v, want an ID and a 64-hex secret", out)
		}
		return out.WidgetId, out.JwtSecret
	}
	base := func(name string) map[string]any {
		return map[string]any{
			"Name": name, "ContactFlowId": srv.Bootstrap.InboundFlowID, "AllowedOrigins": []string{widgetOrigin},
			"Title": "Support", "Greeting": "How can we help?", "RateLimitPerMinute": 60,
			"Theme": map[string]string{"Primary": "#0a7"},
			"PreChatForm": map[string]any{"Enabled": true, "Fields": []map[string]any{
				{"Name": "customerName", "Label": "Your name", "Type": "text", "Required": true},
				{"Name": "email", "Label": "Email", "Type": "email"},
				{"Name": "topic", "Label": "Topic", "Type": "select", "Options": []string{"Billing", "Tech"}},
			}},
		}
	}

	id, _ := create(t, base("shop"))

	t.Run("admin validation", func(t *testing.T) {
		for name, change := range map[string]map[string]any{
			"wildcard origin": {"AllowedOrigins": []string{"*"}},
			"origin path":     {"AllowedOrigins": []string{"https://shop.example.com/chat"}},
			"http origin":     {"AllowedOrigins": []string{"http://shop.example.com"}},
			"bad colour":      {"Theme": map[string]string{"Primary": "red"}},
			"unknown flow":    {"ContactFlowId": "no-such-flow"},
			"duplicate name":  {"Name": "shop"},
		} {
			cfg := base("other")
			for k, v := range change {
				cfg[k] = v
			}
			err := c.do("PUT", "/parley/widgets/"+inst, "", cfg, nil)
			if ae, ok := err.(*apiError); !ok || (ae.Status != 400 && ae.Status != 409) {
				t.Errorf("%s: got %v, want a 400 or 409", name, err)
			}
		}
	})

	t.Run("admin read", func(t *testing.T) {
		var list struct{ Widgets []map[string]any }
		if err := c.do("GET", "/parley/widgets/"+inst, "", nil, &list); err != nil {
			t.Fatalf("list widgets: %v", err)
		}
		if len(list.Widgets) == 0 || list.Widgets[0]["WidgetId"] == nil {
			t.Fatalf("list widgets: got %+v", list)
		}
		var one struct{ Widget map[string]any }
		if err := c.do("GET", "/parley/widgets/"+inst+"/"+id, "", nil, &one); err != nil {
			t.Fatalf("describe widget: %v", err)
		}
		raw, _ := json.Marshal(one)
		if one.Widget["Name"] != "shop" || strings.Contains(string(raw), "JwtSecret") {
			t.Fatalf("describe widget: got %s, want shop without its secret", raw)
		}
	})

	t.Run("config", func(t *testing.T) {
		r := widgetCall(t, srv, "GET", "/widget-api/"+id+"/config", widgetOrigin, nil)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != widgetOrigin || !strings.Contains(r.Header.Get("Vary"), "Origin") {
			t.Fatalf("config: got %d %v %s", r.Status, r.Header, r.Body)
		}
		var cfg struct {
			WidgetID    string `json:"widgetId"`
			Title       string `json:"title"`
			Position    string `json:"position"`
			Theme       struct{ Primary, Background string }
			Locale      string `json:"locale"`
			PreChatForm struct {
				Enabled bool
				Fields  []struct{ Name, Type string }
			} `json:"preChatForm"`
		}
		r.json(t, &cfg)
		if cfg.WidgetID != id || cfg.Title != "Support" || cfg.Position != "bottom-right" || cfg.Theme.Primary != "#0a7" ||
			cfg.Theme.Background == "" || cfg.Locale != "en" || !cfg.PreChatForm.Enabled || len(cfg.PreChatForm.Fields) != 3 {
			t.Fatalf("config: got %+v", cfg)
		}
		for _, leak := range []string{"ecret", srv.Bootstrap.InboundFlowID, "127.0.0.1"} {
			if strings.Contains(string(r.Body), leak) {
				t.Fatalf("config leaks %q: %s", leak, r.Body)
			}
		}
		for _, origin := range []string{"", "https://evil.example.com", "http://127.0.0.1:9998"} {
			r := widgetCall(t, srv, "GET", "/widget-api/"+id+"/config", origin, nil)
			if r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" || r.errorCode(t) != "origin_not_allowed" {
				t.Fatalf("config from %q: got %d %v %s, want 403 origin_not_allowed without CORS", origin, r.Status, r.Header, r.Body)
			}
		}
		if r := widgetCall(t, srv, "GET", "/widget-api/"+inst+".00ff/config", widgetOrigin, nil); r.Status != 404 || r.errorCode(t) != "widget_not_found" {
			t.Fatalf("unknown widget: got %d %s", r.Status, r.Body)
		}
	})

	t.Run("preflight", func(t *testing.T) {
		r := widgetCall(t, srv, "OPTIONS", "/widget-api/"+id+"/start", widgetOrigin, nil)
		h := r.Header
		if r.Status != 204 || h.Get("Access-Control-Allow-Origin") != widgetOrigin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Fatalf("preflight: got %d %v", r.Status, h)
		}
		if r := widgetCall(t, srv, "OPTIONS", "/widget-api/"+id+"/start", "https://evil.example.com", nil); r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from a foreign origin: got %d %v", r.Status, r.Header)
		}
	})

	t.Run("start", func(t *testing.T) {
		r := widgetCall(t, srv, "POST", "/widget-api/"+id+"/start", widgetOrigin, map[string]any{
			"displayName": "Ana", "attributes": map[string]string{"customerName": "Ana", "topic": "Billing", "email": "ana@example.com"}})
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != widgetOrigin {
			t.Fatalf("start: got %d %s", r.Status, r.Body)
		}
		var s widgetStarted
		r.json(t, &s)
		if exp, err := time.Parse(time.RFC3339, s.ParticipantTokenExpiry); err != nil || time.Until(exp) < time.Hour {
			t.Fatalf("start: participantTokenExpiry %q", s.ParticipantTokenExpiry)
		}
		conn, err := c.connect(s.ParticipantToken)
		if err != nil {
			t.Fatalf("connect with the widget's participant token: %v", err)
		}
		waitForMessage(t, c, conn.ConnectionCredentials.ConnectionToken, "Hi Ana, thanks for contacting us")
		var attrs struct{ Attributes map[string]string }
		if err := c.do("GET", "/contact/attributes/"+inst+"/"+s.ContactID, "", nil, &attrs); err != nil {
			t.Fatalf("GetContactAttributes: %v", err)
		}
		if a := attrs.Attributes; a["widgetId"] != id || a["topic"] != "Billing" || a["email"] != "ana@example.com" {
			t.Fatalf("attributes: got %v", a)
		}
	})

	t.Run("start refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, origin string
			body         map[string]any
			status       int
			code         string
		}{
			{"foreign origin", "https://evil.example.com", map[string]any{"attributes": map[string]string{"customerName": "X"}}, 403, "origin_not_allowed"},
			{"unknown field", widgetOrigin, map[string]any{"attributes": map[string]string{"customerName": "X", "vip": "yes"}}, 400, "invalid_request"},
			{"missing required", widgetOrigin, map[string]any{"attributes": map[string]string{"topic": "Tech"}}, 400, "invalid_request"},
			{"bad select", widgetOrigin, map[string]any{"attributes": map[string]string{"customerName": "X", "topic": "Sales"}}, 400, "invalid_request"},
			{"bad email", widgetOrigin, map[string]any{"attributes": map[string]string{"customerName": "X", "email": "nope"}}, 400, "invalid_request"},
		} {
			r := widgetCall(t, srv, "POST", "/widget-api/"+id+"/start", tc.origin, tc.body)
			if r.Status != tc.status || r.errorCode(t) != tc.code {
				t.Errorf("%s: got %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
			}
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		cfg := base("limited")
		cfg["RateLimitPerMinute"] = 2
		cfg["PreChatForm"] = map[string]any{"Enabled": false}
		lid, _ := create(t, cfg)
		for i := 1; i <= 3; i++ {
			r := widgetCall(t, srv, "POST", "/widget-api/"+lid+"/start", widgetOrigin, map[string]any{"displayName": "Rita"})
			switch {
			case i < 3 && r.Status != 200:
				t.Fatalf("start %d: got %d %s", i, r.Status, r.Body)
			case i == 3 && (r.Status != 429 || r.Header.Get("Retry-After") == "" || r.errorCode(t) != "rate_limited"):
				t.Fatalf("start %d: got %d %v %s, want 429 with Retry-After", i, r.Status, r.Header, r.Body)
			}
		}
	})

	t.Run("jwt", func(t *testing.T) {
		cfg := base("members")
		cfg["RequireJwt"] = true
		cfg["PreChatForm"] = map[string]any{"Enabled": false}
		jid, secret := create(t, cfg)
		now := time.Now().Unix()
		valid := signHS256(t, map[string]any{"sub": "cust-42", "name": "Bea", "iat": now, "exp": now + 300,
			"attributes": map[string]string{"plan": "gold"}}, secret, "HS256")
		start := func(token string) widgetResp {
			return widgetCall(t, srv, "POST", "/widget-api/"+jid+"/start", widgetOrigin, map[string]any{"displayName": "ignored", "jwt": token})
		}
		for name, token := range map[string]string{
			"no token":   "",
			"expired":    signHS256(t, map[string]any{"sub": "cust-42", "iat": now - 600, "exp": now - 300}, secret, "HS256"),
			"alg none":   signHS256(t, map[string]any{"sub": "cust-42", "exp": now + 300}, secret, "none"),
			"bad secret": signHS256(t, map[string]any{"sub": "cust-42", "exp": now + 300}, strings.Repeat("0", 64), "HS256"),
			"no sub":     signHS256(t, map[string]any{"exp": now + 300}, secret, "HS256"),
		} {
			if r := start(token); r.Status != 401 || r.errorCode(t) != "invalid_token" || r.Header.Get("Access-Control-Allow-Origin") != widgetOrigin {
				t.Errorf("%s: got %d %s, want a readable 401 invalid_token", name, r.Status, r.Body)
			}
		}
		r := start(valid)
		if r.Status != 200 {
			t.Fatalf("start with a valid token: got %d %s", r.Status, r.Body)
		}
		var s widgetStarted
		r.json(t, &s)
		var d struct{ Contact struct{ CustomerId string } }
		if err := c.do("GET", "/contacts/"+inst+"/"+s.ContactID, "", nil, &d); err != nil {
			t.Fatalf("DescribeContact: %v", err)
		}
		if d.Contact.CustomerId != "cust-42" {
			t.Fatalf("DescribeContact: CustomerId %q, want cust-42", d.Contact.CustomerId)
		}
		var attrs struct{ Attributes map[string]string }
		if err := c.do("GET", "/contact/attributes/"+inst+"/"+s.ContactID, "", nil, &attrs); err != nil {
			t.Fatalf("GetContactAttributes: %v", err)
		}
		if a := attrs.Attributes; a["customerId"] != "cust-42" || a["plan"] != "gold" || a["widgetId"] != jid {
			t.Fatalf("attributes: got %v", a)
		}
		conn, err := c.connect(s.ParticipantToken)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		items, err := c.transcript(conn.ConnectionCredentials.ConnectionToken)
		if err != nil {
			t.Fatalf("transcript: %v", err)
		}
		named := false
		for _, it := range items {
			if it.ParticipantRole == "CUSTOMER" && it.DisplayName == "Bea" {
				named = true
			}
		}
		if !named {
			t.Fatalf("transcript: no customer item named Bea (the token's name): %+v", items)
		}

		// A rotated secret invalidates tokens signed with the old one.
		cfg["RotateJwtSecret"] = true
		var rot struct{ WidgetId, JwtSecret string }
		if err := c.do("POST", "/parley/widgets/"+inst+"/"+jid, "", cfg, &rot); err != nil {
			t.Fatalf("rotate: %v", err)
		}
		if rot.JwtSecret == "" || rot.JwtSecret == secret {
			t.Fatalf("rotate: got secret %q", rot.JwtSecret)
		}
		if r := start(valid); r.Status != 401 {
			t.Fatalf("old token after rotation: got %d %s", r.Status, r.Body)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := c.do("DELETE", "/parley/widgets/"+inst+"/"+id, "", nil, nil); err != nil {
			t.Fatalf("delete widget: %v", err)
		}
		if r := widgetCall(t, srv, "GET", "/widget-api/"+id+"/config", widgetOrigin, nil); r.Status != 404 {
			t.Fatalf("config of a deleted widget: got %d %s", r.Status, r.Body)
		}
	})
}
