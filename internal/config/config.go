// Package config reads Parley's settings from command-line flags and
// PARLEY_* environment variables (a flag wins over its variable) and
// validates them once at start.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of `parley serve`.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// DataDir holds the SQLite database, blobs and bootstrap.json.
	DataDir string
	// DB is "sqlite" or a postgres:// URL.
	DB string
	// Bus is "local" (in-process, one node) or the nats:// URL of the NATS
	// server or cluster that carries live events between nodes; several
	// URLs may be given separated by commas.
	Bus string
	// Region is the AWS region name Parley answers as.
	Region string
	// PublicURL is the externally visible base URL; empty means derive it
	// from the listen address once it is known.
	PublicURL string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// MaxActiveChats caps each instance's active chat contacts (0: no cap).
	MaxActiveChats int
	// ParticipantRate, if positive, limits each participant API bearer
	// token to that many requests a second per node (0: no limit).
	ParticipantRate float64
	// OfferTimeout is how long an agent has to accept an offered chat
	// before it is missed and offered to someone else.
	OfferTimeout time.Duration
	// DebugAddr, when set, serves Go's profiling endpoints
	// (/debug/pprof/) on this separate address; keep it private.
	DebugAddr string
}

// Postgres reports whether DB names a PostgreSQL database.
func (c Config) Postgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// NATS reports whether Bus names a NATS server rather than the in-process
// bus.
func (c Config) NATS() bool { return c.Bus != "" && c.Bus != "local" }

// Warnings returns advice about a valid but doubtful configuration, for
// the caller to log at start.
func (c Config) Warnings() []string {
	var w []string
	if c.Postgres() && !c.NATS() {
		w = append(w, "--db is PostgreSQL but --bus is local: fine for one node, but with several nodes "+
			"a websocket only hears messages sent through its own node; set --bus to a nats:// URL")
	}
	return w
}

// Load parses args (without the program and sub-command names) and the
// environment through getenv.
func Load(args []string, getenv func(string) string, errOut io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv("PARLEY_" + name); v != "" {
			return v
		}
		return def
	}
	var c Config
	fs := flag.NewFlagSet("parley serve", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address host:port (PARLEY_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./data"), "data directory: SQLite database, bootstrap.json (PARLEY_DATA_DIR)")
	fs.StringVar(&c.DB, "db", env("DB", "sqlite"), `"sqlite" or a postgres:// URL (PARLEY_DB)`)
	fs.StringVar(&c.Bus, "bus", env("BUS", "local"), `"local" or a nats:// URL (comma-separated for a cluster) carrying live events between nodes (PARLEY_BUS)`)
	fs.StringVar(&c.Region, "region", env("REGION", "us-east-1"), "AWS region name to answer as (PARLEY_REGION)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", ""), "externally visible base URL, e.g. https://chat.example.com (PARLEY_PUBLIC_URL); default derived from --addr")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (PARLEY_LOG_LEVEL)")
	fs.IntVar(&c.MaxActiveChats, "max-active-chats", 100000, "active chats allowed per instance; StartChatContact beyond it gets LimitExceededException; 0 = no cap (PARLEY_MAX_ACTIVE_CHATS)")
	fs.Float64Var(&c.ParticipantRate, "participant-rate", 0, "requests a second allowed per participant API token on each node, bursts of twice that; 0 = no limit (PARLEY_PARTICIPANT_RATE)")
	fs.DurationVar(&c.OfferTimeout, "offer-timeout", 20*time.Second, "how long an agent has to accept an offered chat, 5s to 10m (PARLEY_OFFER_TIMEOUT)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("DEBUG_ADDR", ""), "if set, serve /debug/pprof/ on this private host:port (PARLEY_DEBUG_ADDR)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if v := getenv("PARLEY_MAX_ACTIVE_CHATS"); v != "" && !explicit["max-active-chats"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return Config{}, fmt.Errorf("PARLEY_MAX_ACTIVE_CHATS %q: want a whole number", v)
		}
		c.MaxActiveChats = n
	}
	if v := getenv("PARLEY_PARTICIPANT_RATE"); v != "" && !explicit["participant-rate"] {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Config{}, fmt.Errorf("PARLEY_PARTICIPANT_RATE %q: want a number", v)
		}
		c.ParticipantRate = r
	}
	if v := getenv("PARLEY_OFFER_TIMEOUT"); v != "" && !explicit["offer-timeout"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("PARLEY_OFFER_TIMEOUT %q: want a duration such as 20s", v)
		}
		c.OfferTimeout = d
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	if c.MaxActiveChats < 0 {
		errs = append(errs, fmt.Errorf("--max-active-chats %d: must not be negative", c.MaxActiveChats))
	}
	if c.ParticipantRate < 0 {
		errs = append(errs, fmt.Errorf("--participant-rate %v: must not be negative", c.ParticipantRate))
	}
	if c.OfferTimeout < 5*time.Second || c.OfferTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("--offer-timeout %v: must be between 5s and 10m", c.OfferTimeout))
	}
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			errs = append(errs, fmt.Errorf("--debug-addr %q: want host:port", c.DebugAddr))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.DB != "sqlite" && !c.Postgres() {
		errs = append(errs, fmt.Errorf(`--db %q: want "sqlite" or a postgres:// URL`, c.DB))
	}
	if err := validBus(c.Bus); err != nil {
		errs = append(errs, err)
	}
	if c.Region == "" {
		errs = append(errs, errors.New("--region must not be empty"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("--public-url %q: want http(s)://host[:port][/path]", c.PublicURL))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// validBus accepts "local" or a comma-separated list of nats:// or tls://
// URLs with a host. A rejected URL is shown without its password.
func validBus(v string) error {
	if v == "local" {
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf(`--bus: %q is not a URL; want "local" or nats://host:port`, redact(s))
		}
		if (u.Scheme != "nats" && u.Scheme != "tls") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf(`--bus %q: want "local" or nats://host:port`, u.Redacted())
		}
	}
	return nil
}

// redact hides what looks like a password in a string that did not parse
// as a URL.
func redact(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return "…" + s[at:]
	}
	return s
}

// DerivePublicURL returns the public URL for a server listening on addr
// (the actual address, after binding): a wildcard or localhost host
// becomes 127.0.0.1, because amazon-connect-chatjs accepts plain ws:// URLs
// only on 127.0.0.1.
func DerivePublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch host {
	case "", "0.0.0.0", "::", "localhost":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
