// Package api is the reference server's HTTP contract in Go, generated from
// refserver/openapi.yaml: the models and the strict net/http server
// interfaces (api.gen.go), and the document itself (Spec) for the server to
// publish at /openapi.yaml and to validate requests against.
//
// Where the domain has a Go type with a JSON form, the model is that type:
// Incident is incident.Incident, Report is report.Report, ID is itsm.ID,
// and so on (x-go-type in the document). A handler returns the domain's value
// as it is, and the spec's tests check that the document describes exactly
// the JSON those types write. The requests of commands, and the records only
// the server keeps (tokens, webhooks, events as the feed shows them), are
// generated structs.
//
// The generated code validates nothing beyond parameter syntax: the server
// validates each request against Spec (kin-openapi's openapi3filter) before
// a handler runs, and the domain's own checks stay authoritative.
//
// # Where the document lives
//
// refserver/openapi.yaml is the one source; it lives in the directory of the
// server's main package, where people look for it. A //go:embed directive
// cannot reach a parent directory nor follow a symbolic link, and a main
// package cannot be imported, so go generate copies the document byte for
// byte into spec.gen.go, a string constant of this package, and CI's check
// that go generate leaves the tree unchanged keeps the copy current (as does
// TestSpecIsTheFile). Edit openapi.yaml and run go generate ./refserver/...;
// never edit spec.gen.go. The main package may embed openapi.yaml itself as
// well; it gets the same bytes.
package api

import (
	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// SpecMediaType is the media type of the document Spec returns.
const SpecMediaType = "application/yaml"

// SchemaMediaType is the media type of the JSON Schemas Schemas returns.
const SchemaMediaType = "application/schema+json"

// Spec returns the OpenAPI document, refserver/openapi.yaml, byte for byte.
// Each call returns a new slice, which the caller may keep or change.
func Spec() []byte { return []byte(specYAML) }

// Schemas returns the JSON Schemas the server publishes under /schemas/,
// keyed by file name: "<type>.json" for the data of each event type of
// packages chain, incident, followup, request/catalogue, request/authority
// request, problem, knowledge and cmdb (group.renamed.json,
// incident.delegated.json, notification.sent.json, followup.approved.json,
// catalogue.agreed.json, authority.granted.json, order.placed.json,
// task.delegated.json, problem.recorded.json, known_error.recorded.json,
// knowledge.published.json, cmdb.item.created.json, ...), report.json for
// a report, and cmdb.model.json for the CMDB's model file. The names are the SchemaName values of the document, and each
// schema's $id ends in its name.
func Schemas() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, events := range []func() (map[string][]byte, error){
		chain.Schemas, incident.Schemas, followup.Schemas,
		catalogue.Schemas, authority.Schemas, request.Schemas, problem.Schemas, knowledge.Schemas, cmdb.Schemas,
	} {
		schemas, err := events()
		if err != nil {
			return nil, err
		}
		for eventType, s := range schemas {
			out[eventType+".json"] = s
		}
	}
	r, err := report.Schema()
	if err != nil {
		return nil, err
	}
	out["report.json"] = r
	m, err := cmdb.ModelSchema()
	if err != nil {
		return nil, err
	}
	out["cmdb.model.json"] = m
	return out, nil
}
