package sigv4

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxSkew is how far a request's time may be from the server clock
// when Verifier.MaxSkew is zero: AWS's 5 minutes.
const DefaultMaxSkew = 5 * time.Minute

// Key is what a Verifier's Lookup returns for an access key ID.
type Key struct {
	// Secret is the secret access key.
	Secret string
	// Principal is opaque to this package and handed back in
	// Identity.Principal, e.g. the ID of the instance the key belongs to,
	// so the caller needs no second lookup.
	Principal string
}

// Verifier authenticates SigV4-signed requests. Its fields are read-only
// once it is in use; one Verifier may serve many goroutines.
type Verifier struct {
	// Service is the signing name the credential scope must carry
	// ("connect" for the Connect API). Required.
	Service string
	// Region, if not empty, is the only region the credential scope may
	// carry. Empty accepts any region: a self-hosted Parley answers
	// whatever region its clients were configured with.
	Region string
	// MaxSkew is how far the request time may be from now, either way.
	// Zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// AllowUnsignedPayload accepts X-Amz-Content-Sha256: UNSIGNED-PAYLOAD,
	// a body the signature does not cover. Off by default: the Connect
	// SDKs always sign the payload, and a captured request's body could
	// otherwise be swapped within the skew window.
	AllowUnsignedPayload bool
	// Lookup returns the key for an access key ID, or an error wrapping
	// ErrUnknownAccessKey if there is none. It is called only for requests
	// whose header, scope and time are valid. Required.
	Lookup func(ctx context.Context, accessKeyID string) (Key, error)
}

// Identity is who signed a verified request.
type Identity struct {
	AccessKeyID string
	// Principal is Key.Principal as Lookup returned it.
	Principal string
	// Region is the region of the credential scope.
	Region string
	// SessionToken is the X-Amz-Security-Token header, if any. It is
	// covered by the signature when the client listed it in SignedHeaders
	// (the SDKs always do); Parley issues no session tokens, so callers may
	// reject requests that carry one.
	SessionToken string
	// SignedAt is the request time the signature covers.
	SignedAt time.Time
}

