package bench

import (
	"slices"
	"sync"
	"time"
)

// Result is what Run measured. A phase that did not run is nil.
type Result struct {
	Server     ServerInfo        `json:"server"`
	Machine    MachineInfo       `json:"machine"`
	Setup      *SetupResult      `json:"setup,omitempty"`
	Throughput *ThroughputResult `json:"throughput,omitempty"`
	Latency    *LatencyResult    `json:"latency,omitempty"`
	Idle       *IdleResult       `json:"idle,omitempty"`
}

// ServerInfo describes the server under test.
type ServerInfo struct {
	Endpoint string `json:"endpoint"`
	// Child is true when the benchmark started the server itself.
	Child bool `json:"child"`
	// DB is "sqlite" or "postgres" for a child, "" when unknown.
	DB string `json:"db,omitempty"`
}

// MachineInfo describes where the benchmark ran. Client and server share
// the machine's CPUs.
type MachineInfo struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"goVersion"`
}

// Usage is the CPU a phase cost each side, in CPU-seconds and in cores
// (CPU-seconds per wall-clock second).
type Usage struct {
	WallSeconds      float64 `json:"wallSeconds"`
	ClientCPUSeconds float64 `json:"clientCpuSeconds"`
	ClientCores      float64 `json:"clientCores"`
	// Server fields are set only for a child server.
	ServerCPUSeconds *float64 `json:"serverCpuSeconds,omitempty"`
	ServerCores      *float64 `json:"serverCores,omitempty"`
	// MachineCores is the CPU use of every process on the machine: the
	// client, the server, a database server and anything else running.
	// Close to the machine's CPU count means the phase was CPU-bound.
	MachineCores *float64 `json:"machineCores,omitempty"`
}

// SetupResult is the setup phase's outcome.
type SetupResult struct {
	Chats       int     `json:"chats"`
	Websockets  int     `json:"websockets"`
	Seconds     float64 `json:"seconds"`
	ChatsPerSec float64 `json:"chatsPerSec"`
	Usage       Usage   `json:"usage"`
}

// ThroughputResult is the throughput phase's outcome.
type ThroughputResult struct {
	// Mode says how the chats send.
	Mode       string           `json:"mode"`
	Chats      int              `json:"chats"`
	Seconds    float64          `json:"seconds"`
	Messages   int64            `json:"messages"`
	MsgsPerSec float64          `json:"msgsPerSec"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	// SendMessage is the distribution of SendMessage round trips.
	SendMessage Distribution `json:"sendMessage"`
	Usage       Usage        `json:"usage"`
}

// LatencyResult is the latency phase's outcome.
type LatencyResult struct {
	Mode         string  `json:"mode"`
	Chats        int     `json:"chats"`
	TargetRate   float64 `json:"targetRate"`
	AchievedRate float64 `json:"achievedRate"` // acknowledged per second of the schedule
	Seconds      float64 `json:"seconds"`
	Sent         int64   `json:"sent"`
	Acknowledged int64   `json:"acknowledged"`
	Delivered    int64   `json:"delivered"`
	// Lost messages were acknowledged but not seen on the other
	// participant's websocket within the grace period.
	Lost int64 `json:"lost"`
	// Skipped sends were due while the chat already had too many
	// unanswered calls (the server fell behind).
	Skipped    int64            `json:"skipped"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	// Delivery is send → arrival on the other participant's websocket.
	Delivery Distribution `json:"delivery"`
	// SendMessage is the distribution of SendMessage round trips.
	SendMessage Distribution `json:"sendMessage"`
	Usage       Usage        `json:"usage"`
}

// IdleResult is the idle phase's outcome.
type IdleResult struct {
	Chats      int `json:"chats"`
	Websockets int `json:"websockets"`
	// Memory fields are set only for a child server.
	RSSBeforeMiB    *float64 `json:"rssBeforeMiB,omitempty"`
	RSSAfterMiB     *float64 `json:"rssAfterMiB,omitempty"`
	MiBPer1000Chats *float64 `json:"mibPer1000Chats,omitempty"`
	ThreadsBefore   int      `json:"threadsBefore,omitempty"`
	ThreadsAfter    int      `json:"threadsAfter,omitempty"`
	SetupSeconds    float64  `json:"setupSeconds"`
	Usage           Usage    `json:"usage"`
}

// Distribution summarises durations, in milliseconds.
type Distribution struct {
	Count int     `json:"count"`
	Mean  float64 `json:"meanMs"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

// distribution sorts ds and summarises it (nearest-rank percentiles).
func distribution(ds []time.Duration) Distribution {
	if len(ds) == 0 {
		return Distribution{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	at := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.999999999) - 1
		return ms(ds[max(0, min(i, len(ds)-1))])
	}
	return Distribution{
		Count: len(ds),
		Mean:  ms(sum / time.Duration(len(ds))),
		P50:   at(0.50),
		P90:   at(0.90),
		P99:   at(0.99),
		Max:   ms(ds[len(ds)-1]),
	}
}

// tally counts errors by kind.
type tally struct {
	mu    sync.Mutex
	n     int64
	kinds map[string]int64
}

func (t *tally) add(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kinds == nil {
		t.kinds = map[string]int64{}
	}
	t.n++
	t.kinds[errorKind(err)]++
}

func (t *tally) result() (int64, map[string]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.kinds
}
