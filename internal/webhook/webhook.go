// Package webhook calls a company's HTTP endpoint in place of an AWS Lambda
// function, for the flow action InvokeLambdaFunction.
//
// A call is one signed JSON POST, made synchronously within the caller's
// time budget (the action's InvocationTimeLimitSeconds). Throttling (429) and
// server errors (5xx) are retried a few times with short backoff, always
// inside that same budget. The answer must be a 2xx JSON object no larger
// than [MaxResponseBytes]; it is decoded as a STRING_MAP (flat object of
// scalars, every value turned into a string) or as JSON (any object).
//
// Every request is signed with the function's secret so the company's
// backend can check that it came from us: see [Sign] and [Verify]. Every
// failure is returned as an error whose message is fit for a flow log and
// which matches one of the sentinel errors with [errors.Is].
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Response types accepted by [Client.Invoke]; an empty type means
// [StringMap].
const (
	// StringMap asks for a flat JSON object whose values are strings,
	// numbers, booleans or null; every value is returned as a string.
	StringMap = "STRING_MAP"
	// JSON asks for any JSON object, nested values allowed.
	JSON = "JSON"
)

// MaxResponseBytes is the largest response body accepted (32 KB); one more
// byte is an [ErrTooLarge] error.
const MaxResponseBytes = 32 << 10

// MaxAttempts is how many times a call is tried at most: the first attempt
// and up to three retries after a 429 or 5xx answer.
const MaxAttempts = 4

// Header names set on every request.
const (
	// SignatureHeader carries the request signature made by [Sign].
	SignatureHeader = "X-Parley-Signature"
	// FunctionHeader carries the invoked function's ARN or name.
	FunctionHeader = "X-Parley-Function"
	// UserAgent is the User-Agent of every request.
	UserAgent = "Parley-Webhook/1"
)

// Kinds of invocation failure. Errors returned by [Client.Invoke] match one
// of these with [errors.Is], except for a bad argument or a cancelled
// caller context.
var (
	// ErrTimeout means the call did not finish within its time budget.
	ErrTimeout = errors.New("webhook: timed out")
	// ErrStatus means the endpoint answered a status other than 2xx
	// (redirects included, as they are not followed).
	ErrStatus = errors.New("webhook: unexpected HTTP status")
	// ErrInvalidResponse means the answer was not a JSON object of the
	// requested response type.
	ErrInvalidResponse = errors.New("webhook: invalid response")
	// ErrTooLarge means the answer was larger than MaxResponseBytes.
	ErrTooLarge = errors.New("webhook: response too large")
	// ErrUnreachable means no answer could be had from the endpoint: a
	// refused connection, a failed name lookup, a TLS failure.
	ErrUnreachable = errors.New("webhook: unreachable")
)

// Function is an endpoint an instance registered for flows to invoke.
type Function struct {
	// ARN is the function's ARN or name as flows refer to it; it is sent
	// in the X-Parley-Function header and names the function in errors.
	ARN string
	// URL is the endpoint; it must pass [CheckURL].
	URL string
	// Secret is the signing secret, as made by [NewSecret].
	Secret string
}

// Response is a function's decoded answer.
type Response struct {
	// Values is the decoded JSON object. For STRING_MAP every value is a
	// string; for JSON values are as decoded by encoding/json, with
	// numbers as json.Number so they keep their text.
	Values map[string]any
	// Attempts is how many requests were sent.
	Attempts int
	// Status is the HTTP status of the last answer, 0 if none came.
	Status int
	// Duration is the time the whole call took, retries included.
	Duration time.Duration
}

// Client invokes functions. It is safe for concurrent use.
type Client struct {
	hc *http.Client
}

