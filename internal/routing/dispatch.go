package routing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/store"
)

// Timer kinds routing registers with the timer scheduler.
const (
	TimerOffer = "routing.offer" // an offer's deadline
	TimerACW   = "routing.acw"   // the end of an agent's after-contact work
)

// TimerKinds lists the timer kinds HandleTimer serves.
var TimerKinds = []string{TimerOffer, TimerACW}

// safetyPass is how often every instance gets a pass even without a kick:
// it bounds the delay of anything a kick missed (a kick lost with a
// crashed node, a queue opening on its hours).
const safetyPass = time.Second

// dispatcher runs routing passes for the instances that were kicked, one
// pass at a time per node; the routing lock serialises passes of several
// nodes.
type dispatcher struct {
	s    *Service
	wake chan struct{}

	mu    sync.Mutex
	dirty map[string]bool
	// timers are pending delayed kicks (a contact becoming eligible after
	// a profile's delay), one per instance.
	timers map[string]*time.Timer
}

func newDispatcher(s *Service) *dispatcher {
	return &dispatcher{s: s, wake: make(chan struct{}, 1), dirty: map[string]bool{}, timers: map[string]*time.Timer{}}
}

// kick asks for a pass of an instance soon.
func (d *dispatcher) kick(instanceID string) {
	d.mu.Lock()
	d.dirty[instanceID] = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// kickAt asks for a pass of an instance at t (the earliest request wins).
func (d *dispatcher) kickAt(instanceID string, t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.timers[instanceID]; old != nil {
		old.Stop()
	}
	d.timers[instanceID] = time.AfterFunc(max(0, time.Until(t)), func() { d.kick(instanceID) })
}

func (d *dispatcher) run(ctx context.Context) error {
	tick := time.NewTicker(safetyPass)
	defer tick.Stop()
	defer func() {
		d.mu.Lock()
		for _, t := range d.timers {
			t.Stop()
		}
		d.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-tick.C:
			insts, err := d.s.store.ListInstances(ctx)
			if err != nil {
				if ctx.Err() == nil {
					d.s.log.Warn("routing: list instances", "err", err)
				}
				continue
			}
			d.mu.Lock()
			for _, in := range insts {
				d.dirty[in.ID] = true
			}
			d.mu.Unlock()
		}
		d.mu.Lock()
		todo := make([]string, 0, len(d.dirty))
		for id := range d.dirty {
			todo = append(todo, id)
		}
		clear(d.dirty)
		d.mu.Unlock()
		for _, id := range todo {
			r, err := d.s.pass(ctx, id)
			if err != nil {
				if ctx.Err() == nil {
					d.s.log.Error("routing pass failed", "instance_id", id, "err", err)
				}
				continue
			}
			if r.more {
				d.kick(id)
			}
			if !r.wake.IsZero() {
				d.kickAt(id, r.wake)
			}
		}
	}
}

// passResult is what one pass did.
type passResult struct {
	offers []store.Assignment
	// more: a queue read was cut at its limit, so another pass may find
	// more to offer.
	more bool
	wake time.Time
}

// queueMargin is how many contacts beyond the free slots serving it a
// pass reads from each queue, for contacts held back by a delay.
const queueMargin = 16

