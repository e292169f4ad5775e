package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	itsmschema "github.com/spoc-itsm/spoc/itsm/schema"
)

func init() {
	// Another test file of the package may define -update too; sharing the
	// flag keeps the binary from panicking on a redefinition.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func schemaUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// schemaTypes returns the event types that must have a schema: every
// payload type and the notification LogNotifier appends.
func schemaTypes() []string {
	var out []string
	for _, p := range incident.Payloads() {
		out = append(out, p.Type())
	}
	return append(out, incident.NotificationEvent)
}

func mustSchemas(t *testing.T) map[string][]byte {
	t.Helper()
	s, err := incident.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemasMatchGolden compares each schema with its golden file; run with
// -update to rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	schematest.Golden(t, mustSchemas(t), schemaUpdate())
}

// TestEverySchemaHasAGoldenFileAndBack fails when a payload type is added
// without a schema or golden file, or a golden file is left for a type that
// is gone.
func TestEverySchemaHasAGoldenFileAndBack(t *testing.T) {
	want := schemaTypes()
	slices.Sort(want)
	var generated []string
	for typ := range mustSchemas(t) {
		generated = append(generated, typ)
	}
	slices.Sort(generated)
	if !slices.Equal(generated, want) {
		t.Errorf("Schemas() has %v,\nwant one per payload type and %s: %v", generated, incident.NotificationEvent, want)
	}
	files, err := filepath.Glob(filepath.Join(schematest.GoldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden []string
	for _, f := range files {
		golden = append(golden, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	for _, typ := range want {
		if !slices.Contains(golden, typ) {
			t.Errorf("event type %s has no golden schema %s/%s.json", typ, schematest.GoldenDir, typ)
		}
	}
	for _, g := range golden {
		if !slices.Contains(want, g) {
			t.Errorf("golden schema %s/%s.json belongs to no event type", schematest.GoldenDir, g)
		}
	}
}

func TestSchemasAreDeterministicAndIdentified(t *testing.T) {
	first := mustSchemas(t)
	for range 5 {
		again := mustSchemas(t)
		for typ, b := range first {
			if !bytes.Equal(b, again[typ]) {
				t.Fatalf("%s: two calls gave different bytes", typ)
			}
		}
	}
	for typ, b := range first {
		s := schemaDecode(t, b)
		if want := "https://spoc-itsm.github.io/schemas/" + typ + ".json"; s["$id"] != want || incident.SchemaURL(typ) != want {
			t.Errorf("%s: $id %v, SchemaURL %q, want %q", typ, s["$id"], incident.SchemaURL(typ), want)
		}
		if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["title"] == nil || s["description"] == nil {
			t.Errorf("%s: $schema %v, title %v, description %v", typ, s["$schema"], s["title"], s["description"])
		}
	}
}

// The by field of the embedded By is a property of every payload, not a
// nested object.
func TestSchemasShowByAsAProperty(t *testing.T) {
	schemas := mustSchemas(t)
	for _, p := range incident.Payloads() {
		s := schemaDecode(t, schemas[p.Type()])
		props, _ := s["properties"].(map[string]any)
		by, _ := props["by"].(map[string]any)
		if by["$ref"] != "#/$defs/Actor" || !slices.Contains(s["required"].([]any), any("by")) {
			t.Errorf("%s: by is %v, required %v; want a required $ref to Actor", p.Type(), props["by"], s["required"])
		}
		if _, nested := props["By"]; nested {
			t.Errorf("%s: has a property By", p.Type())
		}
	}
}

// TestEventsMatchSchemas runs every command, so that the log holds an event
// of every type, and checks the data of each against its schema.
func TestEventsMatchSchemas(t *testing.T) {
	unreachable := "+46700000002" // sara.school's phone: delivery fails
	workaround := itsm.NewID()
	w := newWorld(t, func(c *incident.Config) {
		c.Workarounds = wadb{workaround: nil}
		log := incident.LogNotifier{Store: c.Store}
		c.Major.Notifier = incident.NotifierFunc(func(ctx context.Context, m incident.Message) error {
			if m.To.Address == unreachable {
				return errors.New("SMS gateway down")
			}
			return log.Notify(ctx, m)
		})
	})
	step := func(inc *incident.Incident, err error) *incident.Incident {
		t.Helper()
		w.clock.Advance(time.Minute)
		return w.must(inc, err)
	}
	a := w.register("school wifi down")
	step(w.svc.Start(w.ctx, w.agent, a.ID))
	step(w.svc.Comment(w.ctx, w.agent, a.ID, incident.EntryCommunication, "We are on it."))
	step(w.svc.Wait(w.ctx, w.agent, a.ID, incident.WaitUser, "Which building?"))
	step(w.svc.Resume(w.ctx, w.agent, a.ID, "Building B."))
	step(w.svc.Recategorise(w.ctx, w.agent, a.ID, "school network", "network", "wifi"))
	step(w.svc.Relate(w.ctx, w.agent, a.ID, []itsm.ID{itsm.NewID()}, itsm.ID{}))
	problem := itsm.NewID()
	step(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.LinkProblem(w.ctx, tx, w.agent, a.ID, problem, true)
	}))
	step(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.TellWorkaround(w.ctx, tx, w.agent, a.ID, problem, workaround, "Use the wired network meanwhile.")
	}))
	step(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.UnlinkProblem(w.ctx, tx, w.agent, a.ID, problem)
	}))
	step(w.svc.Reprioritise(w.ctx, w.agent, a.ID, itsm.ImpactHigh, itsm.UrgencyHigh, "the whole school is off line"))
	step(w.svc.DeclareMajor(w.ctx, w.agent, a.ID, "every school of the city"))
	step(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{Note: "see the journal"}))
	step(w.svc.Reject(w.ctx, w.netAgent, a.ID, "the access points are the workplace supplier's"))
	step(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	step(w.svc.Accept(w.ctx, w.workAgent, a.ID))
	step(w.svc.Take(w.ctx, w.workAgent, a.ID, itsm.ID{}))
	// Back to the network supplier while the workplace one holds it: ping-pong.
	a = step(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	if a.PingPong != 1 {
		t.Fatalf("ping-pong %d, want 1", a.PingPong)
	}
	step(w.svc.Accept(w.ctx, w.netAgent, a.ID))
	step(w.svc.Assign(w.ctx, w.netAgent, a.ID, incident.AssignTo{Group: w.g("wifi"), Assignee: "nils.net", Note: "the access points"}))
	step(w.svc.SetReference(w.ctx, w.netAgent, a.ID, "NET-4711"))
	step(w.svc.Update(w.ctx, w.netAgent, a.ID, "replacing the core switch"))
	step(w.svc.ReportBack(w.ctx, w.netAgent, a.ID, incident.Resolution{Code: "hardware", Text: "core switch replaced"}))
	step(w.svc.StandDown(w.ctx, w.agent, a.ID, "schools are back on line"))
	step(w.svc.Close(w.ctx, w.agent, a.ID, "Your network works again."))
	step(w.svc.Reopen(w.ctx, w.agent, a.ID, "down again"))

	b := w.register("wifi down in building B")
	if err := w.svc.Coordinate(w.ctx, w.agent, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	step(w.svc.Cancel(w.ctx, w.agent, b.ID, "followed up through its parent"))
	step(w.svc.Resolve(w.ctx, w.agent, a.ID, incident.Resolution{Code: "config", Text: "switch port re-enabled"}))
	c := w.register("printer jam")
	step(w.svc.Delegate(w.ctx, w.agent, c.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	step(w.svc.Recall(w.ctx, w.agent, c.ID, "the user is at the desk with the printer"))
	step(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.LinkProblem(w.ctx, tx, w.agent, c.ID, problem, false)
	}))
	step(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.ResolveForProblem(w.ctx, tx, w.agent, c.ID, problem, workaround, "cleared the jam with the user")
	}))

	schemas := mustSchemas(t)
	checkers := make(map[string]*schematest.Checker)
	for typ, s := range schemas {
		checkers[typ] = schematest.MustNew(t, s)
	}
	seen := make(map[string]int)
	var failedDelivery bool
	for _, e := range schemaLog(t, w) {
		chk, ok := checkers[e.Type]
		if !ok {
			t.Errorf("event %d: type %s has no schema", e.Seq, e.Type)
			continue
		}
		seen[e.Type]++
		if err := chk.Check(e.Data); err != nil {
			t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
		}
		failedDelivery = failedDelivery || (e.Type == "incident.notified" && bytes.Contains(e.Data, []byte(`"error"`)))
	}
	for _, typ := range schemaTypes() {
		if seen[typ] == 0 {
			t.Errorf("the scenario made no %s event; extend it so that its schema is checked against real data", typ)
		}
	}
	if !failedDelivery {
		t.Error("no incident.notified event records a failed delivery")
	}
}

