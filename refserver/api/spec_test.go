package api_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/cmdb/impact"
	"github.com/spoc-itsm/spoc/cmdb/sheet"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/problem/candidate"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// load parses and validates the document as the server will.
func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3.0 document: %v", err)
	}
	return doc
}

// schema returns a component schema.
func schema(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref, ok := doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		t.Fatalf("no schema %s in components", name)
	}
	return ref.Value
}

// operation is one method of one path.
type operation struct {
	method, path string
	op           *openapi3.Operation
}

func operations(doc *openapi3.T) []operation {
	var out []operation
	for p, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			out = append(out, operation{m, p, op})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].path+" "+out[i].method < out[j].path+" "+out[j].method
	})
	return out
}

func (o operation) String() string { return o.method + " " + o.path }

// header returns the operation's header parameter called name.
func (o operation) header(name string) *openapi3.Parameter {
	for _, p := range o.op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && p.Value.Name == name {
			return p.Value
		}
	}
	return nil
}

func (o operation) response(status string) *openapi3.Response {
	if r := o.op.Responses.Value(status); r != nil {
		return r.Value
	}
	return nil
}

func enumStrings(s *openapi3.Schema) []string {
	out := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// show prints an optional limit.
func show[T any](p *T) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSpecIsTheFile checks that the copy Spec returns is refserver/openapi.yaml
// byte for byte, so that a stale spec.gen.go fails here as well as in CI's
// go generate check.
func TestSpecIsTheFile(t *testing.T) {
	file, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(api.Spec(), file) {
		t.Fatal("api.Spec() differs from refserver/openapi.yaml: run go generate ./refserver/...")
	}
	if doc := load(t); doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3 (oapi-codegen does not fully support 3.1)", doc.OpenAPI)
	}
}

// TestOperationsAreDocumented checks what every operation must have: a
// unique operationId, a summary and a description, declared tags, and
// problem+json errors; and that only the public documents and probes go
// without a bearer token.
func TestOperationsAreDocumented(t *testing.T) {
	doc := load(t)
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %s has no description", tag.Name)
		}
		declared[tag.Name] = true
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Errorf("global security is %v, want bearerAuth", doc.Security)
	}
	public := map[string]bool{"contract": true, "operations": true}
	ids := map[string]string{}
	for _, o := range operations(doc) {
		op := o.op
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", o)
		} else if prev, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %s also names %s", o, op.OperationID, prev)
		}
		ids[op.OperationID] = o.String()
		if op.Summary == "" || op.Description == "" {
			t.Errorf("%s: summary or description missing", o)
		}
		if len(op.Tags) == 0 {
			t.Errorf("%s: no tags", o)
		}
		isPublic := false
		for _, tag := range op.Tags {
			if !declared[tag] {
				t.Errorf("%s: tag %s is not declared", o, tag)
			}
			isPublic = isPublic || public[tag]
		}
		switch {
		case isPublic == strings.HasPrefix(o.path, "/v1/"):
			t.Errorf("%s: tagged public %t, but public paths are exactly those outside /v1/", o, isPublic)
		case isPublic && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s: public, so it must set security: []", o)
		case !isPublic && op.Security != nil:
			t.Errorf("%s: overrides the global bearer security", o)
		}
		// Every failure is a problem: the default response, and any 4xx or
		// 5xx the operation names.
		def := o.response("default")
		if def == nil {
			t.Errorf("%s: no default response", o)
		}
		for status, ref := range op.Responses.Map() {
			if status != "default" && status < "400" {
				continue
			}
			if status == "503" && o.path == "/readyz" {
				continue // a probe answers a load balancer in plain text
			}
			mt := ref.Value.Content.Get("application/problem+json")
			if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
				t.Errorf("%s: response %s is not application/problem+json Problem", o, status)
			}
		}
		if !isPublic && o.response("401") == nil {
			t.Errorf("%s: needs a token but names no 401", o)
		}
		for _, p := range op.Parameters {
			if p.Value.Description == "" && p.Value.Schema.Value.Description == "" {
				t.Errorf("%s: parameter %s has no description", o, p.Value.Name)
			}
		}
	}
}

// TestSchemasAreDocumented checks that every component schema says what it
// is, and every property of an object schema too.
func TestSchemasAreDocumented(t *testing.T) {
	doc := load(t)
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		if s.Description == "" {
			t.Errorf("schema %s has no description", name)
		}
		for prop, p := range s.Properties {
			// A property that is only a $ref takes the referenced schema's
			// description; allOf with one $ref gives it its own.
			if p.Ref == "" && p.Value.Description == "" && !p.Value.Type.Is("array") {
				t.Errorf("schema %s: property %s has no description", name, prop)
			}
		}
	}
}

// commandPaths maps the commands of incident.Service, the methods that act
// on one incident, to their paths. It is derived from the Service's method
// set, so a command added to the domain without a path fails the test.
func commandPaths(t *testing.T) map[string]string {
	t.Helper()
	st := reflect.TypeFor[*incident.Service]()
	idType := reflect.TypeFor[itsm.ID]()
	out := map[string]string{}
	for m := range st.Methods() {
		ft := m.Type // receiver first
		// Get, View and ViewAt are the queries of one incident.
		if ft.NumIn() < 4 || ft.In(3) != idType || m.Name == "Get" || m.Name == "View" || m.Name == "ViewAt" {
			continue
		}
		seg := m.Name
		if seg == "SetReference" {
			seg = "Reference" // the supplier's reference, set by POST
		}
		var b strings.Builder
		for i, r := range seg {
			if i > 0 && r >= 'A' && r <= 'Z' {
				b.WriteByte('-')
			}
			b.WriteRune(r)
		}
		out[m.Name] = "/v1/incidents/{id}/" + strings.ToLower(b.String())
	}
	if len(out) < 20 {
		t.Fatalf("found %d commands on incident.Service, want the 20 or more it has: %v", len(out), out)
	}
	return out
}

// TestEveryCommandHasAPath checks that each command of incident.Service is a
// POST under /v1/incidents/{id}/ that takes If-Match (412 when stale), names
// the 409 of a state that refuses it, and returns the incident with its ETag.
// Coordinate changes two incidents and its IfVersion view refuses it, so it
// is the one command without If-Match.
func TestEveryCommandHasAPath(t *testing.T) {
	doc := load(t)
	for method, p := range commandPaths(t) {
		item := doc.Paths.Value(p)
		if item == nil || item.Post == nil {
			t.Errorf("incident.Service.%s has no POST %s", method, p)
			continue
		}
		o := operation{"POST", p, item.Post}
		if o.op.Parameters.GetByInAndName("path", "id") == nil {
			t.Errorf("%s: no id path parameter", o)
		}
		ifMatch := o.header("If-Match") != nil
		if want := method != "Coordinate"; ifMatch != want {
			t.Errorf("%s: takes If-Match %t, want %t", o, ifMatch, want)
		}
		if ifMatch && o.response("412") == nil {
			t.Errorf("%s: takes If-Match but names no 412", o)
		}
		ok := o.response("200")
		if ok == nil || ok.Headers["ETag"] == nil || ok.Content.Get("application/json").Schema.Ref != "#/components/schemas/Incident" {
			t.Errorf("%s: 200 must be the Incident with its ETag", o)
		}
		if o.response("409") == nil {
			t.Errorf("%s: names no 409 for a state that refuses the command", o)
		}
	}
	// And every POST under an incident is one of those commands.
	known := map[string]bool{}
	for _, p := range commandPaths(t) {
		known[p] = true
	}
	for _, o := range operations(doc) {
		if o.method == "POST" && strings.HasPrefix(o.path, "/v1/incidents/{id}/") && !known[o.path] {
			t.Errorf("%s is no command of incident.Service", o)
		}
	}
}

