package bootstrap_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bootstrap"
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
