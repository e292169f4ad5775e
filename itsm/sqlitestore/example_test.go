package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "spoc")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	// The zero Options sync every commit to disk (DurabilityFull).
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "spoc.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	id := itsm.MustParseID("0190f1c2-5a00-7000-8000-000000000042")
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		n, err := tx.NextNumber("INC")
		if err != nil {
			return err
		}
		_, err = tx.Put(itsm.Record{
			Kind:   "incident",
			ID:     id,
			Body:   []byte(`{"title":"printer on fire"}`),
			Unique: map[string]string{"number": n.String()},
			Index:  map[string][]string{"state": {"registered"}},
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		p, err := tx.Query(itsm.Query{Kind: "incident", Index: "number", Match: itsm.MatchEqual, Value: "INC0000001"})
		if err != nil {
			return err
		}
		for _, h := range p.Matches {
			fmt.Println(h.Value, h.Record.Version, string(h.Record.Body), h.Record.Index["state"])
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// INC0000001 1 {"title":"printer on fire"} [registered]
}
