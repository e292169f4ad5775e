package incident_test

// The replay of the BPI Challenge 2013 incident log (Volvo IT Belgium) through
// the incident lifecycle: loading the log, mapping its statuses to commands,
// driving the Service, and the statistics computed from the raw log alone to
// cross-check the service's counters. docs/validation.md explains the
// mapping and the results; TestBPI2013 (bpi2013_test.go) runs it on the real
// log, TestBPI2013Mapping below on small made-up traces.

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

const (
	bpiFile = "bpi2013_incidents_ibm_VINST-new.csv.gz"
	// bpiEnv names a file or folder that replaces ../shared/data/bpi2013.
	bpiEnv = "SPOC_BPI2013"
)

// bpiPath finds the log: $SPOC_BPI2013 (the file or its folder), else
// ../shared/data/bpi2013 beside the repository root, where the team's
// machines keep a copy. The file is public but not part of the repository:
// docs/validation.md says where it is published (4TU.ResearchData) and under
// which terms. bpiPath skips the test when the default location is absent,
// and fails it when the variable names something missing, since then someone
// asked for the replay.
func bpiPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(bpiEnv); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, bpiFile)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", bpiEnv, os.Getenv(bpiEnv), err)
		}
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := wd
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skipf("BPI Challenge 2013 replay skipped: no go.mod in or above %s to find ../shared/data from", wd)
		}
		dir = up
	}
	p := filepath.Join(dir, "..", "shared", "data", "bpi2013", bpiFile)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("BPI Challenge 2013 replay skipped: %s is absent (set %s to the file or its folder to run it)", filepath.Clean(p), bpiEnv)
	}
	return p
}

// bpiRow is one row of the log: a status change of one service request.
type bpiRow struct {
	Line    int // 1-based data row in the file
	SR      string
	Time    time.Time
	Status  string
	Sub     string
	OrgLine string // Involved Org line 3
	Team    string // Involved ST
	Level   string // ST Level: L1, L2, L3 or L2/L3
	Impact  string // SR Latest Impact
	Product string
	Country string
}

// supplier reports whether the row's team is second or third line, which the
// replay models as a supplier organisation; first line is the desk.
func (r bpiRow) supplier() bool { return r.Level != "L1" }

// readBPI reads the log. Columns are found by their header names, so an
// export with the columns in another order still reads.
func readBPI(path string) ([]bpiRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return parseBPI(gz)
}

func parseBPI(in io.Reader) ([]bpiRow, error) {
	r := csv.NewReader(in)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	names := []string{"SR Number", "Change Date+Time", "Status", "Sub Status", "Involved Org line 3",
		"Involved ST", "ST Level", "SR Latest Impact", "Product", "Country"}
	idx := make([]int, len(names))
	for i, n := range names {
		c, ok := col[n]
		if !ok {
			return nil, fmt.Errorf("header has no column %q: %q", n, head)
		}
		idx[i] = c
	}
	var rows []bpiRow
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", line, err)
		}
		at, err := time.Parse(time.RFC3339, rec[idx[1]])
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", line, err)
		}
		rows = append(rows, bpiRow{Line: line, SR: rec[idx[0]], Time: at, Status: rec[idx[2]], Sub: rec[idx[3]],
			OrgLine: rec[idx[4]], Team: rec[idx[5]], Level: rec[idx[6]], Impact: rec[idx[7]],
			Product: rec[idx[8]], Country: rec[idx[9]]})
	}
}

// bpiKind is what a status change means for the lifecycle.
type bpiKind int

const (
	kindQueued    bpiKind = iota // queued for a team, nobody on it yet
	kindActive                   // a team works on it
	kindWait                     // the team waits
	kindResolved                 // resolved, to be closed
	kindClosed                   // closed
	kindInCall                   // resolved and closed during the call
	kindCancelled                // cancelled
	kindUnmatched                // meaning undocumented; no command
)

func (k bpiKind) String() string {
	return [...]string{"queued", "active", "wait", "resolved", "closed", "in call", "cancelled", "unmatched"}[k]
}

