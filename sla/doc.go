// Package sla measures service levels in working time.
//
// A Calendar knows when work happens: weekly office hours in a time zone,
// public holidays and per-date exceptions. Its arithmetic (Add, Between, Next,
// IsWorking) is closed-form, so a deadline forty working hours away costs the
// same as one a year away, and it is exact across daylight-saving changes.
//
// An Agreement (an SLA with the customer, an OLA with an internal unit or a UC
// with an external supplier) sets targets per metric and priority. An OLA may
// name a provider group, such as the desk's second line promising its first
// line: it then sees only the intervals that group held. Measuring
// a ticket's itsm.Timeline against it yields the clock: elapsed and remaining
// working time, due time, pause, warning and breach. The clock is recomputed
// from the whole history every time, so pauses and elapsed time survive a
// change of priority or calendar.
package sla
