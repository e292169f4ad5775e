package passwordreset_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/passwordreset"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

var questions = []passwordreset.Question{
	{ID: "school", Text: "Vilken skola gick du i först?"},
	{ID: "pet", Text: "Vad hette ditt första husdjur?"},
	{ID: "street", Text: "Vilken gata växte du upp på?"},
}

// annasAnswers are distinctive, so that a test can look for them in raw
// bytes.
var annasAnswers = map[string]string{"school": "Kvarnbyskolan Zeta", "pet": "Hunden Quixotte", "street": "Ölandsgatan Xylo"}

// fixture is one Resetter over a store, with its directory, outbox and
// clock.
type fixture struct {
	store  itsm.Store
	r      *passwordreset.Resetter
	dir    *directory
	outbox *mail.Memory
	clock  *itsm.ManualClock
	cfg    passwordreset.Config
}

// newFixture makes a Resetter over store with cheap hashes, changed by
// change, and enrols anna.
func newFixture(t *testing.T, store itsm.Store, change func(*passwordreset.Config)) *fixture {
	t.Helper()
	f := &fixture{store: store, dir: newDirectory(), outbox: &mail.Memory{}, clock: itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))}
	f.dir.emails["anna"] = "Anna Lindqvist <anna.lindqvist@kund.example>"
	f.cfg = passwordreset.Config{
		Store: store, Passwords: f.dir, Addresses: f.dir, Mail: f.outbox,
		From: "Servicedesken <desk@spoc.example>", Questions: questions,
		Iterations: passwordreset.MinIterations, MaxAttempts: 3, Clock: f.clock,
	}
	if change != nil {
		change(&f.cfg)
	}
	var err error
	if f.r, err = passwordreset.New(f.cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.r.Enrol(context.Background(), "anna", annasAnswers); err != nil {
		t.Fatal(err)
	}
	return f
}

// answers is the JSON of an order's answers.
func answers(m map[string]string) json.RawMessage {
	b, _ := json.Marshal(m)
	return b
}

// with returns annasAnswers with question q answered a.
func with(q, a string) map[string]string {
	m := map[string]string{}
	for k, v := range annasAnswers {
		m[k] = v
	}
	m[q] = a
	return m
}

// without returns annasAnswers without an answer to question q.
func without(q string) map[string]string {
	m := with(q, "")
	delete(m, q)
	return m
}

func (f *fixture) verify(m map[string]string) error {
	return f.r.Verify(context.Background(), request.Verification{Requester: "anna", Answers: answers(m)})
}

// events returns every event of the log.
func events(t *testing.T, store itsm.Store) []itsm.Event {
	t.Helper()
	var out []itsm.Event
	err := store.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		out, err = tx.Events(0, itsm.MaxLimit)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// records returns every record of kind.
func records(t *testing.T, store itsm.Store, kind string) []itsm.Record {
	t.Helper()
	var out []itsm.Record
	err := store.Read(context.Background(), func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: kind, Limit: itsm.MaxLimit})
		for _, h := range page.Matches {
			out = append(out, h.Record)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eachBackend runs test on every backend.
func eachBackend(t *testing.T, test func(t *testing.T, store itsm.Store)) {
	for name, open := range backendtest.Open("spoc_passwordreset_") {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
}

// TestVerifyMatches: the enrolled answers match, also in other case,
// spacing and Unicode form, and a match clears the count of attempts.
func TestVerifyMatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		for _, m := range []map[string]string{
			annasAnswers,
			{"school": "  kvarnbyskolan   ZETA ", "pet": "HUNDEN quixotte", "street": "O\u0308landsgatan xylo"},
			{"school": "ＫＶＡＲＮＢＹＳＫＯＬＡＮ zeta", "pet": "Hunden\u00a0Quixotte", "street": "ÖLANDSGATAN XYLO"},
		} {
			if err := f.verify(m); err != nil {
				t.Fatalf("%v: %v", m, err)
			}
		}
		if err := f.verify(with("pet", "nope")); !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Fatal(err)
		}
		if err := f.verify(annasAnswers); err != nil {
			t.Fatal(err)
		}
		var a struct {
			Times []time.Time `json:"times"`
		}
		if err := json.Unmarshal(records(t, store, passwordreset.KindAttempts)[0].Body, &a); err != nil || len(a.Times) != 0 {
			t.Fatalf("attempts after a match: %v (%v)", a.Times, err)
		}
	})
}

