package httpapi

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/cmdb/sheet"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// The upload of an inventory (startImport) is the one request whose body
// is not JSON: the file itself, streamed into the import's dry run rather
// than read whole first (decision 192).
const (
	// ImportPath is the path of startImport.
	ImportPath = "/v1/cmdb/imports"
	// MaxImportBytes is the largest file startImport takes, in bytes: some
	// half a million rows of a typical inventory, where a JSON body has
	// MaxBodyBytes of the server.
	MaxImportBytes = 64 << 20
)

// delimiters are the CSV delimiters startImport's delimiter names, as
// words that need no escaping in a URL.
var delimiters = map[api.StartImportParamsDelimiter]rune{
	api.StartImportParamsDelimiterComma:     ',',
	api.StartImportParamsDelimiterSemicolon: ';',
	api.StartImportParamsDelimiterTab:       '\t',
}

// importResult is the answer with an import: its body and its ETag.
func importResult(imp *cmdb.Import) api.ImportResultJSONResponse {
	return api.ImportResultJSONResponse{Body: *imp, Headers: api.ImportResultResponseHeaders{ETag: ETag(imp.Version)}}
}

// importColumns reads startImport's column parameters, header=field each:
// the field is the part after the last '=', since a field's name has
// none and a header may.
func importColumns(params []string) (map[string]string, error) {
	out := make(map[string]string, len(params))
	for _, p := range params {
		i := strings.LastIndexByte(p, '=')
		header, field := p[:max(i, 0)], p[i+1:]
		if i < 0 || strings.TrimSpace(header) == "" {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the query parameter column %q is not a header and a field, such as Värdnamn=host_name", itsm.Printable(p, 64))
		}
		if _, twice := out[header]; twice {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the query parameter column maps the column %q twice", itsm.Printable(header, 64))
		}
		out[header] = field
	}
	return out, nil
}

// StartImport reads the uploaded inventory and runs its dry run.
func (a *API) StartImport(ctx context.Context, req api.StartImportRequestObject) (api.StartImportResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	cols, err := importColumns(p.Column)
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the request has no body: send the file as it is")
	}
	imp, err := svc.StartImport(ctx, who, cmdb.ImportSpec{Desk: p.Desk, Supplier: p.Supplier, Class: p.Class, Columns: cols,
		Options: sheet.Options{Format: p.Format, Sheet: p.Sheet, Comma: delimiters[p.Delimiter]}, FileName: p.FileName}, req.Body)
	if err != nil {
		return nil, err
	}
	r := importResult(imp)
	return api.StartImport201JSONResponse{Body: r.Body, Headers: api.StartImport201ResponseHeaders{
		ETag: r.Headers.ETag, Location: ImportPath + "/" + imp.ID.String()}}, nil
}

// ListImports lists one page of a desk's imports, the newest first.
func (a *API) ListImports(ctx context.Context, req api.ListImportsRequestObject) (api.ListImportsResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := svc.Imports(ctx, who, cmdb.ImportFilter{Desk: p.Desk, Supplier: p.Supplier, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListImports200JSONResponse{Items: make([]api.Import, 0, len(page.Imports)), Next: string(page.Next)}
	for _, imp := range page.Imports {
		out.Items = append(out.Items, *imp)
	}
	return out, nil
}

// GetImport returns one import by ID or number.
func (a *API) GetImport(ctx context.Context, req api.GetImportRequestObject) (api.GetImportResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	id, err := a.cmdbID(ctx, req.ID, cmdb.KindImport, cmdb.ImportNumberPrefix, "import")
	if err != nil {
		return nil, err
	}
	imp, err := svc.GetImport(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return api.GetImport200JSONResponse{ImportResultJSONResponse: importResult(imp)}, nil
}

// GetImportReport returns one page of an import's discrepancy report.
func (a *API) GetImportReport(ctx context.Context, req api.GetImportReportRequestObject) (api.GetImportReportResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	cursor, err := base64.RawURLEncoding.DecodeString(req.Params.Cursor)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the query parameter cursor must be the next of the previous page, as the server gave it")
	}
	page, err := svc.ImportReport(ctx, who, req.ID, itsm.Cursor(cursor), req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if page.Discrepancies == nil {
		page.Discrepancies = []cmdb.Discrepancy{}
	}
	// The report's cursors are the CMDB's own, of characters the
	// contract's cursors do not have: base64url makes them the opaque
	// tokens every list of the API pages by.
	return api.GetImportReport200JSONResponse{Items: page.Discrepancies, Next: base64.RawURLEncoding.EncodeToString([]byte(page.Next))}, nil
}

// ApplyImport applies an import's dry run.
func (a *API) ApplyImport(ctx context.Context, req api.ApplyImportRequestObject) (api.ApplyImportResponseObject, error) {
	imp, err := cmdbCommand(ctx, a, req.Params.IfMatch, "the import", func(svc *cmdb.Service, who itsm.Actor) (*cmdb.Import, error) {
		return svc.ApplyImport(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.ApplyImport200JSONResponse{ImportResultJSONResponse: importResult(imp)}, nil
}

// DiscardImport gives up an import in its dry run.
func (a *API) DiscardImport(ctx context.Context, req api.DiscardImportRequestObject) (api.DiscardImportResponseObject, error) {
	imp, err := cmdbCommandWith(ctx, a, req.Params.IfMatch, "the import", req.Body,
		func(svc *cmdb.Service, who itsm.Actor, b api.ImportDiscarding) (*cmdb.Import, error) {
			return svc.DiscardImport(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.DiscardImport200JSONResponse{ImportResultJSONResponse: importResult(imp)}, nil
}
