package knowledge_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
)

// This file checks every command against every state of an article and
// every kind of actor, from a table of the rules written from
// docs/knowledge.md ("Who may do what") rather than from the code: the
// desk's agent, a supplier's agent owning the article or not, a
// customer's agent owning it or not, a customer's user, another desk,
// a customer that may only read and a supplier that may do nothing, and
// invalid input. Each allowed command must succeed and leave the article
// as its events say; each refused one must fail with the table's code and
// write nothing: no event, no record.

// who is a kind of actor of the table.
type who struct {
	name  string
	actor func(w *world) itsm.Actor
	org   itsm.ID
	role  itsm.OrgRole
	agent bool
	// read, write and report are the organisation's rights in knowledge.
	read, write, report bool
}

var whos = []who{
	{"desk agent", func(w *world) itsm.Actor { return w.deskAgent }, deskID, itsm.OrgDesk, true, true, true, true},
	{"desk user", func(w *world) itsm.Actor { return w.deskUser }, deskID, itsm.OrgDesk, false, true, true, true},
	{"supplier agent", func(w *world) itsm.Actor { return w.telAgent }, telcoID, itsm.OrgSupplier, true, true, true, true},
	{"customer agent", func(w *world) itsm.Actor { return w.cityAgent }, cityID, itsm.OrgCustomer, true, true, true, false},
	{"customer user", func(w *world) itsm.Actor { return w.cityUser }, cityID, itsm.OrgCustomer, false, true, true, false},
	{"read-only customer agent", func(w *world) itsm.Actor { return w.townAgent }, townID, itsm.OrgCustomer, true, true, false, false},
	{"other desk agent", func(w *world) itsm.Actor { return w.desk2Agent }, desk2ID, itsm.OrgDesk, true, true, true, true},
	{"supplier without rights", func(w *world) itsm.Actor { return w.bareAgent }, bareID, itsm.OrgSupplier, true, false, false, false},
}

// variant is an article of the table: who owns it and who reads it.
type variant struct {
	name     string
	owner    itsm.ID
	author   func(w *world) itsm.Actor
	audience knowledge.Audience
}

var variants = []variant{
	{"desk's public", deskID, func(w *world) itsm.Actor { return w.deskAgent }, knowledge.AudiencePublic},
	{"supplier's chain-only", telcoID, func(w *world) itsm.Actor { return w.telAgent }, knowledge.AudienceChain},
	{"supplier's for users", telcoID, func(w *world) itsm.Actor { return w.telAgent }, knowledge.AudienceUsers},
	{"customer's own", cityID, func(w *world) itsm.Actor { return w.cityAgent }, knowledge.AudienceUsers},
}

// sees is the audience rule: who reads a published version of v.
func (v variant) sees(o who) bool {
	switch v.audience {
	case knowledge.AudiencePublic:
		return true
	case knowledge.AudienceChain:
		return o.org == deskID || o.role == itsm.OrgSupplier
	}
	// Users: the chain of the desk, and the customers named; a
	// customer's own article names it alone.
	if o.role == itsm.OrgCustomer {
		return v.owner != cityID || o.org == cityID
	}
	return o.org == deskID || o.role == itsm.OrgSupplier
}

// editor is who edits v: agents of its owner and of its desk.
func (v variant) editor(o who) bool { return o.agent && (o.org == v.owner || o.org == deskID) }

// reads is whether o reads v in state s: its editors in every state,
// anyone else with read access once published, if the audience holds
// them.
func (v variant) reads(o who, s knowledge.State) bool {
	return o.read && (v.editor(o) || published(s) && v.sees(o))
}

func published(s knowledge.State) bool {
	return s == knowledge.StatePublished || s == knowledge.StateRetired
}

// content is v's content, for an author of v.
func (v variant) content(title string) knowledge.Content {
	return knowledge.Content{Title: title, Body: "Starta om **datorn**.", Keywords: []string{"dator"}, Audience: v.audience}
}

