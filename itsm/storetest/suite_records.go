package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func testCRUD(t *testing.T, s itsm.Store) {
	id := itsm.NewID()
	if err := getErr(t, s, "ticket", id); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("Get of a missing record: err = %v, want not_found", err)
	}
	r := record("ticket", id, 0, "first")
	r.Unique = map[string]string{"number": "INC0000001"}
	r.Index = map[string][]string{"state": {"registered"}}
	if v := put(t, s, r)[0]; v != 1 {
		t.Fatalf("version after create = %d, want 1", v)
	}
	if d := diff(Stored(r, 1), get(t, s, "ticket", id)); d != "" {
		t.Fatalf("after create (-want +got):\n%s", d)
	}
	// The same ID under another kind is another record.
	if err := getErr(t, s, "problem", id); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("Get under another kind: err = %v, want not_found", err)
	}

	r2 := record("ticket", id, 1, "second")
	r2.Unique = map[string]string{"number": "INC0000001"}
	r2.Index = map[string][]string{"state": {"delegated"}}
	if v := put(t, s, r2)[0]; v != 2 {
		t.Fatalf("version after update = %d, want 2", v)
	}
	if d := diff(Stored(r2, 2), get(t, s, "ticket", id)); d != "" {
		t.Fatalf("after update (-want +got):\n%s", d)
	}

	err := s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("ticket", id, 2) })
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := getErr(t, s, "ticket", id); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("Get after Delete: err = %v, want not_found", err)
	}
	if p, err := query(t, s, itsm.Query{Kind: "ticket", Index: "state"}); err != nil || len(p.Matches) != 0 {
		t.Fatalf("index after Delete: %d hits, err %v; want none", len(p.Matches), err)
	}
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("ticket", id, 2) })
	wantCode(t, err, itsm.CodeNotFound, "Delete of a deleted record")

	// A deleted record can be created again from version 0.
	if v := put(t, s, record("ticket", id, 0, "again"))[0]; v != 1 {
		t.Fatalf("version after re-create = %d, want 1", v)
	}
}

func testBodyBytes(t *testing.T, s itsm.Store) {
	bodies := []string{
		`{ "b" : 1,   "a" : [ 1 , 2 ] }`,    // spacing and key order as given
		"{\n\t\"x\": \"\\u00e5\\u0000\"\n}", // escapes stay escapes
		`"just a string"`,
		`12345678901234567890123456789`, // beyond float64 precision
		`null`,
		`[]`,
		`{"a":1,"a":2}`, // duplicate keys are valid JSON and stay as given
	}
	for _, b := range bodies {
		r := itsm.Record{Kind: "doc", ID: itsm.NewID(), Body: []byte(b)}
		put(t, s, r)
		if got := string(get(t, s, "doc", r.ID).Body); got != b {
			t.Errorf("body %q came back as %q", b, got)
		}
	}
}

func testCopies(t *testing.T, s itsm.Store) {
	r := record("ticket", itsm.NewID(), 0, "original")
	r.Unique = map[string]string{"number": "INC0000007"}
	r.Index = map[string][]string{"state": {"registered"}, "org": {"a", "b"}}
	want := Stored(r, 1)
	put(t, s, r)
	// The caller's record is its own after Put ...
	r.Body[2] = 'X'
	r.Unique["number"] = "changed"
	r.Index["org"][0] = "changed"
	r.Index["new"] = []string{"x"}
	if d := diff(want, get(t, s, "ticket", r.ID)); d != "" {
		t.Fatalf("changing the record given to Put changed the store (-want +got):\n%s", d)
	}
	// ... and what Get and Query return is the caller's to change.
	got := get(t, s, "ticket", r.ID)
	got.Body[2] = 'X'
	got.Unique["number"] = "changed"
	got.Index["org"][0] = "changed"
	p, err := query(t, s, itsm.Query{Kind: "ticket", Index: "org", Match: itsm.MatchEqual, Value: "a"})
	if err != nil || len(p.Matches) != 1 {
		t.Fatalf("Query: %d hits, err %v", len(p.Matches), err)
	}
	p.Matches[0].Record.Body[3] = 'Y'
	p.Matches[0].Record.Index["state"][0] = "changed"
	if d := diff(want, get(t, s, "ticket", r.ID)); d != "" {
		t.Fatalf("changing a returned record changed the store (-want +got):\n%s", d)
	}
	// Inside a write transaction too.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		got, err := tx.Get("ticket", r.ID)
		if err != nil {
			return err
		}
		got.Body[2] = 'Z'
		got.Index["org"][1] = "changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, get(t, s, "ticket", r.ID)); d != "" {
		t.Fatalf("changing a record read in a write transaction changed the store (-want +got):\n%s", d)
	}
}

