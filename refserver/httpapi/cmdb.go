package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// configDB returns the CMDB and the actor of the request, or
// itsm.CodeUnsupported when the server runs without it.
func (a *API) configDB(ctx context.Context) (*cmdb.Service, itsm.Actor, error) {
	if a.cmdb == nil {
		return nil, itsm.Actor{}, notImplemented("a CMDB")
	}
	who, err := actor(ctx)
	return a.cmdb, who, err
}

// configItemResult is the answer with an item: its body and its ETag.
func configItemResult(it *cmdb.Item) api.ConfigItemResultJSONResponse {
	return api.ConfigItemResultJSONResponse{Body: *it, Headers: api.ConfigItemResultResponseHeaders{ETag: ETag(it.Version)}}
}

// cmdbCommand runs one command of the CMDB for the request's actor at the
// version the request's If-Match names (what is the record, for errors),
// and returns what the command answers.
func cmdbCommand[T any](ctx context.Context, a *API, ifMatch, what string,
	do func(svc *cmdb.Service, who itsm.Actor) (T, error)) (T, error) {
	var zero T
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return zero, err
	}
	if svc, err = forVersion(svc, svc.IfVersion, ifMatch, what); err != nil {
		return zero, err
	}
	return do(svc, who)
}

// cmdbCommandWith is cmdbCommand for an operation whose body the command
// needs.
func cmdbCommandWith[B, T any](ctx context.Context, a *API, ifMatch, what string, b *B,
	do func(svc *cmdb.Service, who itsm.Actor, b B) (T, error)) (T, error) {
	return cmdbCommand(ctx, a, ifMatch, what, func(svc *cmdb.Service, who itsm.Actor) (T, error) {
		v, err := body(b)
		if err != nil {
			var zero T
			return zero, err
		}
		return do(svc, who, v)
	})
}

// itemCommandWith runs one command of an item whose body the command
// needs, and answers the item.
func itemCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *cmdb.Service, who itsm.Actor, b B) (*cmdb.Item, error)) (api.ConfigItemResultJSONResponse, error) {
	it, err := cmdbCommandWith(ctx, a, ifMatch, "the item", b, do)
	if err != nil {
		return api.ConfigItemResultJSONResponse{}, err
	}
	return configItemResult(it), nil
}

// redundancy is the domain's form of an optional redundancy: nil when
// the request gave none.
func redundancy(r api.Redundancy) *cmdb.Redundancy {
	if r == (cmdb.Redundancy{}) {
		return nil
	}
	return &r
}

// GetCmdbModel returns the CMDB's model to whoever reads the CMDB.
func (a *API) GetCmdbModel(ctx context.Context, _ api.GetCmdbModelRequestObject) (api.GetCmdbModelResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.dir.Permissions().Check(who, itsm.DomainCMDB, itsm.AccessRead); err != nil {
		return nil, err
	}
	m := svc.Model()
	// A model may declare no relation types; the contract's lists are
	// lists even then.
	if m.Classes == nil {
		m.Classes = []cmdb.Class{}
	}
	if m.RelationTypes == nil {
		m.RelationTypes = []cmdb.RelationType{}
	}
	return api.GetCmdbModel200JSONResponse(m), nil
}

// ListConfigItems lists one page of a desk's items.
func (a *API) ListConfigItems(ctx context.Context, req api.ListConfigItemsRequestObject) (api.ListConfigItemsResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := cmdb.Filter{Desk: p.Desk, Class: p.Class, State: p.State, Supplier: p.Supplier, Name: p.Name,
		Limit: p.Limit, After: itsm.Cursor(p.Cursor)}
	if len(p.Key) > 0 {
		f.Key = make(map[string]string, len(p.Key))
		for _, kv := range p.Key {
			name, value, _ := strings.Cut(kv, "=")
			if _, twice := f.Key[name]; twice {
				return nil, itsm.Errorf(itsm.CodeInvalid, "the query parameter key names the attribute %s twice", name)
			}
			f.Key[name] = value
		}
	}
	page, err := svc.List(ctx, who, f)
	if err != nil {
		return nil, err
	}
	out := api.ListConfigItems200JSONResponse{Items: make([]api.ConfigItem, 0, len(page.Items)), Next: string(page.Next)}
	for _, it := range page.Items {
		out.Items = append(out.Items, *it)
	}
	return out, nil
}

// CreateConfigItem registers an item.
func (a *API) CreateConfigItem(ctx context.Context, req api.CreateConfigItemRequestObject) (api.CreateConfigItemResponseObject, error) {
	r, err := itemCommandWith(ctx, a, "", req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ConfigItemInput) (*cmdb.Item, error) {
		return svc.Create(ctx, who, cmdb.NewItem{Desk: b.Desk, Class: b.Class, State: b.State, Relations: b.Relations,
			ItemEdit: cmdb.ItemEdit{Name: b.Name, Supplier: b.Supplier, ObjectOwner: b.ObjectOwner, Attributes: b.Attributes,
				Redundancy: redundancy(b.Redundancy), Consumers: b.Consumers}})
	})
	if err != nil {
		return nil, err
	}
	return api.CreateConfigItem201JSONResponse{Body: r.Body, Headers: api.CreateConfigItem201ResponseHeaders{
		ETag: r.Headers.ETag, Location: "/v1/cmdb/items/" + r.Body.ID.String()}}, nil
}

