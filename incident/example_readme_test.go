package incident_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

// Example_readme runs the example in README.md. The lines between the
// "README begins" and "README ends" markers are kept identical to README's
// Go block by TestREADMEExampleIsCurrent, so README never shows code that no
// longer compiles or behaves differently.
func Example_readme() {
	ctx := context.Background()
	cityOrg := itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer}
	deskOrg := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	netOrg := itsm.Organisation{ID: itsm.NewID(), Name: "Network", Role: itsm.OrgSupplier}
	dir, err := incident.NewOrganisations(cityOrg, deskOrg, netOrg)
	if err != nil {
		log.Fatal(err)
	}
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		log.Fatal(err)
	}
	resolution := []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour, Calendar: always,
		Stop: []itsm.State{incident.StateResolved, incident.StateClosed}}}
	store := memstore.New()
	defer store.Close()
	cfg := incident.Config{
		Store: store, Directory: dir, Matrix: itsm.ServiceNowMatrix(),
		Permissions: itsm.NewPermissions().
			Grant(deskOrg.ID, itsm.DomainIncident, itsm.AccessAll).
			Grant(netOrg.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite),
		Routes: []incident.Route{{Organisation: netOrg.ID}},
		Agreements: []*sla.Agreement{
			{Name: "city SLA", Kind: sla.KindSLA, Provider: deskOrg.ID, Consumer: cityOrg.ID, Objective: 0.95, Targets: resolution},
			{Name: "network UC", Kind: sla.KindUC, Provider: netOrg.ID, Consumer: deskOrg.ID, Objective: 0.95, Targets: resolution},
		},
	}
	city := cityOrg.ID
	deskAgent := itsm.Actor{Organisation: deskOrg.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	supplierAgent := itsm.Actor{Organisation: netOrg.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}}

	// README begins
	svc, err := incident.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	inc, err := svc.Register(ctx, deskAgent, incident.Registration{
		Customer: city, Caller: incident.Caller{Person: "ulla"}, Channel: incident.ChannelPhone,
		Summary: "School network down", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyHigh})
	if err != nil {
		log.Fatal(err)
	}
	must := func(i *incident.Incident, err error) *incident.Incident {
		if err != nil {
			log.Fatal(err) // an *itsm.Error naming the state and the actor when the rules refuse
		}
		return i
	}
	must(svc.Delegate(ctx, deskAgent, inc.ID, incident.Delegation{})) // the routing rules pick the supplier
	must(svc.Accept(ctx, supplierAgent, inc.ID))
	must(svc.ReportBack(ctx, supplierAgent, inc.ID, incident.Resolution{Code: "hardware", Text: "Replaced a switch."}))
	inc = must(svc.Close(ctx, deskAgent, inc.ID, "The network is back.")) // only the desk closes (SD-4)
	// the city's SLA end to end, the supplier's UC while it held it
	clocks, err := svc.Clocks(inc, time.Now())
	// README ends
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range clocks {
		fmt.Println(inc.Number, inc.State, c.Agreement, c.Metric, c.Status)
	}
	// Output:
	// INC0000001 closed city SLA resolution stopped
	// INC0000001 closed network UC resolution stopped
}

func TestREADMEExampleIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	block, _, ok2 := strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```go block")
	}
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "\t// README begins\n")
	body, _, ok2 = strings.Cut(body, "\t// README ends\n")
	if !ok || !ok2 {
		t.Fatal("Example_readme lacks its README markers")
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if got := strings.Join(lines, "\n") + "\n"; got != block {
		t.Errorf("README.md's example differs from Example_readme:\nREADME:\n%s\nExample_readme:\n%s", block, got)
	}
}
