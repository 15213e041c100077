package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var idempotencyTests = []test{
	{"PutThenGet", testIdempotentPutGet},
	{"MissingIsNotFound", testIdempotentMissing},
	{"PutExistingIsDuplicate", testIdempotentDuplicate},
	{"DeleteExpired", testIdempotentDeleteExpired},
}

func putIdempotent(t *testing.T, s store.Store, scope, key string, result []byte, expires time.Time) {
	t.Helper()
	write(t, s, func(tx store.Tx) error { return tx.PutIdempotent(scope, key, result, expires) })
}

func testIdempotentPutGet(t *testing.T, s store.Store) {
	cases := []struct {
		name, scope, key string
		result           []byte
	}{
		{"json", "StartChatContact/i1", "token-1", []byte(`{"ContactId":"c1"}`)},
		{"binary", "bin", "k", []byte{0, 1, 2, 0xfe, 0xff}},
		{"same key, other scope", "SendMessage/c1", "token-1", []byte(`{"Id":"m1"}`)},
		{"empty result", "empty", "k", []byte{}},
	}
	for _, tc := range cases {
		putIdempotent(t, s, tc.scope, tc.key, tc.result, t0.Add(time.Hour))
	}
	for _, tc := range cases {
		got, err := s.GetIdempotent(t.Context(), tc.scope, tc.key)
		if err != nil || !bytes.Equal(got, tc.result) {
			t.Errorf("GetIdempotent(%s): got %q, %v; want %q", tc.name, got, err, tc.result)
		}
		write(t, s, func(tx store.Tx) error {
			got, err := tx.GetIdempotent(tc.scope, tc.key)
			if err != nil || !bytes.Equal(got, tc.result) {
				t.Errorf("Tx.GetIdempotent(%s): got %q, %v; want %q", tc.name, got, err, tc.result)
			}
			return nil
		})
	}
}

func testIdempotentMissing(t *testing.T, s store.Store) {
	putIdempotent(t, s, "scope", "key", []byte("r"), t0.Add(time.Hour))
	cases := []struct{ name, scope, key string }{
		{"unknown key", "scope", "other"},
		{"unknown scope", "other", "key"},
	}
	for _, tc := range cases {
		_, err := s.GetIdempotent(t.Context(), tc.scope, tc.key)
		wantErr(t, "GetIdempotent, "+tc.name, err, store.ErrNotFound)
		write(t, s, func(tx store.Tx) error {
			_, err := tx.GetIdempotent(tc.scope, tc.key)
			wantErr(t, "Tx.GetIdempotent, "+tc.name, err, store.ErrNotFound)
			return nil
		})
	}
}

func testIdempotentDuplicate(t *testing.T, s store.Store) {
	putIdempotent(t, s, "scope", "key", []byte("first"), t0.Add(time.Hour))
	err := s.Write(t.Context(), func(tx store.Tx) error {
		return tx.PutIdempotent("scope", "key", []byte("second"), t0.Add(time.Hour))
	})
	wantErr(t, "PutIdempotent of an existing key", err, store.ErrDuplicate)
	got, err := s.GetIdempotent(t.Context(), "scope", "key")
	if err != nil || string(got) != "first" {
		t.Errorf("GetIdempotent after duplicate put: got %q, %v; want \"first\"", got, err)
	}
}

func testIdempotentDeleteExpired(t *testing.T, s store.Store) {
	records := []struct {
		key     string
		expires time.Time
		kept    bool
	}{
		{"long-gone", ms0.Add(-time.Hour), false},
		{"just-gone", ms0.Add(-time.Millisecond), false},
		{"expires-now", ms0, true},
		{"alive", ms0.Add(time.Hour), true},
	}
	for _, r := range records {
		putIdempotent(t, s, "scope", r.key, []byte(r.key), r.expires)
	}
	var n int
	write(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredIdempotent(ms0)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteExpiredIdempotent: got %d deleted, want 2", n)
	}
	for _, r := range records {
		_, err := s.GetIdempotent(t.Context(), "scope", r.key)
		if kept := err == nil; kept != r.kept {
			t.Errorf("record %s kept after DeleteExpiredIdempotent: got %v (%v), want %v", r.key, kept, err, r.kept)
		}
	}
}
