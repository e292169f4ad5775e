// Command refserver is spoc's reference server: the desk's incident service,
// service-level reports and the monthly follow-up over HTTP, with bearer
// tokens, signed webhooks for suppliers and the OpenAPI contract in
// openapi.yaml.
//
//	go run ./refserver                      # on ./spoc.db, printing its URL
//	go run ./refserver --addr :8080         # another listen address
//	go run ./refserver --db postgres://...  # PostgreSQL instead of SQLite
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}
