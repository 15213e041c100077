package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// defaultTestURL is where a developer's local PostgreSQL usually listens.
const defaultTestURL = "postgres://127.0.0.1:5432/test?sslmode=disable"

func testURL() string {
	if u := os.Getenv("PARLEY_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestURL
}

// admin is one small pool shared by all tests to create and drop schemas,
// so that setup does not cost a connection per test.
var admin = sync.OnceValues(func() (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(testURL())
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if pool, err := admin(); err == nil {
		pool.Close()
	}
	os.Exit(code)
}

// adminPool returns the shared pool, or ends the test if PostgreSQL is not
// reachable: a skip on a developer's machine, a failure in CI, where a
// silent skip would hide that the driver was never tested.
func adminPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := admin()
	if err == nil {
		return pool
	}
	msg := fmt.Sprintf("PostgreSQL not reachable at PARLEY_TEST_POSTGRES (or the default %s): %v", defaultTestURL, err)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg + "; skipping (set CI=true to make this a failure)")
	return nil
}

// newSchema creates an empty schema, drops it when the test ends, and
// returns a connection URL whose search_path points at it.
func newSchema(tb testing.TB) string {
	tb.Helper()
	pool := adminPool(tb)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "parley_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParam(tb, testURL(), "search_path", schema)
}

// withParam sets a connection parameter in a URL or keyword/value
// connection string.
func withParam(tb testing.TB, base, key, value string) string {
	tb.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " " + key + "=" + value
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse PARLEY_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// openURL opens a store and closes it when the test ends. The cleanup is
// registered after newSchema's, so it runs before the schema is dropped.
func openURL(tb testing.TB, u string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// openTest opens a store in a fresh schema of its own.
func openTest(t *testing.T) store.Store {
	t.Helper()
	return openURL(t, newSchema(t))
}

// TestConformance runs the shared store suite, each subtest in a schema of
// its own.
func TestConformance(t *testing.T) {
	storetest.Run(t, openTest)
}

// fixture is one instance with one contact.
type fixture struct {
	instanceID string
	contactID  string
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

func newInstance(tb testing.TB, s store.Store, id string) {
	tb.Helper()
	err := s.Write(context.Background(), func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance: store.Instance{ID: id, Alias: "alias-" + id, Region: "eu-west-1", CreatedAt: epoch},
			Resources: []store.Resource{{Kind: store.KindUser, ID: "u-" + id, Name: "admin",
				Body: []byte(`{"Username":"admin"}`), CreatedAt: epoch, UpdatedAt: epoch}},
			AccessKey: store.AccessKey{ID: "AK-" + id, InstanceID: id, Secret: "s", CreatedAt: epoch},
			Flows: []store.ContactFlow{{ID: "f-" + id, InstanceID: id, Name: "inbound",
				Type: "CONTACT_FLOW", Status: store.FlowPublished, State: store.FlowActive, Version: 1,
				Content: `{"Version":"2019-10-30"}`, CreatedAt: epoch, UpdatedAt: epoch}},
		})
	})
	if err != nil {
		tb.Fatalf("CreateInstance %s: %v", id, err)
	}
}

func newContact(tb testing.TB, s store.Store, instanceID, id string) {
	tb.Helper()
	err := s.Write(context.Background(), func(tx store.Tx) error {
		return tx.InsertContact(store.Contact{
			ID: id, InstanceID: instanceID, InitialContactID: id, Channel: "CHAT",
			State: store.ContactActive, Attributes: map[string]string{"k": "v"},
			ChatDuration: 25 * time.Hour, InitiatedAt: epoch, LastUpdatedAt: epoch,
		})
	})
	if err != nil {
		tb.Fatalf("InsertContact %s: %v", id, err)
	}
}

func newFixture(tb testing.TB, s store.Store) fixture {
	tb.Helper()
	newInstance(tb, s, "i1")
	newContact(tb, s, "i1", "c1")
	return fixture{instanceID: "i1", contactID: "c1"}
}

func appendOne(ctx context.Context, s store.Store, f fixture, itemID string) (int64, error) {
	var seq int64
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.LockContact(f.instanceID, f.contactID); err != nil {
			return err
		}
		var err error
		seq, err = tx.AppendItem(store.Item{ContactID: f.contactID, ID: itemID, Type: store.ItemMessage,
			ContentType: "text/plain", Content: "hi", CreatedAt: epoch})
		return err
	})
	return seq, err
}

