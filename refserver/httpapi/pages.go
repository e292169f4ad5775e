package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/spoc-itsm/spoc/sla/report"
)

// pagePolicy is the Content-Security-Policy of every HTML page the server
// answers: nothing may load or run but the pages' own inline style sheets,
// named by their hashes. A page served here must need no more (the
// report's has no script, image, font or style attribute); one that does
// adds exactly that here, so that markup slipped into a page by a bug
// still cannot run, fetch, frame the page elsewhere or send a form.
var pagePolicy = strings.Join([]string{
	"default-src 'none'",
	"style-src " + strings.Join(report.HTMLStyleSources(), " "),
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
}, "; ")

// PageHeaders gives every answer X-Content-Type-Options: nosniff, so that
// no browser reads a JSON or CSV answer as a page, and every HTML answer,
// however its handler wrote it, its charset and pagePolicy. New applies it
// to the API; a server serving more (probes, metrics, pages of its own)
// wraps everything in it too, and applying it twice changes nothing.
func PageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(&pageWriter{ResponseWriter: w}, r)
	})
}

// pageWriter completes the headers of an HTML answer when its handler
// writes the status, which is after the handler has set its Content-Type.
type pageWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (p *pageWriter) WriteHeader(code int) {
	if !p.wroteHeader {
		p.wroteHeader = true
		h := p.Header()
		if media, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil && media == "text/html" {
			// html/template writes UTF-8; saying so keeps a browser from
			// guessing another charset in which escaped text means markup.
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", pagePolicy)
		}
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *pageWriter) Write(b []byte) (int, error) {
	if !p.wroteHeader {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController and setRoute reach the writer below.
func (p *pageWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
