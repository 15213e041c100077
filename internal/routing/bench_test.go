package routing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/postgres"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/store/testdb"
	"github.com/parley-chat/parley/test/e2e"
)

// The routing benchmarks measure the performance target at its scale: 500
// agents with a chat concurrency of 10 (5,000 slots) on 10 routing
// profiles over 50 queues, and 5,000 chats. Their setup takes seconds and
// each measured run consumes it, so run them once each:
//
//	go test -run '^$' -bench BenchmarkRouting -benchtime 1x ./internal/routing/
//
// Their numbers go to docs/performance.md, never into assertions.

const (
	benchQueues      = 50
	benchProfiles    = 10
	benchAgents      = 500
	benchConcurrency = 10
	benchChats       = benchAgents * benchConcurrency
	// benchBacklogQueue is a queue no routing profile serves.
	benchBacklogQueue = "backlog"
	// benchWorkers is how many setup calls run at once: enough for group
	// commit (SQLite) and the connection pool (PostgreSQL) to have
	// something to work with.
	benchWorkers = 16
)

// benchDriver opens a fresh store for a benchmark; settle, called once the
// setup is written, brings the database to the state a deployment that
// has run for a while would be in.
type benchDriver struct {
	name string
	open func(tb testing.TB) (st store.Store, settle func())
}

// benchDrivers are the stores the benchmarks run on. PostgreSQL gets an
// ANALYZE after setup, as autovacuum gives every busy table within a
// minute: without statistics the planner may read a queue's head through
// contact_routing_state_idx, filtering every queued contact of the
// instance, instead of the queue's range of contact_routing_queued_idx;
// with 5,000 chats queued elsewhere that took an idle pass from 9 to 69 ms.
var benchDrivers = []benchDriver{
	{"sqlite", func(tb testing.TB) (store.Store, func()) {
		st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "parley.db"))
		if err != nil {
			tb.Fatalf("open sqlite: %v", err)
		}
		return st, func() {}
	}},
	{"postgres", func(tb testing.TB) (store.Store, func()) {
		url := e2e.PostgresDB(tb)
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			tb.Fatalf("open postgres: %v", err)
		}
		return st, func() {
			tb.Helper()
			conn, err := pgx.Connect(context.Background(), url)
			if err != nil {
				tb.Fatalf("connect to analyze: %v", err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "ANALYZE"); err != nil {
				tb.Fatalf("analyze: %v", err)
			}
		}
	}},
}

func benchQueue(i int) string         { return fmt.Sprintf("q%02d", i) }
func benchFlow(queueID string) string { return "flow-" + queueID }

// newBenchEnv is newEnv for the benchmarks: the instance has an inbound
// flow per queue (StartChat with flow "flow-qNN" queues the chat in qNN,
// one write, as production's inbound path does), the 50 queues and the
// backlog queue, all open around the clock. With realTime the services run
// on time.Now rather than on the test clock. No timer scheduler runs:
// offers last 20 s, longer than any run leaves them unanswered.
func newBenchEnv(tb testing.TB, st store.Store, realTime bool) *env {
	tb.Helper()
	tb.Cleanup(func() { st.Close() })
	clk := testdb.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	now := clk.Now
	if realTime {
		clk.Set(time.Now())
		now = time.Now
	}
	b := local.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chatSvc := chat.New(st, b, chat.Config{Now: now, Logger: log})
	r := New(st, b, chatSvc, Config{Now: now, Logger: log})
	chatSvc.SetHooks(inboundHooks{r})
	e := &env{t: tb, ctx: context.Background(), st: st, chat: chatSvc, r: r, clock: clk, events: map[string][]AgentEvent{}}
	e.instance = fmt.Sprintf("bench-%p", e)
	queues := []string{benchBacklogQueue}
	for i := range benchQueues {
		queues = append(queues, benchQueue(i))
	}
	var flows []store.ContactFlow
	for _, q := range queues {
		content := `{"Version":"2019-10-30","StartAction":"q","Actions":[` +
			`{"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"` + q + `"},"Transitions":{"NextAction":"t"}},` +
			`{"Identifier":"t","Type":"TransferContactToQueue","Parameters":{},"Transitions":{}}]}`
		flows = append(flows, store.ContactFlow{ID: benchFlow(q), InstanceID: e.instance, Name: "in " + q,
			Type: "CONTACT_FLOW", Content: content, CreatedAt: clk.Now()})
	}
	e.flow = flows[0].ID
	err := st.Write(e.ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: e.instance, Region: "us-east-1", CreatedAt: clk.Now()},
			AccessKey: store.AccessKey{ID: "AK" + e.instance, InstanceID: e.instance, Secret: "s", CreatedAt: clk.Now()},
			Flows:     flows,
		})
	})
	if err != nil {
		tb.Fatalf("create instance: %v", err)
	}
	e.put(store.KindHours, "always", "Always", HoursOfOperation{ID: "always", Name: "Always", TimeZone: "UTC", Config: allWeek()})
	for _, q := range queues {
		e.queue(q, "always")
	}
	return e
}

