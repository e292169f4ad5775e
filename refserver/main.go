// Command refserver is spoc's reference server: the desk's incident service,
// the CMDB, service-level reports and the monthly follow-up over HTTP, with bearer
// tokens, signed webhooks for suppliers and the OpenAPI contract in
// openapi.yaml.
//
//	go run ./refserver                      # on ./spoc.db, printing its URL
//	go run ./refserver --addr :8080         # another listen address
//	go run ./refserver --db postgres://...  # PostgreSQL instead of SQLite
//	go run ./refserver --webhook-allow 10.20.0.0/16,hooks.internal
//	                                        # webhooks may reach these besides public addresses
//	go run ./refserver --cmdb-model model.json
//	                                        # the CMDB's classes and relation types
//
// Webhook receivers must have public addresses unless --webhook-allow (or
// SPOC_WEBHOOK_ALLOW) names their networks, addresses or host names; --demo
// allows loopback, for examples/supplier on the same machine, and says so.
// An organisation holds at most 10 webhook subscriptions unless
// --webhook-max-per-org (or SPOC_WEBHOOK_MAX_PER_ORG) says otherwise.
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
