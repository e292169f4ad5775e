package sla_test

import (
	"fmt"
	"log"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// A supplier's UC measured on a Stockholm office calendar: five working
// hours used on a Thursday, due the next Monday because Friday closes early
// and Midsummer Eve (Friday 19 June 2026) is a holiday.
func ExampleAgreement_Measure_officeHours() {
	office, err := sla.ParseCalendar([]byte(`{"name": "stockholm-office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]}, "holidays": ["se"]}`))
	if err != nil {
		log.Fatal(err)
	}
	desk, supplier := itsm.NewID(), itsm.NewID()
	uc := sla.Agreement{Name: "network UC", Kind: sla.KindUC, Provider: supplier, Consumer: desk,
		Objective: 0.95, Warnings: []float64{0.5, 0.75},
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour,
			Calendar: office, Pause: []itsm.State{"waiting_user"}, Stop: []itsm.State{"resolved"}}}}
	start := time.Date(2026, 6, 18, 11, 0, 0, 0, office.Location())
	tl := itsm.Timeline{{Start: start, State: "delegated", Holder: supplier, Priority: 2}}
	m, err := uc.Measure(tl, sla.MetricResolution, start.Add(5*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Status, m.Elapsed, m.Due) // running 5h0m0s 2026-06-22 10:00:00 +0200 CEST
	// Output: running 5h0m0s 2026-06-22 10:00:00 +0200 CEST
}
