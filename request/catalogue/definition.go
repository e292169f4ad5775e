package catalogue

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Limits on a definition, so that a version stays small enough to be read
// with every order placed under it.
const (
	// MaxDescription is the longest description in one language, in bytes.
	MaxDescription = 4000
	// MaxTasks is the most tasks of a version.
	MaxTasks = 20
	// MaxAgreements is the most agreements a version names.
	MaxAgreements = 20
	// MaxApprovalWithin is the longest working time an approval may take.
	MaxApprovalWithin = 30 * 24 * time.Hour
	// MaxNote is the longest note of an agreement or reason of a
	// withdrawal, in bytes.
	MaxNote = 2000
)

var taskKey = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// clean checks d, trims its labels and compacts its form, returning the
// definition as it is to be stored. It checks everything that needs
// neither the directory nor the store; Catalogue checks the suppliers and
// groups.
func clean(d Definition) (Definition, error) {
	var err error
	if d.Name, err = cleanText("name", d.Name, 0); err != nil {
		return d, err
	}
	if d.Description, err = cleanText("description", d.Description, MaxDescription); err != nil {
		return d, err
	}
	if d.Service, err = required("service", d.Service); err != nil {
		return d, err
	}
	if d.Owner, err = required("owner", d.Owner); err != nil {
		return d, err
	}
	if !d.Type.Valid() {
		return d, itsm.Errorf(itsm.CodeInvalid, "type %q is not A, B or C", itsm.Printable(string(d.Type), 40))
	}
	if d.Form, err = checkForm(d.Form); err != nil {
		return d, err
	}
	switch {
	case d.Type == TypeA && !taskKey.MatchString(d.Fulfiller):
		return d, itsm.Errorf(itsm.CodeInvalid, "fulfiller %q is not 1 to 32 of a-z, 0-9, _ and -: an item of type A names the host's fulfiller of its orders", itsm.Printable(d.Fulfiller, 40))
	case d.Type != TypeA && d.Fulfiller != "":
		return d, itsm.Errorf(itsm.CodeInvalid, "fulfiller %q: only an item of type A is fulfilled in code", itsm.Printable(d.Fulfiller, 40))
	}
	if d.Tasks, err = cleanTasks(d.Type, d.Tasks); err != nil {
		return d, err
	}
	if err := checkApproval(d.Type, d.Approval); err != nil {
		return d, err
	}
	if d.Agreements, err = cleanAgreements(d.Agreements); err != nil {
		return d, err
	}
	return d.clone(), nil
}

// required trims a label that must not be empty and checks it.
func required(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	}
	return v, itsm.CheckLabel(name, v)
}

