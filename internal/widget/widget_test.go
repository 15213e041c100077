package widget

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

const pageOrigin = "https://shop.example.com"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a widget service over a bootstrapped SQLite instance.
type env struct {
	ctx   context.Context
	svc   *Service
	st    store.Store
	clock *clock
	boot  bootstrap.Result
	// savedFlow is a CONTACT_FLOW never published; queueFlow a published
	// CUSTOMER_QUEUE flow.
	savedFlow, queueFlow string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	if _, err := bootstrap.Ensure(ctx, st, dir, "eu-west-1", clk.Now(), log); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, bootstrap.File))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, st: st, clock: clk}
	if err := json.Unmarshal(raw, &e.boot); err != nil {
		t.Fatal(err)
	}
	chatSvc := chat.New(st, local.New(), chat.Config{Now: clk.Now, Logger: log})
	e.svc = New(st, chatSvc, Config{Now: clk.Now, Logger: log})
	e.savedFlow = "saved-flow"
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.PutContactFlow(store.ContactFlow{ID: e.savedFlow, InstanceID: e.boot.InstanceID, Name: "Draft", Type: "CONTACT_FLOW",
			Status: store.FlowSaved, State: store.FlowActive, Content: "{}", CreatedAt: clk.Now(), UpdatedAt: clk.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	flows, err := st.ListContactFlows(ctx, e.boot.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flows {
		if f.Type == "CUSTOMER_QUEUE" && f.Version > 0 {
			e.queueFlow = f.ID
		}
	}
	if e.queueFlow == "" {
		t.Fatal("bootstrap has no published CUSTOMER_QUEUE flow")
	}
	return e
}

// config is a valid widget configuration.
func (e *env) config(name string) Widget {
	return Widget{Name: name, ContactFlowID: e.boot.InboundFlowID, AllowedOrigins: []string{pageOrigin},
		PreChatForm: PreChatForm{Enabled: true, Fields: []Field{
			{Name: "customerName", Label: "Name", Type: FieldText, Required: true},
			{Name: "email", Label: "Email", Type: FieldEmail},
			{Name: "topic", Label: "Topic", Type: FieldSelect, Options: []string{"Billing", "Tech"}},
			{Name: "notes", Label: "Notes", Type: FieldTextarea},
		}}}
}

func (e *env) create(t *testing.T, w Widget) Widget {
	t.Helper()
	got, err := e.svc.Create(e.ctx, e.boot.InstanceID, w)
	if err != nil {
		t.Fatalf("create %s: %v", w.Name, err)
	}
	return got
}

func faultCode(err error) fault.Code {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return 0
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, e.config("taken"))
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "https://s" + strings.Repeat("x", i+1) + ".example.com"
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		change func(w *Widget)
		want   fault.Code // 0: valid
	}{
		{"valid", func(*Widget) {}, 0},
		{"empty name", func(w *Widget) { w.Name = "" }, fault.InvalidParameter},
		{"long name", func(w *Widget) { w.Name = strings.Repeat("n", 128) }, fault.InvalidParameter},
		{"duplicate name", func(w *Widget) { w.Name = "taken" }, fault.Duplicate},
		{"no flow", func(w *Widget) { w.ContactFlowID = "" }, fault.InvalidParameter},
		{"unknown flow", func(w *Widget) { w.ContactFlowID = "nope" }, fault.InvalidParameter},
		{"unpublished flow", func(w *Widget) { w.ContactFlowID = e.savedFlow }, fault.InvalidParameter},
		{"queue flow", func(w *Widget) { w.ContactFlowID = e.queueFlow }, fault.InvalidParameter},
		{"no origins", func(w *Widget) { w.AllowedOrigins = nil }, fault.InvalidParameter},
		{"20 origins", func(w *Widget) { w.AllowedOrigins = many(20) }, 0},
		{"21 origins", func(w *Widget) { w.AllowedOrigins = many(21) }, fault.InvalidParameter},
		{"localhost http", func(w *Widget) { w.AllowedOrigins = []string{"http://localhost:3000", "http://127.0.0.1:9999"} }, 0},
		{"https port", func(w *Widget) { w.AllowedOrigins = []string{"https://shop.example.com:8443"} }, 0},
		{"wildcard subdomain", func(w *Widget) { w.AllowedOrigins = []string{"https://*.example.com"} }, 0},
		{"http remote", func(w *Widget) { w.AllowedOrigins = []string{"http://shop.example.com"} }, fault.InvalidParameter},
		{"star", func(w *Widget) { w.AllowedOrigins = []string{"*"} }, fault.InvalidParameter},
		{"wildcard tld", func(w *Widget) { w.AllowedOrigins = []string{"https://*.com"} }, fault.InvalidParameter},
		{"inner wildcard", func(w *Widget) { w.AllowedOrigins = []string{"https://shop.*.com"} }, fault.InvalidParameter},
		{"http wildcard", func(w *Widget) { w.AllowedOrigins = []string{"http://*.localhost"} }, fault.InvalidParameter},
		{"path", func(w *Widget) { w.AllowedOrigins = []string{"https://shop.example.com/"} }, fault.InvalidParameter},
		{"query", func(w *Widget) { w.AllowedOrigins = []string{"https://shop.example.com?x"} }, fault.InvalidParameter},
		{"user info", func(w *Widget) { w.AllowedOrigins = []string{"https://u@shop.example.com"} }, fault.InvalidParameter},
		{"bad port", func(w *Widget) { w.AllowedOrigins = []string{"https://shop.example.com:99999"} }, fault.InvalidParameter},
		{"ftp", func(w *Widget) { w.AllowedOrigins = []string{"ftp://shop.example.com"} }, fault.InvalidParameter},
		{"logo https", func(w *Widget) { w.LogoURL = "https://cdn.example.com/logo.png" }, 0},
		{"logo http", func(w *Widget) { w.LogoURL = "http://cdn.example.com/logo.png" }, fault.InvalidParameter},
		{"logo javascript", func(w *Widget) { w.LogoURL = "javascript:alert(1)" }, fault.InvalidParameter},
		{"position left", func(w *Widget) { w.Position = PositionBottomLeft }, 0},
		{"position top", func(w *Widget) { w.Position = "top-left" }, fault.InvalidParameter},
		{"short colour", func(w *Widget) { w.Theme.Primary = "#0a7" }, 0},
		{"named colour", func(w *Widget) { w.Theme.Text = "red" }, fault.InvalidParameter},
		{"css injection", func(w *Widget) { w.Theme.Background = "#fff;}body{" }, fault.InvalidParameter},
		{"rgba", func(w *Widget) { w.Theme.Background = "#ffffff80" }, fault.InvalidParameter},
		{"field name digit", func(w *Widget) { w.PreChatForm.Fields[0].Name = "1name" }, fault.InvalidParameter},
		{"field name dash", func(w *Widget) { w.PreChatForm.Fields[0].Name = "first-name" }, fault.InvalidParameter},
		{"field name long", func(w *Widget) { w.PreChatForm.Fields[0].Name = "a" + strings.Repeat("b", 50) }, fault.InvalidParameter},
		{"field reserved", func(w *Widget) { w.PreChatForm.Fields[0].Name = "widgetId" }, fault.InvalidParameter},
		{"field twice", func(w *Widget) { w.PreChatForm.Fields[1].Name = "customerName" }, fault.InvalidParameter},
		{"label long", func(w *Widget) { w.PreChatForm.Fields[0].Label = strings.Repeat("l", 101) }, fault.InvalidParameter},
		{"label empty", func(w *Widget) { w.PreChatForm.Fields[0].Label = "" }, fault.InvalidParameter},
		{"field type", func(w *Widget) { w.PreChatForm.Fields[0].Type = "number" }, fault.InvalidParameter},
		{"select no options", func(w *Widget) { w.PreChatForm.Fields[2].Options = nil }, fault.InvalidParameter},
		{"select 21 options", func(w *Widget) { w.PreChatForm.Fields[2].Options = make([]string, 21) }, fault.InvalidParameter},
		{"text with options", func(w *Widget) { w.PreChatForm.Fields[0].Options = []string{"a"} }, fault.InvalidParameter},
		{"11 fields", func(w *Widget) {
			for len(w.PreChatForm.Fields) < 11 {
				w.PreChatForm.Fields = append(w.PreChatForm.Fields, Field{Name: "f" + strings.Repeat("x", len(w.PreChatForm.Fields)), Label: "F", Type: FieldText})
			}
		}, fault.InvalidParameter},
		{"rate limit negative", func(w *Widget) { w.RateLimitPerMinute = -1 }, fault.InvalidParameter},
		{"locale", func(w *Widget) { w.Locale = "pt-BR" }, 0},
		{"bad locale", func(w *Widget) { w.Locale = "<script>" }, fault.InvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := e.config("w-" + tc.name)
			w.PreChatForm.Fields = append([]Field(nil), w.PreChatForm.Fields...)
			tc.change(&w)
			got, err := e.svc.Create(e.ctx, e.boot.InstanceID, w)
			if code := faultCode(err); code != tc.want || (tc.want == 0 && err != nil) {
				t.Fatalf("Create: got %v (code %d), want code %d", err, code, tc.want)
			}
			if err == nil && (got.RateLimitPerMinute != DefaultRateLimitPerMinute || got.Theme.Background == "" || len(got.JWTSecret) != 64) {
				t.Fatalf("Create: defaults not applied: %+v", got)
			}
		})
	}
}

func TestCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inst := e.boot.InstanceID
	w := e.create(t, e.config("shop"))
	if instanceOf(w.ID) != inst {
		t.Fatalf("widget ID %q does not carry instance %s", w.ID, inst)
	}
	list, err := e.svc.List(e.ctx, inst)
	if err != nil || len(list) != 1 || list[0].JWTSecret != "" {
		t.Fatalf("List: got %+v, %v; want one widget without secret", list, err)
	}
	cfg := e.config("shop renamed")
	cfg.Title = "Hi"
	up, err := e.svc.Update(e.ctx, inst, w.ID, cfg, false)
	if err != nil || up.JWTSecret != w.JWTSecret || up.Name != "shop renamed" || !up.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("Update: got %+v, %v; want the secret and creation kept", up, err)
	}
	rot, err := e.svc.Update(e.ctx, inst, w.ID, cfg, true)
	if err != nil || rot.JWTSecret == w.JWTSecret || len(rot.JWTSecret) != 64 {
		t.Fatalf("Update rotate: got %+v, %v; want a new secret", rot, err)
	}
	if _, err := e.svc.Get(e.ctx, "other-instance", w.ID); faultCode(err) != fault.NotFound {
		t.Fatalf("Get from another instance: got %v, want NotFound", err)
	}
	if err := e.svc.Delete(e.ctx, inst, w.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := e.svc.Delete(e.ctx, inst, w.ID); faultCode(err) != fault.NotFound {
		t.Fatalf("Delete twice: got %v, want NotFound", err)
	}
	if _, err := e.svc.PublicConfig(e.ctx, w.ID, pageOrigin); faultCode(err) != fault.NotFound {
		t.Fatalf("PublicConfig of a deleted widget: got %v, want NotFound", err)
	}
}

