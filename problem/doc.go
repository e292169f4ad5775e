// Package problem is problem management (PM-1 to PM-3, IM-3): problems and
// their investigation, held along the support chain as incidents are; the
// known error database (KEDB) and the workaround database (WADB); the
// links between problems and incidents; and the candidate problems the
// detector of package candidate proposes, accepted as problems or
// dismissed.
package problem