// TestWrongAnswerSaysNotWhich: any one wrong answer is forbidden with the
// same sentence, which names neither the question nor an answer.
func TestWrongAnswerSaysNotWhich(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, func(c *passwordreset.Config) { c.MaxAttempts = 10 })
		var messages []string
		for _, q := range questions {
			err := f.verify(with(q.ID, "Fel svar Wqz"))
			if !itsm.IsCode(err, itsm.CodeForbidden) {
				t.Fatalf("wrong %s: %v", q.ID, err)
			}
			for _, leak := range []string{q.ID, "Wqz", "Zeta", "Quixotte", "Xylo"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("%q says %q", err, leak)
				}
			}
			messages = append(messages, err.Error())
		}
		if messages[0] != messages[1] || messages[1] != messages[2] {
			t.Fatalf("the refusals differ: %q", messages)
		}
	})
}

// TestVerifyRefusesBadInput: a malformed order is invalid, names the
// question and not the answer, and counts no attempt.
func TestVerifyRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		before := len(events(t, store))
		for _, tc := range []struct {
			name    string
			v       request.Verification
			want    string
			forbids bool
		}{
			{"no requester", request.Verification{Answers: answers(annasAnswers)}, "person is empty", false},
			{"requester two lines", request.Verification{Requester: "anna\nbo", Answers: answers(annasAnswers)}, "person", false},
			{"not an object", request.Verification{Requester: "anna", Answers: json.RawMessage(`["Zeta"]`)}, "not a JSON object", false},
			{"null", request.Verification{Requester: "anna", Answers: json.RawMessage(`null`)}, "not a JSON object", false},
			{"missing", request.Verification{Requester: "anna", Answers: answers(without("pet"))}, "question pet is missing", false},
			{"not a string", request.Verification{Requester: "anna", Answers: json.RawMessage(`{"school":1,"pet":"a","street":"b"}`)}, "question school is not a string", false},
			{"blank", request.Verification{Requester: "anna", Answers: answers(with("street", " \t "))}, "street", false},
			{"control", request.Verification{Requester: "anna", Answers: answers(with("street", "Xylo\x07"))}, "street", false},
			{"not enrolled", request.Verification{Requester: "bo", Answers: answers(annasAnswers)}, "enrolled no control answers", true},
		} {
			err := f.r.Verify(context.Background(), tc.v)
			want := itsm.CodeInvalid
			if tc.forbids {
				want = itsm.CodeForbidden
			}
			if !itsm.IsCode(err, want) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Xylo") {
				t.Errorf("%s: %v, want %s saying %q", tc.name, err, want, tc.want)
			}
		}
		if after := len(events(t, store)); after != before {
			t.Fatalf("%d events appended for refused input", after-before)
		}
	})
}

// TestQuestionsChanged: a person whose enrolment lacks a question asked
// now is refused before anything is compared, and told to enrol again.
func TestQuestionsChanged(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		cfg := f.cfg
		cfg.Questions = append(append([]passwordreset.Question(nil), questions...), passwordreset.Question{ID: "city", Text: "Var föddes du?"})
		r, err := passwordreset.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = r.Verify(context.Background(), request.Verification{Requester: "anna", Answers: answers(with("city", "Lund"))})
		if !itsm.IsCode(err, itsm.CodeForbidden) || !strings.Contains(err.Error(), "enrol again") {
			t.Fatal(err)
		}
		if n := len(records(t, store, passwordreset.KindAttempts)); n != 0 {
			t.Fatalf("%d attempts records", n)
		}
	})
}