// cleanText trims and checks each language of a text: a label when limit
// is 0, a text of at most limit bytes otherwise. Swedish and English are
// required.
func cleanText(name string, t Text, limit int) (Text, error) {
	langs := []struct {
		code     string
		v        *string
		required bool
	}{{"sv", &t.SV, true}, {"en", &t.EN, true}, {"nb", &t.NB, false}}
	for _, l := range langs {
		what := name + " (" + l.code + ")"
		*l.v = strings.TrimSpace(*l.v)
		if *l.v == "" && l.required {
			return t, itsm.Errorf(itsm.CodeInvalid, "%s is empty; Swedish and English are required", what)
		}
		var err error
		if limit == 0 {
			err = itsm.CheckLabel(what, *l.v)
		} else {
			err = itsm.CheckText(what, *l.v, limit)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// cleanTasks checks the tasks against the type's rules and each other:
// keys unique, dependencies on tasks of the version, and no cycle.
func cleanTasks(typ Type, tasks []Task) ([]Task, error) {
	switch {
	case len(tasks) > MaxTasks:
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d tasks are more than %d", len(tasks), MaxTasks)
	case typ == TypeA && len(tasks) > 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "an item of type A is fulfilled in code and has no tasks, not %d", len(tasks))
	case typ == TypeB && len(tasks) > 1:
		return nil, itsm.Errorf(itsm.CodeInvalid, "an item of type B is handled by hand in one task at the most, not %d", len(tasks))
	case typ == TypeC && len(tasks) < 2:
		return nil, itsm.Errorf(itsm.CodeInvalid, "an item of type C has the desk coordinate two or more suppliers' tasks, not %d", len(tasks))
	}
	out := make([]Task, len(tasks))
	keys := make(map[string]int, len(tasks))
	for i, t := range tasks {
		if !taskKey.MatchString(t.Key) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "task %d: key %q is not 1 to 32 of a-z, 0-9, _ and -", i, itsm.Printable(t.Key, 40))
		}
		if _, dup := keys[t.Key]; dup {
			return nil, itsm.Errorf(itsm.CodeInvalid, "task %d: key %q is the key of another task", i, t.Key)
		}
		keys[t.Key] = i
		var err error
		if t.Name, err = cleanText("task "+t.Key+": name", t.Name, 0); err != nil {
			return nil, err
		}
		if t.Supplier.IsZero() && typ != TypeB {
			return nil, itsm.Errorf(itsm.CodeInvalid, "task %s names no supplier; only the task of an item of type B may be left to the desk", t.Key)
		}
		t.After = slices.Clone(t.After)
		out[i] = t
	}
	if typ == TypeC {
		if s := (&Definition{Tasks: out}).suppliers(); len(distinct(s)) < 2 {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the tasks of an item of type C name %d supplier; it coordinates two or more", len(distinct(s)))
		}
	}
	for _, t := range out {
		for _, a := range t.After {
			switch _, ok := keys[a]; {
			case a == t.Key:
				return nil, itsm.Errorf(itsm.CodeInvalid, "task %s comes after itself", t.Key)
			case !ok:
				return nil, itsm.Errorf(itsm.CodeInvalid, "task %s comes after task %q, which the version does not have", t.Key, itsm.Printable(a, 40))
			}
		}
		slices.Sort(t.After)
		if len(slices.Compact(slices.Clone(t.After))) != len(t.After) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "task %s names a task it comes after twice", t.Key)
		}
	}
	if cycle := findCycle(out, keys); cycle != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "tasks %s wait for each other in a cycle, so none of them could start", strings.Join(cycle, " → "))
	}
	return out, nil
}

// distinct returns ids without repeats.
func distinct(ids []itsm.ID) []itsm.ID {
	seen := make(map[itsm.ID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// findCycle returns the keys of a cycle of tasks waiting for each other,
// the first key repeated at the end, or nil when there is none: a
// depth-first search that finds a task on the path it is exploring.
func findCycle(tasks []Task, index map[string]int) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(tasks))
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = onPath
		path = append(path, tasks[i].Key)
		for _, a := range tasks[i].After {
			j := index[a]
			switch state[j] {
			case onPath:
				start := slices.Index(path, a)
				return append(slices.Clone(path[start:]), a)
			case unseen:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i := range tasks {
		if state[i] == unseen {
			if c := visit(i); c != nil {
				return c
			}
		}
	}
	return nil
}

// checkApproval checks the approval against the type's rules (RF-3): type
// B requires one, type A has none, type C may have one.
func checkApproval(typ Type, a *Approval) error {
	switch {
	case a == nil && typ == TypeB:
		return itsm.Errorf(itsm.CodeInvalid, "an item of type B needs an approval (RF-3)")
	case a == nil:
		return nil
	case typ == TypeA:
		return itsm.Errorf(itsm.CodeInvalid, "an item of type A is fulfilled in code and takes no approval")
	case !a.Rule.Valid():
		return itsm.Errorf(itsm.CodeInvalid, "approval rule %q is not any or all", itsm.Printable(string(a.Rule), 40))
	case a.Within <= 0 || a.Within > MaxApprovalWithin:
		return itsm.Errorf(itsm.CodeInvalid, "approval within %s is not more than zero and at most %s", a.Within, MaxApprovalWithin)
	case a.Remind < 0 || a.Remind >= a.Within:
		return itsm.Errorf(itsm.CodeInvalid, "approval reminder after %s is not zero (none) or less than the %s allowed", a.Remind, a.Within)
	}
	return nil
}

// cleanAgreements trims and checks the names of the agreements, each once.
func cleanAgreements(names []string) ([]string, error) {
	if len(names) > MaxAgreements {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d agreements are more than %d", len(names), MaxAgreements)
	}
	out := make([]string, 0, len(names))
	for i, n := range names {
		n, err := required("agreement "+strconv.Itoa(i), n)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, n) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "agreement %q is named twice", n)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