// TestSmoke covers what the driver must get right on its own terms: error
// mapping that survives errors.Is, a transaction that stays usable after
// an expected error, and round trips of the awkward column types.
func TestSmoke(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	f := newFixture(t, s)
	ctx := context.Background()

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"contact round trip keeps nil and empty apart", func(t *testing.T) {
			want := store.Contact{ID: "c-rt", InstanceID: f.instanceID, State: store.ContactActive,
				Attributes: map[string]string{}, SupportedContentTypes: []string{"text/plain", "text/markdown"},
				ChatDuration: 90 * time.Minute, InitiatedAt: epoch, LastUpdatedAt: epoch}
			if err := s.Write(ctx, func(tx store.Tx) error { return tx.InsertContact(want) }); err != nil {
				t.Fatalf("InsertContact: %v", err)
			}
			got, err := s.GetContact(ctx, f.instanceID, "c-rt")
			if err != nil {
				t.Fatalf("GetContact: %v", err)
			}
			if got.Attributes == nil || len(got.Attributes) != 0 {
				t.Errorf("Attributes: got %#v, want empty non-nil map", got.Attributes)
			}
			if got.DisconnectOnCustomerExit != nil {
				t.Errorf("DisconnectOnCustomerExit: got %#v, want nil", got.DisconnectOnCustomerExit)
			}
			if strings.Join(got.SupportedContentTypes, ",") != "text/plain,text/markdown" {
				t.Errorf("SupportedContentTypes: got %v", got.SupportedContentTypes)
			}
			if !got.InitiatedAt.Equal(epoch) || got.InitiatedAt.Location() != time.UTC {
				t.Errorf("InitiatedAt: got %v, want %v in UTC", got.InitiatedAt, epoch)
			}
			if !got.DisconnectedAt.IsZero() || got.ChatDuration != 90*time.Minute {
				t.Errorf("got DisconnectedAt %v ChatDuration %v, want zero and 1h30m", got.DisconnectedAt, got.ChatDuration)
			}
		}},
		{"other instance cannot see the contact", func(t *testing.T) {
			_, err := s.GetContact(ctx, "other", f.contactID)
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetContact from another instance: got %v, want ErrNotFound", err)
			}
		}},
		{"duplicate item keeps the tx usable and the sequence gap-free", func(t *testing.T) {
			c := fixture{instanceID: f.instanceID, contactID: "c-dup"}
			newContact(t, s, c.instanceID, c.contactID)
			err := s.Write(ctx, func(tx store.Tx) error {
				if _, err := tx.AppendItem(store.Item{ContactID: c.contactID, ID: "m1", CreatedAt: epoch}); err != nil {
					return err
				}
				if _, err := tx.AppendItem(store.Item{ContactID: c.contactID, ID: "m1", CreatedAt: epoch}); !errors.Is(err, store.ErrDuplicate) {
					return fmt.Errorf("second append of m1: got %v, want ErrDuplicate", err)
				}
				seq, err := tx.AppendItem(store.Item{ContactID: c.contactID, ID: "m2", CreatedAt: epoch})
				if err != nil || seq != 2 {
					return fmt.Errorf("append m2 after the duplicate: got seq %d, err %v, want 2, nil", seq, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"append to a missing contact", func(t *testing.T) {
			err := s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.AppendItem(store.Item{ContactID: "nope", ID: "m1"})
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("AppendItem: got %v, want ErrNotFound", err)
			}
		}},
		{"duplicate instance leaves nothing and the tx usable", func(t *testing.T) {
			err := s.Write(ctx, func(tx store.Tx) error {
				err := tx.CreateInstance(store.NewInstance{
					Instance:  store.Instance{ID: "i-new", CreatedAt: epoch},
					Resources: []store.Resource{{Kind: store.KindUser, ID: "u-i-new", Name: "admin", Body: []byte(`{}`)}},
					AccessKey: store.AccessKey{ID: "AK-" + f.instanceID}, // taken
				})
				if !errors.Is(err, store.ErrDuplicate) {
					return fmt.Errorf("CreateInstance: got %v, want ErrDuplicate", err)
				}
				return tx.PutTimer(store.Timer{ID: "after-dup", Due: epoch.Add(time.Hour)})
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetInstance(ctx, "i-new"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetInstance i-new: got %v, want ErrNotFound", err)
			}
		}},
		{"fn error rolls back and comes back unchanged", func(t *testing.T) {
			sentinel := errors.New("boom")
			err := s.Write(ctx, func(tx store.Tx) error {
				if err := tx.InsertToken(store.Token{Hash: []byte("rolled-back"), ExpiresAt: epoch}); err != nil {
					return err
				}
				return sentinel
			})
			if err != sentinel {
				t.Fatalf("Write: got %v, want the fn's error itself", err)
			}
			if _, err := s.LookupToken(ctx, []byte("rolled-back")); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("LookupToken after rollback: got %v, want ErrNotFound", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

// TestTwoNodes runs two stores on one schema, as two nodes would: both
// migrate at once, append to one contact concurrently and poll timers
// concurrently. The second node has a pool of a single connection, which
// must be enough for migrating and for Write.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	u := newSchema(t)
	urls := []string{u, withParam(t, u, "pool_max_conns", "1")}
	ctx := context.Background()

	nodes := make([]*Store, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = Open(ctx, urls[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open node %d concurrently: %v", i, err)
		}
		t.Cleanup(func() { _ = nodes[i].Close() })
	}
	f := newFixture(t, nodes[0])

	t.Run("appends stay gap-free", func(t *testing.T) {
		const perWorker, workers = 25, 4
		var wg sync.WaitGroup
		errc := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					if _, err := appendOne(ctx, nodes[w%2], f, fmt.Sprintf("w%d-%d", w, i)); err != nil {
						errc <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatalf("append: %v", err)
		}
		items, err := nodes[1].ListItems(ctx, store.ItemQuery{ContactID: f.contactID})
		if err != nil {
			t.Fatalf("ListItems: %v", err)
		}
		if len(items) != perWorker*workers {
			t.Fatalf("ListItems: got %d items, want %d", len(items), perWorker*workers)
		}
		for i, it := range items {
			if it.Seq != int64(i+1) {
				t.Fatalf("item %d: got seq %d, want %d", i, it.Seq, i+1)
			}
		}
	})

	t.Run("each timer is claimed once", func(t *testing.T) {
		const n = 60
		err := nodes[0].Write(ctx, func(tx store.Tx) error {
			for i := range n {
				if err := tx.PutTimer(store.Timer{ID: fmt.Sprintf("t%02d", i), Kind: "k",
					InstanceID: f.instanceID, ContactID: f.contactID, Due: epoch.Add(time.Duration(i) * time.Second)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("PutTimer: %v", err)
		}
		now := epoch.Add(time.Hour)
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for {
					got, err := nodes[w%2].ClaimTimers(ctx, now, fmt.Sprintf("node%d", w), time.Minute, 7)
					if err != nil {
						t.Errorf("ClaimTimers: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, tm := range got {
						claimed[tm.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != n {
			t.Errorf("claimed %d distinct timers, want %d", len(claimed), n)
		}
		for id, c := range claimed {
			if c != 1 {
				t.Errorf("timer %s claimed %d times, want 1", id, c)
			}
		}
		// All leased: nothing is claimable before the lease ends.
		next, ok, err := nodes[0].NextTimer(ctx)
		if err != nil || !ok || !next.Equal(now.Add(time.Minute)) {
			t.Errorf("NextTimer: got %v, %v, %v; want %v, true, nil", next, ok, err, now.Add(time.Minute))
		}
	})
}

// BenchmarkAppendItemParallel measures the SendMessage write path: each
// goroutine owns a contact and commits LockContact+AppendItem per message.
func BenchmarkAppendItemParallel(b *testing.B) {
	s := openURL(b, newSchema(b))
	newInstance(b, s, "i1")
	ctx := context.Background()
	var mu sync.Mutex
	next := 0
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		next++
		f := fixture{instanceID: "i1", contactID: fmt.Sprintf("c%d", next)}
		mu.Unlock()
		newContact(b, s, f.instanceID, f.contactID)
		for i := 0; pb.Next(); i++ {
			if _, err := appendOne(ctx, s, f, fmt.Sprintf("m%d", i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLookupToken measures the read that authenticates every
// participant API call and websocket.
func BenchmarkLookupToken(b *testing.B) {
	s := openURL(b, newSchema(b))
	f := newFixture(b, s)
	ctx := context.Background()
	hash := sha256.Sum256([]byte("token"))
	err := s.Write(ctx, func(tx store.Tx) error {
		return tx.InsertToken(store.Token{Hash: hash[:], Kind: store.TokenConnection, InstanceID: f.instanceID,
			ContactID: f.contactID, ParticipantID: "p1", ExpiresAt: epoch.Add(time.Hour), CreatedAt: epoch})
	})
	if err != nil {
		b.Fatalf("InsertToken: %v", err)
	}
	for b.Loop() {
		if _, err := s.LookupToken(ctx, hash[:]); err != nil {
			b.Fatal(err)
		}
	}
}
