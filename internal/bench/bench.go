// Package bench is Parley's load generator, the code behind `parley bench`.
// It drives a server only through its public wire protocols — the
// SigV4-signed Connect API, the Participant API and the chat websockets —
// exactly as a company backend, a bot and chatjs would, and measures:
//
//   - setup: how fast chats become fully connected (StartChatContact,
//     CreateParticipant CUSTOM_BOT, CreateParticipantConnection for both
//     participants, two websockets opened and subscribed);
//   - throughput: acknowledged SendMessage calls per second from a closed
//     loop in every chat;
//   - latency: at a fixed aggregate rate (open loop, paced per chat), the
//     time from just before SendMessage until the message arrives on the
//     other participant's websocket;
//   - idle memory: the server's resident memory per 1000 connected, idle
//     chats (two subscribed websockets each).
//
// By default Run starts its own server as a child process (the same
// binary, `serve` on a free loopback port with a temporary data directory
// and, for PostgreSQL, a fresh database it drops afterwards), which lets
// it read the server's RSS and CPU time from /proc. It can also drive an
// existing server given its endpoint and bootstrap.json; memory and
// server CPU are then not measured.
//
// The client runs on the same machine as the server and competes with it
// for CPU; every phase reports both sides' CPU use so readers can tell.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Phase names one part of the benchmark.
type Phase string

// The phases, in the order they run.
const (
	PhaseSetup      Phase = "setup"
	PhaseThroughput Phase = "throughput"
	PhaseLatency    Phase = "latency"
	PhaseIdle       Phase = "idle"
)

// AllPhases lists every phase in run order.
var AllPhases = []Phase{PhaseSetup, PhaseThroughput, PhaseLatency, PhaseIdle}

