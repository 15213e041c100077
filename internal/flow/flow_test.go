package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestParse(t *testing.T) {
	t.Parallel()
	manyActions := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `{"Identifier":"a` + strings.Repeat("x", i%3) + `","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`
		}
		return `{"Version":"2019-10-30","StartAction":"a","Actions":[` + strings.Join(parts, ",") + `]}`
	}
	padded := func(n int, pad string) string {
		base := `{"Version":"2019-10-30","StartAction":"a","Actions":[],"Metadata":{"p":""}}`
		fill := n - len([]rune(base))
		return strings.Replace(base, `"p":""`, `"p":"`+strings.Repeat(pad, fill)+`"`, 1)
	}
	tests := []struct {
		name    string
		content string
		wantErr bool
	}{
		{"minimal", `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`, false},
		{"empty", ``, true},
		{"not json", `{"Version":`, true},
		{"not an object", `[]`, true},
		{"null", `null`, true},
		{"missing version", `{"StartAction":"a","Actions":[]}`, true},
		{"wrong version", `{"Version":"2020-01-01","StartAction":"a","Actions":[]}`, true},
		{"version not a string", `{"Version":20191030,"StartAction":"a","Actions":[]}`, true},
		{"actions not an array", `{"Version":"2019-10-30","StartAction":"a","Actions":{}}`, true},
		{"action not an object", `{"Version":"2019-10-30","StartAction":"a","Actions":["a"]}`, true},
		{"parameters an array", `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Wait","Parameters":[]}]}`, true},
		{"transitions an array", `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Wait","Transitions":[]}]}`, true},
		{"operand not a string", `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"Compare","Transitions":{"Conditions":[{"NextAction":"a","Condition":{"Operator":"Equals","Operands":[1]}}]}}]}`, true},
		{"metadata not an object", `{"Version":"2019-10-30","StartAction":"a","Metadata":[],"Actions":[]}`, true},
		{"null parameters and transitions", `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"EndFlowExecution","Parameters":null,"Transitions":null}]}`, false},
		{"250 actions", manyActions(250), false},
		{"251 actions", manyActions(251), true},
		{"invalid utf-8", "{\"Version\":\"2019-10-30\",\"StartAction\":\"\xff\",\"Actions\":[]}", true},
		{"256000 characters", padded(256000, "x"), false},
		{"256000 two-byte characters", padded(256000, "é"), false},
		{"256001 characters", padded(256001, "x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse([]byte(tt.content))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Parse: got a flow, want an error")
				}
				if !errors.Is(err, ErrInvalidContent) {
					t.Fatalf("Parse: got %v, want an error wrapping ErrInvalidContent", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: got %v, want no error", err)
			}
			if f.Version != Version {
				t.Fatalf("Version: got %q, want %q", f.Version, Version)
			}
		})
	}
}

func TestParseTestdata(t *testing.T) {
	t.Parallel()
	f, err := Parse(readTestdata(t, "inbound.json"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.StartAction != "Welcome Message" || len(f.Actions) != 10 {
		t.Fatalf("got StartAction %q and %d actions, want %q and 10", f.StartAction, len(f.Actions), "Welcome Message")
	}
	if _, ok := f.Extra["Settings"]; !ok {
		t.Fatalf("Settings not kept: Extra = %v", f.Extra)
	}
	hours := f.Action("hours")
	if hours == nil || len(hours.Transitions.Conditions) != 2 || hours.Transitions.Conditions[1].Condition.Operands[0] != "False" {
		t.Fatalf("hours: got %+v", hours)
	}
	attrs, ok := f.Action("set-attrs").ParamStringMap("Attributes")
	if !ok || attrs["entry"] != "web-chat" {
		t.Fatalf("ParamStringMap(Attributes): got %v, %v", attrs, ok)
	}
	if f.Action("nope") != nil {
		t.Fatalf("Action(nope): got an action, want nil")
	}
}

func TestParamHelpers(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(`{"Version":"2019-10-30","StartAction":"w","Actions":[{"Identifier":"w","Type":"Wait",
		"Parameters":{"TimeLimitSeconds":900,"Flag":true,"Events":["CustomerReturned"],"Obj":{"a":"b","n":1},"Nested":{"a":{}}}}]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	a := f.Actions[0]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"number as string", first(a.ParamString("TimeLimitSeconds")), "900"},
		{"bool as string", first(a.ParamString("Flag")), "true"},
		{"missing string", second(a.ParamString("Nope")), false},
		{"object is not a string", second(a.ParamString("Obj")), false},
		{"strings", first(a.ParamStrings("Events")), []string{"CustomerReturned"}},
		{"string map", first(a.ParamStringMap("Obj")), map[string]string{"a": "b", "n": "1"}},
		{"nested is not a string map", second(a.ParamStringMap("Nested")), false},
		{"not an object", second(a.ParamObject("Events")), false},
		{"names", a.ParamNames(), []string{"Events", "Flag", "Nested", "Obj", "TimeLimitSeconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func first[T any](v T, _ bool) T      { return v }
func second[T any](_ T, ok bool) bool { return ok }

func TestContentRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"inbound.json", "disconnect.json", "customer_queue.json", "agent_whisper.json", "queue_transfer.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			orig := readTestdata(t, name)
			f1, err := Parse(orig)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			content := f1.Content()
			f2, err := Parse(content)
			if err != nil {
				t.Fatalf("Parse(Content()): %v\n%s", err, content)
			}
			if !reflect.DeepEqual(f1, f2) {
				t.Fatalf("Parse(Content()) differs from Parse:\n got %+v\nwant %+v", f2, f1)
			}
			if !bytes.Equal(f1.Metadata, f2.Metadata) {
				t.Fatalf("Metadata: got %s, want %s", f2.Metadata, f1.Metadata)
			}
			if f1.Metadata != nil && !bytes.Contains(content, f1.Metadata) {
				t.Fatalf("Content does not hold the Metadata bytes verbatim")
			}
			var a, b any
			if err := json.Unmarshal(orig, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(content, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("Content means something else than the original:\n got %s", content)
			}
		})
	}
}

func TestContentKeepsHTML(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(`{"Version":"2019-10-30","StartAction":"<a>","Actions":[{"Identifier":"<a>","Type":"EndFlowExecution"}]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := string(f.Content()); !strings.Contains(got, `"StartAction":"<a>"`) {
		t.Fatalf("Content: got %s, want <a> unescaped", got)
	}
}
