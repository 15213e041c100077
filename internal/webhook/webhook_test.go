package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/webhook"
)

const arn = "arn:aws:lambda:eu-west-1:111122223333:function:orders"

// server starts a test server whose handler first checks the request's
// headers and signature, then calls h with the 1-based attempt number.
func server(t *testing.T, secret string, h func(w http.ResponseWriter, r *http.Request, attempt int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempt := int(n.Add(1))
		body, err := io.ReadAll(r.Body)
		switch {
		case err != nil:
			t.Errorf("reading request body: %v", err)
		case r.Method != http.MethodPost:
			t.Errorf("method = %s, want POST", r.Method)
		case r.Header.Get("Content-Type") != "application/json":
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		case r.Header.Get("User-Agent") != "Parley-Webhook/1":
			t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
		case r.Header.Get("X-Parley-Function") != arn:
			t.Errorf("X-Parley-Function = %q", r.Header.Get("X-Parley-Function"))
		default:
			if err := webhook.Verify(secret, r.Header.Get("X-Parley-Signature"), body, time.Now(), time.Minute); err != nil {
				t.Errorf("server-side Verify: %v", err)
			}
		}
		h(w, r, attempt)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func reply(status int, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// jsonOfSize returns a JSON object exactly n bytes long.
func jsonOfSize(n int) string {
	const frame = `{"k":""}`
	return `{"k":"` + strings.Repeat("x", n-len(frame)) + `"}`
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		responseType string
		timeout      time.Duration
		handler      func(http.ResponseWriter, *http.Request, int)
		want         map[string]any
		wantErr      error
		wantMsg      string // substring of the error message
		wantAttempts int
		wantStatus   int
	}{
		{
			name:    "string map",
			handler: reply(200, `{"name":"Ana","count":12,"price":1.50,"vip":true,"note":null}`),
			want: map[string]any{
				"name": "Ana", "count": "12", "price": "1.50", "vip": "true", "note": "",
			},
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name: "explicit string map", responseType: "STRING_MAP",
			handler:      reply(201, ` {"a":"b"} `),
			want:         map[string]any{"a": "b"},
			wantAttempts: 1, wantStatus: 201,
		},
		{
			name: "json", responseType: "JSON",
			handler: reply(200, `{"order":{"id":"o-1","total":19.90,"lines":[1,2]},"ok":false,"none":null}`),
			want: map[string]any{
				"order": map[string]any{"id": "o-1", "total": json.Number("19.90"), "lines": []any{json.Number("1"), json.Number("2")}},
				"ok":    false, "none": nil,
			},
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name: "429 then 200",
			handler: func(w http.ResponseWriter, r *http.Request, attempt int) {
				if attempt == 1 {
					reply(429, `{"message":"slow down"}`)(w, r, attempt)
					return
				}
				reply(200, `{"a":"b"}`)(w, r, attempt)
			},
			want:         map[string]any{"a": "b"},
			wantAttempts: 2, wantStatus: 200,
		},
		{
			name:         "500 forever",
			handler:      reply(500, `{}`),
			wantErr:      webhook.ErrStatus,
			wantMsg:      `function "orders" answered HTTP 500 after 4 attempts`,
			wantAttempts: 4, wantStatus: 500,
		},
		{
			name:         "404 is not retried",
			handler:      reply(404, `{}`),
			wantErr:      webhook.ErrStatus,
			wantMsg:      `function "orders" answered HTTP 404`,
			wantAttempts: 1, wantStatus: 404,
		},
		{
			name: "redirect not followed",
			handler: func(w http.ResponseWriter, r *http.Request, attempt int) {
				if r.URL.Path == "/elsewhere" {
					t.Error("redirect was followed")
				}
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			wantErr:      webhook.ErrStatus,
			wantMsg:      "HTTP 302 (redirects are not followed)",
			wantAttempts: 1, wantStatus: 302,
		},
		{
			name:         "not json",
			handler:      reply(200, `<html>oops</html>`),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      `function "orders" returned invalid JSON: `,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "trailing data",
			handler:      reply(200, `{"a":"b"} {"c":"d"}`),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      "invalid JSON",
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "empty body",
			handler:      reply(200, ``),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      "empty body",
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "json array",
			handler:      reply(200, `[{"a":"b"}]`),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      "returned a JSON array, not a JSON object",
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name: "json array under JSON type", responseType: "JSON",
			handler:      reply(200, `[1]`),
			wantErr:      webhook.ErrInvalidResponse,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "nested object under string map",
			handler:      reply(200, `{"a":"b","order":{"id":1}}`),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      `returned a JSON object under "order"`,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "array under string map",
			handler:      reply(200, `{"lines":[1]}`),
			wantErr:      webhook.ErrInvalidResponse,
			wantMsg:      `returned a JSON array under "lines"`,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "exactly the size limit",
			handler:      reply(200, jsonOfSize(webhook.MaxResponseBytes)),
			want:         map[string]any{"k": strings.Repeat("x", webhook.MaxResponseBytes-len(`{"k":""}`))},
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "one byte over the size limit",
			handler:      reply(200, jsonOfSize(webhook.MaxResponseBytes+1)),
			wantErr:      webhook.ErrTooLarge,
			wantMsg:      `function "orders" response is larger than 32 KB`,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name:         "far over the size limit",
			handler:      reply(200, jsonOfSize(1<<20)),
			wantErr:      webhook.ErrTooLarge,
			wantAttempts: 1, wantStatus: 200,
		},
		{
			name: "sleeps past the timeout", timeout: time.Second,
			handler: func(w http.ResponseWriter, r *http.Request, _ int) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			wantErr:      webhook.ErrTimeout,
			wantMsg:      `function "orders" timed out after 1s`,
			wantAttempts: 1, wantStatus: 0,
		},
	}
	client := webhook.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret := webhook.NewSecret()
			srv, _ := server(t, secret, tt.handler)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 3 * time.Second
			}
			start := time.Now()
			resp, err := client.Invoke(context.Background(), webhook.Function{ARN: arn, URL: srv.URL + "/hook", Secret: secret},
				[]byte(`{"Details":{"Parameters":{"orderId":"o-1"}}}`), timeout, tt.responseType)
			elapsed := time.Since(start)
			if elapsed > timeout+300*time.Millisecond {
				t.Errorf("Invoke took %s with a %s timeout", elapsed, timeout)
			}
			if resp.Attempts != tt.wantAttempts {
				t.Errorf("Attempts = %d, want %d", resp.Attempts, tt.wantAttempts)
			}
			if resp.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d", resp.Status, tt.wantStatus)
			}
			if resp.Duration <= 0 || resp.Duration > elapsed {
				t.Errorf("Duration = %s, elapsed %s", resp.Duration, elapsed)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if !reflect.DeepEqual(resp.Values, tt.want) {
				t.Errorf("Values = %#v\nwant %#v", resp.Values, tt.want)
			}
		})
	}
}

