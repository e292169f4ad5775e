// Package report computes service-level reports for a period (SL-2, SL-4,
// SL-6): how the whole support chain and each supplier met their agreements,
// broken down by priority, supplier, category and, for the organisations a
// Spec names, by group, with counts, compliance against the objective,
// working-time durations, first-contact resolution, re-assignments between
// organisations and ping-pong, moves between groups inside one, reopen rate,
// backlog and its ageing, missed update intervals, the trend over previous
// periods and the service credits owed; and, when asked, the problem
// figures: problems opened, resolved and open, known errors without a
// permanent fix, and incidents resolved by a workaround, per organisation
// (Report.Problems, from Spec.Problems and Spec.KnownErrors).
//
// A report reads plain Tickets (a timeline and a few counters), so a supplier
// can feed its own data without adopting the rest of spoc; the incident
// package turns a running system's store into the same Tickets. Compute makes
// one pass over them and keeps only what the figures need, so a year of a
// million tickets fits in memory.
//
// A period that has not ended is measured at Spec.Now and the report is
// Partial. A ratio of no tickets is no figure (nil), not 100 % or 0 %: a
// metric that decided no ticket has no compliance, one whose clocks none
// stopped no mean, median or 90th percentile, a group that resolved none
// no first-contact or reopen rate. A report keeps its zone's name
// (Zone) across JSON and CSV.
//
// Reports come out as Go values, JSON (Schema), CSV (WriteCSV, ReadCSV) and a
// self-contained HTML page with SVG charts (WriteHTML), whose only inline
// style sheet a server allows by HTMLStyleSources.
package report
