package config

import (
	"io"
	"strings"
	"testing"
	"time"
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
		{name: "defaults", want: Config{Addr: "127.0.0.1:8080", DataDir: "./data", DB: "sqlite", Bus: "local", Region: "us-east-1", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "env", env: map[string]string{"PARLEY_ADDR": "0.0.0.0:9000", "PARLEY_DB": "postgres://db/parley", "PARLEY_REGION": "eu-west-2"},
			want: Config{Addr: "0.0.0.0:9000", DataDir: "./data", DB: "postgres://db/parley", Bus: "local", Region: "eu-west-2", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:1"}, env: map[string]string{"PARLEY_ADDR": "127.0.0.1:2"},
			want: Config{Addr: "127.0.0.1:1", DataDir: "./data", DB: "sqlite", Bus: "local", Region: "us-east-1", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "nats bus flag", args: []string{"--bus", "nats://10.0.0.5:4222"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./data", DB: "sqlite", Bus: "nats://10.0.0.5:4222", Region: "us-east-1", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "nats bus env with cluster and postgres", env: map[string]string{"PARLEY_BUS": "nats://a:4222,nats://user:pw@b:4222, tls://c", "PARLEY_DB": "postgres://db/parley"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./data", DB: "postgres://db/parley", Bus: "nats://a:4222,nats://user:pw@b:4222, tls://c", Region: "us-east-1", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "bus flag beats env", args: []string{"--bus", "local"}, env: map[string]string{"PARLEY_BUS": "nats://a:4222"},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./data", DB: "sqlite", Bus: "local", Region: "us-east-1", LogLevel: "info", MaxActiveChats: 100000, OfferTimeout: 20 * time.Second}},
		{name: "bad bus scheme", args: []string{"--bus", "redis://x:6379"}, wantErr: "--bus"},
		{name: "bad bus word", args: []string{"--bus", "nats"}, wantErr: "--bus"},
		{name: "bad bus no host", args: []string{"--bus", "nats://:4222"}, wantErr: "--bus"},
		{name: "bad bus in list", args: []string{"--bus", "nats://a:4222,http://b"}, wantErr: "--bus"},
		{name: "bad bus hides password", args: []string{"--bus", "http://user:secret@b"}, wantErr: "xxxxx"},
		{name: "unparsable bus hides password", args: []string{"--bus", "nats://user:secret@b%zz"}, wantErr: "--bus"},
		{name: "bad addr", args: []string{"--addr", "8080"}, wantErr: "--addr"},
		{name: "bad db", args: []string{"--db", "mysql://x"}, wantErr: "--db"},
		{name: "bad public url", args: []string{"--public-url", "ftp://x"}, wantErr: "--public-url"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "negative rate", args: []string{"--participant-rate", "-1"}, wantErr: "--participant-rate"},
		{name: "negative chat cap", args: []string{"--max-active-chats", "-5"}, wantErr: "--max-active-chats"},
		{name: "bad chat cap variable", env: map[string]string{"PARLEY_MAX_ACTIVE_CHATS": "lots"}, wantErr: "PARLEY_MAX_ACTIVE_CHATS"},
		{name: "bad rate variable", env: map[string]string{"PARLEY_PARTICIPANT_RATE": "fast"}, wantErr: "PARLEY_PARTICIPANT_RATE"},
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
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("Load error = %v: shows a password", err)
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

func TestWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		db   string
		bus  string
		want string // a substring of the only warning; empty means none
	}{
		{name: "sqlite local", db: "sqlite", bus: "local"},
		{name: "sqlite nats is harmless", db: "sqlite", bus: "nats://127.0.0.1:4222"},
		{name: "postgres nats", db: "postgres://db/parley", bus: "nats://127.0.0.1:4222"},
		{name: "postgres local warns", db: "postgres://db/parley", bus: "local", want: "nats://"},
		{name: "postgresql scheme local warns", db: "postgresql://db/parley", bus: "local", want: "several nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load([]string{"--db", tt.db, "--bus", tt.bus}, func(string) string { return "" }, io.Discard)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := cfg.Warnings()
			switch {
			case tt.want == "" && len(got) != 0:
				t.Fatalf("Warnings = %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Fatalf("Warnings = %q, want one mentioning %q", got, tt.want)
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

func TestParticipantRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  string
		want float64
	}{
		{nil, "", 0},
		{nil, "7.5", 7.5},
		{[]string{"--participant-rate", "3"}, "7.5", 3},
	} {
		c, err := Load(tc.args, func(k string) string {
			if k == "PARLEY_PARTICIPANT_RATE" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if err != nil || c.ParticipantRate != tc.want {
			t.Fatalf("Load(%v, env %q): rate %v, %v; want %v", tc.args, tc.env, c.ParticipantRate, err, tc.want)
		}
	}
}
