package demo_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
)

// TestServerDocProblemWalkthrough runs the shell block of docs/server.md's
// "Try it: a problem", as written, with bash and curl against an
// in-process server seeded with the demo and its history: the seeded
// problem ends closed with both incidents resolved by its workaround, and
// the history's candidate is a problem with its incidents linked.
func TestServerDocProblemWalkthrough(t *testing.T) {
	blocks := shellBlocks(t, "Try it: a problem", 1, "bash", "curl", "sed", "grep")
	ctx := context.Background()
	srv, cast := startWithPast(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(blocks[0][1])+"echo \"PRB=$PRB WA=$WA\"\n")
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"NETWORK_TOKEN="+cast.Token(demo.EnvNetwork).Secret, "NETWORK_ID="+cast.Network.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`PRB=([0-9a-f-]{36}) WA=([0-9a-f-]{36})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the walkthrough found no problem or workaround:\n%s", out)
	}
	desk, err := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.Check(desk.GetProblemWithResponse(ctx, string(m[1])))
	if err != nil || p.JSON200.State != problem.StateClosed || p.JSON200.Summary != demo.ProblemSummary {
		t.Fatalf("after the walkthrough the problem is %v %v:\n%s", p, err, out)
	}
	linked, err := client.Check(desk.ListProblemIncidentsWithResponse(ctx, p.JSON200.ID))
	if err != nil || len(linked.JSON200.Items) != 2 {
		t.Fatalf("the problem's incidents: %v %v", linked, err)
	}
	wa := itsm.MustParseID(string(m[2]))
	for _, inc := range linked.JSON200.Items {
		if inc.State != incident.StateResolved || inc.Outcome == nil || inc.Outcome.Workaround != wa {
			t.Errorf("%s after the walkthrough: %s %+v", inc.Number, inc.State, inc.Outcome)
		}
	}
	w, err := client.Check(desk.GetWorkaroundWithResponse(ctx, wa))
	if err != nil || w.JSON200.Resolved != 2 {
		t.Errorf("the workaround after the walkthrough: %v %v", w, err)
	}
	// The candidate became a problem with its incidents, and is proposed
	// no more.
	l, err := client.Check(desk.ListProblemsWithResponse(ctx, &api.ListProblemsParams{}))
	if err != nil || len(l.JSON200.Items) != 2 {
		t.Fatalf("the problems: %v %s:\n%s", err, l.Body, out[max(0, len(out)-1500):])
	}
	i := slices.IndexFunc(l.JSON200.Items, func(p api.ProblemRecord) bool { return p.Candidate != "" })
	if i < 0 || l.JSON200.Items[i].Linked < demo.SpikeCount {
		t.Errorf("no problem from the candidate with its %d incidents: %s", demo.SpikeCount, l.Body)
	}
	if cs, err := client.Check(desk.ListProblemCandidatesWithResponse(ctx)); err != nil || len(cs.JSON200.Items) != 0 {
		t.Errorf("the candidates after the acceptance: %v %v", cs, err)
	}
}

// shellBlocks returns the want shell blocks of the section of
// docs/server.md with the title, after skipping the test if a tool the
// blocks run is missing.
func shellBlocks(t *testing.T, title string, want int, tools ...string) [][][]byte {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s: %v", tool, err)
		}
	}
	doc, err := os.ReadFile("../../docs/server.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)\n## " + regexp.QuoteMeta(title) + "\n(.*?)\n## ").FindSubmatch(doc)
	if section == nil {
		t.Fatalf("docs/server.md has no section %q", title)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(section[1], -1)
	if len(blocks) != want {
		t.Fatalf("the section %q has %d shell blocks, want %d", title, len(blocks), want)
	}
	return blocks
}
