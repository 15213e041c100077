package e2e

import (
	"os"
	"reflect"
	"testing"
)

// TestServerLifecycle checks the server contract the other end-to-end tests
// rely on: bootstrap.json is written on first start, private (0600) and
// complete, the --region flag reaches it, and restarts — clean or after a
// crash — keep the same instance and credentials.
func TestServerLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	srv := Start(t, Build(t), Options{Region: "eu-central-1"})

	fi, err := os.Stat(srv.BootstrapPath)
	if err != nil {
		t.Fatalf("bootstrap file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("bootstrap file mode: got %#o, want 0600", perm)
	}
	v := reflect.ValueOf(srv.Bootstrap)
	for i := range v.NumField() {
		if v.Field(i).String() == "" {
			t.Errorf("bootstrap file: %s is empty", v.Type().Field(i).Tag.Get("json"))
		}
	}
	if srv.Bootstrap.Region != "eu-central-1" {
		t.Errorf("bootstrap region: got %q, want eu-central-1 (from --region)", srv.Bootstrap.Region)
	}

	first := srv.Bootstrap
	srv.Restart(t)
	if srv.Bootstrap != first {
		t.Errorf("after a clean restart the bootstrap changed: %s", diffBootstrap(srv.Bootstrap, first))
	}

	srv.Kill()
	srv.Restart(t)
	if srv.Bootstrap != first {
		t.Errorf("after a crash and restart the bootstrap changed: %s", diffBootstrap(srv.Bootstrap, first))
	}
}

// diffBootstrap names the fields that differ, without printing secrets.
func diffBootstrap(got, want Bootstrap) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	var out string
	for i := range g.NumField() {
		if g.Field(i).String() != w.Field(i).String() {
			out += " " + g.Type().Field(i).Tag.Get("json")
		}
	}
	return "fields" + out
}
