// Package cmdb is the configuration management database (CM-1, CM-2):
// the configuration items of each desk's delivery, of the classes a
// deployment declares as data (Model: business services, applications,
// servers, clusters, network, workstations, phones, subscriptions...),
// each with its attributes, unique keys and the relations its items may
// have; items with a lifecycle (planned, production, maintenance,
// retired), the supplier responsible for them and the customer's object
// owner; and every change to an item an event, so that the CMDB answers
// what an item looked like on any date (ItemAt, History).
//
// Relations are typed and directed (depends on / used by, runs on /
// runs, member of / has member...); each type says which way a failure
// travels along it and whether it arrives whole or weakened. Items of a
// Group class are redundancy groups: a cluster stays up while at least
// Min (or Percent) of its members are. Impact turns items that failed
// into the business services, other items, units and users hurt, each
// with the path that explains it, on an in-memory graph (package
// cmdb/impact) kept as a projection of the event log: built from the
// records when a Service starts, then following the log, other
// processes' writes included (GraphStatus, Sync).
//
// Rights are per organisation in itsm.DomainCMDB (SD-13, CM-3): the desk
// reads and writes its items; suppliers and customers that work with the
// desk read them; a supplier writes the items it is responsible for.
// Incidents, problems and requests check the items they name through
// CheckItems and Responsible, in their own transactions (IM-6).
//
// Planned changes and unplanned outages (CH-1) are records of their own
// (Change, kind cmdb.change): a window given on a zone's wall clocks, the
// items touched, the effect expected, texts for users, the object
// owner's approval and states from draft to completed. Their impact is
// analysed when read; Schedule is the desk's weekly forward schedule,
// with collisions flagged, and Outages what users are told.
package cmdb
