package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
)

// seedDemo seeds the server at base with package demo, as an administrator
// whose token lives only for the seeding, with the demo's history imported
// into store, and prints the demo's tokens as shell lines to paste into
// another terminal.
func seedDemo(ctx context.Context, base string, tokens *auth.Tokens, store itsm.Store, out io.Writer) error {
	tok, secret, err := tokens.Issue(ctx, auth.Admin(), auth.Request{Actor: auth.Admin(),
		Name: "demo seeding", Expires: time.Now().Add(10 * time.Minute)})
	if err != nil {
		return fmt.Errorf("demo: a token to seed with: %w", err)
	}
	// Revoked even if seeding fails; a failed revocation leaves a token
	// that expires within minutes, so it is reported and not fatal.
	defer func() {
		if _, err := tokens.Revoke(context.WithoutCancel(ctx), auth.Admin(), tok.ID); err != nil {
			fmt.Fprintf(out, "demo: revoking the seeding token failed (it expires by itself): %v\n", err)
		}
	}()
	admin, err := client.New(base, secret)
	if err != nil {
		return err
	}
	cast, err := demo.SeedWithPast(ctx, base, admin, &demo.Past{Store: store, Waiting: func(since time.Time) {
		fmt.Fprintf(out, "demo: another server began seeding this database, or issuing its tokens, at %s; waiting for it to finish.\n",
			since.Local().Format(time.RFC3339))
	}})
	if err != nil {
		return err
	}
	// A follow-up is drafted for a month that has ended; a report takes
	// its period as two instants.
	month, from, to := demo.LastMonth(time.Now())
	if cast.Seeded {
		fmt.Fprintf(out, "demo: seeded %q with its customer %q and the suppliers %q and %q, their agreements and six incidents of today, two of them linked to the problem %q, a known error with a workaround (GET /v1/problems, /v1/known-errors, /v1/workarounds).\n",
			demo.DeskName, demo.CustomerName, demo.NetworkName, demo.WorkplaceName, demo.ProblemSummary)
		fmt.Fprintf(out, "demo: the knowledge base holds some twenty articles in Swedish and Norwegian, the known error's among them (GET /v1/knowledge/search?q=losenord, /v1/articles).\n")
		if im := cast.Imported; im != nil {
			fmt.Fprintf(out, "demo: imported the history since %s: %d incidents (%d commands at their own times), so that reports, breaches, credits, trends and the follow-up of %s have something to show; it ends with %d incidents of %q in a few days, which GET /v1/problem-candidates proposes as a candidate problem.\n",
				im.From.Format("2 January 2006"), im.Incidents, im.Commands, month, demo.SpikeCount, demo.SpikeSummary)
		}
	} else if cast.Waited {
		fmt.Fprintln(out, "demo: the other server has seeded this database; its tokens stay valid beside this start's.")
	} else {
		fmt.Fprintln(out, "demo: already seeded; the tokens of the last start are revoked.")
	}
	fmt.Fprintf(out, "demo: clocks count working time on the calendar %q (%s; P1 on %q, around the clock): at night, at a weekend or on a holiday an office-hours clock stands still, so a new incident's clock reads 0s until the office opens.\n",
		demo.OfficeCalendar, demo.OfficeHours, demo.AlwaysCalendar)
	if it := cast.Items; !it.MobilePhone.IsZero() {
		fmt.Fprintf(out, "demo: the catalogue (GET /v1/catalogue) offers a password reset (type A, item %s, with the control answers above), a new user account (type B, item %s) and a mobile phone (type C, item %s, at both suppliers); carl and %s may order them, carl and %s approve, and the desk orders on %s's behalf.\n",
			it.PasswordReset, it.NewAccount, it.MobilePhone, demo.Caller, demo.Approver, demo.Caller)
	}
	if db := cast.CMDB; !db.Service.IsZero() {
		fmt.Fprintf(out, "demo: the CMDB holds %d items of %s: sites, a redundant pair of internet links (%s), servers, a cluster for e-mail, applications and the business services with the administrations that use them (GET /v1/cmdb/items, POST /v1/cmdb/impact); %s has a planned change next week, approved, which users see among the outages (GET /v1/cmdb/schedule, /v1/cmdb/outages).\n",
			db.Items, demo.CustomerName, demo.NetworkName, demo.NetworkName)
	}
	fmt.Fprintln(out, "demo: tokens for this start, to paste into another shell:")
	fmt.Fprintf(out, "export SPOC=%s\n", base)
	for _, t := range cast.Tokens {
		fmt.Fprintf(out, "export %s=%s  # %s, %s\n", t.Env, t.Secret, t.Actor.Person, t.Organisation)
	}
	// Commands name organisations by ID, such as the supplier to delegate to.
	for _, o := range []struct {
		env  string
		id   fmt.Stringer
		name string
	}{{"DESK_ID", cast.Desk, demo.DeskName}, {"CUSTOMER_ID", cast.Customer, demo.CustomerName},
		{"NETWORK_ID", cast.Network, demo.NetworkName}, {"WORKPLACE_ID", cast.Workplace, demo.WorkplaceName}} {
		fmt.Fprintf(out, "export %s=%s  # %s\n", o.env, o.id, o.name)
	}
	if db := cast.CMDB; !db.Service.IsZero() {
		for _, o := range []struct {
			env  string
			id   fmt.Stringer
			what string
		}{{"SERVICE_ID", db.Service, "the e-mail service"}, {"SERVER_ID", db.Server, "exch01, one of its two Exchange servers"},
			{"LINK_ID", db.Link, "the Telia internet link, one of two"}, {"CHANGE_ID", db.Change, "next week's change of the Telia link"}} {
			fmt.Fprintf(out, "export %s=%s  # %s\n", o.env, o.id, o.what)
		}
	}
	fmt.Fprintf(out, "export LAST_MONTH=%s  # the last full month, to draft its follow-up\n", month)
	fmt.Fprintf(out, "export FROM=%s TO=%s  # the last full month in %s, for a report\n",
		from.Format(time.RFC3339), to.Format(time.RFC3339), demo.Zone)
	return nil
}

// dialable returns addr as a client on this machine reaches it: a server
// listening on every interface is reached on loopback.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	if tcp.IP.To4() != nil {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return net.JoinHostPort("::1", fmt.Sprint(tcp.Port))
}
