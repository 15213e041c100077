package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildParley compiles ./cmd/parley into a temporary directory.
func buildParley(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "parley")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/parley")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/parley: %v\n%s", err, b)
	}
	return bin
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestRunChildServer runs every phase, briefly, against a real child
// server and checks that the result hangs together. It asserts no timing.
func TestRunChildServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and runs a short load; skipped with -short")
	}
	bin := buildParley(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		ServerCommand: []string{bin},
		Chats:         5,
		Duration:      time.Second,
		IdleChats:     20,
		Progress:      testWriter{t},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var sb strings.Builder
	if err := res.WriteSummary(&sb); err != nil {
		t.Fatalf("WriteSummary: %v", err)
	}
	t.Logf("summary:\n%s", sb.String())

	if !res.Server.Child || res.Server.DB != "sqlite" {
		t.Errorf("Server = %+v, want a child sqlite server", res.Server)
	}
	if s := res.Setup; s == nil || s.Chats != 5 || s.Websockets != 10 {
		t.Fatalf("Setup = %+v, want 5 chats with 10 websockets", s)
	}
	tp := res.Throughput
	if tp == nil || tp.Messages <= 0 || tp.Errors != 0 || tp.MsgsPerSec <= 0 || tp.SendMessage.P50 <= 0 {
		t.Fatalf("Throughput = %+v, want messages, no errors", tp)
	}
	l := res.Latency
	if l == nil {
		t.Fatal("Latency = nil")
	}
	if l.TargetRate != tp.MsgsPerSec/2 {
		t.Errorf("Latency.TargetRate = %v, want half the throughput %v", l.TargetRate, tp.MsgsPerSec/2)
	}
	if l.Sent <= 0 || l.Acknowledged != l.Sent || l.Delivered != l.Acknowledged || l.Lost != 0 || l.Errors != 0 {
		t.Errorf("Latency counts: sent %d, acknowledged %d, delivered %d, lost %d, errors %d (%v); want all sent acknowledged and delivered",
			l.Sent, l.Acknowledged, l.Delivered, l.Lost, l.Errors, l.ErrorKinds)
	}
	if d := l.Delivery; d.Count != int(l.Delivered) || d.P50 <= 0 || d.P99 < d.P50 || d.Max < d.P99 {
		t.Errorf("Latency.Delivery = %+v, want positive, ordered percentiles over every delivery", d)
	}
	i := res.Idle
	if i == nil || i.Chats != 20 || i.Websockets != 40 {
		t.Fatalf("Idle = %+v, want 20 chats with 40 websockets", i)
	}
	if runtime.GOOS == "linux" {
		if i.RSSBeforeMiB == nil || i.RSSAfterMiB == nil || *i.RSSBeforeMiB <= 0 || *i.RSSAfterMiB <= 0 || i.MiBPer1000Chats == nil {
			t.Errorf("Idle memory not measured: %+v", i)
		}
		if tp.Usage.ServerCores == nil || *tp.Usage.ServerCores <= 0 {
			t.Errorf("Throughput.Usage = %+v, want server CPU", tp.Usage)
		}
	}
}

func TestParsePhases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Phase
		wantErr bool
	}{
		{name: "empty is all", in: "", want: AllPhases},
		{name: "all", in: "all", want: AllPhases},
		{name: "some", in: "latency, idle", want: []Phase{PhaseLatency, PhaseIdle}},
		{name: "duplicates", in: "idle,idle", want: []Phase{PhaseIdle}},
		{name: "unknown", in: "setup,warmup", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePhases(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParsePhases(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParsePhases(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "child", cfg: Config{ServerCommand: []string{"parley"}}},
		{name: "endpoint", cfg: Config{Endpoint: "http://127.0.0.1:1", BootstrapPath: "b.json"}},
		{name: "endpoint without bootstrap", cfg: Config{Endpoint: "http://127.0.0.1:1"}, wantErr: "bootstrap"},
		{name: "nothing to run", cfg: Config{}, wantErr: "server command"},
		{name: "db with endpoint", cfg: Config{Endpoint: "http://x", BootstrapPath: "b", DB: "sqlite"}, wantErr: "database"},
		{name: "bad db", cfg: Config{ServerCommand: []string{"parley"}, DB: "mysql://x"}, wantErr: "db"},
		{name: "latency alone needs a rate", cfg: Config{ServerCommand: []string{"parley"}, Phases: []Phase{PhaseLatency}}, wantErr: "rate"},
		{name: "latency alone with a rate", cfg: Config{ServerCommand: []string{"parley"}, Phases: []Phase{PhaseLatency}, Rate: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.cfg.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("withDefaults error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("withDefaults: %v", err)
			}
			if got.Chats != DefaultChats || got.Duration != DefaultDuration || got.IdleChats != DefaultIdleChats || got.SetupWorkers != DefaultWorkers {
				t.Errorf("withDefaults = %+v, want the defaults filled in", got)
			}
		})
	}
}

func TestDistribution(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := distribution(ds)
	want := Distribution{Count: 100, Mean: 50.5, P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Fatalf("distribution(1..100 ms) = %+v, want %+v", got, want)
	}
	if got := distribution(nil); got != (Distribution{}) {
		t.Fatalf("distribution(nil) = %+v, want zero", got)
	}
}

func TestProcStatus(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	rss, threads, err := procStatus(os.Getpid())
	if err != nil || rss <= 0 || threads <= 0 {
		t.Fatalf("procStatus(self) = %d, %d, %v; want positive values", rss, threads, err)
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatalf("procCPU(self): %v", err)
	}
}
