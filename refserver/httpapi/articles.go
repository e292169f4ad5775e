package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// knowledgeBase returns the knowledge service and the actor of the
// request, or itsm.CodeUnsupported when the server runs without it.
func (a *API) knowledgeBase(ctx context.Context) (*knowledge.Service, itsm.Actor, error) {
	if a.know == nil {
		return nil, itsm.Actor{}, notImplemented("the knowledge base")
	}
	who, err := actor(ctx)
	return a.know, who, err
}

// articleResult is the answer with an article: its body and its ETag.
func articleResult(ar *knowledge.Article) api.ArticleResultJSONResponse {
	return api.ArticleResultJSONResponse{Body: *ar, Headers: api.ArticleResultResponseHeaders{ETag: ETag(ar.Version)}}
}

// articleCommand runs one command of an article for the request's actor at
// the version the request's If-Match names, and answers the article.
func articleCommand(ctx context.Context, a *API, ifMatch string,
	do func(svc *knowledge.Service, who itsm.Actor) (*knowledge.Article, error)) (api.ArticleResultJSONResponse, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return api.ArticleResultJSONResponse{}, err
	}
	if svc, err = forVersion(svc, svc.IfVersion, ifMatch, "the article"); err != nil {
		return api.ArticleResultJSONResponse{}, err
	}
	ar, err := do(svc, who)
	if err != nil {
		return api.ArticleResultJSONResponse{}, err
	}
	return articleResult(ar), nil
}

// articleCommandWith is articleCommand for an operation whose body the
// command needs.
func articleCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *knowledge.Service, who itsm.Actor, b B) (*knowledge.Article, error)) (api.ArticleResultJSONResponse, error) {
	return articleCommand(ctx, a, ifMatch, func(svc *knowledge.Service, who itsm.Actor) (*knowledge.Article, error) {
		v, err := body(b)
		if err != nil {
			return nil, err
		}
		return do(svc, who, v)
	})
}

// searchable waits until the server's search index has applied the
// command just made, so that a client that publishes or retires an article
// and then searches finds it as it now is (decision 136). A failure to
// wait is logged, not answered: the command is done, and the index
// catches up by itself within Config.Poll.
func (a *API) searchable(ctx context.Context) {
	if a.know == nil {
		return
	}
	if err := a.know.Sync(ctx); err != nil {
		a.log.WarnContext(ctx, "knowledge: the search index did not catch up with a command", "err", err)
	}
}

// articleItems returns articles as the items of a list.
func articleItems(as []*knowledge.Article) []api.Article {
	out := make([]api.Article, 0, len(as))
	for _, ar := range as {
		out = append(out, *ar)
	}
	return out
}

// ListArticles lists the articles the caller may see.
func (a *API) ListArticles(ctx context.Context, req api.ListArticlesRequestObject) (api.ListArticlesResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := svc.List(ctx, who, knowledge.Filter{State: p.State, Kind: p.Kind, Language: p.Language, Owner: p.Owner,
		PastReview: p.PastReview, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	return api.ListArticles200JSONResponse{Items: articleItems(page.Articles), Next: string(page.Next)}, nil
}

// CreateArticle writes a new article as a draft.
func (a *API) CreateArticle(ctx context.Context, req api.CreateArticleRequestObject) (api.CreateArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, "", req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ArticleDraft) (*knowledge.Article, error) {
		return svc.Create(ctx, who, knowledge.Draft{Desk: b.Desk, Kind: b.Kind, Language: b.Language, OwnerPerson: b.OwnerPerson,
			Content: knowledge.Content{Title: b.Title, Body: b.Body, Service: b.Service, Category: b.Category,
				Keywords: b.Keywords, Audience: b.Audience, Customers: b.Customers}})
	})
	if err != nil {
		return nil, err
	}
	return api.CreateArticle201JSONResponse{Body: r.Body, Headers: api.CreateArticle201ResponseHeaders{
		ETag: r.Headers.ETag, Location: "/v1/articles/" + r.Body.ID.String()}}, nil
}

// GetArticle returns one article by ID or master number.
func (a *API) GetArticle(ctx context.Context, req api.GetArticleRequestObject) (api.GetArticleResponseObject, error) {
	r, err := articleCommand(ctx, a, "", func(svc *knowledge.Service, who itsm.Actor) (*knowledge.Article, error) {
		if id, err := itsm.ParseID(req.ID); err == nil {
			return svc.Get(ctx, who, id)
		}
		n, err := itsm.ParseNumber(req.ID)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%q is neither an article's ID nor its master number", req.ID)
		}
		return svc.GetByNumber(ctx, who, n)
	})
	if err != nil {
		return nil, err
	}
	return api.GetArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// EditArticle replaces an article's working copy.
