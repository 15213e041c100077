package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/parley-chat/parley/internal/api/agent"
	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/api/participant"
	"github.com/parley-chat/parley/internal/api/webui"
	widgetapi "github.com/parley-chat/parley/internal/api/widget"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/bus/local"
	busnats "github.com/parley-chat/parley/internal/bus/nats"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/postgres"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/timer"
	"github.com/parley-chat/parley/internal/widget"
)

// shutdownGrace bounds how long in-flight requests may take to finish
// after SIGTERM.
const shutdownGrace = 15 * time.Second

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// openStore opens the configured store driver and applies migrations.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.Postgres() {
		return postgres.Open(ctx, cfg.DB)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "parley.db"))
}

// openBus opens the configured bus driver: in-process, or NATS for a
// cluster of nodes.
func openBus(ctx context.Context, cfg config.Config, log *slog.Logger) (bus.Bus, error) {
	if cfg.NATS() {
		return busnats.Open(ctx, cfg.Bus, log)
	}
	return local.New(), nil
}

func migrate(ctx context.Context, args []string) error {
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	return st.Close()
}

func serve(ctx context.Context, args []string) error {
	cfg, err := config.Load(args, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := openBus(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.Close() // after the gateway and the server have stopped
	if _, err := bootstrap.Ensure(ctx, st, cfg.DataDir, cfg.Region, time.Now(), log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = config.DerivePublicURL(ln.Addr().String())
	}

	chatSvc := chat.New(st, b, chat.Config{Logger: log, MaxActiveChats: cfg.MaxActiveChats})
	hostname, _ := os.Hostname()
	sched := timer.New(st, fmt.Sprintf("%s/%d", hostname, os.Getpid()), time.Now, log)
	for _, kind := range chat.TimerKinds {
		sched.Handle(kind, chatSvc.HandleTimer)
	}
	routingSvc := routing.New(st, b, chatSvc, routing.Config{Logger: log, KickTimers: sched.Kick, OfferTimeout: cfg.OfferTimeout})
	flowSvc := flow.New(st, chatSvc, routingSvc, flow.Config{Logger: log, KickTimers: sched.Kick, Region: cfg.Region, AccountID: connect.AccountID})
	chatSvc.SetHooks(flowSvc)
	routingSvc.SetFlowHooks(flowSvc)
	for _, kind := range flow.TimerKinds {
		sched.Handle(kind, flowSvc.HandleTimer)
	}
	directory := auth.NewDirectory(st, time.Now, log)
	directory.OnUserChanged = func(tx store.Tx, instanceID string, u auth.User, deleted bool) error {
		return routingSvc.UserChanged(tx, instanceID, u.ID, u.RoutingProfileID, deleted)
	}
	for _, kind := range routing.TimerKinds {
		sched.Handle(kind, routingSvc.HandleTimer)
	}
	gw := participant.NewGateway(chatSvc, b, log)
	widgetSvc := widget.New(st, chatSvc, widget.Config{Logger: log})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	connect.New(connect.Deps{Chat: chatSvc, Routing: routingSvc, Directory: directory, Flows: flowSvc, Widgets: widgetSvc, Auth: auth.SigV4(st, cfg.Region, time.Now), Region: cfg.Region, Log: log}).Register(mux)
	participant.New(chatSvc, gw, publicURL, cfg.ParticipantRate, log).Register(mux)
	workspace := agent.New(agent.Deps{Routing: routingSvc, Directory: directory, Flows: flowSvc, Log: log, SecureCookies: strings.HasPrefix(publicURL, "https://")})
	workspace.Register(mux)
	webui.Register(mux)
	widgetapi.New(widgetSvc, log).Register(mux)

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	g.Go(func() error { return sched.Run(gctx) })
	g.Go(func() error { return routingSvc.Run(gctx) })
	g.Go(func() error { return sweep(gctx, chatSvc, directory, log) })
	if cfg.DebugAddr != "" {
		g.Go(func() error { return serveDebug(gctx, cfg.DebugAddr, log) })
	}
	log.Info("parley is ready", "addr", ln.Addr().String(), "public_url", publicURL, "db", dbKind(cfg), "bus", busKind(cfg), "region", cfg.Region)

	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		// Stop accepting and finish in-flight requests (and so their
		// commits), while websockets are told the server is going away.
		errs := make(chan error, 2)
		go func() { errs <- gw.Shutdown(sctx) }()
		go func() { errs <- workspace.Shutdown(sctx) }()
		err := srv.Shutdown(sctx)
		return errors.Join(err, <-errs, <-errs)
	})
	return g.Wait()
}

// sweep periodically deletes expired tokens, idempotency records and
// workspace sessions.
func sweep(ctx context.Context, svc *chat.Service, dir *auth.Directory, log *slog.Logger) error {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := svc.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep expired records", "err", err)
			}
			if _, err := dir.SweepSessions(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep expired sessions", "err", err)
			}
		}
	}
}

func busKind(cfg config.Config) string {
	if cfg.NATS() {
		return "nats"
	}
	return "local"
}

func dbKind(cfg config.Config) string {
	if cfg.Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// serveDebug serves Go's profiling endpoints on a private address until
// ctx ends.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("serving profiles", "debug_addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("debug server: %w", err)
	}
	return nil
}
