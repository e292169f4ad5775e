// Package search is the full-text index of knowledge articles (SP-4): an
// in-memory bleve index (scorch, kept in memory) of one Document per
// article translation, with our own analysis of Swedish, Norwegian
// (Bokmål and Nynorsk) and English on top. It knows nothing of stores:
// the knowledge package feeds it from records and rebuilds it from them,
// so it behaves the same on every backend.
//
// # Analysis
//
// Documents and queries go through the same steps, word by word, so the
// two sides agree term for term:
//
//  1. Words are split at Unicode word boundaries (bleve's tokenizer).
//  2. fold lower-cases a word and writes it as a keyboard without Nordic
//     letters would: å, ä, æ become a; ö, ø become o; other accents go;
//     the digraphs typed instead (aa, ae, oe) collapse when typed as plain
//     letters, so "tromso", "tromsoe" and "Tromsø" meet, and "aerlig"
//     meets "ærlig", while "køen" keeps its ending (koen, not kon).
//  3. Stop words (stopwords.txt: function words only; Swedish "seg" is
//     not one) are dropped.
//  4. stem strips inflectional endings in stages (genitive -s; a definite
//     ending; a plural, verb or adjective ending; a final vowel), at most
//     one of each, with a minimum stem length; the single-letter -n and
//     -t of definite forms (kontot, datorn, kameran) are stripped only when
//     what remains is a word of the lexicon. Every form of a word reaches
//     one stem: lösenord/lösenordet/lösenorden, skrivare/skrivaren/
//     skrivarna, passord/passordet/passordene.
//  5. compound splits a word into lexicon words: the head in any
//     inflected form, before it lexicon words joined by a linking s or
//     vowel (lösenord-s-byte, tjänst-e-kort). The word is indexed as its
//     own stem and as its parts' stems at the same position, so a
//     compound finds and is found by its parts. lexicon.txt is the
//     built-in lexicon (docs/decisions.md explains why it is not the
//     index's vocabulary).
//
// # Queries
//
// A query's words each match by their stem, by their compound parts (a
// document with more of them ranks higher), by a misspelling within one
// or two edits of an indexed term (only for words no document holds,
// ranked lower), and the last word also by completion (type-ahead). A
// word no document holds is also read against the index's own terms
// (split.go): split into parts the index holds, joined directly or by a
// linking letter (molnsynk: moln + synk; møteromsbooking: møterom-s-
// booking), each part an inflected form, an action noun in -ning or -ing
// read as its verb (kalenderdelning: dela kalender), a stem whose last e
// the inflection dropped (föräldra-: förälder) or a particle verb's noun
// without its particle (uppkoppling: koppla upp); two words written apart
// that the index holds as one (lønns slipp) match it. Documents are never
// analysed by the index's terms, so a document's terms never depend on
// the others'. Phrases of synonyms.txt (colloquial wording such as
// "datorn är seg", "funkar inte") add their group's other members,
// ranked lower. A word in the title or keywords (one field) weighs more
// than in the body. The text score is then multiplied by the reader's
// language, whether the document is current (retired ones rank low) and
// its helpfulness marks. Visible against Viewer, and Kind, Service and
// Category, are filters, never a ranking: a document the viewer may not
// see is never a hit, a snippet or a count in Total.
//
// Titles and snippets are highlighted from the text the index keeps
// beside bleve (highlight.go): HTML-escaped, and each word one of whose
// terms the query asked for marked with <mark>; the snippet is the
// fragment of the body with the most marked words.
//
// # Compaction
//
// Scorch kept in memory applies each Put or Delete as a segment of its
// own and never merges them (its merger runs only for an index on disk),
// and every search reads every segment. When the index holds more than
// 16 segments, a Put or Delete starts a compaction (compact.go): a fresh
// index of the documents the Index keeps is built in the background as
// one batch, while searches, Puts and Deletes go on against the old one;
// the documents changed meanwhile are then indexed into it again as they
// are now, and it replaces the old one under the lock searches take, so
// no change is lost and no search waits for the build. A compaction
// starts no sooner than ten times the last one's build time after it.
package search
