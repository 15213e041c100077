package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/api/participant"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/postgres"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// startInProcess runs the server's HTTP stack (Connect API, Participant
// API, websocket gateway) in this process, wired as cmd/parley's serve
// does minus the timer scheduler and sweeper, so a CPU profile of a
// benchmark covers the server. Every server goroutine carries the pprof
// label side=server (labels pass to the goroutines a labelled one starts),
// so `go tool pprof -tagfocus side=server` separates it from the client.
// db is "sqlite" or a postgres:// URL on which a fresh database is made.
func startInProcess(tb testing.TB, db string) (endpoint, bootstrapPath string) {
	tb.Helper()
	ctx := context.Background()
	dataDir := tb.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var st store.Store
	var err error
	pprof.Do(ctx, pprof.Labels("side", "server"), func(ctx context.Context) {
		if isPostgres(db) {
			var url string
			var drop func(context.Context) error
			url, drop, err = createDatabase(ctx, db)
			if err != nil {
				return
			}
			tb.Cleanup(func() {
				if err := drop(context.Background()); err != nil {
					tb.Error(err)
				}
			})
			st, err = postgres.Open(ctx, url)
		} else {
			st, err = sqlite.Open(ctx, filepath.Join(dataDir, "parley.db"))
		}
	})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := bootstrap.Ensure(ctx, st, dataDir, "us-east-1", time.Now(), log); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	b := local.New()
	svc := chat.New(st, b, chat.Config{Logger: log})
	gw := participant.NewGateway(svc, b, log)
	mux := http.NewServeMux()
	connect.New(connect.Deps{Chat: svc, Auth: auth.SigV4(st, "us-east-1", time.Now), Region: "us-east-1", Log: log}).Register(mux)
	participant.New(svc, gw, config.DerivePublicURL(ln.Addr().String()), 0, log).Register(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(context.Context) {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
		}
	})
	tb.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		go gw.Shutdown(sctx)
		srv.Shutdown(sctx)
		<-done
		b.Close()
	})
	return "http://" + ln.Addr().String(), filepath.Join(dataDir, bootstrap.File)
}

// BenchmarkSendMessageInProcess measures SendMessage through the whole
// server stack (HTTP, auth, store commit, bus, websocket fan-out) with
// the server in this process, so that
//
//	go test -run '^$' -bench SendMessageInProcess -benchtime 20000x \
//	    -cpuprofile cpu.out ./internal/bench
//	go tool pprof -tagfocus side=server -top cpu.out
//
// profiles the server under the same load as `parley bench`'s throughput
// phase: 100 chats (PARLEY_BENCH_CHATS), each a closed loop with one
// SendMessage in flight, customer and bot alternating, both websockets
// read. PARLEY_BENCH_DB selects the store ("sqlite" by default, or a
// postgres:// URL of a server to create a fresh database on).
func BenchmarkSendMessageInProcess(b *testing.B) {
	db := os.Getenv("PARLEY_BENCH_DB")
	if db == "" {
		db = "sqlite"
	}
	chats := DefaultChats
	if s := os.Getenv("PARLEY_BENCH_CHATS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("PARLEY_BENCH_CHATS=%q: want a positive number", s)
		}
		chats = n
	}
	endpoint, bootPath := startInProcess(b, db)
	boot, err := ReadBootstrap(bootPath)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := newClient(endpoint, boot, 2*chats+16)
	defer c.close()
	var tracking atomic.Bool
	var list []*benchChat
	pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) {
		// One at a time: setup is not what this measures.
		list, err = createChats(ctx, c, chats, 1, "bench customer", &tracking)
	})
	defer closeAll(list)
	if err != nil {
		b.Fatalf("create chats: %v", err)
	}

	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, ch := range list {
		wg.Add(1)
		go pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) {
			defer wg.Done()
			from := ch.customer
			for next.Add(1) <= int64(b.N) {
				if _, err := c.sendMessage(ctx, from.connToken, "tp "+strconv.FormatInt(next.Load(), 10), uuid.NewString()); err != nil {
					failed.Add(1)
					continue
				}
				from = ch.other(from)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d SendMessage calls failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkIdleChatsInProcess connects b.N idle chats (customer and bot,
// both websockets subscribed) to an in-process server and reports what
// each costs: server goroutines (counted by their pprof label) and the
// heap and goroutine-stack growth of the whole process, client included.
// PARLEY_BENCH_HEAPPROFILE names a file to write a heap profile to while
// the chats are open; `go tool pprof -sample_index=inuse_space -top
// -focus 'websocket.Accept|Gateway' <file>` then shows the server's part.
func BenchmarkIdleChatsInProcess(b *testing.B) {
	db := os.Getenv("PARLEY_BENCH_DB")
	if db == "" {
		db = "sqlite"
	}
	endpoint, bootPath := startInProcess(b, db)
	boot, err := ReadBootstrap(bootPath)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := newClient(endpoint, boot, 64)
	defer c.close()

	before := memSnapshot()
	var tracking atomic.Bool
	var list []*benchChat
	b.ResetTimer()
	pprof.Do(ctx, pprof.Labels("side", "client"), func(ctx context.Context) {
		// One at a time: setup is not what this measures.
		list, err = createChats(ctx, c, b.N, 1, "idle customer", &tracking)
	})
	b.StopTimer()
	defer closeAll(list)
	if err != nil {
		b.Fatalf("create chats: %v", err)
	}
	time.Sleep(idleSettle)
	after := memSnapshot()
	if path := os.Getenv("PARLEY_BENCH_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(after.serverGoroutines-before.serverGoroutines)/n, "server-goroutines/chat")
	b.ReportMetric(float64(after.heapInuse-before.heapInuse)/n, "heap-B/chat")
	b.ReportMetric(float64(after.stackInuse-before.stackInuse)/n, "stack-B/chat")
}

// memStats is a moment's memory use of this process.
type memStats struct {
	heapInuse, stackInuse uint64
	serverGoroutines      int
}

// memSnapshot collects garbage and reads memory use and the number of
// goroutines labelled side=server.
func memSnapshot() memStats {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memStats{heapInuse: ms.HeapInuse, stackInuse: ms.StackInuse}
	// The debug=1 goroutine profile prints each distinct stack as
	// "<count> @ <pcs>" followed, for labelled goroutines, by
	// "# labels: {...}".
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	count := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		if n, _, ok := strings.Cut(line, " @ "); ok {
			count, _ = strconv.Atoi(n)
			continue
		}
		if strings.HasPrefix(line, "# labels:") && strings.Contains(line, `"side":"server"`) {
			s.serverGoroutines += count
			count = 0
		}
	}
	return s
}