// schemaLog returns the whole event log, including events with no subject.
func schemaLog(t *testing.T, w *world) []itsm.Event {
	t.Helper()
	var out []itsm.Event
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			for _, e := range es {
				if e.Kind != chain.Kind { // not the world's groups'
					out = append(out, e)
				}
			}
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaCheckerRejectsBadData shows that the checker, and the schemas,
// can fail: each case breaks one rule in the data of real events.
func TestSchemaCheckerRejectsBadData(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	var registered, delegated []byte
	for _, e := range w.events(inc.ID) {
		switch e.Type {
		case "incident.registered":
			registered = e.Data
		case "incident.delegated":
			delegated = e.Data
		}
	}
	msg, err := json.Marshal(incident.Message{Incident: inc.ID, Number: inc.Number, Priority: 1, Time: t0,
		To:      incident.Contact{Person: "dave.delivery", Role: itsm.RoleDeliveryManager, Channel: "email", Address: "dave@desk.example"},
		Subject: "P1", Text: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	schemas := mustSchemas(t)
	cases := []struct {
		name, typ string
		data      []byte
		change    func(m map[string]any)
		want      string // in the error; "" for valid data
	}{
		{"registered as written", "incident.registered", registered, func(map[string]any) {}, ""},
		{"delegated as written", "incident.delegated", delegated, func(map[string]any) {}, ""},
		{"message as written", incident.NotificationEvent, msg, func(map[string]any) {}, ""},
		{"missing required field", "incident.registered", registered,
			func(m map[string]any) { delete(m, "summary") }, `required property "summary"`},
		{"missing required nested field", "incident.registered", registered,
			func(m map[string]any) { delete(m["by"].(map[string]any), "person") }, `/by: required property "person"`},
		{"wrong type", "incident.registered", registered,
			func(m map[string]any) { m["priority"] = "3" }, "/priority: string, want integer"},
		{"fraction for an integer", "incident.registered", registered,
			func(m map[string]any) { m["impact"] = json.Number("1.5") }, "/impact: number, want integer"},
		{"unknown enum value", "incident.registered", registered,
			func(m map[string]any) { m["channel"] = "fax" }, `/channel: "fax" is not one of`},
		{"unknown role", "incident.registered", registered,
			func(m map[string]any) { m["by"].(map[string]any)["roles"] = []any{"agent", "boss"} }, `/by/roles/1: "boss" is not one of`},
		{"non-uuid string", "incident.registered", registered,
			func(m map[string]any) { m["desk"] = "desk-1" }, `/desk: "desk-1" is not a uuid`},
		{"uuid without hyphens", "incident.delegated", delegated,
			func(m map[string]any) { m["organisation"] = strings.ReplaceAll(m["organisation"].(string), "-", "") }, "is not a uuid"},
		{"number against the grammar", "incident.registered", registered,
			func(m map[string]any) { m["number"] = "INC42" }, `/number: "INC42" does not match`},
		{"priority below 1", "incident.registered", registered,
			func(m map[string]any) { m["priority"] = json.Number("0") }, "/priority: 0 is less than 1"},
		{"unknown property", "incident.registered", registered,
			func(m map[string]any) { m["colour"] = "red" }, `property "colour" is not allowed`},
		{"property of an embedded struct", "incident.registered", registered,
			func(m map[string]any) { m["By"] = m["by"] }, `property "By" is not allowed`},
		{"wrong item type", "incident.delegated", delegated,
			func(m map[string]any) { m["handover"].(map[string]any)["rejections"] = []any{json.Number("1")} }, "/handover/rejections/0: integer, want string"},
		{"not a date-time", incident.NotificationEvent, msg,
			func(m map[string]any) { m["time"] = "yesterday" }, `/time: "yesterday" is not a date-time`},
		{"object for a string", incident.NotificationEvent, msg,
			func(m map[string]any) { m["subject"] = map[string]any{} }, "/subject: object, want string"},
		{"null for an object", incident.NotificationEvent, msg,
			func(m map[string]any) { m["to"] = nil }, "/to: null, want object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := schemaDecodeJSON(t, tc.data).(map[string]any)
			tc.change(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = schematest.MustNew(t, schemas[tc.typ]).Check(data)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid data refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want an error with %q:\n%s", tc.want, data)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want one with %q", err, tc.want)
			}
		})
	}
}

// TestSchemaCheckerRefusesUnknownKeywords: a keyword the checker does not
// implement must fail the check rather than pass silently, so that a schema
// using more of JSON Schema is not taken as checked.
func TestSchemaCheckerRefusesUnknownKeywords(t *testing.T) {
	c := schematest.MustNew(t, []byte(`{"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}}}`))
	if err := c.Check([]byte(`{"a": "abcdef"}`)); err == nil || !strings.Contains(err.Error(), `keyword "maxLength"`) {
		t.Errorf("got %v, want the unknown keyword named", err)
	}
}

// The patterns in the schemas accept exactly what the parsers accept.
func TestSchemaPatternsAgreeWithParsers(t *testing.T) {
	schemas := mustSchemas(t)
	reg := schemaDecode(t, schemas["incident.registered"])
	props := reg["properties"].(map[string]any)
	numberRE := regexp.MustCompile(props["number"].(map[string]any)["pattern"].(string))
	idRE := regexp.MustCompile(props["desk"].(map[string]any)["pattern"].(string))
	durationRE := regexp.MustCompile(itsmschema.DurationPattern)
	rng := rand.New(rand.NewPCG(4, 2))

	numbers := []string{"INC0000001", "INC0000042", "INC12345678", "REQABCDE1234567", "AB0000001",
		"INC18446744073709551615", "INC0000000", "INC000001", "INC00000001", "inc0000001", "I0000001",
		"ABCDEFGHI0000001", "INC 0000001", "INC-0000001", "INC", "0000001", "", "INC123456789012345678901"}
	for range 20000 {
		numbers = append(numbers, schemaRandomString(rng, "AIZa019 ", 0, 27))
		numbers = append(numbers, schemaRandomString(rng, "AIZ", 1, 9)+schemaRandomString(rng, "0000019", 5, 19))
	}
	for _, s := range numbers {
		_, err := itsm.ParseNumber(s)
		if numberRE.MatchString(s) != (err == nil) {
			t.Errorf("number %q: pattern matches %t, ParseNumber error %v", s, numberRE.MatchString(s), err)
		}
	}

	ids := []string{"01234567-89ab-cdef-0123-456789abcdef", "01234567-89AB-CDEF-0123-456789ABCDEF",
		"0123456789abcdef0123456789abcdef", "{01234567-89ab-cdef-0123-456789abcdef}",
		"urn:uuid:01234567-89ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123-456789abcdeg", ""}
	for range 20000 {
		b := []byte(itsm.NewID().String())
		for range rng.IntN(3) {
			b[rng.IntN(len(b))] = "0aF-gz{"[rng.IntN(7)]
		}
		ids = append(ids, string(b))
	}
	for _, s := range ids {
		_, err := itsm.ParseID(s)
		if idRE.MatchString(s) != (err == nil) {
			t.Errorf("id %q: pattern matches %t, ParseID error %v", s, idRE.MatchString(s), err)
		}
	}

	durations := []string{"0", "+0", "-0", "1h30m", "1h30m0s", "1.5h", ".5s", "1.s", "300ms", "2us",
		"2µs", "2μs", "-1h0m0.5s", "", "h", "1", "00", "1hm", "1h-1m", "1d", ".s", "1.5.5s", "1 h"}
	for range 20000 {
		durations = append(durations, schemaRandomString(rng, "0019.hmsunµμ-+", 0, 7))
	}
	for _, s := range durations {
		_, err := time.ParseDuration(s)
		if durationRE.MatchString(s) != (err == nil) {
			t.Errorf("duration %q: pattern matches %t, ParseDuration error %v", s, durationRE.MatchString(s), err)
		}
	}
}

func schemaRandomString(rng *rand.Rand, alphabet string, minLen, maxLen int) string {
	runes := []rune(alphabet)
	out := make([]rune, minLen+rng.IntN(maxLen-minLen+1))
	for i := range out {
		out[i] = runes[rng.IntN(len(runes))]
	}
	return string(out)
}

// TestSchemaEnumsListEveryConstant compares the enum tables of schema.go and
// itsm/schema with
// the constants declared for each closed set, so that a new channel or role
// cannot be missing from the schemas. The table is unexported, so both sides
// are read from the source.
func TestSchemaEnumsListEveryConstant(t *testing.T) {
	declared := make(map[string][]string)
	for _, dir := range []struct{ path, qual string }{{".", ""}, {"../itsm", "itsm."}} {
		for _, f := range schemaParseDir(t, dir.path) {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); ok {
						for _, n := range vs.Names {
							declared[dir.qual+id.Name] = append(declared[dir.qual+id.Name], dir.qual+n.Name)
						}
					}
				}
			}
		}
	}
	table := make(map[string][]string)
	// incident's closed sets are in its schema.go, itsm's in itsm/schema.
	for _, path := range []string{"schema.go", "../itsm/schema/schema.go"} {
		ast.Inspect(schemaParseFile(t, path), func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "enums" {
				return true
			}
			for _, el := range vs.Values[0].(*ast.CompositeLit).Elts {
				kv := el.(*ast.KeyValueExpr)
				key := schemaExprName(kv.Key.(*ast.CallExpr).Fun.(*ast.IndexExpr).Index)
				for _, v := range kv.Value.(*ast.CompositeLit).Elts {
					table[key] = append(table[key], schemaExprName(v))
				}
			}
			return false
		})
	}
	for _, typ := range []string{"Channel", "EntryKind", "WaitReason", "itsm.Role", "itsm.OrgRole"} {
		if len(declared[typ]) == 0 {
			t.Errorf("no constants of %s found in the source", typ)
		}
		if !slices.Equal(table[typ], declared[typ]) {
			t.Errorf("enum of %s lists %v, the source declares %v", typ, table[typ], declared[typ])
		}
	}
	if len(table) != 5 {
		t.Errorf("enum table has %d types, want the 5 checked here", len(table))
	}
}

func schemaExprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return schemaExprName(e.X) + "." + e.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

func schemaParseFile(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func schemaParseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.File
	for _, p := range paths {
		if !strings.HasSuffix(p, "_test.go") {
			out = append(out, schemaParseFile(t, p))
		}
	}
	return out
}

// nanosecondDurations returns the paths of the time.Duration fields reachable
// from t. encoding/json writes those as integer nanoseconds, while the
// schemas promise a readable string, so a payload must carry a duration as a
// type that writes Duration.String instead.
func nanosecondDurations(t reflect.Type, path string, seen map[reflect.Type]bool) []string {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return nanosecondDurations(t.Elem(), path+"[]", seen)
	case reflect.Map:
		return nanosecondDurations(t.Elem(), path+"{}", seen)
	case reflect.Struct:
		if seen[t] {
			return nil
		}
		seen[t] = true
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type == reflect.TypeFor[time.Duration]() {
				out = append(out, path+"."+f.Name)
				continue
			}
			out = append(out, nanosecondDurations(f.Type, path+"."+f.Name, seen)...)
		}
		return out
	}
	return nil
}

func TestNoPayloadWritesDurationsAsNanoseconds(t *testing.T) {
	type withDuration struct {
		Wait  []struct{ For time.Duration }
		Other string
	}
	if got := nanosecondDurations(reflect.TypeFor[withDuration](), "x", map[reflect.Type]bool{}); !slices.Equal(got, []string{"x.Wait[].For"}) {
		t.Fatalf("the check finds %v in a struct with one duration", got)
	}
	types := []any{incident.Message{}}
	for _, p := range incident.Payloads() {
		types = append(types, p)
	}
	for _, v := range types {
		rt := reflect.TypeOf(v)
		if found := nanosecondDurations(rt, rt.Name(), map[reflect.Type]bool{}); len(found) > 0 {
			t.Errorf("%v are time.Duration, which JSON writes as nanoseconds; the schema says a string such as 1h30m", found)
		}
	}
}

// TestEventsPageListsEveryType keeps docs/events.md complete.
func TestEventsPageListsEveryType(t *testing.T) {
	page, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range schemaTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/events.md does not list `%s`", typ)
		}
	}
}

func schemaDecodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	return schematest.MustDecode(t, b)
}

func schemaDecode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	s, ok := schemaDecodeJSON(t, b).(map[string]any)
	if !ok {
		t.Fatalf("schema is not an object: %s", b)
	}
	return s
}
