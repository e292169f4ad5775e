// Package knowledge is the knowledge base (KM-1, KM-2, SP-4): FAQ entries,
// quick guides ("lathundar") and known-error articles, written in Markdown
// in Swedish, Norwegian or English and kept together with their
// translations; reviewed and published in versions, every published
// version kept; kept current by a review date; marked helpful by readers
// and linked to the incidents they resolved; and found by a search that
// understands how Swedes and Norwegians type (package knowledge/search).
//
// Who reads an article is its audience: everyone, the users of the
// customer(s), or the support chain only. Rights are per organisation in
// itsm.DomainKnowledge (read, write, report; KM-2, SD-13).
//
// The search index is a projection of the store's event log: rebuilt from
// the records when a Service starts, then kept current by following the
// log, including writes by other processes on the same database; see
// Service.IndexStatus and Service.Sync. Known errors the problem desk
// publishes (problem.KnownErrorPublished) become articles the same way.
package knowledge
