package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// TestMigrateFlows migrates a schema holding flows in the table of
// migration 5 and checks that each becomes a published, active flow at
// version 1 with that version stored, that names made unique keep every
// flow, and that the migration goes down and up again.
func TestMigrateFlows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, pool, p := migratedTo(t, 5)

	// f2 shares f1's name; f3 has it too, in another instance.
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO instances (id, alias, created_at) VALUES ('i1', 'a1', $1), ('i2', 'a2', $1)`, []any{at(0)}},
		{`INSERT INTO contact_flows (id, instance_id, name, type, content, created_at) VALUES
			('f1', 'i1', 'Inbound', 'CONTACT_FLOW', '{"Version":"2019-10-30","Actions":[]}', $1),
			('f2', 'i1', 'Inbound', 'CUSTOMER_QUEUE', '{"n":"日本語"}', $2),
			('f3', 'i2', 'Inbound', 'CONTACT_FLOW', '{}', $3)`, []any{at(1), at(2), at(3)}},
	} {
		if _, err := pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q.sql)[2], err)
		}
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatalf("migrate up to 6: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contact_flow_versions`).Scan(&n); err != nil || n != 3 {
		t.Errorf("versions after the migration: got %d, %v; want 3", n, err)
	}

	// Down drops what the migration added, and up adds it again.
	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatalf("migrate down to 5: %v", err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('contact_flow_versions') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Errorf("contact_flow_versions after down: exists %v, %v; want gone", exists, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contact_flows`).Scan(&n); err != nil || n != 3 {
		t.Errorf("flows after down: got %d, %v; want 3", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}

	s := openURL(t, u)
	cases := []struct {
		instance, id, name, typ, content string
		created                          time.Time
	}{
		{"i1", "f1", "Inbound", "CONTACT_FLOW", `{"Version":"2019-10-30","Actions":[]}`, at(1)},
		{"i1", "f2", "Inbound (f2)", "CUSTOMER_QUEUE", `{"n":"日本語"}`, at(2)},
		{"i2", "f3", "Inbound", "CONTACT_FLOW", `{}`, at(3)},
	}
	for _, tc := range cases {
		f, err := s.GetContactFlow(ctx, tc.instance, tc.id)
		if err != nil {
			t.Fatalf("GetContactFlow(%s): %v", tc.id, err)
		}
		if f.Name != tc.name || f.Type != tc.typ || f.Content != tc.content || f.Description != "" ||
			f.Status != store.FlowPublished || f.State != store.FlowActive || f.Version != 1 ||
			len(f.Tags) != 0 || !f.CreatedAt.Equal(tc.created) || !f.UpdatedAt.Equal(tc.created) {
			t.Errorf("migrated flow %s: got %+v", tc.id, f)
		}
		v, err := s.GetFlowVersion(ctx, tc.instance, tc.id, 1)
		if err != nil {
			t.Fatalf("GetFlowVersion(%s, 1): %v", tc.id, err)
		}
		if v.Content != tc.content || !v.CreatedAt.Equal(tc.created) {
			t.Errorf("version 1 of migrated flow %s: got %+v", tc.id, v)
		}
	}
	fs, err := s.ListContactFlows(ctx, "i1")
	if err != nil || len(fs) != 2 {
		t.Errorf("ListContactFlows(i1) after the migration: got %d, %v; want 2", len(fs), err)
	}
}