// benchProfileQueues are the queues of routing profile p: a home block of
// five queues (5p to 5p+4) at priorities 1 to 3, served before anything
// else, and p%6 queues of other blocks at priorities 4 and 5, so profiles
// serve 5 to 10 queues and every queue is served by one to four profiles.
// With as many chats in each block as its profile has slots, the longest-
// idle rule fills every slot: no agent takes another block's chat before
// their own block is empty.
func benchProfileQueues(p int) []ProfileQueue {
	var qs []ProfileQueue
	for k, prio := range []int{1, 1, 2, 2, 3} {
		qs = append(qs, ProfileQueue{QueueID: benchQueue(5*p + k), Priority: prio})
	}
	for k := range p % 6 {
		qs = append(qs, ProfileQueue{QueueID: benchQueue((5*p + 5 + 7*k) % benchQueues), Priority: 4 + k%2})
	}
	return qs
}

func benchAgent(i int) string { return fmt.Sprintf("agent%03d", i) }

// benchStaff stores the routing profiles and the agents, agent i on
// profile i%10; record subscribes the env's event recorder to each agent.
func (e *env) benchStaff(record bool) {
	e.t.Helper()
	for p := range benchProfiles {
		e.profile(fmt.Sprintf("rp%d", p), benchConcurrency, benchProfileQueues(p)...)
	}
	for i := range benchAgents {
		id := benchAgent(i)
		if record {
			e.agent(id, fmt.Sprintf("rp%d", i%benchProfiles), 0)
			continue
		}
		e.put(store.KindUser, id, id, map[string]any{"Id": id, "Username": id, "RoutingProfileId": fmt.Sprintf("rp%d", i%benchProfiles),
			"IdentityInfo": map[string]any{"FirstName": "Agent " + id}})
	}
}

// benchAvailable sets every agent Available, benchWorkers at a time.
func (e *env) benchAvailable() {
	e.t.Helper()
	err := parallel(benchAgents, func(i int) error {
		_, err := e.r.SetStatus(e.ctx, e.instance, benchAgent(i), StatusAvailableID)
		return err
	})
	if err != nil {
		e.t.Fatalf("set agents available: %v", err)
	}
}

// benchStart starts a chat through the inbound flow of a queue, which
// queues it there, and returns its contact ID.
func (e *env) benchStart(ctx context.Context, queueID string) (string, error) {
	out, err := e.chat.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: benchFlow(queueID), DisplayName: "Customer"})
	return out.ContactID, err
}

// benchStartMany starts n chats, chat i in the queue queueOf(i),
// benchWorkers at a time.
func (e *env) benchStartMany(n int, queueOf func(i int) string) {
	e.t.Helper()
	err := parallel(n, func(i int) error {
		_, err := e.benchStart(e.ctx, queueOf(i))
		return err
	})
	if err != nil {
		e.t.Fatalf("start chats: %v", err)
	}
}

