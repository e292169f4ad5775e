package catalogue_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/request/catalogue"
)

// BenchmarkCheckAnswers checks an order's answers against a cached form of
// eleven questions, and reports the cost as a ratio to the baseline
// measured in the same run: decoding the same answers with encoding/json,
// which any order service does anyway. x_decode, the check's time over the
// decoding's, says what the form check costs beside reading the answers,
// whatever the machine.
func BenchmarkCheckAnswers(b *testing.B) {
	w := newWorld(b)
	it := w.offered(with(passwordReset(), form(`{
		"type": "object",
		"properties": {
			"account": {"type": "string", "minLength": 2, "maxLength": 32, "pattern": "^[a-z][a-z0-9.]+$"},
			"email": {"type": "string", "format": "email"},
			"birthplace": {"type": "string", "writeOnly": true},
			"phone": {"type": "string", "pattern": "^\\+?[0-9 ]{6,20}$"},
			"model": {"enum": ["small", "large", "rugged"]},
			"count": {"type": "integer", "minimum": 1, "maximum": 5},
			"start": {"type": "string", "format": "date"},
			"cost_centre": {"type": "string", "pattern": "^[0-9]{4}$"},
			"roaming": {"type": "boolean"},
			"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5, "uniqueItems": true},
			"address": {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}, "required": ["zip"]}
		},
		"required": ["account", "email", "birthplace"],
		"additionalProperties": false
	}`)))
	v, _ := it.Offered()
	answers := json.RawMessage(`{"account":"ulla.berg","email":"ulla@city.example","birthplace":"Kiruna","phone":"+46 70 123 45 67",
		"model":"rugged","count":2,"start":"2026-12-01","cost_centre":"4711","roaming":true,"tags":["field","north"],
		"address":{"street":"Storgatan 1","zip":"98131"}}`)
	if err := w.cat.CheckAnswers(it.ID, v, answers); err != nil {
		b.Fatal(err)
	}
	// The check and the baseline run in turns, so that load from
	// elsewhere falls on both alike.
	var base, check time.Duration
	for b.Loop() {
		start := time.Now()
		var m map[string]any
		if err := json.Unmarshal(answers, &m); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := w.cat.CheckAnswers(it.ID, v, answers); err != nil {
			b.Fatal(err)
		}
		base, check = base+mid.Sub(start), check+time.Since(mid)
	}
	b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "check_ns/op")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "decode_ns/op")
	b.ReportMetric(check.Seconds()/base.Seconds(), "x_decode")
}

// BenchmarkCheckForm compiles a form as Define does: the cost of a
// definition, or of a version's first order after a restart, relative to
// checking answers against the compiled form.
func BenchmarkCheckForm(b *testing.B) {
	f := json.RawMessage(`{"type":"object","properties":{"account":{"type":"string","pattern":"^[a-z]+$"},
		"email":{"type":"string","format":"email"},"pin":{"type":"string","writeOnly":true}},"required":["account"]}`)
	for b.Loop() {
		if err := catalogue.CheckForm(f); err != nil {
			b.Fatal(err)
		}
	}
}
