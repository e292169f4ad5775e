package itsm

import "github.com/google/uuid"

// ID identifies every record in spoc. New IDs are UUID version 7, so they sort
// by creation time, which keeps B-tree indexes in the store backends compact.
//
// In JSON and other text encodings an ID is its canonical string; the zero ID
// is "00000000-0000-0000-0000-000000000000", so a missing reference stays
// visible instead of disappearing.
type ID uuid.UUID

// NewID returns a new UUID v7.
func NewID() ID { return ID(uuid.Must(uuid.NewV7())) }

// ParseID parses the canonical 8-4-4-4-12 form that String returns; hex digits
// may be upper or lower case. Other spellings that package uuid accepts
// (braces, "urn:uuid:", no hyphens) are refused, so that one record has one
// spelling in URLs, logs and cache keys.
func ParseID(s string) (ID, error) {
	// At 36 bytes uuid.Parse accepts only the hyphenated form.
	if len(s) == 36 {
		if u, err := uuid.Parse(s); err == nil {
			return ID(u), nil
		}
	}
	return ID{}, Errorf(CodeInvalid, "id %s is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", quote(s))
}

// MustParseID is ParseID for constants in tests and examples; it panics on a
// malformed s.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// IsZero reports whether id is the zero (nil) UUID.
func (id ID) IsZero() bool { return id == ID{} }

// String formats id in the canonical 8-4-4-4-12 form.
func (id ID) String() string { return uuid.UUID(id).String() }

// MarshalText encodes id as String does, so that JSON carries a string rather
// than an array of 16 numbers.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes what MarshalText produces, as strictly as ParseID.
func (id *ID) UnmarshalText(text []byte) error {
	v, err := ParseID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