// parallel runs fn(0) to fn(n-1), benchWorkers at a time, and returns the
// first error.
func parallel(n int, fn func(i int) error) error {
	var next atomic.Int64
	errs := make([]error, benchWorkers)
	var wg sync.WaitGroup
	for w := range benchWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || errs[w] != nil {
					return
				}
				errs[w] = fn(i)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// BenchmarkRoutingBurst measures routing's throughput from a standing
// start: 5,000 chats wait, 100 in each of the 50 queues, when all 500
// agents become available at once; passes run back to back, as the
// dispatcher would run them, until one offers nothing. Every chat must be
// offered exactly once. Metrics: assign/s over the whole run, the number
// of passes and their mean duration.
func BenchmarkRoutingBurst(b *testing.B) {
	for _, d := range benchDrivers {
		b.Run(d.name, func(b *testing.B) {
			var offered, passes int
			var elapsed, slowest time.Duration
			for range b.N {
				b.StopTimer()
				setup := time.Now()
				st, settle := d.open(b)
				e := newBenchEnv(b, st, false)
				e.benchStaff(true)
				e.benchStartMany(benchChats, func(i int) string { return benchQueue(i % benchQueues) })
				// No dispatcher runs: the kicks of these changes are
				// never served, and the first pass below sees them all.
				e.benchAvailable()
				settle()
				b.Logf("setup: %v", time.Since(setup).Round(time.Millisecond))

				b.StartTimer()
				start := time.Now()
				for {
					t0 := time.Now()
					n := len(e.pass())
					slowest = max(slowest, time.Since(t0))
					passes++
					if n == 0 {
						break
					}
					offered += n
				}
				elapsed += time.Since(start)
				b.StopTimer()
				e.checkBurst()
			}
			b.ReportMetric(float64(offered)/elapsed.Seconds(), "assign/s")
			b.ReportMetric(float64(passes)/float64(b.N), "passes/op")
			b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(passes), "ms/pass")
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms/pass")
		})
	}
}

// checkBurst verifies the end of a burst in the store: every chat offered
// exactly once, every slot taken, an offer event for each.
func (e *env) checkBurst() {
	e.t.Helper()
	rs, err := e.st.ListContactRoutings(e.ctx, e.instance, []string{store.RoutingQueued, store.RoutingOffered})
	if err != nil {
		e.t.Fatal(err)
	}
	byState := map[string]int{}
	for _, r := range rs {
		byState[r.State]++
	}
	if byState[store.RoutingOffered] != benchChats || byState[store.RoutingQueued] != 0 {
		e.t.Fatalf("after the burst: %d offered and %d queued, want %d and 0",
			byState[store.RoutingOffered], byState[store.RoutingQueued], benchChats)
	}
	seen := map[string]string{}
	for i := range benchAgents {
		id := benchAgent(i)
		as, err := e.st.ListAssignments(e.ctx, store.AssignmentQuery{InstanceID: e.instance, UserID: id})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range as {
			if other, ok := seen[a.ContactID]; ok {
				e.t.Fatalf("contact %s offered to %s and to %s", a.ContactID, other, id)
			}
			seen[a.ContactID] = id
		}
		if a := e.agentState(id); a.ChatsUsed != benchConcurrency || len(as) != benchConcurrency {
			e.t.Fatalf("agent %s: %d slots used, %d assignments, want %d", id, a.ChatsUsed, len(as), benchConcurrency)
		}
	}
	e.mu.Lock()
	events := 0
	for _, evs := range e.events {
		for _, ev := range evs {
			if ev.Type == EventOffer {
				events++
			}
		}
	}
	e.mu.Unlock()
	if len(seen) != benchChats || events != benchChats {
		e.t.Fatalf("after the burst: %d contacts assigned, %d offer events, want %d", len(seen), events, benchChats)
	}
}

