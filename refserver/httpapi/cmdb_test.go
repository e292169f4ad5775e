package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// cms is the server as it runs (httpapi.Build) with the rights of the
// CMDB: the desk reads, writes and reports; both suppliers read and
// write (each its own items); the city reads, through carl, who is no
// agent.
type cms struct {
	*shop
	carol *client.ClientWithResponses
}

func newCMS(t testing.TB, store itsm.Store) *cms {
	t.Helper()
	c := &cms{shop: newShop(t, store)}
	c.cmdbRights(c.desk, api.AccessRead, api.AccessWrite, api.AccessReport)
	c.cmdbRights(c.supA, api.AccessRead, api.AccessWrite)
	c.cmdbRights(c.supB, api.AccessRead, api.AccessWrite)
	c.cmdbRights(c.city, api.AccessRead)
	return c
}

// create registers an item as cl and checks the answer's headers.
func (c *cms) create(cl *client.ClientWithResponses, in api.ConfigItemInput) *cmdb.Item {
	c.t.Helper()
	r, err := cl.CreateConfigItemWithResponse(c.ctx, in)
	it := want(c.t, "register "+in.Name, r, err, http.StatusCreated).JSON201
	if r.Headers201.Location != "/v1/cmdb/items/"+it.ID.String() || r.Headers201.ETag != `"1"` || it.Number.Prefix != cmdb.NumberPrefix {
		c.t.Errorf("register %s: Location %q, ETag %q, number %s", in.Name, r.Headers201.Location, r.Headers201.ETag, it.Number)
	}
	return it
}

// mail is the mail service of the tests' CMDB: two servers of a
// cluster that must keep one of them, on which Exchange runs, which the
// e-mail service depends on, used by two administrations.
type mail struct {
	site, server1, server2, cluster, exchange, service *cmdb.Item
}

func (c *cms) mail() mail {
	c.t.Helper()
	var m mail
	m.site = c.create(c.agent, api.ConfigItemInput{Class: "site", Name: "Stadshuset", Attributes: api.ItemAttributes{"site_code": "SH"}})
	m.cluster = c.create(c.agent, api.ConfigItemInput{Class: "cluster", Name: "Mail cluster",
		Attributes: api.ItemAttributes{"host_name": "mail-cl"}, Redundancy: api.Redundancy{Min: 1}})
	for i, s := range []**cmdb.Item{&m.server1, &m.server2} {
		name := []string{"mail01", "mail02"}[i]
		*s = c.create(c.agent, api.ConfigItemInput{Class: "server", Name: name,
			Attributes: api.ItemAttributes{"host_name": name, "memory_gb": "3,5", "virtual": "ja"},
			Relations:  []api.ItemRelation{{Type: "member_of", To: m.cluster.ID}, {Type: "located_at", To: m.site.ID}}})
	}
	m.exchange = c.create(c.agent, api.ConfigItemInput{Class: "application", Name: "Exchange", Attributes: api.ItemAttributes{"code": "EXCH"},
		Relations: []api.ItemRelation{{Type: "runs_on", To: m.cluster.ID}}})
	m.service = c.create(c.agent, api.ConfigItemInput{Class: "business_service", Name: "E-post",
		Attributes: api.ItemAttributes{"code": "EPOST", "criticality": "High"},
		Consumers:  []api.Consumer{{Unit: "Utbildningsförvaltningen", Users: 2400}, {Unit: "Socialförvaltningen", Users: 900}},
		Relations:  []api.ItemRelation{{Type: "depends_on", To: m.exchange.ID}}})
	return m
}

// TestConfigItemsOverHTTP takes configuration items through their life
// over HTTP with the generated client on every backend: the model read,
// items registered with canonical values and relations, read by ID and
// by number, listed by every filter a page at a time, edited under
// If-Match (a stale tag 412), related and unrelated, moved to
// maintenance and retired, read as they were before the edit, their
// history and relations in both directions; every operation answers,
// each answer checked against the contract.
func TestConfigItemsOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_cmdb") {
		t.Run(name, func(t *testing.T) { configItems(t, newCMS(t, open(t))) })
	}
}

