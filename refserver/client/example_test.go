package client_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// A supplier accepts an incident delegated to it and reports back, naming
// the version it read each time, so that a retry never acts twice.
func Example() {
	ctx := context.Background()
	token := "spoc_..." // issued by the desk's administrator
	c, err := client.NewClientWithResponses("https://desk.example.org",
		client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := c.GetIncidentWithResponse(ctx, "INC0000042")
	if err != nil || got.JSON200 == nil {
		fmt.Println("get:", err, got.Status())
		return
	}
	inc, etag := got.JSON200, got.Headers200.ETag
	acc, err := c.AcceptIncidentWithResponse(ctx, inc.ID, &api.AcceptIncidentParams{IfMatch: etag})
	switch {
	case err != nil:
		fmt.Println("accept:", err)
		return
	case acc.ApplicationProblemJSON412 != nil:
		fmt.Println("the incident changed since it was read; read it again and decide")
		return
	case acc.JSON200 == nil:
		fmt.Println("accept:", acc.Status(), string(acc.Body))
		return
	}
	done, err := c.ReportBackIncidentWithResponse(ctx, inc.ID,
		&api.ReportBackIncidentParams{IfMatch: acc.Headers200.ETag},
		api.Resolution{Code: "hardware", Text: "Replaced the switch."})
	if err == nil && done.JSON200 != nil && done.JSON200.State == "resolved" {
		fmt.Println(done.JSON200.Number, "reported back; the desk closes it")
	}
}
