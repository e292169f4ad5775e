package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
)

// windows1252 encodes s, whose letters beyond ASCII are Swedish, as
// Windows-1252, as Swedish Excel saves a CSV file.
func windows1252(s string) []byte {
	return []byte(strings.NewReplacer("å", "\xe5", "ä", "\xe4", "ö", "\xf6", "Å", "\xc5", "Ä", "\xc4", "Ö", "\xd6").Replace(s))
}

// inventory is a supplier's list of servers as Swedish Excel writes it:
// semicolons, decimal commas, Windows-1252. mail01 is known and gets more
// memory; web01 and web02 are new; web03's memory is no number; mail02
// is not listed.
var inventory = windows1252("Värdnamn;Serienummer;Minne (GB);Namn;Anmärkning\r\n" +
	"mail01;;16;mail01;Utökat minne\r\n" +
	"web01;SN-1001;3,5;Webbserver ett;\r\n" +
	"web02;SN-1002;8;Webbserver två;Ny i år\r\n" +
	"web03;SN-1003;mycket;Webbserver tre;\r\n")

// importColumns maps the inventory's columns; the remark is ignored.
var importColumns = []string{"Värdnamn=host_name", "Serienummer=serial_number", "Minne (GB)=memory_gb", "Namn=name"}

// upload sends a file to startImport as cl.
func (c *cms) upload(cl *client.ClientWithResponses, p api.StartImportParams, contentType string, file []byte) *client.StartImportResponse {
	c.t.Helper()
	r, err := cl.StartImportWithBodyWithResponse(c.ctx, &p, contentType, bytes.NewReader(file), dropZeros)
	if err != nil {
		c.t.Fatalf("upload: %v", err)
	}
	return r
}

// TestImportOverHTTP uploads a Windows-1252 inventory with semicolons over
// HTTP on every backend, as the desk: the dry run reports every row (two
// created, one updated with the old and new values, one refused naming its
// row and column) and the server the file leaves out, a page at a time,
// and changes nothing; the customer reads the report; the apply creates
// and updates the items, the report then giving the new items' numbers;
// an applied import is not applied again, and the import is listed and
// read by number.
func TestImportOverHTTP(t *testing.T) {
	for name, open := range backendtest.Open("httpapi_imports") {
		t.Run(name, func(t *testing.T) { importOverHTTP(t, newCMS(t, open(t))) })
	}
}

