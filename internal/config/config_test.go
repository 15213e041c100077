package config

import (
	"io"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: Config{Addr: "127.0.0.1:8080", DataDir: "./data", DB: "sqlite", Region: "us-east-1", LogLevel: "info"}},
		{name: "env", env: map[string]string{"PARLEY_ADDR": "0.0.0.0:9000", "PARLEY_DB": "postgres://db/parley", "PARLEY_REGION": "eu-west-2"},
			want: Config{Addr: "0.0.0.0:9000", DataDir: "./data", DB: "postgres://db/parley", Region: "eu-west-2", LogLevel: "info"}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:1"}, env: map[string]string{"PARLEY_ADDR": "127.0.0.1:2"},
			want: Config{Addr: "127.0.0.1:1", DataDir: "./data", DB: "sqlite", Region: "us-east-1", LogLevel: "info"}},
		{name: "bad addr", args: []string{"--addr", "8080"}, wantErr: "--addr"},
		{name: "bad db", args: []string{"--db", "mysql://x"}, wantErr: "--db"},
		{name: "bad public url", args: []string{"--public-url", "ftp://x"}, wantErr: "--public-url"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Load = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDerivePublicURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:80":     "http://127.0.0.1:80",
		"localhost:9":    "http://127.0.0.1:9",
		"[::]:7":         "http://127.0.0.1:7",
		"10.1.2.3:443":   "http://10.1.2.3:443",
	} {
		if got := DerivePublicURL(addr); got != want {
			t.Errorf("DerivePublicURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
