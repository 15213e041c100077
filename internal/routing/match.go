package routing

import (
	"container/heap"
	"time"
)

// This file is the assignment rule, free of I/O so it can be tested with
// thousands of random cases: given the agents with free slots and the
// contacts waiting, which contact goes to which agent.
//
// The rule, as Connect documents it: the agent idle longest (in Available
// the longest, or offered a contact the longest ago) goes first and takes
// the best contact their routing profile allows: the queue with the best
// (lowest) profile priority that has an eligible contact, and in it the
// contact with the best contact priority, then the longest wait. A contact
// is eligible for an agent once it has waited the queue's delay in the
// agent's profile. Every agent serves their own agent queue first. The
// agent then goes to the back of the line and the next one chooses, until
// no agent with a free slot can take any waiting contact.

// freeAgent is an agent with free chat slots, as matching sees it.
type freeAgent struct {
	userID       string
	free         int
	lastRoutedAt time.Time
	// queues the agent serves, best profile priority first.
	queues []servedQueue
}

// servedQueue is one queue of an agent's routing profile.
type servedQueue struct {
	queueID  string
	priority int
	delay    time.Duration
}

// waitingContact is a queued contact, as matching sees it.
type waitingContact struct {
	contactID    string
	queueID      string // agentQueues for contacts waiting for one agent
	targetUserID string
	priority     int
	rankAt       time.Time
	enqueuedAt   time.Time
}

// planned is one offer a pass decided on.
type planned struct {
	contactID string
	userID    string
	queueID   string
}

// agentQueues is the queue key under which every contact transferred to
// one agent waits (its TargetUserID says which): one store read finds all.
const agentQueues = "agent"

// matchResult is what a pass decided.
type matchResult struct {
	offers []planned
	// wake is the earliest time a contact that was held back only by a
	// profile's delay becomes eligible for some agent with a free slot
	// (zero if none).
	wake time.Time
}

// match decides offers. queues maps a queue ID to its waiting contacts in
// service order (priority, rank); the slices are not modified.
func match(agents []freeAgent, queues map[string][]waitingContact, now time.Time) matchResult {
	var res matchResult
	taken := make(map[string]bool)
	// head[q] skips contacts at the front of queue q already taken, so
	// long queues are not rescanned from the start for every agent.
	head := make(map[string]int, len(queues))

	h := make(agentHeap, 0, len(agents))
	for i := range agents {
		if agents[i].free > 0 {
			h = append(h, &agents[i])
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		a := h[0]
		c, wake := a.best(queues, taken, head, now)
		if !wake.IsZero() && (res.wake.IsZero() || wake.Before(res.wake)) {
			res.wake = wake
		}
		if c == nil {
			heap.Pop(&h)
			continue
		}
		taken[c.contactID] = true
		queueID := c.queueID
		if queueID == agentQueues {
			queueID = AgentQueueID(a.userID)
		}
		res.offers = append(res.offers, planned{contactID: c.contactID, userID: a.userID, queueID: queueID})
		a.free--
		a.lastRoutedAt = now
		if a.free == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return res
}

// best returns the contact agent a should take next, or nil, and the
// earliest time a contact held back by delay becomes eligible for a.
func (a *freeAgent) best(queues map[string][]waitingContact, taken map[string]bool, head map[string]int, now time.Time) (*waitingContact, time.Time) {
	var wake time.Time
	// The agent's own queue comes first, whatever the profile says.
	for _, c := range queues[agentQueues] {
		if c.targetUserID == a.userID && !taken[c.contactID] {
			return &c, wake
		}
	}
	var best *waitingContact
	bestPrio := 0
	for _, sq := range a.queues {
		if best != nil && sq.priority > bestPrio {
			break // queues are sorted: no later queue can beat best
		}
		list := queues[sq.queueID]
		i := head[sq.queueID]
		for i < len(list) && taken[list[i].contactID] {
			i++
		}
		head[sq.queueID] = i
		for ; i < len(list); i++ {
			c := &list[i]
			if taken[c.contactID] {
				continue
			}
			if eligible := c.enqueuedAt.Add(sq.delay); eligible.After(now) {
				if wake.IsZero() || eligible.Before(wake) {
					wake = eligible
				}
				continue
			}
			if best == nil || before(c, best) {
				best, bestPrio = c, sq.priority
			}
			break // the first eligible contact is the queue's best
		}
	}
	return best, wake
}

// before reports whether contact a is served before b (across queues of
// equal profile priority: contact priority, then longest wait).
func before(a, b *waitingContact) bool {
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	if !a.rankAt.Equal(b.rankAt) {
		return a.rankAt.Before(b.rankAt)
	}
	return a.contactID < b.contactID
}

// agentHeap orders agents idle longest first.
type agentHeap []*freeAgent

func (h agentHeap) Len() int { return len(h) }
func (h agentHeap) Less(i, j int) bool {
	if !h[i].lastRoutedAt.Equal(h[j].lastRoutedAt) {
		return h[i].lastRoutedAt.Before(h[j].lastRoutedAt)
	}
	return h[i].userID < h[j].userID
}
func (h agentHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *agentHeap) Push(x any)   { *h = append(*h, x.(*freeAgent)) }
func (h *agentHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
