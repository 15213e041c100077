package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

const (
	testAKID      = "AKPAPARLEYTEST000001"
	testSecret    = "parley/Secret+Key=example0000000000000000"
	testRegion    = "us-west-2"
	testPrincipal = "instance-1"
	testInstance  = "arn:aws:connect:us-west-2:123456789012:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
)

func testLookup(_ context.Context, id string) (Key, error) {
	if id != testAKID {
		return Key{}, ErrUnknownAccessKey
	}
	return Key{Secret: testSecret, Principal: testPrincipal}, nil
}

func testVerifier() *Verifier {
	return &Verifier{Service: "connect", Region: testRegion, Lookup: testLookup}
}

func testSigner() Signer {
	return Signer{
		Credentials: Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		Region:      testRegion,
		Service:     "connect",
	}
}

// clientRequest is a request as a Go client builds it.
type clientRequest struct {
	method  string
	url     string
	body    string
	headers http.Header
}

func (c clientRequest) build(t testing.TB) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", c.method, c.url, err)
	}
	for name, vs := range c.headers {
		for _, v := range vs {
			r.Header.Add(name, v)
		}
	}
	return r
}

// overTheWire writes r as Go's client transport would and parses it back as
// Go's server does, returning the server-side request and its body.
func overTheWire(t testing.TB, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return sr, body
}

// signedOverTheWire signs c with s at testNow and delivers it.
func signedOverTheWire(t testing.TB, s Signer, c clientRequest) (*http.Request, []byte) {
	t.Helper()
	r := c.build(t)
	if err := s.Sign(r, []byte(c.body), testNow); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return overTheWire(t, r)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	withToken := testSigner()
	withToken.Credentials.SessionToken = "FwoGZXIvYXdzEXAMPLE//token+with/slashes=="
	noChecksum := testSigner()
	noChecksum.OmitContentSHA256 = true
	cases := []struct {
		name   string
		signer Signer
		req    clientRequest
	}{
		{"start chat contact JSON body", testSigner(), clientRequest{
			method: "PUT", url: "http://parley.test/contact/chat",
			body:    `{"InstanceId":"i-1","ContactFlowId":"f-1","ParticipantDetails":{"DisplayName":"Zoë"}}`,
			headers: http.Header{"Content-Type": {"application/json"}},
		}},
		{"ARN label with encoded colon and slash", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/contacts/" + url.QueryEscape(testInstance) + "/c-1",
		}},
		{"ARN label with raw colons", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/contacts/" + url.PathEscape(testInstance) + "/c-1",
		}},
		{"path with spaces and unicode", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/files/" + url.PathEscape("hello world") + "/" + url.PathEscape("日本 café") + "/x",
		}},
		{"path with reserved characters", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/a/b%2Bc/%2A(1)/~x_y-z./",
		}},
		{"repeated query keys", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/queues-summary/i-1?queueTypes=STANDARD&queueTypes=AGENT&maxResults=10",
		}},
		{"query needing encoding", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/users-summary/i-1?nextToken=a%2Bb%2Fc%3D%3D&q=hello+world&flag&empty=&%C3%BC=%E6%97%A5",
		}},
		{"header with extra spaces and repeated values", testSigner(), clientRequest{
			method: "POST", url: "http://parley.test/contact/stop", body: `{}`,
			headers: http.Header{
				"Content-Type":  {"application/json"},
				"X-Parley-Note": {"  two   spaces\tand a tab  ", "second value"},
			},
		}},
		{"session token", withToken, clientRequest{
			method: "POST", url: "http://parley.test/contact/create-participant", body: `{"ContactId":"c-1"}`,
		}},
		{"unsigned payload", testSigner(), clientRequest{
			method: "POST", url: "http://parley.test/contact/stop", body: `{"ContactId":"c-1"}`,
			headers: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
		}},
		{"no content sha256 header", noChecksum, clientRequest{
			method: "POST", url: "http://parley.test/contact/stop", body: `{"ContactId":"c-1"}`,
		}},
		{"empty body", testSigner(), clientRequest{
			method: "DELETE", url: "http://parley.test/contact/attributes/i-1/c-1",
		}},
		{"host with port", testSigner(), clientRequest{
			method: "GET", url: "http://127.0.0.1:8443/contacts/i-1/c-1",
		}},
		{"unsignable headers present", testSigner(), clientRequest{
			method: "GET", url: "http://parley.test/contacts/i-1/c-1",
			headers: http.Header{"User-Agent": {"bench/1"}, "X-Amzn-Trace-Id": {"Root=1-abc"}, "Sec-Fetch-Mode": {"cors"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, body := signedOverTheWire(t, tc.signer, tc.req)
			v := testVerifier()
			v.AllowUnsignedPayload = tc.name == "unsigned payload"
			id, err := v.Verify(r, body, testNow.Add(90*time.Second))
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			want := Identity{
				AccessKeyID:  testAKID,
				Principal:    testPrincipal,
				Region:       testRegion,
				SessionToken: tc.signer.Credentials.SessionToken,
				SignedAt:     testNow,
			}
			if id != want {
				t.Errorf("Verify: got %+v, want %+v", id, want)
			}
		})
	}
}

