package bootstrap

import (
	"embed"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/store"
)

// flowFiles are the flows every new instance starts with, in the flow
// language, as a Connect export would hold them. "{{name}}" stands for
// the ID of the instance's resource or flow of that name.
//
//go:embed flows/*.json
var flowFiles embed.FS

// defaultFlow is one flow bootstrap installs.
type defaultFlow struct {
	key, file, name, flowType, description string
}

var defaultFlowList = []defaultFlow{
	{"inbound", "inbound.json", "Default inbound flow", "CONTACT_FLOW", "Greets the customer, sets the disconnect, customer queue and agent whisper flows, and transfers to BasicQueue."},
	{"disconnect", "disconnect.json", "Sample disconnect flow", "CONTACT_FLOW", "After the agent leaves, waits 15 minutes for the customer to return; a returning customer goes back to their agent, or to BasicQueue."},
	{"customerQueue", "customer_queue.json", "Default customer queue", "CUSTOMER_QUEUE", "Reminds a waiting customer every 3 minutes that they are still in line."},
	{"agentWhisper", "agent_whisper.json", "Default agent whisper", "AGENT_WHISPER", "Remembers the agent for the disconnect flow and tells the agent the queue."},
	{"customerWhisper", "customer_whisper.json", "Default customer whisper", "CUSTOMER_WHISPER", "Does nothing: chat has no beep."},
	{"queueTransfer", "queue_transfer.json", "Default queue transfer", "QUEUE_TRANSFER", "Transfers to the quick connect's queue, telling the customer if it is closed or unstaffed."},
	{"agentTransfer", "agent_transfer.json", "Default agent transfer", "AGENT_TRANSFER", "Tells the customer they are being transferred, then transfers to the agent."},
}

// defaultFlows returns the instance's starting flows, all published; the
// inbound one has ID res.InboundFlowID.
func defaultFlows(res Result, now time.Time) []store.ContactFlow {
	ids := map[string]string{"basicQueue": res.BasicQueueID}
	for _, d := range defaultFlowList {
		ids[d.key] = uuid.NewString()
	}
	ids["inbound"] = res.InboundFlowID
	var pairs []string
	for k, v := range ids {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	fill := strings.NewReplacer(pairs...)
	flows := make([]store.ContactFlow, 0, len(defaultFlowList))
	for _, d := range defaultFlowList {
		raw, err := flowFiles.ReadFile("flows/" + d.file)
		if err != nil {
			panic("bootstrap: missing embedded flow " + d.file) // a build error, not a runtime one
		}
		flows = append(flows, store.ContactFlow{
			ID: ids[d.key], InstanceID: res.InstanceID, Name: d.name, Type: d.flowType, Description: d.description,
			Status: store.FlowPublished, State: store.FlowActive, Content: fill.Replace(string(raw)), Version: 1,
			Tags: map[string]string{}, CreatedAt: now, UpdatedAt: now,
		})
	}
	return flows
}
