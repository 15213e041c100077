package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// ThroughputMode describes how the throughput phase sends.
const ThroughputMode = "closed loop: one SendMessage in flight per chat, customer and bot alternating"

// LatencyMode describes how the latency phase sends.
const LatencyMode = "open loop: each chat sends at rate/chats on a fixed schedule, customer and bot alternating, not waiting for answers"

// setup creates the chats the throughput and latency phases use.
func (r *runner) setup(ctx context.Context) (*SetupResult, error) {
	r.progress("setup: creating %d chats (customer + CUSTOM_BOT, 2 websockets each)", r.cfg.Chats)
	m := r.startMeter()
	chats, err := createChats(ctx, r.c, r.cfg.Chats, r.cfg.SetupWorkers, "bench customer", &r.tracking)
	r.chats = chats
	if err != nil {
		return nil, err
	}
	u := r.usage(m)
	return &SetupResult{
		Chats:       len(chats),
		Websockets:  2 * len(chats),
		Seconds:     u.WallSeconds,
		ChatsPerSec: float64(len(chats)) / u.WallSeconds,
		Usage:       u,
	}, nil
}

// errorBackoff is how long a closed-loop sender waits after a failed
// call, so a broken server does not turn into a busy loop.
const errorBackoff = 10 * time.Millisecond

// throughput runs every chat's closed loop for the configured duration.
// New calls stop at the deadline; calls in flight then are waited for and
// counted, and the elapsed time runs until the last of them answers.
func (r *runner) throughput(ctx context.Context) (*ThroughputResult, error) {
	r.progress("throughput: %d chats, %v, %s", len(r.chats), r.cfg.Duration, ThroughputMode)
	var (
		acked atomic.Int64
		errs  tally
		wg    sync.WaitGroup
		rtts  = make([][]time.Duration, len(r.chats))
	)
	m := r.startMeter()
	deadline := m.wall.Add(r.cfg.Duration)
	for i, ch := range r.chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := ch.customer
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				t0 := time.Now()
				_, err := r.c.sendMessage(ctx, from.connToken, "tp "+strconv.Itoa(n), uuid.NewString())
				if err != nil {
					errs.add(err)
					sleep(ctx, errorBackoff)
					continue
				}
				rtts[i] = append(rtts[i], time.Since(t0))
				acked.Add(1)
				from = ch.other(from)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u := r.usage(m)
	nerr, kinds := errs.result()
	res := &ThroughputResult{
		Mode:        ThroughputMode,
		Chats:       len(r.chats),
		Seconds:     u.WallSeconds,
		Messages:    acked.Load(),
		MsgsPerSec:  float64(acked.Load()) / u.WallSeconds,
		Errors:      nerr,
		ErrorKinds:  kinds,
		SendMessage: distribution(concat(rtts)),
		Usage:       u,
	}
	r.progress("throughput: %.0f msgs/s, %d errors", res.MsgsPerSec, res.Errors)
	return res, nil
}