// bpiStatus is the mapping of the log's statuses (docs/validation.md has the
// same table with the reasons).
var bpiStatus = map[[2]string]struct {
	kind bpiKind
	wait incident.WaitReason
}{
	{"Queued", "Awaiting Assignment"}:     {kind: kindQueued},
	{"Accepted", "In Progress"}:           {kind: kindActive},
	{"Accepted", "Assigned"}:              {kind: kindActive},
	{"Accepted", "Wait - User"}:           {kind: kindWait, wait: incident.WaitUser},
	{"Accepted", "Wait - Customer"}:       {kind: kindWait, wait: incident.WaitUser},
	{"Accepted", "Wait - Vendor"}:         {kind: kindWait, wait: incident.WaitVendor},
	{"Accepted", "Wait - Implementation"}: {kind: kindWait, wait: incident.WaitChange},
	// The reason of a bare wait is unknown: vendor is the reason that does
	// not pause the customer's clock, so an unexplained wait is not
	// excused.
	{"Accepted", "Wait"}:       {kind: kindWait, wait: incident.WaitVendor},
	{"Completed", "Resolved"}:  {kind: kindResolved},
	{"Completed", "Closed"}:    {kind: kindClosed},
	{"Completed", "In Call"}:   {kind: kindInCall},
	{"Completed", "Cancelled"}: {kind: kindCancelled},
	{"Unmatched", "Unmatched"}: {kind: kindUnmatched},
}

// bpiImpact maps SR Latest Impact; the log has no urgency, so every incident
// gets medium urgency.
var bpiImpact = map[string]itsm.Impact{
	"Low": itsm.ImpactLow, "Medium": itsm.ImpactMedium, "High": itsm.ImpactHigh, "Major": itsm.ImpactHigh,
}

// bpiChain is the support chain of the replay: one desk for every first-line
// team, one supplier organisation per second- or third-line team, the
// customer, an SLA on office hours and a UC per supplier on 24x7.
type bpiChain struct {
	ctx      context.Context
	store    itsm.Store
	clock    *itsm.ManualClock
	svc      *incident.Service
	customer itsm.Organisation
	desk     itsm.Organisation
	teams    map[string]itsm.Organisation // supplier teams by name
	teamOf   map[itsm.ID]string
	// deskGroups are the desk's groups, one per first-line team, and
	// teamGroups the one group of each supplier team's organisation, by
	// the team's name.
	deskGroups, teamGroups map[string]itsm.ID
	slaName                string
}

// bpiReopenWindow is the reopen window of the replay: the service's default
// (incident.DefaultReopenWindow) when docs/validation.md was written, so that
// it shows what an application keeping the default refuses; pinned, so that
// the documented numbers do not move with the default.
const bpiReopenWindow = 5 * 24 * time.Hour

// bpiZone is the offset every timestamp of the log carries.
var bpiZone = time.FixedZone("+01:00", 3600)

