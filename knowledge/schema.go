package knowledge

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of
// type eventType, such as
// "https://spoc-itsm.github.io/schemas/knowledge.published.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each
// article and usefulness event, keyed by event type, as package problem's
// Schemas does: exactly what this version writes, every property listed,
// those without omitempty or omitzero required, no other allowed; kinds,
// languages, audiences and marks enumerated.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Map: schemaOfType, Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range Payloads() {
		values[p.Type()] = p
	}
	for _, p := range StatsPayloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

// enums lists the values of the string types that are closed sets.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[ArticleKind](): {KindFAQ, KindGuide, KindKnownError},
	reflect.TypeFor[Language]():    {Swedish, Bokmal, Nynorsk, English},
	reflect.TypeFor[Audience]():    {AudiencePublic, AudienceUsers, AudienceChain},
	reflect.TypeFor[Mark]():        {MarkHelpful, MarkUnhelpful},
}

// schemaOfType gives the schemas of the package's closed sets, beyond
// schema.Common's; each call returns a new one.
func schemaOfType(t reflect.Type) *jsonschema.Schema {
	if values, ok := enums[t]; ok {
		return &jsonschema.Schema{Type: "string", Enum: append([]any(nil), values...)}
	}
	return nil
}

var eventDocs = schema.EventDocs{
	"knowledge.created": {"Article created",
		"An agent of an organisation with write access to knowledge wrote a new article, or a translation of one into another language of its family, as a draft owned by its organisation (KM-1, KM-2); or the knowledge base made one from a published known error (known_error set). It is the first event of every article."},
	"knowledge.edited": {"Article edited",
		"The article's working copy is now the content given; a published or retired article became a draft of its next version while readers keep the current one."},
	"knowledge.submitted": {"Article submitted",
		"The draft was sent to review."},
	"knowledge.sent_back": {"Article sent back",
		"The article in review was returned to draft, with the reviewer's reason."},
	"knowledge.published": {"Article published",
		"The working copy became the version numbered, approved by the actor, which readers see from now on; its review comes due at review_by (KM-1)."},
	"knowledge.retired": {"Article retired",
		"The article was withdrawn, with a reason; its versions stay readable to its audience, shown as retired."},
	"knowledge.review_confirmed": {"Review confirmed",
		"The owner or the desk checked the article and it is still right; its next review is due at review_by (KM-1)."},
	"knowledge.handed_over": {"Article handed over",
		"The person named, of the owner organisation, keeps the article current from now on."},
	"knowledge.known_error_followed": {"Known error followed",
		"The article made from a known error now says what the known error said at the event numbered seq of the log; an event at or before it is not applied again."},
	"knowledge.marked": {"Article marked",
		"A reader marked the article helpful or not; one mark a reader, which a later mark changes. The reader is a digest, not the person."},
	"knowledge.used": {"Article used",
		"An agent of the desk or a supplier recorded that the article resolved the incident named at first contact."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By](): {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[Created](): {
		"Number":      "The article's master number.",
		"Family":      "The article its translations are kept with: the first article's ID, this one's own for a new article.",
		"Language":    "The language it is written in.",
		"Kind":        "What sort of knowledge it holds.",
		"Desk":        "The desk whose delivery it belongs to; its agents review and publish it.",
		"Owner":       "The organisation that keeps it current.",
		"OwnerPerson": "The person of the owner organisation who keeps it current.",
		"KnownError":  "The known error it is made from, if any; such an article changes only through its known error.",
	},
	reflect.TypeFor[Content](): {
		"Title":     "A one-line label.",
		"Body":      "Markdown, rendered to safe HTML on reading.",
		"Service":   "The service it is about, if any.",
		"Category":  "Its category, if any.",
		"Keywords":  "Words a search ranks as it ranks the title, each once.",
		"Audience":  "Who reads it once published: everyone, the users of the customers (and the chain), or the support chain only.",
		"Customers": "The customers whose users read it, for audience users; none means every customer of the desk.",
	},
	reflect.TypeFor[SentBack]():        {"Reason": "Why it went back to draft."},
	reflect.TypeFor[Retired]():         {"Reason": "Why it was withdrawn."},
	reflect.TypeFor[ReviewConfirmed](): {"ReviewBy": "When its next review is due."},
	reflect.TypeFor[HandedOver]():      {"Person": "The person of the owner organisation who keeps it current now."},
	reflect.TypeFor[KnownErrorFollowed](): {
		"Seq": "The sequence number of the known error's last event applied.",
	},
	reflect.TypeFor[Published](): {
		"Version":  "The number of the version published, from 1.",
		"Note":     "What changed, from the second version on.",
		"ReviewBy": "When its review comes due.",
	},
	reflect.TypeFor[Marked](): {
		"Organisation": "The reader's organisation.",
		"Reader":       "A digest of the reader's organisation and person: one mark a reader, without naming them.",
		"Helpful":      "Whether the reader found it helpful.",
		"Was":          "The reader's mark before, if any.",
	},
	reflect.TypeFor[Used](): {
		"Incident":       "The incident the article resolved.",
		"IncidentNumber": "Its master number.",
	},
}