// itemID reads the path's reference to an item: its ID, or its number.
func (a *API) itemID(ctx context.Context, ref string) (itsm.ID, error) {
	return a.cmdbID(ctx, ref, cmdb.KindItem, cmdb.NumberPrefix, "item")
}

// cmdbID reads the path's reference to a record of the CMDB of kind: its
// ID, or its number (with prefix), looked up in the store. A number no
// record has is not found, as a record the caller may not read is: the
// service decides that on the ID.
func (a *API) cmdbID(ctx context.Context, ref, kind, prefix, what string) (itsm.ID, error) {
	if id, err := itsm.ParseID(ref); err == nil {
		return id, nil
	}
	n, err := itsm.ParseNumber(ref)
	if err != nil || n.Prefix != prefix {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%q is neither the ID of the %s nor its number, such as %s0000042", ref, what, prefix)
	}
	var id itsm.ID
	err = a.store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: kind, Index: cmdb.IndexNumber, Match: itsm.MatchEqual, Value: n.String(), Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Matches) == 0 {
			return itsm.Errorf(itsm.CodeNotFound, "%s %s not found", what, n)
		}
		id = page.Matches[0].Record.ID
		return nil
	})
	return id, err
}

// itemAt is the answer with an item as it was at an earlier instant:
// without an ETag, since no command applies to the past.
type itemAt cmdb.Item

// VisitGetConfigItemResponse writes the item without an ETag.
func (it itemAt) VisitGetConfigItemResponse(w http.ResponseWriter) error {
	return writeJSON(w, http.StatusOK, cmdb.Item(it))
}

// GetConfigItem returns one item, as it is or as it was at an instant.
func (a *API) GetConfigItem(ctx context.Context, req api.GetConfigItemRequestObject) (api.GetConfigItemResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	id, err := a.itemID(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	if at := req.Params.At; !at.IsZero() {
		it, err := svc.ItemAt(ctx, who, id, at)
		if err != nil {
			return nil, err
		}
		return itemAt(*it), nil
	}
	it, err := svc.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	r := configItemResult(it)
	return api.GetConfigItem200JSONResponse{Body: r.Body, Headers: api.GetConfigItem200ResponseHeaders{ETag: r.Headers.ETag}}, nil
}

// EditConfigItem replaces an item's descriptive fields.
func (a *API) EditConfigItem(ctx context.Context, req api.EditConfigItemRequestObject) (api.EditConfigItemResponseObject, error) {
	r, err := itemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ConfigItemEdit) (*cmdb.Item, error) {
		return svc.Edit(ctx, who, req.ID, cmdb.ItemEdit{Name: b.Name, Supplier: b.Supplier, ObjectOwner: b.ObjectOwner,
			Attributes: b.Attributes, Redundancy: redundancy(b.Redundancy), Consumers: b.Consumers})
	})
	if err != nil {
		return nil, err
	}
	return api.EditConfigItem200JSONResponse{ConfigItemResultJSONResponse: r}, nil
}

// SetConfigItemState moves an item in its lifecycle.
func (a *API) SetConfigItemState(ctx context.Context, req api.SetConfigItemStateRequestObject) (api.SetConfigItemStateResponseObject, error) {
	r, err := itemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ConfigItemStateChange) (*cmdb.Item, error) {
		return svc.SetState(ctx, who, req.ID, b.State, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.SetConfigItemState200JSONResponse{ConfigItemResultJSONResponse: r}, nil
}

// RelateConfigItem gives an item a relation.
func (a *API) RelateConfigItem(ctx context.Context, req api.RelateConfigItemRequestObject) (api.RelateConfigItemResponseObject, error) {
	r, err := itemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ItemRelation) (*cmdb.Item, error) {
		return svc.Relate(ctx, who, req.ID, b)
	})
	if err != nil {
		return nil, err
	}
	return api.RelateConfigItem200JSONResponse{ConfigItemResultJSONResponse: r}, nil
}

// UnrelateConfigItem takes a relation from an item.
func (a *API) UnrelateConfigItem(ctx context.Context, req api.UnrelateConfigItemRequestObject) (api.UnrelateConfigItemResponseObject, error) {
	r, err := itemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ItemRelation) (*cmdb.Item, error) {
		return svc.Unrelate(ctx, who, req.ID, b)
	})
	if err != nil {
		return nil, err
	}
	return api.UnrelateConfigItem200JSONResponse{ConfigItemResultJSONResponse: r}, nil
}