func TestOriginMatching(t *testing.T) {
	t.Parallel()
	allowed := []string{"https://shop.example.com", "https://*.brand.example", "http://127.0.0.1:9999", "https://app.example.com:8443"}
	for _, tc := range []struct {
		pageOrigin string
		want       bool
	}{
		{"https://shop.example.com", true},
		{"HTTPS://Shop.Example.com", true},
		{"https://shop.example.com:443", true},
		{"http://shop.example.com", false},
		{"https://shop.example.com:8443", false},
		{"https://evil-shop.example.com", false},
		{"https://shop.example.com.evil.com", false},
		{"https://www.brand.example", true},
		{"https://a.b.brand.example", true},
		{"https://brand.example", false},
		{"https://xbrand.example", false},
		{"http://127.0.0.1:9999", true},
		{"http://127.0.0.1:9998", false},
		{"http://localhost:9999", false},
		{"https://app.example.com:8443", true},
		{"https://app.example.com", false},
		{"null", false},
		{"", false},
		{"https://*.brand.example", false},
		{"https://shop.example.com/path", false},
	} {
		t.Run(tc.pageOrigin, func(t *testing.T) {
			t.Parallel()
			if got := originAllowed(allowed, tc.pageOrigin); got != tc.want {
				t.Fatalf("originAllowed(%q) = %v, want %v", tc.pageOrigin, got, tc.want)
			}
		})
	}
}

func TestStartOriginAndRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.config("limited")
	cfg.PreChatForm = PreChatForm{}
	cfg.RateLimitPerMinute = 6 // bursts of 3, one more every 10 s
	w := e.create(t, cfg)
	start := func(ip string) error {
		_, err := e.svc.Start(e.ctx, w.ID, pageOrigin, ip, StartRequest{})
		return err
	}
	if _, err := e.svc.Start(e.ctx, w.ID, "https://evil.example.com", "10.0.0.1", StartRequest{}); faultCode(err) != fault.AccessDenied {
		t.Fatalf("Start from a foreign origin: got %v, want AccessDenied", err)
	}
	for i := range 3 {
		if err := start("10.0.0.1"); err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
	}
	err := start("10.0.0.1")
	var rl *RateLimitError
	if !errors.As(err, &rl) || faultCode(err) != fault.LimitExceeded || rl.RetryAfter <= 0 || rl.RetryAfter > 10*time.Second {
		t.Fatalf("start 4: got %v, want LimitExceeded with a retry within 10s", err)
	}
	if err := start("10.0.0.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	e.clock.Advance(10 * time.Second)
	if err := start("10.0.0.1"); err != nil {
		t.Fatalf("after the refill: %v", err)
	}
	if err := start("10.0.0.1"); faultCode(err) != fault.LimitExceeded {
		t.Fatalf("right after: got %v, want LimitExceeded", err)
	}
}

func TestLimiterBurst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		perMinute, burst int
	}{{1, 2}, {2, 2}, {4, 2}, {10, 5}, {60, 30}} {
		l := newLimiter()
		now := time.Now()
		n := 0
		for {
			if _, ok := l.allow("k", tc.perMinute, now); !ok {
				break
			}
			n++
		}
		if n != tc.burst {
			t.Errorf("%d a minute: burst %d, want %d", tc.perMinute, n, tc.burst)
		}
	}
}

func TestPreChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.config("form")
	cfg.RateLimitPerMinute = MaxRateLimitPerMin
	w := e.create(t, cfg)
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		ok    bool
	}{
		{"required only", map[string]string{"customerName": "Ana"}, true},
		{"all fields", map[string]string{"customerName": "Ana", "email": "ana@example.com", "topic": "Tech", "notes": "hello\nthere"}, true},
		{"missing required", map[string]string{"topic": "Tech"}, false},
		{"empty required", map[string]string{"customerName": ""}, false},
		{"unknown field", map[string]string{"customerName": "Ana", "vip": "yes"}, false},
		{"reserved key", map[string]string{"customerName": "Ana", "widgetId": "x"}, false},
		{"bad email", map[string]string{"customerName": "Ana", "email": "ana"}, false},
		{"email with name", map[string]string{"customerName": "Ana", "email": "Ana <ana@example.com>"}, false},
		{"bad option", map[string]string{"customerName": "Ana", "topic": "Sales"}, false},
		{"value 1024", map[string]string{"customerName": strings.Repeat("é", 1024)}, true},
		{"value 1025", map[string]string{"customerName": strings.Repeat("a", 1025)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := e.svc.Start(e.ctx, w.ID, pageOrigin, "10.0.0.1", StartRequest{Attributes: tc.attrs})
			if tc.ok != (err == nil) {
				t.Fatalf("Start: got %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				if faultCode(err) != fault.InvalidParameter {
					t.Fatalf("Start: got %v, want InvalidParameter", err)
				}
				return
			}
			c, err := e.st.GetContact(e.ctx, e.boot.InstanceID, res.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Attributes[AttrWidgetID] != w.ID || c.Attributes["customerName"] != tc.attrs["customerName"] {
				t.Fatalf("attributes: got %v", c.Attributes)
			}
		})
	}
	if _, err := e.svc.Start(e.ctx, w.ID, pageOrigin, "10.0.0.1", StartRequest{DisplayName: strings.Repeat("n", 257), Attributes: map[string]string{"customerName": "A"}}); faultCode(err) != fault.InvalidParameter {
		t.Fatalf("long display name: got %v, want InvalidParameter", err)
	}
}

