// Package bootstrap creates the first instance of an empty Parley store:
// an admin user, an access key pair for the Connect API, a queue, a
// routing profile and a default inbound flow, and writes their
// credentials to <data-dir>/bootstrap.json for the operator.
package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/store"
)

// File is the name of the credentials file in the data directory.
const File = "bootstrap.json"

// Result is what bootstrap.json holds.
type Result struct {
	InstanceID       string `json:"instanceId"`
	Region           string `json:"region"`
	AccessKeyID      string `json:"accessKeyId"`
	SecretAccessKey  string `json:"secretAccessKey"`
	AdminUsername    string `json:"adminUsername"`
	AdminPassword    string `json:"adminPassword"`
	InboundFlowID    string `json:"inboundFlowId"`
	BasicQueueID     string `json:"basicQueueId"`
	RoutingProfileID string `json:"routingProfileId"`
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	passChars   = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
)

// Ensure creates the first instance if the store has none, and writes
// bootstrap.json. A store that already has an instance is left alone and
// no credentials are rewritten. created reports whether it bootstrapped.
func Ensure(ctx context.Context, st store.Store, dataDir, region string, now time.Time, log *slog.Logger) (created bool, err error) {
	insts, err := st.ListInstances(ctx)
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	path := filepath.Join(dataDir, File)
	if len(insts) > 0 {
		log.Info("store already has an instance; not bootstrapping", "instance_id", insts[0].ID, "credentials", path)
		return false, nil
	}
	res := Result{
		InstanceID:       uuid.NewString(),
		Region:           region,
		AccessKeyID:      "AKPA" + auth.RandomString(16, upperDigits),
		SecretAccessKey:  auth.RandomString(40, secretChars),
		AdminUsername:    "admin",
		AdminPassword:    auth.RandomString(20, passChars),
		InboundFlowID:    uuid.NewString(),
		BasicQueueID:     uuid.NewString(),
		RoutingProfileID: uuid.NewString(),
	}
	hash, err := auth.HashPassword(res.AdminPassword)
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	now = now.UTC()
	ni := store.NewInstance{
		Instance:        store.Instance{ID: res.InstanceID, Alias: "parley", Region: region, CreatedAt: now},
		Admin:           store.User{ID: uuid.NewString(), InstanceID: res.InstanceID, Username: res.AdminUsername, PasswordHash: hash, CreatedAt: now},
		AccessKey:       store.AccessKey{ID: res.AccessKeyID, InstanceID: res.InstanceID, Secret: res.SecretAccessKey, CreatedAt: now},
		Queues:          []store.Queue{{ID: res.BasicQueueID, InstanceID: res.InstanceID, Name: "BasicQueue", CreatedAt: now}},
		RoutingProfiles: []store.RoutingProfile{{ID: res.RoutingProfileID, InstanceID: res.InstanceID, Name: "Basic Routing Profile", DefaultQueueID: res.BasicQueueID, CreatedAt: now}},
		Flows:           []store.ContactFlow{{ID: res.InboundFlowID, InstanceID: res.InstanceID, Name: "Default inbound flow", Type: "CONTACT_FLOW", Content: inboundFlow(res.BasicQueueID), CreatedAt: now}},
	}
	// Write the file first: if the process dies between the two steps, the
	// next start finds an empty store and bootstraps again, overwriting
	// it, rather than an instance whose credentials nobody has.
	if err := writeFile(path, res); err != nil {
		return false, err
	}
	err = st.Write(ctx, func(tx store.Tx) error { return tx.CreateInstance(ni) })
	if errors.Is(err, store.ErrDuplicate) {
		// Another node bootstrapped the same empty database at the same
		// moment and won; its credentials are the real ones.
		os.Remove(path)
		log.Info("another node bootstrapped this database; not bootstrapping")
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bootstrap: create instance: %w", err)
	}
	log.Info("bootstrapped a new instance; credentials written", "instance_id", res.InstanceID, "credentials", path)
	return true, nil
}

func writeFile(path string, res Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}

// inboundFlow is the default inbound flow: it puts the chat in BasicQueue.
// The flow engine runs it; until then it documents the intent and lets a
// chat start and stay open.
func inboundFlow(queueID string) string {
	flow := map[string]any{
		"Version":     "2019-10-30",
		"StartAction": "set-queue",
		"Metadata":    map[string]any{"name": "Default inbound flow", "type": "contactFlow"},
		"Actions": []any{
			map[string]any{
				"Identifier":  "set-queue",
				"Type":        "UpdateContactTargetQueue",
				"Parameters":  map[string]any{"QueueId": queueID},
				"Transitions": map[string]any{"NextAction": "transfer", "Errors": []any{map[string]any{"NextAction": "end", "ErrorType": "NoMatchingError"}}},
			},
			map[string]any{
				"Identifier":  "transfer",
				"Type":        "TransferContactToQueue",
				"Parameters":  map[string]any{},
				"Transitions": map[string]any{"NextAction": "end", "Errors": []any{map[string]any{"NextAction": "end", "ErrorType": "QueueAtCapacity"}, map[string]any{"NextAction": "end", "ErrorType": "NoMatchingError"}}},
			},
			map[string]any{"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": map[string]any{}, "Transitions": map[string]any{}},
		},
	}
	raw, _ := json.Marshal(flow)
	return string(raw)
}
