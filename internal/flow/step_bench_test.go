package flow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// logicFlow is a 20-block chat flow of blocks that touch no store: the
// interpreter's own cost per step (resolving references, choosing
// branches, building the flow-log record).
func logicFlow() string {
	var b strings.Builder
	b.WriteString(`{"Version":"2019-10-30","StartAction":"b0","Actions":[`)
	kinds := []string{
		`{"Identifier":"b{i}","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.tier"},"Transitions":{"NextAction":"b{n}","Conditions":[{"NextAction":"b{n}","Condition":{"Operator":"Equals","Operands":["gold"]}}],"Errors":[{"NextAction":"b{n}","ErrorType":"NoMatchingCondition"}]}}`,
		`{"Identifier":"b{i}","Type":"UpdateContactData","Parameters":{"Name":"Chat with $.Attributes.firstName about $.Attributes.topic"},"Transitions":{"NextAction":"b{n}","Errors":[{"NextAction":"b{n}","ErrorType":"NoMatchingError"}]}}`,
		`{"Identifier":"b{i}","Type":"DistributeByPercentage","Parameters":{},"Transitions":{"NextAction":"b{n}","Conditions":[{"NextAction":"b{n}","Condition":{"Operator":"NumberLessThan","Operands":["50"]}}],"Errors":[{"NextAction":"b{n}","ErrorType":"NoMatchingCondition"}]}}`,
		`{"Identifier":"b{i}","Type":"TagContact","Parameters":{"Tags":{"segment":"$.Attributes.tier","source":"web"}},"Transitions":{"NextAction":"b{n}"}}`,
		`{"Identifier":"b{i}","Type":"UpdateContactRoutingBehavior","Parameters":{"QueuePriority":"2"},"Transitions":{"NextAction":"b{n}"}}`,
	}
	for i := 0; i < 19; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		r := strings.NewReplacer("{i}", fmt.Sprint(i), "{n}", fmt.Sprint(i+1))
		b.WriteString(r.Replace(kinds[i%len(kinds)]))
	}
	b.WriteString(`,{"Identifier":"b19","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`)
	return b.String()
}

// BenchmarkFlowStep measures one block of a 20-block flow, without store
// writes (the flow-log records are built but not stored).
func BenchmarkFlowStep(b *testing.B) {
	f, err := Parse([]byte(logicFlow()))
	if err != nil {
		b.Fatal(err)
	}
	if problems := Errors(Validate(f, ContactFlow, nil)); len(problems) > 0 {
		b.Fatalf("the benchmark flow is invalid: %v", problems)
	}
	s := New(nil, nil, nil, Config{})
	c := store.Contact{ID: "c1", InstanceID: "i1", Channel: "CHAT", State: store.ContactActive,
		Attributes: map[string]string{"tier": "gold", "firstName": "Ana", "topic": "billing"}}
	cx := &chat.Tx{Contact: c}
	ref := flowRef{ID: "f1", Version: 1, Type: ContactFlow, Name: "bench"}
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		x := &exec{s: s, cx: cx, st: &runState{}, now: start, ref: ref, flow: f}
		if _, err := x.runFrom(f.StartAction, nil); err != nil {
			b.Fatal(err)
		}
		steps += x.steps
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}
