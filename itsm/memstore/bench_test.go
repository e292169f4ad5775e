package memstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/storetest"
)

// BenchmarkStore runs the common store benchmarks against rawBaseline.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) itsm.Store { return memstore.New() }, rawBaseline)
}

// BenchmarkEventsOf reads one record's history among 100,000 events,
// against a scan of the whole log.
func BenchmarkEventsOf(b *testing.B) {
	storetest.BenchmarkEventsOf(b, func(b *testing.B) itsm.Store { return memstore.New() })
}

// rawRecordIndexer is the id index of the raw baseline: kind, NUL, id, as
// any user of go-memdb would key such a record.
type rawRecordIndexer struct{}

func (rawRecordIndexer) FromObject(obj any) (bool, []byte, error) {
	r := obj.(*itsm.Record)
	return true, rawKey(r.Kind, r.ID), nil
}

func (rawRecordIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("want one key, got %d arguments", len(args))
	}
	return args[0].([]byte), nil
}

func rawKey(kind string, id itsm.ID) []byte {
	k := make([]byte, 0, len(kind)+1+len(id))
	k = append(append(k, kind...), 0)
	return append(k, id[:]...)
}

// rawBaseline stores records on a bare go-memdb database: one table, one
// index, the record inserted as given.
func rawBaseline(b *testing.B) storetest.Baseline {
	db, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"records": {Name: "records", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: rawRecordIndexer{}},
		}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	return storetest.Baseline{
		Write: func(ctx context.Context, rec itsm.Record) error {
			txn := db.Txn(true)
			defer txn.Abort()
			if err := txn.Insert("records", &rec); err != nil {
				return err
			}
			txn.Commit()
			return nil
		},
		WriteBatch: func(ctx context.Context, recs []itsm.Record) error {
			txn := db.Txn(true)
			defer txn.Abort()
			for i := range recs {
				if err := txn.Insert("records", &recs[i]); err != nil {
					return err
				}
			}
			txn.Commit()
			return nil
		},
		Read: func(ctx context.Context, kind string, id itsm.ID) error {
			txn := db.Txn(false)
			defer txn.Abort()
			raw, err := txn.First("records", "id", rawKey(kind, id))
			if err != nil {
				return err
			}
			if raw == nil {
				return fmt.Errorf("%s %s not found", kind, id)
			}
			return nil
		},
		Close: func() error { return nil },
	}
}

// floorRecord is what BenchmarkFloor stores on bare go-memdb: a record with
// the keys memstore gives it, an id key and one key per index value.
type floorRecord struct {
	rec  itsm.Record
	keys [][]byte
}

type floorValuesIndexer struct{}

func (floorValuesIndexer) FromObject(obj any) (bool, [][]byte, error) {
	keys := obj.(*floorRecord).keys
	return len(keys) > 0, keys, nil
}

func (floorValuesIndexer) FromArgs(args ...any) ([]byte, error) {
	return rawRecordIndexer{}.FromArgs(args...)
}

type floorIDIndexer struct{}

func (floorIDIndexer) FromObject(obj any) (bool, []byte, error) {
	r := &obj.(*floorRecord).rec
	k := make([]byte, 0, len(r.Kind)+1+2*len(r.ID))
	return true, appendHalfBytes(append(append(k, r.Kind...), 0), r.ID), nil
}

// appendHalfBytes appends id as memstore puts IDs in keys: a byte per half
// byte, which keeps radix tree nodes small.
func appendHalfBytes(k []byte, id itsm.ID) []byte {
	for _, b := range id {
		k = append(k, b>>4, b&0x0f)
	}
	return k
}

func (floorIDIndexer) FromArgs(args ...any) ([]byte, error) {
	return rawRecordIndexer{}.FromArgs(args...)
}

// floorInsert inserts r with the same keys as memstore on db.
func floorInsert(db *memdb.MemDB, r itsm.Record) error {
	fr := &floorRecord{rec: r}
	key := func(name, v string) []byte {
		k := make([]byte, 0, len(r.Kind)+len(name)+len(v)+3+2*len(r.ID))
		k = append(append(k, r.Kind...), 0)
		k = append(append(k, name...), 0)
		k = append(append(k, v...), 0)
		return appendHalfBytes(k, r.ID)
	}
	for name, v := range r.Unique {
		fr.keys = append(fr.keys, key(name, v))
	}
	for name, vs := range r.Index {
		for _, v := range vs {
			fr.keys = append(fr.keys, key(name, v))
		}
	}
	txn := db.Txn(true)
	defer txn.Abort()
	if err := txn.Insert("records", fr); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// BenchmarkFloor puts memstore's single-record Put next to what go-memdb
// costs for the same keys without spoc, interleaving the four in chunks of
// 250 records so that load from elsewhere hits all alike:
//
//   - raw: the baseline of BenchmarkStore, one key per record;
//   - floor: the record with its id key and one key per index value, as
//     memstore keys it, on a database from memdb.NewMemDB;
//   - floor on a snapshot: the same on a database from MemDB.Snapshot,
//     which memstore uses because it skips the bookkeeping of watches;
//   - memstore.
//
// It reports floor_x_raw and store_x_raw (rates as fractions of raw),
// snapshot_x_floor (the snapshot's rate over the plain database's) and
// store_x_snapshot (memstore's rate over the floor it builds on).
func BenchmarkFloor(b *testing.B) {
	ctx := context.Background()
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"records": {Name: "records", Indexes: map[string]*memdb.IndexSchema{
			"id":     {Name: "id", Unique: true, Indexer: floorIDIndexer{}},
			"values": {Name: "values", Unique: true, AllowMissing: true, Indexer: floorValuesIndexer{}},
		}},
	}}
	const chunk, rounds = 250, 20
	var raw, floor, snap, store time.Duration
	for b.Loop() {
		base := rawBaseline(b)
		floorDB, err := memdb.NewMemDB(schema)
		if err != nil {
			b.Fatal(err)
		}
		snapDB, err := memdb.NewMemDB(schema)
		if err != nil {
			b.Fatal(err)
		}
		snapDB = snapDB.Snapshot()
		s := memstore.New()
		run := func(d *time.Duration, first int, op func(r itsm.Record) error) {
			start := time.Now()
			for i := first; i < first+chunk; i++ {
				if err := op(storetest.SampleRecord(i)); err != nil {
					b.Fatal(err)
				}
			}
			*d += time.Since(start)
		}
		for round := range rounds {
			first := round * chunk
			run(&raw, first, func(r itsm.Record) error { return base.Write(ctx, r) })
			run(&floor, first, func(r itsm.Record) error { return floorInsert(floorDB, r) })
			run(&snap, first, func(r itsm.Record) error { return floorInsert(snapDB, r) })
			run(&store, first, func(r itsm.Record) error {
				return s.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(r); return err })
			})
		}
		s.Close()
	}
	b.ReportMetric(float64(raw)/float64(floor), "floor_x_raw")
	b.ReportMetric(float64(floor)/float64(snap), "snapshot_x_floor")
	b.ReportMetric(float64(snap)/float64(store), "store_x_snapshot")
	b.ReportMetric(float64(raw)/float64(store), "store_x_raw")
}