func configItems(t *testing.T, c *cms) {
	ctx := c.ctx
	model, err := c.carl.GetCmdbModelWithResponse(ctx)
	if m := want(t, "the model", model, err, http.StatusOK).JSON200; !slices.ContainsFunc(m.Classes, func(cl cmdb.Class) bool { return cl.Name == "cluster" && cl.Group }) ||
		len(m.RelationTypes) < 5 {
		t.Errorf("the model: %+v", m)
	}
	m := c.mail()
	if m.server1.Attributes["memory_gb"] != "3.5" || m.server1.Attributes["virtual"] != "true" || len(m.server1.Relations) != 2 {
		t.Errorf("mail01 is stored as %+v", m.server1)
	}

	// By ID and by number, with the ETag the registration gave.
	for _, ref := range []string{m.server1.ID.String(), m.server1.Number.String()} {
		g, err := c.carl.GetConfigItemWithResponse(ctx, ref, nil)
		if got := want(t, "get "+ref, g, err, http.StatusOK); got.JSON200.ID != m.server1.ID || got.Headers200.ETag != `"1"` {
			t.Errorf("get %s: %s %q", ref, got.JSON200.ID, got.Headers200.ETag)
		}
	}
	for ref, code := range map[string]int{"CI9999999": http.StatusNotFound, itsm.NewID().String(): http.StatusNotFound,
		"INC0000001": http.StatusBadRequest, "mail01": http.StatusBadRequest} {
		g, err := c.agent.GetConfigItemWithResponse(ctx, ref, nil)
		want(t, "get "+ref, g, err, code)
	}

	// Edited under the tag read; the same tag again is stale and changes
	// nothing.
	before := time.Now()
	time.Sleep(5 * time.Millisecond)
	edit := api.ConfigItemEdit{Name: "mail01.exempelstad.se", Attributes: api.ItemAttributes{"host_name": "mail01", "memory_gb": "16", "virtual": "ja"}}
	ed, err := c.agent.EditConfigItemWithResponse(ctx, m.server1.ID, &api.EditConfigItemParams{IfMatch: `"1"`}, edit)
	if e := want(t, "edit", ed, err, http.StatusOK); e.Headers200.ETag != `"2"` || e.JSON200.Name != "mail01.exempelstad.se" || e.JSON200.Attributes["memory_gb"] != "16" {
		t.Errorf("edited: %q %+v", e.Headers200.ETag, e.JSON200)
	}
	stale, err := c.agent.EditConfigItemWithResponse(ctx, m.server1.ID, &api.EditConfigItemParams{IfMatch: `"1"`}, api.ConfigItemEdit{Name: "x"})
	if want(t, "edit with a stale tag", stale, err, http.StatusPreconditionFailed); stale.ApplicationProblemJSON412.Code != api.ErrorCodeConflict {
		t.Errorf("a stale tag: %s", body(stale))
	}
	// As it was before the edit, without an ETag; before it was
	// registered it is not found.
	at, err := c.carl.GetConfigItemWithResponse(ctx, m.server1.Number.String(), &api.GetConfigItemParams{At: before})
	if old := want(t, "get at", at, err, http.StatusOK); old.JSON200.Name != "mail01" || old.JSON200.Version != 0 || old.HTTPResponse.Header.Get("ETag") != "" {
		t.Errorf("mail01 as it was: %+v, ETag %q", old.JSON200, old.HTTPResponse.Header.Get("ETag"))
	}
	early, err := c.carl.GetConfigItemWithResponse(ctx, m.server1.ID.String(), &api.GetConfigItemParams{At: m.server1.Created.Add(-time.Hour)})
	want(t, "get before its registration", early, err, http.StatusNotFound)

	// Relations: one more, the same again refused, one taken away, one it
	// does not have not found.
	fw := c.create(c.agent, api.ConfigItemInput{Class: "network_device", Name: "fw01", Attributes: api.ItemAttributes{"serial_number": "FW-1", "device_type": "firewall"}})
	rel, err := c.agent.RelateConfigItemWithResponse(ctx, m.server2.ID, &api.RelateConfigItemParams{IfMatch: `"1"`}, api.ItemRelation{Type: "depends_on", To: fw.ID})
	if r := want(t, "relate", rel, err, http.StatusOK); len(r.JSON200.Relations) != 3 || r.Headers200.ETag != `"2"` {
		t.Errorf("related: %+v", r.JSON200.Relations)
	}
	again, err := c.agent.RelateConfigItemWithResponse(ctx, m.server2.ID, nil, api.ItemRelation{Type: "depends_on", To: fw.ID})
	want(t, "relate again", again, err, http.StatusConflict)
	bad, err := c.agent.RelateConfigItemWithResponse(ctx, m.server2.ID, nil, api.ItemRelation{Type: "contains", To: fw.ID})
	if want(t, "a relation the class may not have", bad, err, http.StatusBadRequest); !strings.Contains(bad.ApplicationProblemJSON400.Detail, "class server may not have relations contains") {
		t.Errorf("a relation the class may not have: %s", body(bad))
	}
	un, err := c.agent.UnrelateConfigItemWithResponse(ctx, m.server2.ID, nil, api.ItemRelation{Type: "depends_on", To: fw.ID})
	want(t, "unrelate", un, err, http.StatusOK)
	un2, err := c.agent.UnrelateConfigItemWithResponse(ctx, m.server2.ID, nil, api.ItemRelation{Type: "depends_on", To: fw.ID})
	want(t, "unrelate again", un2, err, http.StatusNotFound)

	// Related both ways: the cluster has two members and runs Exchange.
	links, err := c.carl.ListRelatedConfigItemsWithResponse(ctx, m.cluster.ID)
	ls := want(t, "related", links, err, http.StatusOK).JSON200.Items
	var read []string
	for _, l := range ls {
		read = append(read, l.Label+" "+l.Item.Name)
		if l.Outgoing {
			t.Errorf("the cluster has no relation of its own, yet lists %+v", l)
		}
	}
	if !slices.Equal(read, []string{"has member mail01.exempelstad.se", "has member mail02", "runs Exchange"}) {
		t.Errorf("the cluster's relations read %q", read)
	}

	// Lists, by each filter, a page at a time.
	list := func(who *client.ClientWithResponses, p api.ListConfigItemsParams) []string {
		t.Helper()
		var names []string
		for {
			r, err := who.ListConfigItemsWithResponse(ctx, &p, dropZeros)
			page := want(t, "list", r, err, http.StatusOK).JSON200
			for _, it := range page.Items {
				names = append(names, it.Name)
			}
			if page.Next == "" {
				return names
			}
			p.Cursor = page.Next
		}
	}
	if got := list(c.agent, api.ListConfigItemsParams{Limit: 2}); len(got) != 7 {
		t.Errorf("the desk's items, two a page: %q", got)
	}
	if got := list(c.carl, api.ListConfigItemsParams{Desk: c.desk, Class: "server"}); !slices.Equal(got, []string{"mail01.exempelstad.se", "mail02"}) &&
		!slices.Equal(got, []string{"mail02", "mail01.exempelstad.se"}) {
		t.Errorf("the servers: %q", got)
	}
	if got := list(c.agent, api.ListConfigItemsParams{Name: "MAIL"}); !slices.Equal(got, []string{"Mail cluster", "mail01.exempelstad.se", "mail02"}) {
		t.Errorf("named mail: %q", got)
	}
	if got := list(c.agent, api.ListConfigItemsParams{Class: "server", Key: []string{"host_name= mail02 "}}); !slices.Equal(got, []string{"mail02"}) {
		t.Errorf("by host name: %q", got)
	}
	noKey, err := c.agent.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Class: "server", Key: []string{"model=x"}}, dropZeros)
	want(t, "by an attribute that is no key", noKey, err, http.StatusBadRequest)
	noDesk, err := c.carl.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{}, dropZeros)
	want(t, "a customer names no desk", noDesk, err, http.StatusBadRequest)

	// Lifecycle: maintenance, then retired, which is final.
	st, err := c.agent.SetConfigItemStateWithResponse(ctx, fw.ID, nil, api.ConfigItemStateChange{State: cmdb.StateMaintenance, Reason: "Firmware."})
	if want(t, "maintenance", st, err, http.StatusOK).JSON200.State != cmdb.StateMaintenance {
		t.Errorf("state: %s", st.JSON200.State)
	}
	if got := list(c.agent, api.ListConfigItemsParams{State: cmdb.StateMaintenance}); !slices.Equal(got, []string{"fw01"}) {
		t.Errorf("in maintenance: %q", got)
	}
	ret, err := c.agent.SetConfigItemStateWithResponse(ctx, fw.ID, nil, api.ConfigItemStateChange{State: cmdb.StateRetired})
	want(t, "retire", ret, err, http.StatusOK)
	back, err := c.agent.SetConfigItemStateWithResponse(ctx, fw.ID, nil, api.ConfigItemStateChange{State: cmdb.StateProduction})
	want(t, "out of retired", back, err, http.StatusConflict)
	retiredEdit, err := c.agent.EditConfigItemWithResponse(ctx, fw.ID, nil, api.ConfigItemEdit{Name: "fw01"})
	want(t, "edit a retired item", retiredEdit, err, http.StatusConflict)

	// The history: registered, then edited.
	h, err := c.carl.ListConfigItemHistoryWithResponse(ctx, m.server1.ID)
	var types []string
	for _, r := range want(t, "history", h, err, http.StatusOK).JSON200.Items {
		types = append(types, r.Type)
		if r.By.Person != "dana" {
			t.Errorf("%s by %+v", r.Type, r.By)
		}
	}
	if !slices.Equal(types, []string{"cmdb.item.created", "cmdb.item.edited"}) {
		t.Errorf("mail01's history: %q", types)
	}
}

