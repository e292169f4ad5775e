package cmdb_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestCanonical: each type's canonical form, and what it refuses.
func TestCanonical(t *testing.T) {
	enum := cmdb.Attribute{Name: "env", Type: cmdb.TypeEnum, Values: []string{"Production", "test"}}
	for _, c := range []struct {
		a       cmdb.Attribute
		in, out string
	}{
		{cmdb.Attribute{Name: "x", Type: cmdb.TypeText}, "  Kontoret plan 3 ", "Kontoret plan 3"},
		{cmdb.Attribute{Name: "x", Type: cmdb.TypeText}, "   ", ""},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "1 000", "1000"},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "1\u00a0000\u202f000", "1000000"},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "+007", "7"},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "-12", "-12"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "3,5", "3.5"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "3.50", "3.5"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "1 234,00", "1234"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, ",5", "0.5"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "-0,0", "0"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "0.1000000000000000000001", "0.1000000000000000000001"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "007", "7"},
		{cmdb.Attribute{Name: "b", Type: cmdb.TypeBoolean}, "Ja", "true"},
		{cmdb.Attribute{Name: "b", Type: cmdb.TypeBoolean}, "NO", "false"},
		{cmdb.Attribute{Name: "b", Type: cmdb.TypeBoolean}, "1", "true"},
		{cmdb.Attribute{Name: "b", Type: cmdb.TypeBoolean}, "falskt", "false"},
		{cmdb.Attribute{Name: "t", Type: cmdb.TypeDate}, "2026-12-07", "2026-12-07"},
		{cmdb.Attribute{Name: "t", Type: cmdb.TypeDate}, "2026-12-07 00:00:00", "2026-12-07"},
		{enum, "production", "Production"},
		{enum, "TEST", "test"},
		{cmdb.Attribute{Name: "ip", Type: cmdb.TypeIP}, " 10.0.0.1 ", "10.0.0.1"},
		{cmdb.Attribute{Name: "ip", Type: cmdb.TypeIP}, "2001:DB8::0:1", "2001:db8::1"},
	} {
		got, err := c.a.Canonical(c.in)
		if err != nil || got != c.out {
			t.Errorf("%s %q: %q, %v; want %q", c.a.Type, c.in, got, err, c.out)
		}
	}
	for _, c := range []struct {
		a  cmdb.Attribute
		in string
	}{
		{cmdb.Attribute{Name: "x", Type: cmdb.TypeText}, "a\nb"},
		{cmdb.Attribute{Name: "x", Type: cmdb.TypeText}, strings.Repeat("x", itsm.MaxLabel+1)},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "1,5"},
		{cmdb.Attribute{Name: "n", Type: cmdb.TypeInteger}, "99999999999999999999"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "1e3"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "1.2.3"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "1/2"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "Inf"},
		{cmdb.Attribute{Name: "d", Type: cmdb.TypeDecimal}, "0x10"},
		{cmdb.Attribute{Name: "b", Type: cmdb.TypeBoolean}, "kanske"},
		{cmdb.Attribute{Name: "t", Type: cmdb.TypeDate}, "2026-02-30"},
		{cmdb.Attribute{Name: "t", Type: cmdb.TypeDate}, "7/12/2026"},
		{cmdb.Attribute{Name: "t", Type: cmdb.TypeDate}, "2026-12-07 10:00:00"},
		{enum, "prod"},
		{cmdb.Attribute{Name: "ip", Type: cmdb.TypeIP}, "10.0.0.256"},
		{cmdb.Attribute{Name: "ip", Type: cmdb.TypeIP}, "fe80::1%eth0"},
	} {
		if got, err := c.a.Canonical(c.in); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "attribute "+c.a.Name) {
			t.Errorf("%s %q: %q, %v; want an invalid error naming the attribute", c.a.Type, c.in, got, err)
		}
	}
}

