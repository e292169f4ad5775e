package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// Titles of some of the demo's articles, for the walkthrough and tests.
const (
	// PasswordTitle is the desk's quick guide to changing a password,
	// public, with its Norwegian translation (PasswordTitleNB).
	PasswordTitle   = "Byt lösenord"
	PasswordTitleNB = "Bytt passord"
	// ChainTitle is the network supplier's guide for the support chain
	// only: no customer finds it.
	ChainTitle = "Byt VPN-certifikatet på brandväggen"
	// RetiredTitle is the article the desk retired.
	RetiredTitle = "Läs e-post i Outlook Web Access"
	// PastReviewTitle is the guide published fourteen months ago and
	// never reviewed since, so that it is past its review date (KM-1); it
	// is seeded with the history only (SeedWithPast).
	PastReviewTitle = "Installera drivrutinen för Ricoh-skrivarna"
)

// demoArticle is one article the demo writes, and its translation if any.
type demoArticle struct {
	by       string // the token's Env of its author, who publishes it too
	kind     knowledge.ArticleKind
	lang     knowledge.Language
	audience knowledge.Audience
	service  string
	title    string
	body     string
	keywords []string
	// nbTitle and nbBody, if set, are its Norwegian translation.
	nbTitle, nbBody string
	// retire is the reason the desk retires it with, if any.
	retire string
}

