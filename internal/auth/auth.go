// Package auth authenticates and authorizes callers of Parley: SigV4-signed
// calls of the Connect API with an instance's access keys, and people.
//
// People are the Directory's: users with argon2id password hashes,
// security profiles (sets of permissions with Connect's names, three of
// them built in) that say what a user may do (Directory.Can), and the
// workspace sessions users open with their username and password
// (Directory.Login, Authenticate, Logout). Participant tokens belong to
// the chat package; routing profiles and agent states to routing.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/auth/sigv4"
	"github.com/parley-chat/parley/internal/store"
)

// SigV4 returns a request authenticator for the Connect API: it verifies
// the signature (scoped to region and the service "connect") with the
// access key's secret from the store and returns the key's instance ID.
// Errors are *awsapi.Error with the names AWS uses.
func SigV4(st store.Store, region string, now func() time.Time) func(r *http.Request, body []byte) (string, error) {
	v := &sigv4.Verifier{
		Service: "connect",
		Region:  region,
		Lookup: func(ctx context.Context, id string) (sigv4.Key, error) {
			k, err := st.GetAccessKey(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return sigv4.Key{}, fmt.Errorf("%w: %s", sigv4.ErrUnknownAccessKey, id)
			} else if err != nil {
				return sigv4.Key{}, err
			}
			return sigv4.Key{Secret: k.Secret, Principal: k.InstanceID}, nil
		},
	}
	return func(r *http.Request, body []byte) (string, error) {
		id, err := v.Verify(r, body, now())
		var se *sigv4.Error
		if errors.As(err, &se) {
			return "", &awsapi.Error{Name: se.Code, Status: se.Status, Message: se.Message}
		}
		if err != nil {
			return "", fmt.Errorf("verify signature: %w", err)
		}
		return id.Principal, nil
	}
}

// argon2id parameters (RFC 9106's second recommended option, with a
// smaller memory cost suited to a chat server's login rate).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an argon2id PHC string for password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a HashPassword string.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// RandomString returns n uniformly random characters from alphabet (at
// most 256 characters long).
func RandomString(n int, alphabet string) string {
	// Reject bytes past the largest multiple of len(alphabet) so every
	// character is equally likely.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err))
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