// TestLockout: MaxAttempts attempts without a match within the window
// lock the person out, right answers included, until the lockout ends;
// attempts older than the window and attempts before a match do not
// count.
func TestLockout(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, func(c *passwordreset.Config) { c.Window, c.Lockout = 10*time.Minute, time.Hour })
		wrong := with("school", "fel")
		// Two wrong, a match, two wrong: not locked.
		for _, m := range []map[string]string{wrong, wrong, annasAnswers, wrong, wrong} {
			f.verify(m)
		}
		if err := f.verify(annasAnswers); err != nil {
			t.Fatalf("after two wrong since a match: %v", err)
		}
		// Two wrong, the window passes, two wrong: not locked.
		f.verify(wrong)
		f.verify(wrong)
		f.clock.Advance(10 * time.Minute)
		f.verify(wrong)
		f.verify(wrong)
		if err := f.verify(annasAnswers); err != nil {
			t.Fatalf("after two wrong in the window: %v", err)
		}
		// Three wrong within the window: locked, right answers too.
		for range 3 {
			if err := f.verify(wrong); !strings.Contains(err.Error(), "do not match") {
				t.Fatalf("wrong answers before the lockout: %v", err)
			}
			f.clock.Advance(time.Minute)
		}
		err := f.verify(annasAnswers)
		if !itsm.IsCode(err, itsm.CodeForbidden) || !strings.Contains(err.Error(), "too often: try again after 2026-12-07 10:12 UTC") {
			t.Fatalf("locked out: %v", err)
		}
		f.clock.Advance(time.Hour - time.Minute - time.Second) // 10:11:59, the lock set at 9:12
		if err := f.verify(annasAnswers); !strings.Contains(err.Error(), "too often") {
			t.Fatalf("a second before the lockout ends: %v", err)
		}
		f.clock.Advance(time.Second)
		if err := f.verify(annasAnswers); err != nil {
			t.Fatalf("once the lockout ended: %v", err)
		}
	})
}

// TestLockoutHoldsUnderConcurrency: of many wrong verifications at once,
// only MaxAttempts compare answers; the others find the lockout.
func TestLockoutHoldsUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = f.verify(with("pet", fmt.Sprint("guess ", i))) })
		}
		wg.Wait()
		compared, locked := 0, 0
		for _, err := range errs {
			switch {
			case err != nil && strings.Contains(err.Error(), "do not match"):
				compared++
			case err != nil && strings.Contains(err.Error(), "too often"):
				locked++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if compared != 3 || locked != 7 {
			t.Fatalf("%d compared, %d locked out; want 3 and 7", compared, locked)
		}
	})
}

// TestEnrolRefusesBadInput: every answer is required, unknown questions
// and bad answers are refused, and nothing is written.
func TestEnrolRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		before := len(events(t, store))
		for _, tc := range []struct {
			person  string
			answers map[string]string
			want    string
		}{
			{"", annasAnswers, "person is empty"},
			{"bo\r\n", annasAnswers, "person"},
			{"bo", without("pet"), "question pet is missing"},
			{"bo", with("city", "Lund"), "no control question city"},
			{"bo", with("pet", "  "), "question pet is empty"},
			{"bo", with("pet", "a\u202eb"), "question pet"},
			{"bo", with("pet", strings.Repeat("a", itsm.MaxLabel+1)), "question pet"},
		} {
			err := f.r.Enrol(context.Background(), tc.person, tc.answers)
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q %v: %v, want invalid saying %q", tc.person, tc.answers, err, tc.want)
			}
		}
		if after := len(events(t, store)); after != before {
			t.Fatalf("%d events appended for refused enrolments", after-before)
		}
	})
}

// TestEnrolAgainReplaces: new answers replace the old ones.
func TestEnrolAgainReplaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		if err := f.r.Enrol(context.Background(), "anna", with("pet", "Katten Mio")); err != nil {
			t.Fatal(err)
		}
		if err := f.verify(annasAnswers); !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Fatalf("the old answers: %v", err)
		}
		if err := f.verify(with("pet", "katten mio")); err != nil {
			t.Fatalf("the new answers: %v", err)
		}
	})
}

