package flow_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/store/testdb"
)

// queueOnlyFlow is the baseline: the inbound flow Parley used to ship,
// which only queues the chat in BasicQueue.
const queueOnlyFlow = `{"Version":"2019-10-30","StartAction":"q","Actions":[
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"{{basicQueue}}"},"Transitions":{"NextAction":"t","Errors":[{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"t","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"end","Errors":[{"NextAction":"end","ErrorType":"QueueAtCapacity"},{"NextAction":"end","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"end","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// BenchmarkStartChat measures StartChat (the domain call behind
// StartChatContact) with the default inbound flow against the queue-only
// baseline, on SQLite: ns/op, and p50/p99 of single calls in ms.
func BenchmarkStartChat(b *testing.B) {
	e := newEnv(b, testdb.Drivers[0].Open(b))
	flows := map[string]string{
		"queue-only":   e.createFlow("Queue only", flow.ContactFlow, queueOnlyFlow, nil),
		"default-flow": e.boot.InboundFlowID,
	}
	for _, name := range []string{"queue-only", "default-flow"} {
		b.Run(name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := e.chat.StartChat(e.ctx, e.boot.InstanceID, chat.StartInput{ContactFlowID: flows[name], DisplayName: "Ana",
					Attributes: map[string]string{"customerName": "Ana"}}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}
