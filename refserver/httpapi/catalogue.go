package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// catalogue returns the catalogue and the actor of the request, or
// itsm.CodeUnsupported when the server runs without requests.
func (a *API) catalogue(ctx context.Context) (*catalogue.Catalogue, itsm.Actor, error) {
	if a.cat == nil {
		return nil, itsm.Actor{}, notImplemented("requests")
	}
	who, err := actor(ctx)
	return a.cat, who, err
}

// catalogueIfMatch returns the catalogue view that applies a command only
// to the item version an If-Match header names, as forIfMatch does for
// incidents.
func catalogueIfMatch(c *catalogue.Catalogue, h string) (*catalogue.Catalogue, error) {
	return forVersion(c, c.IfVersion, h, "the catalogue item")
}

// itemResult is the response of every request answered with one item.
func itemResult(it *catalogue.Item) api.CatalogueItemResultJSONResponse {
	return api.CatalogueItemResultJSONResponse{Body: *it, Headers: api.CatalogueItemResultResponseHeaders{ETag: ETag(it.Version)}}
}

// itemCommand runs one catalogue command for the request's actor, under
// the request's If-Match.
func (a *API) itemCommand(ctx context.Context, ifMatch string,
	do func(c *catalogue.Catalogue, who itsm.Actor) (*catalogue.Item, error)) (api.CatalogueItemResultJSONResponse, error) {
	c, who, err := a.catalogue(ctx)
	if err != nil {
		return api.CatalogueItemResultJSONResponse{}, err
	}
	if c, err = catalogueIfMatch(c, ifMatch); err != nil {
		return api.CatalogueItemResultJSONResponse{}, err
	}
	it, err := do(c, who)
	if err != nil {
		return api.CatalogueItemResultJSONResponse{}, err
	}
	return itemResult(it), nil
}

// ListCatalogue lists the items the caller may list (RF-1).
func (a *API) ListCatalogue(ctx context.Context, req api.ListCatalogueRequestObject) (api.ListCatalogueResponseObject, error) {
	c, who, err := a.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := c.List(ctx, who, catalogue.ListOptions{Customer: p.Customer, Service: p.Service, Offered: p.Offered,
		Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListCatalogue200JSONResponse{Items: make([]api.CatalogueItem, 0, len(page.Items)), Next: string(page.Next)}
	for _, it := range page.Items {
		out.Items = append(out.Items, *it)
	}
	return out, nil
}

// DefineCatalogueItem adds an item to the caller's desk's catalogue.
func (a *API) DefineCatalogueItem(ctx context.Context, req api.DefineCatalogueItemRequestObject) (api.DefineCatalogueItemResponseObject, error) {
	c, who, err := a.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	it, err := c.Define(ctx, who, b.Customer, b.Definition)
	if err != nil {
		return nil, err
	}
	return api.DefineCatalogueItem201JSONResponse{Body: *it, Headers: api.DefineCatalogueItem201ResponseHeaders{
		ETag: ETag(it.Version), Location: "/v1/catalogue/" + it.ID.String()}}, nil
}

// GetCatalogueItem returns one item with every version.
func (a *API) GetCatalogueItem(ctx context.Context, req api.GetCatalogueItemRequestObject) (api.GetCatalogueItemResponseObject, error) {
	c, who, err := a.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	it, err := c.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetCatalogueItem200JSONResponse{CatalogueItemResultJSONResponse: itemResult(it)}, nil
}

// ReviseCatalogueItem defines a new version of an item.
func (a *API) ReviseCatalogueItem(ctx context.Context, req api.ReviseCatalogueItemRequestObject) (api.ReviseCatalogueItemResponseObject, error) {
	r, err := a.itemCommand(ctx, req.Params.IfMatch, func(c *catalogue.Catalogue, who itsm.Actor) (*catalogue.Item, error) {
		d, err := body(req.Body)
		if err != nil {
			return nil, err
		}
		return c.Revise(ctx, who, req.ID, d)
	})
	if err != nil {
		return nil, err
	}
	return api.ReviseCatalogueItem200JSONResponse{CatalogueItemResultJSONResponse: r}, nil
}

// AgreeCatalogueItemVersion records the object owner's agreement.
func (a *API) AgreeCatalogueItemVersion(ctx context.Context, req api.AgreeCatalogueItemVersionRequestObject) (api.AgreeCatalogueItemVersionResponseObject, error) {
	r, err := a.itemCommand(ctx, req.Params.IfMatch, func(c *catalogue.Catalogue, who itsm.Actor) (*catalogue.Item, error) {
		b, err := body(req.Body)
		if err != nil {
			return nil, err
		}
		return c.Agree(ctx, who, req.ID, req.N, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.AgreeCatalogueItemVersion200JSONResponse{CatalogueItemResultJSONResponse: r}, nil
}

// WithdrawCatalogueItem takes an item out of the catalogue.
func (a *API) WithdrawCatalogueItem(ctx context.Context, req api.WithdrawCatalogueItemRequestObject) (api.WithdrawCatalogueItemResponseObject, error) {
	r, err := a.itemCommand(ctx, req.Params.IfMatch, func(c *catalogue.Catalogue, who itsm.Actor) (*catalogue.Item, error) {
		b, err := body(req.Body)
		if err != nil {
			return nil, err
		}
		return c.Withdraw(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.WithdrawCatalogueItem200JSONResponse{CatalogueItemResultJSONResponse: r}, nil
}

// ReinstateCatalogueItem puts a withdrawn item back.
func (a *API) ReinstateCatalogueItem(ctx context.Context, req api.ReinstateCatalogueItemRequestObject) (api.ReinstateCatalogueItemResponseObject, error) {
	r, err := a.itemCommand(ctx, req.Params.IfMatch, func(c *catalogue.Catalogue, who itsm.Actor) (*catalogue.Item, error) {
		return c.Reinstate(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.ReinstateCatalogueItem200JSONResponse{CatalogueItemResultJSONResponse: r}, nil
}