// articles are the demo's knowledge base: the everyday topics of a
// municipal service desk, in Swedish with a few Norwegian translations
// and one Norwegian original.
var articles = []demoArticle{
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Konton",
		title: PasswordTitle, keywords: []string{"lösenord", "lösenordsbyte", "konto"},
		body:    "Byt lösenordet till ditt konto i kommunen så här.\n\n## Byt lösenord på datorn\n\n1. Tryck **Ctrl+Alt+Delete** och välj *Byt lösenord*.\n2. Skriv det gamla lösenordet och sedan det nya två gånger.\n3. Lås datorn och logga in med det nya lösenordet.\n\nLösenordet ska ha minst 12 tecken. Det nya lösenordet gäller genast i e-post, VPN och skolplattformen.\n",
		nbTitle: PasswordTitleNB,
		nbBody:  "Slik bytter du passordet til kontoen din i kommunen.\n\n## Bytt passord på PC-en\n\n1. Trykk **Ctrl+Alt+Delete** og velg *Bytt passord*.\n2. Skriv det gamle passordet og deretter det nye to ganger.\n\nPassordet må ha minst 12 tegn.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Konton",
		title: "Jag har glömt mitt lösenord", keywords: []string{"glömt lösenord", "återställa"},
		body: "Beställ *Återställ lösenord* i tjänstekatalogen och svara på dina kontrollfrågor, så får du ett tillfälligt lösenord via sms. Har du inga kontrollfrågor, ring servicedesken på 010-123 45 00.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Konton",
		title: "Kontot är låst efter för många inloggningsförsök", keywords: []string{"låst konto", "inloggning"},
		body: "Kontot låses i 15 minuter efter fem felaktiga lösenord. Vänta och försök igen, eller ring servicedesken om du behöver komma in direkt. Kontrollera att Caps Lock inte är på.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Konton",
		title: "Ny medarbetare: konto och behörigheter", keywords: []string{"nyanställd", "behörighet"},
		body: "Chefen beställer *Nytt användarkonto* i tjänstekatalogen senast fem arbetsdagar före första dagen. Kontot, e-posten och behörigheterna till verksamhetssystemen är klara första dagen; lösenordet hämtas hos servicedesken med legitimation.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Konton",
		title: "Tvåstegsverifiering med Authenticator-appen", keywords: []string{"MFA", "tvåfaktor", "Authenticator"},
		body: "1. Installera Microsoft Authenticator på mobilen.\n2. Gå till mysignins.microsoft.com och välj *Lägg till inloggningsmetod*.\n3. Skanna QR-koden med appen.\n\nByter du mobil, flytta kontona i appen innan du lämnar tillbaka den gamla.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Utskrift",
		title: "Lägg till en nätverksskrivare", keywords: []string{"skrivare", "nätverksskrivare", "utskrift"},
		body:    "1. Öppna *Inställningar > Skrivare och skannrar*.\n2. Välj *Lägg till enhet* och sök på skrivarens namn, som står på lappen på skrivaren (till exempel PRN-RH-2-04).\n3. Välj skrivaren och vänta tills drivrutinen är installerad.\n",
		nbTitle: "Legg til en nettverksskriver",
		nbBody:  "1. Åpne *Innstillinger > Skrivere og skannere*.\n2. Velg *Legg til enhet* og søk på skriverens navn, som står på lappen på skriveren.\n3. Velg skriveren og vent til driveren er installert.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Utskrift",
		title: "Skrivaren skriver inte ut", keywords: []string{"skrivare", "utskriftskö"},
		body: "Kontrollera att skrivaren är på, har papper och inte visar något fel i displayen. Öppna utskriftskön och ta bort dokument som fastnat. Hjälper inte det, starta om datorn och skriv ut igen innan du ringer servicedesken.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Nätverk",
		title: "Anslut till VPN hemifrån", keywords: []string{"VPN", "distansarbete", "hemarbete"},
		body:    "1. Starta *GlobalProtect* från startmenyn.\n2. Ange portalen vpn.exempelstad.se och logga in med ditt konto och tvåstegsverifiering.\n3. När ikonen blir grön når du kommunens system.\n\nVPN behövs inte för e-post och Teams.\n",
		nbTitle: "Koble til VPN hjemmefra",
		nbBody:  "1. Start *GlobalProtect* fra startmenyen.\n2. Skriv inn portalen vpn.exempelstad.se og logg inn med kontoen din.\n3. Når ikonet blir grønt, når du kommunens systemer.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Nätverk",
		title: "VPN-klienten säger att certifikatet har gått ut", keywords: []string{"VPN", "certifikat"},
		body: "Datorns certifikat förnyas när datorn är ansluten till kommunens nätverk. Anslut datorn med kabel på kontoret en gång, starta om den, och försök sedan med VPN igen hemifrån.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Nätverk",
		title: "Trådlöst nätverk för gäster", keywords: []string{"wifi", "gästnät"},
		body: "Gäster ansluter till nätet *Exempelstad-Gäst*. Koden byts varje måndag och finns i receptionen. Gästnätet når internet men inte kommunens system.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "E-post",
		title: "Lägg till e-posten i mobilen", keywords: []string{"e-post", "mobil", "Outlook"},
		body:    "Installera appen *Outlook* från App Store eller Google Play, logga in med din e-postadress och godkänn i Authenticator. Använd inte telefonens inbyggda e-postapp.\n",
		nbTitle: "Sett opp e-post på mobilen",
		nbBody:  "Installer appen *Outlook* fra App Store eller Google Play, logg inn med e-postadressen din og godkjenn i Authenticator.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "E-post",
		title: "Mejl fastnar i utkorgen i Outlook", keywords: []string{"e-post", "utkorg", "bilaga"},
		body: "Oftast är bilagan för stor: gränsen är 25 MB. Ta bort mejlet ur utkorgen, dela filen från OneDrive i stället och skicka en länk.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudienceUsers, service: "Telefoni",
		title: "Vidarekoppla din mobiltelefon", keywords: []string{"vidarekoppling", "mobiltelefon", "telefoni"},
		body: "Slå **21*nummer#** och tryck på ring för att koppla alla samtal vidare. Slå **##21#** för att ta bort vidarekopplingen. I växelns app kan du i stället sätta hänvisning till lunch eller möte.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Telefoni",
		title: "Beställ en ny mobiltelefon", keywords: []string{"mobiltelefon", "beställning"},
		body: "Chefen beställer *Mobiltelefon* i tjänstekatalogen och godkänner beställningen. Telefonen levereras till servicedesken inom fem arbetsdagar; den gamla lämnas tillbaka samtidigt.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "Skolplattformen",
		title: "Logga in på skolplattformen", keywords: []string{"skolplattformen", "elev", "vårdnadshavare"},
		body: "Elever och personal loggar in med sitt kommunkonto. Vårdnadshavare loggar in med BankID. Har eleven glömt lösenordet återställer läraren det i plattformens administration.\n"},
	{by: EnvDesk, kind: knowledge.KindFAQ, lang: knowledge.Bokmal, audience: knowledge.AudienceUsers, service: "Skolplattformen",
		title: "Elever får ikke logget inn på skoleplattformen", keywords: []string{"skoleplattform", "elev", "innlogging"},
		body: "Sjekk at eleven bruker brukernavnet sitt og ikke e-postadressen. Får eleven fortsatt ikke logget inn, kan læreren tilbakestille passordet i administrasjonen. Gjelder det hele klassen, meld feil til servicedesken.\n"},
	{by: EnvNetwork, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudienceChain, service: "Nätverk",
		title: ChainTitle, keywords: []string{"VPN", "certifikat", "brandvägg"},
		body: "För kedjan: certifikatet för vpn.exempelstad.se byts i brandväggens konsol under *Device > Certificates* senast 30 dagar före utgång. Importera den nya kedjan, byt portalens profil och verifiera med en testklient innan det gamla tas bort.\n"},
	{by: EnvDesk, kind: knowledge.KindGuide, lang: knowledge.Swedish, audience: knowledge.AudiencePublic, service: "E-post",
		title: RetiredTitle, keywords: []string{"webbmail", "OWA"},
		body:   "Gå till webmail.exempelstad.se och logga in med ditt konto.\n",
		retire: "Outlook Web Access är avvecklat; använd Outlook på webben (outlook.office.com)."},
}

