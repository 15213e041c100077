package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	pbench "github.com/parley-chat/parley/internal/bench"
)

// bench runs the load generator, `parley bench [flags]`. Without
// --endpoint it starts its own server (this binary, `serve`) on a free
// loopback port and stops it at the end. The logic lives in
// internal/bench, imported as pbench because this function has its name.
func bench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("parley bench", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var (
		cfg       pbench.Config
		phases    string
		asJSON    bool
		quiet     bool
		serverLog bool
	)
	fs.StringVar(&cfg.Endpoint, "endpoint", "", "base URL of an existing server (e.g. http://127.0.0.1:8080); default: start a child server")
	fs.StringVar(&cfg.BootstrapPath, "bootstrap", "", "the existing server's bootstrap.json (required with --endpoint)")
	fs.StringVar(&cfg.DB, "db", "", `child server's database: "sqlite" (default) or a postgres:// URL of a server on which a fresh database is created and dropped afterwards`)
	fs.IntVar(&cfg.Chats, "chats", pbench.DefaultChats, "chats of the setup, throughput and latency phases")
	fs.DurationVar(&cfg.Duration, "duration", pbench.DefaultDuration, "length of the throughput phase and of the latency phase")
	fs.IntVar(&cfg.IdleChats, "idle-chats", pbench.DefaultIdleChats, "chats of the idle-memory phase")
	fs.IntVar(&cfg.SetupWorkers, "setup-workers", pbench.DefaultWorkers, "chats being created at once in the setup and idle phases")
	fs.Float64Var(&cfg.Rate, "rate", 0, "aggregate messages/s of the latency phase; 0 = half the measured throughput")
	fs.StringVar(&phases, "phases", "all", "comma-separated phases to run: setup, throughput, latency, idle, or all")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON instead of the summary")
	fs.BoolVar(&quiet, "quiet", false, "do not print progress to stderr")
	fs.BoolVar(&serverLog, "server-log", false, "copy the child server's log to stderr")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: parley bench [flags]\n\nMeasures chat setup rate, SendMessage throughput, delivery latency at a fixed rate and idle memory per chat.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments: %v", fs.Args())
	}
	var err error
	if cfg.Phases, err = pbench.ParsePhases(phases); err != nil {
		return fmt.Errorf("bench: --phases: %w", err)
	}
	if cfg.Endpoint == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: find this program to start a server: %w", err)
		}
		cfg.ServerCommand = []string{exe}
	}
	if !quiet {
		cfg.Progress = os.Stderr
	}
	if serverLog {
		cfg.ServerLog = os.Stderr
	}
	if cfg.Duration <= 0 {
		return errors.New("bench: --duration must be positive")
	}

	started := time.Now()
	res, runErr := pbench.Run(ctx, cfg)
	if res != nil {
		if asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res); err != nil {
				return errors.Join(runErr, fmt.Errorf("bench: write result: %w", err))
			}
		} else {
			if err := res.WriteSummary(os.Stdout); err != nil {
				return errors.Join(runErr, fmt.Errorf("bench: write result: %w", err))
			}
			fmt.Printf("\ntotal %.1f s\n", time.Since(started).Seconds())
		}
	}
	return runErr
}