func testIndexNormalised(t *testing.T, s itsm.Store) {
	r := record("ticket", itsm.NewID(), 0, "")
	r.Unique = map[string]string{"number": "INC0000001", "external": ""}
	r.Index = map[string][]string{
		"org":   {"b", "a", "b", "", "a"},
		"empty": {"", ""},
		"none":  {},
	}
	put(t, s, r)
	got := get(t, s, "ticket", r.ID)
	want := map[string][]string{"org": {"a", "b"}}
	if d := diff(want, got.Index); d != "" {
		t.Errorf("Index (-want +got):\n%s", d)
	}
	if d := diff(map[string]string{"number": "INC0000001"}, got.Unique); d != "" {
		t.Errorf("Unique (-want +got):\n%s", d)
	}
	// A duplicated value is one hit; an empty one is none.
	hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "org"})
	if d := diff([]string{`"a" ` + r.ID.String(), `"b" ` + r.ID.String()}, hitKeys(hits)); d != "" {
		t.Errorf("hits of org (-want +got):\n%s", d)
	}
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "empty"}); len(hits) != 0 {
		t.Errorf("empty values were indexed: %v", hitKeys(hits))
	}
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "external"}); len(hits) != 0 {
		t.Errorf("an empty unique value was indexed: %v", hitKeys(hits))
	}
}

func testVersionConflicts(t *testing.T, s itsm.Store) {
	id := itsm.NewID()
	put(t, s, record("ticket", id, 0, "v1"))
	cases := []struct {
		name    string
		version int64
	}{
		{"create over an existing record", 0},
		{"update from a version not yet written", 2},
		{"update from a far-off version", 99},
	}
	for _, c := range cases {
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			_, err := tx.Put(record("ticket", id, c.version, c.name))
			return err
		})
		wantCode(t, err, itsm.CodeConflict, c.name)
	}
	put(t, s, record("ticket", id, 1, "v2"))
	// The write that read version 1 lost the race to the one above.
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		_, err := tx.Put(record("ticket", id, 1, "stale"))
		return err
	})
	wantCode(t, err, itsm.CodeConflict, "update from a stale version")
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("ticket", id, 1) })
	wantCode(t, err, itsm.CodeConflict, "delete from a stale version")
	// An update of a record that does not exist is a conflict too: the
	// caller read something that is no longer there.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		_, err := tx.Put(record("ticket", itsm.NewID(), 3, "ghost"))
		return err
	})
	wantCode(t, err, itsm.CodeConflict, "update of a missing record")

	if got := get(t, s, "ticket", id); got.Version != 2 || !strings.Contains(string(got.Body), `"v2"`) {
		t.Fatalf("after the conflicts: version %d body %s, want version 2 body v2", got.Version, got.Body)
	}
}

func testUnique(t *testing.T, s itsm.Store) {
	a, b := itsm.NewID(), itsm.NewID()
	withNumber := func(id itsm.ID, version int64, number string) itsm.Record {
		r := record("ticket", id, version, number)
		r.Unique = map[string]string{"number": number}
		return r
	}
	put(t, s, withNumber(a, 0, "INC0000001"))
	putErr := func(r itsm.Record) error {
		return s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
	}
	err := putErr(withNumber(b, 0, "INC0000001"))
	wantCode(t, err, itsm.CodeConflict, "a second record with the same unique value")
	if err := getErr(t, s, "ticket", b); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("the refused record was stored: %v", err)
	}
	// Two records in one transaction clash just the same.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Put(withNumber(b, 0, "INC0000009")); err != nil {
			return err
		}
		_, err := tx.Put(withNumber(itsm.NewID(), 0, "INC0000009"))
		return err
	})
	wantCode(t, err, itsm.CodeConflict, "two records in one transaction with the same unique value")

	// A record keeps its own value when it is updated.
	put(t, s, withNumber(a, 1, "INC0000001"))
	// The same value is free in another kind and under another name.
	other := withNumber(b, 0, "INC0000001")
	other.Kind = "problem"
	put(t, s, other)
	alias := record("ticket", b, 0, "alias")
	alias.Unique = map[string]string{"alias": "INC0000001"}
	put(t, s, alias)

	// Giving up a value frees it, in the same transaction and after.
	c := itsm.NewID()
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Put(withNumber(a, 2, "INC0000002")); err != nil {
			return err
		}
		_, err := tx.Put(withNumber(c, 0, "INC0000001"))
		return err
	})
	if err != nil {
		t.Fatalf("moving a unique value from one record to another in one transaction: %v", err)
	}
	if err := s.Write(ctx(t), func(tx itsm.WriteTx) error { return tx.Delete("ticket", c, 1) }); err != nil {
		t.Fatal(err)
	}
	put(t, s, withNumber(itsm.NewID(), 0, "INC0000001"))

	// A lookup by a unique value finds the one record that holds it.
	hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "number", Match: itsm.MatchEqual, Value: "INC0000002"})
	if len(hits) != 1 || hits[0].Record.ID != a {
		t.Fatalf("lookup by unique value: %v, want record %s", hitKeys(hits), a)
	}
}

