package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
)

// ExampleOpen opens a store in the schema "helpdesk" of a PostgreSQL database
// and records a ticket together with its number and an event, in one
// transaction. It needs a server, so it is compiled but not run by go test.
func ExampleOpen() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Options{Schema: "helpdesk", MaxConns: 8})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	id := itsm.NewID()
	err = s.Write(ctx, func(tx itsm.WriteTx) error {
		num, err := tx.NextNumber("INC")
		if err != nil {
			return err
		}
		body := fmt.Sprintf(`{"number":%q,"title":"Mail relay rejects attachments"}`, num)
		if _, err := tx.Put(itsm.Record{
			Kind:   "incident",
			ID:     id,
			Body:   []byte(body),
			Unique: map[string]string{"number": num.String()},
			Index:  map[string][]string{"state": {"new"}},
		}); err != nil {
			return err
		}
		_, err = tx.Append(itsm.Event{Type: "incident.registered", Kind: "incident", Subject: id, Time: itsm.SystemClock{}.Now()})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	err = s.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: "incident", Index: "state", Match: itsm.MatchEqual, Value: "new"})
		if err != nil {
			return err
		}
		for _, hit := range page.Matches {
			fmt.Println(hit.Record.Unique["number"], string(hit.Record.Body))
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}