func (a *API) EditArticle(ctx context.Context, req api.EditArticleRequestObject) (api.EditArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ArticleContent) (*knowledge.Article, error) {
		return svc.Edit(ctx, who, req.ID, b)
	})
	if err != nil {
		return nil, err
	}
	return api.EditArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// SubmitArticle sends a draft to review.
func (a *API) SubmitArticle(ctx context.Context, req api.SubmitArticleRequestObject) (api.SubmitArticleResponseObject, error) {
	r, err := articleCommand(ctx, a, req.Params.IfMatch, func(svc *knowledge.Service, who itsm.Actor) (*knowledge.Article, error) {
		return svc.Submit(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.SubmitArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// SendBackArticle returns an article in review to draft.
func (a *API) SendBackArticle(ctx context.Context, req api.SendBackArticleRequestObject) (api.SendBackArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.Reason) (*knowledge.Article, error) {
		return svc.SendBack(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.SendBackArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// PublishArticle approves an article in review as its next version, and
// answers once the server's search finds it.
func (a *API) PublishArticle(ctx context.Context, req api.PublishArticleRequestObject) (api.PublishArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ArticlePublishing) (*knowledge.Article, error) {
		return svc.Publish(ctx, who, req.ID, knowledge.Publishing{Note: b.Note, ReviewBy: b.ReviewBy})
	})
	if err != nil {
		return nil, err
	}
	a.searchable(ctx)
	return api.PublishArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// RetireArticle withdraws an article, and answers once the server's search
// shows it retired.
func (a *API) RetireArticle(ctx context.Context, req api.RetireArticleRequestObject) (api.RetireArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.Reason) (*knowledge.Article, error) {
		return svc.Retire(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	a.searchable(ctx)
	return api.RetireArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// ConfirmArticleReview moves a published article's review date.
func (a *API) ConfirmArticleReview(ctx context.Context, req api.ConfirmArticleReviewRequestObject) (api.ConfirmArticleReviewResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ReviewConfirmation) (*knowledge.Article, error) {
		return svc.ConfirmReview(ctx, who, req.ID, b.ReviewBy)
	})
	if err != nil {
		return nil, err
	}
	return api.ConfirmArticleReview200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// HandOverArticle makes another person of the owner keep an article
// current.
func (a *API) HandOverArticle(ctx context.Context, req api.HandOverArticleRequestObject) (api.HandOverArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ArticleHandover) (*knowledge.Article, error) {
		return svc.HandOver(ctx, who, req.ID, b.Person)
	})
	if err != nil {
		return nil, err
	}
	return api.HandOverArticle200JSONResponse{ArticleResultJSONResponse: r}, nil
}

// ListArticleVersions returns an article's published versions.
func (a *API) ListArticleVersions(ctx context.Context, req api.ListArticleVersionsRequestObject) (api.ListArticleVersionsResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := svc.Versions(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	out := api.ListArticleVersions200JSONResponse{Items: make([]api.ArticleVersion, 0, len(vs))}
	for _, v := range vs {
		out.Items = append(out.Items, *v)
	}
	return out, nil
}

// GetArticleVersion returns one published version of an article.
func (a *API) GetArticleVersion(ctx context.Context, req api.GetArticleVersionRequestObject) (api.GetArticleVersionResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	v, err := svc.Version(ctx, who, req.ID, req.N)
	if err != nil {
		return nil, err
	}
	return api.GetArticleVersion200JSONResponse(*v), nil
}

// ListArticleTranslations returns the articles of an article's family.
func (a *API) ListArticleTranslations(ctx context.Context, req api.ListArticleTranslationsRequestObject) (api.ListArticleTranslationsResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	as, err := svc.Translations(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.ListArticleTranslations200JSONResponse{Items: articleItems(as)}, nil
}

// TranslateArticle writes a translation of an article as a new draft of
// its family.
func (a *API) TranslateArticle(ctx context.Context, req api.TranslateArticleRequestObject) (api.TranslateArticleResponseObject, error) {
	r, err := articleCommandWith(ctx, a, "", req.Body, func(svc *knowledge.Service, who itsm.Actor, b api.ArticleTranslation) (*knowledge.Article, error) {
		return svc.Translate(ctx, who, req.ID, b.Language, knowledge.Content{Title: b.Title, Body: b.Body, Service: b.Service,
			Category: b.Category, Keywords: b.Keywords, Audience: b.Audience, Customers: b.Customers})
	})
	if err != nil {
		return nil, err
	}
	return api.TranslateArticle201JSONResponse{Body: r.Body, Headers: api.TranslateArticle201ResponseHeaders{
		ETag: r.Headers.ETag, Location: "/v1/articles/" + r.Body.ID.String()}}, nil
}

// ListArticleEvents returns an article's history, to its editors.
func (a *API) ListArticleEvents(ctx context.Context, req api.ListArticleEventsRequestObject) (api.ListArticleEventsResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	evs, err := svc.Events(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	out := api.ListArticleEvents200JSONResponse{Items: make([]api.Event, 0, len(evs))}
	for _, ev := range evs {
		out.Items = append(out.Items, webhook.NewPayload(ev))
	}
	return out, nil
}

// MarkArticle records the caller's mark of an article.
func (a *API) MarkArticle(ctx context.Context, req api.MarkArticleRequestObject) (api.MarkArticleResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	st, err := svc.Mark(ctx, who, req.ID, b.Helpful)
	if err != nil {
		return nil, err
	}
	return api.MarkArticle200JSONResponse(st), nil
}

// RecordArticleUse records that an article resolved an incident at first
// contact.
func (a *API) RecordArticleUse(ctx context.Context, req api.RecordArticleUseRequestObject) (api.RecordArticleUseResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	st, err := svc.RecordUse(ctx, who, req.ID, b.Incident)
	if err != nil {
		return nil, err
	}
	return api.RecordArticleUse200JSONResponse(st), nil
}

// SearchKnowledge finds the articles the caller may read.
func (a *API) SearchKnowledge(ctx context.Context, req api.SearchKnowledgeRequestObject) (api.SearchKnowledgeResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	r, err := svc.Search(ctx, who, knowledge.Query{Text: p.Q, Language: p.Language, Kind: p.Kind, Service: p.Service,
		Category: p.Category, Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	if r.Hits == nil {
		r.Hits = []knowledge.Hit{}
	}
	return api.SearchKnowledge200JSONResponse(r), nil
}

// usages returns a report's lines as the items of a list.
func usages(us []knowledge.Usage) api.ArticleUsages {
	if us == nil {
		us = []knowledge.Usage{}
	}
	return api.ArticleUsages{Items: us}
}

// ReportMostUsedArticles reports the articles that resolved the most
// incidents.
func (a *API) ReportMostUsedArticles(ctx context.Context, req api.ReportMostUsedArticlesRequestObject) (api.ReportMostUsedArticlesResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	us, err := svc.MostUsed(ctx, who, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	return api.ReportMostUsedArticles200JSONResponse(usages(us)), nil
}

// ReportLeastHelpfulArticles reports the articles readers found least
// helpful.
func (a *API) ReportLeastHelpfulArticles(ctx context.Context, req api.ReportLeastHelpfulArticlesRequestObject) (api.ReportLeastHelpfulArticlesResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	us, err := svc.LeastHelpful(ctx, who, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	return api.ReportLeastHelpfulArticles200JSONResponse(usages(us)), nil
}

// ReportArticlesPastReview reports the caller's organisation's articles
// past their review date.
func (a *API) ReportArticlesPastReview(ctx context.Context, req api.ReportArticlesPastReviewRequestObject) (api.ReportArticlesPastReviewResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	as, err := svc.PastReview(ctx, who, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	return api.ReportArticlesPastReview200JSONResponse{Items: articleItems(as)}, nil
}

// ReportKnowledgeGaps reports the searches that found nothing.
func (a *API) ReportKnowledgeGaps(ctx context.Context, req api.ReportKnowledgeGapsRequestObject) (api.ReportKnowledgeGapsResponseObject, error) {
	svc, who, err := a.knowledgeBase(ctx)
	if err != nil {
		return nil, err
	}
	// The searches counted so far are written first, so that the list
	// shows every search made before the request.
	a.searchable(ctx)
	gs, err := svc.Gaps(ctx, who, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = []knowledge.Gap{}
	}
	return api.ReportKnowledgeGaps200JSONResponse{Items: gs}, nil
}
