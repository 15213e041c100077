// Package bootstrap creates the first instance of an empty Parley store:
// an admin user, an access key pair for the Connect API, hours of
// operation, a queue, a routing profile and a default inbound flow, and
// writes their credentials to <data-dir>/bootstrap.json for the operator.
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
	"github.com/parley-chat/parley/internal/routing"
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
	resources, err := basicResources(res, uuid.NewString(), hash, now)
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	ni := store.NewInstance{
		Instance:  store.Instance{ID: res.InstanceID, Alias: "parley", Region: region, CreatedAt: now},
		AccessKey: store.AccessKey{ID: res.AccessKeyID, InstanceID: res.InstanceID, Secret: res.SecretAccessKey, CreatedAt: now},
		Resources: resources,
		Flows:     defaultFlows(res, now),
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

// basicResources are a new instance's configuration, as a new Connect
// instance has it: "Basic Hours" (always open, UTC), BasicQueue on those
// hours, "Basic Routing Profile" (two chats and one task at a time, from
// BasicQueue) and the admin user on that profile with the built-in Admin
// security profile.
func basicResources(res Result, adminID, passwordHash string, now time.Time) ([]store.Resource, error) {
	hoursID := uuid.NewString()
	var week []routing.HoursConfig
	for _, day := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"} {
		week = append(week, routing.HoursConfig{Day: day}) // 00:00-00:00: the whole day
	}
	hours := routing.HoursOfOperation{ID: hoursID, Name: "Basic Hours", Description: "Open around the clock", TimeZone: "UTC", Config: week}
	queue := routing.Queue{ID: res.BasicQueueID, Name: "BasicQueue", Description: "The default queue", HoursOfOperationID: hoursID, Status: routing.QueueEnabled}
	profile := routing.RoutingProfile{
		ID: res.RoutingProfileID, Name: "Basic Routing Profile", Description: "The default routing profile",
		DefaultOutboundQueueID: res.BasicQueueID,
		MediaConcurrencies: []routing.MediaConcurrency{
			{Channel: routing.ChannelChat, Concurrency: 2, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
			{Channel: routing.ChannelTask, Concurrency: 1, CrossChannelBehavior: routing.RouteCurrentChannelOnly},
		},
		Queues: []routing.ProfileQueue{{QueueID: res.BasicQueueID, Channel: routing.ChannelChat, Priority: 1, Delay: 0}},
	}
	// The user body is the directory's (internal/auth) stored shape.
	admin := struct {
		ID                 string   `json:"Id"`
		Username           string   `json:"Username"`
		PasswordHash       string   `json:"PasswordHash"`
		SecurityProfileIDs []string `json:"SecurityProfileIds"`
		RoutingProfileID   string   `json:"RoutingProfileId"`
	}{adminID, res.AdminUsername, passwordHash, []string{auth.AdminProfileID}, res.RoutingProfileID}

	var out []store.Resource
	for _, r := range []struct {
		kind, id, name string
		body           any
	}{
		{store.KindHours, hoursID, hours.Name, hours},
		{store.KindQueue, queue.ID, queue.Name, queue},
		{store.KindRoutingProfile, profile.ID, profile.Name, profile},
		{store.KindUser, adminID, res.AdminUsername, admin},
	} {
		body, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", r.kind, err)
		}
		out = append(out, store.Resource{InstanceID: res.InstanceID, Kind: r.kind, ID: r.id, Name: r.name, Body: body, CreatedAt: now, UpdatedAt: now})
	}
	return out, nil
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
