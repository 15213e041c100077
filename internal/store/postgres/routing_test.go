package postgres

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pressly/goose/v3"

	"github.com/parley-chat/parley/internal/store"
)

// TestMigrateRoutingResources migrates a schema holding users, queues and
// routing profiles in the tables of migration 3 and checks that they
// become the resources the domain reads, then that the migration goes down
// and up again.
func TestMigrateRoutingResources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, pool, p := migratedTo(t, 3)

	// rp-b is the older profile though its ID sorts last; q3 shares q1's
	// name.
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO instances (id, alias, created_at) VALUES ('i1', 'a1', $1), ('i2', 'a2', $1)`, []any{at(0)}},
		{`INSERT INTO users (id, instance_id, username, password_hash, created_at) VALUES
			('u1', 'i1', 'ad"min\', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA', $1),
			('u2', 'i2', 'solo', 'h', $2)`, []any{at(1), at(2)}},
		{`INSERT INTO queues (id, instance_id, name, created_at) VALUES
			('q1', 'i1', 'BasicQueue', $1), ('q3', 'i1', 'BasicQueue', $2)`, []any{at(3), at(4)}},
		{`INSERT INTO routing_profiles (id, instance_id, name, default_queue_id, created_at) VALUES
			('rp-a', 'i1', 'Later', 'q3', $1), ('rp-b', 'i1', 'Basic Routing Profile', 'q1', $2)`, []any{at(6), at(5)}},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q.sql)[2], err)
		}
	}

	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatalf("migrate up to 4: %v", err)
	}
	cases := []struct {
		instance, kind, id, name string
		created                  time.Time
		body                     string
	}{
		{"i1", store.KindQueue, "q1", "BasicQueue", at(3),
			`{"Id":"q1","Name":"BasicQueue","Status":"ENABLED"}`},
		{"i1", store.KindQueue, "q3", "BasicQueue (q3)", at(4),
			`{"Id":"q3","Name":"BasicQueue (q3)","Status":"ENABLED"}`},
		{"i1", store.KindRoutingProfile, "rp-b", "Basic Routing Profile", at(5),
			`{"Id":"rp-b","Name":"Basic Routing Profile","DefaultOutboundQueueId":"q1",
			  "MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}],
			  "Queues":[{"QueueId":"q1","Channel":"CHAT","Priority":1,"Delay":0}]}`},
		{"i1", store.KindRoutingProfile, "rp-a", "Later", at(6),
			`{"Id":"rp-a","Name":"Later","DefaultOutboundQueueId":"q3",
			  "MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}],
			  "Queues":[{"QueueId":"q3","Channel":"CHAT","Priority":1,"Delay":0}]}`},
		{"i1", store.KindUser, "u1", `ad"min\`, at(1),
			`{"Id":"u1","Username":"ad\"min\\","PasswordHash":"$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
			  "SecurityProfileIds":["00000000-0000-4000-a000-000000000001"],"RoutingProfileId":"rp-b"}`},
		{"i2", store.KindUser, "u2", "solo", at(2),
			`{"Id":"u2","Username":"solo","PasswordHash":"h",
			  "SecurityProfileIds":["00000000-0000-4000-a000-000000000001"],"RoutingProfileId":""}`},
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM resources`).Scan(&n); err != nil || n != len(cases) {
		t.Errorf("resources after the migration: got %d, %v; want %d", n, err, len(cases))
	}
	for _, tc := range cases {
		var name, body string
		var created, updated time.Time
		err := pool.QueryRow(ctx, `SELECT name, body, created_at, updated_at FROM resources
			WHERE instance_id = $1 AND kind = $2 AND id = $3`, tc.instance, tc.kind, tc.id).
			Scan(&name, &body, &created, &updated)
		if err != nil {
			t.Fatalf("resource %s %s: %v", tc.kind, tc.id, err)
		}
		if name != tc.name || !created.Equal(tc.created) || !updated.Equal(tc.created) {
			t.Errorf("resource %s: got name %q, created %v, updated %v; want %q, %v, %v",
				tc.id, name, created, updated, tc.name, tc.created, tc.created)
		}
		sameJSON(t, "resource "+tc.id, body, tc.body)
	}
	for _, table := range []string{"users", "queues", "routing_profiles"} {
		var exists bool
		if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || exists {
			t.Errorf("table %s after the migration: exists %v, %v; want gone", table, exists, err)
		}
	}

	// Down brings the old tables back with their rows.
	if _, err := p.DownTo(ctx, 3); err != nil {
		t.Fatalf("migrate down to 3: %v", err)
	}
	var user, hash, defaultQueue string
	if err := pool.QueryRow(ctx, `SELECT username, password_hash FROM users WHERE id = 'u1'`).Scan(&user, &hash); err != nil ||
		user != `ad"min\` || !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("user u1 after down: got %q, %q, %v", user, hash, err)
	}
	if err := pool.QueryRow(ctx, `SELECT default_queue_id FROM routing_profiles WHERE id = 'rp-b'`).Scan(&defaultQueue); err != nil || defaultQueue != "q1" {
		t.Errorf("routing profile rp-b after down: got default queue %q, %v; want q1", defaultQueue, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM queues`).Scan(&n); err != nil || n != 2 {
		t.Errorf("queues after down: got %d, %v; want 2", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}

	s := openURL(t, u)
	r, err := s.GetResourceByName(ctx, "i1", store.KindUser, `ad"min\`)
	if err != nil || r.ID != "u1" {
		t.Errorf("GetResourceByName of the migrated user: got %q, %v; want u1", r.ID, err)
	}
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: body %s is not a JSON object: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad wanted JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got body %s, want %s", what, got, want)
	}
}