// TestVerifyOverHTTP signs with the Go client and verifies in a real
// net/http server handler, the way Parley's API layer will use the package.
func TestVerifyOverHTTP(t *testing.T) {
	t.Parallel()
	v := testVerifier()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := v.Verify(r, body, testNow); err != nil {
			var e *Error
			if errors.As(err, &e) {
				w.Header().Set("X-Amzn-Errortype", e.Code)
				http.Error(w, e.Message, e.Status)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	cases := []struct {
		name, method, path, body string
	}{
		{"put JSON", "PUT", "/contact/chat", `{"InstanceId":"i-1"}`},
		{"ARN labels", "GET", "/contacts/" + url.QueryEscape(testInstance) + "/c-1", ""},
		{"query", "GET", "/queues-summary/i-1?queueTypes=STANDARD&queueTypes=AGENT&nextToken=a%2Bb", ""},
		{"unicode path", "GET", "/files/" + url.PathEscape("日本 x"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			if err := testSigner().Sign(r, []byte(tc.body), testNow); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d (%s: %s), want 200", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), msg)
			}
		})
	}
}

// TestVerifyDateHeader covers a client that sends the HTTP Date header
// instead of X-Amz-Date, which AWS accepts.
func TestVerifyDateHeader(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "http://parley.test/contacts/i-1/c-1", nil)
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	names := []string{"date", "host"}
	canonical := canonicalRequest("GET", requestTarget(r), requestHeaders(r, names), "date;host", emptySHA256)
	scope := "20250314/us-west-2/connect/aws4_request"
	sig := signature(signingKey(testSecret, "20250314", testRegion, "connect"),
		stringToSign(testNow.Format(amzDateLayout), scope, canonical))
	r.Header.Set("Authorization", Algorithm+" Credential="+testAKID+"/"+scope+", SignedHeaders=date;host, Signature="+sig)
	id, err := testVerifier().Verify(r, nil, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !id.SignedAt.Equal(testNow) {
		t.Errorf("SignedAt: got %v, want %v", id.SignedAt, testNow)
	}
}

// signedBase returns a signed request and body for the error and tamper
// tests: PUT with a query, a body and a custom header.
func signedBase(t *testing.T, s Signer) (*http.Request, []byte) {
	t.Helper()
	return signedOverTheWire(t, s, clientRequest{
		method: "PUT",
		url:    "http://parley.test/contact/attributes/" + url.QueryEscape(testInstance) + "/c-1?a=1&b=two",
		body:   `{"Attributes":{"k":"v"}}`,
		headers: http.Header{
			"Content-Type":  {"application/json"},
			"X-Parley-Note": {"note"},
			"User-Agent":    {"bench/1"},
		},
	})
}

func setAuthz(r *http.Request, f func(string) string) {
	r.Header.Set("Authorization", f(r.Header.Get("Authorization")))
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	other := testSigner()
	other.Service = "execute-api"
	otherRegion := testSigner()
	otherRegion.Region = "eu-west-1"
	lookupErr := errors.New("database is down")

	cases := []struct {
		name     string
		signer   Signer
		mutate   func(r *http.Request) // applied after signing
		verifier func(v *Verifier)
		now      time.Time
		code     string // the *Error expected; empty for success or an internal error
		status   int
		message  string // exact, or a prefix when it ends with "…"
		internal bool   // a non-*Error (internal) error is expected
	}{
		{
			name:   "no authorization header",
			mutate: func(r *http.Request) { r.Header.Del("Authorization") },
			code:   CodeMissingAuthenticationToken, status: 403, message: "Missing Authentication Token",
		},
		{
			name:   "blank authorization header",
			mutate: func(r *http.Request) { r.Header.Set("Authorization", "  ") },
			code:   CodeMissingAuthenticationToken, status: 403, message: "Missing Authentication Token",
		},
		{
			name:   "bearer token instead of SigV4",
			mutate: func(r *http.Request) { r.Header.Set("Authorization", "Bearer eyJhbGciOi") },
			code:   CodeIncompleteSignature, status: 400,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer eyJhbGciOi",
		},
		{
			name: "signature parameter missing",
			mutate: func(r *http.Request) {
				setAuthz(r, func(a string) string { return a[:strings.Index(a, ", Signature=")] })
			},
			code: CodeIncompleteSignature, status: 400,
			message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=…",
		},
		{
			name:   "no request date",
			mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			code:   CodeIncompleteSignature, status: 400,
			message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 …",
		},
		{
			name:   "unparseable request date",
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2025-03-14T09:26:53Z") },
			code:   CodeIncompleteSignature, status: 400,
			message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. …",
		},
		{
			name: "parameter without equal sign",
			mutate: func(r *http.Request) {
				setAuthz(r, func(a string) string { return strings.Replace(a, "Credential=", "Credential= ", 1) })
			},
			code: CodeIncompleteSignature, status: 400,
			message: "'" + testAKID + "/20250314/us-west-2/connect/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= …",
		},
		{
			name: "credential with four elements",
			mutate: func(r *http.Request) {
				setAuthz(r, func(a string) string { return strings.Replace(a, "/aws4_request", "", 1) })
			},
			code: CodeIncompleteSignature, status: 400,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testAKID + "/20250314/us-west-2/connect'",
		},
		{
			name: "wrong terminator",
			mutate: func(r *http.Request) {
				setAuthz(r, func(a string) string { return strings.Replace(a, "/aws4_request", "/aws5_request", 1) })
			},
			code: CodeInvalidSignature, status: 403,
			message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
		},
		{
			name:   "wrong service",
			signer: other,
			code:   CodeInvalidSignature, status: 403,
			message: "Credential should be scoped to correct service: 'connect'. ",
		},
		{
			name:   "wrong region",
			signer: otherRegion,
			code:   CodeInvalidSignature, status: 403,
			message: "Credential should be scoped to a valid region, not 'eu-west-1'. ",
		},
		{
			name:     "any region accepted when Region is empty",
			signer:   otherRegion,
			verifier: func(v *Verifier) { v.Region = "" },
		},
		{
			name:   "scope date is not the request date",
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250315T000001Z") },
			now:    time.Date(2025, 3, 15, 0, 0, 1, 0, time.UTC),
			code:   CodeInvalidSignature, status: 403,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250314' != '20250315', from 'x-amz-date'.",
		},
		{
			name: "expired",
			now:  testNow.Add(5*time.Minute + time.Second),
			code: CodeInvalidSignature, status: 403,
			message: "Signature expired: 20250314T092653Z is now earlier than 20250314T092654Z (20250314T093154Z - 5 min.)",
		},
		{
			name: "exactly at the skew limit in the past",
			now:  testNow.Add(5 * time.Minute),
		},
		{
			name: "not yet current",
			now:  testNow.Add(-5*time.Minute - time.Second),
			code: CodeInvalidSignature, status: 403,
			message: "Signature not yet current: 20250314T092653Z is still later than 20250314T092652Z (20250314T092152Z + 5 min.)",
		},
		{
			name: "exactly at the skew limit in the future",
			now:  testNow.Add(-5 * time.Minute),
		},
		{
			name:     "custom skew",
			now:      testNow.Add(2 * time.Minute),
			verifier: func(v *Verifier) { v.MaxSkew = time.Minute },
			code:     CodeInvalidSignature, status: 403,
			message: "Signature expired: 20250314T092653Z is now earlier than 20250314T092753Z (20250314T092853Z - 1 min.)",
		},
		{
			name: "host not signed",
			mutate: func(r *http.Request) {
				setAuthz(r, func(a string) string { return strings.Replace(a, "host;", "", 1) })
			},
			code: CodeInvalidSignature, status: 403,
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "unknown access key",
			verifier: func(v *Verifier) {
				v.Lookup = func(context.Context, string) (Key, error) { return Key{}, ErrUnknownAccessKey }
			},
			code: CodeUnrecognizedClient, status: 403,
			message: "The security token included in the request is invalid.",
		},
		{
			name: "unknown access key wrapped",
			verifier: func(v *Verifier) {
				v.Lookup = func(context.Context, string) (Key, error) {
					return Key{}, errors.Join(errors.New("store"), ErrUnknownAccessKey)
				}
			},
			code: CodeUnrecognizedClient, status: 403,
			message: "The security token included in the request is invalid.",
		},
		{
			name:     "lookup fails",
			verifier: func(v *Verifier) { v.Lookup = func(context.Context, string) (Key, error) { return Key{}, lookupErr } },
			internal: true,
		},
		{
			name: "wrong secret",
			verifier: func(v *Verifier) {
				v.Lookup = func(context.Context, string) (Key, error) { return Key{Secret: "other"}, nil }
			},
			code: CodeInvalidSignature, status: 403,
			message: msgSignatureMismatch,
		},
		{
			name:   "content sha256 does not match the body",
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", emptySHA256) },
			code:   CodeInvalidSignature, status: 403,
			message: msgSignatureMismatch,
		},
		{
			name:     "verifier without lookup",
			verifier: func(v *Verifier) { v.Lookup = nil },
			internal: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.signer
			if s.Service == "" {
				s = testSigner()
			}
			r, body := signedBase(t, s)
			if tc.mutate != nil {
				tc.mutate(r)
			}
			v := testVerifier()
			if tc.verifier != nil {
				tc.verifier(v)
			}
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			_, err := v.Verify(r, body, now)
			if tc.code == "" && !tc.internal {
				if err != nil {
					t.Fatalf("Verify: got %v, want success", err)
				}
				return
			}
			var e *Error
			if tc.internal {
				if err == nil || errors.As(err, &e) {
					t.Fatalf("Verify: got %v, want an internal (non-*Error) error", err)
				}
				if tc.name == "lookup fails" && !errors.Is(err, lookupErr) {
					t.Errorf("Verify: got %v, want it to wrap %v", err, lookupErr)
				}
				return
			}
			if !errors.As(err, &e) {
				t.Fatalf("Verify: got %v, want *Error %s", err, tc.code)
			}
			if e.Code != tc.code || e.Status != tc.status {
				t.Errorf("Verify: got %s %d, want %s %d (%s)", e.Code, e.Status, tc.code, tc.status, e.Message)
			}
			if prefix, ok := strings.CutSuffix(tc.message, "…"); ok {
				if !strings.HasPrefix(e.Message, prefix) {
					t.Errorf("message:\ngot  %q\nwant prefix %q", e.Message, prefix)
				}
			} else if e.Message != tc.message {
				t.Errorf("message:\ngot  %q\nwant %q", e.Message, tc.message)
			}
		})
	}
}

