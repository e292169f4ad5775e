// Supplier is a supplier's integration with a spoc server, as a supplier
// would write it: it subscribes a webhook for its organisation's incident
// events, verifies the signature of every delivery, and works each incident
// the desk delegates to it through the generated client: it accepts it,
// records its own ticket reference, posts a status update and reports the
// resolution back to the desk, which informs the user and closes (SD-4).
//
// With the demo server running (go run ./refserver --demo) and its
// exports pasted into this shell:
//
//	go run ./examples/supplier --server $SPOC --token $NETWORK_TOKEN
//
// It prints what arrives and what it does, and deletes its subscription when
// stopped with Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "supplier:", err)
		os.Exit(1)
	}
}

// run parses the flags and works until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("supplier", flag.ContinueOnError)
	fs.SetOutput(out)
	var cfg Config
	fs.StringVar(&cfg.Server, "server", or(getenv("SPOC"), "http://127.0.0.1:8080"), "the spoc server's URL (default $SPOC)")
	fs.StringVar(&cfg.Token, "token", "", "the supplier agent's bearer token (default $NETWORK_TOKEN)")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "where to receive webhooks (port 0 picks a free one)")
	fs.DurationVar(&cfg.Pause, "pause", time.Second, "how long to work between steps, so that a person can follow")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.Token == "" {
		cfg.Token = getenv("NETWORK_TOKEN")
	}
	if cfg.Token == "" {
		return errors.New("no token: pass --token or set NETWORK_TOKEN (go run ./refserver --demo prints one)")
	}
	cfg.Out = out
	return Work(ctx, cfg)
}

func or(s, otherwise string) string {
	if s != "" {
		return s
	}
	return otherwise
}