// latency sends at rate messages per second in total, each chat on its own
// fixed schedule (staggered across chats), and matches every message to
// its arrival on the other participant's websocket by the sequence number
// in its content.
func (r *runner) latency(ctx context.Context, rate float64) (*LatencyResult, error) {
	n := len(r.chats)
	interval := time.Duration(float64(time.Second) * float64(n) / rate)
	if interval <= 0 {
		return nil, fmt.Errorf("rate %.0f/s is too high for %d chats", rate, n)
	}
	r.progress("latency: %.0f msgs/s over %d chats (one every %v per chat), %v", rate, n, interval.Round(time.Microsecond), r.cfg.Duration)
	for _, ch := range r.chats {
		ch.mu.Lock()
		clear(ch.pending)
		ch.arrivals = ch.arrivals[:0]
		ch.mu.Unlock()
	}
	r.tracking.Store(true)
	defer r.tracking.Store(false)

	var (
		sent, acked, skipped atomic.Int64
		errs                 tally
		sends                sync.WaitGroup
		pacers               sync.WaitGroup
		rtts                 = make([][]time.Duration, n)
		rttMu                = make([]sync.Mutex, n)
	)
	m := r.startMeter()
	start := m.wall.Add(10 * time.Millisecond)
	end := start.Add(r.cfg.Duration)
	for i, ch := range r.chats {
		pacers.Add(1)
		go func() {
			defer pacers.Done()
			var outstanding atomic.Int32
			first := start.Add(interval * time.Duration(i) / time.Duration(n))
			for k := uint64(0); ; k++ {
				at := first.Add(time.Duration(k) * interval)
				if !at.Before(end) || !sleepUntil(ctx, at) {
					return
				}
				if outstanding.Load() >= maxOutstanding {
					skipped.Add(1)
					continue
				}
				from := ch.customer
				if k%2 == 1 {
					from = ch.bot
				}
				outstanding.Add(1)
				sends.Add(1)
				sent.Add(1)
				go func() {
					defer sends.Done()
					defer outstanding.Add(-1)
					t0 := time.Now()
					ch.expect(k, t0)
					_, err := r.c.sendMessage(ctx, from.connToken, latencyPrefix+strconv.FormatUint(k, 10), uuid.NewString())
					if err != nil {
						ch.forget(k)
						errs.add(err)
						return
					}
					d := time.Since(t0)
					acked.Add(1)
					rttMu[i].Lock()
					rtts[i] = append(rtts[i], d)
					rttMu[i].Unlock()
				}()
			}
		}()
	}
	pacers.Wait()
	sends.Wait()
	// Wait for the stragglers on the websockets.
	graceEnd := time.Now().Add(deliveryGrace)
	for time.Now().Before(graceEnd) && ctx.Err() == nil {
		left := 0
		for _, ch := range r.chats {
			left += ch.outstanding()
		}
		if left == 0 {
			break
		}
		sleep(ctx, 20*time.Millisecond)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u := r.usage(m)
	var arrivals []time.Duration
	var lost int64
	for _, ch := range r.chats {
		ch.mu.Lock()
		arrivals = append(arrivals, ch.arrivals...)
		lost += int64(len(ch.pending))
		ch.mu.Unlock()
	}
	nerr, kinds := errs.result()
	res := &LatencyResult{
		Mode:         LatencyMode,
		Chats:        n,
		TargetRate:   rate,
		AchievedRate: float64(acked.Load()) / r.cfg.Duration.Seconds(),
		Seconds:      r.cfg.Duration.Seconds(),
		Sent:         sent.Load(),
		Acknowledged: acked.Load(),
		Delivered:    int64(len(arrivals)),
		Lost:         lost,
		Skipped:      skipped.Load(),
		Errors:       nerr,
		ErrorKinds:   kinds,
		Delivery:     distribution(arrivals),
		SendMessage:  distribution(concat(rtts)),
		Usage:        u,
	}
	r.progress("latency: achieved %.0f msgs/s, delivery p50 %.2f ms p99 %.2f ms, %d lost, %d errors",
		res.AchievedRate, res.Delivery.P50, res.Delivery.P99, res.Lost, res.Errors)
	return res, nil
}

// idle closes setup's chats, reads the server's memory, connects
// IdleChats more chats and leaves them idle for a moment, and reads it
// again.
func (r *runner) idle(ctx context.Context) (*IdleResult, error) {
	if len(r.chats) > 0 {
		r.progress("idle: ending the %d load chats (DisconnectParticipant)", len(r.chats))
		err := r.endChats(ctx, r.chats)
		r.chats = nil
		if err != nil {
			return nil, err
		}
		sleep(ctx, idleSettle)
	}
	res := &IdleResult{Chats: r.cfg.IdleChats, Websockets: 2 * r.cfg.IdleChats}
	var rssBefore int64
	var err error
	if r.child != nil {
		r.progress("idle: waiting for the server's memory to settle")
		if rssBefore, res.ThreadsBefore, err = settledRSS(ctx, r.child.pid()); err != nil {
			return nil, err
		}
	}
	r.progress("idle: creating %d idle chats (%d websockets)", r.cfg.IdleChats, 2*r.cfg.IdleChats)
	m := r.startMeter()
	chats, err := createChats(ctx, r.c, r.cfg.IdleChats, r.cfg.SetupWorkers, "idle customer", &r.tracking)
	defer func() {
		if r.child == nil { // leave an existing server as it was
			r.leave(ctx, chats)
		}
		closeAll(chats)
	}()
	if err != nil {
		return nil, err
	}
	res.SetupSeconds = time.Since(m.wall).Seconds()
	if !sleep(ctx, idleSettle) {
		return nil, ctx.Err()
	}
	res.Usage = r.usage(m)
	if r.child != nil {
		rssAfter, threads, err := settledRSS(ctx, r.child.pid())
		if err != nil {
			return nil, err
		}
		res.ThreadsAfter = threads
		before, after := mib(rssBefore), mib(rssAfter)
		per := (after - before) * 1000 / float64(r.cfg.IdleChats)
		res.RSSBeforeMiB, res.RSSAfterMiB, res.MiBPer1000Chats = &before, &after, &per
		r.progress("idle: server RSS %.1f -> %.1f MiB, %.1f MiB per 1000 idle chats", before, after, per)
	}
	for _, ch := range chats {
		select {
		case <-ch.customer.readerDone:
			return nil, errors.New("the server closed an idle chat's socket")
		case <-ch.bot.readerDone:
			return nil, errors.New("the server closed an idle chat's socket")
		default:
		}
	}
	return res, nil
}

// RSS settling: a Go server hands freed memory back to the OS gradually
// (a fresh one still holds, for instance, what hashing the bootstrap
// password took), so a single reading right after other work overstates
// its baseline.
const (
	rssPoll      = 250 * time.Millisecond
	rssQuiet     = 2 * time.Second  // no new low for this long: settled
	rssMaxSettle = 20 * time.Second // give up waiting and take the reading
	rssEpsilon   = 512 << 10        // a "new low" must be this much lower
)

// settledRSS reads a process's RSS until it has stopped falling, and
// returns the last reading.
func settledRSS(ctx context.Context, pid int) (rss int64, threads int, err error) {
	start := time.Now()
	low, lowAt := int64(-1), start
	for {
		rss, threads, err = procStatus(pid)
		if err != nil {
			return 0, 0, err
		}
		now := time.Now()
		if low < 0 || rss < low-rssEpsilon {
			low, lowAt = rss, now
		}
		if now.Sub(lowAt) >= rssQuiet || now.Sub(start) >= rssMaxSettle {
			return rss, threads, nil
		}
		if !sleep(ctx, rssPoll) {
			return 0, 0, ctx.Err()
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func concat(parts [][]time.Duration) []time.Duration {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]time.Duration, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// sleep waits for d or until ctx ends, and reports whether it slept fully.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleepUntil waits until t (returning at once if it has passed) or until
// ctx ends, and reports whether t was reached.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	return sleep(ctx, d)
}
