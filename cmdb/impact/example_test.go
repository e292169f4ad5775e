package impact_test

import (
	"fmt"

	"github.com/spoc-itsm/spoc/cmdb/impact"
	"github.com/spoc-itsm/spoc/itsm"
)

// A municipality's e-services: two web servers in a cluster that needs
// one of them, the application on the cluster, and the business service
// that needs the application and uses a payment provider it can do
// without for a while.
func Example() {
	var (
		web1     = itsm.MustParseID("019b0000-0000-7000-8000-000000000001")
		web2     = itsm.MustParseID("019b0000-0000-7000-8000-000000000002")
		cluster  = itsm.MustParseID("019b0000-0000-7000-8000-000000000003")
		portal   = itsm.MustParseID("019b0000-0000-7000-8000-000000000004")
		payments = itsm.MustParseID("019b0000-0000-7000-8000-000000000005")
		service  = itsm.MustParseID("019b0000-0000-7000-8000-000000000006")
	)
	name := map[itsm.ID]string{web1: "web1", web2: "web2", cluster: "cluster",
		portal: "portal", payments: "payments", service: "e-services"}

	g := impact.New()
	g.SetNode(cluster, impact.Node{Min: 1})
	g.AddEdge(web1, cluster, impact.Full) // a member's failure reaches its group
	g.AddEdge(web2, cluster, impact.Full)
	g.AddEdge(cluster, portal, impact.Full) // the portal runs on the cluster
	g.AddEdge(portal, service, impact.Full)
	g.AddEdge(payments, service, impact.Weaken)

	show := func(failures ...impact.Failure) {
		res := g.Analyse(failures)
		for _, a := range res.Affected() {
			var path []string
			for _, id := range res.Path(a.Node) {
				path = append(path, name[id])
			}
			risk := ""
			if a.AtRisk {
				risk = " at risk"
			}
			fmt.Println(name[a.Node], a.Health.String()+risk, path)
		}
		fmt.Println()
	}
	// One server down: the cluster holds its quorum, so it has lost
	// redundancy and nothing depending on it is hurt.
	show(impact.Failure{Node: web1, Health: impact.Down})
	// The path to a group goes through the input that took it over the
	// edge: web2, the second server down.
	show(impact.Failure{Node: web1, Health: impact.Down}, impact.Failure{Node: web2, Health: impact.Down})
	show(impact.Failure{Node: payments, Health: impact.Down})
	// Output:
	// web1 down [web1]
	// cluster degraded at risk [web1 cluster]
	//
	// web1 down [web1]
	// web2 down [web2]
	// cluster down [web2 cluster]
	// portal down [web2 cluster portal]
	// e-services down [web2 cluster portal e-services]
	//
	// payments down [payments]
	// e-services degraded [payments e-services]
}
