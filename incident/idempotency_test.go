package incident_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// A retry is the same registration sent again: the same content after the
// normalising checks, whatever happened to the incident since, answers with
// the first incident; other content under the key is refused and registers
// nothing. An incident stored before digests were kept answers any retry.
func TestRegisterKeyWithOtherContent(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			ci1, ci2 := itsm.NewID(), itsm.NewID()
			reg := incident.Registration{Customer: w.city.ID, Caller: incident.Caller{Person: "ulla"},
				Channel: incident.ChannelMonitoring, Summary: "core switch down", Impact: itsm.ImpactHigh,
				Urgency: itsm.UrgencyHigh, CIs: []itsm.ID{ci1, ci2}, Key: "alert-7f3a"}
			first := w.must(w.svc.Register(w.ctx, w.agent, reg))
			// The incident changes; the registration it came from does not.
			w.must(w.svc.Recategorise(w.ctx, w.agent, first.ID, "network", "lan", ""))
			same := reg
			same.Summary = "  core switch down\t"
			same.CIs = []itsm.ID{ci2, ci1}
			if again, err := w.svc.Register(w.ctx, w.agent, same); err != nil || again.ID != first.ID {
				t.Fatalf("the same registration again: %v, %v", again, err)
			}
			for what, change := range map[string]func(r *incident.Registration){
				"summary":     func(r *incident.Registration) { r.Summary = "core switch up" },
				"urgency":     func(r *incident.Registration) { r.Urgency = itsm.UrgencyLow },
				"description": func(r *incident.Registration) { r.Description = "more" },
				"caller":      func(r *incident.Registration) { r.Caller.Name = "Ulla" },
				"customer":    func(r *incident.Registration) { r.Customer = itsm.ID{} },
				"cis":         func(r *incident.Registration) { r.CIs = r.CIs[:1] },
			} {
				other := reg
				other.CIs = append([]itsm.ID(nil), reg.CIs...)
				change(&other)
				_, err := w.svc.Register(w.ctx, w.agent, other)
				if !itsm.IsCode(err, itsm.CodeInvalid) || !errors.Is(err, itsm.ErrKeyReused) || !strings.Contains(err.Error(), first.Number.String()) {
					t.Errorf("another %s under the key: %v, want invalid naming %s and wrapping ErrKeyReused", what, err, first.Number)
				}
			}
			page, err := w.svc.List(w.ctx, w.agent, incident.Filter{})
			if err != nil || len(page.Incidents) != 1 {
				t.Fatalf("%d incidents stored (%v), want 1", len(page.Incidents), err)
			}
			// Another desk's key space is its own.
			next := w.must(w.svc.Register(w.ctx, w.agent, incident.Registration{Caller: incident.Caller{Person: "ulla"},
				Channel: incident.ChannelPhone, Summary: "printer", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow}))
			if next.Number.Seq != 2 {
				t.Errorf("the refused retries took numbers: the next incident is %s", next.Number)
			}

			// An incident registered before this version kept no digest:
			// a retry cannot be compared, so it gets the incident.
			err = w.store.Write(w.ctx, func(tx itsm.WriteTx) error {
				rec, err := tx.Get(incident.KeyKind, first.ID)
				if err != nil {
					return err
				}
				return tx.Delete(incident.KeyKind, first.ID, rec.Version)
			})
			if err != nil {
				t.Fatal(err)
			}
			other := reg
			other.Summary = "something else"
			if again, err := w.svc.Register(w.ctx, w.agent, other); err != nil || again.ID != first.ID {
				t.Fatalf("a retry of an incident without a digest: %v, %v", again, err)
			}
		})
	}
}
