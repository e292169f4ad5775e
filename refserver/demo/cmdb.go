package demo

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// CMDB is what of the demo's CMDB a walkthrough starts from.
type CMDB struct {
	// Items is how many items the CMDB holds.
	Items int
	// Service is the e-mail service, Server its first Exchange server,
	// Link the Telia internet link, one of a redundant pair, and
	// Exchange the application the library's incident is about.
	Service, Server, Link, Exchange itsm.ID
	// Change is next week's planned change of the Telia link.
	Change itsm.ID
}

// Names of the demo's CMDB, for walkthroughs and tests.
const (
	// ServiceName is the e-mail service, which depends on Exchange on a
	// cluster of two servers and, through the firewall, on the internet.
	ServiceName = "E-post"
	// ChangeTitle is the planned change of next week: the network
	// supplier replaces the router of one of the two internet links.
	ChangeTitle = "Byte av router på Telia-förbindelsen"
	// ObjectOwner is the customer's IT manager, who owns the services and
	// approved informing users of the change.
	ObjectOwner = "Karin Lund"
)

// Units of the municipality that use its services, with how many users
// each has.
const (
	unitKLF = "Kommunledningsförvaltningen"
	unitUF  = "Utbildningsförvaltningen"
	unitSOF = "Socialförvaltningen"
	unitSBF = "Samhällsbyggnadsförvaltningen"
)

// staff are the municipality's employees by unit: every one of them uses
// e-mail and the salary system's self-service.
var staff = []api.Consumer{{Unit: unitKLF, Users: 180}, {Unit: unitUF, Users: 2400}, {Unit: unitSOF, Users: 1350}, {Unit: unitSBF, Users: 420}}

// demoItem is one item of the demo's CMDB: registered by the person whose
// token's Env is by (a supplier's items by the supplier itself), found
// again by its class and first key, with its relations to items listed
// before it, by reference.
type demoItem struct {
	ref, by    string
	class      string
	name       string
	key        string // attribute=value of the class's first key
	attrs      api.ItemAttributes
	redundancy api.Redundancy
	consumers  []api.Consumer
	owner      string
	rels       [][2]string // type, ref
}

