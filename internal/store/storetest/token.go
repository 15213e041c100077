package storetest

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var tokenTests = []test{
	{"LookupByHash", testTokenLookup},
	{"LookupReturnsExpired", testTokenLookupExpired},
	{"DeleteTokensOfParticipant", testTokenDeleteTokens},
	{"DeleteExpiredTokens", testTokenDeleteExpired},
	{"DuplicateHash", testTokenDuplicate},
}

func newToken(value, kind, participantID string, expires time.Time) store.Token {
	return store.Token{
		Hash:          hash(value),
		Kind:          kind,
		InstanceID:    "i1",
		ContactID:     "c1",
		ParticipantID: participantID,
		ExpiresAt:     expires,
		CreatedAt:     t0,
	}
}

func insertTokens(t *testing.T, s store.Store, tokens ...store.Token) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for _, tk := range tokens {
			if err := tx.InsertToken(tk); err != nil {
				return err
			}
		}
		return nil
	})
}

// tokenExists reports whether the token of value can be looked up.
func tokenExists(t *testing.T, s store.Store, value string) bool {
	t.Helper()
	_, err := s.LookupToken(t.Context(), hash(value))
	if err != nil && !isNotFound(err) {
		t.Fatalf("LookupToken(%s): %v", value, err)
	}
	return err == nil
}

func testTokenLookup(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	tokens := []store.Token{
		newToken("participant-secret", store.TokenParticipant, "p1", t0.Add(24*time.Hour)),
		newToken("connection-secret", store.TokenConnection, "p1", t0.Add(time.Hour)),
		newToken("websocket-secret", store.TokenWebsocket, "p2", t0.Add(time.Minute)),
	}
	insertTokens(t, s, tokens...)
	for _, want := range tokens {
		got, err := s.LookupToken(t.Context(), want.Hash)
		if err != nil {
			t.Fatalf("LookupToken(%s): %v", want.Kind, err)
		}
		same(t, "token "+want.Kind, got, want)
	}
	_, err := s.LookupToken(t.Context(), hash("unknown"))
	wantErr(t, "LookupToken of an unknown hash", err, store.ErrNotFound)
	_, err = s.LookupToken(t.Context(), hash("participant-secret")[:16])
	wantErr(t, "LookupToken of a hash prefix", err, store.ErrNotFound)
}

func testTokenLookupExpired(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	want := newToken("old", store.TokenConnection, "p1", t0.Add(-time.Hour))
	insertTokens(t, s, want)
	got, err := s.LookupToken(t.Context(), want.Hash)
	if err != nil {
		t.Fatalf("LookupToken of an expired token: %v (callers check expiry themselves)", err)
	}
	same(t, "expired token", got, want)
}

func testTokenDeleteTokens(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	insertTokens(t, s,
		newToken("p1-participant", store.TokenParticipant, "p1", t0.Add(time.Hour)),
		newToken("p1-connection", store.TokenConnection, "p1", t0.Add(time.Hour)),
		newToken("p2-participant", store.TokenParticipant, "p2", t0.Add(time.Hour)),
	)
	write(t, s, func(tx store.Tx) error { return tx.DeleteTokens("p1") })
	write(t, s, func(tx store.Tx) error { return tx.DeleteTokens("nobody") })

	cases := []struct {
		value string
		want  bool
	}{
		{"p1-participant", false},
		{"p1-connection", false},
		{"p2-participant", true},
	}
	for _, tc := range cases {
		if got := tokenExists(t, s, tc.value); got != tc.want {
			t.Errorf("token %s exists after DeleteTokens(p1): got %v, want %v", tc.value, got, tc.want)
		}
	}
}

func testTokenDeleteExpired(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	insertTokens(t, s,
		newToken("long-gone", store.TokenConnection, "p1", ms0.Add(-time.Hour)),
		newToken("just-gone", store.TokenConnection, "p1", ms0.Add(-time.Millisecond)),
		newToken("expires-now", store.TokenConnection, "p1", ms0),
		newToken("alive", store.TokenParticipant, "p1", ms0.Add(time.Hour)),
	)
	var n int
	write(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredTokens(ms0)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteExpiredTokens: got %d deleted, want 2", n)
	}
	cases := []struct {
		value string
		want  bool
	}{
		{"long-gone", false},
		{"just-gone", false},
		{"expires-now", true}, // expired before t means strictly before
		{"alive", true},
	}
	for _, tc := range cases {
		if got := tokenExists(t, s, tc.value); got != tc.want {
			t.Errorf("token %s exists after DeleteExpiredTokens: got %v, want %v", tc.value, got, tc.want)
		}
	}
}

func testTokenDuplicate(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	insertTokens(t, s, newToken("secret", store.TokenParticipant, "p1", t0.Add(time.Hour)))
	err := s.Write(t.Context(), func(tx store.Tx) error {
		return tx.InsertToken(newToken("secret", store.TokenConnection, "p2", t0.Add(time.Hour)))
	})
	wantErr(t, "InsertToken of an existing hash", err, store.ErrDuplicate)
	got, err := s.LookupToken(t.Context(), hash("secret"))
	if err != nil || got.ParticipantID != "p1" {
		t.Errorf("LookupToken after duplicate insert: got participant %q, %v; want p1", got.ParticipantID, err)
	}
}
