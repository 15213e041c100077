package flow

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/parley-chat/parley/internal/store"
)

// versionCache keeps parsed flow versions. Versions never change once
// published, so entries never go stale; the cache only bounds memory.
type versionCache struct {
	mu    sync.Mutex
	max   int
	flows map[string]*Flow
}

func newVersionCache(max int) *versionCache {
	return &versionCache{max: max, flows: make(map[string]*Flow)}
}

func versionKey(instanceID, flowID string, version int) string {
	return instanceID + "/" + flowID + "/" + strconv.Itoa(version)
}

func (c *versionCache) get(key string) *Flow {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flows[key]
}

func (c *versionCache) put(key string, f *Flow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.flows) >= c.max {
		for k := range c.flows { // drop an arbitrary entry: any is cheap to reload
			delete(c.flows, k)
			break
		}
	}
	c.flows[key] = f
}

// versionReader is where a published version is read from: a store.Tx
// inside a transaction.
type versionReader interface {
	GetFlowVersion(instanceID, flowID string, version int) (store.FlowVersion, error)
}

// loadVersion returns a published flow version, parsed.
func (s *Service) loadVersion(tx versionReader, instanceID, flowID string, version int) (*Flow, error) {
	key := versionKey(instanceID, flowID, version)
	if f := s.versions.get(key); f != nil {
		return f, nil
	}
	v, err := tx.GetFlowVersion(instanceID, flowID, version)
	if err != nil {
		return nil, fmt.Errorf("load flow %s version %d: %w", flowID, version, err)
	}
	f, err := Parse([]byte(v.Content))
	if err != nil {
		return nil, fmt.Errorf("load flow %s version %d: %w", flowID, version, err)
	}
	s.versions.put(key, f)
	return f, nil
}