// estate is the CMDB of Exempelstad (CM-1): a data centre and the town
// hall; a redundant pair of internet links behind the firewall and the
// core switch, the network supplier's; the workplace supplier's servers,
// two of them a cluster that keeps e-mail up while one is; the
// applications on them; and the desk's business services with the units
// that use them. The clusters have no relation but their members': every
// item a failure reaches a group from counts as one of its members, so a
// cluster located at a site would stay up on the site alone.
var estate = []demoItem{
	{ref: "dcn", by: EnvDesk, class: "site", name: "Datacenter Norr", key: "site_code=DCN", attrs: api.ItemAttributes{"address": "Industrigatan 12, Exempelstad"}},
	{ref: "sh", by: EnvDesk, class: "site", name: "Stadshuset", key: "site_code=SH", attrs: api.ItemAttributes{"address": "Stora torget 1, Exempelstad"}},

	{ref: "inet", by: EnvNetwork, class: "cluster", name: "Internetförbindelser", key: "host_name=inet-ex",
		attrs: api.ItemAttributes{"purpose": "Två internetförbindelser från olika operatörer; en räcker"}, redundancy: api.Redundancy{Min: 1}},
	{ref: "telia", by: EnvNetwork, class: "network_link", name: "Internet Telia 1 Gbit/s", key: "circuit_id=TELIA-EX-4471",
		attrs: api.ItemAttributes{"provider": "Telia", "bandwidth_mbps": "1000"}, rels: [][2]string{{"member_of", "inet"}}},
	{ref: "bahnhof", by: EnvNetwork, class: "network_link", name: "Internet Bahnhof 1 Gbit/s", key: "circuit_id=BHF-88213",
		attrs: api.ItemAttributes{"provider": "Bahnhof", "bandwidth_mbps": "1000"}, rels: [][2]string{{"member_of", "inet"}}},
	{ref: "fw", by: EnvNetwork, class: "network_device", name: "fw-dcn-01", key: "serial_number=FG100F-2231",
		attrs: api.ItemAttributes{"host_name": "fw-dcn-01", "device_type": "firewall", "model": "FortiGate 100F", "ip_address": "10.0.0.1"},
		rels:  [][2]string{{"depends_on", "inet"}, {"located_at", "dcn"}}},
	{ref: "core", by: EnvNetwork, class: "network_device", name: "sw-dcn-core-01", key: "serial_number=C9500-7781",
		attrs: api.ItemAttributes{"host_name": "sw-dcn-core-01", "device_type": "switch", "model": "Catalyst 9500", "ip_address": "10.0.0.2"},
		rels:  [][2]string{{"located_at", "dcn"}}},
	{ref: "shsw", by: EnvNetwork, class: "network_device", name: "sw-sh-01", key: "serial_number=C9300-5521",
		attrs: api.ItemAttributes{"host_name": "sw-sh-01", "device_type": "switch", "model": "Catalyst 9300"},
		rels:  [][2]string{{"connected_to", "core"}, {"located_at", "sh"}}},

	{ref: "dag", by: EnvWorkplace, class: "cluster", name: "Exchange DAG", key: "host_name=exch-dag",
		attrs: api.ItemAttributes{"purpose": "Två postlådeservrar; en räcker"}, redundancy: api.Redundancy{Min: 1}},
	server("exch01", "10.10.1.11", "32", "member_of", "dag"),
	server("exch02", "10.10.1.12", "32", "member_of", "dag"),
	server("app-eko01", "10.10.2.21", "16"),
	server("sql01", "10.10.2.31", "64"),
	{ref: "sqleko", by: EnvWorkplace, class: "database", name: "Ekonomidatabasen", key: `instance=SQL01\EKONOMI`,
		attrs: api.ItemAttributes{"engine": "sql_server", "version": "2019", "environment": "production"}, rels: [][2]string{{"runs_on", "sql01"}}},
	{ref: "exchange", by: EnvWorkplace, class: "application", name: "Exchange Server 2019", key: "code=EXCH",
		attrs: api.ItemAttributes{"vendor": "Microsoft", "version": "CU14", "environment": "production"},
		rels:  [][2]string{{"runs_on", "dag"}, {"depends_on", "fw"}}},
	{ref: "raindance", by: EnvWorkplace, class: "application", name: "Raindance", key: "code=RAIN",
		attrs: api.ItemAttributes{"vendor": "CGI", "environment": "production"}, rels: [][2]string{{"runs_on", "app-eko01"}, {"depends_on", "sqleko"}}},
	{ref: "personec", by: EnvWorkplace, class: "application", name: "Personec P", key: "code=PERS",
		attrs: api.ItemAttributes{"vendor": "Visma", "environment": "production"}, rels: [][2]string{{"runs_on", "app-eko01"}, {"depends_on", "sqleko"}}},
	{ref: "skolp", by: EnvWorkplace, class: "application", name: "Skolplattformen", key: "code=SKOLP",
		attrs: api.ItemAttributes{"vendor": "IST", "environment": "production"}, rels: [][2]string{{"depends_on", "fw"}}},

	{ref: "epost", by: EnvDesk, class: "business_service", name: ServiceName, key: "code=EPOST", owner: ObjectOwner,
		attrs: api.ItemAttributes{"criticality": "high", "opening_hours": "Dygnet runt"}, consumers: staff,
		rels: [][2]string{{"depends_on", "exchange"}}},
	{ref: "skola", by: EnvDesk, class: "business_service", name: "Skolplattform", key: "code=SKOLPL", owner: "Maria Ek",
		attrs:     api.ItemAttributes{"criticality": "critical", "opening_hours": "Dygnet runt"},
		consumers: []api.Consumer{{Unit: unitUF, Users: 2400}, {Unit: "Elever och vårdnadshavare", Users: 9800}},
		rels:      [][2]string{{"depends_on", "skolp"}}},
	{ref: "ekonomi", by: EnvDesk, class: "business_service", name: "Ekonomisystem", key: "code=EKONOMI", owner: "Per Holm",
		attrs:     api.ItemAttributes{"criticality": "medium", "opening_hours": "Vardagar 07-18"},
		consumers: []api.Consumer{{Unit: unitKLF, Users: 95}, {Unit: unitSOF, Users: 40}, {Unit: unitUF, Users: 35}, {Unit: unitSBF, Users: 25}},
		rels:      [][2]string{{"depends_on", "raindance"}}},
	{ref: "lon", by: EnvDesk, class: "business_service", name: "Lön och HR", key: "code=LON", owner: "Per Holm",
		attrs: api.ItemAttributes{"criticality": "medium", "opening_hours": "Vardagar 07-18"}, consumers: staff,
		rels: [][2]string{{"depends_on", "personec"}}},
}