func importOverHTTP(t *testing.T, c *cms) {
	ctx := c.ctx
	c.cmdbRights(c.city, api.AccessRead, api.AccessReport)
	m := c.mail()
	r := c.upload(c.agent, api.StartImportParams{Class: "server", Column: importColumns, Delimiter: api.StartImportParamsDelimiterSemicolon,
		FileName: "servrar.csv"}, "text/csv", inventory)
	imp := want(t, "dry run", r, nil, http.StatusCreated).JSON201
	if imp.State != cmdb.ImportStateDryRun || imp.Encoding != "windows-1252" || imp.Rows != 4 || imp.FileName != "servrar.csv" ||
		imp.Counts != (cmdb.Counts{Created: 2, Updated: 1, Refused: 1, Missing: 1}) || r.Headers201.Location != httpapi.ImportPath+"/"+imp.ID.String() {
		t.Fatalf("the dry run: %+v at %s", imp, r.Headers201.Location)
	}
	// Nothing changed yet.
	servers := func() []string {
		t.Helper()
		l, err := c.agent.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Class: "server"}, dropZeros)
		var names []string
		for _, it := range want(t, "list servers", l, err, http.StatusOK).JSON200.Items {
			names = append(names, it.Name)
		}
		slices.Sort(names)
		return names
	}
	if got := servers(); !slices.Equal(got, []string{"mail01", "mail02"}) {
		t.Errorf("after the dry run: %q", got)
	}

	// The report, two a page, as the customer reads it.
	report := func(cl *client.ClientWithResponses) []cmdb.Discrepancy {
		t.Helper()
		var out []cmdb.Discrepancy
		p := api.GetImportReportParams{Limit: 2}
		for {
			rp, err := cl.GetImportReportWithResponse(ctx, imp.ID, &p, dropZeros)
			page := want(t, "report", rp, err, http.StatusOK).JSON200
			out = append(out, page.Items...)
			if page.Next == "" {
				return out
			}
			p.Cursor = page.Next
		}
	}
	ds := report(c.carl)
	if len(ds) != 5 {
		t.Fatalf("the report: %+v", ds)
	}
	kinds := []cmdb.DiscrepancyKind{ds[0].Kind, ds[1].Kind, ds[2].Kind, ds[3].Kind, ds[4].Kind}
	if !slices.Equal(kinds, []cmdb.DiscrepancyKind{cmdb.DiscrepancyUpdated, cmdb.DiscrepancyCreated, cmdb.DiscrepancyCreated,
		cmdb.DiscrepancyRefused, cmdb.DiscrepancyMissing}) {
		t.Errorf("the report's kinds: %v", kinds)
	}
	if up := ds[0]; up.Row != 2 || up.Item != m.server1.ID || !slices.ContainsFunc(up.Changes, func(f cmdb.FieldChange) bool {
		return f.Field == "attributes.memory_gb" && f.Old == "3.5" && f.New == "16"
	}) {
		t.Errorf("the update: %+v", up)
	}
	if ref := ds[3]; ref.Row != 5 || ref.Reason != cmdb.RefusedInvalid || ref.Column != 3 || ref.Header != "Minne (GB)" || ref.Message == "" {
		t.Errorf("the refusal: %+v", ref)
	}
	if miss := ds[4]; miss.Item != m.server2.ID {
		t.Errorf("the missing: %+v", miss)
	}
	if ds[1].Changes == nil || !slices.ContainsFunc(ds[1].Changes, func(f cmdb.FieldChange) bool { return f.Field == "attributes.memory_gb" && f.New == "3.5" }) {
		t.Errorf("web01's values: %+v", ds[1])
	}

	// Applied: the items are there, and the report names the new ones.
	ap, err := c.agent.ApplyImportWithResponse(ctx, imp.ID, &api.ApplyImportParams{IfMatch: r.Headers201.ETag})
	if done := want(t, "apply", ap, err, http.StatusOK).JSON200; done.State != cmdb.ImportStateApplied || done.AppliedBy == nil {
		t.Errorf("applied: %+v", done)
	}
	if got := servers(); !slices.Equal(got, []string{"Webbserver ett", "Webbserver två", "mail01", "mail02"}) {
		t.Errorf("after the apply: %q", got)
	}
	after := report(c.agent)
	if after[1].Number.IsZero() || after[1].Item.IsZero() {
		t.Errorf("a created item's number is not in the report: %+v", after[1])
	}
	again, err := c.agent.ApplyImportWithResponse(ctx, imp.ID, nil)
	want(t, "apply again", again, err, http.StatusConflict)
	g, err := c.carl.GetImportWithResponse(ctx, imp.Number.String())
	if want(t, "get by number", g, err, http.StatusOK).JSON200.ID != imp.ID {
		t.Errorf("by number: %+v", g.JSON200)
	}
	l, err := c.carl.ListImportsWithResponse(ctx, &api.ListImportsParams{Desk: c.desk}, dropZeros)
	if items := want(t, "list", l, err, http.StatusOK).JSON200.Items; len(items) != 1 || items[0].State != cmdb.ImportStateApplied {
		t.Errorf("the imports: %+v", items)
	}
}