// knowledgeBase seeds the demo's knowledge base through the API: each
// article written, submitted and published by its author (the desk, or the
// network supplier for its chain-only guide), the translations kept with
// their originals, and one retired. The desk published the known error of
// the demo's problem (problems), which the knowledge base makes an article
// of by itself.
func knowledgeBase(ctx context.Context, cast *Cast, people map[string]*client.ClientWithResponses) error {
	for _, a := range articles {
		cl := people[a.by]
		d := api.ArticleDraft{Kind: a.kind, Language: a.lang, Title: a.title, Body: a.body, Service: a.service,
			Keywords: a.keywords, Audience: a.audience}
		if a.by != EnvDesk {
			d.Desk = cast.Desk
		}
		r, err := cl.CreateArticleWithResponse(ctx, d)
		if err := check("write the article "+a.title, r, err); err != nil {
			return err
		}
		id := r.JSON201.ID
		if err := publishArticle(ctx, cl, id, a.title); err != nil {
			return err
		}
		if a.nbTitle != "" {
			tr, err := cl.TranslateArticleWithResponse(ctx, id, api.ArticleTranslation{Language: knowledge.Bokmal, Title: a.nbTitle,
				Body: a.nbBody, Service: a.service, Keywords: a.keywords, Audience: a.audience})
			if err := check("translate "+a.title, tr, err); err != nil {
				return err
			}
			if err := publishArticle(ctx, cl, tr.JSON201.ID, a.nbTitle); err != nil {
				return err
			}
		}
		if a.retire != "" {
			rr, err := cl.RetireArticleWithResponse(ctx, id, nil, api.Reason{Reason: a.retire})
			if err := check("retire "+a.title, rr, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// publishArticle submits an article and publishes it as cl.
func publishArticle(ctx context.Context, cl *client.ClientWithResponses, id itsm.ID, title string) error {
	s, err := cl.SubmitArticleWithResponse(ctx, id, nil)
	if err := check("submit "+title, s, err); err != nil {
		return err
	}
	p, err := cl.PublishArticleWithResponse(ctx, id, nil, api.ArticlePublishing{})
	return check("publish "+title, p, err)
}

// pastReview imports, as the history imports incidents, the desk's guide
// published fourteen months before now and never reviewed since: with the
// default review period of a year, it is past its review date, and its
// owner is told so (KM-1). Nothing a client could write says that an
// article was published last year.
func pastReview(ctx context.Context, past Past, cast *Cast) error {
	now := past.Now
	if now.IsZero() {
		now = time.Now()
	}
	dir, err := auth.NewDirectory(ctx, past.Store, nil)
	if err != nil {
		return fmt.Errorf("demo: the article past review: the register: %w", err)
	}
	at := now.AddDate(0, -14, 0).UTC()
	svc, err := knowledge.New(ctx, knowledge.Config{Store: past.Store, Directory: dir, Permissions: dir.Permissions(),
		Clock: itsm.ClockFunc(func() time.Time { return at }), NoKnownErrors: true, Poll: time.Hour})
	if err != nil {
		return fmt.Errorf("demo: the article past review: %w", err)
	}
	defer svc.Close()
	dana := itsm.Actor{Organisation: cast.Desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}
	a, err := svc.Create(ctx, dana, knowledge.Draft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Content: knowledge.Content{Title: PastReviewTitle, Service: "Utskrift", Audience: knowledge.AudienceUsers,
			Keywords: []string{"skrivare", "drivrutin", "Ricoh"},
			Body:     "1. Öppna *Programcenter*.\n2. Sök på *Ricoh PCL6* och välj *Installera*.\n3. Starta om datorn.\n\nDrivrutinen gäller skrivarna i stadshuset.\n"}})
	if err != nil {
		return fmt.Errorf("demo: the article past review: %w", err)
	}
	if _, err := svc.Submit(ctx, dana, a.ID); err != nil {
		return fmt.Errorf("demo: the article past review: %w", err)
	}
	if _, err := svc.Publish(ctx, dana, a.ID, knowledge.Publishing{}); err != nil {
		return fmt.Errorf("demo: the article past review: %w", err)
	}
	return nil
}