// server is one of the workplace supplier's virtual servers in the data
// centre, behind the core switch, with more relations if given.
func server(host, ip, memory string, rel ...string) demoItem {
	it := demoItem{ref: host, by: EnvWorkplace, class: "server", name: host, key: "host_name=" + host,
		attrs: api.ItemAttributes{"ip_address": ip, "memory_gb": memory, "cpus": "8", "virtual": "ja",
			"operating_system": "Windows Server 2022", "environment": "production"},
		rels: [][2]string{{"depends_on", "core"}, {"located_at", "dcn"}}}
	if len(rel) == 2 {
		it.rels = append([][2]string{{rel[0], rel[1]}}, it.rels...)
	}
	return it
}

// seedCMDB seeds the demo's CMDB through the API, and is idempotent: an
// item found by its class and key is not registered again, a relation it
// has is not added again, and the change is found by its title, so that
// a database seeded before the demo had a CMDB gets one, and a second
// run writes nothing. Each supplier registers the items it is responsible
// for; the desk registers the sites and the services, and relates what a
// first run left unrelated. The network supplier registers next week's
// change of the Telia link and the desk records the object owner's
// approval of telling users of it.
func seedCMDB(ctx context.Context, admin *client.ClientWithResponses, cast *Cast, people map[string]*client.ClientWithResponses) (CMDB, error) {
	if err := cmdbRights(ctx, admin, cast); err != nil {
		return CMDB{}, err
	}
	desk := people[EnvDesk]
	ids := map[string]itsm.ID{}
	suppliers := map[string]itsm.ID{EnvNetwork: cast.Network, EnvWorkplace: cast.Workplace}
	for _, d := range estate {
		l, err := desk.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Class: d.class, Key: []string{d.key}})
		if err := check("find the item "+d.name, l, err); err != nil {
			return CMDB{}, err
		}
		var rels []api.ItemRelation
		for _, r := range d.rels {
			rels = append(rels, api.ItemRelation{Type: r[0], To: ids[r[1]]})
		}
		if len(l.JSON200.Items) == 1 {
			it := l.JSON200.Items[0]
			ids[d.ref] = it.ID
			for _, r := range rels {
				if it.Related(r) {
					continue
				}
				rr, err := desk.RelateConfigItemWithResponse(ctx, it.ID, nil, r)
				if err := check("relate "+d.name, rr, err); err != nil {
					return CMDB{}, err
				}
			}
			continue
		}
		attrs := api.ItemAttributes{}
		for k, v := range d.attrs {
			attrs[k] = v
		}
		name, value, _ := strings.Cut(d.key, "=")
		attrs[name] = value
		in := api.ConfigItemInput{Class: d.class, Name: d.name, Attributes: attrs, Redundancy: d.redundancy, Consumers: d.consumers,
			ObjectOwner: d.owner, Relations: rels}
		if d.by != EnvDesk {
			in.Desk, in.Supplier = cast.Desk, suppliers[d.by]
		}
		r, err := people[d.by].CreateConfigItemWithResponse(ctx, in)
		if err := check("register the item "+d.name, r, err); err != nil {
			return CMDB{}, err
		}
		ids[d.ref] = r.JSON201.ID
	}
	out := CMDB{Items: len(estate), Service: ids["epost"], Server: ids["exch01"], Link: ids["telia"], Exchange: ids["exchange"]}
	var err error
	out.Change, err = plannedChange(ctx, cast, people, ids["telia"])
	return out, err
}

