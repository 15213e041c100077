package connect_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sigv4"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// newFlowServer serves the Connect API with contact flows over a fresh
// store holding instance i1 and its queue q1.
func newFlowServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: "i1", Region: region, CreatedAt: now},
			AccessKey: store.AccessKey{ID: "AKi1", InstanceID: "i1", Secret: "secret-i1", CreatedAt: now},
			Resources: []store.Resource{{InstanceID: "i1", Kind: store.KindQueue, ID: "q1", Name: "Support", Body: []byte(`{}`), CreatedAt: now, UpdatedAt: now}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := local.New()
	chatSvc := chat.New(st, b, chat.Config{Logger: log})
	routingSvc := routing.New(st, b, chatSvc, routing.Config{Logger: log})
	mux := http.NewServeMux()
	connect.New(connect.Deps{Chat: chatSvc, Routing: routingSvc, Flows: flow.New(st, chatSvc, routingSvc, flow.Config{Logger: log}),
		Auth: auth.SigV4(st, region, time.Now), Region: region, Log: log}).Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL, signer: sigv4.Signer{
		Credentials: sigv4.Credentials{AccessKeyID: "AKi1", SecretAccessKey: "secret-i1"}, Region: region, Service: "connect"}}
}

const goodFlow = `{"Version":"2019-10-30","StartAction":"q","Actions":[
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"q1"},"Transitions":{"NextAction":"x","Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"x","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"bye","Errors":[{"NextAction":"bye","ErrorType":"QueueAtCapacity"},{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

func TestContactFlowAPI(t *testing.T) {
	t.Parallel()
	s := newFlowServer(t)
	do := func(method, path string, body any) response { return s.do(s.signer, time.Now(), method, path, body) }
	created := do("PUT", "/contact-flows/i1", map[string]any{"Name": "Main", "Type": "CONTACT_FLOW", "Content": goodFlow})
	id, _ := created.body["ContactFlowId"].(string)
	if created.status != 200 || id == "" || created.body["FlowContentSha256"] != flow.ContentSHA256(goodFlow) ||
		!strings.HasSuffix(created.body["ContactFlowArn"].(string), "/contact-flow/"+id) {
		t.Fatalf("create: %+v", created)
	}
	saved := do("PUT", "/contact-flows/i1", map[string]any{"Name": "Draft", "Type": "CONTACT_FLOW", "Content": "draft", "Status": "SAVED"})
	draftID, _ := saved.body["ContactFlowId"].(string)

	tests := []struct {
		name    string
		method  string
		path    string
		body    any
		status  int
		errType string
		check   func(t *testing.T, body map[string]any)
	}{
		{name: "describe", method: "GET", path: "/contact-flows/i1/" + id, status: 200, check: func(t *testing.T, b map[string]any) {
			f := b["ContactFlow"].(map[string]any)
			if f["Content"] != goodFlow || f["Version"] != 1.0 || f["Status"] != "PUBLISHED" || f["State"] != "ACTIVE" || f["Type"] != "CONTACT_FLOW" {
				t.Errorf("ContactFlow %v", f)
			}
		}},
		{name: "describe saved of a draft", method: "GET", path: "/contact-flows/i1/" + url.PathEscape(draftID+":$SAVED"), status: 200,
			check: func(t *testing.T, b map[string]any) {
				if f := b["ContactFlow"].(map[string]any); f["Content"] != "draft" || f["Status"] != "SAVED" {
					t.Errorf("ContactFlow %v", f)
				}
			}},
		{name: "describe unpublished", method: "GET", path: "/contact-flows/i1/" + draftID, status: 404, errType: "ContactFlowNotPublishedException"},
		{name: "invalid content", method: "POST", path: "/contact-flows/i1/" + id + "/content",
			body:   map[string]any{"Content": strings.Replace(goodFlow, `"NextAction":"x"`, `"NextAction":"nowhere"`, 1)},
			status: 400, errType: "InvalidContactFlowException", check: func(t *testing.T, b map[string]any) {
				ps, _ := b["problems"].([]any)
				if len(ps) != 1 || !strings.Contains(ps[0].(map[string]any)["message"].(string), "Path: Actions[0].Transitions.NextAction") {
					t.Errorf("problems %v", b)
				}
			}},
		{name: "duplicate", method: "PUT", path: "/contact-flows/i1", body: map[string]any{"Name": "Main", "Type": "CONTACT_FLOW", "Content": goodFlow},
			status: 409, errType: "DuplicateResourceException"},
		{name: "list by type", method: "GET", path: "/contact-flows-summary/i1?contactFlowTypes=CONTACT_FLOW&contactFlowTypes=AGENT_WHISPER&maxResults=1",
			status: 200, check: func(t *testing.T, b map[string]any) {
				l := b["ContactFlowSummaryList"].([]any)
				if len(l) != 1 || b["NextToken"] == nil || l[0].(map[string]any)["ContactFlowStatus"] != "SAVED" {
					t.Errorf("list %v", b)
				}
			}},
		{name: "list bad type", method: "GET", path: "/contact-flows-summary/i1?contactFlowTypes=NOPE", status: 400, errType: "InvalidParameterException"},
		{name: "other instance", method: "GET", path: "/contact-flows/i2/" + id, status: 404, errType: "ResourceNotFoundException"},
		{name: "bad function URL", method: "PUT", path: "/parley/functions/i1", body: map[string]any{"FunctionArn": "f", "Url": "http://example.com"},
			status: 400, errType: "InvalidParameterException"},
		{name: "function", method: "PUT", path: "/parley/functions/i1", body: map[string]any{"FunctionArn": "f", "Url": "https://example.com/f"},
			status: 200, check: func(t *testing.T, b map[string]any) {
				if s, _ := b["SigningSecret"].(string); !strings.HasPrefix(s, "whsec_") || b["FunctionArn"] != "f" {
					t.Errorf("function %v", b)
				}
			}},
		{name: "flow logs of an unknown contact", method: "GET", path: "/parley/contact-flow-logs/i1/c-x", status: 404, errType: "ResourceNotFoundException"},
	}
	for _, tt := range tests { // in order: list sees the flows created above
		t.Run(tt.name, func(t *testing.T) {
			r := do(tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errType != tt.errType {
				t.Fatalf("got %d %q %v, want %d %q", r.status, r.errType, r.body, tt.status, tt.errType)
			}
			if tt.check != nil {
				tt.check(t, r.body)
			}
		})
	}
	if r := do("DELETE", "/contact-flows/i1/"+id, nil); r.status != 200 {
		t.Fatalf("delete: %+v", r)
	}
	if r := do("GET", "/contact-flows/i1/"+id, nil); r.status != http.StatusNotFound || r.errType != "ResourceNotFoundException" {
		t.Fatalf("describe deleted: %+v", r)
	}
}