// BenchmarkRoutingLatency measures the time from a chat's enqueue
// committed (StartChat returned) to its offer reaching the agent's event
// stream, with the dispatcher running in the background on the real
// clock. Chats arrive at a fixed rate over the 50 queues while all 500
// agents are available with free slots. Each offer is accepted at once,
// the agent ends the chat and clears after-contact work, so capacity is
// freed as in a steady state (three more writes per chat), except in
// the unanswered case, where the 5,000 slots hold the run's 4,000 chats.
// The backlog case first parks 5,000 chats in a queue no profile serves.
// Besides the wait's percentiles it reports the offers per pass that
// offered anything, and StartChat's own p99.
func BenchmarkRoutingLatency(b *testing.B) {
	cases := []struct {
		rate    int // chats started per second
		chats   int
		backlog int
		// unanswered leaves offers open: no agent writes compete with
		// routing's, and the 5,000 slots hold every chat of the run.
		unanswered bool
	}{
		{rate: 200, chats: 2000},
		{rate: 1000, chats: 5000},
		{rate: 1000, chats: 4000, unanswered: true},
		{rate: 1000, chats: 5000, backlog: benchChats},
	}
	for _, d := range benchDrivers {
		b.Run(d.name, func(b *testing.B) {
			for _, c := range cases {
				name := fmt.Sprintf("rate=%d", c.rate)
				if c.unanswered {
					name += "/unanswered"
				}
				if c.backlog > 0 {
					name += fmt.Sprintf("/backlog=%d", c.backlog)
				}
				b.Run(name, func(b *testing.B) {
					var all latencyRun
					for range b.N {
						b.StopTimer()
						st, settle := d.open(b)
						e := newBenchEnv(b, st, true)
						e.benchStaff(false)
						e.benchStartMany(c.backlog, func(int) string { return benchBacklogQueue })
						e.benchAvailable()
						settle()
						b.StartTimer()
						run := e.latencyRun(c.rate, c.chats, !c.unanswered)
						b.StopTimer()
						all.merge(run)
					}
					all.report(b)
				})
			}
		})
	}
}

// latencyRun is what one latency run measured.
type latencyRun struct {
	latencies []time.Duration // enqueue committed → offer observed
	starts    []time.Duration // StartChat call → return
	early     int             // offers observed before StartChat returned
	chats     int
	offers    int
	passes    int           // passes that offered something
	elapsed   time.Duration // first start → last offer
	errs      int
}

func (r *latencyRun) merge(o latencyRun) {
	r.latencies = append(r.latencies, o.latencies...)
	r.starts = append(r.starts, o.starts...)
	r.early += o.early
	r.chats += o.chats
	r.offers += o.offers
	r.passes += o.passes
	r.elapsed += o.elapsed
	r.errs += o.errs
}

