package backend

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
)

// NewCursor returns the cursor positioned just after value and id in index
// order, for Page.Next: the ID's 16 bytes and then the value, in unpadded
// URL-safe base64, so that the reference server can hand it to clients as
// it is.
func NewCursor(value string, id itsm.ID) itsm.Cursor {
	b := make([]byte, 0, len(id)+len(value))
	b = append(b, id[:]...)
	b = append(b, value...)
	return itsm.Cursor(base64.RawURLEncoding.EncodeToString(b))
}

// ParseCursor returns the value and record ID that c continues after. The
// empty cursor, and one that NewCursor did not make, fail with
// itsm.CodeInvalid.
func ParseCursor(c itsm.Cursor) (value string, id itsm.ID, err error) {
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil || len(b) < len(id) || len(b)-len(id) > itsm.MaxValueSize {
		return "", itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "cursor %s is not one this store returned", quote(string(c)))
	}
	copy(id[:], b)
	value = string(b[len(id):])
	if id.IsZero() || !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
		return "", itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "cursor %s is not one this store returned", quote(string(c)))
	}
	return value, id, nil
}
