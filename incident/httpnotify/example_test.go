package httpnotify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
)

// A desk posts its messages to a relay, which checks the signature, drops
// messages it has seen and delivers the rest on their channel.
func Example() {
	secret := []byte("a secret of at least sixteen bytes")
	sentAt := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]bool{} // a real relay keeps these for a while

	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		// A real relay passes time.Now(); the example's clock is fixed.
		if err := httpnotify.Verify(secret, r.Header.Get(httpnotify.HeaderTimestamp), body,
			r.Header.Get(httpnotify.HeaderSignature), sentAt, 0); err != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		key := r.Header.Get(httpnotify.HeaderIdempotencyKey)
		mu.Lock()
		defer mu.Unlock()
		if seen[key] {
			fmt.Println("relay: already delivered")
			return
		}
		seen[key] = true
		var m incident.Message
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "not a message", http.StatusBadRequest)
			return
		}
		fmt.Printf("relay: %s to %s by %s: %s\n", m.Number, m.To.Address, m.To.Channel, m.Subject)
	}))
	defer relay.Close()

	n, err := httpnotify.New(httpnotify.Options{URL: relay.URL + "/notify", Secret: secret,
		Clock: itsm.NewManualClock(sentAt)})
	if err != nil {
		panic(err)
	}
	// In an application the Notifier goes into the service's
	// configuration, incident.Config.Major.Notifier, and the service calls
	// it; here it is called directly.
	number, _ := itsm.NewNumber("INC", 7)
	m := incident.Message{Incident: itsm.MustParseID("019a0b1c-2d3e-7f40-8a51-b2c3d4e5f607"), Number: number,
		Priority: 1, Time: sentAt, Subject: "Major incident INC0000007: payroll down",
		To: incident.Contact{Person: "mona.manager", Channel: "sms", Address: "+46700000001"}}
	for range 2 { // the second time as a retry would send it
		if err := n.Notify(context.Background(), m); err != nil {
			fmt.Println("desk:", err)
		}
	}
	// Output:
	// relay: INC0000007 to +46700000001 by sms: Major incident INC0000007: payroll down
	// relay: already delivered
}
