package bootstrap

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/flow"
)

// TestDefaultFlowsValidate checks that every flow bootstrap installs
// passes publish validation against the resources it installs with it.
func TestDefaultFlowsValidate(t *testing.T) {
	t.Parallel()
	res := Result{InstanceID: "i", InboundFlowID: "in", BasicQueueID: "basic"}
	flows := defaultFlows(res, time.Now())
	refs := resolver{queues: map[string]bool{"basic": true}, flows: map[string]bool{}}
	for _, f := range flows {
		refs.flows[f.ID] = true
	}
	for _, f := range flows {
		parsed, err := flow.Parse([]byte(f.Content))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, p := range flow.Validate(parsed, f.Type, refs) {
			t.Errorf("%s: %s", f.Name, p)
		}
		if strings.Contains(f.Content, "{{") {
			t.Errorf("%s: unfilled placeholder", f.Name)
		}
	}
}

type resolver struct{ queues, flows map[string]bool }

func (r resolver) QueueExists(id string) bool { return r.queues[id] }
func (r resolver) FlowExists(id string) bool  { return r.flows[id] }
func (r resolver) HoursExists(string) bool    { return true }
func (r resolver) UserExists(string) bool     { return true }
