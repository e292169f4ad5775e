package memstore_test

import (
	"context"
	"fmt"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

func ExampleNew() {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()

	id := itsm.MustParseID("01936d3c-8f4e-7a00-9c1b-5e2f4a6b8c0d")
	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{
			Kind:   "incident",
			ID:     id,
			Body:   []byte(`{"title":"Mail relay rejects attachments"}`),
			Unique: map[string]string{"number": "INC0000042"},
			Index:  map[string][]string{"state": {"delegated"}, "held_by": {"acme", "desk"}},
		})
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: "incident", Index: "held_by", Match: itsm.MatchEqual, Value: "acme"})
		if err != nil {
			return err
		}
		for _, hit := range page.Matches {
			fmt.Println(hit.Value, hit.Record.Unique["number"], hit.Record.Version, string(hit.Record.Body))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// acme INC0000042 1 {"title":"Mail relay rejects attachments"}
}