// TestImportRefusals checks the upload's refusals over HTTP, none of which
// leaves an import: a file that is no table names its row and column; a
// mapping without a key of the class; a column given twice; a form
// instead of the file (415); a body over the limit, said by its length
// or found as it streams (413); a supplier
// importing another's inventory; the customer, who imports nothing. A
// supplier imports its own inventory, and a dry run the CMDB has moved on
// from goes stale when applied (412), changing nothing; another is
// discarded.
func TestImportRefusals(t *testing.T) {
	c := newCMS(t, memstoreFor(t))
	ctx := c.ctx
	m := c.mail()
	spec := api.StartImportParams{Class: "server", Column: importColumns}
	for _, x := range []struct {
		what   string
		cl     *client.ClientWithResponses
		p      api.StartImportParams
		ct     string
		file   []byte
		code   int
		detail string
	}{
		{"a formula", c.agent, spec, "text/csv", []byte("Värdnamn;Serienummer;Minne (GB);Namn\nweb01;SN-1;=1+2;w\n"), http.StatusBadRequest, "row 2, column 3"},
		{"a ragged row", c.agent, spec, "text/csv", []byte("Värdnamn;Serienummer;Minne (GB);Namn\nweb01;SN-1\n"), http.StatusBadRequest, "row 2"},
		{"no key mapped", c.agent, api.StartImportParams{Class: "network_device", Column: []string{"Namn=name"}}, "text/csv", inventory,
			http.StatusBadRequest, "no key of class network_device"},
		{"a required attribute not mapped", c.agent, api.StartImportParams{Class: "server", Column: []string{"Serienummer=serial_number"}},
			"text/csv", inventory, http.StatusBadRequest, "requires attribute host_name"},
		{"a column twice", c.agent, api.StartImportParams{Class: "server", Column: []string{"Namn=name", "Namn=host_name"}}, "text/csv", inventory,
			http.StatusBadRequest, "twice"},
		{"a mapping that is no pair", c.agent, api.StartImportParams{Class: "server", Column: []string{"Namn"}}, "text/csv", inventory,
			http.StatusBadRequest, "column"},
		{"a form", c.agent, spec, "multipart/form-data; boundary=x", inventory, http.StatusUnsupportedMediaType, "--data-binary"},
		{"supplier A imports supplier B's inventory", c.alice, api.StartImportParams{Desk: c.desk, Supplier: c.supB, Class: "server",
			Column: importColumns}, "text/csv", inventory, http.StatusForbidden, ""},
		{"the customer", c.carl, api.StartImportParams{Desk: c.desk, Class: "server", Column: importColumns}, "text/csv", inventory,
			http.StatusForbidden, ""},
	} {
		r := c.upload(x.cl, x.p, x.ct, x.file)
		if status(r) != x.code {
			t.Errorf("%s: %s, want %d", x.what, body(r), x.code)
			continue
		}
		if !strings.Contains(string(r.Body), x.detail) {
			t.Errorf("%s: %s does not say %q", x.what, r.Body, x.detail)
		}
	}
	// Over the limit, said by its length before a byte is read.
	req, err := client.NewStartImportRequestWithBody(c.base, &spec, "text/csv", io.LimitReader(zeros{}, httpapi.MaxImportBytes+1))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = httpapi.MaxImportBytes + 1
	req.Header.Set("Authorization", "Bearer "+c.secrets["dana"])
	ctxTimeout, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctxTimeout))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over the limit: %d", resp.StatusCode)
	}
	// Over the limit without a length, sent in chunks: refused as the
	// limit is passed, leaving nothing.
	chunked, err := client.NewStartImportRequestWithBody(c.base, &spec, "text/csv", &longRows{})
	if err != nil {
		t.Fatal(err)
	}
	chunked.ContentLength = -1
	chunked.Header.Set("Authorization", "Bearer "+c.secrets["dana"])
	if resp, err := http.DefaultClient.Do(chunked.WithContext(ctxTimeout)); err != nil {
		t.Errorf("a chunked file over the limit: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a chunked file over the limit: %d", resp.StatusCode)
		}
	}
	if l, err := c.agent.ListImportsWithResponse(ctx, nil); err != nil || l.JSON200 == nil || len(l.JSON200.Items) != 0 {
		t.Errorf("the refusals left imports: %v %s", err, body(l))
	}

	// Supplier A imports its own switches.
	own := c.upload(c.alice, api.StartImportParams{Desk: c.desk, Class: "network_device", Column: []string{"Serial=serial_number", "Name=name"}},
		"application/octet-stream", []byte("Serial,Name\nSW-1,sw-sh-01\nSW-2,sw-sh-02\n"))
	sw := want(t, "supplier A's dry run", own, nil, http.StatusCreated).JSON201
	if sw.Supplier != c.supA || sw.Counts.Created != 2 {
		t.Errorf("supplier A's import: %+v", sw)
	}
	ap, err := c.alice.ApplyImportWithResponse(ctx, sw.ID, nil)
	want(t, "supplier A applies", ap, err, http.StatusOK)

	// A dry run the CMDB moved on from goes stale, changing nothing.
	r := c.upload(c.agent, spec, "text/csv", inventory)
	imp := want(t, "dry run", r, nil, http.StatusCreated).JSON201
	ed, err := c.agent.EditConfigItemWithResponse(ctx, m.server1.ID, nil, api.ConfigItemEdit{Name: "mail01", Attributes: api.ItemAttributes{"host_name": "mail01", "memory_gb": "32"}})
	want(t, "edit mail01", ed, err, http.StatusOK)
	stale, err := c.agent.ApplyImportWithResponse(ctx, imp.ID, nil)
	want(t, "apply a stale dry run", stale, err, http.StatusPreconditionFailed)
	g, err := c.agent.GetImportWithResponse(ctx, imp.ID.String())
	if want(t, "get", g, err, http.StatusOK).JSON200.State != cmdb.ImportStateStale {
		t.Errorf("after a stale apply: %s", g.JSON200.State)
	}
	if mail01, err := c.agent.GetConfigItemWithResponse(ctx, m.server1.ID.String(), nil); err != nil || mail01.JSON200.Attributes["memory_gb"] != "32" {
		t.Errorf("a stale apply changed mail01: %v %s", err, body(mail01))
	}
	r2 := c.upload(c.agent, spec, "text/csv", inventory)
	second := want(t, "dry run again", r2, nil, http.StatusCreated).JSON201
	dis, err := c.agent.DiscardImportWithResponse(ctx, second.ID, &api.DiscardImportParams{IfMatch: r2.Headers201.ETag}, api.ImportDiscarding{Reason: "Wrong file."})
	if want(t, "discard", dis, err, http.StatusOK).JSON200.State != cmdb.ImportStateDiscarded {
		t.Errorf("discarded: %+v", dis.JSON200)
	}
}