// TestValidate: every rule of a model, each broken once on the default
// model, refused with an error naming what is wrong.
func TestValidate(t *testing.T) {
	if err := cmdb.DefaultModel().Validate(); err != nil {
		t.Fatalf("the default model: %v", err)
	}
	server := func(m *cmdb.Model) *cmdb.Class {
		for i := range m.Classes {
			if m.Classes[i].Name == "server" {
				return &m.Classes[i]
			}
		}
		panic("no server")
	}
	for _, c := range []struct {
		name   string
		break_ func(m *cmdb.Model)
		says   string
	}{
		{"no classes", func(m *cmdb.Model) { m.Classes = nil }, "no classes"},
		{"class name", func(m *cmdb.Model) { server(m).Name = "Server" }, `class name "Server"`},
		{"class twice", func(m *cmdb.Model) { m.Classes = append(m.Classes, *server(m)) }, "class server is declared twice"},
		{"class label", func(m *cmdb.Model) { server(m).Label = " " }, "class server has no label"},
		{"service and group", func(m *cmdb.Model) { server(m).Service, server(m).Group = true, true }, "both a service and a redundancy group"},
		{"a group depending on something", func(m *cmdb.Model) { server(m).Group = true },
			"class server is a redundancy group, whose failures come from its members only, but allows relation type runs_on"},
		{"attribute name", func(m *cmdb.Model) { server(m).Attributes[0].Name = "host-name" }, `class server: attribute name "host-name"`},
		{"attribute twice", func(m *cmdb.Model) {
			server(m).Attributes = append(server(m).Attributes, server(m).Attributes[0])
		}, "attribute host_name is declared twice"},
		{"attribute type", func(m *cmdb.Model) { server(m).Attributes[0].Type = "string" }, `attribute host_name: type "string"`},
		{"enum without values", func(m *cmdb.Model) {
			server(m).Attributes[0].Type = cmdb.TypeEnum
		}, "attribute host_name: an enum lists its values"},
		{"values of a text", func(m *cmdb.Model) { server(m).Attributes[0].Values = []string{"a"} }, "only an enum lists values"},
		{"enum value twice", func(m *cmdb.Model) {
			server(m).Attributes[0].Type, server(m).Attributes[0].Values = cmdb.TypeEnum, []string{"a", "A"}
		}, `value "A" is listed twice`},
		{"enum value spaced", func(m *cmdb.Model) {
			server(m).Attributes[0].Type, server(m).Attributes[0].Values = cmdb.TypeEnum, []string{" a"}
		}, "surrounding space"},
		{"empty key", func(m *cmdb.Model) { server(m).Keys = append(server(m).Keys, nil) }, "class server: key 3 names no attribute"},
		{"key of no attribute", func(m *cmdb.Model) { server(m).Keys[0] = []string{"fqdn"} }, `key 1 names attribute "fqdn"`},
		{"key names twice", func(m *cmdb.Model) {
			server(m).Keys[0] = []string{"host_name", "host_name"}
		}, "key 1 names attribute host_name twice"},
		{"key repeated", func(m *cmdb.Model) {
			server(m).Keys = append(server(m).Keys, []string{"host_name"})
		}, "key 3 repeats key host_name"},
		{"unknown relation type", func(m *cmdb.Model) {
			server(m).Relations[0].Type = "hosts"
		}, `class server allows relation type "hosts"`},
		{"relation type twice in a class", func(m *cmdb.Model) {
			server(m).Relations = append(server(m).Relations, server(m).Relations[0])
		}, "allows relation type runs_on twice"},
		{"relation to unknown class", func(m *cmdb.Model) {
			server(m).Relations[0].To = []string{"vm"}
		}, `relation runs_on to class "vm"`},
		{"relation to a class twice", func(m *cmdb.Model) {
			server(m).Relations[0].To = []string{"server", "server"}
		}, "names class server twice"},
		{"relation type name", func(m *cmdb.Model) { m.RelationTypes[0].Name = "dependsOn" }, `relation type name "dependsOn"`},
		{"relation type twice", func(m *cmdb.Model) {
			m.RelationTypes = append(m.RelationTypes, m.RelationTypes[0])
		}, "relation type depends_on is declared twice"},
		{"relation type label", func(m *cmdb.Model) { m.RelationTypes[0].Label = "" }, "relation type depends_on has no label"},
		{"relation type inverse", func(m *cmdb.Model) { m.RelationTypes[0].Inverse = "" }, "relation type depends_on has no inverse"},
		{"propagation", func(m *cmdb.Model) { m.RelationTypes[0].Propagation = "up" }, `propagation "up"`},
		{"effect", func(m *cmdb.Model) { m.RelationTypes[0].Effect = "half" }, `effect "half"`},
		{"label characters", func(m *cmdb.Model) { server(m).Label = "Ser\u202ever" }, "U+202E"},
	} {
		m := cmdb.DefaultModel()
		c.break_(&m)
		err := m.Validate()
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an invalid error saying %q", c.name, err, c.says)
		}
	}
}

