package itsm

import "encoding/json"

// DecodeRecord decodes r's body, the JSON of a T, into a new T; what
// names the kind in the error ("order"). The caller sets the version,
// which is r's.
func DecodeRecord[T any](r Record, what string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(r.Body, v); err != nil {
		return nil, Wrap(CodeInternal, err, "decode %s %s", what, r.ID)
	}
	return v, nil
}

// LoadRecord reads the record id of kind in tx and decodes it as
// DecodeRecord does, returning it with the record's version. A missing
// record is CodeNotFound, "<what> <id> not found". Orders, tasks,
// problems, known errors, workarounds and groups are read through it.
func LoadRecord[T any](tx ReadTx, kind string, id ID, what string) (*T, int64, error) {
	r, err := tx.Get(kind, id)
	if IsCode(err, CodeNotFound) {
		return nil, 0, Errorf(CodeNotFound, "%s %s not found", what, id)
	}
	if err != nil {
		return nil, 0, err
	}
	v, err := DecodeRecord[T](r, what)
	return v, r.Version, err
}
