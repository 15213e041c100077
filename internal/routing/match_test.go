package routing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestMatchRules(t *testing.T) {
	t.Parallel()
	q := func(id string, prio int, delay time.Duration) servedQueue {
		return servedQueue{queueID: id, priority: prio, delay: delay}
	}
	wc := func(id, queue string, prio int, waited time.Duration) waitingContact {
		return waitingContact{contactID: id, queueID: queue, priority: prio, rankAt: t0.Add(-waited), enqueuedAt: t0.Add(-waited)}
	}
	tests := []struct {
		name   string
		agents []freeAgent
		queues map[string][]waitingContact
		want   []planned
	}{
		{
			name: "longest idle agent gets the contact",
			agents: []freeAgent{
				{userID: "recent", free: 1, lastRoutedAt: t0.Add(-time.Minute), queues: []servedQueue{q("A", 1, 0)}},
				{userID: "idle", free: 1, lastRoutedAt: t0.Add(-time.Hour), queues: []servedQueue{q("A", 1, 0)}},
			},
			queues: map[string][]waitingContact{"A": {wc("c1", "A", 5, time.Second)}},
			want:   []planned{{"c1", "idle", "A"}},
		},
		{
			name: "profile priority beats wait time",
			agents: []freeAgent{
				{userID: "u", free: 1, queues: []servedQueue{q("high", 1, 0), q("low", 2, 0)}},
			},
			queues: map[string][]waitingContact{
				"low":  {wc("old", "low", 5, time.Hour)},
				"high": {wc("new", "high", 5, time.Second)},
			},
			want: []planned{{"new", "u", "high"}},
		},
		{
			name: "equal profile priority: contact priority, then wait",
			agents: []freeAgent{
				{userID: "u", free: 2, queues: []servedQueue{q("A", 1, 0), q("B", 1, 0)}},
			},
			queues: map[string][]waitingContact{
				"A": {wc("a-old", "A", 5, time.Hour)},
				"B": {wc("b-urgent", "B", 1, time.Second)},
			},
			want: []planned{{"b-urgent", "u", "B"}, {"a-old", "u", "A"}},
		},
		{
			name: "delay holds a contact back",
			agents: []freeAgent{
				{userID: "u", free: 1, queues: []servedQueue{q("A", 1, time.Minute)}},
			},
			queues: map[string][]waitingContact{"A": {wc("c", "A", 5, time.Second)}},
			want:   nil,
		},
		{
			name: "agent queue comes first and only for its agent",
			agents: []freeAgent{
				{userID: "a", free: 1, lastRoutedAt: t0.Add(-time.Hour), queues: []servedQueue{q("A", 1, 0)}},
				{userID: "b", free: 1, lastRoutedAt: t0, queues: []servedQueue{q("A", 1, 0)}},
			},
			queues: map[string][]waitingContact{
				"A":         {wc("queued", "A", 5, time.Hour)},
				agentQueues: {{contactID: "for-b", queueID: agentQueues, targetUserID: "b", priority: 5, rankAt: t0, enqueuedAt: t0}},
			},
			want: []planned{{"queued", "a", "A"}, {"for-b", "b", AgentQueueID("b")}},
		},
		{
			name: "concurrency: agents take turns",
			agents: []freeAgent{
				{userID: "a", free: 2, lastRoutedAt: t0.Add(-2 * time.Hour), queues: []servedQueue{q("A", 1, 0)}},
				{userID: "b", free: 2, lastRoutedAt: t0.Add(-time.Hour), queues: []servedQueue{q("A", 1, 0)}},
			},
			queues: map[string][]waitingContact{"A": {wc("1", "A", 5, 4*time.Second), wc("2", "A", 5, 3*time.Second), wc("3", "A", 5, 2*time.Second)}},
			want:   []planned{{"1", "a", "A"}, {"2", "b", "A"}, {"3", "a", "A"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := match(slices.Clone(tc.agents), tc.queues, t0).offers
			if !slices.Equal(got, tc.want) {
				t.Fatalf("offers: got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMatchProperties checks the invariants of the rule over thousands of
// random situations: no agent over capacity, no contact offered twice,
// nobody starved (no free agent left while a contact it may take waits),
// and each agent's first offer is the best it could take.
func TestMatchProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		agents, queues := randomSituation(rng)
		before := slices.Clone(agents)
		res := match(agents, queues, t0)

		used := map[string]int{}
		offered := map[string]bool{}
		for _, o := range res.offers {
			if offered[o.contactID] {
				t.Fatalf("case %d: contact %s offered twice", iter, o.contactID)
			}
			offered[o.contactID] = true
			used[o.userID]++
		}
		for _, a := range before {
			if used[a.userID] > a.free {
				t.Fatalf("case %d: agent %s got %d offers with %d free slots", iter, a.userID, used[a.userID], a.free)
			}
		}
		for _, a := range before {
			if used[a.userID] == a.free {
				continue
			}
			// a still has a free slot: no contact it may take is left.
			for _, sq := range a.queues {
				for _, c := range queues[sq.queueID] {
					if !offered[c.contactID] && !c.enqueuedAt.Add(sq.delay).After(t0) {
						t.Fatalf("case %d: agent %s has a free slot but contact %s waits in its queue %s", iter, a.userID, c.contactID, sq.queueID)
					}
				}
			}
			for _, c := range queues[agentQueues] {
				if c.targetUserID == a.userID && !offered[c.contactID] {
					t.Fatalf("case %d: contact %s waits for agent %s, who has a free slot", iter, c.contactID, a.userID)
				}
			}
		}
		for _, o := range res.offers {
			if o.queueID == AgentQueueID(o.userID) {
				continue
			}
			found := false
			for _, a := range before {
				if a.userID != o.userID {
					continue
				}
				for _, sq := range a.queues {
					found = found || sq.queueID == o.queueID
				}
			}
			if !found {
				t.Fatalf("case %d: agent %s offered contact %s from queue %s it does not serve", iter, o.userID, o.contactID, o.queueID)
			}
		}
		// Held back contacts set the wake time.
		if !res.wake.IsZero() && !res.wake.After(t0) {
			t.Fatalf("case %d: wake %v is not in the future", iter, res.wake)
		}
	}
}

func randomSituation(rng *rand.Rand) ([]freeAgent, map[string][]waitingContact) {
	nQueues := 1 + rng.IntN(6)
	nAgents := 1 + rng.IntN(8)
	queues := map[string][]waitingContact{}
	id := 0
	for q := range nQueues {
		qid := fmt.Sprintf("q%d", q)
		var list []waitingContact
		for range rng.IntN(12) {
			waited := time.Duration(rng.IntN(600)) * time.Second
			list = append(list, waitingContact{contactID: fmt.Sprintf("c%d", id), queueID: qid, priority: 1 + rng.IntN(5),
				rankAt: t0.Add(-waited), enqueuedAt: t0.Add(-waited)})
			id++
		}
		slices.SortFunc(list, func(a, b waitingContact) int {
			if before(&a, &b) {
				return -1
			}
			return 1
		})
		queues[qid] = list
	}
	var agents []freeAgent
	for a := range nAgents {
		fa := freeAgent{userID: fmt.Sprintf("u%d", a), free: rng.IntN(4), lastRoutedAt: t0.Add(-time.Duration(rng.IntN(3600)) * time.Second)}
		for q := range nQueues {
			if rng.IntN(2) == 0 {
				fa.queues = append(fa.queues, servedQueue{queueID: fmt.Sprintf("q%d", q), priority: 1 + rng.IntN(3), delay: time.Duration(rng.IntN(3)*60) * time.Second})
			}
		}
		slices.SortStableFunc(fa.queues, func(a, b servedQueue) int { return a.priority - b.priority })
		agents = append(agents, fa)
	}
	for range rng.IntN(3) {
		target := fmt.Sprintf("u%d", rng.IntN(nAgents))
		queues[agentQueues] = append(queues[agentQueues], waitingContact{contactID: fmt.Sprintf("c%d", id), queueID: agentQueues, targetUserID: target, priority: 5, rankAt: t0, enqueuedAt: t0})
		id++
	}
	return agents, queues
}