func newBPIChain(t testing.TB, rows []bpiRow) *bpiChain {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	// The clock starts at the earliest row, since the replay never sets it
	// back.
	var start time.Time
	for i, r := range rows {
		if i == 0 || r.Time.Before(start) {
			start = r.Time
		}
	}
	c := &bpiChain{ctx: context.Background(), store: st, clock: itsm.NewManualClock(start),
		teams: map[string]itsm.Organisation{}, teamOf: map[itsm.ID]string{}, slaName: "Volvo SLA"}
	c.customer = itsm.Organisation{ID: itsm.NewID(), Name: "Volvo business users", Role: itsm.OrgCustomer}
	c.desk = itsm.Organisation{ID: itsm.NewID(), Name: "Volvo IT first line", Role: itsm.OrgDesk}
	orgs := []itsm.Organisation{c.customer, c.desk}
	for _, r := range rows {
		if _, ok := c.teams[r.Team]; ok || !r.supplier() {
			continue
		}
		o := itsm.Organisation{ID: itsm.NewID(), Name: r.Team, Role: itsm.OrgSupplier}
		c.teams[r.Team], c.teamOf[o.ID] = o, r.Team
		orgs = append(orgs, o)
	}
	dir, err := incident.NewOrganisations(orgs...)
	if err != nil {
		t.Fatal(err)
	}
	perms := itsm.NewPermissions()
	for _, o := range orgs {
		perms.Grant(o.ID, itsm.DomainIncident, itsm.AccessAll)
	}
	groups, err := chain.New(chain.Config{Store: st, Directory: dir, Clock: c.clock})
	if err != nil {
		t.Fatal(err)
	}
	c.deskGroups, c.teamGroups = map[string]itsm.ID{}, map[string]itsm.ID{}
	for _, r := range rows {
		org, in := c.desk.ID, c.deskGroups
		if r.supplier() {
			org, in = c.teams[r.Team].ID, c.teamGroups
		}
		if _, ok := in[r.Team]; ok {
			continue
		}
		admin := itsm.Actor{Organisation: org, Person: "admin", Roles: []itsm.Role{itsm.RoleAdmin}}
		g, err := groups.Create(c.ctx, admin, org, chain.Definition{Name: r.Team})
		if err != nil {
			t.Fatal(err)
		}
		in[r.Team] = g.ID
	}
	office, err := sla.NewCalendar(sla.CalendarSpec{Name: "Belgian office hours", Location: bpiZone,
		Week: sla.OfficeHours(8*time.Hour, 17*time.Hour), Holidays: []string{"be"}})
	if err != nil {
		t.Fatal(err)
	}
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: bpiZone, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	// The log has no agreements: these targets are made up, to check that
	// every replayed history can be measured, not to judge Volvo IT.
	stops := []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}
	targets := func(cal *sla.Calendar, resolution [4]time.Duration, responded []itsm.State) []sla.Target {
		var ts []sla.Target
		for i, d := range resolution {
			p := itsm.Priority(i + 1)
			ts = append(ts,
				sla.Target{Metric: sla.MetricResolution, Priority: p, Within: d, Calendar: cal,
					Pause: []itsm.State{incident.StateWaitingUser}, Stop: stops},
				sla.Target{Metric: sla.MetricResponse, Priority: p, Within: d / 8, Calendar: cal,
					Pause: []itsm.State{incident.StateWaitingUser}, Stop: append(slices.Clone(responded), stops...)})
		}
		return ts
	}
	h := time.Hour
	agreements := []*sla.Agreement{{Name: c.slaName, Kind: sla.KindSLA, Provider: c.desk.ID, Consumer: c.customer.ID,
		Objective: 0.9, Targets: targets(office, [4]time.Duration{8 * h, 16 * h, 45 * h, 90 * h},
			[]itsm.State{incident.StateInProgress, incident.StateDelegated})}}
	for _, o := range orgs[2:] {
		agreements = append(agreements, &sla.Agreement{Name: "UC " + o.Name, Kind: sla.KindUC, Provider: o.ID,
			Consumer: c.desk.ID, Objective: 0.9, Targets: targets(always, [4]time.Duration{8 * h, 24 * h, 72 * h, 120 * h},
				[]itsm.State{incident.StateInProgress})})
	}
	c.svc, err = incident.New(incident.Config{
		Store: st, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: c.clock,
		Agreements: agreements, ReopenWindow: bpiReopenWindow, NumberPrefix: "VOL",
		Major: incident.Major{Roster: []incident.Duty{{Person: "major incident manager", Channel: "sms",
			Address: "+32000000000", From: time.Date(2010, 1, 1, 0, 0, 0, 0, bpiZone), To: time.Date(2013, 1, 1, 0, 0, 0, 0, bpiZone)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func agentOf(org itsm.ID, person string) itsm.Actor {
	return itsm.Actor{Organisation: org, Person: person, Roles: []itsm.Role{itsm.RoleAgent}}
}

// deskActor is the desk's agent for a row: the first-line team itself when
// the row is one of its own, so that the event log says which desk team
// acted as well as which group holds the incident.
func (c *bpiChain) deskActor(r bpiRow) itsm.Actor {
	if !r.supplier() {
		return agentOf(c.desk.ID, r.Team)
	}
	return agentOf(c.desk.ID, "desk")
}

func (c *bpiChain) supplierActor(org itsm.ID) itsm.Actor { return agentOf(org, c.teamOf[org]) }

// bpiCase is the replay of one service request.
type bpiCase struct {
	SR       string
	Rows     []bpiRow
	Inc      *incident.Incident
	Refusals []bpiRefusal
	// Matches reports whether the final state agrees with the last row.
	Matches bool
}

// Clean reports whether every row of the case mapped to accepted commands (or
// to none, by the mapping) and the final state agrees with the last row.
func (k *bpiCase) Clean() bool { return len(k.Refusals) == 0 && k.Matches }

// bpiRefusal is a command the rules refused, and the row it was for.
type bpiRefusal struct {
	Row     bpiRow
	Command string
	State   itsm.State
	Code    itsm.Code
	Err     error
	// SinceResolved is the time from the resolution to the refused reopen.
	SinceResolved time.Duration
}

// bpiUUID matches the organisation IDs in error messages, which differ per
// run and per team, so that one rule is one category.
var bpiUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// Category names the rule that refused, for the report.
func (f bpiRefusal) Category() string {
	msg := f.Err.Error()
	if f.Command == "Reopen" && strings.Contains(msg, "more than") {
		return fmt.Sprintf("Reopen refused (%s) in state %s: later than the reopen window after the closure", f.Code, f.State)
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	msg = bpiUUID.ReplaceAllString(msg, "<organisation>")
	return fmt.Sprintf("%s refused (%s) in state %s: %s", f.Command, f.Code, f.State, msg)
}

// bpiReplay drives the service with the rows of many cases.
type bpiReplay struct {
	chain    *bpiChain
	cases    map[string]*bpiCase
	order    []*bpiCase // in the order of their first row
	commands map[string]int
	issued   int            // commands accepted
	noops    map[string]int // rows that map to no command, by status
	// Rerouted counts delegations that took an incident from one supplier
	// to another, which the log records as a team passing it on.
	Rerouted int
	// Recalled counts rejections implied by a first-line row while a
	// supplier held the incident.
	Recalled int
	// DeskMoves counts rows that moved an incident from one first-line team
	// to another: invisible to the model, where the desk has no groups.
	DeskMoves int
}

func newBPIReplay(c *bpiChain) *bpiReplay {
	return &bpiReplay{chain: c, cases: map[string]*bpiCase{}, commands: map[string]int{}, noops: map[string]int{}}
}

// run replays rows, which must be in time order; rows of one case keep their
// file order.
func (r *bpiReplay) run(t testing.TB, rows []bpiRow) {
	t.Helper()
	for _, row := range rows {
		if row.Time.Before(r.chain.clock.Now()) {
			t.Fatalf("row %d (%s) at %s is before the clock at %s", row.Line, row.SR, row.Time, r.chain.clock.Now())
		}
		r.chain.clock.Set(row.Time)
		k := r.cases[row.SR]
		if k == nil {
			k = &bpiCase{SR: row.SR}
			r.cases[row.SR] = k
			r.order = append(r.order, k)
		}
		if n := len(k.Rows); n > 0 {
			prev := k.Rows[n-1]
			if !prev.supplier() && !row.supplier() && prev.Team != row.Team {
				r.DeskMoves++
			}
		}
		k.Rows = append(k.Rows, row)
		issued, refused := r.issued, len(k.Refusals)
		if k.Inc == nil && !r.register(t, k, row) {
			continue
		}
		r.step(t, k, row)
		if r.issued == issued && len(k.Refusals) == refused {
			r.noops[row.Status+"/"+row.Sub]++
		}
	}
	for _, k := range r.order {
		k.Matches = k.Inc != nil && bpiFinalMatches(r.chain, k.Inc, k.Rows[len(k.Rows)-1])
	}
}

// do runs one command for the case; a refusal is recorded and ends the row.
func (r *bpiReplay) do(t testing.TB, k *bpiCase, row bpiRow, cmd string, f func() (*incident.Incident, error)) bool {
	t.Helper()
	inc, err := f()
	if err != nil {
		ref := bpiRefusal{Row: row, Command: cmd, Code: itsm.ErrorCode(err), Err: err}
		if k.Inc != nil {
			ref.State = k.Inc.State
			if cmd == "Reopen" {
				ref.SinceResolved = row.Time.Sub(k.Inc.Resolved)
			}
		}
		k.Refusals = append(k.Refusals, ref)
		return false
	}
	k.Inc = inc
	r.commands[cmd]++
	r.issued++
	return true
}

func (r *bpiReplay) register(t testing.TB, k *bpiCase, row bpiRow) bool {
	c := r.chain
	impact, ok := bpiImpact[row.Impact]
	if !ok {
		t.Fatalf("row %d (%s): unknown impact %q", row.Line, row.SR, row.Impact)
	}
	desk := c.deskActor(row)
	var group itsm.ID
	if !row.supplier() {
		group = c.deskGroups[row.Team]
	}
	if !r.do(t, k, row, "Register", func() (*incident.Incident, error) {
		return c.svc.Register(c.ctx, desk, incident.Registration{
			Customer: c.customer.ID, Caller: incident.Caller{Person: "user of SR " + row.SR},
			Channel: incident.ChannelPhone, Service: row.Product, Summary: "SR " + row.SR,
			Description: "Reported in country " + row.Country + ".",
			Impact:      impact, Urgency: itsm.UrgencyMedium, Group: group,
		})
	}) {
		return false
	}
	if row.Impact == "Major" {
		r.do(t, k, row, "DeclareMajor", func() (*incident.Incident, error) {
			return c.svc.DeclareMajor(c.ctx, desk, k.Inc.ID, "SR Latest Impact is Major")
		})
	}
	return true
}

// step maps one row to commands by the incident's current state (see
// docs/validation.md): rows that repeat the state map to none; work after a
// resolution reopens; the row's team takes the incident (a supplier team by
// the desk's delegation, a first-line team by the holding supplier's
// rejection); then the row's status.
func (r *bpiReplay) step(t testing.TB, k *bpiCase, row bpiRow) {
	t.Helper()
	c := r.chain
	st, ok := bpiStatus[[2]string{row.Status, row.Sub}]
	if !ok {
		t.Fatalf("row %d (%s): unknown status %q/%q", row.Line, row.SR, row.Status, row.Sub)
	}
	id := k.Inc.ID
	desk := c.deskActor(row)
	state := func() itsm.State { return k.Inc.State }
	do := func(cmd string, f func() (*incident.Incident, error)) bool { return r.do(t, k, row, cmd, f) }
	closeIt := func() bool {
		return do("Close", func() (*incident.Incident, error) {
			return c.svc.Close(c.ctx, desk, id, "Completed/"+row.Sub+" in the log")
		})
	}

	switch st.kind {
	case kindUnmatched:
		return
	case kindCancelled:
		do("Cancel", func() (*incident.Incident, error) {
			return c.svc.Cancel(c.ctx, desk, id, "Completed/Cancelled in the log")
		})
		return
	case kindClosed:
		if state() == incident.StateClosed {
			return
		}
		closeIt()
		return
	case kindResolved:
		if state() == incident.StateResolved {
			return
		}
	case kindInCall:
		switch state() {
		case incident.StateClosed:
			return
		case incident.StateResolved:
			closeIt()
			return
		}
	}

	if !incident.IsOpen(state()) {
		if !do("Reopen", func() (*incident.Incident, error) {
			return c.svc.Reopen(c.ctx, desk, id, row.Status+"/"+row.Sub+" at "+row.Team+" after completion")
		}) {
			return
		}
	}

	// The row's team takes the incident.
	if row.supplier() {
		to := c.teams[row.Team]
		if k.Inc.Holder != to.ID {
			fromSupplier := k.Inc.Holder != k.Inc.Desk
			if !do("Delegate", func() (*incident.Incident, error) {
				return c.svc.Delegate(c.ctx, desk, id, incident.Delegation{Organisation: to.ID, Group: c.teamGroups[row.Team]})
			}) {
				return
			}
			if fromSupplier {
				r.Rerouted++
			}
		}
	} else if k.Inc.Holder != k.Inc.Desk {
		from := c.supplierActor(k.Inc.Holder)
		if !do("Reject", func() (*incident.Incident, error) {
			return c.svc.Reject(c.ctx, from, id, "back to first-line team "+row.Team)
		}) {
			return
		}
		r.Recalled++
	}
	// A first-line team's row while the desk holds the incident puts it in
	// that team's group: a move when another team's group held it.
	if g := c.deskGroups[row.Team]; !row.supplier() && k.Inc.Holder == k.Inc.Desk && k.Inc.Group != g && incident.IsOpen(state()) {
		if !do("Assign", func() (*incident.Incident, error) {
			return c.svc.Assign(c.ctx, desk, id, incident.AssignTo{Group: g})
		}) {
			return
		}
	}
	holder := desk
	if row.supplier() {
		holder = c.supplierActor(k.Inc.Holder)
	}
	accept := func() bool {
		if state() != incident.StateDelegated {
			return true
		}
		return do("Accept", func() (*incident.Incident, error) { return c.svc.Accept(c.ctx, holder, id) })
	}
	resume := func() bool {
		return do("Resume", func() (*incident.Incident, error) { return c.svc.Resume(c.ctx, holder, id, "") })
	}

	switch st.kind {
	case kindQueued:
		if incident.IsWaiting(state()) {
			resume()
		}
	case kindActive:
		switch s := state(); {
		case s == incident.StateRegistered:
			do("Start", func() (*incident.Incident, error) { return c.svc.Start(c.ctx, desk, id) })
		case s == incident.StateDelegated:
			accept()
		case incident.IsWaiting(s):
			resume()
		}
	case kindWait:
		if !accept() {
			return
		}
		if s := state(); incident.IsWaiting(s) {
			if s == st.wait.State() {
				return
			}
			if !resume() {
				return
			}
		}
		do("Wait", func() (*incident.Incident, error) { return c.svc.Wait(c.ctx, holder, id, st.wait, row.Sub) })
	case kindResolved, kindInCall:
		if !accept() {
			return
		}
		res := incident.Resolution{Code: strings.ToLower(row.Sub), Text: "Completed/" + row.Sub + " by " + row.Team}
		if row.supplier() {
			if !do("ReportBack", func() (*incident.Incident, error) { return c.svc.ReportBack(c.ctx, holder, id, res) }) {
				return
			}
		} else if !do("Resolve", func() (*incident.Incident, error) { return c.svc.Resolve(c.ctx, desk, id, res) }) {
			return
		}
		if st.kind == kindInCall {
			closeIt()
		}
	}
}

// bpiFinalMatches reports whether the incident's state and holder agree with
// the last row of its case.
func bpiFinalMatches(c *bpiChain, inc *incident.Incident, last bpiRow) bool {
	st := bpiStatus[[2]string{last.Status, last.Sub}]
	holder := inc.Desk
	if last.supplier() {
		holder = c.teams[last.Team].ID
	}
	switch st.kind {
	case kindQueued:
		if last.supplier() {
			return inc.Holder == holder && (inc.State == incident.StateDelegated || inc.State == incident.StateInProgress)
		}
		return inc.Holder == holder && (inc.State == incident.StateRegistered || inc.State == incident.StateInProgress)
	case kindActive:
		return inc.Holder == holder && inc.State == incident.StateInProgress
	case kindWait:
		return inc.Holder == holder && inc.State == st.wait.State()
	case kindResolved:
		return inc.State == incident.StateResolved
	case kindClosed, kindInCall:
		return inc.State == incident.StateClosed
	case kindCancelled:
		return inc.State == incident.StateCancelled
	}
	return true // Unmatched says nothing about the state
}

// bpiRaw is what the raw log says about one service request, computed
// without the service.
type bpiRaw struct {
	// TeamBounce reports that some team, of any level, had the request
	// again after another team had it.
	TeamBounce bool
	// OrgLineBounce is the same for Involved Org line 3.
	OrgLineBounce bool
	// Receipts counts the times a second- or third-line team received the
	// request: a row of that team after a row of another team, or after
	// the request was completed (so that work after a resolution is
	// received again). Bounces counts receipts by a team that had
	// received it before.
	Receipts, Bounces int
	// DeskMoves counts moves from one first-line team to another.
	DeskMoves int
	// ReopenGap is the longest time from a closure to a row that works on
	// the request again, which the desk must reopen within the window.
	// Work on a resolved request before its closure reopens it whenever.
	ReopenGap time.Duration
}

func bpiRawStats(rows []bpiRow) bpiRaw {
	var out bpiRaw
	revisits := func(key func(bpiRow) string) bool {
		seen := map[string]bool{}
		prev := ""
		for _, r := range rows {
			k := key(r)
			if k == prev {
				continue
			}
			if seen[k] {
				return true
			}
			seen[k], prev = true, k
		}
		return false
	}
	out.TeamBounce = revisits(func(r bpiRow) string { return r.Team })
	out.OrgLineBounce = revisits(func(r bpiRow) string { return r.OrgLine })

	const (
		open = iota
		resolved
		closed
	)
	state, prevTeam := open, ""
	// closedAt is when the service closed the request: a cancelled one,
	// which no reopening changes, at the zero time.
	var closedAt time.Time
	reopen := func(r bpiRow) { out.ReopenGap = max(out.ReopenGap, r.Time.Sub(closedAt)) }
	received := map[string]bool{}
	receive := func(r bpiRow) {
		out.Receipts++
		if received[r.Team] {
			out.Bounces++
		}
		received[r.Team] = true
	}
	for i, r := range rows {
		if i > 0 && !r.supplier() && !rows[i-1].supplier() && r.Team != rows[i-1].Team {
			out.DeskMoves++
		}
		moved := r.Team != prevTeam
		switch bpiStatus[[2]string{r.Status, r.Sub}].kind {
		case kindQueued, kindActive, kindWait:
			if state == closed {
				reopen(r)
			}
			if r.supplier() && (moved || state != open) {
				receive(r)
			}
			state = open
		case kindResolved:
			if state == closed {
				reopen(r)
			}
			if state != resolved && r.supplier() && (moved || state == closed) {
				receive(r)
			}
			state = resolved
		case kindInCall:
			if state == open && r.supplier() && moved {
				receive(r)
			}
			if state != closed {
				closedAt = r.Time
			}
			state = closed
		case kindClosed:
			if state != closed {
				closedAt = r.Time
			}
			state = closed
		case kindCancelled:
			closedAt, state = time.Time{}, closed
		}
		prevTeam = r.Team
	}
	return out
}

// bpiEvents reads the whole event log, by incident.
func bpiEvents(t testing.TB, c *bpiChain) map[itsm.ID][]itsm.Event {
	t.Helper()
	out := map[itsm.ID][]itsm.Event{}
	err := c.store.Read(c.ctx, func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			for _, e := range es {
				out[e.Subject] = append(out[e.Subject], e)
			}
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sortedKeys returns the keys of m, most frequent first.
func sortedKeys[V any](m map[string]V, n func(V) int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := n(m[keys[i]]), n(m[keys[j]])
		return a > b || (a == b && keys[i] < keys[j])
	})
	return keys
}

// The mapping on small made-up traces, so that it is tested without the
// real log.
func TestBPI2013Mapping(t *testing.T) {
	type line struct {
		after  time.Duration // since the previous row
		status string        // "Status/Sub Status"
		team   string
		level  string
	}
	m := time.Minute
	day := 24 * time.Hour
	tests := []struct {
		name  string
		lines []line
		want  []string // event types without the "incident." prefix
		clean bool
		// pingPong, assignments and moves are the service's counters.
		pingPong, assignments, moves int
		refused                      string // category of the first refusal
	}{
		{name: "resolved in the call by the desk", clean: true,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {5 * m, "Completed/In Call", "S42", "L1"}},
			want:  []string{"registered", "started", "resolved", "closed"}},
		{name: "delegated, waits for the user, reported back, closed", clean: true, assignments: 1,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Queued/Awaiting Assignment", "N52 2nd", "L2"},
				{m, "Accepted/In Progress", "N52 2nd", "L2"}, {m, "Accepted/Wait - User", "N52 2nd", "L2"},
				{m, "Accepted/Assigned", "N52 2nd", "L2"}, {m, "Completed/Resolved", "N52 2nd", "L2"},
				{day, "Completed/Closed", "N52 2nd", "L2"}},
			want: []string{"registered", "started", "delegated", "accepted", "waiting", "resumed", "resolved", "closed"}},
		{name: "sent back, re-routed, back to the first team", clean: true, pingPong: 1, assignments: 3,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Queued/Awaiting Assignment", "V5 3rd", "L3"},
				{m, "Accepted/In Progress", "V5 3rd", "L3"}, {m, "Queued/Awaiting Assignment", "S42", "L1"},
				{m, "Queued/Awaiting Assignment", "G140 2nd", "L2"}, {m, "Accepted/In Progress", "V5 3rd", "L3"}},
			// Back at the desk without a group, S42's row puts it in S42's
			// group: an assignment, not a move.
			want: []string{"registered", "started", "delegated", "accepted", "rejected", "assigned", "delegated", "delegated", "accepted"}},
		{name: "passed between second-line teams without a queue", clean: true, assignments: 2,
			lines: []line{{0, "Accepted/In Progress", "V32 2nd", "L2"}, {m, "Accepted/In Progress", "V37 2nd", "L2"}},
			want:  []string{"registered", "delegated", "accepted", "delegated", "accepted"}},
		{name: "first-line teams pass it on inside the desk", clean: true, moves: 1,
			lines: []line{{0, "Queued/Awaiting Assignment", "S42", "L1"}, {m, "Queued/Awaiting Assignment", "S43", "L1"},
				{m, "Accepted/Wait - User", "S43", "L1"}, {m, "Accepted/Wait - Implementation", "S43", "L1"},
				{m, "Accepted/Wait - Implementation", "S43", "L1"}, {m, "Completed/Resolved", "S43", "L1"}},
			want: []string{"registered", "assigned", "waiting", "resumed", "waiting", "resolved"}},
		{name: "unmatched after the resolution, then reopened by work", clean: true,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Completed/Resolved", "S42", "L1"},
				{m, "Unmatched/Unmatched", "S42", "L1"}, {m, "Accepted/In Progress", "S42", "L1"}},
			want: []string{"registered", "started", "resolved", "reopened"}},
		{name: "work after closure beyond the reopen window", refused: "Reopen refused (conflict) in state closed: later than the reopen window after the closure",
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Completed/Resolved", "S42", "L1"},
				{day, "Completed/Closed", "S42", "L1"}, {6 * day, "Accepted/In Progress", "S42", "L1"}},
			want: []string{"registered", "started", "resolved", "closed"}},
		{name: "work after closure within the reopen window, long after the resolution", clean: true,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Completed/Resolved", "S42", "L1"},
				{8 * day, "Completed/Closed", "S42", "L1"}, {day, "Accepted/In Progress", "S42", "L1"}},
			want: []string{"registered", "started", "resolved", "closed", "reopened"}},
		{name: "work on a resolved incident long after the resolution, before closure", clean: true,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}, {m, "Completed/Resolved", "S42", "L1"},
				{30 * day, "Accepted/In Progress", "S42", "L1"}},
			want: []string{"registered", "started", "resolved", "reopened"}},
		{name: "major impact is declared major", clean: true,
			lines: []line{{0, "Accepted/In Progress", "S42", "L1"}},
			want:  []string{"registered", "major_declared", "notified", "started"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2011, 3, 1, 9, 0, 0, 0, bpiZone)
			impact := "Medium"
			if strings.Contains(tc.name, "major") {
				impact = "Major"
			}
			var rows []bpiRow
			for j, l := range tc.lines {
				at = at.Add(l.after)
				status, sub, _ := strings.Cut(l.status, "/")
				rows = append(rows, bpiRow{Line: j + 1, SR: fmt.Sprintf("1-%d", i), Time: at, Status: status, Sub: sub,
					OrgLine: "Org line C", Team: l.team, Level: l.level, Impact: impact, Product: "PROD1", Country: "be"})
			}
			chain := newBPIChain(t, rows)
			r := newBPIReplay(chain)
			r.run(t, rows)
			k := r.order[0]
			var got []string
			for _, e := range bpiEvents(t, chain)[k.Inc.ID] {
				got = append(got, strings.TrimPrefix(e.Type, "incident."))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			if k.Clean() != tc.clean {
				t.Errorf("clean %v, want %v (refusals %+v, final state matches %v)", k.Clean(), tc.clean, k.Refusals, k.Matches)
			}
			if tc.refused != "" && (len(k.Refusals) == 0 || k.Refusals[0].Category() != tc.refused) {
				t.Errorf("refusals %+v, want first %q", k.Refusals, tc.refused)
			}
			if k.Inc.Moves != tc.moves {
				t.Errorf("%d moves, want %d", k.Inc.Moves, tc.moves)
			}
			if k.Inc.PingPong != tc.pingPong || len(k.Inc.Assignments) != tc.assignments {
				t.Errorf("ping-pong %d and %d assignments, want %d and %d", k.Inc.PingPong, len(k.Inc.Assignments), tc.pingPong, tc.assignments)
			}
			raw := bpiRawStats(k.Rows)
			if late := raw.ReopenGap > bpiReopenWindow; late != (tc.refused != "") {
				t.Errorf("raw log: longest reopen %s after the resolution, refusal %q", raw.ReopenGap, tc.refused)
			}
			if raw.Bounces != tc.pingPong || raw.Receipts != tc.assignments {
				t.Errorf("raw log: %d bounces and %d receipts, want %d and %d", raw.Bounces, raw.Receipts, tc.pingPong, tc.assignments)
			}
		})
	}
}
