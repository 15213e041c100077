package sqlite

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// benchStore opens a store holding one instance.
func benchStore(b *testing.B, opts Options) *Store {
	b.Helper()
	s := openTemp(b, opts)
	b.Cleanup(func() { s.Close() })
	err := s.Write(b.Context(), func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{Instance: store.Instance{ID: "i1", CreatedAt: time.Now()}})
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAppendItemParallel measures durable message throughput: each
// goroutine sends to its own contact the way chat does (Write, LockContact,
// AppendItem). Many goroutines per core stand in for many HTTP requests in
// flight, which is what gives group commit something to group.
func BenchmarkAppendItemParallel(b *testing.B) {
	for _, sync := range []string{SyncNormal, SyncFull} {
		for _, perCore := range []int{1, 32} {
			b.Run(fmt.Sprintf("sync=%s/goroutines=%dxGOMAXPROCS", sync, perCore), func(b *testing.B) {
				s := benchStore(b, Options{Synchronous: sync})
				var next atomic.Int64
				b.SetParallelism(perCore)
				commits := s.w.commits.Load()
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					contactID := "c" + strconv.FormatInt(next.Add(1), 10)
					err := s.Write(b.Context(), func(tx store.Tx) error {
						return tx.InsertContact(store.Contact{ID: contactID, InstanceID: "i1", State: store.ContactActive})
					})
					if err != nil {
						b.Error(err)
						return
					}
					item := store.Item{ContactID: contactID, Type: store.ItemMessage, ContentType: "text/plain",
						Content: "Hello, I have a question about my order.", ParticipantID: "p1",
						DisplayName: "Jane", Role: store.RoleCustomer, CreatedAt: time.Now()}
					for n := 0; pb.Next(); n++ {
						item.ID = contactID + "-" + strconv.Itoa(n)
						err := s.Write(b.Context(), func(tx store.Tx) error {
							if _, err := tx.LockContact("i1", contactID); err != nil {
								return err
							}
							_, err := tx.AppendItem(item)
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
				b.ReportMetric(float64(b.N)/float64(s.w.commits.Load()-commits), "writes/commit")
			})
		}
	}
}

// BenchmarkLookupToken measures the lookup behind every participant API
// call and websocket connect, from parallel readers.
func BenchmarkLookupToken(b *testing.B) {
	const tokens = 10_000
	s := benchStore(b, Options{})
	err := s.Write(b.Context(), func(tx store.Tx) error {
		if err := tx.InsertContact(store.Contact{ID: "c1", InstanceID: "i1", State: store.ContactActive}); err != nil {
			return err
		}
		for i := range tokens {
			tk := store.Token{Hash: hashOf(i), Kind: store.TokenConnection, InstanceID: "i1", ContactID: "c1",
				ParticipantID: "p" + strconv.Itoa(i), ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}
			if err := tx.InsertToken(tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i = (i + 1) % tokens
			if _, err := s.LookupToken(b.Context(), hashOf(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
}

// hashOf is a stand-in token hash: 32 bytes like SHA-256, cheap to make.
func hashOf(i int) []byte {
	h := make([]byte, 32)
	copy(h, strconv.Itoa(i))
	h[31] = byte(i)
	return h
}
