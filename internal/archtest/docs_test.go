package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestRequirementsNameRealTests keeps docs/requirements.md honest: every
// test, example, fuzz target and benchmark it cites as proof exists.
func TestRequirementsNameRealTests(t *testing.T) {
	doc, err := os.ReadFile("../../docs/requirements.md")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Example|Fuzz|Benchmark)\w*)\(`)
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cited := regexp.MustCompile("`((?:Test|Example|Fuzz|Benchmark)[A-Za-z0-9_]*)`").FindAllStringSubmatch(string(doc), -1)
	if len(cited) < 10 {
		t.Fatalf("docs/requirements.md cites %d tests; the pattern no longer finds them", len(cited))
	}
	for _, m := range cited {
		if !defined[m[1]] {
			t.Errorf("docs/requirements.md cites %s, which no _test.go file defines", m[1])
		}
	}
}

// requirementID matches a requirement ID as the code and documents cite it:
// the chapter's two letters (SD service desk, IM incidents, RF requests, PM
// problems, CM configuration, CH change, KM knowledge, SL service levels, SP
// portal, SC scale), a hyphen and a number.
var requirementID = regexp.MustCompile(`\b(?:SD|IM|RF|PM|CM|CH|KM|SL|SP|SC)-[0-9]+\b`)

// TestEveryRequirementIDIsExplained keeps the repository self-explaining: a
// requirement ID cited anywhere in it (code, tests, documents, the contract)
// has its own section in docs/requirements.md that states the requirement,
// and every link of that page's overview leads to a section.
func TestEveryRequirementIDIsExplained(t *testing.T) {
	doc, err := os.ReadFile("../../docs/requirements.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{} // ID -> has a section
	anchors := map[string]bool{}
	heading := regexp.MustCompile(`(?m)^### ((?:[A-Z]{2})-[0-9]+) (.+)$`)
	for _, m := range heading.FindAllStringSubmatch(string(doc), -1) {
		if sections[m[1]] {
			t.Errorf("docs/requirements.md has two sections for %s", m[1])
		}
		sections[m[1]] = true
		anchors[anchor(m[1]+" "+m[2])] = true
	}
	if len(sections) < 40 {
		t.Fatalf("docs/requirements.md has %d requirement sections; the pattern no longer finds them", len(sections))
	}
	for _, m := range regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`).FindAllStringSubmatch(string(doc), -1) {
		if !anchors[m[1]] {
			t.Errorf("docs/requirements.md links to #%s, which no section heading makes", m[1])
		}
	}

	cited := map[string]string{} // ID -> first file citing it
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".cache") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".yaml", ".json", ".html":
		default:
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, id := range requirementID.FindAllString(string(src), -1) {
			if _, ok := cited[id]; !ok {
				cited[id] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cited) < 10 {
		t.Fatalf("found %d requirement IDs in the repository; the walk no longer finds them", len(cited))
	}
	for id, path := range cited {
		if !sections[id] {
			t.Errorf("%s cites %s, which docs/requirements.md does not explain (no section \"### %s ...\")", path, id, id)
		}
	}
}

// anchor is the fragment GitHub gives a heading: lower case, spaces as
// hyphens, other punctuation dropped.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
