package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// secretBearing lists every operation of the contract whose success answer
// has a "secret" property, and no other: a new one is not cacheable by
// mistake.
func TestSecretBearingMatchesTheContract(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(code, "2") || resp.Value == nil {
					continue
				}
				for _, media := range resp.Value.Content {
					if media.Schema != nil && media.Schema.Value != nil && media.Schema.Value.Properties["secret"] != nil {
						found[strings.ToUpper(op.OperationID[:1])+op.OperationID[1:]] = true
					}
				}
			}
		}
	}
	for id := range found {
		if !secretBearing[id] {
			t.Errorf("%s answers with a secret but is not in secretBearing", id)
		}
	}
	for id := range secretBearing {
		if !found[id] {
			t.Errorf("secretBearing lists %s, whose answer has no secret", id)
		}
	}
	if len(found) != 3 {
		t.Errorf("found %v, want the token's and the webhooks' three", found)
	}
}