// TestRoutingQueriesUseIndexes checks the access path of the routing
// queries: each searches the index made for it, and those that can return
// rows in index order do so without a sort. The tables are empty, so
// sequential scans are switched off to see which index the planner would
// pick once they are not; the plans are generic, as pgx's prepared
// statements get after a few runs, so a partial index must serve whatever
// the arguments.
func TestRoutingQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	u := newSchema(t)
	openURL(t, u) // migrates
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, set := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := conn.Exec(ctx, set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}

	byUser, _ := assignmentQuery(store.AssignmentQuery{UserID: "u1"})
	byUserActive, _ := assignmentQuery(store.AssignmentQuery{UserID: "u1", Active: true})
	byContact, _ := assignmentQuery(store.AssignmentQuery{ContactID: "c1"})
	cases := []struct {
		name  string
		query string
		args  string // of EXECUTE
		index string
		sorts bool // several states are several ranges, merged by a sort
	}{
		{"ListQueued", qListQueued, `'i1', 'q1', 10`, "contact_routing_queued_idx", false},
		{"CountQueued", qCountQueued, `'i1', 'q1'`, "contact_routing_queued_idx", false},
		{"ListContactRoutings", qListContactRoutings,
			`'i1', '{QUEUED,OFFERED}'`, "contact_routing_state_idx", true},
		{"ListAssignments by user", byUser, `'i1', 'u1'`, "assignments_user_idx", false},
		{"ListAssignments by user, active", byUserActive, `'i1', 'u1'`, "assignments_user_active_idx", false},
		{"ListAssignments by contact", byContact, `'i1', 'c1'`, "assignments_contact_idx", false},
		{"ListResources", qListResources, `'i1', 'queue'`, "resources_name_idx", false},
		{"ListContactFlows", qListContactFlows, `'i1'`, "contact_flows_name_idx", false},
		{"ListFlowLogs", qListFlowLogs, `'c1', 0, 'i1', 10`, "flow_logs_contact_idx", false},
	}
	for i, tc := range cases {
		name := "routing_plan_" + strconv.Itoa(i)
		if _, err := conn.Exec(ctx, `PREPARE `+name+` AS `+tc.query); err != nil {
			t.Fatalf("%s: prepare: %v", tc.name, err)
		}
		rows, _ := conn.Query(ctx, `EXPLAIN EXECUTE `+name+`(`+tc.args+`)`)
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: explain: %v", tc.name, err)
		}
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, " using "+tc.index+" ") {
			t.Errorf("%s: plan:\n%s\nwant a scan of %s", tc.name, all, tc.index)
		}
		if strings.Contains(all, "Sort") && !tc.sorts {
			t.Errorf("%s: plan:\n%s\nwant no sort", tc.name, all)
		}
		if !strings.Contains(all, "$1") {
			t.Errorf("%s: plan:\n%s\nwant a generic plan", tc.name, all)
		}
	}
}

// migratedTo returns a new schema's URL migrated up to version, a pool on
// it (closed when the test ends) and its migrator.
func migratedTo(t *testing.T, version int64) (string, *pgxpool.Pool, *goose.Provider) {
	t.Helper()
	u := newSchema(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close(); pool.Close() })
	p, err := newMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatalf("migrate up to %d: %v", version, err)
	}
	return u, pool, p
}
