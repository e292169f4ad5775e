package itsm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A command runs in one write transaction: load, decide, put with the version
// it read, append the event. A conflict means someone else changed the record
// in between; the caller reloads and decides again.
func ExampleStore() {
	ctx := context.Background()
	var s itsm.Store = memstore.New() // or sqlitestore.Open, pgstore.Open
	defer s.Close()

	type ticket struct {
		Title string `json:"title"`
		State string `json:"state"`
	}
	id := itsm.MustParseID("019ab1c0-0000-7000-8000-000000000001")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

	save := func(tx itsm.WriteTx, version int64, t ticket, number, event string) error {
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := tx.Put(itsm.Record{Kind: "ticket", ID: id, Version: version, Body: body,
			Unique: map[string]string{"number": number},
			Index:  map[string][]string{"state": {t.State}}}); err != nil {
			return err
		}
		_, err = tx.Append(itsm.Event{Type: event, Kind: "ticket", Subject: id, Time: now})
		return err
	}

	err := s.Write(ctx, func(tx itsm.WriteTx) error {
		n, err := tx.NextNumber("INC")
		if err != nil {
			return err
		}
		return save(tx, 0, ticket{Title: "VPN drops every hour", State: "registered"}, n.String(), "ticket.registered")
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	delegate := func(tx itsm.WriteTx) error {
		r, err := tx.Get("ticket", id)
		if err != nil {
			return err
		}
		var t ticket
		if err := json.Unmarshal(r.Body, &t); err != nil {
			return err
		}
		t.State = "delegated"
		return save(tx, r.Version, t, r.Unique["number"], "ticket.delegated")
	}
	for {
		err = s.Write(ctx, delegate)
		if !itsm.IsCode(err, itsm.CodeConflict) {
			break // done, or a failure that retrying will not fix
		}
	}
	if err != nil {
		fmt.Println(err)
		return
	}

	_ = s.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: "ticket", Index: "state", Match: itsm.MatchEqual, Value: "delegated"})
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			fmt.Println(h.Record.Unique["number"], "version", h.Record.Version, string(h.Record.Body))
		}
		events, err := tx.Events(0, 10)
		for _, e := range events {
			fmt.Println(e.Seq, e.Type)
		}
		return err
	})
	// Output:
	// INC0000001 version 2 {"title":"VPN drops every hour","state":"delegated"}
	// 1 ticket.registered
	// 2 ticket.delegated
}
