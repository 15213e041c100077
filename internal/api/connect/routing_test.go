package connect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sigv4"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// newRoutingServer serves the Connect API with routing over a fresh store
// holding instances i1 and i2, each with a flow and a user.
func newRoutingServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	for _, id := range []string{"i1", "i2"} {
		user, _ := json.Marshal(map[string]any{"Id": "u-" + id, "Username": "ada-" + id, "RoutingProfileId": ""})
		err = st.Write(ctx, func(tx store.Tx) error {
			return tx.CreateInstance(store.NewInstance{
				Instance:  store.Instance{ID: id, Region: region, CreatedAt: now},
				AccessKey: store.AccessKey{ID: "AK" + id, InstanceID: id, Secret: "secret-" + id, CreatedAt: now},
				Resources: []store.Resource{{InstanceID: id, Kind: store.KindUser, ID: "u-" + id, Name: "ada-" + id, Body: user, CreatedAt: now, UpdatedAt: now}},
				Flows:     []store.ContactFlow{{ID: "flow-" + id, InstanceID: id, Name: "f", Type: "QUEUE_TRANSFER", Content: "{}", CreatedAt: now}},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := local.New()
	chatSvc := chat.New(st, b, chat.Config{Logger: log})
	mux := http.NewServeMux()
	connect.New(connect.Deps{Chat: chatSvc, Routing: routing.New(st, b, chatSvc, routing.Config{Logger: log}),
		Auth: auth.SigV4(st, region, time.Now), Region: region, Log: log}).Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL, signer: sigv4.Signer{
		Credentials: sigv4.Credentials{AccessKeyID: "AKi1", SecretAccessKey: "secret-i1"}, Region: region, Service: "connect"}}
}

// call sends a signed request and fails unless it answers status and
// error type.
func (s *server) call(what, method, path string, body any, status int, errType string) map[string]any {
	s.t.Helper()
	r := s.do(s.signer, time.Now(), method, path, body)
	if r.status != status || r.errType != errType {
		s.t.Fatalf("%s: got %d %q %v, want %d %q", what, r.status, r.errType, r.body, status, errType)
	}
	return r.body
}

func arnOf(kind, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:000000000000:instance/i1/%s/%s", region, kind, id)
}

func week(tz string) map[string]any {
	var cfg []any
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"} {
		cfg = append(cfg, map[string]any{"Day": d, "StartTime": map[string]int{"Hours": 9, "Minutes": 0}, "EndTime": map[string]int{"Hours": 17, "Minutes": 30}})
	}
	return map[string]any{"Name": "Office " + tz, "TimeZone": tz, "Config": cfg, "Tags": map[string]string{"team": "ops"}}
}

func TestRoutingResourcesAPI(t *testing.T) {
	t.Parallel()
	s := newRoutingServer(t)

	// Hours of operation.
	h := s.call("CreateHoursOfOperation", "PUT", "/hours-of-operations/i1", week("Europe/London"), 200, "")
	hoursID, _ := h["HoursOfOperationId"].(string)
	if h["HoursOfOperationArn"] != arnOf("operating-hours", hoursID) {
		t.Fatalf("CreateHoursOfOperation: %v", h)
	}
	s.call("CreateHoursOfOperation bad zone", "PUT", "/hours-of-operations/i1", week("Europe/Narnia"), 400, "InvalidParameterException")
	s.call("CreateHoursOfOperation other instance", "PUT", "/hours-of-operations/i2", week("UTC"), 404, "ResourceNotFoundException")
	dh := s.call("DescribeHoursOfOperation", "GET", "/hours-of-operations/i1/"+hoursID, nil, 200, "")["HoursOfOperation"].(map[string]any)
	cfg := dh["Config"].([]any)
	if dh["TimeZone"] != "Europe/London" || len(cfg) != 5 || cfg[0].(map[string]any)["EndTime"].(map[string]any)["Minutes"] != 30.0 {
		t.Fatalf("DescribeHoursOfOperation: %v", dh)
	}
	ov := s.call("CreateHoursOfOperationOverride", "PUT", "/hours-of-operations/i1/"+hoursID+"/overrides", map[string]any{
		"Name": "Christmas", "OverrideType": "CLOSED", "EffectiveFrom": "2026-12-25", "EffectiveTill": "2026-12-26", "Config": []any{}}, 200, "")
	overrideID, _ := ov["HoursOfOperationOverrideId"].(string)
	s.call("CreateHoursOfOperationOverride bad dates", "PUT", "/hours-of-operations/i1/"+hoursID+"/overrides", map[string]any{
		"Name": "Bad", "OverrideType": "CLOSED", "EffectiveFrom": "2026-12-25", "EffectiveTill": "2026-12-24", "Config": []any{}}, 400, "InvalidParameterException")
	ovs := s.call("ListHoursOfOperationOverrides", "GET", "/hours-of-operations/i1/"+hoursID+"/overrides", nil, 200, "")["HoursOfOperationOverrideList"].([]any)
	if len(ovs) != 1 || ovs[0].(map[string]any)["HoursOfOperationOverrideId"] != overrideID || ovs[0].(map[string]any)["OverrideType"] != "CLOSED" {
		t.Fatalf("ListHoursOfOperationOverrides: %v", ovs)
	}
	s.call("DeleteHoursOfOperationOverride", "DELETE", "/hours-of-operations/i1/"+hoursID+"/overrides/"+overrideID, nil, 200, "")

	// Queues.
	q := s.call("CreateQueue", "PUT", "/queues/i1", map[string]any{"Name": "Support", "HoursOfOperationId": hoursID, "MaxContacts": 20}, 200, "")
	queueID, _ := q["QueueId"].(string)
	if q["QueueArn"] != arnOf("queue", queueID) {
		t.Fatalf("CreateQueue: %v", q)
	}
	// Referenced by ARN.
	second := s.call("CreateQueue by hours ARN", "PUT", "/queues/i1", map[string]any{"Name": "Second", "HoursOfOperationId": arnOf("operating-hours", hoursID)}, 200, "")["QueueId"].(string)
	s.call("CreateQueue duplicate", "PUT", "/queues/i1", map[string]any{"Name": "Support", "HoursOfOperationId": hoursID}, 409, "DuplicateResourceException")
	s.call("CreateQueue unknown hours", "PUT", "/queues/i1", map[string]any{"Name": "X", "HoursOfOperationId": "nope"}, 404, "ResourceNotFoundException")
	s.call("CreateQueue negative cap", "PUT", "/queues/i1", map[string]any{"Name": "X", "HoursOfOperationId": hoursID, "MaxContacts": -1}, 400, "InvalidParameterException")
	s.call("CreateQueue wrong type", "PUT", "/queues/i1", map[string]any{"Name": 5}, 400, "InvalidRequestException")
	s.call("DeleteHoursOfOperation in use", "DELETE", "/hours-of-operations/i1/"+hoursID, nil, 409, "ResourceInUseException")

	for _, path := range []string{"/queues/i1/" + queueID, "/queues/i1/" + url.PathEscape(arnOf("queue", queueID))} {
		dq := s.call("DescribeQueue "+path, "GET", path, nil, 200, "")["Queue"].(map[string]any)
		if dq["QueueId"] != queueID || dq["Name"] != "Support" || dq["Status"] != "ENABLED" || dq["HoursOfOperationId"] != hoursID ||
			dq["MaxContacts"] != 20.0 || dq["LastModifiedRegion"] != region {
			t.Fatalf("DescribeQueue: %v", dq)
		}
		if _, ok := dq["LastModifiedTime"].(float64); !ok {
			t.Fatalf("DescribeQueue LastModifiedTime is not epoch seconds: %v", dq["LastModifiedTime"])
		}
	}
	s.call("DescribeQueue unknown", "GET", "/queues/i1/nope", nil, 404, "ResourceNotFoundException")
	s.call("DescribeQueue other instance", "GET", "/queues/i2/"+queueID, nil, 404, "ResourceNotFoundException")
	s.call("DescribeQueue other instance's ARN", "GET", "/queues/i1/"+url.PathEscape("arn:aws:connect:eu-west-2:000000000000:instance/i2/queue/"+queueID), nil, 404, "ResourceNotFoundException")
	aq := s.call("DescribeQueue agent", "GET", "/queues/i1/"+url.PathEscape("agent/u-i1"), nil, 200, "")["Queue"].(map[string]any)
	if aq["QueueArn"] != arnOf("queue", "agent/u-i1") || aq["Name"] != "ada-i1" {
		t.Fatalf("DescribeQueue agent: %v", aq)
	}

	s.call("UpdateQueueStatus", "POST", "/queues/i1/"+queueID+"/status", map[string]any{"Status": "DISABLED"}, 200, "")
	s.call("UpdateQueueStatus bad", "POST", "/queues/i1/"+queueID+"/status", map[string]any{"Status": "OFF"}, 400, "InvalidParameterException")
	s.call("UpdateQueueMaxContacts", "POST", "/queues/i1/"+queueID+"/max-contacts", map[string]any{}, 200, "")
	s.call("UpdateQueueName", "POST", "/queues/i1/"+queueID+"/name", map[string]any{"Description": "first line"}, 200, "")
	dq := s.call("DescribeQueue after updates", "GET", "/queues/i1/"+queueID, nil, 200, "")["Queue"].(map[string]any)
	if dq["Status"] != "DISABLED" || dq["MaxContacts"] != nil || dq["Description"] != "first line" || dq["Name"] != "Support" {
		t.Fatalf("DescribeQueue after updates: %v", dq)
	}

	// Paging through ListQueues.
	var names []any
	token := ""
	for page := 0; ; page++ {
		path := "/queues-summary/i1?queueTypes=STANDARD&maxResults=1"
		if token != "" {
			path += "&nextToken=" + url.QueryEscape(token)
		}
		l := s.call("ListQueues", "GET", path, nil, 200, "")
		list := l["QueueSummaryList"].([]any)
		if len(list) != 1 || page > 2 {
			t.Fatalf("ListQueues page %d: %v", page, l)
		}
		e := list[0].(map[string]any)
		if e["QueueType"] != "STANDARD" || e["Arn"] != arnOf("queue", e["Id"].(string)) {
			t.Fatalf("ListQueues entry: %v", e)
		}
		names = append(names, e["Name"])
		token, _ = l["NextToken"].(string)
		if token == "" {
			break
		}
	}
	if fmt.Sprint(names) != "[Second Support]" {
		t.Fatalf("ListQueues names: %v", names)
	}
	all := s.call("ListQueues all types", "GET", "/queues-summary/i1", nil, 200, "")["QueueSummaryList"].([]any)
	if len(all) != 3 || all[2].(map[string]any)["QueueType"] != "AGENT" || all[2].(map[string]any)["Id"] != "agent/u-i1" {
		t.Fatalf("ListQueues all types: %v", all)
	}
	s.call("ListQueues bad token", "GET", "/queues-summary/i1?nextToken=%21%21", nil, 400, "InvalidParameterException")
	s.call("ListQueues maxResults 1001", "GET", "/queues-summary/i1?maxResults=1001", nil, 400, "InvalidParameterException")
	s.call("ListQueues bad type", "GET", "/queues-summary/i1?queueTypes=VIP", nil, 400, "InvalidParameterException")

	// Routing profiles.
	profile := map[string]any{
		"Name": "Agents", "Description": "all agents", "DefaultOutboundQueueId": queueID,
		"MediaConcurrencies": []any{map[string]any{"Channel": "CHAT", "Concurrency": 3, "CrossChannelBehavior": map[string]string{"BehaviorType": "ROUTE_ANY_CHANNEL"}}},
		"QueueConfigs": []any{
			map[string]any{"QueueReference": map[string]string{"QueueId": queueID, "Channel": "CHAT"}, "Priority": 1, "Delay": 0},
			map[string]any{"QueueReference": map[string]string{"QueueId": second, "Channel": "CHAT"}, "Priority": 2, "Delay": 20},
		},
	}
	rp := s.call("CreateRoutingProfile", "PUT", "/routing-profiles/i1", profile, 200, "")
	profileID, _ := rp["RoutingProfileId"].(string)
	if rp["RoutingProfileArn"] != arnOf("routing-profile", profileID) {
		t.Fatalf("CreateRoutingProfile: %v", rp)
	}
	profile["Name"] = "Too many"
	profile["MediaConcurrencies"] = []any{map[string]any{"Channel": "CHAT", "Concurrency": 11}}
	s.call("CreateRoutingProfile concurrency 11", "PUT", "/routing-profiles/i1", profile, 400, "InvalidParameterException")
	drp := s.call("DescribeRoutingProfile", "GET", "/routing-profiles/i1/"+profileID, nil, 200, "")["RoutingProfile"].(map[string]any)
	mc := drp["MediaConcurrencies"].([]any)[0].(map[string]any)
	if mc["Concurrency"] != 3.0 || mc["CrossChannelBehavior"].(map[string]any)["BehaviorType"] != "ROUTE_ANY_CHANNEL" ||
		drp["NumberOfAssociatedQueues"] != 2.0 || drp["DefaultOutboundQueueId"] != queueID || drp["InstanceId"] != "i1" {
		t.Fatalf("DescribeRoutingProfile: %v", drp)
	}
	rpq := s.call("ListRoutingProfileQueues", "GET", "/routing-profiles/i1/"+profileID+"/queues", nil, 200, "")["RoutingProfileQueueConfigSummaryList"].([]any)
	if len(rpq) != 2 || rpq[1].(map[string]any)["QueueName"] != "Second" || rpq[1].(map[string]any)["Delay"] != 20.0 {
		t.Fatalf("ListRoutingProfileQueues: %v", rpq)
	}
	s.call("UpdateRoutingProfileConcurrency 0", "POST", "/routing-profiles/i1/"+profileID+"/concurrency",
		map[string]any{"MediaConcurrencies": []any{map[string]any{"Channel": "CHAT", "Concurrency": 0}}}, 400, "InvalidParameterException")
	s.call("UpdateRoutingProfileConcurrency", "POST", "/routing-profiles/i1/"+profileID+"/concurrency",
		map[string]any{"MediaConcurrencies": []any{map[string]any{"Channel": "CHAT", "Concurrency": 5}}}, 200, "")
	s.call("DisassociateRoutingProfileQueues", "POST", "/routing-profiles/i1/"+profileID+"/disassociate-queues",
		map[string]any{"QueueReferences": []any{map[string]string{"QueueId": second, "Channel": "CHAT"}}}, 200, "")
	s.call("AssociateRoutingProfileQueues", "POST", "/routing-profiles/i1/"+profileID+"/associate-queues",
		map[string]any{"QueueConfigs": []any{map[string]any{"QueueReference": map[string]string{"QueueId": second, "Channel": "TASK"}, "Priority": 4, "Delay": 0}}}, 200, "")
	lrp := s.call("ListRoutingProfiles", "GET", "/routing-profiles-summary/i1", nil, 200, "")["RoutingProfileSummaryList"].([]any)
	if len(lrp) != 1 || lrp[0].(map[string]any)["Name"] != "Agents" {
		t.Fatalf("ListRoutingProfiles: %v", lrp)
	}
	s.call("DeleteQueue in a routing profile", "DELETE", "/queues/i1/"+queueID, nil, 409, "ResourceInUseException")

	// Quick connects.
	qc := s.call("CreateQuickConnect", "PUT", "/quick-connects/i1", map[string]any{"Name": "To support",
		"QuickConnectConfig": map[string]any{"QuickConnectType": "QUEUE", "QueueConfig": map[string]string{"QueueId": queueID, "ContactFlowId": "flow-i1"}}}, 200, "")
	qcID, _ := qc["QuickConnectId"].(string)
	if qc["QuickConnectARN"] != arnOf("transfer-destination", qcID) {
		t.Fatalf("CreateQuickConnect: %v", qc)
	}
	s.call("CreateQuickConnect unknown flow", "PUT", "/quick-connects/i1", map[string]any{"Name": "X",
		"QuickConnectConfig": map[string]any{"QuickConnectType": "QUEUE", "QueueConfig": map[string]string{"QueueId": queueID, "ContactFlowId": "flow-i2"}}}, 404, "ResourceNotFoundException")
	s.call("CreateQuickConnect user", "PUT", "/quick-connects/i1", map[string]any{"Name": "To Ada",
		"QuickConnectConfig": map[string]any{"QuickConnectType": "USER", "UserConfig": map[string]string{"UserId": "u-i1", "ContactFlowId": "flow-i1"}}}, 200, "")
	dqc := s.call("DescribeQuickConnect", "GET", "/quick-connects/i1/"+qcID, nil, 200, "")["QuickConnect"].(map[string]any)
	if dqc["QuickConnectConfig"].(map[string]any)["QueueConfig"].(map[string]any)["QueueId"] != queueID {
		t.Fatalf("DescribeQuickConnect: %v", dqc)
	}
	lqc := s.call("ListQuickConnects", "GET", "/quick-connects/i1?QuickConnectTypes=QUEUE", nil, 200, "")["QuickConnectSummaryList"].([]any)
	if len(lqc) != 1 || lqc[0].(map[string]any)["QuickConnectType"] != "QUEUE" {
		t.Fatalf("ListQuickConnects: %v", lqc)
	}
	s.call("AssociateQueueQuickConnects", "POST", "/queues/i1/"+second+"/associate-quick-connects", map[string]any{"QuickConnectIds": []string{qcID}}, 200, "")
	lqqc := s.call("ListQueueQuickConnects", "GET", "/queues/i1/"+second+"/quick-connects", nil, 200, "")["QuickConnectSummaryList"].([]any)
	if len(lqqc) != 1 || lqqc[0].(map[string]any)["Id"] != qcID {
		t.Fatalf("ListQueueQuickConnects: %v", lqqc)
	}

	// Agent statuses.
	as := s.call("CreateAgentStatus", "PUT", "/agent-status/i1", map[string]any{"Name": "Lunch", "State": "ENABLED", "DisplayOrder": 3}, 200, "")
	asID, _ := as["AgentStatusId"].(string)
	if as["AgentStatusARN"] != arnOf("agent-state", asID) {
		t.Fatalf("CreateAgentStatus: %v", as)
	}
	s.call("CreateAgentStatus order 51", "PUT", "/agent-status/i1", map[string]any{"Name": "Late", "State": "ENABLED", "DisplayOrder": 51}, 400, "InvalidParameterException")
	las := s.call("ListAgentStatuses", "GET", "/agent-status/i1", nil, 200, "")["AgentStatusSummaryList"].([]any)
	if len(las) != 3 || las[0].(map[string]any)["Name"] != "Available" || las[1].(map[string]any)["Name"] != "Offline" || las[2].(map[string]any)["Type"] != "CUSTOM" {
		t.Fatalf("ListAgentStatuses: %v", las)
	}
	das := s.call("DescribeAgentStatus built-in", "GET", "/agent-status/i1/"+routing.StatusAvailableID, nil, 200, "")["AgentStatus"].(map[string]any)
	if das["Type"] != "ROUTABLE" || das["State"] != "ENABLED" {
		t.Fatalf("DescribeAgentStatus: %v", das)
	}
	s.call("UpdateAgentStatus", "POST", "/agent-status/i1/"+asID, map[string]any{"State": "DISABLED", "ResetOrderNumber": true}, 200, "")
	s.call("UpdateAgentStatus built-in", "POST", "/agent-status/i1/"+routing.StatusOfflineID, map[string]any{"Name": "Away"}, 400, "InvalidRequestException")
}
