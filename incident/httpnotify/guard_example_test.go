package httpnotify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
)

// A notifier whose URL someone other than the operator chose posts through
// a netguard client, which refuses the server's own networks: here a
// receiver on loopback, refused before anything is sent.
func ExampleNew_destinations() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("received: this should not happen")
	}))
	defer receiver.Close()

	guard := &netguard.Dialer{} // public addresses only; netguard.Parse reads an operator's allow-list
	n, err := httpnotify.New(httpnotify.Options{URL: receiver.URL + "/hook", Client: guard.Client(httpnotify.DefaultTimeout)})
	if err != nil {
		panic(err)
	}
	err = n.Notify(context.Background(), incident.Message{Incident: itsm.NewID(), Time: time.Now(),
		To: incident.Contact{Person: "mona.manager", Channel: "sms", Address: "+46700000001"}, Subject: "INC0000001 registered"})
	fmt.Println("refused:", errors.Is(err, netguard.ErrRefused))
	// Output: refused: true
}