// TestLoadModel: a model file is strict JSON, and a valid model.
func TestLoadModel(t *testing.T) {
	good := `{"classes":[{"name":"server","label":"Server","attributes":[{"name":"host","type":"text","required":true}],"keys":[["host"]],
		"relations":[{"type":"runs_on","to":["server"]}]}],
		"relation_types":[{"name":"runs_on","label":"runs on","inverse":"runs","propagation":"to_source"}]}`
	m, err := cmdb.LoadModel(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := m.Class("server"); !ok || !c.Allows("runs_on", "server") || c.Allows("runs_on", "site") {
		t.Fatalf("loaded %+v", m)
	}
	for _, c := range []struct{ name, file, says string }{
		{"unknown field", strings.Replace(good, `"label":"Server"`, `"label":"Server","colour":"red"`, 1), `unknown field "colour"`},
		{"name twice", strings.Replace(good, `"label":"Server"`, `"label":"Server","label":"Dator"`, 1), `name "label" is given twice at /classes/0/label`},
		{"trailing data", good + ` {}`, "data after the model object"},
		{"syntax", good[:len(good)-1], "unexpected end"},
		{"wrong type", strings.Replace(good, `"required":true`, `"required":"yes"`, 1), "at byte"},
		{"invalid model", strings.Replace(good, `"to_source"`, `"sideways"`, 1), `propagation "sideways"`},
		{"deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "nested deeper"},
		{"huge", `{"classes":[` + strings.Repeat(" ", cmdb.MaxModelSize) + `]}`, "more than"},
		{"not an object", `[]`, "cannot unmarshal"},
	} {
		_, err := cmdb.LoadModel(strings.NewReader(c.file))
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an invalid error saying %q", c.name, err, c.says)
		}
	}
}

// FuzzLoadModel: whatever the bytes, LoadModel returns a valid model or
// an invalid error, and a model it returns reads back the same.
func FuzzLoadModel(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := cmdb.LoadModel(bytes.NewReader(b))
		if err != nil {
			if !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("LoadModel returned an invalid model: %v", err)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := cmdb.LoadModel(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("the model read does not read back: %v\n%s", err, again)
		}
		if d := diff(m, m2); d != "" {
			t.Fatalf("the model reads back otherwise: %s", d)
		}
	})
}

// TestLoadModelSeeds checks that testdata/fuzz/FuzzLoadModel holds the
// seed files as committed: the default model, a small one, and files
// LoadModel refuses for each of its reasons.
func TestLoadModelSeeds(t *testing.T) {
	def, err := json.Marshal(cmdb.DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	small := `{"classes":[{"name":"server","label":"Server","attributes":[{"name":"host","type":"text","required":true}],"keys":[["host"]],` +
		`"relations":[{"type":"runs_on","to":["server"]}]}],"relation_types":[{"name":"runs_on","label":"runs on","inverse":"runs","propagation":"to_source"}]}`
	for name, b := range map[string][]byte{
		"default":      def,
		"small":        []byte(small),
		"name-twice":   []byte(strings.Replace(small, `"label":"Server"`, `"label":"Server","label":"Dator"`, 1)),
		"unknown-key":  []byte(strings.Replace(small, `"keys":[["host"]]`, `"keys":[["fqdn"]]`, 1)),
		"deep":         []byte(strings.Repeat("[", 40) + strings.Repeat("]", 40)),
		"trailing":     []byte(small + "{}"),
		"wrong-type":   []byte(strings.Replace(small, `"required":true`, `"required":"ja"`, 1)),
		"enum-no-vals": []byte(strings.Replace(small, `"type":"text"`, `"type":"enum"`, 1)),
	} {
		seqtest.Seed(t, "FuzzLoadModel", name, b, *updateSeeds)
	}
}