// TestIterationsRaised: a Resetter with a higher count rehashes the
// answers that just matched, once, and the answers still match; a wrong
// answer rehashes nothing.
func TestIterationsRaised(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		iterations := func() []int {
			var e struct {
				Answers []struct {
					Iterations int `json:"iterations"`
				} `json:"answers"`
			}
			if err := json.Unmarshal(records(t, store, passwordreset.KindAnswers)[0].Body, &e); err != nil {
				t.Fatal(err)
			}
			var out []int
			for _, a := range e.Answers {
				out = append(out, a.Iterations)
			}
			return out
		}
		cfg := f.cfg
		cfg.Iterations = 2 * passwordreset.MinIterations
		raised, err := passwordreset.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		verify := func(m map[string]string) error {
			return raised.Verify(context.Background(), request.Verification{Requester: "anna", Answers: answers(m)})
		}
		if err := verify(with("pet", "fel")); !itsm.IsCode(err, itsm.CodeForbidden) || fmt.Sprint(iterations()) != "[1000 1000 1000]" {
			t.Fatalf("wrong answers: %v, iterations %v", err, iterations())
		}
		if err := verify(with("pet", "HUNDEN QUIXOTTE")); err != nil || fmt.Sprint(iterations()) != "[2000 2000 2000]" {
			t.Fatalf("right answers: %v, iterations %v", err, iterations())
		}
		rehashed := 0
		for _, e := range events(t, store) {
			if e.Type == (passwordreset.Rehashed{}).Type() {
				rehashed++
			}
		}
		if err := verify(annasAnswers); err != nil || rehashed != 1 {
			t.Fatalf("after the rehash: %v; %d rehash events", err, rehashed)
		}
		if err := f.verify(annasAnswers); err != nil {
			t.Fatalf("the old Resetter reads the new hashes: %v", err)
		}
	})
}

// TestSecretsStayOut: after enrolment, verifications right and wrong and a
// fulfilment, no record and no event holds an answer, in any form it was
// given or normalised to, nor the new password.
func TestSecretsStayOut(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		if err := f.verify(with("pet", "Gissning Vombat")); err == nil {
			t.Fatal("a wrong answer matched")
		}
		if err := f.verify(annasAnswers); err != nil {
			t.Fatal(err)
		}
		out, err := f.r.Fulfil(context.Background(), request.Fulfilment{Key: "k1", Order: itsm.NewID(), Number: "REQ0000001", Requester: "anna"})
		if err != nil {
			t.Fatal(err)
		}
		password := f.dir.password("anna")
		secrets := []string{password, "Vombat", "vombat"}
		for _, a := range annasAnswers {
			secrets = append(secrets, a, passwordreset.Normalise(a))
			secrets = append(secrets, strings.Fields(a)...)
			secrets = append(secrets, strings.Fields(passwordreset.Normalise(a))...)
		}
		var raw [][]byte
		for _, kind := range []string{passwordreset.KindAnswers, passwordreset.KindAttempts, passwordreset.KindReset} {
			recs := records(t, store, kind)
			if len(recs) != 1 {
				t.Fatalf("%d %s records", len(recs), kind)
			}
			raw = append(raw, recs[0].Body)
		}
		for _, e := range events(t, store) {
			raw = append(raw, e.Data, []byte(e.Type))
		}
		raw = append(raw, []byte(out.Note))
		for _, b := range raw {
			for _, s := range secrets {
				if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) && len(s) >= 4 {
					t.Errorf("%q holds %q", b, s)
				}
			}
		}
	})
}

// TestFulfil: the new password is set, with the key, and mailed to the
// person's address with the subject and text in Swedish and English; the
// outcome does not say it. Fulfilling the key again, by another process
// too, sends nothing and returns the same outcome; another key resets
// again.
func TestFulfil(t *testing.T) {
	for name, makeDB := range backendtest.Databases("spoc_passwordreset_") {
		t.Run(name, func(t *testing.T) {
			db := makeDB(t)
			f := newFixture(t, db(t), nil)
			ff := request.Fulfilment{Key: "k1", Order: itsm.NewID(), Number: "REQ0000007", Requester: "anna"}
			out, err := f.r.Fulfil(context.Background(), ff)
			if err != nil {
				t.Fatal(err)
			}
			password := f.dir.password("anna")
			sent := f.outbox.Sent()
			if len(sent) != 1 || len(password) != passwordreset.DefaultPasswordLength || strings.Join(f.dir.keys, ",") != "k1" {
				t.Fatalf("%d sent, password %q, keys %v", len(sent), password, f.dir.keys)
			}
			m := sent[0]
			if m.From != f.cfg.From || len(m.To) != 1 || m.To[0] != f.dir.emails["anna"] || m.Subject != "Ditt nya lösenord" ||
				strings.Count(m.Text, password) != 2 || !strings.Contains(m.Text, "Ditt nya lösenord är") ||
				!strings.Contains(m.Text, "Your new password is") || !strings.Contains(m.Text, "REQ0000007") {
				t.Fatalf("mail %+v", m)
			}
			if out.Note == "" || strings.Contains(out.Note, password) {
				t.Fatalf("note %q", out.Note)
			}

			other, err := passwordreset.New(f.cfg) // another process on the database
			f.cfg.Store = db(t)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []*passwordreset.Resetter{f.r, other} {
				again, err := r.Fulfil(context.Background(), ff)
				if err != nil || again != out || len(f.outbox.Sent()) != 1 || f.dir.password("anna") != password || len(f.dir.keys) != 1 {
					t.Fatalf("again: %+v %v; %d sent, keys %v", again, err, len(f.outbox.Sent()), f.dir.keys)
				}
			}
			ff2 := request.Fulfilment{Key: "k2", Order: itsm.NewID(), Requester: "anna"}
			if _, err := f.r.Fulfil(context.Background(), ff2); err != nil || len(f.outbox.Sent()) != 2 || f.dir.password("anna") == password {
				t.Fatalf("another order: %v, %d sent", err, len(f.outbox.Sent()))
			}
			if sent := f.outbox.Sent()[1]; strings.Contains(sent.Text, "beställning") || !strings.Contains(sent.Text, f.dir.password("anna")) {
				t.Fatalf("a mail without an order number: %q", sent.Text)
			}
		})
	}
}

