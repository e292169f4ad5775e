package authority

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Zone is the time zone whose days the index judges by.
func (x *Index) Zone() *time.Location { return x.zone }

// StandingInFor returns the approvers of customer whom person stands in
// for at the instant at, sorted: those away that day whose latest absence
// names person as the stand-in. Whether the approvers may approve a given
// order is the order's business (Approvers, MayApprove).
func (x *Index) StandingInFor(customer itsm.ID, person string, at time.Time) []string {
	t := nanos(at)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for _, a := range x.st.standIns[personKey{customer, person}] {
		if a.span.contains(t) && x.st.absence(customer, a.approver, t) == a {
			out = append(out, a.approver)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
