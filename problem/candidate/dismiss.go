package candidate

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// MaxReason is the longest reason of a dismissal, in bytes.
const MaxReason = 2000

// Dismissal records that the desk judged a candidate no problem: who, when
// and why, and which incidents it covered. Those incidents no longer count
// in any group's recent windows, so the same spike is not proposed again,
// under its key or another; a later spike of new incidents in the group may
// be, when the new ones alone are unusual. Accepting a candidate as a problem can
// record the same, so that the incidents the problem links are not proposed
// again either. The detector takes the dismissals as data (Config.Dismissed):
// whoever keeps them (the problem lifecycle's store) loads them first.
type Dismissal struct {
	Key       Key       `json:"key"`
	Incidents []itsm.ID `json:"incidents"`
	By        string    `json:"by"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// Dismiss returns the dismissal of c by who, for reason, at the time at;
// who and reason are checked as every user text is.
func Dismiss(c Candidate, by, reason string, at time.Time) (Dismissal, error) {
	switch {
	case by == "":
		return Dismissal{}, itsm.Errorf(itsm.CodeInvalid, "a dismissal names who dismissed the candidate")
	case reason == "":
		return Dismissal{}, itsm.Errorf(itsm.CodeInvalid, "a dismissal gives the reason the candidate is no problem")
	case len(c.Incidents) == 0:
		return Dismissal{}, itsm.Errorf(itsm.CodeInvalid, "the candidate %s has no incidents to dismiss", c.Key)
	case at.IsZero():
		return Dismissal{}, itsm.Errorf(itsm.CodeInvalid, "a dismissal says when it was made")
	}
	if err := itsm.CheckLabel("the dismisser", by); err != nil {
		return Dismissal{}, err
	}
	if err := itsm.CheckText("the reason of the dismissal", reason, MaxReason); err != nil {
		return Dismissal{}, err
	}
	return Dismissal{Key: c.Key, Incidents: slices.Clone(c.Incidents), By: by, Reason: reason, At: at}, nil
}
