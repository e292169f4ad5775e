package httpapi

import (
	"context"
	"encoding/json"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// FollowUpProvides returns the followup.ProvidesFunc of a server: a desk
// provides a customer service when an SLA stored through the API names the
// desk as provider and the customer as consumer. Only then may the desk's
// agents draft and correct the customer's follow-ups.
func FollowUpProvides(store itsm.Store) followup.ProvidesFunc {
	return func(ctx context.Context, desk, customer itsm.ID) (bool, error) {
		found := false
		err := store.Read(ctx, func(tx itsm.ReadTx) error {
			q := itsm.Query{Kind: KindAgreement, Index: "provider", Match: itsm.MatchEqual, Value: desk.String(), Limit: itsm.MaxLimit}
			for {
				page, err := tx.Query(q)
				if err != nil {
					return err
				}
				for _, h := range page.Matches {
					var in api.AgreementInput
					if err := json.Unmarshal(h.Record.Body, &in); err != nil {
						return itsm.Wrap(itsm.CodeInternal, err, "stored agreement %s", h.Record.ID)
					}
					if in.Kind == sla.KindSLA && in.Provider == desk && in.Consumer == customer {
						found = true
						return nil
					}
				}
				if page.Next == "" {
					return nil
				}
				q.After = page.Next
			}
		})
		return found, err
	}
}