// ParsePhases parses a comma-separated phase list; "all" or "" means
// every phase.
func ParsePhases(s string) ([]Phase, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return slices.Clone(AllPhases), nil
	}
	var out []Phase
	for _, name := range strings.Split(s, ",") {
		p := Phase(strings.TrimSpace(name))
		if !slices.Contains(AllPhases, p) {
			return nil, fmt.Errorf("unknown phase %q (want setup, throughput, latency, idle or all)", name)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Config configures Run. The zero value of a field means its default.
type Config struct {
	// Endpoint is the base URL of an existing server, e.g.
	// http://127.0.0.1:8080. Empty means start a child server with
	// ServerCommand.
	Endpoint string
	// BootstrapPath is the existing server's bootstrap.json; required
	// with Endpoint.
	BootstrapPath string
	// ServerCommand is the program (and leading arguments) that runs
	// Parley; Run appends `serve --addr ... --data-dir ... --db ...`.
	ServerCommand []string
	// DB is passed to a child server: "sqlite" (the default) or a
	// postgres:// URL of a server on which Run creates, and afterwards
	// drops, a fresh database.
	DB string
	// Chats is the number of chats of the setup, throughput and latency
	// phases; default 100.
	Chats int
	// Duration is the length of the throughput phase and of the latency
	// phase; default 10s.
	Duration time.Duration
	// IdleChats is the number of idle chats of the idle phase; default 1000.
	IdleChats int
	// Rate is the aggregate message rate of the latency phase in
	// messages per second; 0 means half the measured throughput.
	Rate float64
	// SetupWorkers is how many chats are being created at once in the
	// setup and idle phases; default 32.
	SetupWorkers int
	// Phases selects what runs; empty means all. Throughput and latency
	// need setup's chats, so selecting either runs setup too.
	Phases []Phase
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
	// ServerLog receives a child server's output; nil discards it (its
	// tail is still quoted when the child fails).
	ServerLog io.Writer
}

// Defaults of Config.
const (
	DefaultChats     = 100
	DefaultDuration  = 10 * time.Second
	DefaultIdleChats = 1000
	DefaultWorkers   = 32
)

// cleanupTimeout bounds the calls that leave an existing server as it
// was (DisconnectParticipant for every chat still open).
const cleanupTimeout = 15 * time.Second

// maxOutstanding bounds one chat's unanswered SendMessage calls in the
// latency phase; a send that would exceed it is skipped and counted.
const maxOutstanding = 32

// deliveryGrace is how long the latency phase waits, after its last send,
// for messages still on their way.
const deliveryGrace = 5 * time.Second

// idleSettle is how long the idle phase waits before reading memory.
const idleSettle = 2 * time.Second

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.Chats == 0 {
		out.Chats = DefaultChats
	}
	if out.Duration == 0 {
		out.Duration = DefaultDuration
	}
	if out.IdleChats == 0 {
		out.IdleChats = DefaultIdleChats
	}
	if out.SetupWorkers == 0 {
		out.SetupWorkers = DefaultWorkers
	}
	if len(out.Phases) == 0 {
		out.Phases = slices.Clone(AllPhases)
	}
	if out.Progress == nil {
		out.Progress = io.Discard
	}
	var errs []error
	if out.Chats < 1 || out.IdleChats < 1 || out.SetupWorkers < 1 {
		errs = append(errs, errors.New("chats, idle chats and setup workers must be at least 1"))
	}
	if out.Duration < 100*time.Millisecond {
		errs = append(errs, errors.New("duration must be at least 100ms"))
	}
	if out.Rate < 0 {
		errs = append(errs, errors.New("rate must not be negative"))
	}
	if out.Endpoint != "" && out.BootstrapPath == "" {
		errs = append(errs, errors.New("an endpoint needs its bootstrap.json path"))
	}
	if out.Endpoint == "" && len(out.ServerCommand) == 0 {
		errs = append(errs, errors.New("need an endpoint or a server command"))
	}
	if out.Endpoint != "" && out.DB != "" {
		errs = append(errs, errors.New("the database is chosen by the existing server, not the benchmark"))
	}
	if out.DB != "" && out.DB != "sqlite" && !isPostgres(out.DB) {
		errs = append(errs, fmt.Errorf(`db %q: want "sqlite" or a postgres:// URL`, out.DB))
	}
	if out.has(PhaseLatency) && out.Rate == 0 && !out.has(PhaseThroughput) {
		errs = append(errs, errors.New("the latency phase without the throughput phase needs a rate"))
	}
	return out, errors.Join(errs...)
}

func (c *Config) has(p Phase) bool { return slices.Contains(c.Phases, p) }

// runner holds one Run's state.
type runner struct {
	cfg      Config
	child    *child // nil for an existing server
	c        *client
	tracking atomic.Bool
	chats    []*benchChat // setup's chats, while open
}

// Run runs the selected phases and returns what they measured. It stops
// at the first phase that cannot complete; the result then holds the
// phases before it.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if cfg.has(PhaseThroughput) || cfg.has(PhaseLatency) {
		if !cfg.has(PhaseSetup) {
			cfg.Phases = append([]Phase{PhaseSetup}, cfg.Phases...)
		}
	}
	r := &runner{cfg: cfg}
	res = &Result{Machine: MachineInfo{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}}

	if err := r.checkFiles(); err != nil {
		return nil, err
	}
	var boot Bootstrap
	if cfg.Endpoint != "" {
		boot, err = ReadBootstrap(cfg.BootstrapPath)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		res.Server = ServerInfo{Endpoint: strings.TrimSuffix(cfg.Endpoint, "/")}
	} else {
		r.progress("starting server (%s)", dbKind(cfg.DB))
		logs := &tailBuffer{copy: cfg.ServerLog}
		r.child, err = startChild(ctx, cfg.ServerCommand, cfg.DB, logs)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer func() {
			if serr := r.child.stop(context.WithoutCancel(ctx)); serr != nil {
				err = errors.Join(err, fmt.Errorf("bench: stop server: %w", serr))
			}
		}()
		boot = r.child.boot
		res.Server = ServerInfo{Endpoint: r.child.endpoint, Child: true, DB: dbKind(cfg.DB)}
	}
	r.c = newClient(res.Server.Endpoint, boot, 2*cfg.Chats+16)
	defer r.c.close()
	defer r.closeChats(ctx)

	if err := r.phases(ctx, res); err != nil {
		if r.child != nil && !r.child.alive() {
			err = fmt.Errorf("%w (the server exited: %v; its log ends:\n%s)", err, r.child.waitErr, r.child.logs.String())
		}
		return res, fmt.Errorf("bench: %w", err)
	}
	return res, nil
}