// make writes a new article of v and brings it to state s.
func (v variant) make(w *world, s knowledge.State) *knowledge.Article {
	w.t.Helper()
	d := knowledge.Draft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish, Content: v.content("Datorn startar inte")}
	if v.owner != deskID {
		d.Desk = deskID
	}
	a, err := w.svc.Create(w.ctx, v.author(w), d)
	w.ok(err)
	if s == knowledge.StateDraft {
		return a
	}
	_, err = w.svc.Submit(w.ctx, v.author(w), a.ID)
	w.ok(err)
	if s == knowledge.StateReview {
		return a
	}
	_, err = w.svc.Publish(w.ctx, w.deskAgent, a.ID, knowledge.Publishing{})
	w.ok(err)
	if s == knowledge.StateRetired {
		_, err = w.svc.Retire(w.ctx, w.deskAgent, a.ID, "Inaktuell.")
		w.ok(err)
	}
	a, err = w.svc.Get(w.ctx, w.deskAgent, a.ID)
	w.ok(err)
	return a
}

// rule is one command of the table: how to run it, on the article or
// with invalid input, and the code the rules give (empty: allowed), and
// the state the article is in after it is allowed.
type rule struct {
	name string
	run  func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error
	want func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State)
}

// change is the common part of the rules of the editors' commands: rights
// first, then the input, then whether the actor edits the article (a
// reader is forbidden, anyone else does not find it).
func change(v variant, o who, s knowledge.State, bad bool) (itsm.Code, bool) {
	switch {
	case !o.read || !o.write:
		return itsm.CodeForbidden, true
	case bad:
		return itsm.CodeInvalid, true
	case !v.editor(o) && published(s) && v.sees(o):
		return itsm.CodeForbidden, true
	case !v.editor(o):
		return itsm.CodeNotFound, true
	}
	return "", false
}

var rules = []rule{
	{"edit", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		c := variantOf(art).content("Datorn startar inte alls")
		if bad {
			c.Title = " "
		}
		_, err := w.svc.Edit(w.ctx, a, art.ID, c)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if !o.read || !o.write {
			return itsm.CodeForbidden, s
		}
		if o.role == itsm.OrgCustomer && v.audience == knowledge.AudienceChain && !bad {
			return itsm.CodeForbidden, s // a customer never writes for the chain only
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		if s == knowledge.StateReview {
			return itsm.CodeConflict, s
		}
		return "", knowledge.StateDraft
	}},
	{"submit", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		id := art.ID
		if bad {
			id = itsm.NewID()
		}
		_, err := w.svc.Submit(w.ctx, a, id)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if bad && o.read && o.write {
			return itsm.CodeNotFound, s
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		if s != knowledge.StateDraft {
			return itsm.CodeConflict, s
		}
		return "", knowledge.StateReview
	}},
	{"send back", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		reason := "Skriv om stycket."
		if bad {
			reason = "\t"
		}
		_, err := w.svc.SendBack(w.ctx, a, art.ID, reason)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if bad {
			return itsm.CodeInvalid, s // the reason is checked before anything else
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		if s != knowledge.StateReview {
			return itsm.CodeConflict, s
		}
		return "", knowledge.StateDraft
	}},
	{"publish", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		p := knowledge.Publishing{}
		if bad {
			p.Note = strings.Repeat("x", knowledge.MaxText+1)
		}
		_, err := w.svc.Publish(w.ctx, a, art.ID, p)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if bad {
			return itsm.CodeInvalid, s
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		// The desk publishes; a supplier its own for the chain only.
		if o.org != deskID && !(o.org == v.owner && o.role == itsm.OrgSupplier && v.audience == knowledge.AudienceChain) {
			return itsm.CodeForbidden, s
		}
		if s != knowledge.StateReview {
			return itsm.CodeConflict, s
		}
		return "", knowledge.StatePublished
	}},
	{"retire", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		reason := "Inaktuell."
		if bad {
			reason = ""
		}
		_, err := w.svc.Retire(w.ctx, a, art.ID, reason)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if bad {
			return itsm.CodeInvalid, s
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		if s == knowledge.StateRetired {
			return itsm.CodeConflict, s
		}
		return "", knowledge.StateRetired
	}},
	{"confirm review", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		next := w.clock.Now().Add(30 * 24 * time.Hour)
		if bad {
			next = w.clock.Now().Add(-time.Hour)
		}
		_, err := w.svc.ConfirmReview(w.ctx, a, art.ID, next)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		// The date is checked on a live article only.
		if c, done := change(v, o, s, false); done {
			return c, s
		}
		if s != knowledge.StatePublished {
			return itsm.CodeConflict, s
		}
		if bad {
			return itsm.CodeInvalid, s
		}
		return "", s
	}},
	{"hand over", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		p := "greta"
		if bad {
			p = "two\nlines"
		}
		_, err := w.svc.HandOver(w.ctx, a, art.ID, p)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		if bad {
			return itsm.CodeInvalid, s
		}
		if c, done := change(v, o, s, bad); done {
			return c, s
		}
		return "", s
	}},
	{"translate", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		lang := knowledge.English
		if bad {
			lang = "de"
		}
		_, err := w.svc.Translate(w.ctx, a, art.ID, lang, variantOf(art).content("The computer does not start"))
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		switch {
		case !o.read || !o.write:
			return itsm.CodeForbidden, s
		case bad:
			return itsm.CodeInvalid, s
		case o.role == itsm.OrgCustomer && v.audience == knowledge.AudienceChain:
			return itsm.CodeForbidden, s
		case !v.reads(o, s):
			return itsm.CodeNotFound, s
		case !o.agent || o.role == itsm.OrgDesk && o.org != deskID:
			// A reader translates if it writes for the article's desk.
			return itsm.CodeForbidden, s
		}
		return "", s
	}},
	{"mark", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		id := art.ID
		if bad {
			id = itsm.ID{}
		}
		_, err := w.svc.Mark(w.ctx, a, id, false)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		switch {
		case !o.read:
			return itsm.CodeForbidden, s
		case bad || !published(s) || !v.sees(o):
			// Only a published version is marked, by its audience.
			return itsm.CodeNotFound, s
		}
		return "", s
	}},
	{"record use", func(w *world, a itsm.Actor, art *knowledge.Article, bad bool) error {
		inc := w.useIncident
		if bad {
			inc = itsm.ID{}
		}
		_, err := w.svc.RecordUse(w.ctx, a, art.ID, inc)
		return err
	}, func(v variant, o who, s knowledge.State, bad bool) (itsm.Code, knowledge.State) {
		switch {
		case !o.read:
			return itsm.CodeForbidden, s
		case !o.agent || o.role == itsm.OrgCustomer:
			return itsm.CodeForbidden, s
		case bad:
			return itsm.CodeInvalid, s
		case o.org == desk2ID:
			return itsm.CodeNotFound, s // the other desk does not see the incident
		case !published(s) || !v.sees(o):
			return itsm.CodeNotFound, s
		}
		return "", s
	}},
}

