package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// Generated articles: each is about one topic of a municipal service
// desk, in Swedish or Norwegian, written with that topic's words (in the
// forms articles use) among the common words of the language, so that a
// topic word is in a tenth of the articles, as in a real collection,
// rather than in all of them.
var benchTopics = map[string][][]string{
	"sv": {
		strings.Fields("lösenord lösenordet lösenorden lösenordsbyte byta byter glömt återställa"),
		strings.Fields("skrivare skrivaren skrivarna nätverksskrivare utskrift skriva toner papper"),
		strings.Fields("vpn vpn-klienten hemifrån distans ansluta anslutning uppkoppling"),
		strings.Fields("e-post e-posten e-postadress inkorg bilaga skräppost mejlet outlook"),
		strings.Fields("telefon telefonen mobilen mobiltelefon samtal växel röstbrevlåda sms"),
		strings.Fields("konto kontot kontona behörighet användarnamn inloggning inloggningen spärrad"),
		strings.Fields("skolplattformen elev elever lärare vårdnadshavare schema betyg"),
		strings.Fields("nätverk nätverket wifi trådlöst router uppkopplingen kabel"),
		strings.Fields("dator datorn datorer skärm skärmen laddare dockningsstation tangentbord"),
		strings.Fields("möte mötet videomöte kalender kalendern teams kamera mikrofon"),
	},
	"nb": {
		strings.Fields("passord passordet passordene bytte glemt tilbakestille"),
		strings.Fields("skriver skriveren skriverne nettverksskriver utskrift toner papir"),
		strings.Fields("vpn hjemmefra hjemmekontor tilkobling koble"),
		strings.Fields("e-post innboks vedlegg søppelpost outlook"),
		strings.Fields("telefon mobilen mobiltelefon samtale sentralbord sms"),
		strings.Fields("konto kontoen tilgang brukernavn pålogging påloggingen sperret"),
		strings.Fields("læringsplattform elev elevene lærer foresatte timeplan"),
		strings.Fields("nettverk nettverket wifi trådløst ruter kabel"),
		strings.Fields("datamaskin datamaskinen pc-en skjerm skjermen lader tastatur"),
		strings.Fields("møte møtet videomøte kalender teams kamera mikrofon"),
	},
}

var benchCommon = map[string][]string{
	"sv": strings.Fields(`och att du ditt din kan inte om när på i för med till efter så det här är måste
		starta omstart fungerar fungerade felet problemet ärende ärendet servicedesk kontakta beställa
		sidan knappen menyn välj klicka öppna stäng spara inställningar installera uppdatera version
		program licens fil filen mapp dokument kontoret hemma arbetsplats chef personal kommunen
		förvaltning tjänst tjänsten tid dag vecka minuter vänta igen först sedan därefter också alltid
		ibland ofta snabbt enkelt viktigt nytt gammalt rätt fel hjälp guide steg instruktion bilden`),
	"nb": strings.Fields(`og at du ditt din kan ikke om når på i for med til etter så det her er må
		starte omstart fungerer virker feil feilen problemet saken brukerstøtte kontakte bestille
		siden knappen menyen velg klikk åpne lukk lagre innstillinger installere oppdatere versjon
		program lisens fil filen mappe dokument kontoret hjemme arbeidsplass leder ansatte kommunen
		etaten tjeneste tjenesten tid dag uke minutter vent igjen først deretter også alltid
		noen ganger ofte raskt enkelt viktig nytt gammelt riktig hjelp veiledning trinn bildet`),
}

func benchDoc(r *rand.Rand, i int) Document {
	lang := "sv"
	if i%3 == 0 {
		lang = "nb"
	}
	topics, common := benchTopics[lang], benchCommon[lang]
	topic := topics[r.IntN(len(topics))]
	pick := func(n int) string {
		var b strings.Builder
		for j := range n {
			if j > 0 {
				b.WriteByte(' ')
			}
			if r.IntN(5) == 0 {
				b.WriteString(topic[r.IntN(len(topic))])
			} else {
				b.WriteString(common[r.IntN(len(common))])
			}
		}
		return b.String()
	}
	vis := []string{"public"}
	switch i % 5 {
	case 1:
		vis = []string{fmt.Sprintf("users:c%d", i%7)}
	case 2:
		vis = []string{"chain:desk"}
	}
	return Document{
		ID:        fmt.Sprintf("article-%05d-%s", i, lang),
		Language:  lang,
		Title:     topic[r.IntN(len(topic))] + " " + pick(2+r.IntN(4)),
		Keywords:  []string{topic[r.IntN(len(topic))], topic[r.IntN(len(topic))]},
		Body:      pick(80 + r.IntN(160)),
		Kind:      []string{"faq", "guide", "known_error"}[i%3],
		Service:   fmt.Sprintf("service-%d", i%12),
		Visible:   vis,
		Retired:   i%17 == 0,
		Helpful:   r.IntN(30),
		Unhelpful: r.IntN(10),
	}
}