// TestFulfilFailures: what fails before the password is set leaves it
// as it was and sends nothing; a failure to send leaves the key not done,
// so that the retry sets another password and sends it (at least once).
func TestFulfilFailures(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		ctx := context.Background()
		var refuse error
		outbox := &mail.Memory{}
		f := newFixture(t, store, func(c *passwordreset.Config) {
			c.Mail = mail.SenderFunc(func(ctx context.Context, m mail.Message) error {
				if refuse != nil {
					return refuse
				}
				return outbox.Send(ctx, m)
			})
		})
		ff := request.Fulfilment{Key: "k1", Order: itsm.NewID(), Requester: "bo"}
		if _, err := f.r.Fulfil(ctx, ff); !itsm.IsCode(err, itsm.CodeNotFound) || len(f.dir.keys) != 0 {
			t.Fatalf("no address: %v, keys %v", err, f.dir.keys)
		}
		f.dir.emails["bo"] = "bo@kund.example\r\nBcc: all@kund.example"
		if _, err := f.r.Fulfil(ctx, ff); !itsm.IsCode(err, itsm.CodeInvalid) || len(f.dir.keys) != 0 {
			t.Fatalf("a bad address: %v, keys %v", err, f.dir.keys)
		}
		f.dir.emails["bo"] = "bo@kund.example"
		f.dir.fail = itsm.Errorf(itsm.CodeUnavailable, "the directory is down")
		if _, err := f.r.Fulfil(ctx, ff); !itsm.IsCode(err, itsm.CodeUnavailable) || len(outbox.Sent()) != 0 {
			t.Fatalf("the directory down: %v, %d sent", err, len(outbox.Sent()))
		}
		f.dir.fail = nil
		refuse = itsm.Errorf(itsm.CodeUnavailable, "the mail server is down")
		if _, err := f.r.Fulfil(ctx, ff); !errors.Is(err, refuse) || len(f.dir.keys) != 1 {
			t.Fatalf("the mail server down: %v, keys %v", err, f.dir.keys)
		}
		first := f.dir.password("bo")
		refuse = nil
		if _, err := f.r.Fulfil(ctx, ff); err != nil || len(outbox.Sent()) != 1 || strings.Join(f.dir.keys, ",") != "k1,k1" {
			t.Fatalf("the retry: %v, %d sent, keys %v", err, len(outbox.Sent()), f.dir.keys)
		}
		if second := f.dir.password("bo"); second == first || !strings.Contains(outbox.Sent()[0].Text, second) {
			t.Fatalf("the retry mailed %q; the directory has %q, before %q", outbox.Sent()[0].Text, second, first)
		}
	})
}