func (r *latencyRun) report(b *testing.B) {
	if r.offers < r.chats || r.errs > 0 {
		b.Errorf("%d of %d chats offered, %d errors", r.offers, r.chats, r.errs)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	slices.Sort(r.latencies)
	slices.Sort(r.starts)
	b.ReportMetric(ms(percentile(r.latencies, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(r.latencies, 99)), "p99-ms")
	b.ReportMetric(ms(percentile(r.latencies, 100)), "max-ms")
	b.ReportMetric(float64(r.offers)/r.elapsed.Seconds(), "offers/s")
	b.ReportMetric(float64(r.offers)/float64(max(1, r.passes)), "offers/pass")
	b.ReportMetric(ms(percentile(r.starts, 99)), "start-p99-ms")
	b.ReportMetric(float64(r.early), "early")
}

// percentile returns the p-th percentile of sorted ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return ds[max(0, min(len(ds), i)-1)]
}

// latencyRun starts n chats at rate per second over the 50 queues with the
// dispatcher running, and measures each one's wait for its offer; with
// answer the agents accept and finish every offer.
func (e *env) latencyRun(rate, n int, answer bool) latencyRun {
	e.t.Helper()
	type mark struct{ returned, offered time.Time }
	var (
		mu    sync.Mutex
		marks = make(map[string]*mark, n)
		out   = latencyRun{chats: n}
		last  time.Time
		done  = make(chan struct{})
		errs  atomic.Int64
		first = make(chan error, 1)
		// A pass gives all its offers one OfferedAt, to the millisecond.
		passes = map[time.Time]bool{}
	)
	fail := func(err error) {
		errs.Add(1)
		select {
		case first <- err:
		default:
		}
	}
	// record notes one of the two ends of a chat's wait; the second
	// computes it. An offer may be observed before StartChat returns
	// (the pass ran between the commit and the return): that wait is 0.
	record := func(contactID string, at time.Time, offer bool) {
		mu.Lock()
		defer mu.Unlock()
		m := marks[contactID]
		if m == nil {
			m = &mark{}
			marks[contactID] = m
		}
		if offer {
			m.offered, last = at, at
			out.offers++
		} else {
			m.returned = at
		}
		if m.returned.IsZero() || m.offered.IsZero() {
			return
		}
		if m.offered.Before(m.returned) {
			out.early++
		}
		out.latencies = append(out.latencies, max(0, m.offered.Sub(m.returned)))
		if len(out.latencies) == n {
			close(done)
		}
	}

	// The agents: each offer is accepted, the chat ended by its agent and
	// the after-contact work cleared, by a pool of workers standing in for
	// their browsers.
	type offer struct{ userID, contactID string }
	work, stopWork := context.WithCancel(e.ctx)
	offers := make(chan offer, n)
	var unsubs []func()
	for i := range benchAgents {
		userID := benchAgent(i)
		unsub, err := e.r.Subscribe(e.instance, userID, func(ev AgentEvent) {
			if ev.Type != EventOffer {
				return
			}
			record(ev.ContactID, time.Now(), true)
			mu.Lock()
			passes[ev.Assignment.OfferedAt] = true
			mu.Unlock()
			if answer {
				offers <- offer{userID, ev.ContactID}
			}
		})
		if err != nil {
			e.t.Fatal(err)
		}
		unsubs = append(unsubs, unsub)
	}
	var agents sync.WaitGroup
	for range benchWorkers {
		agents.Go(func() {
			for o := range offers {
				userID, contactID := o.userID, o.contactID
				err := func() error {
					if _, err := e.r.Accept(work, e.instance, userID, contactID); err != nil {
						return err
					}
					if err := e.r.EndContact(work, e.instance, userID, contactID); err != nil {
						return err
					}
					return e.r.CompleteACW(work, e.instance, userID, contactID)
				}()
				if err != nil && work.Err() == nil {
					fail(fmt.Errorf("agent %s, contact %s: %w", userID, contactID, err))
				}
			}
		})
	}

	ctx, stop := context.WithCancel(e.ctx)
	var dispatcher sync.WaitGroup
	dispatcher.Go(func() { _ = e.r.Run(ctx) })

	// The customers: chat i starts at start + i/rate, whatever the
	// previous starts are doing.
	var customers sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		customers.Go(func() {
			t0 := time.Now()
			id, err := e.benchStart(e.ctx, benchQueue(i%benchQueues))
			t1 := time.Now()
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			out.starts = append(out.starts, t1.Sub(t0))
			mu.Unlock()
			record(id, t1, false)
		})
	}
	customers.Wait()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	stop()
	dispatcher.Wait()
	stopWork()
	for _, unsub := range unsubs {
		unsub()
	}
	close(offers) // the dispatcher, the only sender, has stopped
	agents.Wait()

	mu.Lock()
	defer mu.Unlock()
	out.elapsed = last.Sub(start)
	out.passes = len(passes)
	out.errs = int(errs.Load())
	select {
	case err := <-first:
		e.t.Errorf("latency run: %d errors, the first: %v", out.errs, err)
	default:
	}
	return out
}

// BenchmarkRoutingPass measures the fixed cost of a pass, which every
// kick pays: 500 agents with free slots, 50 queues, nothing waiting where
// they serve (the backlog case parks 5,000 chats in a queue none serves).
// The pass reads every agent, the configuration and the head of every
// queue served, and offers nothing.
func BenchmarkRoutingPass(b *testing.B) {
	const passes = 100 // per op, so that one op is a fair sample
	for _, d := range benchDrivers {
		for _, backlog := range []int{0, benchChats} {
			b.Run(fmt.Sprintf("%s/backlog=%d", d.name, backlog), func(b *testing.B) {
				st, settle := d.open(b)
				e := newBenchEnv(b, st, false)
				e.benchStaff(false)
				e.benchStartMany(backlog, func(int) string { return benchBacklogQueue })
				e.benchAvailable()
				settle()
				b.ResetTimer()
				for range b.N {
					for range passes {
						if o := e.pass(); len(o) != 0 {
							b.Fatalf("idle pass offered %d", len(o))
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*passes), "ms/pass")
			})
		}
	}
}
