package search

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	ix, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	err = ix.Put(
		Document{ID: "a", Language: "sv", Title: "Byta lösenord", Body: "Så byter du lösenordet till ditt konto. Lösenordsbyte görs var 90:e dag.", Visible: []string{"public"}},
		Document{ID: "b", Language: "sv", Title: "Nätverksskrivaren skriver inte ut", Body: "Om skrivaren inte fungerar, starta om den.", Visible: []string{"public"}},
		Document{ID: "c", Language: "nb", Title: "Tromsø: passordet er utløpt", Body: "Endre passord <script> i nettleseren.", Visible: []string{"chain:x"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"lösenordet", "losenord", "lösen", "skrivre", "nätverk", "skrivarna", "tromso", "passord", "byte", "datorn är seg"} {
		res, err := ix.Search(context.Background(), Query{Text: q, Language: "sv", Viewer: []string{"public", "chain:x"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q: total %d", q, res.Total)
		for _, h := range res.Hits {
			t.Logf("   %s %.3f %s | %s", h.ID, h.Score, h.Title, h.Snippet)
		}
	}
}