// TestConfigItemRights checks who writes what over HTTP (CM-3, SD-13): a
// supplier registers items it is responsible for and edits them, not the
// desk's nor another supplier's, and does not hand one to another
// supplier; the customer reads and writes nothing; a token without
// rights in the CMDB is refused; and a refused command writes nothing.
func TestConfigItemRights(t *testing.T) {
	c := newCMS(t, memstoreFor(t))
	ctx := c.ctx
	deskItem := c.create(c.agent, api.ConfigItemInput{Class: "site", Name: "Stadshuset", Attributes: api.ItemAttributes{"site_code": "SH"}})
	// Supplier A registers its switch in the desk's CMDB, responsible for
	// it without saying so.
	sw := c.create(c.alice, api.ConfigItemInput{Desk: c.desk, Class: "network_device", Name: "sw-sh-01",
		Attributes: api.ItemAttributes{"serial_number": "SW-1"}, Relations: []api.ItemRelation{{Type: "located_at", To: deskItem.ID}}})
	if sw.Supplier != c.supA || sw.Desk != c.desk {
		t.Errorf("supplier A's switch: supplier %s desk %s", sw.Supplier, sw.Desk)
	}
	for _, x := range []struct {
		what string
		code int
		do   func() (any, error)
	}{
		{"supplier A registers without naming the desk", http.StatusBadRequest, func() (any, error) {
			return c.alice.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "site", Name: "Depå", Attributes: api.ItemAttributes{"site_code": "DP"}})
		}},
		{"supplier A registers for supplier B", http.StatusForbidden, func() (any, error) {
			return c.alice.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Desk: c.desk, Class: "site", Name: "Depå", Supplier: c.supB,
				Attributes: api.ItemAttributes{"site_code": "DP"}})
		}},
		{"supplier A edits the desk's item", http.StatusForbidden, func() (any, error) {
			return c.alice.EditConfigItemWithResponse(ctx, deskItem.ID, nil, api.ConfigItemEdit{Name: "Rådhuset", Attributes: api.ItemAttributes{"site_code": "SH"}})
		}},
		{"supplier B edits supplier A's switch", http.StatusForbidden, func() (any, error) {
			return c.bob.EditConfigItemWithResponse(ctx, sw.ID, nil, api.ConfigItemEdit{Name: "x", Supplier: c.supB, Attributes: api.ItemAttributes{"serial_number": "SW-1"}})
		}},
		{"supplier A hands its switch to supplier B", http.StatusForbidden, func() (any, error) {
			return c.alice.EditConfigItemWithResponse(ctx, sw.ID, nil, api.ConfigItemEdit{Name: "sw-sh-01", Supplier: c.supB, Attributes: api.ItemAttributes{"serial_number": "SW-1"}})
		}},
		{"supplier B retires supplier A's switch", http.StatusForbidden, func() (any, error) {
			return c.bob.SetConfigItemStateWithResponse(ctx, sw.ID, nil, api.ConfigItemStateChange{State: cmdb.StateRetired})
		}},
		{"the customer registers", http.StatusForbidden, func() (any, error) {
			return c.carl.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Desk: c.desk, Class: "site", Name: "Depå", Attributes: api.ItemAttributes{"site_code": "DP"}})
		}},
		{"the customer relates", http.StatusForbidden, func() (any, error) {
			return c.carl.RelateConfigItemWithResponse(ctx, sw.ID, nil, api.ItemRelation{Type: "located_at", To: deskItem.ID})
		}},
		{"a supplier without rights in the CMDB", http.StatusForbidden, func() (any, error) {
			return c.noRights().GetConfigItemWithResponse(ctx, sw.ID.String(), nil)
		}},
		{"an unknown class", http.StatusBadRequest, func() (any, error) {
			return c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "toaster", Name: "T1"})
		}},
		{"a key held already", http.StatusConflict, func() (any, error) {
			return c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "site", Name: "Rådhuset", Attributes: api.ItemAttributes{"site_code": " SH "}})
		}},
		{"a required attribute missing", http.StatusBadRequest, func() (any, error) {
			return c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "server", Name: "app01"})
		}},
		{"a cluster without redundancy", http.StatusBadRequest, func() (any, error) {
			return c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "cluster", Name: "cl"})
		}},
		{"a value of the wrong type", http.StatusBadRequest, func() (any, error) {
			return c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "server", Name: "app01",
				Attributes: api.ItemAttributes{"host_name": "app01", "cpus": "many"}})
		}},
	} {
		r, err := x.do()
		want(t, x.what, r, err, x.code)
	}
	// Supplier A edits its own switch; the customer reads it.
	ed, err := c.alice.EditConfigItemWithResponse(ctx, sw.ID, nil, api.ConfigItemEdit{Name: "sw-sh-01", Supplier: c.supA,
		Attributes: api.ItemAttributes{"serial_number": "SW-1", "model": "Catalyst 9300"}})
	want(t, "supplier A edits its switch", ed, err, http.StatusOK)
	g, err := c.carl.GetConfigItemWithResponse(ctx, sw.Number.String(), nil)
	if want(t, "the customer reads the switch", g, err, http.StatusOK).JSON200.Attributes["model"] != "Catalyst 9300" {
		t.Errorf("the customer reads %+v", g.JSON200)
	}
	// The refusals wrote nothing: two items, the switch at version 2.
	l, err := c.agent.ListConfigItemsWithResponse(ctx, nil)
	if items := want(t, "list", l, err, http.StatusOK).JSON200.Items; len(items) != 2 {
		t.Errorf("%d items after the refusals", len(items))
	}
	if g.Headers200.ETag != `"2"` {
		t.Errorf("the switch is at %s after one edit", g.Headers200.ETag)
	}
	// The messages name what is wrong.
	dup, err := c.agent.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "site", Name: "Rådhuset", Attributes: api.ItemAttributes{"site_code": "SH"}})
	if want(t, "a key held", dup, err, http.StatusConflict); !strings.Contains(dup.ApplicationProblemJSON409.Detail, deskItem.Number.String()) {
		t.Errorf("the conflict does not name the item holding the key: %s", body(dup))
	}
	typ, err := c.agent.CreateConfigItemWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"class":"server","name":"x","attributes":{"cpus":4}}`))
	if want(t, "a number for a string", typ, err, http.StatusBadRequest); !strings.Contains(typ.ApplicationProblemJSON400.Detail, "attributes") {
		t.Errorf("the refusal does not name the field: %s", body(typ))
	}
}

// TestImpactOverHTTP analyses failures of the mail service's servers
// over HTTP: one server of the cluster down leaves Exchange and the
// e-mail service unhurt, the cluster holding at risk; both down take the
// service down, with the path from a server to it and the users of both administrations;
// and an incident about the servers proposes a high impact from them,
// while one about an item unknown to the CMDB is refused.
func TestImpactOverHTTP(t *testing.T) {
	c := newCMS(t, memstoreFor(t))
	ctx := c.ctx
	m := c.mail()
	analyse := func(who *client.ClientWithResponses, q api.ImpactQuestion) *cmdb.Impact {
		t.Helper()
		r, err := who.AnalyseImpactWithResponse(ctx, q)
		return want(t, "impact", r, err, http.StatusOK).JSON200
	}
	one := analyse(c.agent, api.ImpactQuestion{Down: []api.FailedItem{{Item: m.server1.ID}}})
	if len(one.Services) != 0 || one.Users != 0 || len(one.Items) != 2 || one.Items[1].Item != m.cluster.ID || !one.Items[1].AtRisk {
		t.Errorf("one server down: %+v", one)
	}
	both := analyse(c.carl, api.ImpactQuestion{Desk: c.desk, Down: []api.FailedItem{{Item: m.server1.ID}, {Item: m.server2.ID, Health: "down"}}})
	if len(both.Services) != 1 || both.Services[0].Health != "down" || len(both.Consumers) != 2 || both.Consumers[0].Unit != "Utbildningsförvaltningen" {
		t.Fatalf("both servers down: %+v", both)
	}
	if p := both.Services[0].Path; len(p) != 4 || p[1] != m.cluster.ID || p[2] != m.exchange.ID || p[3] != m.service.ID {
		t.Errorf("the path to the service: %v", p)
	}
	for what, q := range map[string]api.ImpactQuestion{
		"an item of no CMDB":          {Down: []api.FailedItem{{Item: itsm.NewID()}}},
		"a customer naming no desk":   {Down: []api.FailedItem{{Item: m.server1.ID}}},
		"a health that is no failure": {Desk: c.desk, Down: []api.FailedItem{{Item: m.server1.ID, Health: "up"}}},
		"no item":                     {Desk: c.desk, Down: []api.FailedItem{}},
		"a customer as the desk":      {Desk: c.city, Down: []api.FailedItem{{Item: m.server1.ID}}},
	} {
		who := c.carl
		if what == "an item of no CMDB" {
			who = c.agent
		}
		r, err := who.AnalyseImpactWithResponse(ctx, q)
		if err != nil || status(r) < 400 || status(r) >= 500 {
			t.Errorf("%s: %v %s, want a refusal", what, err, body(r))
		}
	}

	// A supplier without rights in the CMDB is refused as such, named desk
	// or not.
	for _, desk := range []itsm.ID{{}, c.desk} {
		r, err := c.noRights().AnalyseImpactWithResponse(ctx, api.ImpactQuestion{Desk: desk, Down: []api.FailedItem{{Item: m.server1.ID}}})
		want(t, "a supplier without rights", r, err, http.StatusForbidden)
	}

	// An incident about both servers: the desk sees the service down for
	// 3300 users and is proposed a high impact.
	reg, err := c.agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Customer: c.city, Caller: api.Caller{Person: "carl"},
		Channel: incident.ChannelPhone, Summary: "Nobody gets e-mail", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyHigh,
		CIs: []itsm.ID{m.server1.ID, m.server2.ID}})
	inc := want(t, "register", reg, err, http.StatusCreated).JSON201
	ir, err := c.agent.GetIncidentImpactWithResponse(ctx, inc.ID)
	im := want(t, "the incident's impact", ir, err, http.StatusOK).JSON200
	if im.ProposedImpact != itsm.ImpactHigh || len(im.Analysed) != 2 || len(im.LeftOut) != 0 || im.Analysis.Users != 3300 ||
		len(im.Analysis.Services) != 1 || im.Analysis.Services[0].Name != "E-post" {
		t.Errorf("the incident's impact: %+v", im)
	}
	// One server retired since: left out of the analysis and of the
	// cluster, which keeps mail01 alone, down: the service stays down.
	ret, err := c.agent.SetConfigItemStateWithResponse(ctx, m.server2.ID, nil, api.ConfigItemStateChange{State: cmdb.StateRetired})
	want(t, "retire mail02", ret, err, http.StatusOK)
	ir2, err := c.agent.GetIncidentImpactWithResponse(ctx, inc.ID)
	im2 := want(t, "the incident's impact after the retirement", ir2, err, http.StatusOK).JSON200
	if im2.ProposedImpact != itsm.ImpactHigh || !slices.Equal(im2.Analysed, []itsm.ID{m.server1.ID}) || !slices.Equal(im2.LeftOut, []itsm.ID{m.server2.ID}) ||
		im2.Analysis.Services[0].Health != "down" {
		t.Errorf("after the retirement: %+v", im2)
	}
	// An incident without items proposes nothing; one naming an item the
	// CMDB does not hold is refused.
	plain, err := c.agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Customer: c.city, Caller: api.Caller{Person: "carl"},
		Channel: incident.ChannelPhone, Summary: "A question", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow})
	pi, err := c.agent.GetIncidentImpactWithResponse(ctx, want(t, "register", plain, err, http.StatusCreated).JSON201.ID)
	if got := want(t, "no items", pi, err, http.StatusOK).JSON200; got.ProposedImpact != 0 || len(got.Analysis.Services) != 0 {
		t.Errorf("without items: %+v", got)
	}
	unknown, err := c.agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Customer: c.city, Caller: api.Caller{Person: "carl"},
		Channel: incident.ChannelPhone, Summary: "Printer", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow, CIs: []itsm.ID{itsm.NewID()}})
	if want(t, "an unknown item", unknown, err, http.StatusBadRequest); !strings.Contains(unknown.ApplicationProblemJSON400.Detail, "configuration item") {
		t.Errorf("an unknown item: %s", body(unknown))
	}
}

// TestConfigItemWebhooks subscribes the desk to the CMDB's events and
// supplier B to everything: the desk receives an item's registration and
// edit, and so does supplier B, which reads the desk's CMDB; an
// organisation without rights in the CMDB receives none of them.
func TestConfigItemWebhooks(t *testing.T) {
	c := newCMS(t, memstoreFor(t))
	ctx := c.ctx
	subscribe := func(cl *client.ClientWithResponses, types []string) *receiver {
		rc := newReceiver(t)
		r, err := cl.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL, Types: types})
		rc.setSecret(want(t, "subscribe", r, err, http.StatusCreated).JSON201.Secret)
		return rc
	}
	desk, bob, city := subscribe(c.agent, []string{"cmdb."}), subscribe(c.bob, nil), subscribe(c.cadm, nil)
	site := c.create(c.alice, api.ConfigItemInput{Desk: c.desk, Class: "site", Name: "Depå", Attributes: api.ItemAttributes{"site_code": "DP"}})
	ed, err := c.alice.EditConfigItemWithResponse(ctx, site.ID, nil, api.ConfigItemEdit{Name: "Depån", Supplier: c.supA, Attributes: api.ItemAttributes{"site_code": "DP"}})
	want(t, "edit", ed, err, http.StatusOK)
	wait := func(rc *receiver, typ string) webhook.Payload {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, p := range rc.payloads() {
				if p.Type == typ && p.Subject != nil && *p.Subject == site.ID {
					return p
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s not delivered; got %v", typ, rc.types())
		return webhook.Payload{}
	}
	for _, rc := range []*receiver{desk, bob} {
		if p := wait(rc, "cmdb.item.created"); p.Kind != cmdb.KindItem || !strings.Contains(string(p.Data), `"site_code":"DP"`) {
			t.Errorf("the registration: %+v %s", p, p.Data)
		}
		wait(rc, "cmdb.item.edited")
	}
	// The city reads the CMDB, so its subscription gets the items too; an
	// organisation without rights in the CMDB sees none of them in the
	// feed, whose rule the webhooks follow.
	wait(city, "cmdb.item.edited")
	cmdbEvents := func(cl *client.ClientWithResponses) int {
		t.Helper()
		feed, err := cl.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000}, dropZeros)
		n := 0
		for _, p := range want(t, "the feed", feed, err, http.StatusOK).JSON200.Items {
			if strings.HasPrefix(p.Type, "cmdb.") {
				n++
			}
		}
		return n
	}
	if n := cmdbEvents(c.carl); n != 2 {
		t.Errorf("the city's feed has %d events of the CMDB, want 2", n)
	}
	if n := cmdbEvents(c.noRights()); n != 0 {
		t.Errorf("a supplier without rights in the CMDB sees %d of its events", n)
	}
}

// noRights returns an agent of a supplier that has no rights in the
// CMDB, made the first time.
func (c *cms) noRights() *client.ClientWithResponses {
	c.t.Helper()
	if c.carol == nil {
		sup := c.org("Printer Supplier", itsm.OrgSupplier, api.AccessRead)
		c.carol = c.token(itsm.Actor{Organisation: sup, Person: "carol", Roles: []itsm.Role{itsm.RoleAgent}})
	}
	return c.carol
}

// TestBuildTakesTheModel builds the server with a model of its own
// (httpapi.Hooks.Model): the contract's model answer is that model, its
// class is registered, and the default model's classes are not.
func TestBuildTakesTheModel(t *testing.T) {
	ctx := context.Background()
	store := memstoreFor(t)
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	model := cmdb.Model{Classes: []cmdb.Class{{Name: "printer", Label: "Printer",
		Attributes: []cmdb.Attribute{{Name: "serial_number", Label: "Serial number", Type: cmdb.TypeText, Required: true}},
		Keys:       [][]string{{"serial_number"}}}}, RelationTypes: []cmdb.RelationType{}}
	st, err := httpapi.Build(ctx, store, nil, httpapi.Hooks{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	w := serveWorld(t, store, st.Handler, secret)
	desk := w.org("Desk", itsm.OrgDesk)
	w.cmdbRights(desk, api.AccessRead, api.AccessWrite)
	dana := w.token(itsm.Actor{Organisation: desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	m, err := dana.GetCmdbModelWithResponse(ctx)
	if got := want(t, "the model", m, err, http.StatusOK).JSON200; len(got.Classes) != 1 || got.Classes[0].Name != "printer" {
		t.Errorf("the model served: %+v", got)
	}
	p, err := dana.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "printer", Name: "PRN-RH-2-04",
		Attributes: api.ItemAttributes{"serial_number": "X1"}})
	want(t, "a printer", p, err, http.StatusCreated)
	s, err := dana.CreateConfigItemWithResponse(ctx, api.ConfigItemInput{Class: "server", Name: "app01",
		Attributes: api.ItemAttributes{"host_name": "app01"}})
	want(t, "a server, which the model lacks", s, err, http.StatusBadRequest)
}
