package httpapi

import (
	"context"
	"strings"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// The reference server's directory is the groups' directory too.
var _ chain.Organisations = (*auth.Directory)(nil)

// groups returns the groups register and the actor of the request, or
// itsm.CodeUnsupported when the server runs without groups.
func (a *API) groups(ctx context.Context) (*chain.Groups, itsm.Actor, error) {
	if a.chain == nil {
		return nil, itsm.Actor{}, notImplemented("groups")
	}
	who, err := actor(ctx)
	if err != nil {
		return nil, itsm.Actor{}, err
	}
	return a.chain, who, nil
}

// groupResult is the response of every request answered with one group.
func groupResult(g *chain.Group) api.GroupResultJSONResponse {
	return api.GroupResultJSONResponse{Body: *g, Headers: api.GroupResultResponseHeaders{ETag: ETag(g.Version)}}
}

// ListGroups lists an organisation's groups to those who may know of them.
func (a *API) ListGroups(ctx context.Context, req api.ListGroupsRequestObject) (api.ListGroupsResponseObject, error) {
	groups, who, err := a.groups(ctx)
	if err != nil {
		return nil, err
	}
	page, err := groups.List(ctx, who, req.ID, chain.ListOptions{Limit: req.Params.Limit, After: itsm.Cursor(req.Params.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListGroups200JSONResponse{Items: make([]api.SupportGroup, 0, len(page.Groups)), Next: string(page.Next)}
	for _, g := range page.Groups {
		out.Items = append(out.Items, *g)
	}
	return out, nil
}

// CreateGroup adds a group to a desk or a supplier.
func (a *API) CreateGroup(ctx context.Context, req api.CreateGroupRequestObject) (api.CreateGroupResponseObject, error) {
	groups, who, err := a.groups(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	g, err := groups.Create(ctx, who, req.ID, chain.Definition{Name: b.Name, Members: b.Members, Email: b.Email})
	if err != nil {
		return nil, err
	}
	return api.CreateGroup201JSONResponse{Body: *g, Headers: api.CreateGroup201ResponseHeaders{ETag: ETag(g.Version),
		Location: "/v1/organisations/" + g.Organisation.String() + "/groups/" + g.ID.String()}}, nil
}

// GetGroup returns one group of the organisation the path names.
func (a *API) GetGroup(ctx context.Context, req api.GetGroupRequestObject) (api.GetGroupResponseObject, error) {
	groups, who, err := a.groups(ctx)
	if err != nil {
		return nil, err
	}
	g, err := groups.Get(ctx, who, req.Group)
	if err != nil {
		return nil, err
	}
	if g.Organisation != req.ID {
		return nil, groupNotFound(req.Group)
	}
	return api.GetGroup200JSONResponse{GroupResultJSONResponse: groupResult(g)}, nil
}

// UpdateGroup makes the changes the body names, under the request's
// If-Match.
func (a *API) UpdateGroup(ctx context.Context, req api.UpdateGroupRequestObject) (api.UpdateGroupResponseObject, error) {
	groups, who, err := a.groups(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	// The group must be the path's organisation's, which Get checks as the
	// caller may know it; the command itself decides who may change it.
	g, err := groups.Get(ctx, who, req.Group)
	if err != nil {
		return nil, err
	}
	if g.Organisation != req.ID {
		return nil, groupNotFound(req.Group)
	}
	if h := strings.TrimSpace(req.Params.IfMatch); h != "" && h != "*" {
		v, ok := parseETag(h)
		if !ok {
			return nil, itsm.Errorf(itsm.CodeConflict, "If-Match %q names no version of the group: %w", h, itsm.ErrStale)
		}
		groups = groups.IfVersion(v)
	}
	g, err = groups.Update(ctx, who, req.Group, chain.Change{Name: b.Name, Members: b.Members, Email: b.Email, Active: b.Active})
	if err != nil {
		return nil, err
	}
	return api.UpdateGroup200JSONResponse{GroupResultJSONResponse: groupResult(g)}, nil
}

func groupNotFound(id itsm.ID) error { return itsm.Errorf(itsm.CodeNotFound, "group %s not found", id) }