// ListConfigItemHistory returns an item's changes, oldest first.
func (a *API) ListConfigItemHistory(ctx context.Context, req api.ListConfigItemHistoryRequestObject) (api.ListConfigItemHistoryResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := svc.History(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	h, err := history(rs, func(r cmdb.Revision) (int64, time.Time, string, itsm.Actor, any) {
		return r.Seq, r.Time, r.Type, r.By, r.Payload
	})
	if err != nil {
		return nil, err
	}
	return api.ListConfigItemHistory200JSONResponse(h), nil
}

// ListRelatedConfigItems returns an item's relations in both directions.
func (a *API) ListRelatedConfigItems(ctx context.Context, req api.ListRelatedConfigItemsRequestObject) (api.ListRelatedConfigItemsResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	ls, err := svc.Related(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	if ls == nil {
		ls = []cmdb.Link{}
	}
	return api.ListRelatedConfigItems200JSONResponse{Items: ls}, nil
}

// AnalyseImpact answers which services and users the failed items hurt.
func (a *API) AnalyseImpact(ctx context.Context, req api.AnalyseImpactRequestObject) (api.AnalyseImpactResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	desk := b.Desk
	if desk.IsZero() {
		// A desk's agent asks of their own CMDB; anyone else names it, and
		// the domain refuses a desk the caller does not work with.
		org, err := itsm.ActorOrganisation(ctx, a.dir, who)
		if err != nil {
			return nil, err
		}
		// Without the right to read, that is the answer, whoever asks.
		if err := a.dir.Permissions().Check(who, itsm.DomainCMDB, itsm.AccessRead); err != nil {
			return nil, err
		}
		if org.Role != itsm.OrgDesk {
			return nil, itsm.Errorf(itsm.CodeInvalid, "impact: a %s names the desk whose CMDB holds the items", org.Role)
		}
		desk = org.ID
	}
	im, err := svc.Impact(ctx, who, desk, b.Down)
	if err != nil {
		return nil, err
	}
	return api.AnalyseImpact200JSONResponse(*im), nil
}

// writeJSON writes v as the generated responses do: encoded first, so
// that a value that cannot be encoded is an error rather than half an
// answer.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// ImpactUsersHigh is how many users of the services an incident hurts,
// one of them down, make its proposed impact high (proposedImpact).
const ImpactUsersHigh = 100

// proposedImpact is the impact level an incident's analysis suggests for
// its priority (decision 190): high when two business services are down,
// or one is and the services hurt have ImpactUsersHigh users or more;
// medium when a service is hurt at all; low when only items are. It is a
// proposal for the desk, who decides with reprioritise; the thresholds are
// the ServiceNow matrix's levels, which the reference server uses.
func proposedImpact(im *cmdb.Impact) itsm.Impact {
	down := 0
	for _, s := range im.Services {
		if s.Health == "down" {
			down++
		}
	}
	switch {
	case down >= 2, down == 1 && im.Users >= ImpactUsersHigh:
		return itsm.ImpactHigh
	case len(im.Services) > 0:
		return itsm.ImpactMedium
	}
	return itsm.ImpactLow
}

// GetIncidentImpact analyses the incident's configuration items as down,
// leaving out those retired or gone since the incident named them.
func (a *API) GetIncidentImpact(ctx context.Context, req api.GetIncidentImpactRequestObject) (api.GetIncidentImpactResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := a.svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	out := api.GetIncidentImpact200JSONResponse{Incident: inc.ID, Analysed: []itsm.ID{}, LeftOut: []itsm.ID{},
		Analysis: cmdb.Impact{Services: []cmdb.Affected{}, Items: []cmdb.Affected{}, Consumers: []cmdb.Consumer{}}}
	var down []cmdb.Down
	for _, ci := range inc.CIs {
		it, err := svc.Get(ctx, who, ci)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
			out.LeftOut = append(out.LeftOut, ci)
			continue
		case err != nil:
			return nil, err
		case it.Desk != inc.Desk || it.State == cmdb.StateRetired:
			out.LeftOut = append(out.LeftOut, ci)
			continue
		}
		out.Analysed = append(out.Analysed, ci)
		down = append(down, cmdb.Down{Item: ci})
	}
	if len(down) == 0 {
		return out, nil
	}
	im, err := svc.Impact(ctx, who, inc.Desk, down)
	if err != nil {
		return nil, err
	}
	out.Analysis, out.ProposedImpact = *im, proposedImpact(im)
	return out, nil
}

// history is a record's events as the API shows them: each with its data
// as the log holds it, which the event type's schema describes. of reads
// an event's sequence, time, type, actor and payload.
func history[R any](rs []R, of func(R) (int64, time.Time, string, itsm.Actor, any)) (api.History, error) {
	out := api.History{Items: make([]api.Revision, 0, len(rs))}
	for _, r := range rs {
		seq, at, typ, by, payload := of(r)
		data, err := json.Marshal(payload)
		if err != nil {
			return api.History{}, itsm.Wrap(itsm.CodeInternal, err, "encode event %d", seq)
		}
		out.Items = append(out.Items, api.Revision{Seq: seq, Time: at, Type: typ, By: by, Payload: data})
	}
	return out, nil
}
