package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NewSecret returns a new random signing secret: "whsec_" followed by 32
// random bytes in unpadded base64url. The whole string is the HMAC key.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Sign returns the X-Parley-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks an X-Parley-Signature header value against body and
// secret. It fails unless the header has exactly one timestamp within
// tolerance of now (either way) and at least one v1 signature that
// matches, compared in constant time. Unknown fields are ignored, so
// several v1 signatures may be sent while a secret is being rotated.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("webhook: empty signing secret")
	}
	if tolerance <= 0 {
		return errors.New("webhook: signature tolerance must be positive")
	}
	var ts string
	var sigs [][]byte
	for field := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if ts != "" {
				return errors.New("webhook: signature header has more than one timestamp")
			}
			if v == "" {
				return errors.New("webhook: signature header has an empty timestamp")
			}
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	if ts == "" {
		return errors.New("webhook: signature header has no timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: signature timestamp %q is not a number", ts)
	}
	if len(sigs) == 0 {
		return errors.New("webhook: signature header has no v1 signature")
	}
	// Work in whole seconds, unsigned, so no timestamp can overflow.
	n := now.Unix()
	var age uint64
	if sec <= n {
		age = uint64(n) - uint64(sec)
	} else {
		age = uint64(sec) - uint64(n)
	}
	if age > maxAgeSeconds || time.Duration(age)*time.Second > tolerance {
		return fmt.Errorf("webhook: signature timestamp is %s away from now, beyond the %s tolerance", ageString(age), tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return errors.New("webhook: signature does not match")
}

// maxAgeSeconds is the largest age in seconds a Duration can hold.
const maxAgeSeconds = uint64(1<<63-1) / uint64(time.Second)

func ageString(age uint64) string {
	if age > maxAgeSeconds {
		return "centuries"
	}
	return (time.Duration(age) * time.Second).String()
}
