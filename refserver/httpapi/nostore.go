package httpapi

import (
	"context"
	"net/http"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// secretBearing are the operations whose answer shows a secret, this once:
// a bearer token, or a webhook's signing key.
var secretBearing = map[string]bool{
	"IssueToken":          true,
	"CreateWebhook":       true,
	"RotateWebhookSecret": true,
}

// noStore marks the answers of secretBearing operations Cache-Control
// no-store, so that no cache between the client and the server, nor the
// client's own (a browser's, a library's), keeps the secret. Set before
// the operation runs, it covers its problems too, which is harmless.
func noStore(f api.StrictHandlerFunc, operationID string) api.StrictHandlerFunc {
	if !secretBearing[operationID] {
		return f
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		w.Header().Set("Cache-Control", "no-store")
		return f(ctx, w, r, req)
	}
}