func benchDocs(n int) []Document {
	r := rand.New(rand.NewPCG(17, 1))
	docs := make([]Document, n)
	for i := range docs {
		docs[i] = benchDoc(r, i)
	}
	return docs
}

// benchSize is 10,000 articles, or 500 under -short (CI runs every
// benchmark once with -short).
func benchSize() int {
	if testing.Short() {
		return 500
	}
	return 10_000
}

const rebuildBatch = 500

func build(tb testing.TB, ix *Index, docs []Document) {
	for i := 0; i < len(docs); i += rebuildBatch {
		if err := ix.Put(docs[i:min(len(docs), i+rebuildBatch)]...); err != nil {
			tb.Fatal(err)
		}
	}
}

var (
	benchOnce sync.Once
	benchIx   *Index
)

func sharedIndex(b *testing.B) *Index {
	benchOnce.Do(func() {
		ix, err := New()
		if err != nil {
			b.Fatal(err)
		}
		build(b, ix, benchDocs(benchSize()))
		ix.wg.Wait() // the compaction the batches started
		benchIx = ix
	})
	return benchIx
}

// benchQueries are what users type: every kind the analysis serves.
var benchQueries = map[string][]string{
	"exact":      {"lösenord", "skrivare", "vpn", "passord", "konto"},
	"inflected":  {"lösenordet", "skrivarna", "datorn", "passordene", "nettverket"},
	"compound":   {"lösenordsbyte", "nätverksskrivare", "nettverksskriver", "videomöte", "kortläsaren"},
	"folded":     {"losenord", "natverk", "skarmen", "mote", "palogging"},
	"typo":       {"skrivre", "losenrod", "datron", "pasord", "nätvrek"},
	"prefix":     {"lösen", "skriv", "nätverks", "pålog", "inlog"},
	"colloquial": {"datorn är seg", "skrivaren funkar inte", "kommer inte in på kontot", "får ikke logget inn", "mobilen virker ikke"},
}

// percentile returns the p-th percentile of the durations (sorted in place).
func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func latencies(b *testing.B, n int, f func(i int)) []time.Duration {
	d := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		f(i)
		d = append(d, time.Since(start))
	}
	return d
}

// BenchmarkSearch measures the latency of searches of each kind, as the
// 99th percentile over b.N searches, against the baseline of a plain
// single-term bleve search of the same index measured in the same run
// (the least any search of it can cost).
func BenchmarkSearch(b *testing.B) {
	ix := sharedIndex(b)
	ctx := context.Background()
	viewer := []string{"public", "users:c3"}
	baseline := func(n int) time.Duration {
		return percentile(latencies(b, n, func(i int) {
			q := bleve.NewTermQuery(stem(fold([]string{"losenord", "skriv", "vpn", "passord", "konto"}[i%5])))
			q.SetField(fBody)
			if _, err := ix.bleve.Search(bleve.NewSearchRequest(q)); err != nil {
				b.Fatal(err)
			}
		}), 0.99)
	}
	kinds := []string{"exact", "inflected", "compound", "folded", "typo", "prefix", "colloquial", "all"}
	for _, kind := range kinds {
		qs := benchQueries[kind]
		if kind == "all" {
			qs = nil
			for _, k := range kinds[:len(kinds)-1] {
				qs = append(qs, benchQueries[k]...)
			}
		}
		b.Run(kind, func(b *testing.B) {
			base := baseline(max(b.N, 100))
			b.ResetTimer()
			d := latencies(b, b.N, func(i int) {
				if _, err := ix.Search(ctx, Query{Text: qs[i%len(qs)], Language: "sv", Viewer: viewer}); err != nil {
					b.Fatal(err)
				}
			})
			p99 := percentile(d, 0.99)
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(base.Microseconds())/1000, "baseline-p99-ms")
			b.ReportMetric(float64(p99)/float64(base), "p99/baseline")
		})
	}
}