// variantOf is the variant an article of the table was made as, by its
// owner and audience.
func variantOf(a *knowledge.Article) variant {
	for _, v := range variants {
		if v.owner == a.Owner && v.audience == a.Draft.Audience {
			return v
		}
	}
	panic(fmt.Sprintf("article %s of %s for %s is of no variant", a.Number, a.Owner, a.Draft.Audience))
}

// footprint is everything the knowledge base stores, digested: the log's
// head and every record of its kinds with its version, so that a refused
// command is seen to have written nothing at all.
func (w *world) footprint() string {
	w.t.Helper()
	h := sha256.New()
	fmt.Fprint(h, w.seq())
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for _, kind := range []string{knowledge.Kind, knowledge.KindVersion, knowledge.KindStats, knowledge.KindMark,
			knowledge.KindUse, knowledge.KindGap, knowledge.KindCursor} {
			err := itsm.Scan(w.ctx, tx, itsm.Query{Kind: kind, Limit: itsm.MaxLimit}, func(hit itsm.Hit) error {
				fmt.Fprintf(h, "%s %s %d %s\n", kind, hit.Record.ID, hit.Record.Version, hit.Record.Body)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// TestCommandRules runs every command of the table on a new article of
// each variant in each state, by each kind of actor, with good and with
// invalid input.
func TestCommandRules(t *testing.T) {
	allowed, refused := 0, 0
	for _, s := range knowledge.States() {
		t.Run(string(s), func(t *testing.T) {
			w := newWorld(t, backends()["memstore"](t))
			w.useIncident = w.incident()
			// Handed to the supplier, whose agents then see it too.
			_, err := w.inc.Delegate(w.ctx, w.deskAgent, w.useIncident, incident.Delegation{Organisation: telcoID})
			w.ok(err)
			for _, r := range rules {
				for _, v := range variants {
					for _, o := range whos {
						for _, bad := range []bool{false, true} {
							if bad && o.name != "desk agent" && o.name != "supplier without rights" {
								continue // invalid input from the desk, and from one refused anyway
							}
							art := v.make(w, s)
							want, then := r.want(v, o, s, bad)
							name := fmt.Sprintf("%s of the %s %s by the %s", r.name, s, v.name, o.name)
							if bad {
								name += ", invalid"
							}
							before := w.footprint()
							err := r.run(w, o.actor(w), art, bad)
							if want != "" {
								refused++
								if !itsm.IsCode(err, want) {
									t.Errorf("%s: %v, want code %s", name, err, want)
								}
								if w.footprint() != before {
									t.Errorf("%s was refused (%v) and wrote", name, err)
								}
								continue
							}
							allowed++
							if err != nil {
								t.Errorf("%s: %v, want it allowed", name, err)
								continue
							}
							got, err := w.svc.Get(w.ctx, w.deskAgent, art.ID)
							w.ok(err)
							if got.State != then {
								t.Errorf("%s: the article is %s, want %s", name, got.State, then)
							}
							w.replayed(art.ID)
						}
					}
				}
			}
		})
	}
	t.Logf("%d commands allowed, %d refused", allowed, refused)
}

// Create: agents with write access, for their own desk or one they work
// with; never another desk's; a customer not for the chain only.
func TestCreateRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	for _, o := range whos {
		for _, c := range []struct {
			name string
			desk itsm.ID
			aud  knowledge.Audience
			want itsm.Code
		}{
			{"for the desk", deskID, knowledge.AudiencePublic, ""},
			{"for the chain", deskID, knowledge.AudienceChain, ""},
			{"for another desk", desk2ID, knowledge.AudiencePublic, ""},
			{"naming no desk", itsm.ID{}, knowledge.AudiencePublic, ""},
			{"for a customer as if a desk", cityID, knowledge.AudiencePublic, ""},
		} {
			want := c.want
			switch {
			case !o.read || !o.write || !o.agent:
				want = itsm.CodeForbidden
			case o.role == itsm.OrgDesk && !c.desk.IsZero() && c.desk != o.org:
				want = itsm.CodeForbidden // a desk writes for itself
			case o.role == itsm.OrgDesk:
			case c.desk.IsZero() || c.desk == cityID:
				want = itsm.CodeInvalid // a supplier or customer names a desk
			case o.role == itsm.OrgCustomer && c.aud == knowledge.AudienceChain:
				want = itsm.CodeForbidden
			}
			d := knowledge.Draft{Desk: c.desk, Kind: knowledge.KindGuide, Language: knowledge.Bokmal,
				Content: knowledge.Content{Title: "Bytt passord", Body: "Gå til portalen.", Audience: c.aud}}
			name := fmt.Sprintf("create %s by the %s", c.name, o.name)
			before := w.footprint()
			a, err := w.svc.Create(w.ctx, o.actor(w), d)
			if want != "" {
				if !itsm.IsCode(err, want) {
					t.Errorf("%s: %v, want code %s", name, err, want)
				}
				if w.footprint() != before {
					t.Errorf("%s was refused and wrote", name)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			wantDesk := c.desk
			if o.role == itsm.OrgDesk {
				wantDesk = o.org
			}
			if a.Owner != o.org || a.Desk != wantDesk || a.State != knowledge.StateDraft || a.OwnerPerson != o.actor(w).Person {
				t.Errorf("%s: %+v", name, a)
			}
		}
	}
	// Invalid drafts, from the desk: each refused with CodeInvalid.
	good := knowledge.Draft{Kind: knowledge.KindFAQ, Language: knowledge.Swedish,
		Content: knowledge.Content{Title: "Byt lösenord", Body: "Gå till portalen.", Audience: knowledge.AudiencePublic}}
	for name, f := range map[string]func(d *knowledge.Draft){
		"no kind":            func(d *knowledge.Draft) { d.Kind = "" },
		"unknown language":   func(d *knowledge.Draft) { d.Language = "da" },
		"empty title":        func(d *knowledge.Draft) { d.Title = "  " },
		"two-line title":     func(d *knowledge.Draft) { d.Title = "a\nb" },
		"empty body":         func(d *knowledge.Draft) { d.Body = "\n" },
		"too long body":      func(d *knowledge.Draft) { d.Body = strings.Repeat("å", knowledge.MaxBody) },
		"no audience":        func(d *knowledge.Draft) { d.Audience = "" },
		"keyword twice":      func(d *knowledge.Draft) { d.Keywords = []string{"VPN", "vpn"} },
		"empty keyword":      func(d *knowledge.Draft) { d.Keywords = []string{" "} },
		"too many keywords":  func(d *knowledge.Draft) { d.Keywords = make([]string, knowledge.MaxKeywords+1) },
		"customers, public":  func(d *knowledge.Draft) { d.Customers = []itsm.ID{cityID} },
		"customer twice":     func(d *knowledge.Draft) { d.Audience, d.Customers = knowledge.AudienceUsers, []itsm.ID{cityID, cityID} },
		"customer unknown":   func(d *knowledge.Draft) { d.Audience, d.Customers = knowledge.AudienceUsers, []itsm.ID{itsm.NewID()} },
		"customer no custom": func(d *knowledge.Draft) { d.Audience, d.Customers = knowledge.AudienceUsers, []itsm.ID{telcoID} },
		"owner two lines":    func(d *knowledge.Draft) { d.OwnerPerson = "a\nb" },
	} {
		d := good
		f(&d)
		before := w.footprint()
		_, err := w.svc.Create(w.ctx, w.deskAgent, d)
		if !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want code invalid", name, err)
		}
		if w.footprint() != before {
			t.Errorf("%s was refused and wrote", name)
		}
	}
	// A customer writes for its own users, never another customer's.
	d := good
	d.Desk, d.Audience, d.Customers = deskID, knowledge.AudienceUsers, []itsm.ID{townID}
	w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.Create(w.ctx, w.cityAgent, d); return err })
	d.Customers = nil
	a, err := w.svc.Create(w.ctx, w.cityAgent, d)
	w.ok(err)
	if !slices.Equal(a.Draft.Customers, []itsm.ID{cityID}) {
		t.Errorf("a customer's article for users names %v, want the customer alone", a.Draft.Customers)
	}
}

// The reads of each variant in each state by each kind of actor: Get,
// GetByNumber, Versions, Translations and Events answer as the rules say;
// List shows nothing the actor may not read, and everything to those
// listing across desks; Search finds exactly the published articles whose
// audience holds the actor.
func TestReadRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	type made struct {
		v   variant
		s   knowledge.State
		art *knowledge.Article
	}
	var arts []made
	for _, s := range knowledge.States() {
		for _, v := range variants {
			arts = append(arts, made{v, s, v.make(w, s)})
		}
	}
	w.ok(w.svc.Sync(w.ctx))
	for _, o := range whos {
		a := o.actor(w)
		listed := map[itsm.ID]bool{}
		page, err := w.svc.List(w.ctx, a, knowledge.Filter{Limit: 100})
		if !o.read {
			w.code(err, itsm.CodeForbidden)
		} else {
			w.ok(err)
			for _, x := range page.Articles {
				listed[x.ID] = true
			}
		}
		found := map[itsm.ID]bool{}
		res, err := w.svc.Search(w.ctx, a, knowledge.Query{Text: "datorn", Limit: 100})
		if !o.read {
			w.code(err, itsm.CodeForbidden)
		} else {
			w.ok(err)
			for _, h := range res.Hits {
				found[h.ID] = true
			}
		}
		for _, m := range arts {
			name := fmt.Sprintf("the %s reading the %s %s", o.name, m.s, m.v.name)
			want := itsm.Code("")
			switch {
			case !o.read:
				want = itsm.CodeForbidden
			case !m.v.reads(o, m.s):
				want = itsm.CodeNotFound
			}
			got, err := w.svc.Get(w.ctx, a, m.art.ID)
			byNumber, errN := w.svc.GetByNumber(w.ctx, a, m.art.Number)
			_, errV := w.svc.Versions(w.ctx, a, m.art.ID)
			_, errT := w.svc.Translations(w.ctx, a, m.art.ID)
			for i, e := range []error{err, errN, errV, errT} {
				if want == "" && e != nil || want != "" && !itsm.IsCode(e, want) {
					t.Errorf("%s (%d of Get, GetByNumber, Versions, Translations): %v, want %q", name, i, e, want)
				}
			}
			if want == "" {
				if byNumber.ID != got.ID {
					t.Errorf("%s: by number %s", name, byNumber.Number)
				}
				// A reader who does not edit sees the version readers see.
				if !m.v.editor(o) && (got.Draft.Body != got.Published.Body || got.OwnerPerson != "" || got.State != m.s) {
					t.Errorf("%s: sees %s, owner person %q, draft %q", name, got.State, got.OwnerPerson, got.Draft.Body)
				}
			}
			wantEvents := want
			if want == "" && !m.v.editor(o) {
				wantEvents = itsm.CodeForbidden
			}
			if _, err := w.svc.Events(w.ctx, a, m.art.ID); wantEvents == "" && err != nil || wantEvents != "" && !itsm.IsCode(err, wantEvents) {
				t.Errorf("%s's history: %v, want %q", name, err, wantEvents)
			}
			if listed[m.art.ID] && want != "" {
				t.Errorf("%s: listed, but %s", name, want)
			}
			// A desk lists its own desk's articles; everyone else lists
			// all they read.
			if !listed[m.art.ID] && want == "" && (o.role != itsm.OrgDesk || o.org == deskID) {
				t.Errorf("%s: readable, but not listed", name)
			}
			if wantFound := o.read && published(m.s) && m.v.sees(o); found[m.art.ID] != wantFound {
				t.Errorf("%s: found %v by a search, want %v", name, found[m.art.ID], wantFound)
			}
		}
	}
}

// The reports: report access for usefulness and past review, and an
// agent besides for the gap list; each report holds only what the actor
// reads (past review: what it edits).
func TestReportRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	var arts []*knowledge.Article
	for _, v := range variants {
		a := v.make(w, knowledge.StatePublished)
		arts = append(arts, a)
		_, err := w.svc.RecordUse(w.ctx, w.deskAgent, a.ID, w.incident())
		w.ok(err)
		_, err = w.svc.Mark(w.ctx, w.deskUser, a.ID, false)
		w.ok(err)
	}
	w.clock.Advance(knowledge.DefaultReviewPeriod + time.Hour)
	for _, o := range whos {
		a := o.actor(w)
		var reads, edits []itsm.ID
		for i, v := range variants {
			if v.reads(o, knowledge.StatePublished) {
				reads = append(reads, arts[i].ID)
			}
			if o.org == v.owner || o.org == deskID {
				edits = append(edits, arts[i].ID)
			}
		}
		slices.SortFunc(reads, func(x, y itsm.ID) int { return strings.Compare(x.String(), y.String()) })
		slices.SortFunc(edits, func(x, y itsm.ID) int { return strings.Compare(x.String(), y.String()) })
		mayReport := o.read && o.report
		ids := func(us []knowledge.Usage) []itsm.ID {
			var out []itsm.ID
			for _, u := range us {
				out = append(out, u.Article)
			}
			slices.SortFunc(out, func(x, y itsm.ID) int { return strings.Compare(x.String(), y.String()) })
			return out
		}
		used, err := w.svc.MostUsed(w.ctx, a, 0)
		least, errL := w.svc.LeastHelpful(w.ctx, a, 0)
		past, errP := w.svc.PastReview(w.ctx, a, 0)
		gaps, errG := w.svc.Gaps(w.ctx, a, 0)
		if w.svc.MayReport(a) != mayReport {
			t.Errorf("the %s: MayReport %v", o.name, !mayReport)
		}
		if !mayReport {
			for _, e := range []error{err, errL, errP, errG} {
				if !itsm.IsCode(e, itsm.CodeForbidden) {
					t.Errorf("the %s reports: %v, want forbidden", o.name, e)
				}
			}
			continue
		}
		w.ok(err)
		w.ok(errL)
		w.ok(errP)
		if !slices.Equal(ids(used), reads) || !slices.Equal(ids(least), reads) {
			t.Errorf("the %s: most used %v, least helpful %v, want %v", o.name, ids(used), ids(least), reads)
		}
		var pastIDs []itsm.ID
		for _, p := range past {
			pastIDs = append(pastIDs, p.ID)
		}
		slices.SortFunc(pastIDs, func(x, y itsm.ID) int { return strings.Compare(x.String(), y.String()) })
		if !slices.Equal(pastIDs, edits) {
			t.Errorf("the %s: past review %v, want %v", o.name, pastIDs, edits)
		}
		if o.agent {
			w.ok(errG)
			_ = gaps
		} else if !itsm.IsCode(errG, itsm.CodeForbidden) {
			t.Errorf("the %s reads the gap list: %v", o.name, errG)
		}
	}
	for _, limit := range []int{-1, knowledge.MaxLimit + 1} {
		w.refuse(itsm.CodeInvalid, func() error { _, err := w.svc.MostUsed(w.ctx, w.deskAgent, limit); return err })
	}
}

