package cmdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// MaxModelSize is the largest model file LoadModel reads, in bytes.
const MaxModelSize = 4 << 20

// LoadModel reads a model from JSON, strictly: one object of exactly the
// fields of Model (ModelSchema describes them), no name twice in an
// object, nothing after it, at most MaxModelSize bytes; then Validate.
// Errors have CodeInvalid and say where the JSON is wrong (the byte
// offset, or the JSON pointer of a name given twice) or which class,
// attribute or relation type is.
func LoadModel(r io.Reader) (Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxModelSize+1))
	if err != nil {
		return Model{}, itsm.Wrap(itsm.CodeInvalid, err, "model: read")
	}
	if len(b) > MaxModelSize {
		return Model{}, itsm.Errorf(itsm.CodeInvalid, "model: more than %d bytes", MaxModelSize)
	}
	if err := distinctNames(b); err != nil {
		return Model{}, itsm.Wrap(itsm.CodeInvalid, err, "model")
	}
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Model{}, itsm.Wrap(itsm.CodeInvalid, jsonError(err), "model")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Model{}, itsm.Errorf(itsm.CodeInvalid, "model: data after the model object at byte %d", dec.InputOffset())
	}
	if err := m.Validate(); err != nil {
		return Model{}, err
	}
	return m, nil
}

// jsonError says where a decoding error is.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of the JSON")
	case errors.As(err, &syn):
		return errors.New(syn.Error() + " at byte " + strconv.FormatInt(syn.Offset, 10))
	case errors.As(err, &typ) && typ.Field != "":
		return errors.New(typ.Value + " where " + typ.Field + " is a " + typ.Type.String() + ", at byte " + strconv.FormatInt(typ.Offset, 10))
	}
	return err
}

// distinctNames refuses b unless it is one JSON value whose objects each
// name a member once: encoding/json keeps the last of two, which would
// make a model file mean other than it seems to.
func distinctNames(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(path string, depth int) error
	walk = func(path string, depth int) error {
		if depth > maxDepth {
			return errors.New("nested deeper than " + strconv.Itoa(maxDepth) + " at " + path)
		}
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return jsonError(err)
				}
				name := k.(string)
				p := path + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
				if seen[name] {
					return errors.New("name " + strconv.Quote(name) + " is given twice at " + p)
				}
				seen[name] = true
				if err := walk(p, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return jsonError(err)
			}
			return nil
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(path+"/"+strconv.Itoa(i), depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return jsonError(err)
			}
			return nil
		}
		return nil
	}
	return walk("", 0)
}

// maxDepth is how deeply a model file nests: a model needs five levels.
const maxDepth = 32
