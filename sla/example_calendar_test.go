package sla_test

import (
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/sla"
)

// stockholmOffice is open Monday to Thursday 08:00-17:00 and Friday
// 08:00-16:00, closed on Swedish public holidays (Midsommarafton, Julafton
// and Nyårsafton included).
func stockholmOffice() *sla.Calendar {
	sto, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	week := sla.OfficeHours(8*time.Hour, 17*time.Hour)
	week[time.Friday] = []sla.Span{{Start: 8 * time.Hour, End: 16 * time.Hour}}
	c, err := sla.NewCalendar(sla.CalendarSpec{Name: "stockholm-office", Location: sto, Week: week, Holidays: []string{"se"}})
	if err != nil {
		panic(err)
	}
	return c
}

const layout = "Mon 2006-01-02 15:04 MST"

// Acknowledge a request within one working day (8 working hours). A request
// registered on Thursday 18 June 2026 at 14:00, the eve of Midsommarafton,
// gets 3 hours on Thursday; Midsommarafton, Midsommardagen and Sunday are
// closed; the remaining 5 hours run from 08:00 on Monday.
func ExampleCalendar_Add() {
	c := stockholmOffice()
	workingDay := 8 * time.Hour

	registered := time.Date(2026, time.June, 18, 14, 0, 0, 0, c.Location())
	due := c.Add(registered, workingDay)
	fmt.Println(due.Format(layout))
	// Output: Mon 2026-06-22 13:00 CEST
}

// Route a request within two working days (16 working hours). Registered on
// Friday 13 March 2026 at 13:00: 3 hours on Friday, none at the weekend, 9 on
// Monday, and the last 4 on Tuesday morning.
func ExampleCalendar_Add_routing() {
	c := stockholmOffice()
	workingDay := 8 * time.Hour

	registered := time.Date(2026, time.March, 13, 13, 0, 0, 0, c.Location())
	due := c.Add(registered, 2*workingDay)
	fmt.Println(due.Format(layout))
	// Output: Tue 2026-03-17 12:00 CET
}

// Working time is real elapsed time. Between Friday 27 March 2026 15:00 and
// Monday 30 March 10:00 the office works one hour on Friday and two on
// Monday. A calendar open around the clock has 23 hours from Saturday noon to
// Sunday noon, because the clocks spring forward on Sunday 29 March.
func ExampleCalendar_Between() {
	office := stockholmOffice()
	fmt.Println(office.Between(
		time.Date(2026, time.March, 27, 15, 0, 0, 0, office.Location()),
		time.Date(2026, time.March, 30, 10, 0, 0, 0, office.Location())))

	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: office.Location(), Week: sla.AlwaysOpen()})
	if err != nil {
		panic(err)
	}
	fmt.Println(always.Between(
		time.Date(2026, time.March, 28, 12, 0, 0, 0, office.Location()),
		time.Date(2026, time.March, 29, 12, 0, 0, 0, office.Location())))
	// Output:
	// 3h0m0s
	// 23h0m0s
}

// A calendar in its JSON form. Thursday 30 April 2026 (Valborgsmässoafton)
// closes at 13:00, and Wednesday 23 December is closed, so two working hours
// from Tuesday 22 December 16:00 are one hour on Tuesday and, after
// Julafton, Juldagen, Annandag jul and the weekend, one on Monday 28 December.
// After Nyårsafton and Nyårsdagen the office opens on Monday 4 January.
func ExampleParseCalendar() {
	c, err := sla.ParseCalendar([]byte(`{
		"name": "stockholm-office",
		"location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]},
		"holidays": ["se"],
		"days": {"2026-04-30": ["08:00-13:00"], "2026-12-23": []}
	}`))
	if err != nil {
		panic(err)
	}
	loc := c.Location()
	fmt.Println(c.Name(), loc)
	fmt.Println(c.Between(time.Date(2026, time.April, 30, 0, 0, 0, 0, loc), time.Date(2026, time.May, 1, 0, 0, 0, 0, loc)))
	fmt.Println(c.IsWorking(time.Date(2026, time.April, 30, 14, 0, 0, 0, loc)))
	fmt.Println(c.Add(time.Date(2026, time.December, 22, 16, 0, 0, 0, loc), 2*time.Hour).Format(layout))
	fmt.Println(c.Next(time.Date(2026, time.December, 31, 9, 0, 0, 0, loc)).Format(layout))
	// Output:
	// stockholm-office Europe/Stockholm
	// 5h0m0s
	// false
	// Mon 2026-12-28 09:00 CET
	// Mon 2027-01-04 08:00 CET
}