// longRows reads as an endless inventory whose rows are 30 kB each, so
// that it passes the limit of an upload in a few thousand rows.
type longRows struct {
	n       int
	pending string
}

func (r *longRows) Read(p []byte) (int, error) {
	if r.pending == "" {
		r.pending = "Värdnamn;Serienummer;Minne (GB);Namn\n"
		if r.n > 0 {
			r.pending = fmt.Sprintf("h%d;SN-%d;8;%s\n", r.n, r.n, strings.Repeat("x", 30000))
		}
		r.n++
	}
	k := copy(p, r.pending)
	r.pending = r.pending[k:]
	return k, nil
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestImportWebhooks checks that an import's events reach those who read
// its report: the desk's subscription receives the dry run and the apply
// of supplier A's import, and supplier B's none of them.
func TestImportWebhooks(t *testing.T) {
	c := newCMS(t, memstoreFor(t))
	ctx := c.ctx
	c.cmdbRights(c.supB, api.AccessRead, api.AccessWrite, api.AccessReport)
	rcDesk, rcB := newReceiver(t), newReceiver(t)
	for cl, rc := range map[*client.ClientWithResponses]*receiver{c.agent: rcDesk, c.bob: rcB} {
		r, err := cl.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL, Types: []string{"cmdb.import."}})
		rc.setSecret(want(t, "subscribe", r, err, http.StatusCreated).JSON201.Secret)
	}
	up := c.upload(c.alice, api.StartImportParams{Desk: c.desk, Class: "network_device", Column: []string{"Serial=serial_number", "Name=name"}},
		"text/csv", []byte("Serial,Name\nSW-1,sw-sh-01\n"))
	imp := want(t, "dry run", up, nil, http.StatusCreated).JSON201
	ap, err := c.alice.ApplyImportWithResponse(ctx, imp.ID, nil)
	want(t, "apply", ap, err, http.StatusOK)
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(rcDesk.types(), []string{"cmdb.import.dry_run", "cmdb.import.applied"}) {
		if time.Now().After(deadline) {
			t.Fatalf("the desk received %q", rcDesk.types())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p := rcDesk.payloads()[1]; p.Kind != cmdb.KindImport || p.Subject == nil || *p.Subject != imp.ID {
		t.Errorf("the apply's payload: %+v", p)
	}
	// Supplier B reads the CMDB but not supplier A's reports: the feed,
	// whose rule its webhooks follow, shows it neither event.
	feed, err := c.bob.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000}, dropZeros)
	for _, p := range want(t, "supplier B's feed", feed, err, http.StatusOK).JSON200.Items {
		if p.Kind == cmdb.KindImport {
			t.Errorf("supplier B sees %s", p.Type)
		}
	}
	if got := rcB.payloads(); len(got) != 0 {
		t.Errorf("supplier B received %v", rcB.types())
	}
}