// TestOnlyRegistrationPlacingAndRecordingTakeAnIdempotencyKey checks that
// the contract promises idempotency where the domain keeps it (decisions 28
// and 92): the registration's key is incident.Registration.Key, the
// placing's request.Placement.Key and the recording's problem.Recording.Key,
// each checked in the transaction that makes the record, with the domain's
// limits. No other operation takes a key, since a cache in front of the
// domain could not keep the promise; commands are made safe to retry by
// If-Match instead.
func TestOnlyRegistrationPlacingAndRecordingTakeAnIdempotencyKey(t *testing.T) {
	doc := load(t)
	keeps := map[string]bool{"registerIncident": true, "placeOrder": true, "recordProblem": true}
	for _, o := range operations(doc) {
		key := o.header("Idempotency-Key")
		if !keeps[o.op.OperationID] {
			if key != nil {
				t.Errorf("%s: takes an Idempotency-Key, which no domain service keeps for it", o)
			}
			continue
		}
		if key == nil || key.Required {
			t.Fatalf("%s: must take an optional Idempotency-Key", o)
		}
		s := key.Schema.Value
		if s.MaxLength == nil || *s.MaxLength != incident.MaxKey || s.MinLength != 1 || s.Pattern != "^[!-~]+$" {
			t.Errorf("%s: Idempotency-Key must be 1 to incident.MaxKey (%d) printable ASCII bytes, is %d to %s %q",
				o, incident.MaxKey, s.MinLength, show(s.MaxLength), s.Pattern)
		}
	}
}

// TestSchemasAreServed checks that /schemas/{name} names exactly the
// schemas the domain publishes: one per event type of chain, incident,
// followup, the catalogue, the authority lists, orders and tasks, problems,
// known errors, workarounds and candidates, articles and their
// usefulness, and the report's.
func TestSchemasAreServed(t *testing.T) {
	doc := load(t)
	served, err := api.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, types := range [][]string{files(incident.Payloads()), files(followup.Payloads()), files(chain.Payloads()),
		files(catalogue.Payloads()), files(authority.Payloads()), files(request.OrderPayloads()), files(request.TaskPayloads()),
		files(problem.Payloads()), files(problem.KnownErrorPayloads()), files(problem.WorkaroundPayloads()),
		files(problem.DismissalPayloads()), files(knowledge.Payloads()), files(knowledge.StatsPayloads()), cmdbFiles(t)} {
		want = append(want, types...)
	}
	want = append(want, incident.NotificationEvent+".json", "report.json", "cmdb.model.json")
	var got []string
	for name, s := range served {
		got = append(got, name)
		var head struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(s, &head); err != nil || path.Base(head.ID) != name {
			t.Errorf("schema %s: $id %q does not end in its name (%v)", name, head.ID, err)
		}
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("api.Schemas() has %v, want %v", sorted(got), sorted(want))
	}
	enum := enumStrings(schema(t, doc, "SchemaName"))
	if !slices.Equal(sorted(enum), sorted(want)) {
		t.Errorf("SchemaName enumerates %v, want %v", sorted(enum), sorted(want))
	}
}

// cmdbFiles returns the schema file names of the CMDB's events, which
// cmdb.Schemas names as it publishes them.
func cmdbFiles(t *testing.T) []string {
	t.Helper()
	schemas, err := cmdb.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	out := files(cmdb.Payloads())
	for eventType := range schemas {
		if !slices.Contains(out, eventType+".json") {
			out = append(out, eventType+".json")
		}
	}
	return out
}

// files returns the schema file names of a package's event payloads.
func files[P interface{ Type() string }](payloads []P) []string {
	var out []string
	for _, p := range payloads {
		out = append(out, p.Type()+".json")
	}
	return out
}

// goTypes are the domain types the document maps its schemas to with
// x-go-type. Every x-go-type must be listed, so that each is checked.
var goTypes = map[string]reflect.Type{}

