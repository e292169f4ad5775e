package sla_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// codedOnce checks that err is an invalid *itsm.Error that errors.Is and
// errors.As see however it was wrapped, and that its text says the code
// once and names what it should.
func codedOnce(t *testing.T, what string, err error, says string) {
	t.Helper()
	var e *itsm.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error", what)
	case !errors.Is(err, itsm.ErrInvalid) || !errors.As(err, &e) || itsm.ErrorCode(err) != itsm.CodeInvalid:
		t.Errorf("%s: %v (%T) is not an invalid *itsm.Error", what, err, err)
	case strings.Count(err.Error(), "invalid") != strings.Count(says, "invalid")+1 || !strings.HasPrefix(err.Error(), "invalid: "):
		t.Errorf("%s: %q does not say its code once, first", what, err)
	case !strings.Contains(e.Text(), says):
		t.Errorf("%s: %q does not say %q", what, e.Text(), says)
	}
}

// TestCalendarErrorsAreCoded checks that every kind of invalid calendar,
// span and date is refused with itsm.CodeInvalid, so that a server passes
// the error on rather than guessing its kind, and that the causes a
// calendar's error wraps stay reachable.
func TestCalendarErrorsAreCoded(t *testing.T) {
	for _, c := range []struct{ json, says string }{
		{`{"name":"x","location":"Europe/Stockholm","hours":"24x7","colour":"red"}`, `unknown field "colour"`},
		{`{"name":"x","location":"Europe/Stockholm","hours":"24x7"} {}`, "unexpected data"},
		{`{"name":"x","hours":"24x7"}`, "location must name a time zone"},
		{`{"name":"x","location":"Local","hours":"24x7"}`, `"Local" depends on the machine`},
		{`{"name":"x","location":"Mars/Olympus","hours":"24x7"}`, "not a known time zone"},
		{`{"name":"x","location":"UTC"}`, "hours: missing"},
		{`{"name":"x","location":"UTC","hours":"9to5"}`, `"9to5" is neither`},
		{`{"name":"x","location":"UTC","hours":{"mon":["08:00-17:00"],"fun":[]}}`, `"fun" is not a weekday`},
		{`{"name":"x","location":"UTC","hours":{"mon":["8-17"]}}`, `hours mon[0]: span "8-17": time "8" is not HH:MM`},
		{`{"name":"x","location":"UTC","hours":{"mon":["17:00-08:00"]}}`, "does not end after it starts"},
		{`{"name":"x","location":"UTC","hours":{"mon":["08:00-12:00","11:00-17:00"]}}`, "overlap"},
		{`{"name":"x","location":"UTC","hours":{"mon":[]}}`, "the week has no working time"},
		{`{"name":"x","location":"UTC","hours":"24x7","holidays":["xx"]}`, `unknown country code "xx"`},
		{`{"name":"x","location":"UTC","hours":"24x7","days":{"2026-02-30":[]}}`, `date "2026-02-30" is not a valid YYYY-MM-DD date`},
		{`{"name":"x","location":"UTC","hours":"24x7","days":{"1900-01-01":[]}}`, "outside the years"},
		{`{"name":"x","location":"UTC","hours":"24x7","days":{"2026-12-24":["25:00-26:00"]}}`, "days 2026-12-24[0]"},
		{`{"name":"","location":"UTC","hours":"24x7"}`, "name must not be empty"},
	} {
		_, err := sla.ParseCalendar([]byte(c.json))
		codedOnce(t, c.json, err, c.says)
	}
	// The causes stay in the chain: the decoder's, and the span's own.
	_, err := sla.ParseCalendar([]byte(`{"name":1}`))
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		t.Errorf("a wrongly typed name: %v does not wrap the decoder's error", err)
	}
	_, err = sla.ParseCalendar([]byte(`{"name":"x","location":"UTC","hours":{"mon":["8-17"]}}`))
	var outer, inner *itsm.Error
	if !errors.As(err, &outer) || !errors.As(outer.Unwrap(), &inner) || !strings.Contains(inner.Text(), `span "8-17"`) {
		t.Errorf("%v: the span's own *itsm.Error is not in the chain", err)
	}

	_, err = sla.NewCalendar(sla.CalendarSpec{Name: "x", Location: time.UTC,
		Week: [7][]sla.Span{time.Monday: {{Start: 8 * time.Hour, End: 25 * time.Hour}}}})
	codedOnce(t, "NewCalendar", err, "outside 00:00-24:00")
	_, err = sla.ParseSpan("08:00")
	codedOnce(t, "ParseSpan", err, "is not HH:MM-HH:MM")
	_, err = sla.ParseDate("30.11.2026")
	codedOnce(t, "ParseDate", err, "is not a valid YYYY-MM-DD date")
}

// TestAgreementErrorsKeepTheirCause checks that an agreement refused for
// its name or its credits wraps the refusal of the name or the credits,
// rather than repeating its text.
func TestAgreementErrorsKeepTheirCause(t *testing.T) {
	ag := agreementWith(&sla.Credits{MonthlyFee: 100, Currency: "EUR", Cap: 200,
		Steps: []sla.CreditStep{{Above: 0, Percent: 5}}})
	err := ag.Validate()
	codedOnce(t, "credits", err, `agreement "city SLA": credits: cap 200 is not in (0, 100]`)
	var cause *itsm.Error
	if !errors.As(errors.Unwrap(errors.Unwrap(err)), &cause) || !strings.HasPrefix(cause.Text(), "credits:") {
		t.Errorf("%v does not wrap the credits' own error", err)
	}
	ag = agreementWith(nil)
	ag.Name = "city\u202eSLA"
	codedOnce(t, "name", ag.Validate(), `agreement "city\u202eSLA": name`)
}
