// Command parley is the Parley contact-center chat server.
//
//	parley [serve] [flags]   run the server (the default)
//	parley migrate [flags]   apply database migrations and exit
//	parley version           print the version
//
// Run `parley serve -h` for the flags; each has a PARLEY_* environment
// variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "parley:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args)
	case "migrate":
		return migrate(ctx, args)
	case "bench":
		return bench(ctx, args)
	case "version":
		fmt.Println("parley", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, bench or version)", cmd)
	}
}