// pass matches the free agents of an instance with its waiting contacts
// and writes the offers, all in one transaction under the routing lock.
func (s *Service) pass(ctx context.Context, instanceID string) (passResult, error) {
	var res passResult
	err := s.store.Write(ctx, func(tx store.Tx) error {
		res = passResult{}
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		// The time is read under the lock: waiting for it (PostgreSQL,
		// behind other routing changes) must not age the pass's offers.
		now := s.clock()
		agents, err := tx.ListAgents(instanceID)
		if err != nil {
			return err
		}
		agents = slices.DeleteFunc(agents, func(a store.Agent) bool { return !a.Routable || a.ChatsUsed >= a.ChatSlots })
		if len(agents) == 0 {
			return nil
		}
		cfg, err := loadConfig(tx, instanceID)
		if err != nil {
			return err
		}
		free := make([]freeAgent, 0, len(agents))
		demand := map[string]int{}
		totalFree := 0
		open := make(map[string]bool, len(cfg.queues)) // once per queue, not per agent
		isOpen := func(queueID string) bool {
			o, ok := open[queueID]
			if !ok {
				o = cfg.open(queueID, now)
				open[queueID] = o
			}
			return o
		}
		for _, a := range agents {
			fa := freeAgent{userID: a.UserID, free: a.ChatSlots - a.ChatsUsed, lastRoutedAt: a.LastRoutedAt}
			totalFree += fa.free
			if p, ok := cfg.profiles[a.RoutingProfileID]; ok {
				for _, pq := range p.Queues {
					if pq.Channel != ChannelChat || !isOpen(pq.QueueID) {
						continue
					}
					fa.queues = append(fa.queues, servedQueue{queueID: pq.QueueID, priority: pq.Priority, delay: time.Duration(pq.Delay) * time.Second})
					demand[pq.QueueID] += fa.free
				}
				slices.SortStableFunc(fa.queues, func(a, b servedQueue) int { return a.priority - b.priority })
			}
			free = append(free, fa)
		}
		demand[agentQueues] = totalFree
		limits := make(map[string]int, len(demand))
		for q, n := range demand {
			limits[q] = n + queueMargin
		}
		heads, err := tx.ListQueued(instanceID, limits)
		if err != nil {
			return err
		}
		queues := make(map[string][]waitingContact, len(heads))
		rows := map[string]store.ContactRouting{}
		for q, list := range heads {
			if len(list) == limits[q] {
				res.more = true
			}
			ws := make([]waitingContact, len(list))
			for i, r := range list {
				rows[r.ContactID] = r
				ws[i] = waitingContact{contactID: r.ContactID, queueID: r.QueueID, targetUserID: r.TargetUserID,
					priority: r.Priority, rankAt: r.RankAt, enqueuedAt: r.EnqueuedAt}
			}
			queues[q] = ws
		}
		m := match(free, queues, now)
		res.wake = m.wake
		if len(m.offers) == 0 {
			res.more = false
			return nil
		}
		byUser := make(map[string]*store.Agent, len(agents))
		for i := range agents {
			byUser[agents[i].UserID] = &agents[i]
		}
		for _, o := range m.offers {
			a := byUser[o.userID]
			a.ChatsUsed++
			a.LastRoutedAt = now
			a.UpdatedAt = now
			r := rows[o.contactID]
			r.State = store.RoutingOffered
			r.AgentID = o.userID
			r.UpdatedAt = now
			if err := tx.PutContactRouting(r); err != nil {
				return err
			}
			as := store.Assignment{
				ID: uuid.NewString(), InstanceID: instanceID, ContactID: o.contactID, UserID: o.userID,
				QueueID: o.queueID, State: store.AssignmentOffered, OfferedAt: now,
				ExpiresAt: now.Add(s.offerTimeout), UpdatedAt: now,
			}
			if err := tx.PutAssignment(as); err != nil {
				return err
			}
			if err := tx.PutTimer(store.Timer{ID: offerTimerID(as.ID), Kind: TimerOffer, InstanceID: instanceID, ContactID: o.contactID, Due: as.ExpiresAt, Payload: as.ID}); err != nil {
				return err
			}
			res.offers = append(res.offers, as)
		}
		for _, a := range byUser {
			if a.UpdatedAt.Equal(now) {
				if err := tx.PutAgent(*a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return passResult{}, fmt.Errorf("routing pass: %w", err)
	}
	for _, as := range res.offers {
		s.notifyAgent(ctx, instanceID, as.UserID, AgentEvent{Type: EventOffer, ContactID: as.ContactID, Assignment: assignmentView(as)})
	}
	if len(res.offers) > 0 {
		s.kickTimers()
	}
	return res, nil
}

func offerTimerID(assignmentID string) string { return TimerOffer + ":" + assignmentID }
func acwTimerID(assignmentID string) string   { return TimerACW + ":" + assignmentID }

// config is an instance's routing configuration, read once per pass.
type config struct {
	profiles map[string]RoutingProfile
	queues   map[string]Queue
	hours    map[string]HoursOfOperation
}

func loadConfig(tx store.Tx, instanceID string) (config, error) {
	cfg := config{profiles: map[string]RoutingProfile{}, queues: map[string]Queue{}, hours: map[string]HoursOfOperation{}}
	if err := loadKind(tx, instanceID, store.KindRoutingProfile, decodeProfile, cfg.profiles); err != nil {
		return cfg, err
	}
	if err := loadKind(tx, instanceID, store.KindQueue, decodeQueue, cfg.queues); err != nil {
		return cfg, err
	}
	if err := loadKind(tx, instanceID, store.KindHours, decodeHours, cfg.hours); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func loadKind[T any](tx store.Tx, instanceID, kind string, decode func(store.Resource) (T, error), into map[string]T) error {
	rs, err := tx.ListResources(instanceID, kind)
	if err != nil {
		return fmt.Errorf("load %s: %w", kind, err)
	}
	for _, r := range rs {
		v, err := decode(r)
		if err != nil {
			return err
		}
		into[r.ID] = v
	}
	return nil
}

// open reports whether a queue takes offers now: it exists, is enabled,
// and its hours of operation are open.
func (c config) open(queueID string, now time.Time) bool {
	q, ok := c.queues[queueID]
	if !ok || q.Status == QueueDisabled {
		return false
	}
	if q.HoursOfOperationID == "" {
		return true
	}
	h, ok := c.hours[q.HoursOfOperationID]
	if !ok {
		return true
	}
	open, err := h.OpenAt(now)
	return err == nil && open
}
