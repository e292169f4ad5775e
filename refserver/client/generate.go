// Package client is the Go client of spoc's reference server for suppliers
// and other integrations, generated from refserver/openapi.yaml.
//
// The models are package api's, and through it the domain's own types:
// an Incident decoded by the client is an incident.Incident, an ID an
// itsm.ID. NewClientWithResponses gives typed results per status (JSON200,
// ApplicationProblemJSON412, the ETag in Headers200, ...). Start with New,
// which authenticates every request with a bearer token and sends only the
// optional parameters a call set (OmitUnset).
//
// Retry safely: register with an Idempotency-Key, and send each command with
// the If-Match of the incident as last read, so that a retry after a lost
// reply either does what was meant once or fails with 412.
package client

// The client is generated from refserver/openapi.yaml by the same pinned
// oapi-codegen as package api, whose models it uses; see api/generate.go.

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../openapi.yaml