func (r *runner) phases(ctx context.Context, res *Result) error {
	var err error
	if r.cfg.has(PhaseSetup) {
		if res.Setup, err = r.setup(ctx); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	if r.cfg.has(PhaseThroughput) {
		if res.Throughput, err = r.throughput(ctx); err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
	}
	if r.cfg.has(PhaseLatency) {
		rate := r.cfg.Rate
		if rate == 0 {
			rate = res.Throughput.MsgsPerSec / 2
		}
		if rate <= 0 {
			return errors.New("latency: no rate to run at (throughput measured 0 msgs/s)")
		}
		if res.Latency, err = r.latency(ctx, rate); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	if r.cfg.has(PhaseIdle) {
		if res.Idle, err = r.idle(ctx); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	return nil
}

// checkFiles raises the open-file limit and checks the run fits in it:
// every websocket and every keep-alive connection is a descriptor here,
// and the child server inherits the same limit.
func (r *runner) checkFiles() error {
	limit, err := raiseFileLimit()
	if err != nil {
		r.progress("cannot check the open-file limit: %v", err)
		return nil
	}
	need := uint64(0)
	if r.cfg.has(PhaseSetup) || r.cfg.has(PhaseThroughput) || r.cfg.has(PhaseLatency) {
		need = uint64(4 * r.cfg.Chats) // two sockets and up to two HTTP connections per chat
	}
	if r.cfg.has(PhaseIdle) {
		need = max(need, uint64(2*r.cfg.IdleChats+2*r.cfg.Chats))
	}
	need += 256
	if need > limit {
		return fmt.Errorf("bench: the run needs about %d open files but the limit (RLIMIT_NOFILE) is %d; raise it (ulimit -n) or use fewer chats", need, limit)
	}
	return nil
}

func (r *runner) progress(format string, args ...any) {
	fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", args...)
}

func dbKind(db string) string {
	if isPostgres(db) {
		return "postgres"
	}
	return "sqlite"
}

// meter marks the start of a measured span.
type meter struct {
	wall       time.Time
	client     time.Duration
	server     time.Duration
	serverErr  error
	machine    time.Duration
	machineErr error
}

func (r *runner) startMeter() meter {
	m := meter{wall: time.Now(), client: selfCPU()}
	if r.child != nil {
		m.server, m.serverErr = procCPU(r.child.pid())
	}
	m.machine, m.machineErr = machineCPU()
	return m
}

// usage returns the CPU used since m.
func (r *runner) usage(m meter) Usage {
	wall := time.Since(m.wall).Seconds()
	u := Usage{WallSeconds: wall, ClientCPUSeconds: (selfCPU() - m.client).Seconds()}
	u.ClientCores = u.ClientCPUSeconds / wall
	if r.child != nil && m.serverErr == nil {
		if now, err := procCPU(r.child.pid()); err == nil {
			s := (now - m.server).Seconds()
			cores := s / wall
			u.ServerCPUSeconds, u.ServerCores = &s, &cores
		}
	}
	if m.machineErr == nil {
		if now, err := machineCPU(); err == nil {
			cores := (now - m.machine).Seconds() / wall
			u.MachineCores = &cores
		}
	}
	return u
}

// closeChats ends setup's chats, if still open. A child server is about
// to be stopped, so only the sockets are closed; on an existing server the
// customers leave too (DisconnectParticipant), which ends the contacts.
func (r *runner) closeChats(ctx context.Context) {
	if len(r.chats) == 0 {
		return
	}
	if r.child == nil {
		r.leave(ctx, r.chats)
	}
	closeAll(r.chats)
	r.chats = nil
}

// leave ends chats on an existing server (see endChats), within
// cleanupTimeout even if ctx has been cancelled.
func (r *runner) leave(ctx context.Context, chats []*benchChat) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := r.endChats(cctx, chats); err != nil {
		r.progress("cleanup: %v", err)
	}
}

// endChats has every chat's customer leave with DisconnectParticipant,
// which ends the contact, waits until the server has closed both
// participants' websockets (as it must when a chat ends), and closes the
// client side.
func (r *runner) endChats(ctx context.Context, chats []*benchChat) error {
	defer closeAll(chats)
	if failed := disconnectAll(ctx, r.c, chats, r.cfg.SetupWorkers); failed > 0 {
		return fmt.Errorf("%d of %d DisconnectParticipant calls failed", failed, len(chats))
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, ch := range chats {
		if err := ch.waitReaders(wctx); err != nil {
			return fmt.Errorf("the server did not close the websockets of ended chats: %w", err)
		}
	}
	return nil
}

// disconnectAll has every chat's customer leave, which ends the contact
// and makes the server close both participants' sockets. It returns the
// number of failed calls.
func disconnectAll(ctx context.Context, c *client, chats []*benchChat, workers int) int64 {
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for _, ch := range chats {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := c.disconnect(ctx, ch.customer.connToken); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	return failed.Load()
}
