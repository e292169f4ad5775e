package backend

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
)

// ValidateKind returns an *itsm.Error with itsm.CodeInvalid unless kind is
// one a record can have, for Get and Delete, which take a bare kind: so that
// they refuse exactly the kinds Put and Query refuse, before the kind reaches
// a database.
func ValidateKind(kind string) error { return validateName("record kind", kind) }

// ValidateRecord checks r against the rules every Store enforces, and returns
// an *itsm.Error with itsm.CodeInvalid naming the first broken one. Backends
// call it before writing, so that all of them accept exactly the same
// records.
func ValidateRecord(r itsm.Record) error {
	if err := ValidateKind(r.Kind); err != nil {
		return err
	}
	if r.ID.IsZero() {
		return itsm.Errorf(itsm.CodeInvalid, "%s record: id must not be zero", r.Kind)
	}
	if r.Version < 0 {
		return itsm.Errorf(itsm.CodeInvalid, "%s %s: version %d is negative", r.Kind, r.ID, r.Version)
	}
	if err := validateJSON(r.Body, false); err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "%s %s: body: %s", r.Kind, r.ID, err.Error())
	}
	n := 0
	for name, v := range r.Unique {
		if err := validateName("unique index name", name); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "%s %s: %s", r.Kind, r.ID, err.(*itsm.Error).Message)
		}
		if _, both := r.Index[name]; both {
			return itsm.Errorf(itsm.CodeInvalid, "%s %s: index %s is both unique and not", r.Kind, r.ID, name)
		}
		if err := validateValue(v); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "%s %s: unique index %s: %s", r.Kind, r.ID, name, err.Error())
		}
		n++
	}
	for name, vs := range r.Index {
		if err := validateName("index name", name); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "%s %s: %s", r.Kind, r.ID, err.(*itsm.Error).Message)
		}
		for _, v := range vs {
			if err := validateValue(v); err != nil {
				return itsm.Errorf(itsm.CodeInvalid, "%s %s: index %s: %s", r.Kind, r.ID, name, err.Error())
			}
		}
		n += len(vs)
	}
	if n > itsm.MaxIndexValues {
		return itsm.Errorf(itsm.CodeInvalid, "%s %s: %d index values, more than %d", r.Kind, r.ID, n, itsm.MaxIndexValues)
	}
	return nil
}

// ValidateEvent checks e as Append receives it (Seq is ignored) and returns an
// *itsm.Error with itsm.CodeInvalid naming the first broken rule.
func ValidateEvent(e itsm.Event) error {
	if len(e.Type) > 128 || !validEventType(e.Type) {
		return itsm.Errorf(itsm.CodeInvalid, "event type %s is not dot-separated words of a-z, 0-9 and _", quote(e.Type))
	}
	if e.Kind != "" || !e.Subject.IsZero() {
		if err := validateName("event kind", e.Kind); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "event %s: %s", e.Type, err.(*itsm.Error).Message)
		}
	}
	if e.Time.IsZero() {
		return itsm.Errorf(itsm.CodeInvalid, "event %s: time must not be zero", e.Type)
	}
	if y := e.Time.UTC().Year(); y < 1 || y > 9999 {
		return itsm.Errorf(itsm.CodeInvalid, "event %s: time %s is outside years 1 to 9999", e.Type, e.Time.UTC().Format(time.RFC3339))
	}
	if err := validateJSON(e.Data, true); err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "event %s: data: %s", e.Type, err.Error())
	}
	return nil
}

// ValidateQuery checks q and returns its effective limit, or an *itsm.Error
// with itsm.CodeInvalid naming the first broken rule.
func ValidateQuery(q itsm.Query) (limit int, err error) {
	if err := validateName("query kind", q.Kind); err != nil {
		return 0, err
	}
	if q.Index != "" {
		if err := validateName("query index", q.Index); err != nil {
			return 0, err
		}
	} else if q.Match != itsm.MatchAll {
		return 0, itsm.Errorf(itsm.CodeInvalid, "query of %s by id: only MatchAll is allowed", q.Kind)
	}
	switch q.Match {
	case itsm.MatchAll:
	case itsm.MatchEqual, itsm.MatchPrefix:
		if err := validateValue(q.Value); err != nil {
			return 0, itsm.Errorf(itsm.CodeInvalid, "query of %s by %s: value: %s", q.Kind, q.Index, err.Error())
		}
	case itsm.MatchRange:
		for _, v := range []string{q.From, q.To} {
			if err := validateValue(v); err != nil {
				return 0, itsm.Errorf(itsm.CodeInvalid, "query of %s by %s: range: %s", q.Kind, q.Index, err.Error())
			}
		}
	default:
		return 0, itsm.Errorf(itsm.CodeInvalid, "query of %s: unknown match %d", q.Kind, int(q.Match))
	}
	if q.After != "" {
		if _, _, err := ParseCursor(q.After); err != nil {
			return 0, err
		}
	}
	return itsm.ValidateLimit(q.Limit)
}

// ValidateEventsOf checks the arguments of itsm.ReadTx.EventsOf and returns
// the effective limit, or an *itsm.Error with itsm.CodeInvalid: so that
// every backend refuses the same calls before they reach a database.
func ValidateEventsOf(kind string, subject itsm.ID, limit int) (int, error) {
	if err := validateName("event kind", kind); err != nil {
		return 0, err
	}
	if subject.IsZero() {
		return 0, itsm.Errorf(itsm.CodeInvalid, "events of %s: subject must not be zero", kind)
	}
	return itsm.ValidateLimit(limit)
}

// validateName accepts a lower-case letter followed by up to 63 lower-case
// letters, digits, '_', '.' or '-': safe in SQL, URLs and log lines alike.
func validateName(what, s string) error {
	ok := len(s) >= 1 && len(s) <= 64 && 'a' <= s[0] && s[0] <= 'z'
	for i := 1; ok && i < len(s); i++ {
		c := s[i]
		ok = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return itsm.Errorf(itsm.CodeInvalid, "%s %s is not a-z followed by up to 63 of a-z, 0-9, _ . -", what, quote(s))
	}
	return nil
}

func validEventType(s string) bool {
	// Walked byte by byte rather than split into words: Append checks
	// every event.
	words, start := 0, true
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '.':
			if start {
				return false // an empty word
			}
			start = true
		case start:
			if c < 'a' || c > 'z' {
				return false
			}
			start = false
			words++
		case !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'):
			return false
		}
	}
	return !start && words >= 2
}

// validateValue accepts UTF-8 without NUL (PostgreSQL text cannot hold it) up
// to itsm.MaxValueSize bytes.
func validateValue(v string) error {
	switch {
	case len(v) > itsm.MaxValueSize:
		return fmt.Errorf("value of %d bytes is longer than %d", len(v), itsm.MaxValueSize)
	case !utf8.ValidString(v):
		return fmt.Errorf("value %s is not valid UTF-8", quote(v))
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("value %s contains a NUL byte", quote(v))
	}
	return nil
}

func validateJSON(b []byte, emptyOK bool) error {
	switch {
	case len(b) == 0 && emptyOK:
		return nil
	case len(b) == 0:
		return errors.New("empty, want JSON")
	case len(b) > itsm.MaxBodySize:
		return fmt.Errorf("%d bytes is more than %d", len(b), itsm.MaxBodySize)
	case !utf8.Valid(b):
		return errors.New("not valid UTF-8")
	case !json.Valid(b):
		return errors.New("not valid JSON")
	}
	return nil
}