// TestVerifyTampering changes one part of a signed request at a time: every
// signed part must break the signature, unsigned parts must not.
func TestVerifyTampering(t *testing.T) {
	t.Parallel()
	noChecksum := testSigner()
	noChecksum.OmitContentSHA256 = true
	cases := []struct {
		name   string
		signer Signer
		mutate func(r *http.Request, body []byte) []byte
		wantOK bool
	}{
		{name: "untouched", wantOK: true},
		{name: "body, hash header present", mutate: func(_ *http.Request, _ []byte) []byte { return []byte(`{"Attributes":{"k":"w"}}`) }},
		{name: "body, no hash header", signer: noChecksum, mutate: func(_ *http.Request, _ []byte) []byte { return []byte(`{"Attributes":{"k":"w"}}`) }},
		{name: "body hash header and body", mutate: func(r *http.Request, _ []byte) []byte {
			r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			return nil
		}},
		{name: "method", mutate: func(r *http.Request, b []byte) []byte { r.Method = "POST"; return b }},
		{name: "path", mutate: func(r *http.Request, b []byte) []byte {
			r.RequestURI = strings.Replace(r.RequestURI, "/c-1", "/c-2", 1)
			return b
		}},
		{name: "path encoding", mutate: func(r *http.Request, b []byte) []byte {
			r.RequestURI = strings.Replace(r.RequestURI, "%3A", ":", 1)
			return b
		}},
		{name: "query value", mutate: func(r *http.Request, b []byte) []byte {
			r.RequestURI = strings.Replace(r.RequestURI, "b=two", "b=three", 1)
			return b
		}},
		{name: "query parameter added", mutate: func(r *http.Request, b []byte) []byte { r.RequestURI += "&c=3"; return b }},
		{name: "query order", wantOK: true, mutate: func(r *http.Request, b []byte) []byte {
			r.RequestURI = strings.Replace(r.RequestURI, "a=1&b=two", "b=two&a=1", 1)
			return b
		}},
		{name: "signed header value", mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Parley-Note", "other"); return b }},
		{name: "signed header removed", mutate: func(r *http.Request, b []byte) []byte { r.Header.Del("Content-Type"); return b }},
		{name: "signed header spacing", wantOK: true, mutate: func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Parley-Note", "  note ")
			return b
		}},
		{name: "host", mutate: func(r *http.Request, b []byte) []byte { r.Host = "evil.test"; return b }},
		{name: "date by one second", mutate: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "20250314T092654Z"); return b }},
		{name: "signature digit", mutate: func(r *http.Request, b []byte) []byte {
			setAuthz(r, func(a string) string {
				last := a[len(a)-1]
				repl := byte('0')
				if last == '0' {
					repl = '1'
				}
				return a[:len(a)-1] + string(repl)
			})
			return b
		}},
		{name: "signature upper case", mutate: func(r *http.Request, b []byte) []byte {
			setAuthz(r, func(a string) string {
				i := strings.Index(a, "Signature=") + len("Signature=")
				return a[:i] + strings.ToUpper(a[i:])
			})
			return b
		}},
		{name: "signed headers list reduced", mutate: func(r *http.Request, b []byte) []byte {
			setAuthz(r, func(a string) string { return strings.Replace(a, "content-type;", "", 1) })
			return b
		}},
		{name: "authorization spacing", wantOK: true, mutate: func(r *http.Request, b []byte) []byte {
			setAuthz(r, func(a string) string {
				return strings.NewReplacer(" Credential=", "  \tCredential=", ", ", " ,  ").Replace(a)
			})
			return b
		}},
		{name: "unsigned header", wantOK: true, mutate: func(r *http.Request, b []byte) []byte {
			r.Header.Set("User-Agent", "other")
			r.Header.Set("X-Added-Later", "x")
			return b
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.signer
			if s.Service == "" {
				s = testSigner()
			}
			r, body := signedBase(t, s)
			if tc.mutate != nil {
				body = tc.mutate(r, body)
			}
			_, err := testVerifier().Verify(r, body, testNow)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("Verify: got %v, want success", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidSignature {
				t.Fatalf("Verify: got %v, want %s", err, CodeInvalidSignature)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		signer Signer
		req    *http.Request
	}{
		{"no region", Signer{Service: "connect"}, httptest.NewRequest("GET", "http://h/", nil)},
		{"no service", Signer{Region: "r"}, httptest.NewRequest("GET", "http://h/", nil)},
		{"no host", testSigner(), &http.Request{Method: "GET", URL: &url.URL{Path: "/"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.signer.Sign(tc.req, nil, testNow); err == nil {
				t.Fatal("Sign: got nil error, want one")
			}
		})
	}
}

// TestSignReplacesOldSignature checks that re-signing (a retry) drops the
// previous Authorization and date headers instead of signing them.
func TestSignReplacesOldSignature(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "http://parley.test/contacts/i-1/c-1", nil)
	r.Header.Set("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
	if err := testSigner().Sign(r, nil, testNow.Add(-time.Hour)); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if err := testSigner().Sign(r, nil, testNow); err != nil {
		t.Fatalf("Sign again: %v", err)
	}
	if got := r.Header.Values("Authorization"); len(got) != 1 || strings.Contains(got[0], "authorization") || strings.Contains(got[0], ";date;") {
		t.Errorf("Authorization after re-signing: %q", got)
	}
	if r.Header.Get("Date") != "" {
		t.Errorf("Date header kept: %q", r.Header.Get("Date"))
	}
	if _, err := testVerifier().Verify(r, nil, testNow); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"missing token", errMissingAuthenticationToken(), "sigv4: MissingAuthenticationTokenException: Missing Authentication Token"},
		{"unknown key", errUnrecognizedClient(), "sigv4: UnrecognizedClientException: The security token included in the request is invalid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error(): got %q, want %q", got, tc.want)
			}
		})
	}
}

// By default a body the signature does not cover is refused.
func TestUnsignedPayloadRefusedByDefault(t *testing.T) {
	t.Parallel()
	r, body := signedOverTheWire(t, testSigner(), clientRequest{
		method: "POST", url: "http://parley.test/contact/stop", body: `{"ContactId":"c-1"}`,
		headers: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
	})
	_, err := testVerifier().Verify(r, body, testNow)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidSignature || e.Status != 403 {
		t.Fatalf("Verify(UNSIGNED-PAYLOAD) = %v, want InvalidSignatureException 403", err)
	}
}
