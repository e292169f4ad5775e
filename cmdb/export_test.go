package cmdb

import "github.com/spoc-itsm/spoc/itsm"

// RecordOf is the record of it as a command stores it under model m, for
// the benchmarks' worlds, written in bulk without commands.
func RecordOf(it *Item, m *Model) (itsm.Record, error) { return it.record(m) }
