package chain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Queue values: a closed ticket is in no queue; a person's prefix is never
// another's, even with spaces; a ticket without a running clock sorts after
// every due time; the longest person fits in an index value.
func TestQueueIndex(t *testing.T) {
	org, group := itsm.NewID(), itsm.NewID()
	due := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	if idx := chain.QueueIndex(chain.Custody{Holder: org, Group: group}, false, due); len(idx) != 0 {
		t.Errorf("a ticket that is not open has queue values %v", idx)
	}
	idx := chain.QueueIndex(chain.Custody{Holder: org, Group: group}, true, due)
	if len(idx[chain.IndexQueue]) != 1 || len(idx[chain.IndexQueueUnassigned]) != 1 || len(idx[chain.IndexQueueAssignee]) != 0 {
		t.Errorf("unassigned in a group: %v", idx)
	}
	if got, err := chain.QueueDue(idx[chain.IndexQueue][0]); err != nil || !got.Equal(due) {
		t.Errorf("QueueDue = %s, %v; want %s", got, err, due)
	}
	none := chain.QueueIndex(chain.Custody{Holder: org, Group: group}, true, time.Time{})[chain.IndexQueue][0]
	if none <= idx[chain.IndexQueue][0] || !strings.HasSuffix(none, " "+chain.QueueNotDue) {
		t.Errorf("no due time %q sorts before a due time %q", none, idx[chain.IndexQueue][0])
	}
	if got, err := chain.QueueDue(none); err != nil || !got.IsZero() {
		t.Errorf("QueueDue(%q) = %s, %v", none, got, err)
	}
	ann := chain.QueueIndex(chain.Custody{Holder: org, Group: group, Assignee: "ann"}, true, due)[chain.IndexQueueAssignee][0]
	annB := chain.QueueIndex(chain.Custody{Holder: org, Group: group, Assignee: "ann b"}, true, due)[chain.IndexQueueAssignee][0]
	prefix := org.String() + " " + chain.QueuePerson("ann") + " "
	if !strings.HasPrefix(ann, prefix) || strings.HasPrefix(annB, prefix) {
		t.Errorf("ann's prefix %q: ann %q, ann b %q", prefix, ann, annB)
	}
	long := strings.Repeat("é", itsm.MaxLabel/2)
	v := chain.QueueIndex(chain.Custody{Holder: org, Group: group, Assignee: long}, true, due)[chain.IndexQueueAssignee][0]
	if len(v) > itsm.MaxValueSize {
		t.Errorf("the longest person makes a value of %d bytes, more than %d", len(v), itsm.MaxValueSize)
	}
	if _, err := chain.QueueDue(org.String() + " garbage"); itsm.ErrorCode(err) != itsm.CodeInternal {
		t.Errorf("a broken value: %v", err)
	}
}
