package problem

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// change is the work of one command in its write transaction: the
// problems, known errors, workarounds and dismissals it changed, and their
// events in the order they happened (an itsm.Batch, as request's). A
// command on a problem may change its known error and its incidents in the
// same transaction (Identify, StartFix, Cancel), so that they never
// disagree.
type change struct {
	*itsm.Batch[record]
}

// record is a record as change saves it: its record as it stands at at.
type record interface {
	record(s *Service, at time.Time) (itsm.Record, error)
}

// problem applies payloads to p and records their events.
func (c change) problem(p *Problem, ps ...Payload) error {
	c.Touch(p, p.ID, &p.Version)
	return itsm.Apply(c.Batch, problemCodec, p.ID, p, Payload.apply, ps...)
}

// knownError applies payloads to k and records their events.
func (c change) knownError(k *KnownError, ps ...KnownErrorPayload) error {
	c.Touch(k, k.ID, &k.Version)
	return itsm.Apply(c.Batch, knownErrorCodec, k.ID, k, KnownErrorPayload.apply, ps...)
}

// workaround applies payloads to w and records their events.
func (c change) workaround(w *Workaround, ps ...WorkaroundPayload) error {
	c.Touch(w, w.ID, &w.Version)
	return itsm.Apply(c.Batch, workaroundCodec, w.ID, w, WorkaroundPayload.apply, ps...)
}

// dismissal stores a new dismissal record and its one event.
func (c change) dismissal(p DismissalPayload) (*dismissalRecord, error) {
	d := &dismissalRecord{ID: itsm.NewID(), Dismissed: *p.dismissal()}
	c.Touch(d, d.ID, nil)
	return d, itsm.Emit(c.Batch, dismissalCodec, d.ID, p)
}

// write runs fn in a write transaction and saves what it changed. A
// refusal by fn is returned at once; a conflict from the store, another
// command having changed a record since it was read, runs fn again on the
// fresh records.
func (s *Service) write(ctx context.Context, fn func(c change) error) error {
	now := func() time.Time { return s.clock.Now().UTC() }
	return itsm.WriteBatch(ctx, s.cfg.Store, now, func(r record, at time.Time) (itsm.Record, error) { return r.record(s, at) },
		func(b *itsm.Batch[record]) error { return fn(change{b}) })
}

// Index names of problem records.
const (
	IndexNumber = "number" // unique: the master number
	IndexKey    = "key"    // unique: "desk key" of a recording's idempotency key
	IndexState  = "state"  // the state
	IndexDesk   = "desk"   // the desk owning it
	IndexHolder = "holder" // the organisation holding it
	// IndexHeld holds the desk and each organisation that holds or held
	// the problem, as request's tasks do.
	IndexHeld = "held"
)

// Index names of known error records, besides IndexNumber and IndexDesk.
const (
	IndexService   = "service"    // each service it affects
	IndexCI        = "ci"         // each configuration item it affects
	IndexErrorCode = "error_code" // each error code
	IndexProblem   = "problem"    // the problem it was identified from
	// IndexUnfixed holds the desk while the known error is not retired
	// and its fix is not released: "known errors without a permanent fix".
	IndexUnfixed = "unfixed"
)

// record is the problem's record: its queue values sort it by the first
// running clock of its holder, as an incident's do (chain.HolderDue).
func (p *Problem) record(s *Service, at time.Time) (itsm.Record, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode problem %s", p.Number)
	}
	clocks, err := s.Clocks(p, at)
	if err != nil {
		return itsm.Record{}, err
	}
	idx := chain.QueueIndex(p.Custody, IsOpen(p.State), chain.HolderDue(p.Custody, clocks))
	if idx == nil {
		idx = map[string][]string{}
	}
	idx[IndexState] = []string{string(p.State)}
	idx[IndexDesk] = []string{p.Desk.String()}
	idx[IndexHolder] = []string{p.Holder.String()}
	held := []string{p.Desk.String()}
	for _, a := range p.Assignments {
		held = append(held, a.Organisation.String())
	}
	idx[IndexHeld] = held
	unique := map[string]string{IndexNumber: p.Number.String()}
	if p.Key != "" {
		unique[IndexKey] = p.Desk.String() + " " + p.Key
	}
	return itsm.Record{Kind: Kind, ID: p.ID, Body: body, Unique: unique, Index: idx}, nil
}

func (k *KnownError) record(*Service, time.Time) (itsm.Record, error) {
	body, err := json.Marshal(k)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode known error %s", k.Number)
	}
	idx := map[string][]string{IndexDesk: {k.Desk.String()}, IndexService: k.Services, IndexErrorCode: k.ErrorCodes}
	for _, ci := range k.CIs {
		idx[IndexCI] = append(idx[IndexCI], ci.String())
	}
	if !k.Problem.IsZero() {
		idx[IndexProblem] = []string{k.Problem.String()}
	}
	if !k.Retired && k.Fix.Status != FixReleased {
		idx[IndexUnfixed] = []string{k.Desk.String()}
	}
	return itsm.Record{Kind: KindKnownError, ID: k.ID, Body: body,
		Unique: map[string]string{IndexNumber: k.Number.String()}, Index: idx}, nil
}

func (w *Workaround) record(*Service, time.Time) (itsm.Record, error) {
	// Resolved is the incidents' to say, at read time.
	c := *w
	c.Resolved = 0
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode workaround %s", w.Number)
	}
	return itsm.Record{Kind: KindWorkaround, ID: w.ID, Body: body,
		Unique: map[string]string{IndexNumber: w.Number.String()},
		Index:  map[string][]string{IndexDesk: {w.Desk.String()}}}, nil
}

// dismissalRecord is a stored dismissal, of a candidate dismissed or
// accepted.
type dismissalRecord struct {
	ID itsm.ID `json:"id"`
	Dismissed
}

func (d *dismissalRecord) record(*Service, time.Time) (itsm.Record, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode dismissal %s", d.ID)
	}
	return itsm.Record{Kind: KindDismissal, ID: d.ID, Body: body,
		Index: map[string][]string{IndexDesk: {d.Desk.String()}}}, nil
}

func notFound(what string, id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "%s %s not found", what, id)
}

// loadProblem reads a problem.
func loadProblem(tx itsm.ReadTx, id itsm.ID) (*Problem, error) {
	p, v, err := itsm.LoadRecord[Problem](tx, Kind, id, "problem")
	if err == nil {
		p.Version = v
	}
	return p, err
}

// loadKnownError reads a known error.
func loadKnownError(tx itsm.ReadTx, id itsm.ID) (*KnownError, error) {
	k, v, err := itsm.LoadRecord[KnownError](tx, KindKnownError, id, "known error")
	if err == nil {
		k.Version = v
	}
	return k, err
}

// loadWorkaround reads a workaround, without its Resolved count.
func loadWorkaround(tx itsm.ReadTx, id itsm.ID) (*Workaround, error) {
	w, v, err := itsm.LoadRecord[Workaround](tx, KindWorkaround, id, "workaround")
	if err == nil {
		w.Version = v
	}
	return w, err
}