// New returns a Client with its own HTTP client and connection pool. It
// does not follow redirects.
func New() *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &Client{hc: &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// invokeError is an invocation failure: a plain message for the flow log,
// the kind (one of the sentinel errors) and the underlying cause, if any.
type invokeError struct {
	msg   string
	kind  error
	cause error
}

func (e *invokeError) Error() string { return e.msg }

func (e *invokeError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// errBudget is the cause of the call context ending when the time budget
// is spent, to tell it from the caller's own context ending.
var errBudget = errors.New("webhook: time budget spent")

// Invoke POSTs body to fn.URL, signed with fn.Secret, and decodes the
// answer as responseType ("", "STRING_MAP" or "JSON"). The whole call,
// retries and backoff included, takes at most timeout. On error the
// Response still reports Attempts, Status and Duration.
func (c *Client) Invoke(ctx context.Context, fn Function, body []byte, timeout time.Duration, responseType string) (Response, error) {
	start := time.Now()
	var resp Response
	name := functionName(fn.ARN)
	if responseType == "" {
		responseType = StringMap
	}
	switch {
	case responseType != StringMap && responseType != JSON:
		return resp, fmt.Errorf("function %q: response type %q is not STRING_MAP or JSON", name, responseType)
	case fn.ARN == "" || strings.ContainsFunc(fn.ARN, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return resp, fmt.Errorf("function %q: invalid function ARN", name)
	case fn.Secret == "":
		return resp, fmt.Errorf("function %q has no signing secret", name)
	case timeout <= 0:
		return resp, fmt.Errorf("function %q: timeout %s is not positive", name, timeout)
	}
	if err := CheckURL(fn.URL); err != nil {
		return resp, fmt.Errorf("function %q: %w", name, err)
	}

	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errBudget)
	defer cancel()
	// fail turns an error seen while the call context may be ending into
	// the right kind of failure.
	fail := func(err error) error {
		if ctx.Err() != nil {
			if context.Cause(ctx) == errBudget {
				return &invokeError{msg: fmt.Sprintf("function %q timed out after %s", name, timeout), kind: ErrTimeout}
			}
			return fmt.Errorf("function %q call abandoned: %w", name, context.Cause(ctx))
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the "Post <url>:" prefix; the URL may hold a token
		}
		return &invokeError{msg: fmt.Sprintf("function %q is unreachable: %v", name, err), kind: ErrUnreachable, cause: err}
	}

	for {
		resp.Attempts++
		hr, err := c.send(ctx, fn, body)
		if err != nil {
			resp.Duration = time.Since(start)
			return resp, fail(err)
		}
		resp.Status = hr.StatusCode
		if hr.StatusCode >= 200 && hr.StatusCode <= 299 {
			data, err := io.ReadAll(io.LimitReader(hr.Body, MaxResponseBytes+1))
			hr.Body.Close()
			resp.Duration = time.Since(start)
			if err != nil {
				return resp, fail(err)
			}
			if len(data) > MaxResponseBytes {
				return resp, &invokeError{msg: fmt.Sprintf("function %q response is larger than 32 KB", name), kind: ErrTooLarge}
			}
			values, err := decode(data, responseType)
			if err != nil {
				return resp, &invokeError{msg: fmt.Sprintf("function %q %v", name, err), kind: ErrInvalidResponse, cause: err}
			}
			resp.Values = values
			return resp, nil
		}
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(hr.Body, 4<<10))
		hr.Body.Close()

		retryable := hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode >= 500
		if retryable && resp.Attempts < MaxAttempts && c.wait(ctx, backoff(resp.Attempts)) {
			continue
		}
		resp.Duration = time.Since(start)
		if ctx.Err() != nil && context.Cause(ctx) != errBudget {
			return resp, fail(ctx.Err())
		}
		return resp, statusError(name, hr.StatusCode, resp.Attempts)
	}
}

// send makes one signed request.
func (c *Client) send(ctx context.Context, fn Function, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fn.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(FunctionHeader, fn.ARN)
	req.Header.Set(SignatureHeader, Sign(fn.Secret, time.Now(), body))
	return c.hc.Do(req)
}

// wait sleeps for d unless that would end past the call's deadline or the
// context ends first; it reports whether it slept the whole d.
func (c *Client) wait(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff is the pause after the given failed attempt: 50 ms, 100 ms,
// 200 ms, each with up to 25% jitter.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << (attempt - 1)
	return d + rand.N(d/4+1)
}

func statusError(name string, status, attempts int) error {
	msg := fmt.Sprintf("function %q answered HTTP %d", name, status)
	if status >= 300 && status <= 399 {
		msg += " (redirects are not followed)"
	}
	if attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", attempts)
	}
	return &invokeError{msg: msg, kind: ErrStatus}
}

// functionName is the short name of a function for messages: the part of a
// Lambda ARN after ":function:", or the ARN as given.
func functionName(arn string) string {
	if i := strings.LastIndex(arn, ":function:"); i >= 0 && i+len(":function:") < len(arn) {
		return arn[i+len(":function:"):]
	}
	return arn
}

// decode decodes a response body as responseType. Its errors complete a
// sentence that starts with the function's name.
func decode(data []byte, responseType string) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("returned an empty body, not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("returned invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("returned invalid JSON: data after the top-level value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("returned %s, not a JSON object", jsonKind(v))
	}
	if responseType == JSON {
		return obj, nil
	}
	for k, val := range obj {
		switch x := val.(type) {
		case string:
		case json.Number:
			obj[k] = x.String()
		case bool:
			obj[k] = strconv.FormatBool(x)
		case nil:
			obj[k] = ""
		default:
			return nil, fmt.Errorf("returned %s under %q; STRING_MAP allows only strings, numbers, booleans and null", jsonKind(val), k)
		}
	}
	return obj, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a JSON object"
	case []any:
		return "a JSON array"
	case string:
		return "a JSON string"
	case json.Number:
		return "a JSON number"
	case bool:
		return "a JSON boolean"
	case nil:
		return "JSON null"
	}
	return "an unknown JSON value"
}
