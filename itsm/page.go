package itsm

// LoadPage reads one page of q in tx, loads the record of each match with
// load, and returns those keep keeps (all, when keep is nil) with the
// cursor of the next page. A filtered page may hold fewer than q.Limit and
// still have a next. Orders, tasks, problems, known errors and workarounds
// are listed through it.
func LoadPage[T any](tx ReadTx, q Query, load func(ReadTx, ID) (T, error), keep func(T) bool) ([]T, Cursor, error) {
	page, err := tx.Query(q)
	if err != nil {
		return nil, "", err
	}
	var out []T // nil when none is kept, as the lists always were
	for _, h := range page.Matches {
		v, err := load(tx, h.Record.ID)
		if err != nil {
			return nil, "", err
		}
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out, page.Next, nil
}
