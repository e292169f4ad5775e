package main

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// TestConstantHoldsTheBytes compiles the generated source and checks that
// the constant is the input byte for byte, including the two bytes a raw
// string literal cannot hold: the backquote, and the carriage return that
// the compiler drops from raw strings.
func TestConstantHoldsTheBytes(t *testing.T) {
	for _, in := range []string{
		"",
		"openapi: 3.0.3\n",
		"`",
		"a `quoted` word\n``\n",
		"crlf\r\nline\r\n",
		"\r",
		"ends in a backquote`",
		"µs and μs\x00\xff",
	} {
		src, err := generate("x.yaml", "p", "c", []byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "c.go", src, parser.ParseComments)
		if err != nil {
			t.Fatalf("%q: the output does not parse: %v\n%s", in, err, src)
		}
		if !ast.IsGenerated(f) {
			t.Errorf("%q: the output is not marked as generated", in)
		}
		pkg, err := new(types.Config).Check("p", fset, []*ast.File{f}, nil)
		if err != nil {
			t.Fatalf("%q: the output does not compile: %v\n%s", in, err, src)
		}
		c, ok := pkg.Scope().Lookup("c").(*types.Const)
		if !ok {
			t.Fatalf("%q: no constant c", in)
		}
		if got := constant.StringVal(c.Val()); got != in {
			t.Errorf("the constant is %q, want %q", got, in)
		}
	}
}
