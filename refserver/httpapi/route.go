package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// routeTable finds the contract's operation of a request, answering what
// kin-openapi's gorillamux router answers for the same contract, without
// trying one regular expression after another: it walks the request's
// path segment by segment down a tree of the path templates.
//
// Like gorillamux (which uses gorilla/mux's UseEncodedPath), it matches the
// escaped path, so that %2F inside a segment stays inside it, and hands the
// path parameters as they appear there, still percent-encoded:
// openapi3filter decodes them while it validates. A templated segment
// matches any non-empty segment; a literal one only itself, byte for byte.
//
// A concrete segment wins over a templated one, as OpenAPI orders paths
// (/v1/clocks/due before /v1/clocks/{id}); the tree tries the template only
// when the rest of the path does not match under the literal. Once a path
// template matches, the method decides between the operation and 405, as
// with gorillamux: no other template is tried for the method.
type routeTable struct {
	root routeNode
}

var _ routers.Router = (*routeTable)(nil)

// routeNode is one segment position of the tree.
type routeNode struct {
	// literals are the children whose segment is a fixed text.
	literals map[string]*routeNode
	// param is the child whose segment is a path parameter.
	param *routeNode
	// end is the path template that ends here, if any.
	end *routeEnd
}

// routeEnd is one path template: its parameters in path order and, by
// method, the route that FindRoute returns.
type routeEnd struct {
	names []string
	// routes are shared by every request: neither openapi3filter nor the
	// handlers change a route.
	routes map[string]*routers.Route
}

// maxRouteParams bounds the parameters of one path template, so that a
// lookup collects them on the stack; newRouteTable refuses a contract with
// more.
const maxRouteParams = 8

// newRouteTable builds the table of doc, which must have been validated.
// It refuses what gorillamux would treat otherwise than as OpenAPI path
// templates (a regular expression after a colon, a parameter that is not
// a whole segment) and servers whose URL names a scheme, a host or
// variables, which gorillamux would match against the request's host:
// this contract's only server is "/".
func newRouteTable(doc *openapi3.T) (*routeTable, error) {
	t := &routeTable{}
	servers, err := routeServers(doc.Servers)
	if err != nil {
		return nil, err
	}
	// gorillamux tries the templates in this order and answers the first
	// that matches; the first to claim a leaf of the tree keeps it.
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		pathServers := servers
		if len(item.Servers) > 0 {
			if pathServers, err = routeServers(item.Servers); err != nil {
				return nil, err
			}
		}
		for _, s := range pathServers {
			if err := t.add(doc, s, path, item); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// routeServer is a server of the contract as far as routing goes.
type routeServer struct {
	server *openapi3.Server
	// base is the server URL's path without its last slash: "" for "/".
	base string
}

// routeServers returns the servers as gorillamux's makeServers reads them,
// or one without a base if there are none.
func routeServers(in openapi3.Servers) ([]routeServer, error) {
	out := make([]routeServer, 0, len(in))
	for _, s := range in {
		if strings.ContainsAny(s.URL, "{}") {
			return nil, fmt.Errorf("server %q: the route table does not match server variables", s.URL)
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", s.URL, err)
		}
		if u.Scheme != "" || u.Host != "" || strings.Contains(s.URL, "://") {
			return nil, fmt.Errorf("server %q: the route table matches paths only, not schemes or hosts", s.URL)
		}
		base := strings.TrimSuffix(u.EscapedPath(), "/")
		if base != "" && base[0] != '/' {
			return nil, fmt.Errorf("server %q: the path must start with a slash", s.URL)
		}
		out = append(out, routeServer{server: s, base: base})
	}
	if len(out) == 0 {
		out = append(out, routeServer{})
	}
	return out, nil
}

// add puts the template path of item, served by s, in the tree.
func (t *routeTable) add(doc *openapi3.T, s routeServer, path string, item *openapi3.PathItem) error {
	full := s.base + path
	if !strings.HasPrefix(full, "/") {
		return fmt.Errorf("path %q: it must start with a slash", full)
	}
	n := &t.root
	var names []string
	for _, seg := range strings.Split(full[1:], "/") {
		name, isParam, err := templateSegment(seg)
		if err != nil {
			return fmt.Errorf("path %q: %w", full, err)
		}
		if isParam {
			names = append(names, name)
			if n.param == nil {
				n.param = &routeNode{}
			}
			n = n.param
			continue
		}
		child := n.literals[seg]
		if child == nil {
			if n.literals == nil {
				n.literals = map[string]*routeNode{}
			}
			child = &routeNode{}
			n.literals[seg] = child
		}
		n = child
	}
	if len(names) > maxRouteParams {
		return fmt.Errorf("path %q: more than %d parameters", full, maxRouteParams)
	}
	if n.end != nil {
		// An earlier template (or server) of the same shape answers first.
		return nil
	}
	end := &routeEnd{names: names, routes: map[string]*routers.Route{}}
	for method := range item.Operations() {
		// GetOperation is what gorillamux asks; Operations may list an
		// additional operation under a fixed method's name that it never
		// returns.
		if op := item.GetOperation(method); op != nil {
			end.routes[method] = &routers.Route{Spec: doc, Server: s.server, Path: path, PathItem: item,
				Method: method, Operation: op}
		}
	}
	n.end = end
	return nil
}

// templateSegment tells whether seg is a path parameter, {name}, and its
// name; a segment with braces anywhere else is refused, since gorilla/mux
// would read it as a pattern that spans part of a segment or has a regular
// expression.
func templateSegment(seg string) (name string, isParam bool, err error) {
	if !strings.ContainsAny(seg, "{}") {
		return "", false, nil
	}
	if len(seg) < 3 || seg[0] != '{' || seg[len(seg)-1] != '}' || strings.ContainsAny(seg[1:len(seg)-1], "{}:") {
		return "", false, fmt.Errorf("segment %q is not a literal nor a whole {parameter}", seg)
	}
	return seg[1 : len(seg)-1], true, nil
}

// FindRoute returns the route of req and its path parameters, or
// routers.ErrMethodNotAllowed when the path matches a template without an
// operation for req.Method, or routers.ErrPathNotFound.
func (t *routeTable) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	path := req.URL.EscapedPath()
	if len(path) == 0 || path[0] != '/' {
		return nil, nil, routers.ErrPathNotFound
	}
	var vals [maxRouteParams]string
	end := t.root.match(path[1:], vals[:0])
	if end == nil {
		return nil, nil, routers.ErrPathNotFound
	}
	route := end.routes[req.Method]
	if route == nil {
		return nil, nil, routers.ErrMethodNotAllowed
	}
	params := make(map[string]string, len(end.names))
	for i, name := range end.names {
		params[name] = vals[i]
	}
	return route, params, nil
}

// match returns the template that rest, the path after n's segment and
// its slash, ends in, the literal child before the parameter at each
// segment; it writes the parameters' values into vals[len(vals):], which
// has room for maxRouteParams.
func (n *routeNode) match(rest string, vals []string) *routeEnd {
	seg, tail, more := strings.Cut(rest, "/")
	if child := n.literals[seg]; child != nil {
		if e := child.next(tail, more, vals); e != nil {
			return e
		}
	}
	if n.param != nil && seg != "" && len(vals) < maxRouteParams {
		if e := n.param.next(tail, more, append(vals, seg)); e != nil {
			return e
		}
	}
	return nil
}

// next goes on from n, whose segment matched: to the end if the path has
// no more segments, else to the next segment.
func (n *routeNode) next(tail string, more bool, vals []string) *routeEnd {
	if !more {
		return n.end
	}
	return n.match(tail, vals)
}
