package bootstrap_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

func TestEnsure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	created, err := bootstrap.Ensure(ctx, st, dir, "eu-central-1", time.Now(), log)
	if err != nil || !created {
		t.Fatalf("first Ensure: created=%v err=%v", created, err)
	}
	path := filepath.Join(dir, bootstrap.File)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap.json mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	var keys map[string]string
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"instanceId", "region", "accessKeyId", "secretAccessKey", "adminUsername", "adminPassword", "inboundFlowId", "basicQueueId", "routingProfileId"} {
		if keys[k] == "" {
			t.Errorf("bootstrap.json lacks %s", k)
		}
	}
	if len(keys) != 9 {
		t.Errorf("bootstrap.json has %d keys, want exactly 9", len(keys))
	}
	key, err := st.GetAccessKey(ctx, keys["accessKeyId"])
	if err != nil || key.Secret != keys["secretAccessKey"] || key.InstanceID != keys["instanceId"] {
		t.Fatalf("stored access key %+v, %v", key, err)
	}
	if _, err := st.GetContactFlow(ctx, keys["instanceId"], keys["inboundFlowId"]); err != nil {
		t.Fatalf("inbound flow: %v", err)
	}
	inst, _ := st.ListInstances(ctx)
	if len(inst) != 1 || inst[0].Region != "eu-central-1" {
		t.Fatalf("instances %+v", inst)
	}
	checkResources(t, st, keys)

	// A second start finds the instance and rewrites nothing.
	before, _ := os.ReadFile(path)
	created, err = bootstrap.Ensure(ctx, st, dir, "eu-central-1", time.Now(), log)
	if err != nil || created {
		t.Fatalf("second Ensure: created=%v err=%v", created, err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("second start rewrote bootstrap.json")
	}
}

// checkResources verifies the configuration a new instance starts with.
func checkResources(t *testing.T, st store.Store, keys map[string]string) {
	t.Helper()
	ctx := context.Background()
	instanceID := keys["instanceId"]
	get := func(kind, id string, v any) store.Resource {
		t.Helper()
		r, err := st.GetResource(ctx, instanceID, kind, id)
		if err != nil {
			t.Fatalf("get %s %s: %v", kind, id, err)
		}
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", kind, err)
		}
		return r
	}

	var q routing.Queue
	if r := get(store.KindQueue, keys["basicQueueId"], &q); r.Name != "BasicQueue" || q.Name != "BasicQueue" || q.Status != routing.QueueEnabled {
		t.Fatalf("BasicQueue: %s %+v", r.Name, q)
	}
	var h routing.HoursOfOperation
	if r := get(store.KindHours, q.HoursOfOperationID, &h); r.Name != "Basic Hours" || h.TimeZone != "UTC" || len(h.Config) != 7 {
		t.Fatalf("Basic Hours: %s %+v", r.Name, h)
	}
	for _, at := range []string{"2026-01-05T00:00:00Z", "2026-01-07T12:34:56Z", "2026-01-11T23:59:59Z"} {
		when, _ := time.Parse(time.RFC3339, at)
		if open, err := h.OpenAt(when); !open || err != nil {
			t.Fatalf("Basic Hours at %s: open=%v err=%v, want open", at, open, err)
		}
	}

	var p routing.RoutingProfile
	get(store.KindRoutingProfile, keys["routingProfileId"], &p)
	wantMedia := []routing.MediaConcurrency{
		{Channel: "CHAT", Concurrency: 2, CrossChannelBehavior: "ROUTE_CURRENT_CHANNEL_ONLY"},
		{Channel: "TASK", Concurrency: 1, CrossChannelBehavior: "ROUTE_CURRENT_CHANNEL_ONLY"},
	}
	wantQueues := []routing.ProfileQueue{{QueueID: keys["basicQueueId"], Channel: "CHAT", Priority: 1, Delay: 0}}
	if p.Name != "Basic Routing Profile" || p.DefaultOutboundQueueID != keys["basicQueueId"] ||
		!slices.Equal(p.MediaConcurrencies, wantMedia) || !slices.Equal(p.Queues, wantQueues) {
		t.Fatalf("Basic Routing Profile: %+v", p)
	}

	u, err := st.GetResourceByName(ctx, instanceID, store.KindUser, keys["adminUsername"])
	if err != nil {
		t.Fatalf("admin user: %v", err)
	}
	var admin struct {
		ID                 string   `json:"Id"`
		Username           string   `json:"Username"`
		PasswordHash       string   `json:"PasswordHash"`
		SecurityProfileIDs []string `json:"SecurityProfileIds"`
		RoutingProfileID   string   `json:"RoutingProfileId"`
	}
	if err := json.Unmarshal(u.Body, &admin); err != nil {
		t.Fatal(err)
	}
	if admin.ID != u.ID || admin.Username != keys["adminUsername"] || admin.RoutingProfileID != keys["routingProfileId"] ||
		!slices.Equal(admin.SecurityProfileIDs, []string{auth.AdminProfileID}) {
		t.Fatalf("admin user body: %+v", admin)
	}
	if !auth.CheckPassword(admin.PasswordHash, keys["adminPassword"]) {
		t.Fatal("the admin password does not match the stored hash")
	}
}

// Two nodes starting at once on one empty database create one instance
// between them.
func TestEnsureConcurrentNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	created := make(chan bool, len(dirs))
	for _, dir := range dirs {
		go func() {
			ok, err := bootstrap.Ensure(ctx, st, dir, "us-east-1", time.Now(), log)
			if err != nil {
				t.Error(err)
			}
			created <- ok
		}()
	}
	n := 0
	for range dirs {
		if <-created {
			n++
		}
	}
	insts, _ := st.ListInstances(ctx)
	if len(insts) != 1 || n != 1 {
		t.Fatalf("%d instances, %d nodes say they bootstrapped; want 1 and 1", len(insts), n)
	}
	files := 0
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, bootstrap.File)); err == nil {
			files++
		}
	}
	if files != 1 {
		t.Fatalf("%d bootstrap.json files left, want only the winner's", files)
	}
}