// Translate refuses a second article in a language the family has, with
// CodeConflict and nothing written, from the original or from another
// translation; each translation reads in its own language, and all are
// kept together.
func TestTranslationsKeepTheirLanguage(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			sv := w.published("Byt lösenord", "Gå till portalen.", knowledge.AudiencePublic)
			nb, err := w.svc.Translate(w.ctx, w.deskAgent, sv.ID, knowledge.Bokmal, content("Bytt passord", "Gå til portalen.", knowledge.AudiencePublic))
			w.ok(err)
			en, err := w.svc.Translate(w.ctx, w.telAgent, sv.ID, knowledge.English, content("Change password", "Go to the portal.", knowledge.AudiencePublic))
			w.ok(err)
			for _, c := range []struct {
				of   itsm.ID
				lang knowledge.Language
			}{{sv.ID, knowledge.Bokmal}, {nb.ID, knowledge.Swedish}, {en.ID, knowledge.Bokmal}, {sv.ID, knowledge.English}} {
				w.refuse(itsm.CodeConflict, func() error {
					_, err := w.svc.Translate(w.ctx, w.deskAgent, c.of, c.lang, content("Igen", "Igen.", knowledge.AudiencePublic))
					return err
				})
			}
			for _, x := range []*knowledge.Article{nb, en} {
				if x.Family != sv.ID || x.State != knowledge.StateDraft || x.Kind != sv.Kind {
					t.Errorf("translation %s: family %s, %s, %s", x.Number, x.Family, x.State, x.Kind)
				}
				_, err := w.svc.Submit(w.ctx, w.deskAgent, x.ID)
				w.ok(err)
				_, err = w.svc.Publish(w.ctx, w.deskAgent, x.ID, knowledge.Publishing{})
				w.ok(err)
			}
			want := map[itsm.ID]struct {
				lang  knowledge.Language
				title string
			}{sv.ID: {knowledge.Swedish, "Byt lösenord"}, nb.ID: {knowledge.Bokmal, "Bytt passord"}, en.ID: {knowledge.English, "Change password"}}
			for id, x := range want {
				got, err := w.svc.Get(w.ctx, w.cityUser, id)
				w.ok(err)
				if got.Language != x.lang || got.Published.Title != x.title {
					t.Errorf("%s reads as %s %q, want %s %q", got.Number, got.Language, got.Published.Title, x.lang, x.title)
				}
				all, err := w.svc.Translations(w.ctx, w.cityUser, id)
				w.ok(err)
				var langs []knowledge.Language
				for _, a := range all {
					langs = append(langs, a.Language)
					if a.Published.Title != want[a.ID].title {
						t.Errorf("translation %s of %s reads %q", a.Number, id, a.Published.Title)
					}
				}
				if !slices.Equal(langs, []knowledge.Language{knowledge.Swedish, knowledge.Bokmal, knowledge.English}) {
					t.Errorf("translations of %s: %v", id, langs)
				}
			}
			w.ok(w.svc.Sync(w.ctx))
			r, err := w.svc.Search(w.ctx, w.cityUser, knowledge.Query{Text: "passord", Language: knowledge.Bokmal})
			w.ok(err)
			if len(r.Hits) == 0 || r.Hits[0].ID != nb.ID || r.Hits[0].Language != knowledge.Bokmal || r.Hits[0].Family != sv.ID {
				t.Errorf("a search in Norwegian finds %+v first", r.Hits)
			}
		})
	}
}