// TestFulfilRefusesBadInput: no key, a bad requester, and a key reused for
// another order are invalid, and set no password.
func TestFulfilRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, store itsm.Store) {
		f := newFixture(t, store, nil)
		ctx := context.Background()
		done := request.Fulfilment{Key: "k1", Order: itsm.NewID(), Requester: "anna"}
		if _, err := f.r.Fulfil(ctx, done); err != nil {
			t.Fatal(err)
		}
		for _, ff := range []request.Fulfilment{
			{Order: itsm.NewID(), Requester: "anna"},
			{Key: "k\n2", Order: itsm.NewID(), Requester: "anna"},
			{Key: "k2", Order: itsm.NewID()},
			{Key: "k1", Order: itsm.NewID(), Requester: "anna"},
			{Key: "k1", Order: done.Order, Requester: "bo"},
		} {
			if _, err := f.r.Fulfil(ctx, ff); !itsm.IsCode(err, itsm.CodeInvalid) {
				t.Errorf("%+v: %v", ff, err)
			}
		}
		_, err := f.r.Fulfil(ctx, request.Fulfilment{Key: "k1", Order: itsm.NewID(), Requester: "anna"})
		if !errors.Is(err, itsm.ErrKeyReused) || len(f.dir.keys) != 1 {
			t.Fatalf("%v; keys %v", err, f.dir.keys)
		}
	})
}

// TestNewRefusesBadConfig: each rule of New.
func TestNewRefusesBadConfig(t *testing.T) {
	f := newFixture(t, backendtest.Open("spoc_passwordreset_")["memstore"](t), nil)
	for name, change := range map[string]func(c *passwordreset.Config){
		"no store":     func(c *passwordreset.Config) { c.Store = nil },
		"no passwords": func(c *passwordreset.Config) { c.Passwords = nil },
		"no addresses": func(c *passwordreset.Config) { c.Addresses = nil },
		"no mail":      func(c *passwordreset.Config) { c.Mail = nil },
		"no from":      func(c *passwordreset.Config) { c.From = "" },
		"from injects": func(c *passwordreset.Config) { c.From = "desk@spoc.example\r\nBcc: x@y.example" },
		"no questions": func(c *passwordreset.Config) { c.Questions = nil },
		"too many": func(c *passwordreset.Config) {
			c.Questions = make([]passwordreset.Question, passwordreset.MaxQuestions+1)
		},
		"bad ID":            func(c *passwordreset.Config) { c.Questions = []passwordreset.Question{{ID: "First pet", Text: "?"}} },
		"repeated ID":       func(c *passwordreset.Config) { c.Questions = []passwordreset.Question{questions[0], questions[0]} },
		"no text":           func(c *passwordreset.Config) { c.Questions = []passwordreset.Question{{ID: "pet"}} },
		"text two lines":    func(c *passwordreset.Config) { c.Questions = []passwordreset.Question{{ID: "pet", Text: "a\nb"}} },
		"few iterations":    func(c *passwordreset.Config) { c.Iterations = passwordreset.MinIterations - 1 },
		"negative window":   func(c *passwordreset.Config) { c.Window = -time.Second },
		"negative attempts": func(c *passwordreset.Config) { c.MaxAttempts = -1 },
		"short password":    func(c *passwordreset.Config) { c.PasswordLength = passwordreset.MinPasswordLength - 1 },
		"long password":     func(c *passwordreset.Config) { c.PasswordLength = passwordreset.MaxPasswordLength + 1 },
	} {
		cfg := f.cfg
		change(&cfg)
		if _, err := passwordreset.New(cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestForm: the form asks every question, by its ID and text, as a
// required secret string.
func TestForm(t *testing.T) {
	f := newFixture(t, backendtest.Open("spoc_passwordreset_")["memstore"](t), nil)
	var form struct {
		Type       string `json:"type"`
		Properties map[string]struct {
			Type      string `json:"type"`
			Title     string `json:"title"`
			WriteOnly bool   `json:"writeOnly"`
		} `json:"properties"`
		Required             []string `json:"required"`
		AdditionalProperties *bool    `json:"additionalProperties"`
	}
	if err := json.Unmarshal(f.r.Form(), &form); err != nil {
		t.Fatal(err)
	}
	if form.Type != "object" || len(form.Properties) != len(questions) || strings.Join(form.Required, ",") != "school,pet,street" ||
		form.AdditionalProperties == nil || *form.AdditionalProperties {
		t.Fatalf("%s", f.r.Form())
	}
	for _, q := range questions {
		if p := form.Properties[q.ID]; p.Type != "string" || p.Title != q.Text || !p.WriteOnly {
			t.Errorf("%s: %+v", q.ID, p)
		}
	}
}
