package sqlite

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/parley-chat/parley/internal/store"
)

// TestMigrateRoutingResources migrates a database holding users, queues
// and routing profiles in the tables of migration 3 and checks that they
// become the resources the domain reads, then that the migration goes down
// and up again.
func TestMigrateRoutingResources(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path, db, p := migratedTo(t, 3)

	// Times are unix microseconds. rp-b is the older profile though its ID
	// sorts last; q3 shares q1's name.
	for _, q := range []string{
		`INSERT INTO instances (id, alias, region, created_at) VALUES ('i1', 'a1', 'r', 1), ('i2', 'a2', 'r', 1)`,
		`INSERT INTO users (id, instance_id, username, password_hash, created_at) VALUES
			('u1', 'i1', 'ad"min\', '$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA', 1000001),
			('u2', 'i2', 'solo', 'h', 1000002)`,
		`INSERT INTO queues (id, instance_id, name, created_at) VALUES
			('q1', 'i1', 'BasicQueue', 2000001), ('q3', 'i1', 'BasicQueue', 2000003)`,
		`INSERT INTO routing_profiles (id, instance_id, name, default_queue_id, created_at) VALUES
			('rp-a', 'i1', 'Later', 'q3', 3000002), ('rp-b', 'i1', 'Basic Routing Profile', 'q1', 3000001)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[2], err)
		}
	}

	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatalf("migrate up to 4: %v", err)
	}
	cases := []struct {
		instance, kind, id, name string
		created                  int64
		body                     string
	}{
		{"i1", store.KindQueue, "q1", "BasicQueue", 2000001,
			`{"Id":"q1","Name":"BasicQueue","Status":"ENABLED"}`},
		{"i1", store.KindQueue, "q3", "BasicQueue (q3)", 2000003,
			`{"Id":"q3","Name":"BasicQueue (q3)","Status":"ENABLED"}`},
		{"i1", store.KindRoutingProfile, "rp-b", "Basic Routing Profile", 3000001,
			`{"Id":"rp-b","Name":"Basic Routing Profile","DefaultOutboundQueueId":"q1",
			  "MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}],
			  "Queues":[{"QueueId":"q1","Channel":"CHAT","Priority":1,"Delay":0}]}`},
		{"i1", store.KindRoutingProfile, "rp-a", "Later", 3000002,
			`{"Id":"rp-a","Name":"Later","DefaultOutboundQueueId":"q3",
			  "MediaConcurrencies":[{"Channel":"CHAT","Concurrency":2}],
			  "Queues":[{"QueueId":"q3","Channel":"CHAT","Priority":1,"Delay":0}]}`},
		{"i1", store.KindUser, "u1", `ad"min\`, 1000001,
			`{"Id":"u1","Username":"ad\"min\\","PasswordHash":"$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
			  "SecurityProfileIds":["00000000-0000-4000-a000-000000000001"],"RoutingProfileId":"rp-b"}`},
		{"i2", store.KindUser, "u2", "solo", 1000002,
			`{"Id":"u2","Username":"solo","PasswordHash":"h",
			  "SecurityProfileIds":["00000000-0000-4000-a000-000000000001"],"RoutingProfileId":""}`},
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources`).Scan(&n); err != nil || n != len(cases) {
		t.Errorf("resources after the migration: got %d, %v; want %d", n, err, len(cases))
	}
	for _, tc := range cases {
		var name, body string
		var created, updated int64
		err := db.QueryRowContext(ctx, `SELECT name, body, created_at, updated_at FROM resources
			WHERE instance_id = ? AND kind = ? AND id = ?`, tc.instance, tc.kind, tc.id).
			Scan(&name, &body, &created, &updated)
		if err != nil {
			t.Fatalf("resource %s %s: %v", tc.kind, tc.id, err)
		}
		if name != tc.name || created != tc.created || updated != tc.created {
			t.Errorf("resource %s: got name %q, created %d, updated %d; want %q, %d, %d",
				tc.id, name, created, updated, tc.name, tc.created, tc.created)
		}
		sameJSON(t, "resource "+tc.id, body, tc.body)
	}
	for _, table := range []string{"users", "queues", "routing_profiles"} {
		if _, err := db.ExecContext(ctx, `SELECT 1 FROM `+table); err == nil {
			t.Errorf("table %s survived the migration", table)
		}
	}

	// Down brings the old tables back with their rows.
	if _, err := p.DownTo(ctx, 3); err != nil {
		t.Fatalf("migrate down to 3: %v", err)
	}
	var user, hash, defaultQueue string
	if err := db.QueryRowContext(ctx, `SELECT username, password_hash FROM users WHERE id = 'u1'`).Scan(&user, &hash); err != nil ||
		user != `ad"min\` || !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("user u1 after down: got %q, %q, %v", user, hash, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT default_queue_id FROM routing_profiles WHERE id = 'rp-b'`).Scan(&defaultQueue); err != nil || defaultQueue != "q1" {
		t.Errorf("routing profile rp-b after down: got default queue %q, %v; want q1", defaultQueue, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM queues`).Scan(&n); err != nil || n != 2 {
		t.Errorf("queues after down: got %d, %v; want 2", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open the migrated database: %v", err)
	}
	defer s.Close()
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
// rows in index order do so without a sort.
func TestRoutingQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	t.Cleanup(func() { s.Close() }) // after the parallel subtests
	cases := []struct {
		name  string
		query string
		args  []any
		index string
		sorts bool // several states are several ranges, merged by a sort
	}{
		{"ListQueued", qListQueued, []any{"i1", "q1", 10}, "contact_routing_queued", false},
		{"CountQueued", qCountQueued, []any{"i1", "q1"}, "contact_routing_queued", false},
		{"ListContactRoutings", qListContactRoutings, []any{"i1", `["QUEUED"]`}, "contact_routing_state", true},
		{"ListAssignments by user", qListAssignments(assignmentByUser), []any{"i1", "u1"}, "assignments_user", false},
		{"ListAssignments by user, active", qListAssignments(assignmentByUser | assignmentActive),
			[]any{"i1", "u1"}, "assignments_user_active", false},
		{"ListAssignments by contact", qListAssignments(assignmentByContact), []any{"i1", "c1"}, "assignments_contact", false},
		{"ListResources", qListResources, []any{"i1", "queue"}, "resources_name", false},
		{"ListContactFlows", qListFlows, []any{"i1"}, "contact_flows_name", false},
		{"ListFlowLogs", qListFlowLogs, []any{"c1", 0, "i1", 10}, "flow_logs_contact", false},
		{"ListAgents", qListAgents, []any{"i1"}, "PRIMARY KEY", false},
		{"DeleteUserSessions", strings.Replace(qDeleteUserSessions, "DELETE", "SELECT 1", 1), []any{"i1", "u1"}, "sessions_user", false},
		{"DeleteExpiredSessions", strings.Replace(qDeleteExpiredSessions, "DELETE", "SELECT 1", 1), []any{1}, "sessions_expires", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, err := s.readDB.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(plan, "; ")
			if !strings.Contains(all, "INDEX "+tc.index+" (") && !strings.Contains(all, "USING "+tc.index) {
				t.Errorf("plan %q: want a search of %s", all, tc.index)
			}
			if strings.Contains(all, "TEMP B-TREE") && !tc.sorts {
				t.Errorf("plan %q: want no sort", all)
			}
		})
	}
}

// migratedTo returns a new database file migrated up to version, an open
// handle on it (closed when the test ends) and its migrator.
func migratedTo(t *testing.T, version int64) (string, *sql.DB, *goose.Provider) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "parley.db")
	opts, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	p, err := newMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrate up to %d: %v", version, err)
	}
	return path, db, p
}
