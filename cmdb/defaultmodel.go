package cmdb

// DefaultModel returns the model of a municipality's CMDB, the one a
// Config without a Model gets: business services that applications,
// databases and clusters serve; servers and network devices on sites,
// clusters of them as redundancy groups (a pair of internet links
// included); workstations, phones and their subscriptions. It is a
// starting point to copy into a deployment's own model file, not a
// standard: each call returns a new copy.
func DefaultModel() Model {
	hostName := Attribute{Name: "host_name", Label: "Host name", Type: TypeText}
	serial := Attribute{Name: "serial_number", Label: "Serial number", Type: TypeText}
	ip := Attribute{Name: "ip_address", Label: "IP address", Type: TypeIP}
	model := Attribute{Name: "model", Label: "Model", Type: TypeText}
	environment := Attribute{Name: "environment", Label: "Environment", Type: TypeEnum, Values: []string{"production", "test", "development"}}
	purchased := Attribute{Name: "purchased", Label: "Purchased", Type: TypeDate}
	code := Attribute{Name: "code", Label: "Code", Type: TypeText}
	all := []string(nil) // any class
	return Model{
		Classes: []Class{
			{Name: "business_service", Label: "Business service", Service: true,
				Attributes: []Attribute{code,
					{Name: "criticality", Label: "Criticality", Type: TypeEnum, Values: []string{"low", "medium", "high", "critical"}},
					{Name: "opening_hours", Label: "Opening hours", Type: TypeText}},
				Keys: [][]string{{"code"}},
				Relations: []Allowed{
					{Type: "depends_on", To: []string{"business_service", "application", "database", "cluster", "server", "network_link", "subscription"}},
					{Type: "uses", To: all},
				}},
			{Name: "application", Label: "Application",
				Attributes: []Attribute{code, {Name: "vendor", Label: "Vendor", Type: TypeText},
					{Name: "version", Label: "Version", Type: TypeText}, environment},
				Keys: [][]string{{"code"}},
				Relations: []Allowed{
					{Type: "depends_on", To: []string{"application", "database", "cluster", "server", "network_device", "network_link"}},
					{Type: "runs_on", To: []string{"server", "cluster"}},
					{Type: "uses", To: all},
				}},
			{Name: "database", Label: "Database",
				Attributes: []Attribute{{Name: "instance", Label: "Instance", Type: TypeText, Required: true},
					{Name: "engine", Label: "Engine", Type: TypeEnum, Values: []string{"postgresql", "sql_server", "oracle", "mysql", "mariadb"}},
					{Name: "version", Label: "Version", Type: TypeText}, environment},
				Keys: [][]string{{"instance"}},
				Relations: []Allowed{
					{Type: "runs_on", To: []string{"server", "cluster"}},
					{Type: "depends_on", To: []string{"database", "server", "cluster"}},
				}},
			{Name: "server", Label: "Server",
				Attributes: []Attribute{{Name: "host_name", Label: "Host name", Type: TypeText, Required: true}, serial, ip,
					{Name: "operating_system", Label: "Operating system", Type: TypeText},
					{Name: "cpus", Label: "CPUs", Type: TypeInteger},
					{Name: "memory_gb", Label: "Memory (GB)", Type: TypeDecimal},
					{Name: "virtual", Label: "Virtual", Type: TypeBoolean}, environment, purchased},
				Keys: [][]string{{"host_name"}, {"serial_number"}},
				Relations: []Allowed{
					{Type: "runs_on", To: []string{"server", "cluster"}},
					{Type: "member_of", To: []string{"cluster"}},
					{Type: "depends_on", To: []string{"network_device", "network_link", "cluster"}},
					{Type: "connected_to", To: []string{"network_device"}},
					{Type: "located_at", To: []string{"site"}},
				}},
			{Name: "cluster", Label: "Cluster", Group: true,
				Attributes: []Attribute{hostName, {Name: "purpose", Label: "Purpose", Type: TypeText}},
				Keys:       [][]string{{"host_name"}},
				Relations: []Allowed{
					// A group's failures come from its members only: they, not
					// the group, depend on the network and stand on a site.
					{Type: "member_of", To: []string{"cluster"}},
				}},
			{Name: "network_device", Label: "Network device",
				Attributes: []Attribute{hostName, serial, ip, model,
					{Name: "device_type", Label: "Device type", Type: TypeEnum, Values: []string{"switch", "router", "firewall", "access_point", "load_balancer"}}},
				Keys: [][]string{{"serial_number"}, {"host_name"}},
				Relations: []Allowed{
					{Type: "connected_to", To: []string{"network_device", "network_link"}},
					{Type: "member_of", To: []string{"cluster"}},
					{Type: "depends_on", To: []string{"network_device", "network_link", "cluster"}},
					{Type: "located_at", To: []string{"site"}},
				}},
			{Name: "network_link", Label: "Network link",
				Attributes: []Attribute{{Name: "circuit_id", Label: "Circuit ID", Type: TypeText, Required: true},
					{Name: "provider", Label: "Provider", Type: TypeText},
					{Name: "bandwidth_mbps", Label: "Bandwidth (Mbit/s)", Type: TypeInteger}},
				Keys: [][]string{{"circuit_id"}},
				Relations: []Allowed{
					{Type: "member_of", To: []string{"cluster"}},
					{Type: "connected_to", To: []string{"network_device"}},
				}},
			{Name: "site", Label: "Site",
				Attributes: []Attribute{{Name: "site_code", Label: "Site code", Type: TypeText, Required: true},
					{Name: "address", Label: "Address", Type: TypeText}},
				Keys: [][]string{{"site_code"}},
				Relations: []Allowed{
					{Type: "contains", To: []string{"server", "network_device", "workstation", "phone"}},
					{Type: "depends_on", To: []string{"network_link", "cluster"}},
				}},
			{Name: "workstation", Label: "Workstation",
				Attributes: []Attribute{{Name: "asset_tag", Label: "Asset tag", Type: TypeText}, serial, model,
					{Name: "user", Label: "User", Type: TypeText}, purchased},
				Keys: [][]string{{"asset_tag"}, {"serial_number"}},
				Relations: []Allowed{
					{Type: "connected_to", To: []string{"network_device"}},
					{Type: "uses", To: []string{"application", "business_service", "subscription"}},
					{Type: "located_at", To: []string{"site"}},
				}},
			{Name: "phone", Label: "Phone",
				Attributes: []Attribute{{Name: "imei", Label: "IMEI", Type: TypeText}, model,
					{Name: "user", Label: "User", Type: TypeText}},
				Keys: [][]string{{"imei"}},
				Relations: []Allowed{
					{Type: "depends_on", To: []string{"subscription"}},
					{Type: "uses", To: []string{"application", "business_service"}},
				}},
			{Name: "subscription", Label: "Subscription",
				Attributes: []Attribute{{Name: "phone_number", Label: "Phone number", Type: TypeText},
					{Name: "operator", Label: "Operator", Type: TypeText},
					{Name: "plan", Label: "Plan", Type: TypeText}},
				Keys: [][]string{{"phone_number"}},
				Relations: []Allowed{
					{Type: "depends_on", To: []string{"network_link", "business_service"}},
				}},
		},
		RelationTypes: []RelationType{
			{Name: "depends_on", Label: "depends on", Inverse: "used by", Propagation: ToSource, Effect: EffectFull},
			{Name: "runs_on", Label: "runs on", Inverse: "runs", Propagation: ToSource, Effect: EffectFull},
			{Name: "member_of", Label: "member of", Inverse: "has member", Propagation: ToTarget, Effect: EffectFull},
			{Name: "contains", Label: "contains", Inverse: "contained in", Propagation: ToTarget, Effect: EffectFull},
			{Name: "located_at", Label: "located at", Inverse: "location of", Propagation: ToSource, Effect: EffectFull},
			{Name: "connected_to", Label: "connected to", Inverse: "connection of", Propagation: ToSource, Effect: EffectWeaken},
			{Name: "uses", Label: "uses", Inverse: "used by", Propagation: ToSource, Effect: EffectWeaken},
		},
	}
}
