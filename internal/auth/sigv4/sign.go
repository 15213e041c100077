package sigv4

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Credentials are the keys a Signer signs with. SessionToken is set only for
// temporary credentials; it is sent, and signed, as X-Amz-Security-Token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Signer signs outgoing requests the way the AWS JS SDK v3
// (@smithy/signature-v4) does for a non-S3 service, so a Parley test or
// benchmark client sends byte-for-byte what the official SDK would sign.
type Signer struct {
	Credentials Credentials
	Region      string
	Service     string
	// OmitContentSHA256 stops Sign from adding an X-Amz-Content-Sha256
	// header. The SDK adds it by default and so does Sign.
	OmitContentSHA256 bool
}

// unsignableHeaders are never signed, even when present: they are hop-by-hop
// or rewritten in transit. Same list as the JS signer.
var unsignableHeaders = map[string]bool{
	"authorization":     true,
	"cache-control":     true,
	"connection":        true,
	"expect":            true,
	"from":              true,
	"keep-alive":        true,
	"max-forwards":      true,
	"pragma":            true,
	"referer":           true,
	"te":                true,
	"trailer":           true,
	"transfer-encoding": true,
	"upgrade":           true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
}

func signable(name string) bool {
	return !unsignableHeaders[name] && !strings.HasPrefix(name, "proxy-") && !strings.HasPrefix(name, "sec-")
}

// Sign signs r, whose body is body (nil for none; Sign does not read
// r.Body, so set it to the same bytes), at time now. Like the SDK it drops
// any Authorization, X-Amz-Date and Date headers, sets X-Amz-Date, the
// session token if any, X-Amz-Content-Sha256 (unless the caller set one or
// OmitContentSHA256 is true) and Authorization, and signs Host and every
// other header on r except the unsignable ones (User-Agent, Connection,
// Expect, ...). Set all headers before signing: any header changed later
// invalidates the signature.
func (s Signer) Sign(r *http.Request, body []byte, now time.Time) error {
	if s.Region == "" || s.Service == "" {
		return errors.New("sigv4: Signer needs a Region and a Service")
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	if host == "" || r.URL == nil {
		return errors.New("sigv4: request has no host")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	for name := range r.Header {
		switch strings.ToLower(name) {
		case "authorization", "x-amz-date", "date":
			delete(r.Header, name)
		}
	}

	t := now.UTC()
	amzDate := t.Format(amzDateLayout)
	r.Header.Set("X-Amz-Date", amzDate)
	if s.Credentials.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", s.Credentials.SessionToken)
	}
	payloadHash, declared := headerValue(r.Header, "x-amz-content-sha256")
	if !declared {
		payloadHash = payloadSHA256(body)
		if !s.OmitContentSHA256 {
			r.Header.Set("X-Amz-Content-Sha256", payloadHash)
		}
	}

	values := map[string][]string{"host": {host}}
	for name, vs := range r.Header {
		lower := strings.ToLower(name)
		if lower == "host" || !signable(lower) {
			continue
		}
		values[lower] = append(values[lower], vs...)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	hs := make([]header, len(names))
	for i, name := range names {
		hs[i] = header{name: name, value: normalizeHeaderValues(values[name])}
	}
	signedHeaders := strings.Join(names, ";")

	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	date := t.Format(scopeDateLayout)
	scope := date + "/" + s.Region + "/" + s.Service + "/" + terminator
	canonical := canonicalRequest(method, r.URL.RequestURI(), hs, signedHeaders, payloadHash)
	sig := signature(signingKey(s.Credentials.SecretAccessKey, date, s.Region, s.Service),
		stringToSign(amzDate, scope, canonical))
	r.Header.Set("Authorization", Algorithm+" Credential="+s.Credentials.AccessKeyID+"/"+scope+
		", SignedHeaders="+signedHeaders+", Signature="+sig)
	return nil
}

// headerValue finds a header by case-insensitive name, also among keys set
// on the map directly rather than through Header.Set.
func headerValue(h http.Header, lowerName string) (string, bool) {
	for name, vs := range h {
		if len(vs) > 0 && strings.ToLower(name) == lowerName {
			return vs[0], true
		}
	}
	return "", false
}