func TestJWT(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t"
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sign := func(claims map[string]any) string {
		tok, err := SignJWT(claims, secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	enc := base64.RawURLEncoding.EncodeToString
	good := map[string]any{"sub": "c-1", "exp": now.Unix() + 60, "iat": now.Unix(), "name": "Bea", "email": "bea@example.com", "attributes": map[string]string{"plan": "gold"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	valid := sign(good)
	parts := strings.Split(valid, ".")
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", valid, true},
		{"expired within skew", sign(with("exp", now.Unix()-30)), true},
		{"expired", sign(with("exp", now.Unix()-61)), false},
		{"no exp", sign(with("exp", nil)), false},
		{"exp in milliseconds", sign(with("exp", now.UnixMilli()+60000)), false},
		{"iat future", sign(with("iat", now.Unix()+120)), false},
		{"no sub", sign(with("sub", nil)), false},
		{"empty sub", sign(with("sub", "")), false},
		{"sub not string", sign(with("sub", 42)), false},
		{"attributes not strings", sign(with("attributes", map[string]int{"a": 1})), false},
		{"bad signature", sign(good)[:len(valid)-2] + "AA", false},
		{"other secret", func() string { tok, _ := SignJWT(good, "other"); return tok }(), false},
		{"alg none", enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", false},
		{"alg none signed", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + "." + parts[2], false},
		{"alg HS512", enc([]byte(`{"alg":"HS512"}`)) + "." + parts[1] + "." + parts[2], false},
		{"alg RS256", enc([]byte(`{"alg":"RS256"}`)) + "." + parts[1] + "." + parts[2], false},
		{"two parts", parts[0] + "." + parts[1], false},
		{"empty", "", false},
		{"garbage", "a.b.c", false},
		{"huge", strings.Repeat("a", MaxJWTBytes+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := VerifyJWT(tc.token, secret, now)
			if tc.ok != (err == nil) {
				t.Fatalf("VerifyJWT: got %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				var je *JWTError
				if !errors.As(err, &je) || faultCode(err) != fault.AccessDenied {
					t.Fatalf("VerifyJWT: got %T %v, want a *JWTError (AccessDenied)", err, err)
				}
				return
			}
			if c.Subject != "c-1" || c.Name != "Bea" || c.Email != "bea@example.com" || c.Attributes["plan"] != "gold" {
				t.Fatalf("claims: got %+v", c)
			}
		})
	}
}

func TestStartJWT(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.config("members")
	cfg.RequireJWT = true
	cfg.RateLimitPerMinute = MaxRateLimitPerMin
	w := e.create(t, cfg)
	now := e.clock.Now()
	tok, err := SignJWT(map[string]any{"sub": "cust-42", "name": "Bea", "exp": now.Unix() + 300,
		"attributes": map[string]string{"customerName": "from-jwt", "plan": "gold"}}, w.JWTSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Start(e.ctx, w.ID, pageOrigin, "10.0.0.1", StartRequest{Attributes: map[string]string{"customerName": "Ana"}}); !errors.As(err, new(*JWTError)) {
		t.Fatalf("Start without a token: got %v, want a JWTError", err)
	}
	res, err := e.svc.Start(e.ctx, w.ID, pageOrigin, "10.0.0.1", StartRequest{DisplayName: "ignored", JWT: tok,
		Attributes: map[string]string{"customerName": "Ana", "topic": "Tech"}})
	if err != nil {
		t.Fatalf("Start with a token: %v", err)
	}
	if !res.Expiry.After(now.Add(24 * time.Hour)) {
		t.Fatalf("Expiry %v, want the chat duration from now", res.Expiry)
	}
	c, err := e.st.GetContact(e.ctx, e.boot.InstanceID, res.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Attributes
	if c.CustomerID != "cust-42" || a[AttrCustomerID] != "cust-42" || a["customerName"] != "from-jwt" || a["plan"] != "gold" || a["topic"] != "Tech" {
		t.Fatalf("contact: customer %q, attributes %v; want the token's claims to win over the form", c.CustomerID, a)
	}
	ps, err := e.st.ListParticipants(e.ctx, res.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].DisplayName != "Bea" {
		t.Fatalf("participants: got %+v, want the customer named Bea", ps)
	}
}
