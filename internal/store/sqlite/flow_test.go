package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// TestMigrateFlows migrates a database holding flows in the table of
// migration 5 and checks that each becomes a published, active flow at
// version 1 with that version stored, that names made unique keep every
// flow, and that the migration goes down and up again.
func TestMigrateFlows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path, db, p := migratedTo(t, 5)

	// Times are unix microseconds. f2 shares f1's name; f3 has it too, in
	// another instance.
	for _, q := range []string{
		`INSERT INTO instances (id, alias, region, created_at) VALUES ('i1', 'a1', 'r', 1), ('i2', 'a2', 'r', 1)`,
		`INSERT INTO contact_flows (id, instance_id, name, type, content, created_at) VALUES
			('f1', 'i1', 'Inbound', 'CONTACT_FLOW', '{"Version":"2019-10-30","Actions":[]}', 1000001),
			('f2', 'i1', 'Inbound', 'CUSTOMER_QUEUE', '{"n":"日本語"}', 1000002),
			('f3', 'i2', 'Inbound', 'CONTACT_FLOW', '{}', 1000003)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[2], err)
		}
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatalf("migrate up to 6: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM contact_flow_versions`).Scan(&n); err != nil || n != 3 {
		t.Errorf("versions after the migration: got %d, %v; want 3", n, err)
	}

	// Down drops what the migration added, and up adds it again.
	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatalf("migrate down to 5: %v", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT description FROM contact_flows`); err == nil {
		t.Error("column description survived the down migration")
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM contact_flows`).Scan(&n); err != nil || n != 3 {
		t.Errorf("flows after down: got %d, %v; want 3", n, err)
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
	cases := []struct {
		instance, id, name, typ, content string
		created                          int64
	}{
		{"i1", "f1", "Inbound", "CONTACT_FLOW", `{"Version":"2019-10-30","Actions":[]}`, 1000001},
		{"i1", "f2", "Inbound (f2)", "CUSTOMER_QUEUE", `{"n":"日本語"}`, 1000002},
		{"i2", "f3", "Inbound", "CONTACT_FLOW", `{}`, 1000003},
	}
	for _, tc := range cases {
		created := time.UnixMicro(tc.created).UTC()
		f, err := s.GetContactFlow(ctx, tc.instance, tc.id)
		if err != nil {
			t.Fatalf("GetContactFlow(%s): %v", tc.id, err)
		}
		if f.Name != tc.name || f.Type != tc.typ || f.Content != tc.content || f.Description != "" ||
			f.Status != store.FlowPublished || f.State != store.FlowActive || f.Version != 1 ||
			len(f.Tags) != 0 || !f.CreatedAt.Equal(created) || !f.UpdatedAt.Equal(created) {
			t.Errorf("migrated flow %s: got %+v", tc.id, f)
		}
		v, err := s.GetFlowVersion(ctx, tc.instance, tc.id, 1)
		if err != nil {
			t.Fatalf("GetFlowVersion(%s, 1): %v", tc.id, err)
		}
		if v.Content != tc.content || !v.CreatedAt.Equal(created) {
			t.Errorf("version 1 of migrated flow %s: got %+v", tc.id, v)
		}
	}
	fs, err := s.ListContactFlows(ctx, "i1")
	if err != nil || len(fs) != 2 {
		t.Errorf("ListContactFlows(i1) after the migration: got %d, %v; want 2", len(fs), err)
	}
}