func init() {
	for _, t := range []reflect.Type{
		reflect.TypeFor[itsm.ID](), reflect.TypeFor[itsm.Number](), reflect.TypeFor[itsm.Priority](),
		reflect.TypeFor[itsm.Impact](), reflect.TypeFor[itsm.Urgency](), reflect.TypeFor[itsm.State](),
		reflect.TypeFor[itsm.Role](), reflect.TypeFor[itsm.OrgRole](), reflect.TypeFor[itsm.Actor](),
		reflect.TypeFor[itsm.Organisation](), reflect.TypeFor[itsm.Interval](),
		reflect.TypeFor[incident.Incident](), reflect.TypeFor[incident.Caller](), reflect.TypeFor[incident.Entry](),
		reflect.TypeFor[incident.Reference](), reflect.TypeFor[chain.Assignment](), reflect.TypeFor[incident.Outcome](),
		reflect.TypeFor[incident.Channel](), reflect.TypeFor[incident.EntryKind](), reflect.TypeFor[incident.WaitReason](),
		reflect.TypeFor[sla.Kind](), reflect.TypeFor[sla.Metric](), reflect.TypeFor[sla.Status](),
		reflect.TypeFor[report.Duration](), reflect.TypeFor[report.Report](), reflect.TypeFor[report.Period](),
		reflect.TypeFor[report.Figures](), reflect.TypeFor[report.Group](), reflect.TypeFor[report.AgreementFigures](),
		reflect.TypeFor[report.MetricFigures](), reflect.TypeFor[report.MetricPoint](), reflect.TypeFor[report.TrendPoint](),
		reflect.TypeFor[report.Backlog](), reflect.TypeFor[report.AgeBucket](), reflect.TypeFor[report.Credit](),
		reflect.TypeFor[report.Requests](), reflect.TypeFor[report.RequestGroup](), reflect.TypeFor[report.RequestFigures](),
		reflect.TypeFor[report.Problems](), reflect.TypeFor[report.ProblemGroup](), reflect.TypeFor[report.ProblemFigures](),
		reflect.TypeFor[report.Times](), reflect.TypeFor[sla.Scope](),
		reflect.TypeFor[followup.FollowUp](), reflect.TypeFor[followup.Version](), reflect.TypeFor[followup.Draft](),
		reflect.TypeFor[followup.Review](), reflect.TypeFor[followup.State](), reflect.TypeFor[json.RawMessage](),
		reflect.TypeFor[itsm.Domain](), reflect.TypeFor[auth.Token](),
		reflect.TypeFor[webhook.Payload](), reflect.TypeFor[webhook.Subscription](), reflect.TypeFor[webhook.Created](),
		reflect.TypeFor[webhook.Delivery](), reflect.TypeFor[webhook.DeadLetter](), reflect.TypeFor[webhook.State](),
		reflect.TypeFor[chain.Group](),
		reflect.TypeFor[catalogue.Item](), reflect.TypeFor[catalogue.Version](), reflect.TypeFor[catalogue.Definition](),
		reflect.TypeFor[catalogue.Text](), reflect.TypeFor[catalogue.Task](), reflect.TypeFor[catalogue.Agreement](),
		reflect.TypeFor[catalogue.Type](), reflect.TypeFor[request.Order](), reflect.TypeFor[request.Task](),
		reflect.TypeFor[request.Approval](), reflect.TypeFor[request.Decision](), reflect.TypeFor[request.Fulfilling](),
		reflect.TypeFor[request.TaskSummary](), reflect.TypeFor[request.Handover](), reflect.TypeFor[authority.Grant](),
		reflect.TypeFor[authority.Ending](), reflect.TypeFor[authority.Absence](), reflect.TypeFor[authority.Role](),
		reflect.TypeFor[problem.Problem](), reflect.TypeFor[problem.Entry](), reflect.TypeFor[problem.KnownError](),
		reflect.TypeFor[problem.Fix](), reflect.TypeFor[problem.FixStatus](), reflect.TypeFor[problem.Workaround](),
		reflect.TypeFor[problem.Risk](), reflect.TypeFor[problem.Applier](), reflect.TypeFor[candidate.Candidate](),
		reflect.TypeFor[candidate.Key](), reflect.TypeFor[candidate.Span](), reflect.TypeFor[candidate.Dismissal](),
		reflect.TypeFor[knowledge.Article](), reflect.TypeFor[knowledge.Content](), reflect.TypeFor[knowledge.Version](),
		reflect.TypeFor[knowledge.Stats](), reflect.TypeFor[knowledge.Hit](), reflect.TypeFor[knowledge.Result](),
		reflect.TypeFor[knowledge.Usage](), reflect.TypeFor[knowledge.Gap](), reflect.TypeFor[knowledge.ArticleKind](),
		reflect.TypeFor[knowledge.Language](), reflect.TypeFor[knowledge.Audience](), reflect.TypeFor[knowledge.State](),
		reflect.TypeFor[cmdb.Model](), reflect.TypeFor[cmdb.Class](), reflect.TypeFor[cmdb.Attribute](),
		reflect.TypeFor[cmdb.AttributeType](), reflect.TypeFor[cmdb.Allowed](), reflect.TypeFor[cmdb.RelationType](),
		reflect.TypeFor[cmdb.Propagation](), reflect.TypeFor[cmdb.Effect](), reflect.TypeFor[cmdb.State](),
		reflect.TypeFor[cmdb.Redundancy](), reflect.TypeFor[cmdb.Consumer](), reflect.TypeFor[cmdb.Relation](),
		reflect.TypeFor[cmdb.Item](), reflect.TypeFor[cmdb.Summary](),
		reflect.TypeFor[cmdb.Link](), reflect.TypeFor[cmdb.Down](), reflect.TypeFor[cmdb.Affected](),
		reflect.TypeFor[cmdb.Impact](), reflect.TypeFor[cmdb.Change](), reflect.TypeFor[cmdb.ChangeKind](),
		reflect.TypeFor[cmdb.ChangeState](), reflect.TypeFor[cmdb.ChangeEffect](), reflect.TypeFor[cmdb.Texts](),
		reflect.TypeFor[cmdb.LocalWindow](), reflect.TypeFor[cmdb.Window](), reflect.TypeFor[cmdb.Approval](),
		reflect.TypeFor[cmdb.AffectedService](), reflect.TypeFor[cmdb.ImpactSummary](), reflect.TypeFor[cmdb.Collision](),
		reflect.TypeFor[cmdb.ScheduledChange](), reflect.TypeFor[cmdb.ScheduleWeek](), reflect.TypeFor[cmdb.ForwardSchedule](),
		reflect.TypeFor[cmdb.Outage](), reflect.TypeFor[cmdb.Import](), reflect.TypeFor[cmdb.ImportState](),
		reflect.TypeFor[cmdb.ImportOptions](), reflect.TypeFor[cmdb.Counts](), reflect.TypeFor[cmdb.Discrepancy](),
		reflect.TypeFor[cmdb.DiscrepancyKind](), reflect.TypeFor[cmdb.Refusal](), reflect.TypeFor[cmdb.FieldChange](),
		reflect.TypeFor[sheet.Format](),
	} {
		goTypes[path.Base(t.PkgPath())+"."+t.Name()] = t
	}
}

// jsonFields returns the JSON names encoding/json writes for struct type t,
// and those it always writes (no omitempty or omitzero).
func jsonFields(t reflect.Type) (names, required []string) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			n, r := jsonFields(f.Type)
			names, required = append(names, n...), append(required, r...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
			required = append(required, name)
		}
	}
	return sorted(names), sorted(required)
}

// TestSchemasMatchTheDomainTypes checks each schema mapped to a domain type
// against that type: an object schema lists exactly the properties
// encoding/json writes and requires exactly those it always writes, and
// forbids others; a scalar has the JSON type the Go type encodes as. So a
// field added to incident.Incident, or a tag changed, fails here until the
// document says so.
func TestSchemasMatchTheDomainTypes(t *testing.T) {
	doc := load(t)
	mapped := 0
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		goType, ok := s.Extensions["x-go-type"].(string)
		if !ok {
			continue
		}
		mapped++
		gt, ok := goTypes[goType]
		if !ok {
			t.Errorf("schema %s: x-go-type %s is not in goTypes, so nothing checks it", name, goType)
			continue
		}
		if imp, ok := s.Extensions["x-go-type-import"].(map[string]any); ok && imp["path"] != gt.PkgPath() {
			t.Errorf("schema %s: x-go-type-import %v, want %s", name, imp["path"], gt.PkgPath())
		}
		switch {
		case s.Type.Is("object"):
			if gt.Kind() != reflect.Struct {
				t.Errorf("schema %s is an object, %s a %s", name, gt, gt.Kind())
				continue
			}
			names, required := jsonFields(gt)
			var props []string
			for p := range s.Properties {
				props = append(props, p)
			}
			if !slices.Equal(sorted(props), names) {
				t.Errorf("schema %s has properties %v, %s writes %v", name, sorted(props), gt, names)
			}
			if !slices.Equal(sorted(s.Required), required) {
				t.Errorf("schema %s requires %v, %s always writes %v", name, sorted(s.Required), gt, required)
			}
			if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
				t.Errorf("schema %s must forbid additional properties", name)
			}
		case s.Type.Is("string"):
			if !gt.Implements(reflect.TypeFor[encoding.TextMarshaler]()) && gt.Kind() != reflect.String {
				t.Errorf("schema %s is a string, %s neither a string nor a TextMarshaler", name, gt)
			}
		case s.Type.Is("integer"):
			if k := gt.Kind(); k < reflect.Int || k > reflect.Int64 {
				t.Errorf("schema %s is an integer, %s a %s", name, gt, k)
			}
		}
	}
	// Properties may carry an x-go-type of their own (Event.data, the
	// comment kind); check that they name known types too.
	for name, ref := range doc.Components.Schemas {
		for prop, p := range ref.Value.Properties {
			if gt, ok := p.Value.Extensions["x-go-type"].(string); ok && p.Ref == "" {
				if _, known := goTypes[gt]; !known {
					t.Errorf("schema %s: property %s: x-go-type %s is not in goTypes", name, prop, gt)
				}
			}
		}
	}
	if mapped < 30 {
		t.Errorf("only %d schemas map to domain types", mapped)
	}
}

// knowledgeStates returns the states of an article as the contract
// writes them.
func knowledgeStates() []string {
	var out []string
	for _, s := range knowledge.States() {
		out = append(out, string(s))
	}
	return out
}