// Verify authenticates r, whose body the caller has already read into body
// (nil for none), against the clock reading now. On success it returns the
// signer's identity. Authentication failures are *Error values carrying the
// AWS exception name and HTTP status; a failing Lookup (other than
// ErrUnknownAccessKey) is returned wrapped and should be answered as an
// internal error.
//
// The checks run cheapest first, so a malformed, misdirected, stale or
// replayed-elsewhere request never reaches Lookup: header syntax, request
// date, credential scope (terminator, service, region, day), clock skew,
// host signed, then key lookup, payload hash and signature.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) (Identity, error) {
	if v.Service == "" || v.Lookup == nil {
		return Identity{}, errors.New("sigv4: Verifier needs a Service and a Lookup")
	}
	authz := r.Header.Get("Authorization")
	if strings.TrimSpace(authz) == "" {
		return Identity{}, errMissingAuthenticationToken()
	}
	a, missing, perr := parseAuthorization(authz)
	if perr != nil {
		return Identity{}, perr
	}
	amzDate, signedAt, dateHeader, haveDate := requestTime(r.Header)
	if len(missing) > 0 || !haveDate {
		return Identity{}, errMissingParts(missing, !haveDate, authz)
	}

	cred, err := ParseCredential(a.Credential)
	if err != nil {
		return Identity{}, err
	}
	if cred.Terminator != terminator {
		return Identity{}, errTerminator(cred.Terminator)
	}
	if cred.Service != v.Service {
		return Identity{}, errService(v.Service)
	}
	if v.Region != "" && cred.Region != v.Region {
		return Identity{}, errRegion(cred.Region)
	}
	if day := signedAt.Format(scopeDateLayout); cred.Date != day {
		return Identity{}, errScopeDate(cred.Date, day, dateHeader)
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	now = now.UTC()
	switch {
	case signedAt.Before(now.Add(-skew)):
		return Identity{}, errExpired(signedAt, now, skew)
	case signedAt.After(now.Add(skew)):
		return Identity{}, errNotYetCurrent(signedAt, now, skew)
	}
	hostSigned := false
	for _, name := range a.SignedHeaders {
		if name == "host" || name == ":authority" {
			hostSigned = true
			break
		}
	}
	if !hostSigned {
		return Identity{}, errInvalidSignature(msgHostNotSigned)
	}

	key, err := v.Lookup(r.Context(), cred.AccessKeyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return Identity{}, errUnrecognizedClient()
	}
	if err != nil {
		return Identity{}, fmt.Errorf("sigv4: look up access key: %w", err)
	}

	bodyHash := payloadSHA256(body)
	payloadHash := bodyHash
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		// The client signed with the hash it declared; it must be the
		// body's, unless the client opted out of payload signing.
		if declared == unsignedPayload && !v.AllowUnsignedPayload {
			return Identity{}, errInvalidSignature("UNSIGNED-PAYLOAD is not accepted: sign the request body.")
		}
		if declared != unsignedPayload && !strings.EqualFold(declared, bodyHash) {
			return Identity{}, errSignatureMismatch()
		}
		payloadHash = declared
	}

	canonical := canonicalRequest(r.Method, requestTarget(r), requestHeaders(r, a.SignedHeaders),
		strings.Join(a.SignedHeaders, ";"), payloadHash)
	want := signature(signingKey(key.Secret, cred.Date, cred.Region, cred.Service),
		stringToSign(amzDate, cred.Scope(), canonical))
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.Signature)) != 1 {
		return Identity{}, errSignatureMismatch()
	}
	return Identity{
		AccessKeyID:  cred.AccessKeyID,
		Principal:    key.Principal,
		Region:       cred.Region,
		SessionToken: r.Header.Get("X-Amz-Security-Token"),
		SignedAt:     signedAt,
	}, nil
}

// requestTime finds the request time as AWS does: X-Amz-Date
// (yyyymmddThhmmssZ) first, else the HTTP Date header. amzDate is the time
// in the string-to-sign form; header names the header it came from. A value
// that does not parse counts as absent.
func requestTime(h http.Header) (amzDate string, t time.Time, header string, ok bool) {
	if v := h.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateLayout, v)
		if err != nil || len(v) != len(amzDateLayout) {
			return "", time.Time{}, "", false
		}
		return v, t, "x-amz-date", true
	}
	if v := h.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return "", time.Time{}, "", false
		}
		t = t.UTC()
		return t.Format(amzDateLayout), t, "date", true
	}
	return "", time.Time{}, "", false
}

// requestTarget is the path and query exactly as the client sent them.
// Servers set RequestURI; requests built in-process fall back to r.URL.
func requestTarget(r *http.Request) string {
	target := r.RequestURI
	if target == "" {
		if r.URL == nil {
			return "/"
		}
		return r.URL.RequestURI()
	}
	// An absolute-form target (via a proxy) carries scheme and authority.
	if !strings.HasPrefix(target, "/") {
		if i := strings.Index(target, "://"); i >= 0 {
			rest := target[i+3:]
			if j := strings.IndexAny(rest, "/?"); j >= 0 {
				target = rest[j:]
			} else {
				target = "/"
			}
		}
	}
	return target
}

// requestHeaders returns the canonical signed headers of r in the order of
// names. Go moves Host out of r.Header into r.Host; a signed header the
// request lacks canonicalises with an empty value, so its signature fails.
func requestHeaders(r *http.Request, names []string) []header {
	hs := make([]header, len(names))
	for i, name := range names {
		var value string
		switch name {
		case "host", ":authority":
			value = r.Host
			if value == "" && r.URL != nil {
				value = r.URL.Host
			}
		default:
			value = normalizeHeaderValues(r.Header.Values(name))
		}
		hs[i] = header{name: name, value: value}
	}
	return hs
}