// cmdbRights grants the rights in the CMDB (CM-3, SD-13) to an
// organisation that has none, so that a database seeded before the demo
// had a CMDB gets them and one seeded with them gets no new event: the
// desk and both suppliers read, write and report (each supplier writing
// the items it is responsible for), the customer reads and reports.
func cmdbRights(ctx context.Context, admin *client.ClientWithResponses, cast *Cast) error {
	all := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	for org, acc := range map[itsm.ID][]api.Access{cast.Desk: all, cast.Network: all, cast.Workplace: all,
		cast.Customer: {api.AccessRead, api.AccessReport}} {
		p, err := admin.GetPermissionsWithResponse(ctx, org)
		if err := check("read the rights of "+org.String(), p, err); err != nil {
			return err
		}
		if len(p.JSON200.Cmdb) > 0 {
			continue
		}
		g, err := admin.GrantPermissionsWithResponse(ctx, org, api.Rights{Domain: itsm.DomainCMDB, Access: acc})
		if err := check("grant CMDB rights to "+org.String(), g, err); err != nil {
			return err
		}
	}
	return nil
}

// ChangeWindow returns the window of the demo's planned change as seeded
// at now: Tuesday of next week, from 22:00 to 02:00, in Zone.
func ChangeWindow(now time.Time) api.LocalWindow {
	n := now.In(Zone)
	monday := time.Date(n.Year(), n.Month(), n.Day()-(int(n.Weekday())+6)%7+7, 0, 0, 0, 0, Zone)
	tuesday := monday.AddDate(0, 0, 1)
	return api.LocalWindow{Start: tuesday.Format("2006-01-02") + "T22:00", End: tuesday.AddDate(0, 0, 1).Format("2006-01-02") + "T02:00",
		Zone: Zone.String()}
}

// plannedChange registers next week's change of the Telia link as the
// network supplier, which carries it out, and records the object owner's
// approval as the desk, unless a change of its title exists.
func plannedChange(ctx context.Context, cast *Cast, people map[string]*client.ClientWithResponses, link itsm.ID) (itsm.ID, error) {
	desk, nils := people[EnvDesk], people[EnvNetwork]
	l, err := desk.ListChangesWithResponse(ctx, &api.ListChangesParams{Limit: itsm.MaxLimit})
	if err := check("list the changes", l, err); err != nil {
		return itsm.ID{}, err
	}
	if i := slices.IndexFunc(l.JSON200.Items, func(ch api.Change) bool { return ch.Title == ChangeTitle }); i >= 0 {
		return l.JSON200.Items[i].ID, nil
	}
	c, err := nils.CreateChangeWithResponse(ctx, api.ChangeInput{Desk: cast.Desk, Title: ChangeTitle, Window: ChangeWindow(time.Now()),
		Items: []itsm.ID{link}, Effect: cmdb.ChangeEffectOutage, Texts: cmdb.Texts{
			SV: "Natten mot onsdag byter Nordnät utrustning på en av kommunens två internetförbindelser. E-post och skolplattformen fungerar, men kan vara långsamma mellan 22.00 och 02.00.",
			EN: "On Tuesday night Nordnät replaces equipment on one of the municipality's two internet links. E-mail and the school platform keep working, but may be slow between 22:00 and 02:00.",
		}})
	if err := check("register the change "+ChangeTitle, c, err); err != nil {
		return itsm.ID{}, err
	}
	a, err := desk.ApproveChangeWithResponse(ctx, c.JSON201.ID, nil, api.ChangeApproval{ObjectOwner: ObjectOwner})
	if err := check("approve the change "+ChangeTitle, a, err); err != nil {
		return itsm.ID{}, err
	}
	return c.JSON201.ID, nil
}
