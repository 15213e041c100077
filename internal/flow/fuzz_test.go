package flow

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{"inbound.json", "disconnect.json", "customer_queue.json", "agent_whisper.json", "queue_transfer.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Loop","Parameters":{"LoopCount":"x"},"Transitions":{"NextAction":"a"}}]}`))
	f.Add([]byte(`{"Version":"2019-10-30","StartAction":"","Actions":[{"Identifier":"","Type":"DistributeByPercentage","Transitions":{"Conditions":[{"Condition":{"Operator":"NumberLessThan","Operands":[]}}]}}]}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		fl, err := Parse(content)
		if err != nil {
			return
		}
		for _, ft := range append(FlowTypes, "") {
			Validate(fl, ft, nil)
		}
		Validate(fl, ContactFlow, instanceRefs)
		again, err := Parse(fl.Content())
		if err != nil {
			t.Fatalf("Parse(Content()): %v", err)
		}
		if !bytes.Equal(again.Metadata, fl.Metadata) {
			t.Fatalf("Metadata changed: %q → %q", fl.Metadata, again.Metadata)
		}
	})
}
