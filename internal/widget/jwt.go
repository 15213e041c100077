package widget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/fault"
)

// JWT limits.
const (
	// MaxJWTBytes bounds a token before it is parsed.
	MaxJWTBytes = 8 << 10
	// JWTClockSkew is how far exp may lie in the past, and iat in the
	// future, for clocks that disagree a little.
	JWTClockSkew = 60 * time.Second
)

// JWTError is the AccessDenied fault of a missing, malformed, expired or
// wrongly signed customer token. It unwraps to the *fault.Error, so code
// that maps faults sees AccessDenied; the public API answers it with 401.
type JWTError struct {
	Fault *fault.Error
}

// Error is the reason the token was refused.
func (e *JWTError) Error() string { return e.Fault.Error() }

// Unwrap returns the fault.
func (e *JWTError) Unwrap() error { return e.Fault }

func jwtError(format string, args ...any) error {
	return &JWTError{Fault: fault.Errorf(fault.AccessDenied, "Invalid customer token: "+format, args...)}
}

// Claims are what a customer token tells about the customer.
type Claims struct {
	Subject    string            // sub: the customer's ID in the company's systems
	Name       string            // name: the display name
	Email      string            // email
	Attributes map[string]string // attributes: extra contact attributes
	Expires    time.Time         // exp
}

// VerifyJWT checks a compact HS256 JWT signed with secret (the key is the
// secret string's bytes) at time now, and returns its claims. Only HS256
// is accepted: "none" and every other algorithm are refused whatever the
// token says.
func VerifyJWT(token, secret string, now time.Time) (Claims, error) {
	if token == "" {
		return Claims{}, jwtError("a token is required")
	}
	if len(token) > MaxJWTBytes {
		return Claims{}, jwtError("the token is longer than %d bytes", MaxJWTBytes)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, jwtError("not a compact JWS (header.payload.signature)")
	}
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return Claims{}, jwtError("the header is not base64url JSON")
	}
	if header.Alg != "HS256" {
		return Claims{}, jwtError("alg must be HS256, got %q", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, jwtError("the signature is not base64url")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return Claims{}, jwtError("bad signature")
	}
	var p struct {
		Sub        *string         `json:"sub"`
		Exp        *float64        `json:"exp"`
		Iat        *float64        `json:"iat"`
		Name       *string         `json:"name"`
		Email      *string         `json:"email"`
		Attributes json.RawMessage `json:"attributes"`
	}
	if err := decodeSegment(parts[1], &p); err != nil {
		return Claims{}, jwtError("the payload is not a JSON object of the expected claim types")
	}
	if p.Exp == nil || math.IsNaN(*p.Exp) || math.IsInf(*p.Exp, 0) {
		return Claims{}, jwtError("exp is required")
	}
	if *p.Exp > 1e11 || *p.Exp < 0 { // beyond year 5000: milliseconds by mistake, or garbage
		return Claims{}, jwtError("exp must be in seconds since 1970")
	}
	exp := numericDate(*p.Exp)
	if !now.Before(exp.Add(JWTClockSkew)) {
		return Claims{}, jwtError("the token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if p.Iat != nil {
		if *p.Iat > 1e11 || *p.Iat < 0 || numericDate(*p.Iat).After(now.Add(JWTClockSkew)) {
			return Claims{}, jwtError("iat is in the future")
		}
	}
	if p.Sub == nil || *p.Sub == "" {
		return Claims{}, jwtError("sub (the customer ID) is required")
	}
	if len(*p.Sub) > 256 {
		return Claims{}, jwtError("sub must be at most 256 characters")
	}
	c := Claims{Subject: *p.Sub, Expires: exp.UTC()}
	if p.Name != nil {
		c.Name = *p.Name
	}
	if p.Email != nil {
		c.Email = *p.Email
	}
	if len(p.Attributes) > 0 && string(p.Attributes) != "null" {
		if err := json.Unmarshal(p.Attributes, &c.Attributes); err != nil {
			return Claims{}, jwtError("attributes must be an object of strings")
		}
	}
	return c, nil
}

// numericDate is a JWT NumericDate (seconds since 1970, maybe fractional).
func numericDate(sec float64) time.Time {
	whole := math.Floor(sec)
	return time.Unix(int64(whole), int64((sec-whole)*1e9))
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("decode segment: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode segment: %w", err)
	}
	return nil
}

// SignJWT returns an HS256 JWT of claims signed with secret: what a
// company's backend does, here for tests and tools.
func SignJWT(claims map[string]any, secret string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	signing := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}
