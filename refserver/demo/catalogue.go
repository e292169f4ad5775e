package demo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// The people of the catalogue: the desk's administrator who defines the
// items, and on the customer's lists (RF-5) the object owner who agrees to
// them and two people besides the customer's token holder, carl.
// Carl and ulla may order every item; carl and anna approve. So an agent
// of the desk places an order on ulla's behalf and carl approves it, and
// carl's own orders wait for anna: nobody approves their own order.
const (
	DeskAdmin = "dora"
	Owner     = "olga"
	Caller    = "ulla"
	Approver  = "anna"
)

// Items are the demo's catalogue, by type: a password reset (A), a new
// account in a business system (B) and a mobile phone with its
// subscription (C), the three kinds of order of the tender.
type Items struct {
	PasswordReset, NewAccount, MobilePhone itsm.ID
}

// text is a catalogue text in Swedish and English.
func text(sv, en string) catalogue.Text { return catalogue.Text{SV: sv, EN: en} }

// definitions returns the three items' first versions. The phone is
// fulfilled by the workplace supplier first and then the network supplier,
// which syncs the phone's e-mail.
func definitions(cast *Cast) [3]catalogue.Definition {
	approval := &catalogue.Approval{Rule: catalogue.ApproveAny, Within: 16 * time.Hour, Remind: 8 * time.Hour}
	return [3]catalogue.Definition{{
		Name:        text("Återställ lösenord", "Password reset"),
		Description: text("Nytt lösenord efter kontrollfrågor, skickat med e-post.", "A new password after control questions, sent by e-mail."),
		Service:     "Identity", Owner: Owner, Type: catalogue.TypeA, Fulfiller: "password-reset",
		// The control answers are secrets: checked by the host's verifier,
		// never stored.
		Form: json.RawMessage(`{"type":"object","required":["account","birth_town","first_school"],"additionalProperties":false,` +
			`"properties":{"account":{"type":"string","minLength":1,"maxLength":64},` +
			`"birth_town":{"type":"string","minLength":1,"maxLength":100,"writeOnly":true},` +
			`"first_school":{"type":"string","minLength":1,"maxLength":100,"writeOnly":true}}}`),
	}, {
		Name:        text("Nytt användarkonto", "New user account"),
		Description: text("Ett konto i ett av kommunens verksamhetssystem, efter objektägarens godkännande.", "An account in one of the municipality's business systems, after the object owner's approval."),
		Service:     "Business systems", Owner: Owner, Type: catalogue.TypeB,
		Form: json.RawMessage(`{"type":"object","required":["system","account"],"additionalProperties":false,` +
			`"properties":{"system":{"enum":["payroll","case-management","library"]},"account":{"type":"string","minLength":1,"maxLength":64}}}`),
		Tasks:    []catalogue.Task{{Key: "account", Name: text("Skapa kontot", "Create the account")}},
		Approval: approval,
	}, {
		Name:        text("Mobiltelefon med abonnemang", "Mobile phone with a subscription"),
		Description: text("Telefon och abonnemang, med e-posten synkad när telefonen är levererad.", "A phone and a subscription, with e-mail synced once the phone is delivered."),
		Service:     "Telephony", Owner: Owner, Type: catalogue.TypeC,
		Form: json.RawMessage(`{"type":"object","required":["model"],"additionalProperties":false,` +
			`"properties":{"model":{"enum":["standard","large"]},"number":{"type":"string","maxLength":20}}}`),
		Tasks: []catalogue.Task{
			{Key: "phone", Name: text("Leverera telefonen", "Deliver the phone"), Supplier: cast.Workplace},
			{Key: "sync", Name: text("Synka e-posten", "Sync the e-mail"), Supplier: cast.Network, After: []string{"phone"}},
		},
		Approval: approval,
	}}
}

// offer defines the three items as an administrator of the desk, has the
// object owner agree to each, each with a token that lives only for that,
// and puts carl and ulla on the customer's lists as requesters of every
// item and carl and anna as approvers, from today, as the platform
// administration (which administers every customer's lists).
func offer(ctx context.Context, base string, admin *client.ClientWithResponses, cast *Cast, opts ...client.ClientOption) error {
	deskAdmin, revoke, err := transient(ctx, base, admin, itsm.Actor{Organisation: cast.Desk, Person: DeskAdmin, Roles: []itsm.Role{itsm.RoleAdmin}}, opts...)
	if err != nil {
		return err
	}
	defer revoke()
	owner, revoke, err := transient(ctx, base, admin, itsm.Actor{Organisation: cast.Customer, Person: Owner}, opts...)
	if err != nil {
		return err
	}
	defer revoke()
	ids := [3]*itsm.ID{&cast.Items.PasswordReset, &cast.Items.NewAccount, &cast.Items.MobilePhone}
	for i, d := range definitions(cast) {
		r, err := deskAdmin.DefineCatalogueItemWithResponse(ctx, api.CatalogueItemInput{Customer: cast.Customer, Definition: d})
		if err := check("define "+d.Name.EN, r, err); err != nil {
			return err
		}
		*ids[i] = r.JSON201.ID
		a, err := owner.AgreeCatalogueItemVersionWithResponse(ctx, r.JSON201.ID, 1, nil, api.CatalogueAgreementInput{Note: "Agreed with the desk."})
		if err := check("agree to "+d.Name.EN, a, err); err != nil {
			return err
		}
	}
	from := time.Now().In(Zone).Format(time.DateOnly)
	for _, id := range ids {
		for _, g := range []struct {
			person string
			role   authority.Role
		}{{"carl", authority.RoleRequester}, {Caller, authority.RoleRequester}, {"carl", authority.RoleApprover}, {Approver, authority.RoleApprover}} {
			r, err := admin.GrantAuthorityWithResponse(ctx, api.GrantInput{Customer: cast.Customer, Person: g.person, Role: g.role, Item: *id, From: from})
			if err := check("grant "+g.person+" "+string(g.role), r, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// transient returns a client of a token for the actor that expires within
// minutes, and the revocation of that token, which the caller defers: the
// demo acts as these people once, and prints no token for them.
func transient(ctx context.Context, base string, admin *client.ClientWithResponses, who itsm.Actor, opts ...client.ClientOption) (*client.ClientWithResponses, func(), error) {
	tok, err := admin.IssueTokenWithResponse(ctx, api.TokenInput{Actor: who, Name: TokenPrefix + who.Person + " seeding the catalogue",
		Expires: time.Now().Add(10 * time.Minute)})
	if err := check("issue a token for "+who.Person, tok, err); err != nil {
		return nil, nil, err
	}
	// A failed revocation leaves a token that expires within minutes.
	revoke := func() { _, _ = admin.RevokeTokenWithResponse(context.WithoutCancel(ctx), tok.JSON201.Token.ID) }
	c, err := client.New(base, tok.JSON201.Secret, opts...)
	if err != nil {
		revoke()
		return nil, nil, err
	}
	return c, revoke, nil
}
