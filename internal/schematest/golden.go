package schematest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// GoldenDir is where a package keeps the golden files of its schemas.
const GoldenDir = "testdata/schemas"

// Golden checks that schemas, keyed by name (an event type), are their
// golden files in GoldenDir byte for byte, one file per schema and no
// other, each with the $id schema.URL gives its name. With update it first
// rewrites the files: the run after a deliberate change to a payload.
func Golden(t *testing.T, schemas map[string][]byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(GoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, _ := filepath.Glob(filepath.Join(GoldenDir, "*.json"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range schemas {
			if err := os.WriteFile(filepath.Join(GoldenDir, name+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(GoldenDir, "*.json"))
	var golden, want []string
	for _, f := range files {
		golden = append(golden, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	for name := range schemas {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(golden, want) {
		t.Errorf("golden files for %v, want one for each of %v (go test -run %s -update rewrites them)", golden, want, t.Name())
	}
	for name, got := range schemas {
		b, err := os.ReadFile(filepath.Join(GoldenDir, name+".json"))
		switch {
		case err != nil:
			t.Errorf("%s: %v (go test -run %s -update writes it)", name, err, t.Name())
		case !bytes.Equal(got, b):
			t.Errorf("%s differs from %s/%s.json (go test -run %s -update rewrites it if the change is meant):\n%s",
				name, GoldenDir, name, t.Name(), firstDiff(b, got))
		}
		if !bytes.Contains(got, []byte(`"$id": "`+schema.URL(name)+`"`)) {
			t.Errorf("%s: $id is not %s", name, schema.URL(name))
		}
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\n golden:    %q\n generated: %q", i+1, wl, gl)
		}
	}
	return "same lines"
}
