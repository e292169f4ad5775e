package httpapi

import (
	"errors"
	"strings"
	"testing"
)

func TestStrictJSON(t *testing.T) {
	for _, ok := range []string{
		`{}`, `[]`, `"x"`, `1e400`, ` {"a":1} ` + "\n",
		`{"a":{"a":{"a":[{"a":1},{"a":2}]}},"b":[[],[{}],{"a":null}],"c":"a"}`,
		`{"a":"b","b":"a","":1}`, `[{"a":1,"b":{"a":1}},{"a":1}]`, `{"a\u00e5":1,"aå2":2}`,
	} {
		if err := strictJSON([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for in, pointer := range map[string]string{
		`{"a":1,"a":2}`:                    "/",
		`{"a":{"b":1,"b":1}}`:              "/a",
		`[0,{"x":[1,{"y":1,"y":1}]}]`:      "/1/x/1",
		`{"a/b~":{"":1,"":2}}`:             "/a~1b~0",
		`{"a":[],"b":{},"c":1,"\u0061":1}`: "/",
	} {
		var de *duplicateError
		if err := strictJSON([]byte(in)); !errors.As(err, &de) || de.pointer != pointer {
			t.Errorf("%s: %v, want a duplicate at %s", in, err, pointer)
		}
	}
	for in, says := range map[string]string{
		``: "no JSON value", ` `: "no JSON value", `{} {}`: "after", `{}x`: "after", `[1]]`: "after",
		`{"a":1`: "not JSON", `{"a" 1}`: "not JSON", "\"\xc3\x28\"": "byte 1", `{'a':1}`: "not JSON",
	} {
		if err := strictJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want an error saying %q", in, err, says)
		}
	}
}

func TestJSONMediaType(t *testing.T) {
	for _, ok := range []string{"application/json", "APPLICATION/json", "application/json;charset=utf-8", `application/json; Charset="UTF-8"`} {
		if err := jsonMediaType(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "text/json", "application/json; charset=utf-16", "application/json; v=1", "application/*", "application/json;;"} {
		if err := jsonMediaType(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