func testInvalid(t *testing.T, s itsm.Store) {
	good := func() itsm.Record { return record("ticket", itsm.NewID(), 0, "") }
	bad := map[string]func(r *itsm.Record){
		"empty kind":        func(r *itsm.Record) { r.Kind = "" },
		"upper-case kind":   func(r *itsm.Record) { r.Kind = "Ticket" },
		"kind with a space": func(r *itsm.Record) { r.Kind = "tic ket" },
		"zero id":           func(r *itsm.Record) { r.ID = itsm.ID{} },
		"negative version":  func(r *itsm.Record) { r.Version = -1 },
		"empty body":        func(r *itsm.Record) { r.Body = nil },
		"body not JSON":     func(r *itsm.Record) { r.Body = []byte("{") },
		"body not UTF-8":    func(r *itsm.Record) { r.Body = []byte("\"\xff\"") },
		"bad index name":    func(r *itsm.Record) { r.Index = map[string][]string{"Bad": {"x"}} },
		"value with NUL":    func(r *itsm.Record) { r.Index = map[string][]string{"x": {"a\x00b"}} },
		"value not UTF-8":   func(r *itsm.Record) { r.Unique = map[string]string{"x": "\xc3"} },
		"value too long":    func(r *itsm.Record) { r.Index = map[string][]string{"x": {strings.Repeat("v", itsm.MaxValueSize+1)}} },
		"name unique and not": func(r *itsm.Record) {
			r.Unique = map[string]string{"x": "1"}
			r.Index = map[string][]string{"x": {"2"}}
		},
	}
	for name, spoil := range bad {
		r := good()
		spoil(&r)
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
		wantCode(t, err, itsm.CodeInvalid, "Put with "+name)
	}
	events := map[string]itsm.Event{
		"no type":          {Time: time.Unix(1, 0)},
		"one-word type":    {Type: "registered", Time: time.Unix(1, 0)},
		"upper-case type":  {Type: "incident.Registered", Time: time.Unix(1, 0)},
		"zero time":        {Type: "incident.registered"},
		"subject, no kind": {Type: "incident.registered", Subject: itsm.NewID(), Time: time.Unix(1, 0)},
		"data not JSON":    {Type: "incident.registered", Time: time.Unix(1, 0), Data: []byte("nope")},
	}
	for name, e := range events {
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.Append(e); return err })
		wantCode(t, err, itsm.CodeInvalid, "Append with "+name)
	}
	for _, p := range []string{"", "I", "inc", "INC1", "TOOLONGPR"} {
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error { _, err := tx.NextNumber(p); return err })
		wantCode(t, err, itsm.CodeInvalid, "NextNumber("+p+")")
	}
	queries := map[string]itsm.Query{
		"no kind":           {Index: "state"},
		"bad index":         {Kind: "ticket", Index: "State"},
		"equal by id":       {Kind: "ticket", Match: itsm.MatchEqual, Value: "x"},
		"unknown match":     {Kind: "ticket", Index: "state", Match: itsm.Match(42)},
		"negative limit":    {Kind: "ticket", Index: "state", Limit: -1},
		"limit above max":   {Kind: "ticket", Index: "state", Limit: itsm.MaxLimit + 1},
		"forged cursor":     {Kind: "ticket", Index: "state", After: "not-a-cursor!"},
		"value with NUL":    {Kind: "ticket", Index: "state", Match: itsm.MatchEqual, Value: "\x00"},
		"range not UTF-8":   {Kind: "ticket", Index: "state", Match: itsm.MatchRange, From: "\xff"},
		"prefix too long":   {Kind: "ticket", Index: "state", Match: itsm.MatchPrefix, Value: strings.Repeat("p", itsm.MaxValueSize+1)},
		"empty cursor body": {Kind: "ticket", Index: "state", After: "AA"},
	}
	for name, q := range queries {
		_, err := query(t, s, q)
		wantCode(t, err, itsm.CodeInvalid, "Query with "+name)
	}
	for _, limit := range []int{-1, itsm.MaxLimit + 1} {
		err := s.Read(ctx(t), func(tx itsm.ReadTx) error { _, err := tx.Events(0, limit); return err })
		wantCode(t, err, itsm.CodeInvalid, "Events with a bad limit")
	}
	err := s.Read(ctx(t), func(tx itsm.ReadTx) error { _, err := tx.Get("Bad Kind", itsm.NewID()); return err })
	wantCode(t, err, itsm.CodeInvalid, "Get with a bad kind")
	// Nothing of the above was written.
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket"}); len(hits) != 0 {
		t.Errorf("invalid records were stored: %v", hitKeys(hits))
	}
	if es := allEvents(t, s); len(es) != 0 {
		t.Errorf("invalid events were stored: %+v", es)
	}
}