// BenchmarkEditSearchable measures an edit (Put of a changed article)
// until a search finds its new text, against the baseline of a search
// alone.
func BenchmarkEditSearchable(b *testing.B) {
	ix := sharedIndex(b)
	ctx := context.Background()
	docs := benchDocs(50)
	var search time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := docs[i%len(docs)]
		word := fmt.Sprintf("zebra%dx", i)
		d.Body += " " + word
		if err := ix.Put(d); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := ix.Search(ctx, Query{Text: word + " ", Viewer: d.Visible})
		search += time.Since(start)
		if err != nil || len(res.Hits) == 0 || res.Hits[0].ID != d.ID {
			b.Fatalf("edit %d not searchable: %v %+v", i, err, res)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/edit")
	b.ReportMetric(float64(b.Elapsed())/float64(search), "edit/search")
}

// BenchmarkRebuild builds an index of all articles from scratch, in
// batches of 500 as the knowledge package rebuilds it from the store, on
// scorch in memory (the engine chosen) and on upsidedown over gtreap
// (bleve's NewMemOnly), against the baseline of analysing the same
// articles without indexing them.
func BenchmarkRebuild(b *testing.B) {
	docs := benchDocs(benchSize())
	var analysis time.Duration
	{
		start := time.Now()
		an := nordicAnalyzer{}
		for _, d := range docs {
			an.Analyze([]byte(d.Title))
			an.Analyze([]byte(d.Body))
		}
		analysis = time.Since(start)
	}
	for _, engine := range []string{"scorch", "upsidedown"} {
		b.Run(engine, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ix, err := newIndexUsing(engine)
				if err != nil {
					b.Fatal(err)
				}
				build(b, ix, docs)
				ix.Close()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/rebuild")
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(analysis), "rebuild/analysis")
		})
	}
}

// BenchmarkEngines compares the search latency of the two in-memory
// engines bleve offers, over the same articles and queries.
func BenchmarkEngines(b *testing.B) {
	docs := benchDocs(benchSize())
	var qs []string
	for _, k := range []string{"exact", "inflected", "compound", "folded", "typo", "prefix", "colloquial"} {
		qs = append(qs, benchQueries[k]...)
	}
	for _, engine := range []string{"scorch", "upsidedown"} {
		ix, err := newIndexUsing(engine)
		if err != nil {
			b.Fatal(err)
		}
		build(b, ix, docs)
		b.Run(engine, func(b *testing.B) {
			d := latencies(b, b.N, func(i int) {
				if _, err := ix.Search(context.Background(), Query{Text: qs[i%len(qs)], Viewer: []string{"public"}}); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(percentile(d, 0.99).Microseconds())/1000, "p99-ms")
		})
		ix.Close()
	}
}

// BenchmarkSearchAfterEdits measures what compaction saves: the p99 of
// the mixed searches of BenchmarkSearch on an index built in one batch
// and then edited article by article (each edit, like each helpfulness
// mark, a Put of one document: a segment), before and after compacting
// it, and how long the compaction's build and swap took.
func BenchmarkSearchAfterEdits(b *testing.B) {
	ix, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ix.maxSegments = 0 // compact only when told
	docs := benchDocs(benchSize())
	if err := ix.Put(docs...); err != nil {
		b.Fatal(err)
	}
	edits := 200
	for i := range edits {
		d := docs[i*len(docs)/edits]
		d.Helpful++
		if err := ix.Put(d); err != nil {
			b.Fatal(err)
		}
	}
	var qs []string
	for _, k := range []string{"exact", "inflected", "compound", "folded", "typo", "prefix", "colloquial"} {
		qs = append(qs, benchQueries[k]...)
	}
	ctx := context.Background()
	viewer := []string{"public", "users:c3"}
	p99 := func() time.Duration {
		return percentile(latencies(b, b.N, func(i int) {
			if _, err := ix.Search(ctx, Query{Text: qs[i%len(qs)], Language: "sv", Viewer: viewer}); err != nil {
				b.Fatal(err)
			}
		}), 0.99)
	}
	ix.mu.RLock()
	segs := ix.segmentCount()
	ix.mu.RUnlock()
	b.ResetTimer()
	before := p99()
	start := time.Now()
	if err := ix.compact(); err != nil {
		b.Fatal(err)
	}
	compaction := time.Since(start)
	after := p99()
	b.ReportMetric(float64(segs), "segments-before")
	b.ReportMetric(float64(before.Microseconds())/1000, "p99-ms-before")
	b.ReportMetric(float64(after.Microseconds())/1000, "p99-ms-after")
	b.ReportMetric(float64(before)/float64(after), "before/after")
	b.ReportMetric(compaction.Seconds(), "compaction-s")
}
