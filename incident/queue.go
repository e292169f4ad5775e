package incident

import (
	"context"
	"maps"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// QueueItem is one incident of a work queue, with the due time that orders
// it: the earliest of the running clocks its holder answers for (the
// holding organisation's, or its holding group's), zero when none runs.
type QueueItem struct {
	Incident *Incident
	Due      time.Time
}

// QueuePage is one page of a work queue, what is due first first.
type QueuePage struct {
	Items []QueueItem
	// Next continues the queue; "" when there is no more.
	Next itsm.Cursor
}

// Queue returns one page of a work queue of the actor's organisation: the
// open incidents one of its groups holds ("held by my group"), those of
// them no member is assigned ("unassigned in my group"), or those assigned
// to one of its people ("assigned to me"); each ordered by its holder's
// first due time, incidents without a running clock last, then by ID. The
// page is one index query (chain.QueueQuery over the values record writes
// with the incident), so its cost does not grow with the number of open
// incidents, and its keyset cursor neither loses nor repeats an incident
// that stays in the queue while others move (decision 9).
//
// Any agent of an organisation may read its queues, whether a member of the
// group or not: what an organisation holds, each of its people may see
// (SD-13). Another organisation's group is not found, and a customer, which
// holds no incident, has no queue (forbidden). Resolved, closed and
// cancelled incidents are in no queue.
func (s *Service) Queue(ctx context.Context, actor itsm.Actor, q chain.Queue, limit int, after itsm.Cursor) (QueuePage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return QueuePage{}, err
	}
	if org.Role == itsm.OrgCustomer {
		return QueuePage{}, itsm.Errorf(itsm.CodeForbidden, "customer %s holds no incident and has no queue", org.ID)
	}
	var out QueuePage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		sq, err := chain.QueueQuery(tx, Kind, org.ID, q, limit, after)
		if err != nil {
			return err
		}
		page, err := tx.Query(sq)
		if err != nil {
			return err
		}
		out.Items = make([]QueueItem, 0, len(page.Matches))
		for _, h := range page.Matches {
			inc, err := s.decoded.decode(h.Record)
			if err != nil {
				return err
			}
			// The holder sees what it holds; the check stays so that a
			// queue can never show more than Get would.
			v := ViewOf(inc, org)
			if v == ViewNone {
				continue
			}
			due, err := chain.QueueDue(h.Value)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, QueueItem{Incident: v.Incident(inc), Due: due})
		}
		out.Next = page.Next
		return nil
	})
	return out, err
}

// addQueueIndex adds inc's work queue values (chain.QueueIndex) to idx,
// ordered by the earliest due time of the running clocks its holder
// answers for: another party's clock is not the holder's to meet, and its
// due time is not the holder's to see.
func addQueueIndex(idx map[string][]string, inc *Incident, clocks []Clock) {
	maps.Copy(idx, chain.QueueIndex(inc.Custody, IsOpen(inc.State), chain.HolderDue(inc.Custody, clocks)))
}