func testRollback(t *testing.T, s itsm.Store) {
	kept := record("ticket", itsm.NewID(), 0, "kept")
	put(t, s, kept)
	var n itsm.Number
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		var err error
		n, err = tx.NextNumber("INC")
		return err
	})
	if err != nil || n.Seq != 1 {
		t.Fatalf("first number = %v, err %v; want INC0000001", n, err)
	}
	gone := record("ticket", itsm.NewID(), 0, "gone")
	gone.Unique = map[string]string{"number": "INC0000002"}
	gone.Index = map[string][]string{"state": {"registered"}}
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Put(gone); err != nil {
			return err
		}
		upd := record("ticket", kept.ID, 1, "changed")
		if _, err := tx.Put(upd); err != nil {
			return err
		}
		if err := tx.Delete("ticket", kept.ID, 2); err != nil {
			return err
		}
		if _, err := tx.Append(itsm.Event{Type: "ticket.registered", Kind: "ticket", Subject: gone.ID, Time: time.Unix(100, 0)}); err != nil {
			return err
		}
		if _, err := tx.NextNumber("INC"); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Write returned %v, want the function's own error", err)
	}
	if err := getErr(t, s, "ticket", gone.ID); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Errorf("a record put in a rolled-back transaction is there: %v", err)
	}
	if d := diff(Stored(kept, 1), get(t, s, "ticket", kept.ID)); d != "" {
		t.Errorf("a record changed and deleted in a rolled-back transaction (-want +got):\n%s", d)
	}
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket", Index: "state"}); len(hits) != 0 {
		t.Errorf("index values of a rolled-back transaction are there: %v", hitKeys(hits))
	}
	if es := allEvents(t, s); len(es) != 0 {
		t.Errorf("events of a rolled-back transaction are there: %+v", es)
	}
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		var err error
		n, err = tx.NextNumber("INC")
		return err
	})
	if err != nil || n.Seq != 2 {
		t.Fatalf("number after a rollback = %v, err %v; want INC0000002 (the rolled-back number given back)", n, err)
	}
	// The unique value of the rolled-back record is free.
	put(t, s, gone)
	// A panic in fn rolls back too, and the store stays usable.
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("the panic in fn did not reach the caller")
			}
		}()
		_ = s.Write(ctx(t), func(tx itsm.WriteTx) error {
			if _, err := tx.Put(record("ticket", itsm.NewID(), 0, "panic")); err != nil {
				return err
			}
			panic("storetest: deliberate panic")
		})
	}()
	if hits := queryAll(t, s, itsm.Query{Kind: "ticket"}); len(hits) != 2 {
		t.Errorf("after a panic in fn: %d tickets, want 2", len(hits))
	}
	put(t, s, record("ticket", itsm.NewID(), 0, "after the panic"))
}

