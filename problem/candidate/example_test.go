package candidate_test

import (
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// Twelve quiet weeks of a few printer and e-mail incidents a day, then a
// week in which the VPN client fails again and again after an update: the
// detector proposes that week's incidents as a candidate problem, with its
// evidence. The group of the word "update", new that week, is more unusual
// than Network / VPN as a whole, which holds the same incidents and is
// therefore not proposed twice.
func ExampleDetect() {
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC) // a Monday
	var incidents []candidate.Incident
	add := func(at time.Time, service, category, summary string) {
		n := len(incidents) + 1
		incidents = append(incidents, candidate.Incident{ID: itsm.NewID(), Number: fmt.Sprintf("INC%07d", n),
			Registered: at, Service: service, Category: category, Summary: summary})
	}
	for day := range 13 * 7 {
		at := start.AddDate(0, 0, day)
		add(at, "Printing", "Hardware", "Printer on floor 3 jams")
		add(at.Add(2*time.Hour), "E-mail", "Software", "Cannot open a shared mailbox")
		if day%14 == 0 {
			add(at.Add(3*time.Hour), "Network", "VPN", "VPN client disconnects")
		}
	}
	for i := range 9 { // the thirteenth week
		add(start.AddDate(0, 0, 12*7+i%5).Add(time.Duration(i)*time.Hour), "Network", "VPN", "VPN client disconnects after update")
	}
	src := func(yield func(candidate.Incident, error) bool) {
		for _, inc := range incidents {
			if !yield(inc, nil) {
				return
			}
		}
	}
	found, err := candidate.Detect(src, candidate.Config{Until: start.AddDate(0, 0, 13*7)})
	if err != nil {
		panic(err)
	}
	for _, c := range found {
		fmt.Printf("%s: %d incidents in the week from %s, %d in the twelve weeks before (%.1f expected); first %s\n",
			c.Key, c.Count, c.Window.From.Format(time.DateOnly), c.BaselineCount, c.Expected, c.Numbers[0])
	}
	// Output:
	// Network / VPN / "update": 9 incidents in the week from 2026-11-30, 0 in the twelve weeks before (0.0 expected); first INC0000190
}