// cmdbStrings returns the CMDB's closed set of words as strings.
func cmdbStrings[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// enumOf returns the enum of a property of one of the domain's event
// schemas, which list the closed sets of words the domain writes.
func enumOf(t *testing.T, schemas map[string][]byte, eventType string, pointer ...string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(schemas[eventType], &v); err != nil {
		t.Fatalf("%s: %v", eventType, err)
	}
	for _, key := range pointer {
		m, _ := v.(map[string]any)
		v = m[key]
	}
	list, _ := v.([]any)
	if len(list) == 0 {
		t.Fatalf("%s: no enum at %v", eventType, pointer)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// TestEnumsAndLimitsMatchTheDomain checks the document's closed sets and
// limits against the domain's: states, follow-up states, holiday codes,
// channels, journal kinds, wait reasons, roles, error codes, page sizes and
// text lengths.
func TestEnumsAndLimitsMatchTheDomain(t *testing.T) {
	doc := load(t)
	events, err := incident.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, s := range incident.States() {
		states = append(states, string(s))
	}
	var fuStates []string
	for _, s := range followup.States() {
		fuStates = append(fuStates, string(s))
	}
	var codes []string
	for _, c := range []itsm.Code{itsm.CodeNotFound, itsm.CodeInvalid, itsm.CodeConflict, itsm.CodeForbidden,
		itsm.CodeUnavailable, itsm.CodeUnsupported, itsm.CodeInternal} {
		codes = append(codes, string(c))
	}
	codes = append(codes, "unauthenticated")
	for _, c := range []struct {
		schema string
		want   []string
	}{
		{"IncidentState", states},
		{"FollowUpState", fuStates},
		{"HolidayCode", sla.Countries()},
		{"Channel", enumOf(t, events, "incident.registered", "properties", "channel", "enum")},
		{"EntryKind", enumOf(t, events, "incident.commented", "properties", "kind", "enum")},
		{"WaitReason", enumOf(t, events, "incident.waiting", "properties", "reason", "enum")},
		{"Role", enumOf(t, events, "incident.started", "$defs", "Actor", "properties", "roles", "items", "enum")},
		{"OrgRole", []string{string(itsm.OrgCustomer), string(itsm.OrgDesk), string(itsm.OrgSupplier)}},
		{"AgreementKind", []string{string(sla.KindSLA), string(sla.KindOLA), string(sla.KindUC)}},
		{"ClockStatus", []string{string(sla.StatusRunning), string(sla.StatusPaused), string(sla.StatusStopped), string(sla.StatusIdle)}},
		{"ErrorCode", codes},
		{"WebhookState", []string{string(webhook.StateActive), string(webhook.StatePaused)}},
		{"Domain", []string{string(itsm.DomainIncident), string(itsm.DomainRequest), string(itsm.DomainProblem),
			string(itsm.DomainCMDB), string(itsm.DomainKnowledge), string(itsm.DomainServiceLevel)}},
		{"ArticleState", knowledgeStates()},
		{"ArticleKind", []string{string(knowledge.KindFAQ), string(knowledge.KindGuide), string(knowledge.KindKnownError)}},
		{"Language", []string{string(knowledge.Swedish), string(knowledge.Bokmal), string(knowledge.Nynorsk), string(knowledge.English)}},
		{"Audience", []string{string(knowledge.AudiencePublic), string(knowledge.AudienceUsers), string(knowledge.AudienceChain)}},
		{"ConfigItemState", cmdbStrings(cmdb.States())},
		{"CmdbAttributeType", cmdbStrings([]cmdb.AttributeType{cmdb.TypeText, cmdb.TypeInteger, cmdb.TypeDecimal, cmdb.TypeBoolean,
			cmdb.TypeDate, cmdb.TypeEnum, cmdb.TypeIP})},
		{"CmdbPropagation", cmdbStrings([]cmdb.Propagation{cmdb.PropagateNone, cmdb.ToSource, cmdb.ToTarget, cmdb.Both})},
		{"CmdbEffect", cmdbStrings([]cmdb.Effect{cmdb.EffectFull, cmdb.EffectWeaken})},
		{"ItemHealth", []string{impact.Down.String(), impact.Degraded.String()}},
		{"ChangeKind", cmdbStrings([]cmdb.ChangeKind{cmdb.ChangePlanned, cmdb.ChangeUnplanned})},
		{"ChangeState", cmdbStrings([]cmdb.ChangeState{cmdb.ChangeStateDraft, cmdb.ChangeStateApproved, cmdb.ChangeStateInProgress,
			cmdb.ChangeStateCompleted, cmdb.ChangeStateCancelled})},
		{"ChangeEffect", cmdbStrings([]cmdb.ChangeEffect{cmdb.ChangeEffectNone, cmdb.ChangeEffectDegraded, cmdb.ChangeEffectOutage})},
		{"ImportFormat", cmdbStrings([]sheet.Format{sheet.CSV, sheet.XLSX})},
		{"ImportState", cmdbStrings([]cmdb.ImportState{cmdb.ImportStateDryRun, cmdb.ImportStateApplied, cmdb.ImportStateStale,
			cmdb.ImportStateDiscarded})},
		{"DiscrepancyKind", cmdbStrings([]cmdb.DiscrepancyKind{cmdb.DiscrepancyCreated, cmdb.DiscrepancyUpdated, cmdb.DiscrepancyUnchanged,
			cmdb.DiscrepancyRefused, cmdb.DiscrepancyMissing})},
		{"Refusal", cmdbStrings([]cmdb.Refusal{cmdb.RefusedInvalid, cmdb.RefusedRequired, cmdb.RefusedNoKey, cmdb.RefusedDuplicate,
			cmdb.RefusedConflict, cmdb.RefusedSupplier})},
	} {
		if got := enumStrings(schema(t, doc, c.schema)); !slices.Equal(sorted(got), sorted(c.want)) {
			t.Errorf("%s enumerates %v, the domain %v", c.schema, got, c.want)
		}
	}
	for _, r := range enumStrings(schema(t, doc, "OrgRole")) {
		if !itsm.OrgRole(r).Valid() {
			t.Errorf("OrgRole %q is not valid in itsm", r)
		}
	}
	for _, k := range enumStrings(schema(t, doc, "Comment").Properties["kind"].Value) {
		if k != string(incident.EntryCommunication) && k != string(incident.EntryWorkNote) {
			t.Errorf("a comment of kind %q is refused by incident.Service.Comment", k)
		}
	}
	var domains []string
	for d := range schema(t, doc, "Permissions").Properties {
		if !itsm.Domain(d).Valid() {
			t.Errorf("Permissions has %q, not an itsm.Domain", d)
		}
		domains = append(domains, d)
	}
	if len(domains) != 6 {
		t.Errorf("Permissions lists %d domains, itsm has 6", len(domains))
	}

	// The knowledge base's limits: an article's texts and lists, and the
	// pages of its search and reports.
	for _, c := range []struct {
		schema, prop string
		want         int
	}{
		{"ArticleContent", "body", knowledge.MaxBody},
		{"ArticleDraft", "body", knowledge.MaxBody},
		{"ArticleTranslation", "body", knowledge.MaxBody},
		{"ArticleContent", "keywords", knowledge.MaxKeywords},
		{"ArticleDraft", "keywords", knowledge.MaxKeywords},
		{"ArticleTranslation", "keywords", knowledge.MaxKeywords},
		{"ArticleContent", "customers", knowledge.MaxCustomers},
		{"ArticleDraft", "customers", knowledge.MaxCustomers},
		{"ArticleTranslation", "customers", knowledge.MaxCustomers},
		{"ArticlePublishing", "note", knowledge.MaxText},
		{"ConfigItemInput", "name", itsm.MaxLabel},
		{"ConfigItemInput", "consumers", cmdb.MaxConsumers},
		{"ConfigItemInput", "relations", cmdb.MaxRelations},
		{"ConfigItemEdit", "name", itsm.MaxLabel},
		{"ConfigItemEdit", "consumers", cmdb.MaxConsumers},
		{"ConfigItemStateChange", "reason", cmdb.MaxText},
		{"ImpactQuestion", "down", cmdb.MaxDown},
		{"Consumer", "unit", itsm.MaxLabel},
		{"ChangeInput", "title", itsm.MaxLabel},
		{"ChangeInput", "items", cmdb.MaxChangeItems},
		{"ChangeEdit", "items", cmdb.MaxChangeItems},
		{"ChangeTexts", "sv", cmdb.MaxUserText},
		{"ChangeTexts", "en", cmdb.MaxUserText},
		{"ChangeCompletion", "note", cmdb.MaxText},
		{"ChangeCancellation", "reason", cmdb.MaxText},
		{"ImportDiscarding", "reason", cmdb.MaxText},
	} {
		p := schema(t, doc, c.schema).Properties[c.prop].Value
		got := p.MaxLength
		if p.Type.Is("array") {
			got = p.MaxItems
		}
		if got == nil || *got != uint64(c.want) {
			t.Errorf("%s.%s: at most %s, the domain %d", c.schema, c.prop, show(got), c.want)
		}
	}
	if rl := doc.Components.Parameters["ReportLimit"].Value.Schema.Value; rl.Max == nil || *rl.Max != knowledge.MaxLimit {
		t.Errorf("ReportLimit: maximum %s, want knowledge.MaxLimit %d", show(rl.Max), knowledge.MaxLimit)
	}
	limit := doc.Components.Parameters["Limit"].Value.Schema.Value
	if limit.Max == nil || *limit.Max != itsm.MaxLimit || !strings.Contains(doc.Components.Parameters["Limit"].Value.Description, strconv.Itoa(itsm.DefaultLimit)) {
		t.Errorf("Limit: maximum %s, want itsm.MaxLimit %d, and the description must name itsm.DefaultLimit", show(limit.Max), itsm.MaxLimit)
	}
	if got := schema(t, doc, "Registration").Properties["summary"].Value.MaxLength; got == nil || *got != incident.MaxSummary {
		t.Errorf("Registration.summary maxLength %s, want incident.MaxSummary %d", show(got), incident.MaxSummary)
	}
	for _, c := range []struct {
		schema, prop string
		want         int
	}{
		{"TokenInput", "name", auth.MaxName},
		{"TokenInput", "description", auth.MaxDescription},
		{"OrganisationInput", "name", auth.MaxName},
		{"WebhookInput", "url", webhook.MaxURL},
		{"WebhookInput", "secret", webhook.MaxSecret},
		{"WebhookInput", "types", webhook.MaxTypes},
		{"WebhookChange", "types", webhook.MaxTypes},
	} {
		p := schema(t, doc, c.schema).Properties[c.prop].Value
		got := p.MaxLength
		if p.Type.Is("array") {
			got = p.MaxItems
		}
		if got == nil || *got != uint64(c.want) {
			t.Errorf("%s.%s: maximum %s, the server's limit %d", c.schema, c.prop, show(got), c.want)
		}
	}
	if got := schema(t, doc, "WebhookInput").Properties["secret"].Value.MinLength; got != webhook.MinSecret {
		t.Errorf("WebhookInput.secret minLength %d, webhook.MinSecret %d", got, webhook.MinSecret)
	}
	if got := schema(t, doc, "Text").MaxLength; got == nil || *got != incident.MaxText {
		t.Errorf("Text maxLength %s, want incident.MaxText %d", show(got), incident.MaxText)
	}
}

// world is a running incident service with a desk, a customer and two
// suppliers, a customer SLA with credits and a UC, and a major-incident rota.
type world struct {
	svc                 *incident.Service
	store               itsm.Store
	dir                 incident.Organisations
	perms               *itsm.Permissions
	clock               *itsm.ManualClock
	agreements          []*sla.Agreement
	desk, city, net, hw itsm.Organisation
	agent, nils, ulla   itsm.Actor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		desk: itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk},
		city: itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer},
		net:  itsm.Organisation{ID: itsm.NewID(), Name: "Network", Role: itsm.OrgSupplier},
		hw:   itsm.Organisation{ID: itsm.NewID(), Name: "Hardware", Role: itsm.OrgSupplier},
	}
	var err error
	if w.dir, err = incident.NewOrganisations(w.desk, w.city, w.net, w.hw); err != nil {
		t.Fatal(err)
	}
	w.perms = itsm.NewPermissions().
		Grant(w.desk.ID, itsm.DomainIncident, itsm.AccessAll).
		Grant(w.desk.ID, itsm.DomainServiceLevel, itsm.AccessAll).
		Grant(w.city.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite).
		Grant(w.city.ID, itsm.DomainServiceLevel, itsm.AccessRead|itsm.AccessWrite).
		Grant(w.net.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite).
		Grant(w.hw.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite)
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	done := []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}
	targets := func(resolve time.Duration) []sla.Target {
		var out []sla.Target
		for p := itsm.Priority(1); p <= 4; p++ {
			out = append(out,
				sla.Target{Metric: sla.MetricResponse, Priority: p, Within: 15 * time.Minute, Calendar: always,
					Stop: append([]itsm.State{incident.StateInProgress, incident.StateDelegated}, done...)},
				sla.Target{Metric: sla.MetricResolution, Priority: p, Within: resolve, Calendar: always, Stop: done,
					Pause: []itsm.State{incident.StateWaitingUser}},
				sla.Target{Metric: sla.MetricUpdate, Priority: p, Within: 2 * time.Hour, Calendar: always, Stop: done})
		}
		return out
	}
	w.agreements = []*sla.Agreement{
		{Name: "City SLA", Kind: sla.KindSLA, Provider: w.desk.ID, Consumer: w.city.ID, Objective: 0.95,
			Warnings: []float64{0.5, 0.75}, Targets: targets(4 * time.Hour),
			Credits: &sla.Credits{MonthlyFee: 100_000_00, Currency: "SEK", Cap: 10,
				Steps: []sla.CreditStep{{Above: 0, Percent: 2}, {Above: 0.1, Percent: 5}}}},
		{Name: "Network UC", Kind: sla.KindUC, Provider: w.net.ID, Consumer: w.desk.ID, Objective: 0.9,
			Targets: targets(2 * time.Hour)},
	}
	w.clock = itsm.NewManualClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	w.store = memstore.New()
	t.Cleanup(func() { w.store.Close() })
	w.svc, err = incident.New(incident.Config{
		Store: w.store, Directory: w.dir, Permissions: w.perms, Matrix: itsm.ServiceNowMatrix(), Clock: w.clock,
		Agreements: w.agreements,
		Major: incident.Major{
			Roster:     []incident.Duty{{Person: "mia", Channel: "sms", Address: "+46700000000", From: w.clock.Now().Add(-time.Hour), To: w.clock.Now().AddDate(0, 1, 0)}},
			Contacts:   []incident.Contact{{Person: "dm", Role: itsm.RoleDeliveryManager, Channel: "email", Address: "dm@example.org"}},
			Escalation: map[itsm.Priority][]itsm.Role{1: {itsm.RoleDeliveryManager}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.agent = itsm.Actor{Organisation: w.desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	w.nils = itsm.Actor{Organisation: w.net.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}}
	w.ulla = itsm.Actor{Organisation: w.city.ID, Person: "ulla", Roles: []itsm.Role{itsm.RoleApprover}}
	return w
}

// lifecycle runs most commands on a few incidents, so that the incidents
// fill every part of their JSON: journal of every kind, references,
// assignments with rejections and ping-pong, outcome, reopens, a major
// incident with its manager, a parent with a child, CIs and a problem.
func (w *world) lifecycle(t *testing.T) []*incident.Incident {
	t.Helper()
	ctx := context.Background()
	must := func(inc *incident.Incident, err error) *incident.Incident {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(7 * time.Minute)
		return inc
	}
	reg := func(summary string, impact itsm.Impact) *incident.Incident {
		return must(w.svc.Register(ctx, w.agent, incident.Registration{
			Customer: w.city.ID, Caller: incident.Caller{Person: "ulla", Name: "Ulla", Contact: "ulla@example.org"},
			Channel: incident.ChannelPhone, Service: "network", Category: "lan", Subcategory: "switch",
			Summary: summary, Description: "Nothing connects.", Impact: impact, Urgency: itsm.UrgencyHigh,
			CIs: []itsm.ID{itsm.NewID()},
		}))
	}
	a := reg("School network down", itsm.ImpactMedium)
	must(w.svc.Start(ctx, w.agent, a.ID))
	must(w.svc.Comment(ctx, w.agent, a.ID, incident.EntryCommunication, "We are on it."))
	must(w.svc.Delegate(ctx, w.agent, a.ID, incident.Delegation{Organisation: w.net.ID, Note: "urgent"}))
	must(w.svc.Reject(ctx, w.nils, a.ID, "Not ours."))
	must(w.svc.Delegate(ctx, w.agent, a.ID, incident.Delegation{Organisation: w.hw.ID}))
	must(w.svc.Delegate(ctx, w.agent, a.ID, incident.Delegation{Organisation: w.net.ID}))
	must(w.svc.Accept(ctx, w.nils, a.ID))
	must(w.svc.SetReference(ctx, w.nils, a.ID, "NET-4711"))
	must(w.svc.Update(ctx, w.nils, a.ID, "Replacing a switch."))
	must(w.svc.Wait(ctx, w.nils, a.ID, incident.WaitUser, "Waiting for access."))
	must(w.svc.Resume(ctx, w.nils, a.ID, "In."))
	must(w.svc.ReportBack(ctx, w.nils, a.ID, incident.Resolution{Code: "hardware", Text: "Switch replaced."}))
	must(w.svc.Close(ctx, w.agent, a.ID, "The network is back."))
	must(w.svc.Reopen(ctx, w.agent, a.ID, "Down again."))
	must(w.svc.Reprioritise(ctx, w.agent, a.ID, itsm.ImpactHigh, itsm.UrgencyHigh, "Whole district."))
	must(w.svc.DeclareMajor(ctx, w.agent, a.ID, "Whole district."))
	must(w.svc.Relate(ctx, w.agent, a.ID, []itsm.ID{itsm.NewID(), itsm.NewID()}, itsm.ID{}))
	// The problem link is the problem's to make, in its own transaction.
	var linked *incident.Incident
	must(linked, w.store.Write(ctx, func(tx itsm.WriteTx) (err error) {
		linked, err = w.svc.LinkProblem(ctx, tx, w.agent, a.ID, itsm.NewID(), false)
		return err
	}))
	must(w.svc.Recategorise(ctx, w.agent, a.ID, "network", "wan", ""))

	b := reg("Printer offline", itsm.ImpactLow)
	if err := w.svc.Coordinate(ctx, w.agent, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	must(w.svc.Resolve(ctx, w.agent, b.ID, incident.Resolution{Code: "restart", Text: "Restarted."}))
	must(w.svc.Close(ctx, w.agent, b.ID, "Your printer works again."))

	d := must(w.svc.Register(ctx, w.agent, incident.Registration{Caller: incident.Caller{Person: "bo"},
		Channel: incident.ChannelMonitoring, Summary: "Link flapping", Impact: itsm.ImpactLow,
		Urgency: itsm.UrgencyLow, Key: "alert-17"}))
	// The network supplier's two teams: the incident moves from one to
	// the other, assigned to a person.
	groups, err := chain.New(chain.Config{Store: w.store, Directory: w.dir, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	netAdmin := itsm.Actor{Organisation: w.net.ID, Person: "nina", Roles: []itsm.Role{itsm.RoleAdmin}}
	lan, err := groups.Create(ctx, netAdmin, w.net.ID, chain.Definition{Name: "LAN", Members: []string{"nils"}})
	if err != nil {
		t.Fatal(err)
	}
	wan, err := groups.Create(ctx, netAdmin, w.net.ID, chain.Definition{Name: "WAN", Members: []string{"nils"}})
	if err != nil {
		t.Fatal(err)
	}
	must(w.svc.Delegate(ctx, w.agent, d.ID, incident.Delegation{Organisation: w.net.ID, Group: lan.ID}))
	must(w.svc.Accept(ctx, w.nils, d.ID))
	must(w.svc.Assign(ctx, w.nils, d.ID, incident.AssignTo{Group: wan.ID, Assignee: "nils"}))

	c := reg("Duplicate", itsm.ImpactLow)
	must(w.svc.DeclareMajor(ctx, w.agent, c.ID, "Looked bad."))
	must(w.svc.StandDown(ctx, w.agent, c.ID, "It was not."))
	must(w.svc.Cancel(ctx, w.agent, c.ID, "Duplicate of the school network."))

	page, err := w.svc.List(ctx, w.agent, incident.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Incidents) != 4 {
		t.Fatalf("listed %d incidents, want 4", len(page.Incidents))
	}
	return page.Incidents
}

// visit validates the JSON of v against a component schema, with formats
// checked.
func visit(t *testing.T, doc *openapi3.T, name string, v any) error {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var decoded any
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	return schema(t, doc, name).VisitJSON(decoded, openapi3.EnableFormatValidation(), openapi3.MultiErrors())
}

// TestIncidentSchemaAcceptsRealIncidents validates incidents that went
// through the whole lifecycle against the Incident schema, and checks that
// the schema is not so loose that it accepts anything.
func TestIncidentSchemaAcceptsRealIncidents(t *testing.T) {
	doc := load(t)
	w := newWorld(t)
	incs := w.lifecycle(t)
	seen := map[string]bool{}
	for _, inc := range incs {
		if err := visit(t, doc, "Incident", inc); err != nil {
			t.Errorf("%s does not match the Incident schema: %v", inc.Number, err)
		}
		var m map[string]any
		b, _ := json.Marshal(inc)
		_ = json.Unmarshal(b, &m)
		for k := range m {
			seen[k] = true
		}
	}
	// The lifecycle must have filled every property, or the test proves
	// less than it claims.
	for p := range schema(t, doc, "Incident").Properties {
		if !seen[p] {
			t.Errorf("no incident of the lifecycle has %s", p)
		}
	}
	if err := visit(t, doc, "IncidentPage", api.IncidentPage{Items: []api.Incident{*incs[0]}, Next: "abc"}); err != nil {
		t.Errorf("IncidentPage: %v", err)
	}

	// Broken incidents are refused: an unknown property, a missing one, a
	// malformed number and an unknown state.
	good, _ := json.Marshal(incs[0])
	for name, change := range map[string]func(map[string]any){
		"extra property":  func(m map[string]any) { m["version"] = 3 },
		"missing summary": func(m map[string]any) { delete(m, "summary") },
		"bad number":      func(m map[string]any) { m["number"] = "INC42" },
		"unknown state":   func(m map[string]any) { m["state"] = "sleeping" },
		"priority zero":   func(m map[string]any) { m["priority"] = 0 },
		"bad time":        func(m map[string]any) { m["registered"] = "yesterday" },
	} {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		change(m)
		if err := schema(t, doc, "Incident").VisitJSON(m, openapi3.EnableFormatValidation()); err == nil {
			t.Errorf("%s: the Incident schema accepted it", name)
		}
	}

	// Clocks and due clocks as a handler would map them.
	now := w.clock.Now()
	clocks, err := w.svc.Clocks(incs[0], now)
	if err != nil || len(clocks) == 0 {
		t.Fatalf("clocks: %v, %d", err, len(clocks))
	}
	var list api.ClockList
	for _, c := range clocks {
		list.Items = append(list.Items, api.Clock{Agreement: c.Agreement, Kind: c.Kind, Metric: c.Metric,
			Provider: c.Provider, Priority: c.Priority, Target: report.Duration(c.Target),
			Elapsed: report.Duration(c.Elapsed), Remaining: report.Duration(c.Remaining), Due: c.Due,
			Status: c.Status, Warning: c.Warning, Breached: c.Breached, Missed: c.Missed})
	}
	if err := visit(t, doc, "ClockList", list); err != nil {
		t.Errorf("ClockList: %v", err)
	}
}

// TestReportAndFollowUpSchemasAcceptRealOnes validates a report computed
// from the running system's tickets, with a trend and credits, and a
// follow-up drafted and approved on such a report.
func TestReportAndFollowUpSchemasAcceptRealOnes(t *testing.T) {
	doc := load(t)
	w := newWorld(t)
	w.lifecycle(t)
	ctx := context.Background()
	compute := func(ctx context.Context, _, _ itsm.ID, p report.Period) (*report.Report, error) {
		spec := report.Spec{Period: p, Agreements: w.agreements, Previous: 2,
			Names: map[itsm.ID]string{w.desk.ID: w.desk.Name, w.net.ID: w.net.Name}}
		return report.Compute(spec, w.svc.Tickets(ctx, w.agent, spec.Span()))
	}
	month := report.Month(2026, time.November, time.UTC)
	r, err := compute(ctx, w.desk.ID, w.city.ID, month)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Agreements) != 2 || r.Agreements[0].Credit == nil || len(r.Suppliers) == 0 || len(r.Trend) != 3 {
		t.Fatalf("the report is too thin to prove much: %+v", r)
	}
	if err := visit(t, doc, "Report", r); err != nil {
		t.Errorf("report: %v", err)
	}
	var m map[string]any
	b, _ := json.Marshal(r)
	_ = json.Unmarshal(b, &m)
	m["agreements"] = nil // a nil list, which report.Schema refuses too
	if err := schema(t, doc, "Report").VisitJSON(m); err == nil {
		t.Error("the Report schema accepted null agreements")
	}

	w.clock.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	provides := func(_ context.Context, desk, customer itsm.ID) (bool, error) {
		return desk == w.desk.ID && customer == w.city.ID, nil
	}
	fs, err := followup.New(followup.Config{Store: w.store, Directory: w.dir, Permissions: w.perms,
		Clock: w.clock, Provides: provides, Compute: compute})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Draft(ctx, w.agent, w.city.ID, month)
	if err != nil {
		t.Fatal(err)
	}
	if err := visit(t, doc, "FollowUp", f); err != nil {
		t.Errorf("drafted follow-up: %v", err)
	}
	if f, err = fs.Reject(ctx, w.ulla, f.ID, f.Current().Digest, "Ticket INC0000001 was ours."); err != nil {
		t.Fatal(err)
	}
	if len(f.Current().Rejections) != 1 {
		t.Fatalf("rejected follow-up: %+v", f.Current())
	}
	if f, err = fs.Draft(ctx, w.agent, w.city.ID, month); err != nil {
		t.Fatal(err)
	}
	if f, err = fs.Approve(ctx, w.ulla, f.ID, f.Current().Digest, "Fine."); err != nil {
		t.Fatal(err)
	}
	if f, err = fs.Correct(ctx, w.agent, f.ID, "A ticket was counted twice."); err != nil {
		t.Fatal(err)
	}
	if err := visit(t, doc, "FollowUp", f); err != nil {
		t.Errorf("corrected follow-up: %v", err)
	}
	if err := visit(t, doc, "FollowUpPage", api.FollowUpPage{Items: []api.FollowUp{*f}}); err != nil {
		t.Errorf("follow-up page: %v", err)
	}
}

// TestRoutesDoNotConflict registers the generated handlers on a
// net/http.ServeMux, which panics on two patterns that match the same
// request with neither more specific (such as /v1/incidents/{id}/clocks
// beside a /v1/incidents/by-number/{number}).
func TestRoutesDoNotConflict(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("the generated routes conflict: %v", r)
		}
	}()
	api.HandlerFromMux(api.NewStrictHandler(stub{}, nil), http.NewServeMux())
}

// stub serves a few operations with a real incident service, the rest of
// StrictServerInterface panicking, as a handler would.
type stub struct {
	api.StrictServerInterface
	w        *world
	keys     *[]string
	ifMatchs *[]string
}

func etag(inc *incident.Incident) string { return `"` + strconv.FormatInt(inc.Version, 10) + `"` }

func (s stub) RegisterIncident(ctx context.Context, req api.RegisterIncidentRequestObject) (api.RegisterIncidentResponseObject, error) {
	*s.keys = append(*s.keys, req.Params.IdempotencyKey)
	b := req.Body
	inc, err := s.w.svc.Register(ctx, s.w.agent, incident.Registration{Customer: b.Customer, Caller: b.Caller,
		Channel: b.Channel, Service: b.Service, Category: b.Category, Subcategory: b.Subcategory, Summary: b.Summary,
		Description: b.Description, Impact: b.Impact, Urgency: b.Urgency, CIs: b.CIs, Key: req.Params.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	return api.RegisterIncident201JSONResponse{Body: *inc, Headers: api.RegisterIncident201ResponseHeaders{
		ETag: etag(inc), Location: "/v1/incidents/" + inc.ID.String()}}, nil
}

func (s stub) GetIncident(ctx context.Context, req api.GetIncidentRequestObject) (api.GetIncidentResponseObject, error) {
	n, err := itsm.ParseNumber(req.ID)
	if err != nil {
		return nil, err
	}
	inc, err := s.w.svc.GetByNumber(ctx, s.w.agent, n)
	if err != nil {
		return nil, err
	}
	return api.GetIncident200JSONResponse{IncidentResultJSONResponse: api.IncidentResultJSONResponse{
		Body: *inc, Headers: api.IncidentResultResponseHeaders{ETag: etag(inc)}}}, nil
}

func (s stub) DelegateIncident(ctx context.Context, req api.DelegateIncidentRequestObject) (api.DelegateIncidentResponseObject, error) {
	*s.ifMatchs = append(*s.ifMatchs, req.Params.IfMatch)
	svc := s.w.svc
	if req.Params.IfMatch != "" {
		v, err := strconv.ParseInt(strings.Trim(req.Params.IfMatch, `"`), 10, 64)
		if err != nil {
			return nil, err
		}
		svc = svc.IfVersion(v)
	}
	inc, err := svc.Delegate(ctx, s.w.agent, req.ID, incident.Delegation{Organisation: req.Body.Organisation,
		Group: req.Body.Group, Note: req.Body.Note})
	switch {
	case errors.Is(err, itsm.ErrStale):
		return api.DelegateIncident412ApplicationProblemPlusJSONResponse{PreconditionFailedApplicationProblemPlusJSONResponse: api.PreconditionFailedApplicationProblemPlusJSONResponse{
			Type: "https://spoc-itsm.github.io/problems/conflict", Title: "Precondition Failed", Status: 412,
			Detail: err.Error(), Code: api.ErrorCodeConflict}}, nil
	case err != nil:
		return nil, err
	}
	return api.DelegateIncident200JSONResponse{IncidentResultJSONResponse: api.IncidentResultJSONResponse{
		Body: *inc, Headers: api.IncidentResultResponseHeaders{ETag: etag(inc)}}}, nil
}

// validate is request validation against the document with kin-openapi, as
// the server is to do before any handler runs: a request the contract
// refuses gets a 400 problem naming what is wrong.
func validate(t *testing.T, doc *openapi3.T, next http.Handler) http.Handler {
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("kin-openapi cannot route the document: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := router.FindRoute(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(api.Problem{Type: "https://spoc-itsm.github.io/problems/invalid",
				Title: "Bad Request", Status: 400, Detail: err.Error(), Code: api.ErrorCodeInvalid})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestClientAndServerRoundTrip drives the generated server through the
// generated client over HTTP, behind kin-openapi's request validation: the
// Idempotency-Key and If-Match headers reach the handler, the ETag and
// Location come back, domain values survive the trip, a stale If-Match is a
// 412 problem, and a request the contract refuses never reaches a handler.
func TestClientAndServerRoundTrip(t *testing.T) {
	doc := load(t)
	w := newWorld(t)
	var keys, ifMatchs []string
	h := api.HandlerWithOptions(api.NewStrictHandler(stub{w: w, keys: &keys, ifMatchs: &ifMatchs}, nil),
		api.StdHTTPServerOptions{BaseRouter: http.NewServeMux()})
	srv := httptest.NewServer(validate(t, doc, h))
	defer srv.Close()
	bearer := client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer test")
		return nil
	})
	c, err := client.NewClientWithResponses(srv.URL, bearer)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	body := api.Registration{Customer: w.city.ID, Caller: api.Caller{Person: "ulla"}, Channel: incident.ChannelPortal,
		Summary: "Wifi drops", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium, CIs: []api.ID{itsm.NewID()}}
	reg, err := c.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "k-1"}, body)
	if err != nil {
		t.Fatal(err)
	}
	if reg.StatusCode() != http.StatusCreated || reg.JSON201 == nil {
		t.Fatalf("register: %d %s", reg.StatusCode(), reg.Body)
	}
	inc := reg.JSON201
	if inc.Number.String() != "INC0000001" || inc.Customer != w.city.ID || len(inc.CIs) != 1 || inc.CIs[0] != body.CIs[0] {
		t.Errorf("registered %+v", inc)
	}
	if reg.Headers201 == nil || reg.Headers201.ETag != `"1"` || reg.Headers201.Location != "/v1/incidents/"+inc.ID.String() {
		t.Errorf("register headers %+v", reg.Headers201)
	}
	// A retry with the key and the same registration returns the first
	// incident.
	retry := body
	retry.Summary = " Wifi drops"
	again, err := c.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "k-1"}, retry)
	if err != nil {
		t.Fatal(err)
	}
	if again.JSON201 == nil || again.JSON201.ID != inc.ID || again.JSON201.Summary != "Wifi drops" || again.JSON201.Key != "k-1" {
		t.Errorf("a retried registration made %d %s", again.StatusCode(), again.Body)
	}
	if !slices.Equal(keys, []string{"k-1", "k-1"}) {
		t.Errorf("the handler saw Idempotency-Keys %q", keys)
	}

	got, err := c.GetIncidentWithResponse(ctx, "INC0000001")
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil || got.JSON200.ID != inc.ID || got.Headers200.ETag != `"1"` {
		t.Fatalf("get by number: %d %s", got.StatusCode(), got.Body)
	}

	// The first delegation names the version read; the second names it
	// again, now stale.
	for i, want := range []int{http.StatusOK, http.StatusPreconditionFailed} {
		d, err := c.DelegateIncidentWithResponse(ctx, inc.ID, &api.DelegateIncidentParams{IfMatch: `"1"`},
			api.Delegation{Organisation: w.net.ID})
		if err != nil {
			t.Fatal(err)
		}
		if d.StatusCode() != want {
			t.Fatalf("delegation %d: %d %s, want %d", i, d.StatusCode(), d.Body, want)
		}
		switch want {
		case http.StatusOK:
			if d.JSON200.Holder != w.net.ID || d.Headers200.ETag == `"1"` {
				t.Errorf("delegated: holder %s etag %s", d.JSON200.Holder, d.Headers200.ETag)
			}
		default:
			if d.ApplicationProblemJSON412 == nil || d.ApplicationProblemJSON412.Code != api.ErrorCodeConflict {
				t.Errorf("stale delegation: %s", d.Body)
			}
		}
	}
	if !slices.Equal(ifMatchs, []string{`"1"`, `"1"`}) {
		t.Errorf("the handler saw If-Match %q", ifMatchs)
	}

	// Refused by the contract before any handler: no summary, an unknown
	// property, a malformed If-Match, a malformed ID in the path.
	bad := body
	bad.Summary = ""
	r1, err := c.RegisterIncidentWithResponse(ctx, nil, bad)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.RegisterIncidentWithBodyWithResponse(ctx, nil, "application/json",
		strings.NewReader(`{"caller":{"person":"u"},"channel":"phone","summary":"s","impact":1,"urgency":1,"severity":1}`))
	if err != nil {
		t.Fatal(err)
	}
	r3, err := c.DelegateIncidentWithResponse(ctx, inc.ID, &api.DelegateIncidentParams{IfMatch: "1"}, api.Delegation{})
	if err != nil {
		t.Fatal(err)
	}
	r4, err := c.GetIncidentWithResponse(ctx, "42")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []interface{ StatusCode() int }{r1, r2, r3, r4} {
		if r.StatusCode() != http.StatusBadRequest {
			t.Errorf("refused request %d: status %d, want 400", i+1, r.StatusCode())
		}
	}
	if len(keys) != 2 || len(ifMatchs) != 2 {
		t.Errorf("a refused request reached a handler: keys %q, If-Match %q", keys, ifMatchs)
	}
}