func testSpoiled(t *testing.T, s itsm.Store) {
	id := itsm.NewID()
	put(t, s, record("ticket", id, 0, "v1"))
	other := itsm.NewID()
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Put(record("ticket", other, 0, "would be lost")); err != nil {
			return err
		}
		_, _ = tx.Put(record("ticket", id, 7, "stale")) // fails; the error is ignored
		return nil
	})
	wantCode(t, err, itsm.CodeConflict, "Write after a failed Put whose error fn swallowed")
	if err := getErr(t, s, "ticket", other); itsm.ErrorCode(err) != itsm.CodeNotFound {
		t.Fatalf("a spoiled transaction committed: %v", err)
	}
	for name, fail := range map[string]func(itsm.WriteTx){
		"Delete":     func(tx itsm.WriteTx) { _ = tx.Delete("ticket", itsm.NewID(), 1) },
		"Append":     func(tx itsm.WriteTx) { _, _ = tx.Append(itsm.Event{Type: "x"}) },
		"NextNumber": func(tx itsm.WriteTx) { _, _ = tx.NextNumber("x") },
	} {
		err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
			if _, err := tx.Put(record("ticket", other, 0, "would be lost")); err != nil {
				return err
			}
			fail(tx)
			return nil
		})
		if err == nil {
			t.Errorf("Write after a failed %s returned nil", name)
		}
		if err := getErr(t, s, "ticket", other); itsm.ErrorCode(err) != itsm.CodeNotFound {
			t.Fatalf("a transaction spoiled by %s committed", name)
		}
	}
	// fn's own error wins over the spoiling one.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		_, _ = tx.Put(record("ticket", id, 7, "stale"))
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Write = %v, want fn's own error", err)
	}
	// A missing record is not a failure: it does not spoil the transaction.
	err = s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Get("ticket", itsm.NewID()); itsm.ErrorCode(err) != itsm.CodeNotFound {
			return fmt.Errorf("tx.Get of a missing record: %v", err)
		}
		_, err := tx.Put(record("ticket", other, 0, "kept"))
		return err
	})
	if err != nil {
		t.Fatalf("a not-found Get spoiled the transaction: %v", err)
	}
	get(t, s, "ticket", other)
}

func testOwnWrites(t *testing.T, s itsm.Store) {
	a := record("ticket", itsm.NewID(), 0, "a")
	a.Index = map[string][]string{"state": {"registered"}}
	put(t, s, a)
	b := record("ticket", itsm.NewID(), 0, "b")
	b.Index = map[string][]string{"state": {"registered"}}
	err := s.Write(ctx(t), func(tx itsm.WriteTx) error {
		if _, err := tx.Put(b); err != nil {
			return err
		}
		got, err := tx.Get("ticket", b.ID)
		if err != nil {
			return fmt.Errorf("tx.Get of a record put in this transaction: %w", err)
		}
		if d := diff(Stored(b, 1), got); d != "" {
			return fmt.Errorf("tx.Get in the transaction (-want +got):\n%s", d)
		}
		upd := record("ticket", a.ID, 1, "a2")
		upd.Index = map[string][]string{"state": {"closed"}}
		if _, err := tx.Put(upd); err != nil {
			return err
		}
		p, err := tx.Query(itsm.Query{Kind: "ticket", Index: "state", Match: itsm.MatchEqual, Value: "registered"})
		if err != nil {
			return err
		}
		if len(p.Matches) != 1 || p.Matches[0].Record.ID != b.ID {
			return fmt.Errorf("tx.Query in the transaction: %v, want only %s", hitKeys(p.Matches), b.ID)
		}
		e, err := tx.Append(itsm.Event{Type: "ticket.registered", Kind: "ticket", Subject: b.ID, Time: time.Unix(5, 0)})
		if err != nil {
			return err
		}
		es, err := tx.Events(0, 10)
		if err != nil {
			return err
		}
		if len(es) != 1 || es[0].ID != e.ID {
			return fmt.Errorf("tx.Events in the transaction: %+v, want the appended one", es)
		}
		if err := tx.Delete("ticket", b.ID, 1); err != nil {
			return err
		}
		if _, err := tx.Get("ticket", b.ID); itsm.ErrorCode(err) != itsm.CodeNotFound {
			return fmt.Errorf("tx.Get of a record deleted in this transaction: %v, want not_found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
