// Package candidate finds candidate problems in the incident history
// (PM-3): groups of incidents whose rate in a recent window exceeds their
// usual rate by more than chance would explain.
//
// It reads plain incidents (Source; FromTickets adapts the report tickets
// of a store or a log file, with the CI and summary a Details lookup adds).
// Each incident belongs to several groups, all within its service and
// category: the service and category alone, with its configuration item,
// and with each key token of its summary (Tokens: lower-cased words without
// digits, English, Swedish and desk stop words, at most MaxTokens).
//
// Time is cut into windows of Config.Window (a week) ending at Until; a
// group is tested in a window against the Baseline (twelve windows) just
// before it. Each window's exposure is its working time on Config.Calendar
// (wall time without one) or, with DeskVolume, the number of all incidents
// registered in it. Given the n incidents of a group in the window and its
// baseline, an unchanged rate puts each in the window with probability
// p = e/(e+E), e and E the exposures, so the p-value of k in the window is
// the binomial upper tail P(X >= k | n, p). This conditional test of two
// Poisson rates is exact and, unlike a Poisson tail at the baseline's rate,
// does not treat a rate estimated from a handful of incidents as known: a
// group with no history is not infinitely unusual. A group is tested only
// with at least MinCount incidents in the window and Count at least MinRatio
// times Expected; in each window the Benjamini-Hochberg procedure keeps the
// false discovery rate at FDR over m, the groups with any incident in the
// window or its baseline. False discovery rate rather than Bonferroni's
// family-wise rate because the desk reviews a list, where a known small
// share of false entries is the right guarantee, and thousands of token
// groups would make Bonferroni miss real spikes; the nested groups are
// positively dependent, under which Benjamini-Hochberg holds.
//
// Of the passing groups of a window the most unusual are kept, leaving out
// each whose incidents are half or more in one already kept: a summary's
// tokens and its CI are several groups of the same incidents. A Candidate
// carries its evidence; its Incidents are what a problem opened from it
// links (the problem lifecycle's command). A Dismissal takes its incidents
// out of every group's recent windows, so the spike is not proposed again.
package candidate