func TestInvokeUnreachable(t *testing.T) {
	t.Parallel()
	// Take a free port and close it so nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	resp, err := webhook.New().Invoke(context.Background(), webhook.Function{ARN: arn, URL: "http://" + addr + "/hook", Secret: "s"},
		[]byte(`{}`), 2*time.Second, "")
	if !errors.Is(err, webhook.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.HasPrefix(err.Error(), `function "orders" is unreachable: `) || strings.Contains(err.Error(), "/hook") {
		t.Errorf("err = %q", err)
	}
	if resp.Attempts != 1 || resp.Status != 0 {
		t.Errorf("Attempts = %d, Status = %d", resp.Attempts, resp.Status)
	}
}

func TestInvokeCallerCancel(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, "s", func(w http.ResponseWriter, r *http.Request, _ int) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := webhook.New().Invoke(ctx, webhook.Function{ARN: arn, URL: srv.URL, Secret: "s"}, []byte(`{}`), 3*time.Second, "")
	if err == nil || errors.Is(err, webhook.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's context error and not ErrTimeout", err)
	}
}

func TestInvokeBadArguments(t *testing.T) {
	t.Parallel()
	srv, n := server(t, "s", reply(200, `{}`))
	good := webhook.Function{ARN: arn, URL: srv.URL, Secret: "s"}
	tests := []struct {
		name         string
		fn           webhook.Function
		timeout      time.Duration
		responseType string
	}{
		{"response type", good, time.Second, "XML"},
		{"lower-case response type", good, time.Second, "json"},
		{"public http url", webhook.Function{ARN: arn, URL: "http://example.com/hook", Secret: "s"}, time.Second, ""},
		{"no secret", webhook.Function{ARN: arn, URL: srv.URL}, time.Second, ""},
		{"no arn", webhook.Function{URL: srv.URL, Secret: "s"}, time.Second, ""},
		{"arn with newline", webhook.Function{ARN: "a\nb", URL: srv.URL, Secret: "s"}, time.Second, ""},
		{"zero timeout", good, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webhook.New().Invoke(context.Background(), tt.fn, []byte(`{}`), tt.timeout, tt.responseType); err == nil {
				t.Error("Invoke succeeded")
			}
		})
	}
	if got := n.Load(); got != 0 {
		t.Errorf("%d requests were sent", got)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://crm.example.com/connect/orders", true},
		{"https://crm.example.com:8443/hook?v=2", true},
		{"https://203.0.113.7/hook", true},
		{"http://localhost:8080/hook", true},
		{"http://LOCALHOST/hook", true},
		{"http://127.0.0.1:9000/hook", true},
		{"http://127.5.5.5/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://example.com/hook", false},
		{"http://10.0.0.1/hook", false},
		{"http://169.254.169.254/latest/meta-data", false},
		{"http://localhost.example.com/hook", false},
		{"ftp://crm.example.com/hook", false},
		{"https://user:pass@crm.example.com/hook", false},
		{"https://user@crm.example.com/hook", false},
		{"https://crm.example.com/hook#frag", false},
		{"https://crm.example.com/hook#", false},
		{"https:///hook", false},
		{"https://:443/hook", false},
		{"https:crm.example.com", false},
		{"crm.example.com/hook", false},
		{"/hook", false},
		{"", false},
		{"https://crm.example.com/\x7f", false},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	body := []byte(`{"Details":{"ContactData":{"ContactId":"c-1"}}}`)
	now := time.Unix(1_750_000_000, 0)
	good := webhook.Sign(secret, now, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", secret, good, body, now, true},
		{"valid within tolerance", secret, good, body, now.Add(4 * time.Minute), true},
		{"valid with spaces and extra fields", secret, "t=1750000000, v0=abc, " + good[strings.Index(good, "v1="):], body, now, true},
		{"second v1 matches", secret, good[:strings.Index(good, "v1=")] + "v1=" + strings.Repeat("00", 32) + "," + good[strings.Index(good, "v1="):], body, now, true},
		{"tampered body", secret, good, []byte(`{"Details":{"ContactData":{"ContactId":"c-2"}}}`), now, false},
		{"wrong secret", webhook.NewSecret(), good, body, now, false},
		{"stale timestamp", secret, good, body, now.Add(6 * time.Minute), false},
		{"future timestamp", secret, good, body, now.Add(-6 * time.Minute), false},
		{"timestamp changed", secret, strings.Replace(good, "t=1750000000", "t=1750000001", 1), body, now, false},
		{"no timestamp", secret, good[strings.Index(good, "v1="):], body, now, false},
		{"two timestamps", secret, "t=1750000000," + good, body, now, false},
		{"no signature", secret, "t=1750000000", body, now, false},
		{"bad hex", secret, "t=1750000000,v1=zz", body, now, false},
		{"empty header", secret, "", body, now, false},
		{"huge timestamp", secret, "t=9223372036854775807,v1=" + strings.Repeat("00", 32), body, now, false},
		{"empty secret", "", webhook.Sign("", now, body), body, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if (err == nil) != tt.ok {
				t.Errorf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSignFormat(t *testing.T) {
	t.Parallel()
	// Known answer: HMAC-SHA256("secret", "1700000000.{}").
	got := webhook.Sign("secret", time.Unix(1_700_000_000, 0), []byte(`{}`))
	const want = "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+43 {
		t.Errorf("NewSecret = %q, %q", a, b)
	}
}

func TestInvokeRetriesStayWithinBudget(t *testing.T) {
	t.Parallel()
	srv, n := server(t, "s", func(w http.ResponseWriter, r *http.Request, attempt int) {
		time.Sleep(300 * time.Millisecond)
		reply(503, `{}`)(w, r, attempt)
	})
	const timeout = time.Second
	start := time.Now()
	resp, err := webhook.New().Invoke(context.Background(), webhook.Function{ARN: arn, URL: srv.URL, Secret: "s"}, []byte(`{}`), timeout, "")
	elapsed := time.Since(start)
	// Depending on scheduling the budget runs out during the third attempt
	// (a timeout) or just before it (the last status); either way the call
	// ends within the budget and never makes all four attempts.
	if !errors.Is(err, webhook.ErrTimeout) && !errors.Is(err, webhook.ErrStatus) {
		t.Fatalf("err = %v, want ErrTimeout or ErrStatus", err)
	}
	if elapsed > timeout+300*time.Millisecond {
		t.Errorf("Invoke took %s with a %s timeout", elapsed, timeout)
	}
	if resp.Attempts < 2 || resp.Attempts > 3 || int(n.Load()) != resp.Attempts {
		t.Errorf("Attempts = %d, server saw %d", resp.Attempts, n.Load())
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_750_000_000, 0)
	f.Add("whsec_x", "t=1750000000,v1=00", []byte(`{}`), int64(0))
	f.Add("k", webhook.Sign("k", now, []byte("b")), []byte("b"), int64(30))
	f.Add("k", "t=-9223372036854775808,v1=,t=", []byte(""), int64(-1))
	f.Fuzz(func(t *testing.T, secret, header string, body []byte, skew int64) {
		// Arbitrary headers must never panic.
		_ = webhook.Verify(secret, header, body, now, time.Minute)
		if secret == "" {
			return
		}
		// What Sign makes, Verify accepts within tolerance, and only for
		// the same body.
		at := now.Add(time.Duration(skew%60) * time.Second)
		sig := webhook.Sign(secret, at, body)
		if err := webhook.Verify(secret, sig, body, now, time.Minute); err != nil {
			t.Errorf("Verify(Sign) = %v", err)
		}
		if err := webhook.Verify(secret, sig, append(body, 'x'), now, time.Minute); err == nil {
			t.Error("Verify accepted a changed body")
		}
	})
}
